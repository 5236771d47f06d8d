//! User facts, following Ansible's `facts/system/user.py`.

use super::hardware::Fact;
use super::sys::PwEntry;
use crate::json::Value;

/// Python's `getpass.getuser()` environment lookup: the first non-empty of
/// `LOGNAME`, `USER`, `LNAME`, `USERNAME`.
pub(crate) fn login_name_from(lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .filter_map(|k| lookup(k))
        .find(|v| !v.is_empty())
}

/// The user facts. `env_user` is the login name from the environment,
/// `ids` the process's (uid, euid, gid, egid), and the two lookups query the
/// password database.
pub(crate) fn user_facts(
    env_user: Option<String>,
    ids: Option<(u32, u32, u32, u32)>,
    by_name: &dyn Fn(&str) -> Option<PwEntry>,
    by_uid: &dyn Fn(u32) -> Option<PwEntry>,
) -> Vec<Fact> {
    let mut out = Vec::new();
    let uid = ids.map(|i| i.0);
    // getpass.getuser(): the environment first, then the uid's entry.
    let user = env_user.or_else(|| uid.and_then(by_uid).map(|pw| pw.name));
    // pwd.getpwnam(user), falling back to pwd.getpwuid(os.getuid()).
    let entry = user
        .as_deref()
        .and_then(by_name)
        .or_else(|| uid.and_then(by_uid));
    if let Some(name) = user {
        out.push(("user_id", Value::Str(name)));
    }
    if let Some(pw) = entry {
        out.push(("user_uid", Value::Int(i64::from(pw.uid))));
        out.push(("user_gid", Value::Int(i64::from(pw.gid))));
        out.push(("user_gecos", Value::Str(pw.gecos)));
        out.push(("user_dir", Value::Str(pw.dir)));
        out.push(("user_shell", Value::Str(pw.shell)));
    }
    if let Some((uid, euid, gid, _egid)) = ids {
        out.push(("real_user_id", Value::Int(i64::from(uid))));
        out.push(("effective_user_id", Value::Int(i64::from(euid))));
        out.push(("real_group_id", Value::Int(i64::from(gid))));
        // Ansible reports os.getgid() here as well.
        out.push(("effective_group_id", Value::Int(i64::from(gid))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(name: &str, uid: u32, gecos: &str) -> PwEntry {
        PwEntry {
            name: name.to_string(),
            uid,
            gid: uid + 100,
            gecos: gecos.to_string(),
            dir: format!("/home/{name}"),
            shell: "/bin/bash".to_string(),
        }
    }

    fn db(name: &str) -> Option<PwEntry> {
        match name {
            "alice" => Some(pw("alice", 1000, "Alice Liddell,,,")),
            "bob" => Some(pw("bob", 1001, "")),
            _ => None,
        }
    }

    fn db_uid(uid: u32) -> Option<PwEntry> {
        match uid {
            1000 => db("alice"),
            1001 => db("bob"),
            _ => None,
        }
    }

    fn get<'a>(facts: &'a [Fact], name: &str) -> Option<&'a Value> {
        facts.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    #[test]
    fn environment_name_wins() {
        let facts = user_facts(
            Some("bob".into()),
            Some((1000, 1000, 1100, 0)),
            &db,
            &db_uid,
        );
        assert_eq!(get(&facts, "user_id"), Some(&Value::str("bob")));
        assert_eq!(get(&facts, "user_uid"), Some(&Value::Int(1001)));
        assert_eq!(get(&facts, "user_gid"), Some(&Value::Int(1101)));
        assert_eq!(get(&facts, "user_gecos"), Some(&Value::str("")));
        assert_eq!(get(&facts, "real_user_id"), Some(&Value::Int(1000)));
        assert_eq!(get(&facts, "effective_group_id"), Some(&Value::Int(1100)));
    }

    #[test]
    fn passwd_fallbacks() {
        let facts = user_facts(None, Some((1000, 0, 1100, 0)), &db, &db_uid);
        assert_eq!(get(&facts, "user_id"), Some(&Value::str("alice")));
        assert_eq!(
            get(&facts, "user_gecos"),
            Some(&Value::str("Alice Liddell,,,"))
        );
        assert_eq!(get(&facts, "user_dir"), Some(&Value::str("/home/alice")));
        assert_eq!(get(&facts, "user_shell"), Some(&Value::str("/bin/bash")));
        assert_eq!(get(&facts, "effective_user_id"), Some(&Value::Int(0)));
        // Unknown name in the environment: the uid's entry.
        let facts = user_facts(
            Some("ghost".into()),
            Some((1001, 1001, 1101, 1101)),
            &db,
            &db_uid,
        );
        assert_eq!(get(&facts, "user_id"), Some(&Value::str("ghost")));
        assert_eq!(get(&facts, "user_uid"), Some(&Value::Int(1001)));
        // No passwd entry at all: only the ids.
        let facts = user_facts(None, Some((4242, 4242, 4242, 4242)), &db, &db_uid);
        assert_eq!(get(&facts, "user_id"), None);
        assert_eq!(get(&facts, "real_user_id"), Some(&Value::Int(4242)));
        assert!(user_facts(None, None, &db, &db_uid).is_empty());
        let env = |k: &str| match k {
            "LOGNAME" => Some(String::new()),
            "USER" => Some("carol".to_string()),
            _ => None,
        };
        assert_eq!(login_name_from(&env).as_deref(), Some("carol"));
    }
}
