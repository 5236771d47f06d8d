//! Variable lookup for templates and conditions, with Ansible's precedence.
//!
//! Extra vars > loop and task-local names > registered results and `set_fact` >
//! task vars > play vars > plan variables > magic variables and facts > inventory
//! variables. Variables whose values hold templates are rendered when read, in the
//! same scope.

use crate::cli::Options;
use crate::facts::FactCache;
use crate::inventory::Inventory;
use crate::jinja::{self, EvalError, Template, Vars};
use crate::json::Value;
use crate::payload::{FactList, PathPart, Payload, Placed, Play, Task, VarTable};
use std::cell::RefCell;

/// What `omit` stands for; arguments equal to it are dropped before the module runs.
pub const OMIT: &str = "__omit_place_holder__rustle";

/// The state a host's variables come from.
pub struct HostState<'a> {
    pub payload: &'a Payload,
    pub opts: &'a Options,
    pub host: String,
    /// `register` results and `set_fact` values (one tier, later wins).
    pub registered: Vec<(String, Value)>,
    pub facts: FactCache,
    /// The host's inventory variables and groups (`--inventory`).
    pub inventory: Inventory,
}

/// One lookup context: a host, the play and task being run, and local names.
pub struct Scope<'s, 'a> {
    pub state: &'s HostState<'a>,
    pub play: Option<&'a Play>,
    pub task: Option<&'a Task>,
    /// `item` and friends, and the task's own result while `changed_when` runs.
    pub locals: Vec<(String, Value)>,
    /// Names being rendered, to stop `x: "{{ x }}"` from recursing forever.
    rendering: RefCell<Vec<String>>,
}

impl<'s, 'a> Scope<'s, 'a> {
    pub fn new(state: &'s HostState<'a>, play: Option<&'a Play>, task: Option<&'a Task>) -> Self {
        Scope {
            state,
            play,
            task,
            locals: Vec::new(),
            rendering: RefCell::new(Vec::new()),
        }
    }

    /// The JSON value of a variable (rendered), `None` when it does not exist.
    pub fn json(&self, name: &str) -> Result<Option<Value>, EvalError> {
        match self.lookup(name)? {
            Some(v) => v.to_json().map(Some),
            None => Ok(None),
        }
    }

    /// `value` with every template rendered into its place.
    pub fn render(&self, value: &Value, templates: &[Placed]) -> Result<Value, EvalError> {
        let placed = templates.iter().map(|p| (p.path.as_slice(), &p.template));
        self.render_placed(value.clone(), placed)
    }

    fn render_placed<'t>(
        &self,
        mut value: Value,
        templates: impl Iterator<Item = (&'t [PathPart], &'t Template)>,
    ) -> Result<Value, EvalError> {
        for (path, template) in templates {
            let rendered = jinja::render(template, self)?.to_json()?;
            put(&mut value, path, rendered);
        }
        Ok(value)
    }

    fn table_value(&self, table: &VarTable, name: &str) -> Result<Option<jinja::Value>, EvalError> {
        let Some(value) = find(&table.values, name) else {
            return Ok(None);
        };
        let mut templates = table.templates_of(name).peekable();
        if templates.peek().is_none() {
            return Ok(Some(jinja::Value::from_json(value)));
        }
        if self.rendering.borrow().iter().any(|n| n == name) {
            return Err(EvalError {
                message: format!("recursive loop detected in template string: {{{{ {name} }}}}"),
            });
        }
        self.rendering.borrow_mut().push(name.to_string());
        let rendered = self.render_placed(value.clone(), templates);
        self.rendering.borrow_mut().pop();
        rendered.map(|v| Some(jinja::Value::from_json(&v)))
    }

    fn magic(&self, name: &str) -> Result<Option<Value>, EvalError> {
        let state = self.state;
        let host = &state.host;
        Ok(Some(match name {
            "inventory_hostname" => Value::str(host),
            "inventory_hostname_short" => Value::str(host.split('.').next().unwrap_or_default()),
            "ansible_check_mode" => Value::Bool(state.opts.check),
            "ansible_verbosity" => Value::Int(i64::from(state.opts.verbosity)),
            "ansible_play_hosts" | "ansible_play_batch" | "play_hosts" => {
                Value::Array(vec![Value::str(host)])
            }
            "ansible_play_name" => Value::str(self.play.map_or("", |p| p.name.as_str())),
            "group_names" => strings(&state.inventory.group_names),
            "groups" => match &state.inventory.groups {
                Some(groups) => Value::Object(
                    groups
                        .iter()
                        .map(|(name, hosts)| (name.clone(), strings(hosts)))
                        .collect(),
                ),
                None => Value::Object(vec![(
                    "all".to_string(),
                    Value::Array(vec![Value::str(host)]),
                )]),
            },
            "omit" => Value::str(OMIT),
            "ansible_facts" => Value::Object(self.fact_table()),
            "hostvars" => Value::Object(vec![(host.clone(), self.host_vars())]),
            _ => match name.strip_prefix("ansible_") {
                Some(fact) => match state.facts.get(fact) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                None => return Ok(None),
            },
        }))
    }

    /// The facts the plan reads (all of them for `ansible_facts` used whole).
    fn fact_table(&self) -> Vec<(String, Value)> {
        match &self.state.payload.facts {
            FactList::All => self.state.facts.all(),
            FactList::Names(names) => names
                .iter()
                .filter_map(|n| self.state.facts.get(n).map(|v| (n.clone(), v)))
                .collect(),
        }
    }

    /// Every variable this host can see, for `hostvars[inventory_hostname]`.
    fn host_vars(&self) -> Value {
        let state = self.state;
        let mut names: Vec<String> = Vec::new();
        let tables = [
            Some(&state.payload.variables),
            self.play.map(|p| &p.vars),
            self.task.map(|t| &t.vars),
            Some(&state.inventory.vars),
        ];
        for table in tables.into_iter().flatten() {
            names.extend(table.values.iter().map(|(k, _)| k.clone()));
        }
        names.extend(state.registered.iter().map(|(k, _)| k.clone()));
        names.extend(state.opts.extra_vars.iter().map(|(k, _)| k.clone()));
        let mut out: Vec<(String, Value)> = Vec::new();
        for name in names {
            if out.iter().any(|(k, _)| *k == name) {
                continue;
            }
            // A variable that cannot be rendered is left out, as Ansible's lazy hostvars do.
            if let Ok(Some(value)) = self.json(&name) {
                out.push((name, value));
            }
        }
        let facts = self.fact_table();
        for (fact, value) in &facts {
            out.push((format!("ansible_{fact}"), value.clone()));
        }
        out.push(("ansible_facts".to_string(), Value::Object(facts)));
        out.push(("inventory_hostname".to_string(), Value::str(&state.host)));
        Value::Object(out)
    }
}

