//! Tag selection with Ansible's rules (`always`, `never`, `all`, `tagged`,
//! `untagged`).

use crate::cli::Options;
use crate::payload::Task;

fn has(set: &[String], tag: &str) -> bool {
    set.iter().any(|t| t == tag)
}

fn intersects(a: &[String], b: &[String]) -> bool {
    a.iter().any(|t| has(b, t))
}

/// Whether a task with `task_tags` runs for the requested `only` tags
/// (empty = "all") and `skip` tags.
pub fn should_run(task_tags: &[String], only: &[String], skip: &[String]) -> bool {
    let untagged = ["untagged".to_string()];
    let all = ["all".to_string()];
    let is_tagged = !task_tags.is_empty();
    // An untagged task behaves as if it were tagged "untagged".
    let tags: &[String] = if is_tagged { task_tags } else { &untagged };
    let only: &[String] = if only.is_empty() { &all } else { only };

    let selected = has(tags, "always")
        || (has(only, "all") && !has(tags, "never"))
        || intersects(tags, only)
        || (has(only, "tagged") && is_tagged && !has(tags, "never"));
    if !selected {
        return false;
    }
    if has(skip, "all") {
        return has(tags, "always") && !has(skip, "always");
    }
    !(intersects(tags, skip) || (has(skip, "tagged") && is_tagged))
}

/// Tag selection for a task, including its `skip_tags` field: a task whose
/// `skip_tags` names any explicitly requested tag does not run.
pub fn task_selected(task: &Task, opts: &Options) -> bool {
    should_run(&task.tags, &opts.tags, &opts.skip_tags) && !intersects(&task.skip_tags, &opts.tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        crate::cli::split_tags(s)
    }

    #[test]
    fn selection_table() {
        // (task tags, --tags, --skip-tags, expected)
        let table = [
            ("", "", "", true),
            ("a", "", "", true),
            ("never", "", "", false),
            ("never,a", "", "", false),
            ("never,a", "a", "", true),
            ("never", "never", "", true),
            ("never,a", "all", "", false),
            ("never,a", "tagged", "", false),
            ("a", "a", "", true),
            ("a,b", "b,c", "", true),
            ("a", "b", "", false),
            ("", "b", "", false),
            ("always", "b", "", true),
            ("always", "b", "always", false),
            ("always", "", "all", true),
            ("always", "", "all,always", false),
            ("a", "", "all", false),
            ("a", "all", "", true),
            ("a", "tagged", "", true),
            ("", "tagged", "", false),
            ("", "untagged", "", true),
            ("a", "untagged", "", false),
            ("a", "", "a", false),
            ("a,b", "a", "b", false),
            ("a", "", "tagged", false),
            ("", "", "tagged", true),
            ("", "", "untagged", false),
            ("a", "", "untagged", true),
            ("always", "", "", true),
        ];
        for (task, only, skip, expected) in table {
            assert_eq!(
                should_run(&v(task), &v(only), &v(skip)),
                expected,
                "tags={task:?} --tags={only:?} --skip-tags={skip:?}"
            );
        }
    }

    #[test]
    fn task_skip_tags_field() {
        let task = Task {
            task_id: "t".into(),
            name: "t".into(),
            module: "debug".into(),
            tags: v("a"),
            skip_tags: v("b"),
            ..Task::default()
        };
        let mut opts = Options::default();
        assert!(task_selected(&task, &opts));
        opts.tags = v("a");
        assert!(task_selected(&task, &opts));
        opts.tags = v("a,b");
        assert!(!task_selected(&task, &opts));
    }
}
