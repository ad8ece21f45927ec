//! The canonical form of a Route 53 record (docs/semantics.md, "Route 53 records") and its comparison.
//!
//! Names are lowercase, without the trailing dot, with `\ooo` escapes decoded; records are a
//! set; TXT values lose their outer quotes; TTL is compared only for non-alias records; alias
//! targets compare lowercase and dot-trimmed. Knows nothing about Terraform or the AWS SDK.

use super::{Change, compare_field};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasTarget {
    pub dns_name: String,
    pub zone_id: String,
    pub evaluate_target_health: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The zone's name, canonical.
    pub zone: String,
    pub name: String,
    pub rtype: String,
    pub set_identifier: Option<String>,
    pub ttl: Option<i64>,
    pub records: BTreeSet<String>,
    pub alias: Option<AliasTarget>,
    /// How Route 53 chooses among the record sets of one name and type (those with a set
    /// identifier), as far as drift reads it.
    pub routing: Box<Routing>,
}

/// A record set's routing: what the code declares is compared; what it leaves `None` is not
/// (a geolocation or CIDR policy, a health check given by reference, which drift does not
/// read). The live side has every field AWS reports.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Routing {
    /// `weighted_routing_policy { weight }` / `Weight`.
    pub weight: Option<i64>,
    /// `failover_routing_policy { type }` / `Failover`: `PRIMARY` or `SECONDARY`.
    pub failover: Option<String>,
    /// `latency_routing_policy { region }` / `Region`.
    pub region: Option<String>,
    /// `multivalue_answer_routing_policy` / `MultiValueAnswer`.
    pub multivalue_answer: Option<bool>,
    /// `health_check_id` / `HealthCheckId`.
    pub health_check_id: Option<String>,
}

impl Routing {
    fn is_empty(&self) -> bool {
        *self == Routing::default()
    }

    /// Each field the code declares, by its Terraform path, with the value.
    fn fields(&self) -> Vec<(&'static str, Option<Value>)> {
        vec![
            (
                "weighted_routing_policy.weight",
                self.weight.map(|w| json!(w)),
            ),
            (
                "failover_routing_policy.type",
                self.failover.as_ref().map(|f| json!(f)),
            ),
            (
                "latency_routing_policy.region",
                self.region.as_ref().map(|r| json!(r)),
            ),
            (
                "multivalue_answer_routing_policy",
                self.multivalue_answer.map(|m| json!(m)),
            ),
            (
                "health_check_id",
                self.health_check_id.as_ref().map(|h| json!(h)),
            ),
        ]
    }
}

/// Lowercase, trailing dot removed, `\ooo` octal escapes decoded. Route 53 writes each octet
/// of a non-ASCII name as its own escape (`中` is `\344\270\255`): the octets are read as
/// UTF-8, and an octet that is not part of valid UTF-8 stays escaped.
pub fn canonical_name(name: &str) -> String {
    let mut octets: Vec<u8> = Vec::with_capacity(name.len());
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 4 <= bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let code = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            if let Ok(octet) = u8::try_from(code) {
                octets.push(octet);
                i += 4;
                continue;
            }
        }
        octets.push(bytes[i]);
        i += 1;
    }
    let mut out = String::with_capacity(octets.len());
    for chunk in octets.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    let lower = out.to_lowercase();
    lower.strip_suffix('.').unwrap_or(&lower).to_string()
}

/// The scope key of a zone: its canonical name, marked when private (a private and a public
/// zone may share a name).
pub fn zone_scope(name: &str, private: bool) -> String {
    if private {
        format!("{name} (private)")
    } else {
        name.to_string()
    }
}

/// A zone's scope key or a record's id in another account than drift's default:
/// `example.com@222233334444`, `www.example.com/A@222233334444` (Route 53 is global: no
/// region).
pub fn in_account(s: &str, account: Option<&str>) -> String {
    match account {
        Some(a) => format!("{s}@{a}"),
        None => s.to_string(),
    }
}

/// The inverse of [`in_account`]: only a suffix of `@` and twelve digits is an account.
pub fn split_account(s: &str) -> (&str, Option<&str>) {
    match s.rsplit_once('@') {
        Some((rest, a)) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => {
            (rest, Some(a))
        }
        _ => (s, None),
    }
}

