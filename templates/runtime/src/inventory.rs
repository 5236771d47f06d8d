//! What an inventory says about the host a run is for (`--inventory`): its variables
//! (group and host vars merged by the controller, some of them templated) and the
//! groups, for `groups` and `group_names`.
//!
//! The document is `{"vars": {..}, "var_templates": [..], "groups": {"all": [..], ..},
//! "group_names": [..]}`; every field may be left out. Inventory variables have the
//! lowest precedence there is: facts, plan, play and task variables all outrank them.

use crate::json::Value;
use crate::payload::{self, VarTable};

/// The inventory's view of one host.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub vars: VarTable,
    /// Every group with its hosts (`groups`); `None` when no inventory was given.
    pub groups: Option<Vec<(String, Vec<String>)>>,
    /// The host's groups (`group_names`).
    pub group_names: Vec<String>,
}

impl Inventory {
    /// Reads and checks an `--inventory` document. Errors are complete messages.
    pub fn decode(value: &Value) -> Result<Inventory, String> {
        if value.as_object().is_none() {
            return Err(invalid("the document", "an object", value));
        }
        let vars = payload::var_table(value, "vars", "var_templates", "inventory")
            .map_err(|e| e.replace("invalid payload: ", "invalid --inventory: "))?;
        let groups = match value.get("groups") {
            None | Some(Value::Null) => None,
            Some(Value::Object(entries)) => Some(
                entries
                    .iter()
                    .map(|(name, hosts)| {
                        strings(hosts, &format!("groups.{name}")).map(|h| (name.clone(), h))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(other) => return Err(invalid("groups", "an object", other)),
        };
        let group_names = match value.get("group_names") {
            None | Some(Value::Null) => Vec::new(),
            Some(list) => strings(list, "group_names")?,
        };
        Ok(Inventory {
            vars,
            groups,
            group_names,
        })
    }
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, String> {
    let Some(items) = value.as_array() else {
        return Err(invalid(path, "an array of strings", value));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Str(s) => Ok(s.clone()),
            other => Err(invalid(path, "an array of strings", other)),
        })
        .collect()
}

fn invalid(path: &str, expected: &str, found: &Value) -> String {
    format!(
        "invalid --inventory: {path}: expected {expected}, found {}",
        found.type_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn decode(text: &str) -> Result<Inventory, String> {
        Inventory::decode(&json::parse(text).unwrap())
    }

    #[test]
    fn reads_every_field() {
        let inv = decode(
            r#"{"vars": {"port": 8080, "url": "x"}, "var_templates": [[["url"], [["text", "http://"], ["out", ["var", "host"]]]]],
                "groups": {"all": ["web1", "db1"], "web": ["web1"]}, "group_names": ["web"]}"#,
        )
        .unwrap();
        assert_eq!(inv.vars.values[0], ("port".to_string(), Value::Int(8080)));
        assert_eq!(inv.vars.templates_of("url").count(), 1);
        let groups = inv.groups.unwrap();
        assert_eq!(groups[1], ("web".to_string(), vec!["web1".to_string()]));
        assert_eq!(inv.group_names, ["web"]);
    }

    #[test]
    fn every_field_may_be_left_out() {
        let inv = decode("{}").unwrap();
        assert!(inv.vars.values.is_empty() && inv.groups.is_none() && inv.group_names.is_empty());
    }

    #[test]
    fn refuses_wrong_shapes() {
        let cases = [
            ("[]", "the document: expected an object, found array"),
            (r#"{"vars": []}"#, "inventory.vars: expected object"),
            (
                r#"{"groups": []}"#,
                "groups: expected an object, found array",
            ),
            (
                r#"{"groups": {"web": [1]}}"#,
                "groups.web: expected an array of strings",
            ),
            (
                r#"{"group_names": "web"}"#,
                "group_names: expected an array of strings",
            ),
        ];
        for (text, message) in cases {
            let error = decode(text).unwrap_err();
            assert!(error.starts_with("invalid --inventory: "), "{error}");
            assert!(error.contains(message), "{text}: {error}");
        }
    }
}
