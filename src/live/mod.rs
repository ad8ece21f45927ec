//! Reads the live state — from a snapshot file or from AWS and PostgreSQL — into `model`
//! types. Every live read first produces a `Snapshot` (the APIs' own shapes), which is then
//! converted once, so `check --live aws` and `check --live FILE` of its snapshot agree by
//! construction. Knows nothing about Terraform.

pub mod snapshot;

use crate::error::Result;
use crate::model::dns::parse_zone_scope;
use crate::model::{Family, Kind, State};
use snapshot::Snapshot;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Where the live state comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Snapshot(PathBuf),
    Aws,
}

/// What the desired side declares, so the live side reads only that: zones by name, keys by
/// alias, instances by identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub aliases: BTreeSet<String>,
    /// (zone name, private)
    pub zones: BTreeSet<(String, bool)>,
    pub instances: BTreeSet<String>,
}

impl Scope {
    pub fn from_desired(desired: &State) -> Scope {
        let mut s = Scope::default();
        for (kind, scope) in &desired.scopes {
            match kind {
                Kind::KmsKeyPolicy => {
                    s.aliases.insert(scope.clone());
                }
                Kind::Route53Record => {
                    s.zones.insert(parse_zone_scope(scope));
                }
                Kind::RdsInstance | Kind::PostgresDatabase => {
                    s.instances.insert(scope.clone());
                }
            }
        }
        s
    }
}

/// The parts of a live source, once opened: who we are, then what is there.
pub struct Opened {
    pub snapshot: Snapshot,
}

impl Opened {
    pub fn account_id(&self) -> &str {
        &self.snapshot.account_id
    }

    pub fn state(&self, families: &[Family], scope: &Scope) -> State {
        self.snapshot.to_state(families, scope)
    }
}

/// Reads a snapshot file.
pub fn open_snapshot(path: &std::path::Path) -> Result<Opened> {
    Ok(Opened {
        snapshot: Snapshot::read(path)?,
    })
}