impl Vars for Scope<'_, '_> {
    fn lookup(&self, name: &str) -> Result<Option<jinja::Value>, EvalError> {
        let state = self.state;
        let concrete = find(&state.opts.extra_vars, name)
            .or_else(|| find(&self.locals, name))
            .or_else(|| find(&state.registered, name));
        if let Some(value) = concrete {
            return Ok(Some(jinja::Value::from_json(value)));
        }
        let tables = [
            self.task.map(|t| &t.vars),
            self.play.map(|p| &p.vars),
            Some(&state.payload.variables),
        ];
        for table in tables.into_iter().flatten() {
            if let Some(value) = self.table_value(table, name)? {
                return Ok(Some(value));
            }
        }
        if let Some(value) = self.magic(name)? {
            return Ok(Some(jinja::Value::from_json(&value)));
        }
        self.table_value(&state.inventory.vars, name)
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(Value::str).collect())
}

/// The last value bound to `name`.
pub fn find<'v>(vars: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Stores `new` at `path` inside `root` (a missing step leaves `root` unchanged).
fn put(root: &mut Value, path: &[PathPart], new: Value) {
    let mut slot = root;
    for part in path {
        let next = match (part, slot) {
            (PathPart::Key(key), Value::Object(members)) => members
                .iter_mut()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v),
            (PathPart::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(next) => slot = next,
            None => return,
        }
    }
    *slot = new;
}

/// Drops every object member and array item equal to [`OMIT`], at any depth.
pub fn remove_omitted(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|(_, v)| v.as_str() != Some(OMIT));
            members.iter_mut().for_each(|(_, v)| remove_omitted(v));
        }
        Value::Array(items) => {
            items.retain(|v| v.as_str() != Some(OMIT));
            items.iter_mut().for_each(remove_omitted);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn put_follows_keys_and_indexes() {
        let mut v = parse(r#"{"a": [1, {"b": "x"}]}"#).unwrap();
        put(
            &mut v,
            &[
                PathPart::Key("a".into()),
                PathPart::Index(1),
                PathPart::Key("b".into()),
            ],
            Value::Int(5),
        );
        assert_eq!(v.to_compact(), r#"{"a":[1,{"b":5}]}"#);
        put(&mut v, &[], Value::Bool(true));
        assert_eq!(v, Value::Bool(true));
    }

    #[test]
    fn omitted_values_disappear() {
        let mut v = parse(&format!(r#"{{"a": "{OMIT}", "b": [1, "{OMIT}"], "c": 2}}"#)).unwrap();
        remove_omitted(&mut v);
        assert_eq!(v.to_compact(), r#"{"b":[1],"c":2}"#);
    }
}