/// The zone name and privacy of a scope key made by [`zone_scope`] (and [`in_account`]).
pub fn parse_zone_scope(scope: &str) -> (String, bool) {
    let (scope, _) = split_account(scope);
    match scope.strip_suffix(" (private)") {
        Some(name) => (name.to_string(), true),
        None => (scope.to_string(), false),
    }
}

/// A hosted zone id without the `/hostedzone/` prefix.
pub fn canonical_zone_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// A Terraform record `name` made fully qualified within `zone` (both canonical).
pub fn qualify(name: &str, zone: &str) -> String {
    let name = canonical_name(name);
    // Only the empty name is the apex: the AWS provider gives `@` no meaning (it writes the
    // record `@.<zone>`, which Route 53 keeps as `\100.<zone>`).
    if name.is_empty() {
        zone.to_string()
    } else if name == zone || name.ends_with(&format!(".{zone}")) {
        name
    } else {
        format!("{name}.{zone}")
    }
}

/// One value of `records` as the Route 53 API gives it, canonical for its type. A TXT/SPF
/// value loses exactly one pair of outer quotes, as the AWS provider reads it: the API's
/// `"v=spf1 -all"` is the code's `v=spf1 -all`, and `"first""second"` (a value split into
/// strings, written `first\"\"second` in the code) is `first""second`.
pub fn canonical_value(rtype: &str, value: &str) -> String {
    match rtype {
        "TXT" | "SPF" => {
            let inner = (value.len() >= 2)
                .then(|| value.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                .flatten();
            inner.unwrap_or(value).to_string()
        }
        "CNAME" | "NS" | "PTR" => canonical_name(value.trim()),
        "MX" | "SRV" => {
            let v = value.trim();
            match v.rsplit_once(' ') {
                Some((head, host)) => format!("{head} {}", canonical_name(host)),
                None => v.to_string(),
            }
        }
        _ => value.trim().to_string(),
    }
}

/// One value of `records` as the Terraform code writes it, canonical for its type. A TXT/SPF
/// value is taken as written: the AWS provider always sends it wrapped in one more pair of
/// quotes, so it equals the API value that loses them ([`canonical_value`]).
pub fn canonical_code_value(rtype: &str, value: &str) -> String {
    match rtype {
        "TXT" | "SPF" => value.to_string(),
        _ => canonical_value(rtype, value),
    }
}

/// A TXT/SPF value of the code as the AWS provider sends it to the API (one pair of quotes
/// around it); other types unchanged. For what a Terraform state records.
pub fn api_value(rtype: &str, value: &str) -> String {
    match rtype {
        "TXT" | "SPF" => format!("\"{value}\""),
        _ => value.to_string(),
    }
}

impl Record {
    /// The natural id: `fqdn/TYPE[/SETID]`.
    pub fn id(&self) -> String {
        match &self.set_identifier {
            Some(s) => format!("{}/{}/{}", self.name, self.rtype, s),
            None => format!("{}/{}", self.name, self.rtype),
        }
    }

    /// Apex NS and SOA come with the zone.
    pub fn is_implicit(&self) -> bool {
        self.name == self.zone && (self.rtype == "NS" || self.rtype == "SOA")
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.rtype));
        if let Some(s) = &self.set_identifier {
            m.insert("set_identifier".into(), json!(s));
        }
        if !self.routing.is_empty() {
            let routing: Map<String, Value> = self
                .routing
                .fields()
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .collect();
            m.insert("routing".into(), Value::Object(routing));
        }
        match &self.alias {
            Some(a) => {
                m.insert(
                    "alias".into(),
                    json!({"name": a.dns_name, "zone_id": a.zone_id,
                           "evaluate_target_health": a.evaluate_target_health}),
                );
            }
            None => {
                if let Some(t) = self.ttl {
                    m.insert("ttl".into(), json!(t));
                }
                m.insert(
                    "records".into(),
                    json!(self.records.iter().collect::<Vec<_>>()),
                );
            }
        }
        Value::Object(m)
    }

    pub fn changes(&self, live: &Record) -> Vec<Change> {
        let mut out = Vec::new();
        match (&self.alias, &live.alias) {
            (None, None) => {
                if self.ttl.is_some() && live.ttl.is_some() {
                    compare_field(&mut out, "ttl", &self.ttl, &live.ttl);
                }
                if self.records != live.records {
                    out.push(Change::changed(
                        "records",
                        json!(self.records.iter().collect::<Vec<_>>()),
                        json!(live.records.iter().collect::<Vec<_>>()),
                    ));
                }
            }
            (Some(d), Some(l)) => {
                compare_field(
                    &mut out,
                    "alias.name",
                    &Some(&d.dns_name),
                    &Some(&l.dns_name),
                );
                compare_field(
                    &mut out,
                    "alias.zone_id",
                    &Some(&d.zone_id),
                    &Some(&l.zone_id),
                );
                compare_field(
                    &mut out,
                    "alias.evaluate_target_health",
                    &Some(d.evaluate_target_health),
                    &Some(l.evaluate_target_health),
                );
            }
            _ => out.push(Change::changed("", self.to_json(), live.to_json())),
        }
        // What the code declares of the routing; the rest is not compared.
        for ((path, want), (_, have)) in
            self.routing.fields().into_iter().zip(live.routing.fields())
        {
            if let Some(want) = want
                && Some(&want) != have.as_ref()
            {
                out.push(Change::changed(path, want, have.unwrap_or(Value::Null)));
            }
        }
        out
    }
}

