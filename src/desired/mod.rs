//! Reads the desired state: Terraform roots and the services manifest, into `model::State`.
//! Depends only on `model`; never talks to AWS (the account id and region it needs are given).

pub mod manifest;
pub mod terraform;

use crate::error::Result;
use crate::model::State;
use std::path::PathBuf;

pub use terraform::eval::Env;

/// Everything the desired side reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub terraform: terraform::Input,
    /// The manifest path and how to show it.
    pub manifest: Option<(PathBuf, String)>,
}

pub fn load(input: &Input, env: &Env) -> Result<State> {
    let mut state = State::default();
    terraform::load(&input.terraform, env, &mut state)?;
    if let Some((path, display)) = &input.manifest {
        manifest::load(path, display, &mut state)?;
    }
    Ok(state)
}
