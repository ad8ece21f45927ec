//! Properties of policy canonicalization that must hold for every policy, not only the
//! table in `policy_tests.rs`: it is idempotent, equality is symmetric, the order of
//! statements, actions and principals never matters, and an effect or a Sid always does.

use super::Policy;
use proptest::prelude::*;
use serde_json::{Value, json};

const ACTIONS: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "KMS:ReEncrypt*",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::444455556666:role/ci",
    "111122223333",
];

/// One statement: (effect, actions, principals, with a condition).
type Stmt = (bool, Vec<&'static str>, Vec<&'static str>, bool);

fn statement() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        proptest::sample::subsequence(ACTIONS, 1..=4),
        proptest::sample::subsequence(PRINCIPALS, 1..=3),
        any::<bool>(),
    )
}

fn doc(stmts: &[Stmt]) -> Value {
    let list: Vec<Value> = stmts
        .iter()
        .enumerate()
        .map(|(i, (allow, actions, principals, cond))| {
            let mut s = json!({
                "Sid": format!("S{i}"),
                "Effect": if *allow { "Allow" } else { "Deny" },
                "Action": actions,
                "Resource": "*",
                "Principal": {"AWS": principals},
            });
            if *cond {
                s["Condition"] = json!({"Bool": {"kms:GrantIsForAWSResource": "true"}});
            }
            s
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": list})
}

fn parse(v: &Value) -> Policy {
    Policy::from_json(v).expect("a generated policy parses")
}

proptest! {
    #[test]
    fn canonical_form_is_idempotent(stmts in proptest::collection::vec(statement(), 1..5)) {
        let p = parse(&doc(&stmts));
        let again = parse(&p.to_json());
        prop_assert_eq!(&again, &p);
        prop_assert_eq!(again.to_json(), p.to_json());
    }

    #[test]
    fn equality_is_symmetric(
        a in proptest::collection::vec(statement(), 1..4),
        b in proptest::collection::vec(statement(), 1..4),
    ) {
        let (pa, pb) = (parse(&doc(&a)), parse(&doc(&b)));
        prop_assert_eq!(pa == pb, pb == pa);
        prop_assert_eq!(pa.changes(&pb).is_empty(), pb.changes(&pa).is_empty());
    }

    #[test]
    fn order_never_matters(
        stmts in proptest::collection::vec(statement(), 1..5),
        seed in any::<u64>(),
    ) {
        let original = doc(&stmts);
        let mut shuffled = original.clone();
        let list = shuffled["Statement"].as_array_mut().unwrap();
        let rotate = |n: usize| if n == 0 { 0 } else { (seed as usize) % n };
        let k = rotate(list.len());
        list.rotate_left(k);
        list.reverse();
        for s in list.iter_mut() {
            if let Some(a) = s["Action"].as_array_mut() { let k = rotate(a.len()); a.rotate_left(k); a.reverse(); }
            if let Some(p) = s["Principal"]["AWS"].as_array_mut() { let k = rotate(p.len()); p.rotate_left(k); }
        }
        let (p, q) = (parse(&original), parse(&shuffled));
        prop_assert_eq!(&p, &q);
        prop_assert!(p.changes(&q).is_empty());
    }

    #[test]
    fn an_effect_or_a_sid_always_matters(
        stmts in proptest::collection::vec(statement(), 1..5),
        which in any::<prop::sample::Index>(),
    ) {
        let original = doc(&stmts);
        let i = which.index(stmts.len());
        let mut flipped = original.clone();
        let e = &mut flipped["Statement"][i]["Effect"];
        *e = json!(if e == "Allow" { "Deny" } else { "Allow" });
        prop_assert!(parse(&original) != parse(&flipped));
        prop_assert!(!parse(&original).changes(&parse(&flipped)).is_empty());

        let mut renamed = original.clone();
        renamed["Statement"][i]["Sid"] = json!("Renamed");
        prop_assert!(parse(&original) != parse(&renamed));
    }
}
