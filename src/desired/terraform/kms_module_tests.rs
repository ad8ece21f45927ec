//! The KMS module emulation against the statements the module renders, read from its
//! `main.tf` at v4.2.0 (and v3.1.1 where 3.x differs): one test per input family.

use super::*;
use serde_json::{Value as Json, json};

const ACCOUNT: &str = "111122223333";

fn inputs(j: Json) -> BTreeMap<String, Value> {
    match Value::from_json(&j) {
        Value::Object(m) => m,
        other => panic!("inputs must be an object, got {other:?}"),
    }
}

/// The statements of the policy the module makes, as JSON.
fn statements(j: Json, release: Release, region: &str) -> Vec<Json> {
    let key = key(&inputs(j), release, Some(ACCOUNT), Some(region))
        .expect("the call is valid")
        .expect("the call makes a key");
    let Value::String(text) = key.policy else {
        panic!("policy is not known: {:?}", key.policy)
    };
    let doc: Json = serde_json::from_str(&text).expect("policy JSON");
    doc["Statement"].as_array().expect("statements").clone()
}

fn sids(st: &[Json]) -> Vec<&str> {
    st.iter().map(|s| s["Sid"].as_str().unwrap_or("")).collect()
}

const ROLE: &str = "arn:aws:iam::111122223333:role/r";

#[test]
fn defaults_make_only_the_default_statement() {
    let st = statements(json!({}), Release::V4, "eu-west-1");
    assert_eq!(
        st,
        vec![json!({
            "Sid": "Default", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}
        })]
    );
    assert!(
        statements(
            json!({"enable_default_policy": false}),
            Release::V4,
            "eu-west-1"
        )
        .is_empty()
    );
}

#[test]
fn every_principal_list_input_in_the_module_order() {
    let all = json!({
        "key_owners": [ROLE], "key_administrators": [ROLE], "key_users": [ROLE],
        "key_service_users": [ROLE], "key_service_roles_for_autoscaling": [ROLE],
        "key_symmetric_encryption_users": [ROLE], "key_hmac_users": [ROLE],
        "key_asymmetric_public_encryption_users": [ROLE],
        "key_asymmetric_sign_verify_users": [ROLE]
    });
    let st = statements(all, Release::V4, "eu-west-1");
    assert_eq!(
        sids(&st),
        vec![
            "Default",
            "KeyOwner",
            "KeyAdministration",
            "KeyUsage",
            "KeyServiceUsage",
            "KeyServiceRolesASG",
            "KeyServiceRolesASGPersistentVol",
            "KeySymmetricEncryption",
            "KeyHMAC",
            "KeyAsymmetricPublicEncryption",
            "KeyAsymmetricSignVerify",
        ]
    );
    let by = |sid: &str| st.iter().find(|s| s["Sid"] == sid).unwrap().clone();
    let grant = json!({"Bool": {"kms:GrantIsForAWSResource": "true"}});
    assert_eq!(by("KeyOwner")["Action"], "kms:*");
    assert_eq!(
        by("KeyAdministration")["Action"].as_array().unwrap().len(),
        16
    );
    assert_eq!(
        by("KeyServiceUsage")["Action"],
        json!(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
    );
    assert_eq!(by("KeyServiceUsage")["Condition"], grant);
    assert_eq!(
        by("KeyServiceRolesASG")["Action"],
        json!([
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:DescribeKey"
        ])
    );
    assert_eq!(
        by("KeyServiceRolesASGPersistentVol")["Action"],
        "kms:CreateGrant"
    );
    assert_eq!(by("KeyServiceRolesASGPersistentVol")["Condition"], grant);
    assert_eq!(
        by("KeySymmetricEncryption")["Action"],
        json!([
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*"
        ])
    );
    assert_eq!(
        by("KeyHMAC")["Action"],
        json!(["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"])
    );
    assert_eq!(
        by("KeyAsymmetricPublicEncryption")["Action"],
        json!([
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:ReEncrypt*",
            "kms:DescribeKey",
            "kms:GetPublicKey"
        ])
    );
    assert_eq!(
        by("KeyAsymmetricSignVerify")["Action"],
        json!([
            "kms:DescribeKey",
            "kms:GetPublicKey",
            "kms:Sign",
            "kms:Verify"
        ])
    );
    for s in &st[1..] {
        assert_eq!(s["Principal"], json!({"AWS": ROLE}), "{}", s["Sid"]);
        assert_eq!(s["Resource"], "*");
    }
}

#[test]
fn route53_dnssec_with_and_without_sources() {
    let st = statements(
        json!({"enable_route53_dnssec": true}),
        Release::V4,
        "eu-west-1",
    );
    assert_eq!(
        sids(&st),
        vec!["Default", "Route53DnssecService", "Route53DnssecGrant"]
    );
    assert_eq!(
        st[1]["Principal"],
        json!({"Service": "dnssec-route53.amazonaws.com"})
    );
    assert_eq!(
        st[1]["Action"],
        json!(["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"])
    );
    assert_eq!(
        st[2]["Condition"],
        json!({"Bool": {"kms:GrantIsForAWSResource": "true"}})
    );
    let st = statements(
        json!({"enable_route53_dnssec": true, "route53_dnssec_sources": [
            {"hosted_zone_arn": "arn:aws:route53:::hostedzone/Z1"},
            {"account_ids": ["444455556666"]}
        ]}),
        Release::V4,
        "eu-west-1",
    );
    assert_eq!(
        st[2]["Condition"],
        json!({
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringEquals": {"aws:SourceAccount": [ACCOUNT, "444455556666"]},
            "ArnLike": {"aws:SourceArn": ["arn:aws:route53:::hostedzone/Z1", "arn:aws:route53:::hostedzone/*"]}
        })
    );
}

#[test]
fn partition_follows_the_region() {
    let st = statements(
        json!({"enable_route53_dnssec": true}),
        Release::V4,
        "cn-north-1",
    );
    assert_eq!(
        st[0]["Principal"],
        json!({"AWS": "arn:aws-cn:iam::111122223333:root"})
    );
    assert_eq!(
        st[1]["Principal"],
        json!({"Service": "dnssec-route53.amazonaws.com.cn"})
    );
}

#[test]
fn key_statements_condition_spelling_by_release() {
    let entry = |spelling: &str| {
        json!({"key_statements": [{
            "sid": "Extra", "actions": ["kms:Decrypt"], "resources": ["*"],
            "principals": [{"type": "Service", "identifiers": ["logs.amazonaws.com"]}],
            spelling: [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}]
        }]})
    };
    let cond = json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}});
    // 4.x reads `condition`; its typed variable drops `conditions`.
    let st = statements(entry("condition"), Release::V4, "eu-west-1");
    assert_eq!(st[1]["Condition"], cond);
    let st = statements(entry("conditions"), Release::V4, "eu-west-1");
    assert!(st[1].get("Condition").is_none(), "{}", st[1]);
    // 3.x reads `conditions` and ignores `condition`.
    let st = statements(entry("conditions"), Release::V3, "eu-west-1");
    assert_eq!(st[1]["Condition"], cond);
    let st = statements(entry("condition"), Release::V3, "eu-west-1");
    assert!(st[1].get("Condition").is_none(), "{}", st[1]);
    assert_eq!(st[1]["Sid"], "Extra");
    assert_eq!(st[1]["Effect"], "Allow");
}

