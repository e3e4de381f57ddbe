//! `queue`: the workers, their settings, and the SQS queues each consumes. Worker keys and queue
//! names are checked against AWS's limits on the names derived from them and against each
//! other's logical ids, all through [`crate::naming`], so the stage builder can name them.

use super::check::{join, Checker, Fields, Finding, Located};
use super::yaml::{Kind, Node};
use super::{defaults, Worker};
use crate::naming::{self, Clash, Scheme, TakenIds};
use std::collections::{BTreeMap, HashMap};

/// Longest visibility timeout and retry delay SQS allows (12 hours), in seconds.
const MAX_SQS_SECONDS: i64 = 43_200;

const WORKER_KEYS: &[&str] = &[
    "memory",
    "timeout",
    "concurrency",
    "tries",
    "backoff",
    "queues",
    "visibility-timeout",
];

/// A worker key or queue name and the line it was first written on.
#[derive(Clone, Debug)]
struct First {
    name: String,
    line: usize,
}

/// What the checks of `queue` carry from one worker to the next.
#[derive(Default)]
struct Seen {
    /// Collision key of every worker key accepted so far.
    worker_keys: HashMap<String, First>,
    /// The worker consuming each queue listed so far.
    consumers: HashMap<String, String>,
    /// Every queue accepted so far, in manifest order.
    queues: Vec<Located>,
    /// Collision key of every queue that passed the collision check.
    queue_keys: HashMap<String, First>,
    /// Logical ids taken in both schemes.
    ids: TakenIds,
}

/// One worker entry: its key as written.
struct WorkerKey<'n> {
    name: &'n str,
    node: &'n Node,
    path: String,
}

/// ` in a stage the original Hover deployed`, when the clash is in that scheme's ids.
fn in_scheme(clash: &Clash) -> &'static str {
    match clash.scheme {
        Scheme::Hover => "",
        Scheme::Original => " in a stage the original Hover deployed",
    }
}

/// Why worker `worker` may not consume `queue`, given the queues it listed before and the worker
/// of every queue listed so far.
fn queue_refusal(
    queue: &str,
    worker: &str,
    listed: &[String],
    consumers: &HashMap<String, String>,
) -> Option<Finding> {
    let base = queue.strip_suffix(".fifo").unwrap_or(queue);
    if !naming::is_simple_name(base) {
        return Some(Finding::new(format!("queue name `{queue}` may only hold letters, digits, `-` and `_` (and end in `.fifo`)"), None));
    }
    if listed.iter().any(|q| q == queue) {
        let message = format!("queue `{queue}` is listed twice in worker `{worker}`");
        return Some(Finding::new(message, None));
    }
    consumers.get(queue).map(|other| {
        Finding::new(
            format!("queue `{queue}` is consumed by workers `{other}` and `{worker}`; a queue feeds exactly one worker"),
            Some("list it under one worker only".to_string()),
        )
    })
}

