//! `set_fact`: the rendered `facts` become host variables (the executor stores them).

use super::{Outcome, Status};
use crate::json::Value;

pub fn run(args: &Value) -> Outcome {
    let facts = match args.get("facts") {
        Some(Value::Object(members)) => members.clone(),
        _ => return Outcome::failed("set_fact: 'facts' must be an object"),
    };
    let mut out = Outcome::new(Status::Ok, false, "");
    out.msg = Value::Null;
    out.extra
        .push(("ansible_facts".to_string(), Value::Object(facts)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn facts_come_back_in_ansible_facts() {
        let o = run(&parse(r#"{"facts": {"a": [1, 2], "b": "x"}}"#).unwrap());
        assert_eq!(o.status, Status::Ok);
        assert!(!o.changed);
        assert_eq!(
            o.result_object().get("ansible_facts").unwrap().to_compact(),
            r#"{"a":[1,2],"b":"x"}"#
        );
        assert_eq!(run(&parse("{}").unwrap()).status, Status::Failed);
    }
}
