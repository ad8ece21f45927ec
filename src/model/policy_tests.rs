//! The equivalence table: every rule of docs/semantics.md, "Key policies", as pairs that must compare
//! equal and pairs that must not.

use super::*;
use serde_json::json;

fn st(extra: Value) -> Value {
    let mut base = json!({"Sid": "S", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                          "Principal": {"AWS": "arn:aws:iam::111122223333:root"}});
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        for (k, v) in e {
            if v.is_null() {
                b.remove(&k);
            } else {
                b.insert(k, v);
            }
        }
    }
    base
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// (name, left, right, equal)
fn table() -> Vec<(&'static str, Value, Value, bool)> {
    vec![
        // --- document level
        (
            "identical",
            doc(json!([st(json!({}))])),
            doc(json!([st(json!({}))])),
            true,
        ),
        (
            "lone statement object = one-element list",
            doc(st(json!({}))),
            doc(json!([st(json!({}))])),
            true,
        ),
        (
            "one-element top-level array unwrapped",
            json!([doc(json!([st(json!({}))]))]),
            doc(json!([st(json!({}))])),
            true,
        ),
        (
            "Version is exact",
            json!({"Version": "2012-10-17", "Statement": []}),
            json!({"Version": "2008-10-17", "Statement": []}),
            false,
        ),
        (
            "missing Version differs from a Version",
            json!({"Statement": []}),
            json!({"Version": "2012-10-17", "Statement": []}),
            false,
        ),
        (
            "Id is not significant",
            json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": []}),
            json!({"Version": "2012-10-17", "Id": "default", "Statement": []}),
            true,
        ),
        (
            "statement order is not significant",
            doc(json!([st(json!({"Sid": "A"})), st(json!({"Sid": "B"}))])),
            doc(json!([st(json!({"Sid": "B"})), st(json!({"Sid": "A"}))])),
            true,
        ),
        (
            "unnamed statements matched by content",
            doc(json!([
                st(json!({"Sid": null, "Action": "kms:A"})),
                st(json!({"Sid": null, "Action": "kms:B"}))
            ])),
            doc(json!([
                st(json!({"Sid": null, "Action": "kms:B"})),
                st(json!({"Sid": null, "Action": "kms:A"}))
            ])),
            true,
        ),
        (
            "an extra statement is drift",
            doc(json!([st(json!({}))])),
            doc(json!([st(json!({})), st(json!({"Sid": "Extra"}))])),
            false,
        ),
        // --- Sid
        (
            "Sid is case-sensitive",
            doc(json!([st(json!({"Sid": "abc"}))])),
            doc(json!([st(json!({"Sid": "ABC"}))])),
            false,
        ),
        (
            "missing Sid = empty Sid",
            doc(json!([st(json!({"Sid": null}))])),
            doc(json!([st(json!({"Sid": ""}))])),
            true,
        ),
        // --- Effect
        (
            "Effect is case-insensitive",
            doc(json!([st(json!({"Effect": "allow"}))])),
            doc(json!([st(json!({"Effect": "Allow"}))])),
            true,
        ),
        (
            "Allow is not Deny",
            doc(json!([st(json!({"Effect": "Allow"}))])),
            doc(json!([st(json!({"Effect": "Deny"}))])),
            false,
        ),
        // --- Action / NotAction
        (
            "Action string = one-element list",
            doc(json!([st(json!({"Action": "kms:Decrypt"}))])),
            doc(json!([st(json!({"Action": ["kms:Decrypt"]}))])),
            true,
        ),
        (
            "Action order not significant",
            doc(json!([st(json!({"Action": ["kms:A", "kms:B"]}))])),
            doc(json!([st(json!({"Action": ["kms:B", "kms:A"]}))])),
            true,
        ),
        (
            "Action duplicates collapse",
            doc(json!([st(json!({"Action": ["kms:A", "kms:A"]}))])),
            doc(json!([st(json!({"Action": "kms:A"}))])),
            true,
        ),
        (
            "Action case-insensitive",
            doc(json!([st(json!({"Action": "kms:decrypt"}))])),
            doc(json!([st(json!({"Action": "KMS:Decrypt"}))])),
            true,
        ),
        (
            "different actions differ",
            doc(json!([st(json!({"Action": "kms:Decrypt"}))])),
            doc(json!([st(json!({"Action": "kms:Encrypt"}))])),
            false,
        ),
        (
            "Action is not NotAction",
            doc(json!([st(json!({"Action": "kms:A"}))])),
            doc(json!([st(json!({"Action": null, "NotAction": "kms:A"}))])),
            false,
        ),
        (
            "NotAction string = list",
            doc(json!([st(json!({"Action": null, "NotAction": "kms:A"}))])),
            doc(json!([st(json!({"Action": null, "NotAction": ["kms:A"]}))])),
            true,
        ),
        // --- Resource / NotResource
        (
            "Resource string = list",
            doc(json!([st(json!({"Resource": "*"}))])),
            doc(json!([st(json!({"Resource": ["*"]}))])),
            true,
        ),
        (
            "Resource order not significant",
            doc(json!([st(json!({"Resource": ["a", "b"]}))])),
            doc(json!([st(json!({"Resource": ["b", "a"]}))])),
            true,
        ),
        (
            "Resource is case-sensitive",
            doc(json!([st(json!({"Resource": "arn:aws:s3:::Bucket"}))])),
            doc(json!([st(json!({"Resource": "arn:aws:s3:::bucket"}))])),
            false,
        ),
        (
            "Resource is not NotResource",
            doc(json!([st(json!({"Resource": "*"}))])),
            doc(json!([st(json!({"Resource": null, "NotResource": "*"}))])),
            false,
        ),
        // --- Principal
        (
            "principal value string = list",
            doc(json!([st(
                json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
            )])),
            doc(json!([st(
                json!({"Principal": {"AWS": ["arn:aws:iam::111122223333:root"]}})
            )])),
            true,
        ),
        (
            "account id = root ARN",
            doc(json!([st(json!({"Principal": {"AWS": "111122223333"}}))])),
            doc(json!([st(
                json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}})
            )])),
            true,
        ),
        (
            "account id = root ARN in other partition",
            doc(json!([st(
                json!({"Resource": "arn:aws-cn:kms:::x", "Principal": {"AWS": "111122223333"}})
            )])),
            doc(json!([st(
                json!({"Resource": "arn:aws-cn:kms:::x", "Principal": {"AWS": "arn:aws-cn:iam::111122223333:root"}})
            )])),
            true,
        ),
        (
            "different accounts differ",
            doc(json!([st(json!({"Principal": {"AWS": "111122223333"}}))])),
            doc(json!([st(json!({"Principal": {"AWS": "444455556666"}}))])),
            false,
        ),
        (
            "\"*\" = {\"AWS\":\"*\"}",
            doc(json!([st(json!({"Principal": "*"}))])),
            doc(json!([st(json!({"Principal": {"AWS": "*"}}))])),
            true,
        ),
        (
            "{\"*\":\"*\"} = \"*\"",
            doc(json!([st(json!({"Principal": {"*": "*"}}))])),
            doc(json!([st(json!({"Principal": "*"}))])),
            true,
        ),
        (
            "empty principal list dropped",
            doc(json!([st(
                json!({"Principal": {"AWS": "arn:aws:iam::111122223333:root", "Service": []}})
            )])),
            doc(json!([st(json!({}))])),
            true,
        ),
        (
            "{} = {\"AWS\":[]} = absent",
            doc(json!([st(json!({"Principal": {}}))])),
            doc(json!([st(json!({"Principal": {"AWS": []}}))])),
            true,
        ),
        (
            "{\"AWS\":[]} = absent",
            doc(json!([st(json!({"Principal": {"AWS": []}}))])),
            doc(json!([st(json!({"Principal": null}))])),
            true,
        ),
        (
            "a string principal is not an absent one",
            doc(json!([st(json!({"Principal": "*"}))])),
            doc(json!([st(json!({"Principal": null}))])),
            false,
        ),
        (
            "[A,A] is not [A,B]",
            doc(json!([st(
                json!({"Principal": {"AWS": ["arn:aws:iam::1:role/A", "arn:aws:iam::1:role/A"]}})
            )])),
            doc(json!([st(
                json!({"Principal": {"AWS": ["arn:aws:iam::1:role/A", "arn:aws:iam::1:role/B"]}})
            )])),
            false,
        ),
        (
            "principal type keys are exact",
            doc(json!([st(
                json!({"Principal": {"Service": "x.amazonaws.com"}})
            )])),
            doc(json!([st(
                json!({"Principal": {"service": "x.amazonaws.com"}})
            )])),
            false,
        ),
        (
            "principal order not significant",
            doc(json!([st(
                json!({"Principal": {"AWS": ["arn:aws:iam::1:role/A", "arn:aws:iam::1:role/B"]}})
            )])),
            doc(json!([st(
                json!({"Principal": {"AWS": ["arn:aws:iam::1:role/B", "arn:aws:iam::1:role/A"]}})
            )])),
            true,
        ),
        (
            "a unique id is not the role ARN",
            doc(json!([st(
                json!({"Principal": {"AWS": "arn:aws:iam::111122223333:role/deleted"}})
            )])),
            doc(json!([st(
                json!({"Principal": {"AWS": "AROAEXAMPLEID123456"}})
            )])),
            false,
        ),
        (
            "Principal is not NotPrincipal",
            doc(json!([st(json!({"Principal": "*"}))])),
            doc(json!([st(json!({"Principal": null, "NotPrincipal": "*"}))])),
            false,
        ),
        // --- Condition
        (
            "condition value string = list",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"aws:SourceArn": "x"}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"aws:SourceArn": ["x"]}}})
            )])),
            true,
        ),
        (
            "condition keys case-insensitive",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"AWS:SourceArn": "x"}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"aws:sourcearn": "x"}}})
            )])),
            true,
        ),
        (
            "condition operators exact",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": "x"}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"stringequals": {"k": "x"}}})
            )])),
            false,
        ),
        (
            "condition values are sets",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": ["a", "b", "a"]}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": ["b", "a"]}}})
            )])),
            true,
        ),
        (
            "condition value case matters",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": "A"}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": "a"}}})
            )])),
            false,
        ),
        (
            "true = \"true\"",
            doc(json!([st(
                json!({"Condition": {"Bool": {"kms:GrantIsForAWSResource": true}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
            )])),
            true,
        ),
        (
            "1 = \"1\"",
            doc(json!([st(
                json!({"Condition": {"NumericEquals": {"k": 1}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"NumericEquals": {"k": "1"}}})
            )])),
            true,
        ),
        (
            "Condition {} = absent",
            doc(json!([st(json!({"Condition": {}}))])),
            doc(json!([st(json!({}))])),
            true,
        ),
        (
            "a missing condition is drift",
            doc(json!([st(json!({"Condition": {"Bool": {"k": "true"}}}))])),
            doc(json!([st(json!({}))])),
            false,
        ),
        (
            "different condition values differ",
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": "x"}}})
            )])),
            doc(json!([st(
                json!({"Condition": {"StringEquals": {"k": "y"}}})
            )])),
            false,
        ),
    ]
}

