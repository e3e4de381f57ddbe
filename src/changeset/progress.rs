//! Stack events turned into typed resource progress (`render::events` prints it in Terraform's
//! manner: `http function: Creating...`, `Still modifying... [10s elapsed]`), with counts for an
//! "N of M done" bar. Deterministic: time comes from the events and from the caller.

use super::StackEvent;
use crate::events::{Event, Op, ResourceState};
use crate::model::{Provisioner, StackStatus};
use crate::plan::{Action, Plan};
use std::collections::{BTreeMap, HashSet};

/// How often a resource in flight gets a "Still ..." line, in milliseconds.
const STILL_EVERY_MS: i64 = 10_000;

/// The operation a stack status is part of.
fn op_of(status: &str) -> Option<Op> {
    if status.starts_with("CREATE_") {
        Some(Op::Create)
    } else if status.starts_with("UPDATE_") {
        Some(Op::Modify)
    } else if status.starts_with("DELETE_") {
        Some(Op::Destroy)
    } else {
        None
    }
}

#[derive(Clone, Debug)]
struct InFlight {
    op: Op,
    started_ms: i64,
    /// The last "Still ..." step reported, in multiples of [`STILL_EVERY_MS`].
    reported_steps: i64,
}

/// Consumes stack events and yields progress lines. Counts completed resource operations (`done`)
/// against the expected number (`total`, where a replacement counts twice: create and destroy, as in
/// the plan summary). Operations completed while the stack rolls back are not counted as done.
#[derive(Clone, Debug)]
pub struct Progress {
    stack_name: String,
    roles: BTreeMap<String, String>,
    in_flight: BTreeMap<String, InFlight>,
    seen: HashSet<String>,
    done: usize,
    total: usize,
    failed: usize,
    rolling_back: bool,
}

impl Progress {
    /// A tracker for `stack_name`; `roles` maps logical ids to names for people (`HttpFunction` →
    /// `http function`); ids without a role are shown as they are.
    pub fn new(
        stack_name: impl Into<String>,
        roles: BTreeMap<String, String>,
        total: usize,
    ) -> Self {
        Progress {
            stack_name: stack_name.into(),
            roles,
            in_flight: BTreeMap::new(),
            seen: HashSet::new(),
            done: 0,
            total,
            failed: 0,
            rolling_back: false,
        }
    }

    /// A tracker for applying `plan` to `stack_name`: roles from the plan, and `total` the number of
    /// stack operations it expects (add + change + destroy of stack-provisioned resources).
    pub fn for_plan(stack_name: impl Into<String>, plan: &Plan) -> Self {
        let stack = plan
            .resource_changes
            .iter()
            .filter(|c| c.provisioner == Provisioner::Stack);
        let roles = stack
            .clone()
            .map(|c| (c.logical_id.clone(), c.role.clone()))
            .collect();
        let total = stack
            .map(|c| match c.action {
                Action::NoOp => 0,
                Action::CreateThenDelete => 2,
                _ => 1,
            })
            .sum();
        Progress::new(stack_name, roles, total)
    }

    /// Resource operations completed.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Resource operations expected.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Resource operations that failed.
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// Resources with an operation started and not yet finished.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Whether the stack has started rolling back.
    pub fn rolling_back(&self) -> bool {
        self.rolling_back
    }

    fn role<'a>(&'a self, logical_id: &'a str) -> &'a str {
        self.roles
            .get(logical_id)
            .map(String::as_str)
            .unwrap_or(logical_id)
    }

    fn resource(&self, logical_id: &str, state: ResourceState) -> Vec<Event> {
        vec![Event::Resource {
            role: self.role(logical_id).to_string(),
            state,
        }]
    }

