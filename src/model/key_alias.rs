//! A KMS alias whose key the code does not declare (`aws_kms_alias` with a literal key id or
//! ARN, a variable, a data source): what can be checked is that the alias exists and names
//! that key. Keys are named by their natural reference `key/KEY_ID`; aliases by `alias/NAME`.

/// The key an alias names, as `key/KEY_ID` (the key id, never its ARN or another alias: AWS's
/// `CreateAlias` takes only a key id or key ARN, and an ARN is reduced to its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAlias {
    pub key: String,
}

impl KeyAlias {
    pub fn changes(&self, live: &KeyAlias) -> Vec<super::Change> {
        if self.key == live.key {
            Vec::new()
        } else {
            vec![super::Change::changed(
                "target_key_id",
                serde_json::Value::String(self.key.clone()),
                serde_json::Value::String(live.key.clone()),
            )]
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "target_key_id": self.key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_naming_another_key_is_a_change_of_its_target() {
        let code = KeyAlias {
            key: "key/1234".into(),
        };
        assert!(code.changes(&code.clone()).is_empty());
        let live = KeyAlias {
            key: "key/9999".into(),
        };
        let c = code.changes(&live);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "target_key_id");
        assert_eq!(c[0].live, Some(serde_json::json!("key/9999")));
    }
}