#[test]
fn equivalence_table() {
    let cases = table();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    let mut failures = Vec::new();
    for (name, a, b, equal) in cases {
        let pa = Policy::from_json(&a).unwrap_or_else(|e| panic!("{name}: left: {e}"));
        let pb = Policy::from_json(&b).unwrap_or_else(|e| panic!("{name}: right: {e}"));
        // equality must be symmetric: compare both directions' change lists
        let forward = pa.changes(&pb).is_empty();
        let backward = pb.changes(&pa).is_empty();
        if forward != equal || backward != equal {
            failures.push(format!(
                "{name}: expected {}, changes: {:?}",
                if equal { "equal" } else { "different" },
                pa.changes(&pb)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn empty_string_is_empty_object() {
    assert_eq!(
        Policy::parse_str("").ok(),
        Policy::from_json(&json!({})).ok()
    );
}

#[test]
fn jsonencode_escapes_compare_as_parsed() {
    let tf = r#"{"Statement":[{"Action":"kms:Decrypt","Condition":{"StringLike":{"k":"\u003cx\u003e\u0026"}},"Effect":"Allow","Resource":"*","Sid":"S"}],"Version":"2012-10-17"}"#;
    let live = r#"{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"k":"<x>&"}}}]}"#;
    assert_eq!(Policy::parse_str(tf), Policy::parse_str(live));
}

#[test]
fn added_statement_is_reported_whole_by_sid() {
    let d = Policy::from_json(&doc(json!([st(json!({}))]))).unwrap();
    let l = Policy::from_json(&doc(json!([
        st(json!({})),
        st(json!({"Sid": "AllowCloudFrontDecrypt"}))
    ])))
    .unwrap();
    let c = d.changes(&l);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].path, "Statement[AllowCloudFrontDecrypt]");
    assert_eq!(c[0].op, super::super::Op::Add);
    assert_eq!(
        c[0].live.as_ref().and_then(|v| v.get("Sid")),
        Some(&json!("AllowCloudFrontDecrypt"))
    );
    let back = l.changes(&d);
    assert_eq!(back[0].op, super::super::Op::Remove);
}

#[test]
fn changed_statement_matched_by_sid() {
    let d = Policy::from_json(&doc(json!([st(json!({"Action": "kms:A"}))]))).unwrap();
    let l = Policy::from_json(&doc(json!([st(json!({"Action": "kms:B"}))]))).unwrap();
    let c = d.changes(&l);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].op, super::super::Op::Change);
    assert_eq!(c[0].path, "Statement[S]");
}

#[test]
fn unique_id_principal_gets_a_hint() {
    let l = Policy::from_json(&doc(json!([st(
        json!({"Principal": {"AWS": "AROAEXAMPLEID123456"}})
    )])))
    .unwrap();
    assert_eq!(l.hints().len(), 1);
    let ok = Policy::from_json(&doc(json!([st(json!({}))]))).unwrap();
    assert!(ok.hints().is_empty());
}

#[test]
fn malformed_policies_are_errors_not_panics() {
    assert!(Policy::parse_str("{not json").is_err());
    assert!(Policy::from_json(&json!(42)).is_err());
    assert!(Policy::from_json(&json!({"Statement": [1]})).is_err());
    assert!(Policy::from_json(&json!({"Statement": [{"Principal": "someone"}]})).is_err());
}