    /// Feeds one event (oldest first); returns the progress it makes. An event seen before makes
    /// none.
    pub fn event(&mut self, e: &StackEvent) -> Vec<Event> {
        if !e.event_id.is_empty() && !self.seen.insert(e.event_id.clone()) {
            return vec![];
        }
        if e.logical_id == self.stack_name || e.logical_id.is_empty() {
            return self.stack_event(e);
        }
        let Some(op) = op_of(&e.status) else {
            return vec![];
        };
        let status = e.status.as_str();
        if status.ends_with("_IN_PROGRESS") {
            // CloudFormation sends a second IN_PROGRESS ("Resource creation Initiated"); one line is enough.
            if self
                .in_flight
                .get(&e.logical_id)
                .is_some_and(|f| f.op == op)
            {
                return vec![];
            }
            self.in_flight.insert(
                e.logical_id.clone(),
                InFlight {
                    op,
                    started_ms: e.timestamp_ms,
                    reported_steps: 0,
                },
            );
            let state = match (op, e.reason.as_deref()) {
                (Op::Modify, Some(r))
                    if r.contains("requires the creation of a new physical resource") =>
                {
                    ResourceState::Replacing
                }
                _ => ResourceState::Started { op },
            };
            return self.resource(&e.logical_id, state);
        }
        let started = self.in_flight.remove(&e.logical_id).map(|f| f.started_ms);
        let after_ms = started.map(|s| e.timestamp_ms - s);
        if status.ends_with("_COMPLETE") {
            if !self.rolling_back {
                self.done += 1;
            }
            self.resource(&e.logical_id, ResourceState::Complete { op, after_ms })
        } else if status.ends_with("_FAILED") {
            let reason = e.reason.as_deref().unwrap_or("").trim();
            let cancelled = reason.trim_end_matches('.').ends_with("cancelled")
                && reason.starts_with("Resource ");
            if cancelled {
                return self.resource(&e.logical_id, ResourceState::Cancelled { op });
            }
            self.failed += 1;
            let reason = (!reason.is_empty()).then(|| reason.to_string());
            self.resource(&e.logical_id, ResourceState::Failed { op, reason })
        } else if status == "DELETE_SKIPPED" {
            self.resource(&e.logical_id, ResourceState::Skipped)
        } else {
            vec![]
        }
    }