#[test]
fn key_statements_as_a_map_in_3x_only() {
    let m = json!({"key_statements": {"a": {"sid": "A", "actions": ["kms:Decrypt"], "resources": ["*"]}}});
    assert_eq!(
        sids(&statements(m.clone(), Release::V3, "eu-west-1")),
        vec!["Default", "A"]
    );
    assert!(key(&inputs(m), Release::V4, Some(ACCOUNT), None).is_err());
}

#[test]
fn source_and_override_documents_merge_by_sid() {
    let source = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Default", "Effect": "Deny", "Action": "kms:*", "Resource": "*", "Principal": "*"},
        {"Sid": "FromSource", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Principal": "*"}
    ]})
    .to_string();
    let over = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Default", "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*", "Principal": "*"}
    ]})
    .to_string();
    let st = statements(
        json!({"source_policy_documents": [source], "override_policy_documents": [over]}),
        Release::V4,
        "eu-west-1",
    );
    // The provider merges the source documents first; own and override statements then
    // replace the ones with the same Sid where they stand.
    assert_eq!(sids(&st), vec!["Default", "FromSource"]);
    assert_eq!(st[0]["Action"], "kms:Encrypt");
}

#[test]
fn a_given_policy_is_used_verbatim_and_create_false_makes_no_key() {
    let k = key(
        &inputs(json!({"policy": "{\"Statement\": []}", "key_owners": [ROLE]})),
        Release::V4,
        Some(ACCOUNT),
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(k.policy, Value::string("{\"Statement\": []}"));
    assert!(
        key(
            &inputs(json!({"create": false})),
            Release::V4,
            Some(ACCOUNT),
            None
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn aliases_get_the_prefix_the_module_adds() {
    let k = key(
        &inputs(json!({"aliases": ["app", "alias/x", "app"], "computed_aliases": {"c": {"name": "computed"}}})),
        Release::V4,
        Some(ACCOUNT),
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        k.aliases.unwrap(),
        vec!["alias/app", "alias/alias/x", "alias/computed"]
    );
    let k = key(
        &inputs(json!({"aliases": ["app"], "aliases_use_name_prefix": true})),
        Release::V4,
        Some(ACCOUNT),
        None,
    )
    .unwrap()
    .unwrap();
    assert!(k.aliases.unwrap_err().reason.contains("alias/app-"));
}

#[test]
fn the_version_constraint_chooses_the_release() {
    for (c, r) in [
        (None, Release::V4),
        (Some("~> 4.0"), Release::V4),
        (Some("4.2.0"), Release::V4),
        (Some(">= 3.0"), Release::V4),
        (Some("~> 3.1"), Release::V3),
        (Some("3.1.1"), Release::V3),
        (Some(">= 3.0, < 4.0"), Release::V3),
        (Some("= 3.0.0"), Release::V3),
    ] {
        assert_eq!(Release::from_constraint(c), r, "{c:?}");
    }
}
