//! Entry points for the fuzz targets (`fuzz/`) and for the test that replays their saved
//! inputs in CI: each takes arbitrary bytes and must return, never panic or hang — an error
//! is a fine answer. Nothing here is used by the `drift` command itself.

use crate::desired::terraform::eval::{Env, ModuleInstance, Scope};
use crate::desired::terraform::module::Module;
use crate::live::snapshot::Snapshot;
use crate::model::Policy;
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;

/// Parses bytes as a Terraform file and evaluates every local, output and resource in it.
pub fn terraform(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(module) = Module::from_text(Path::new("fuzz"), "main.tf", text) else {
        return;
    };
    let module = Rc::new(module);
    let env = Rc::new(Env {
        account_id: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        ..Env::default()
    });
    let inst = ModuleInstance::new(module.clone(), String::new(), BTreeMap::new(), env);
    for name in module.locals.keys() {
        let _ = inst.local(name, 0, None);
    }
    for out in module.outputs.values() {
        let _ = inst.eval(&out.item, &Scope::default(), out.file);
    }
    for decl in module.resources.values() {
        let _ = inst.resource_instances(decl, "resource");
    }
}

/// Parses bytes as a key policy, canonicalizes it, and compares it with its own canonical form.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Policy::parse_str(text) {
        let again = Policy::from_json(&p.to_json()).expect("a canonical policy reads back");
        assert!(
            p.changes(&again).is_empty(),
            "canonicalization is not stable: {text}"
        );
    }
}

/// Parses bytes as a snapshot and builds its live state for every family.
pub fn snapshot(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(snap) = Snapshot::parse(text, "fuzz.json") {
        let _ = snap.to_state(&crate::model::Family::ALL, &crate::live::Scope::default());
    }
}