impl AliasTarget {
    pub fn new(dns_name: &str, zone_id: &str, evaluate_target_health: bool) -> AliasTarget {
        AliasTarget {
            dns_name: canonical_name(dns_name),
            zone_id: canonical_zone_id(zone_id),
            evaluate_target_health,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_without_dot_and_decoded() {
        assert_eq!(canonical_name("WWW.Example.COM."), "www.example.com");
        assert_eq!(canonical_name("\\052.example.com."), "*.example.com");
        assert_eq!(canonical_name("a\\100b.example.com"), "a@b.example.com");
        assert_eq!(canonical_name("example.com"), "example.com");
        // Non-ASCII names arrive one escaped octet at a time: UTF-8, not Latin-1.
        assert_eq!(
            canonical_name("\\344\\270\\255.example.com."),
            "中.example.com"
        );
        assert_eq!(canonical_name("\\377x.example.com"), "\\377x.example.com");
        assert_eq!(canonical_name("a.example.\\052"), "a.example.*");
        assert_ne!(canonical_name("dualstack.x.com"), canonical_name("x.com"));
    }

    #[test]
    fn names_are_qualified_within_their_zone() {
        assert_eq!(qualify("www", "example.com"), "www.example.com");
        assert_eq!(
            qualify("WWW.example.com.", "example.com"),
            "www.example.com"
        );
        assert_eq!(qualify("", "example.com"), "example.com");
        assert_eq!(qualify("example.com", "example.com"), "example.com");
        // a name that merely ends with the zone's letters is not inside it
        assert_eq!(
            qualify("myexample.com", "example.com"),
            "myexample.com.example.com"
        );
        assert_eq!(qualify("*", "example.com"), "*.example.com");
        assert_eq!(qualify("@", "example.com"), "@.example.com");
        assert_eq!(canonical_name("\\100.example.com."), "@.example.com");
    }

    /// The AWS provider sends a TXT value wrapped in quotes and reads one pair back off
    /// (`terraform apply` of `two\"\"parts` stores `"two""parts"`; a DKIM key over 255
    /// characters is written that way).
    #[test]
    fn txt_values_lose_only_single_outer_quotes() {
        assert_eq!(canonical_value("TXT", "\"v=spf1 -all\""), "v=spf1 -all");
        assert_eq!(canonical_value("TXT", "v=spf1 -all"), "v=spf1 -all");
        assert_eq!(canonical_value("TXT", "\"aaa\" \"bbb\""), "aaa\" \"bbb");
        assert_eq!(canonical_value("TXT", "\"two\"\"parts\""), "two\"\"parts");
        assert_eq!(canonical_value("TXT", "\""), "\"");
        assert_eq!(canonical_value("SPF", "\"x\""), "x");
        for code in ["v=spf1 -all", "two\"\"parts", "aaa\" \"bbb", "\"quoted\""] {
            assert_eq!(
                canonical_value("TXT", &api_value("TXT", code)),
                canonical_code_value("TXT", code),
                "{code}"
            );
        }
        // Code that quotes its value itself is sent with two pairs: not what AWS has.
        assert_ne!(
            canonical_code_value("TXT", "\"v=spf1 -all\""),
            canonical_value("TXT", "\"v=spf1 -all\"")
        );
        assert_eq!(canonical_value("A", "1.2.3.4"), "1.2.3.4");
        assert_eq!(
            canonical_value("CNAME", "Target.Example.com."),
            "target.example.com"
        );
        assert_eq!(
            canonical_value("MX", "10 Mail.Example.com."),
            "10 mail.example.com"
        );
    }

    #[test]
    fn zone_ids_lose_their_prefix() {
        assert_eq!(canonical_zone_id("/hostedzone/Z123"), "Z123");
        assert_eq!(canonical_zone_id("Z123"), "Z123");
    }

    /// Routing is compared where the code declares it: a weight changed in AWS is drift; a
    /// policy the code does not declare (or drift does not read) is not compared.
    #[test]
    fn declared_routing_is_compared() {
        let mut code = rec(Some(60), &["192.0.2.1"], None);
        code.set_identifier = Some("blue".into());
        let mut live = code.clone();
        live.routing.weight = Some(10);
        live.routing.health_check_id = Some("hc-1".into());
        assert!(code.changes(&live).is_empty(), "nothing declared");
        code.routing.weight = Some(90);
        let c = code.changes(&live);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "weighted_routing_policy.weight");
        assert_eq!(c[0].desired, Some(json!(90)));
        assert_eq!(c[0].live, Some(json!(10)));
        code.routing.weight = Some(10);
        assert!(code.changes(&live).is_empty());
        code.routing.failover = Some("PRIMARY".into());
        assert_eq!(code.changes(&live)[0].path, "failover_routing_policy.type");
    }

    fn rec(ttl: Option<i64>, records: &[&str], alias: Option<AliasTarget>) -> Record {
        Record {
            zone: "example.com".into(),
            name: "www.example.com".into(),
            rtype: "A".into(),
            set_identifier: None,
            ttl,
            records: records.iter().map(|s| s.to_string()).collect(),
            alias,
            routing: Box::default(),
        }
    }

    #[test]
    fn records_are_a_set_and_ttl_matters() {
        assert!(
            rec(Some(300), &["1.1.1.1", "2.2.2.2"], None)
                .changes(&rec(Some(300), &["2.2.2.2", "1.1.1.1"], None))
                .is_empty()
        );
        let c = rec(Some(300), &["1.1.1.1"], None).changes(&rec(Some(60), &["1.1.1.1"], None));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "ttl");
        assert_eq!(
            rec(Some(300), &["1.1.1.1"], None)
                .changes(&rec(Some(300), &["1.1.1.2"], None))
                .len(),
            1
        );
    }