impl Checker<'_> {
    pub(super) fn queue(&mut self, node: &Node, name: Option<&str>) -> BTreeMap<String, Worker> {
        let mut workers = BTreeMap::new();
        let help = "write one key per worker: `queue:\\n  default:\\n    tries: 3`";
        let entries = self.entries(node, "queue", "expected a mapping of workers", help);
        let mut seen = Seen::default();
        for (key, value) in entries {
            let Some(worker) = key.scalar() else { continue };
            let key = WorkerKey {
                name: worker,
                node: key,
                path: join("queue", worker),
            };
            if !self.worker_key(&key, name, &mut seen) {
                continue;
            }
            let f = self.fields(value, &key.path, WORKER_KEYS);
            let mut settings = self.worker(&f, &key.path);
            settings.queues = self.consumed_queues(&f, &key, name, &mut seen);
            workers.insert(worker.to_string(), settings);
        }
        self.queue_collisions(&mut seen);
        workers
    }

    /// Whether a worker key can name the worker's resources: its characters, its logical ids
    /// against every earlier worker's, and the length of its function name (reported, not
    /// refused).
    fn worker_key(&mut self, key: &WorkerKey<'_>, name: Option<&str>, seen: &mut Seen) -> bool {
        let (worker, path) = (key.name, key.path.as_str());
        if !naming::is_simple_name(worker) {
            self.report(
                key.node,
                path,
                &format!("worker key `{worker}` may only hold letters, digits, `-` and `_`"),
                Some("it becomes part of the function name `<name>-<worker>-queue`".into()),
            );
            return false;
        }
        let collision = naming::collision_key(worker);
        if let Some(first) = seen.worker_keys.get(&collision) {
            self.report(
                key.node,
                path,
                &format!("worker keys `{}` (line {}) and `{worker}` differ only by `-`, `_` or case: their CloudFormation logical ids would collide", first.name, first.line),
                Some("rename one of them".into()),
            );
            return false;
        }
        if let Err(clash) = seen.ids.worker(worker) {
            self.report(
                key.node,
                path,
                &format!(
                    "worker key `{worker}` would take the CloudFormation logical id `{}` of {}{}",
                    clash.id,
                    clash.owner,
                    in_scheme(&clash)
                ),
                Some("rename the worker".into()),
            );
            return false;
        }
        let first = First {
            name: worker.to_string(),
            line: key.node.line,
        };
        seen.worker_keys.insert(collision, first);
        if let Some(function) = name.map(|n| naming::worker_limit(n, worker)) {
            if function.too_long() {
                self.report(
                    key.node,
                    path,
                    &format!(
                        "worker key `{worker}` is too long: the function `{}` would have {} characters, Lambda allows {}",
                        function.name,
                        function.name.len(),
                        function.limit
                    ),
                    Some(format!(
                        "use a worker key of at most {} characters",
                        function.room(worker.len())
                    )),
                );
            }
        }
        true
    }

    /// A worker's settings, every omitted one at its default; no queues yet.
    fn worker(&mut self, f: &Fields<'_>, path: &str) -> Worker {
        let memory = self.memory(f, path, defaults::QUEUE_MEMORY);
        let timeout_set = f
            .value("timeout")
            .map(|v| self.timeout(v, &join(path, "timeout"), defaults::QUEUE_TIMEOUT));
        let timeout = timeout_set.flatten().unwrap_or(defaults::QUEUE_TIMEOUT);
        let concurrency = self.concurrency(f, path);
        let tries = f
            .value("tries")
            .and_then(|v| self.tries(v, &join(path, "tries")))
            .unwrap_or(defaults::QUEUE_TRIES);
        let backoff = f
            .value("backoff")
            .and_then(|v| self.backoff(v, &join(path, "backoff")))
            .unwrap_or_default();
        let visibility_timeout = f
            .value("visibility-timeout")
            .and_then(|v| {
                let timeout_refused = timeout_set == Some(None);
                self.visibility_timeout(
                    v,
                    &join(path, "visibility-timeout"),
                    timeout,
                    timeout_refused,
                )
            })
            .unwrap_or(timeout + defaults::VISIBILITY_MARGIN);
        Worker {
            memory,
            timeout,
            concurrency,
            tries,
            backoff,
            visibility_timeout,
            queues: Vec::new(),
        }
    }

    fn tries(&mut self, node: &Node, path: &str) -> Option<u32> {
        if self.original_zero(node, path, "unlimited retries", format!("hover never retries forever: after `tries` receives a message moves to the dead-letter queue; write the attempts you want (1–1000), or remove the key for {}", defaults::QUEUE_TRIES)) {
            return None;
        }
        self.ranged(node, path, 1, 1000, "tries")
    }

    /// A visibility timeout no shorter than the worker's timeout (unless that timeout was
    /// refused: then only the range is checked).
    fn visibility_timeout(
        &mut self,
        node: &Node,
        path: &str,
        timeout: u32,
        timeout_refused: bool,
    ) -> Option<u32> {
        let vt = self.ranged(
            node,
            path,
            0,
            MAX_SQS_SECONDS,
            "visibility timeout (seconds)",
        )?;
        if vt < timeout && !timeout_refused {
            self.report(
                node,
                path,
                &format!("visibility timeout {vt} s is shorter than the worker's timeout {timeout} s: a message would be delivered again while it is still being processed"),
                Some(format!("allowed: {timeout}–{MAX_SQS_SECONDS}; omit it for timeout + {}", defaults::VISIBILITY_MARGIN)),
            );
            return None;
        }
        Some(vt)
    }

    /// `backoff`: `"5, 10"`, `5`, or `[5, 10]`.
    fn backoff(&mut self, node: &Node, path: &str) -> Option<Vec<u32>> {
        let parts: Vec<String> = match &node.kind {
            Kind::Null => return Some(Vec::new()),
            Kind::Scalar { value, .. } => {
                if value.trim().is_empty() {
                    return Some(Vec::new());
                }
                value.split(',').map(|p| p.trim().to_string()).collect()
            }
            Kind::Seq(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    let n =
                        self.ranged(item, &item_path, 0, MAX_SQS_SECONDS, "backoff (seconds)")?;
                    out.push(n);
                }
                return Some(out);
            }
            Kind::Map(_) => {
                self.report(
                    node,
                    path,
                    "expected a backoff like `\"5, 10\"`, found a mapping",
                    None,
                );
                return None;
            }
        };
        let parsed: Option<Vec<u32>> = parts
            .iter()
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<u32>()
                    .ok()
                    .filter(|n| i64::from(*n) <= MAX_SQS_SECONDS)
            })
            .collect();
        if parsed.is_none() {
            let raw = node.scalar().unwrap_or("");
            self.report(
                node,
                path,
                &format!("malformed backoff `{raw}`"),
                Some(format!(
                    "seconds between retries as whole numbers from 0 to {MAX_SQS_SECONDS}, separated by commas: `\"5, 10\"`"
                )),
            );
        }
        parsed
    }

    /// The queues a worker lists under `queues`, or the one named after it.
    fn listed_queues(&mut self, f: &Fields<'_>, key: &WorkerKey<'_>) -> Vec<Located> {
        let Some(entry) = f
            .get("queues")
            .filter(|e| !matches!(e.value.kind, Kind::Null))
        else {
            return vec![Located {
                value: key.name.to_string(),
                span: key.node.span,
                line: key.node.line,
                path: key.path.clone(),
            }];
        };
        let path = join(&key.path, "queues");
        let items = self.strings(entry.value, &path);
        if items.is_empty() && matches!(entry.value.kind, Kind::Seq(_)) {
            self.report(
                entry.key,
                &path,
                "a worker needs at least one queue",
                Some("list its queues, or remove `queues` to consume the queue named after the worker".into()),
            );
        }
        items
    }

    /// The queues a worker consumes: each a valid name, listed once, consumed by no other
    /// worker, with a dead-letter queue name SQS accepts (reported, not refused).
    fn consumed_queues(
        &mut self,
        f: &Fields<'_>,
        key: &WorkerKey<'_>,
        name: Option<&str>,
        seen: &mut Seen,
    ) -> Vec<String> {
        let worker = key.name;
        let mut queues: Vec<String> = Vec::new();
        for item in self.listed_queues(f, key) {
            let queue = item.value.as_str();
            let refusal = queue_refusal(queue, worker, &queues, &seen.consumers);
            if let Some(refusal) = refusal {
                self.report_at(&item, &refusal.message, refusal.help);
                continue;
            }
            seen.consumers.insert(queue.to_string(), worker.to_string());
            if let Some(name) = name {
                self.dead_letter_length(&item, name);
            }
            queues.push(item.value.clone());
            seen.queues.push(item);
        }
        queues
    }

    /// Reports a queue whose dead-letter queue name would be longer than SQS accepts.
    fn dead_letter_length(&mut self, item: &Located, name: &str) {
        let queue = &item.value;
        let dlq = naming::dead_letter_limit(name, queue);
        if !dlq.too_long() {
            return;
        }
        let base = queue.strip_suffix(".fifo");
        self.report_at(
            item,
            &format!(
                "queue name `{queue}` is too long: its dead-letter queue `{}` would have {} characters, SQS allows {}",
                dlq.name,
                dlq.name.len(),
                dlq.limit
            ),
            Some(format!(
                "use a queue name of at most {} characters{}",
                dlq.room(base.unwrap_or(queue).len()),
                if base.is_some() { " before `.fifo`" } else { "" }
            )),
        );
    }

    /// Queue names whose logical ids would collide (`mail-sender` / `mail_sender`, `orders` /
    /// `orders.fifo`), including with the `…DeadLetter` and `…Mapping` ids of another queue.
    fn queue_collisions(&mut self, seen: &mut Seen) {
        for item in &seen.queues {
            let queue = &item.value;
            let keys = naming::queue_collision_keys(queue);
            if let Some(first) = keys.iter().find_map(|k| seen.queue_keys.get(k)) {
                self.report_at(
                    item,
                    &format!("queue names `{}` (line {}) and `{queue}` would collide as CloudFormation logical ids (letters and digits only)", first.name, first.line),
                    Some("rename one of them".into()),
                );
            } else if let Err(clash) = seen.ids.queue(queue) {
                self.report_at(
                    item,
                    &format!("queue name `{queue}` would take the CloudFormation logical id `{}` of {}{}", clash.id, clash.owner, in_scheme(&clash)),
                    Some("rename one of them".into()),
                );
            } else {
                let first = First {
                    name: queue.clone(),
                    line: item.line,
                };
                seen.queue_keys.insert(naming::collision_key(queue), first);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::minimal;
    use pretty_assertions::assert_eq;

    #[test]
    fn backoff_forms() {
        let backoff = |v: &str| {
            minimal(&format!("queue:\n  w:\n    backoff: {v}\n")).queue["w"]
                .backoff
                .clone()
        };
        assert_eq!(backoff("\"5, 10\""), vec![5, 10]);
        assert_eq!(backoff("5,10,30"), vec![5, 10, 30]);
        assert_eq!(backoff("7"), vec![7]);
        assert_eq!(backoff("\"1\""), vec![1]);
        assert_eq!(backoff("[1, 2, 3]"), vec![1, 2, 3]);
        assert_eq!(backoff("\"\""), Vec::<u32>::new());
        assert_eq!(backoff("0"), vec![0]);
    }
}
