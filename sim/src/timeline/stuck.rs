//! The shims' tasks still blocked when a run ended, read off the timeline's open slices
//! ([`Timeline::open`](super::Timeline::open)) as the history's plain data
//! ([`properties::StuckTask`]): per task, the locks it held (`lock_hold`) and the
//! innermost thing it waited for (`lock_wait`, `agent_rpc` or `wait`, the latest begun).

use std::collections::BTreeMap;

use properties::{Lock, StuckTask, Waiting};

use super::Mark;

/// The stuck tasks of the open slices `open`, in the order they began. A slice outside
/// any named task (none today) is left out.
pub fn stuck_tasks(open: &[Mark]) -> Vec<StuckTask> {
    let mut tasks: BTreeMap<u64, StuckTask> = BTreeMap::new();
    let mut order: Vec<u64> = Vec::new();
    for mark in open {
        let Mark::Slice {
            node,
            kind,
            start_ns,
            fields,
            ..
        } = mark
        else {
            continue;
        };
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        let Some(id) = fields.get("task_id").and_then(|id| id.parse::<u64>().ok()) else {
            continue;
        };
        let task = tasks.entry(id).or_insert_with(|| {
            order.push(id);
            let request = fields
                .get("task_method")
                .map(|m| (m.clone(), field("task_container")));
            StuckTask {
                sandbox: node.strip_prefix("shim-").unwrap_or(node).to_string(),
                task: field("task"),
                request,
                waits_for: None,
                holds: Vec::new(),
            }
        });
        let lock = || Lock {
            lock: field("lock"),
            mode: field("mode"),
            container: field("container"),
        };
        let waiting = match *kind {
            "lock_hold" => {
                task.holds.push(lock());
                continue;
            }
            "lock_wait" => Waiting::Lock(lock()),
            "agent_rpc" => Waiting::Agent {
                method: field("method"),
            },
            "wait" if fields.contains_key("role") => Waiting::Task {
                task: format!("the {} of {}", field("role"), field("container")),
            },
            "wait" => Waiting::Other {
                on: field("on"),
                container: field("container"),
            },
            _ => continue,
        };
        // The latest wait begun is the innermost.
        if task
            .waits_for
            .as_ref()
            .is_none_or(|(_, since)| *since <= *start_ns)
        {
            task.waits_for = Some((waiting, *start_ns));
        }
    }
    order
        .into_iter()
        .filter_map(|id| tasks.remove(&id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(kind: &'static str, start_ns: u64, fields: &[(&str, &str)]) -> Mark {
        Mark::Slice {
            node: "shim-pod1".into(),
            kind,
            start_ns,
            end_ns: 100,
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn each_task_gets_its_holds_and_its_innermost_wait() {
        let open = [
            slice(
                "lock_hold",
                1,
                &[
                    ("task", "Create pod1-c1"),
                    ("task_id", "7"),
                    ("task_method", "Create"),
                    ("task_container", "pod1-c1"),
                    ("lock", "containers"),
                    ("mode", "write"),
                    ("container", "pod1-c1"),
                ],
            ),
            slice(
                "agent_rpc",
                2,
                &[
                    ("task", "Create pod1-c1"),
                    ("task_id", "7"),
                    ("task_method", "Create"),
                    ("task_container", "pod1-c1"),
                    ("method", "create_container"),
                    ("container", "pod1-c1"),
                ],
            ),
            slice(
                "lock_wait",
                3,
                &[
                    ("task", "the exit watcher of pod1-c2"),
                    ("task_id", "9"),
                    ("lock", "containers"),
                    ("mode", "read"),
                    ("container", "pod1-c2"),
                ],
            ),
            slice("agent_rpc", 4, &[("method", "check")]),
        ];
        let stuck = stuck_tasks(&open);
        assert_eq!(stuck.len(), 2);
        assert_eq!(stuck[0].sandbox, "pod1");
        assert_eq!(stuck[0].task, "Create pod1-c1");
        assert_eq!(
            stuck[0].request,
            Some(("Create".to_string(), "pod1-c1".to_string()))
        );
        assert_eq!(stuck[0].holds.len(), 1);
        assert_eq!(
            stuck[0].waits_for,
            Some((
                Waiting::Agent {
                    method: "create_container".into()
                },
                2
            ))
        );
        assert_eq!(stuck[1].request, None);
        assert!(matches!(
            &stuck[1].waits_for,
            Some((Waiting::Lock(l), 3)) if l.lock == "containers" && l.mode == "read"
        ));
    }
}