    #[test]
    fn alias_ttl_is_ignored_and_dualstack_matters() {
        let a = AliasTarget::new("D111.CloudFront.net.", "Z2FDTNDATAQYW2", false);
        let b = AliasTarget::new("d111.cloudfront.net", "/hostedzone/Z2FDTNDATAQYW2", false);
        assert!(
            rec(None, &[], Some(a.clone()))
                .changes(&rec(Some(0), &[], Some(b)))
                .is_empty()
        );
        let ds = AliasTarget::new("dualstack.d111.cloudfront.net", "Z2FDTNDATAQYW2", false);
        assert_eq!(
            rec(None, &[], Some(a.clone()))
                .changes(&rec(None, &[], Some(ds)))
                .len(),
            1
        );
        let eth = AliasTarget::new("d111.cloudfront.net", "Z2FDTNDATAQYW2", true);
        assert_eq!(
            rec(None, &[], Some(a))
                .changes(&rec(None, &[], Some(eth)))
                .len(),
            1
        );
    }

    #[test]
    fn apex_ns_and_soa_are_implicit() {
        let mut r = rec(Some(172800), &["ns-1.awsdns-00.com"], None);
        r.name = "example.com".into();
        r.rtype = "NS".into();
        assert!(r.is_implicit());
        r.name = "sub.example.com".into();
        assert!(!r.is_implicit());
    }
}