    fn stack_event(&mut self, e: &StackEvent) -> Vec<Event> {
        if StackStatus::parse(&e.status).rolling_back() && !self.rolling_back {
            self.rolling_back = true;
            let reason = e
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string);
            return vec![Event::RollingBack { reason }];
        }
        vec![]
    }

    /// "Still ..." progress for resources in flight, each time another 10 s have passed since
    /// their operation started. `now_ms` is milliseconds since the Unix epoch, on the events' clock.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Event> {
        let mut out = Vec::new();
        let mut in_flight: Vec<(&String, &mut InFlight)> = self.in_flight.iter_mut().collect();
        in_flight.sort_by_key(|(id, f)| (f.started_ms, (*id).clone()));
        for (id, f) in in_flight {
            let steps = (now_ms - f.started_ms).max(0) / STILL_EVERY_MS;
            if steps > f.reported_steps {
                f.reported_steps = steps;
                let role = self.roles.get(id).map(String::as_str).unwrap_or(id);
                out.push(Event::Resource {
                    role: role.to_string(),
                    state: ResourceState::Still {
                        op: f.op,
                        elapsed_ms: steps * STILL_EVERY_MS,
                    },
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    fn ev(id: &str, logical: &str, status: &str, reason: Option<&str>, at_s: i64) -> StackEvent {
        StackEvent {
            event_id: id.to_string(),
            logical_id: logical.to_string(),
            resource_type: if logical == "hover-prod" {
                "AWS::CloudFormation::Stack"
            } else {
                "AWS::Lambda::Function"
            }
            .to_string(),
            status: status.to_string(),
            reason: reason.map(str::to_string),
            timestamp_ms: T0 + at_s * 1000,
        }
    }

    fn progress(total: usize) -> Progress {
        let roles = [
            ("HttpFunction", "http function"),
            ("Worker", "worker function"),
            ("OldRule", "schedule rule"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        Progress::new("hover-prod", roles, total)
    }

    fn lines(events: Vec<Event>) -> Vec<String> {
        events
            .iter()
            .flat_map(crate::render::events::plain_lines)
            .collect()
    }

    fn feed(p: &mut Progress, events: &[StackEvent]) -> Vec<String> {
        lines(events.iter().flat_map(|e| p.event(e)).collect())
    }

    fn tick(p: &mut Progress, now: i64) -> Vec<String> {
        lines(p.tick(now))
    }

    #[test]
    fn create_modify_destroy_lines_and_counts() {
        let mut p = progress(3);
        let lines = feed(
            &mut p,
            &[
                ev(
                    "1",
                    "hover-prod",
                    "UPDATE_IN_PROGRESS",
                    Some("User Initiated"),
                    0,
                ),
                ev("2", "HttpFunction", "CREATE_IN_PROGRESS", None, 1),
                ev(
                    "3",
                    "HttpFunction",
                    "CREATE_IN_PROGRESS",
                    Some("Resource creation Initiated"),
                    2,
                ),
                ev("4", "Worker", "UPDATE_IN_PROGRESS", None, 3),
            ],
        );
        assert_eq!(
            lines,
            [
                "http function: Creating...",
                "worker function: Modifying..."
            ]
        );
        assert_eq!((p.done(), p.total(), p.in_flight()), (0, 3, 2));

        let lines = feed(
            &mut p,
            &[
                ev("5", "Worker", "UPDATE_COMPLETE", None, 6),
                ev("6", "HttpFunction", "CREATE_COMPLETE", None, 13),
                ev(
                    "7",
                    "hover-prod",
                    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                    None,
                    14,
                ),
                ev("8", "OldRule", "DELETE_IN_PROGRESS", None, 14),
                ev("9", "OldRule", "DELETE_COMPLETE", None, 15),
                ev("10", "hover-prod", "UPDATE_COMPLETE", None, 16),
            ],
        );
        assert_eq!(
            lines,
            [
                "worker function: Modifications complete after 3s",
                "http function: Creation complete after 12s",
                "schedule rule: Destroying...",
                "schedule rule: Destruction complete after 1s",
            ]
        );
        assert_eq!(
            (p.done(), p.total(), p.in_flight(), p.failed()),
            (3, 3, 0, 0)
        );
    }

    #[test]
    fn duplicate_events_produce_nothing() {
        let mut p = progress(1);
        let e = ev("1", "HttpFunction", "CREATE_IN_PROGRESS", None, 0);
        assert_eq!(p.event(&e).len(), 1);
        assert!(p.event(&e).is_empty());
        let done = ev("2", "HttpFunction", "CREATE_COMPLETE", None, 1);
        p.event(&done);
        p.event(&done);
        assert_eq!(p.done(), 1);
    }

    #[test]
    fn failure_cancellation_and_rollback() {
        let mut p = progress(2);
        let lines = feed(
            &mut p,
            &[
                ev("1", "HttpFunction", "UPDATE_IN_PROGRESS", None, 0),
                ev("2", "Worker", "CREATE_IN_PROGRESS", None, 0),
                ev("3", "Worker", "CREATE_FAILED", Some("Image not found"), 4),
                ev(
                    "4",
                    "HttpFunction",
                    "UPDATE_FAILED",
                    Some("Resource update cancelled"),
                    5,
                ),
                ev(
                    "5",
                    "hover-prod",
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    Some("The following resource(s) failed to create: [Worker]."),
                    6,
                ),
                ev("6", "HttpFunction", "UPDATE_IN_PROGRESS", None, 7),
                ev("7", "HttpFunction", "UPDATE_COMPLETE", None, 9),
            ],
        );
        assert_eq!(
            lines,
            [
                "http function: Modifying...",
                "worker function: Creating...",
                "worker function: Creation failed: Image not found",
                "http function: Modification cancelled",
                "Rolling back: The following resource(s) failed to create: [Worker].",
                "http function: Modifying...",
                "http function: Modifications complete after 2s",
            ]
        );
        assert_eq!(p.failed(), 1);
        assert_eq!(p.done(), 0, "rollback work is not progress");
        assert!(p.rolling_back());
    }

    #[test]
    fn still_lines_every_ten_seconds() {
        let mut p = progress(2);
        p.event(&ev("1", "HttpFunction", "UPDATE_IN_PROGRESS", None, 0));
        p.event(&ev("2", "Worker", "CREATE_IN_PROGRESS", None, 4));
        assert!(tick(&mut p, T0 + 9_999).is_empty());
        assert_eq!(
            tick(&mut p, T0 + 10_000),
            ["http function: Still modifying... [10s elapsed]"]
        );
        assert!(
            tick(&mut p, T0 + 12_000).is_empty(),
            "no repeat within the same 10 s"
        );
        assert_eq!(
            tick(&mut p, T0 + 14_500),
            ["worker function: Still creating... [10s elapsed]"]
        );
        assert_eq!(
            tick(&mut p, T0 + 24_000),
            [
                "http function: Still modifying... [20s elapsed]",
                "worker function: Still creating... [20s elapsed]"
            ]
        );
        p.event(&ev("3", "HttpFunction", "UPDATE_COMPLETE", None, 25));
        assert_eq!(
            tick(&mut p, T0 + 75_000),
            ["worker function: Still creating... [1m10s elapsed]"]
        );
    }

    #[test]
    fn stack_events_are_not_resource_lines() {
        let mut p = progress(0);
        assert!(feed(
            &mut p,
            &[
                ev("1", "hover-prod", "UPDATE_IN_PROGRESS", None, 0),
                ev("2", "hover-prod", "UPDATE_COMPLETE", None, 1)
            ]
        )
        .is_empty());
        assert_eq!(p.in_flight(), 0);
        assert_eq!(p.done(), 0);
    }

    #[test]
    fn replacement_reads_as_creating_a_replacement() {
        let mut p = progress(2);
        let lines = feed(
            &mut p,
            &[
                ev("1", "Worker", "UPDATE_IN_PROGRESS", Some("Requested update requires the creation of a new physical resource; hence creating one."), 0),
                ev("2", "Worker", "UPDATE_COMPLETE", None, 2),
                ev("3", "Worker", "DELETE_IN_PROGRESS", None, 5),
                ev("4", "Worker", "DELETE_COMPLETE", None, 6),
            ],
        );
        assert_eq!(
            lines,
            [
                "worker function: Creating replacement...",
                "worker function: Modifications complete after 2s",
                "worker function: Destroying...",
                "worker function: Destruction complete after 1s",
            ]
        );
        assert_eq!(p.done(), 2);
    }

    #[test]
    fn for_plan_takes_roles_and_counts_stack_operations() {
        use crate::plan::ResourceChange;
        let change =
            |id: &str, role: &str, action: Action, provisioner: Provisioner| ResourceChange {
                provisioner,
                action,
                ..ResourceChange::named(id, role, "AWS::Lambda::Function", id)
            };
        let plan = Plan {
            format_version: crate::plan::FORMAT_VERSION.to_string(),
            stage: "prod".to_string(),
            region: "eu-west-1".to_string(),
            account: None,
            image_tag: "v1".to_string(),
            stack_status: None,
            resource_changes: vec![
                change(
                    "Repository",
                    "image repository",
                    Action::Create,
                    Provisioner::Direct,
                ),
                change(
                    "HttpFunction",
                    "http function",
                    Action::Update,
                    Provisioner::Stack,
                ),
                change(
                    "JobsQueue",
                    "queue jobs",
                    Action::CreateThenDelete,
                    Provisioner::Stack,
                ),
                change("Logs", "log group", Action::NoOp, Provisioner::Stack),
                change("OldRule", "former rule", Action::Delete, Provisioner::Stack),
            ],
            warnings: vec![],
            observed_digest: String::new(),
            profile: None,
            takeover: false,
            traffic: None,
            maintenance: None,
        };
        let mut p = Progress::for_plan("hover-prod", &plan);
        assert_eq!(
            p.total(),
            4,
            "update 1 + replace 2 + delete 1; direct and no-op resources excluded"
        );
        assert_eq!(
            lines(p.event(&ev("1", "JobsQueue", "CREATE_IN_PROGRESS", None, 0))),
            ["queue jobs: Creating..."]
        );
        assert_eq!(
            lines(p.event(&ev("2", "Repository", "CREATE_IN_PROGRESS", None, 0))),
            ["Repository: Creating..."],
            "ids outside the plan's stack resources are shown as they are"
        );
    }
}
