//! What a stack's status means for the next deploy, and why a stack operation failed. Pure.

use super::StackEvent;
use crate::model::StackStatus;

/// What a stack status means for hover: whether a change set can be created now, of which type,
/// and otherwise what the user must do first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackCondition {
    /// No stack (or `DELETE_COMPLETE`): the next change set is `CREATE`.
    Absent,
    /// Settled and updatable: `CREATE_COMPLETE`, `UPDATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`,
    /// `IMPORT_COMPLETE`, `IMPORT_ROLLBACK_COMPLETE`.
    Ready,
    /// An operation is running (`*_IN_PROGRESS` except `REVIEW_IN_PROGRESS`).
    Busy,
    /// Created by a `CREATE` change set that was never executed: it holds no resources, and the next
    /// change set must be `CREATE` again.
    ReviewInProgress,
    /// A failed creation was rolled back: the stack must be deleted before it can be created again.
    RollbackComplete,
    /// A failed creation whose rollback failed too: the stack must be deleted.
    RollbackFailed,
    /// A failed update whose rollback failed: `continue-update-rollback` is the way out.
    UpdateRollbackFailed,
    /// Deletion failed: some resources are still there.
    DeleteFailed,
    /// Any other status (e.g. `CREATE_FAILED`, `UPDATE_FAILED` of a stack with rollback disabled).
    Other(StackStatus),
}

/// Classifies a stack's status (`None`: no stack).
pub fn classify_stack_status(status: Option<&StackStatus>) -> StackCondition {
    let Some(status) = status.filter(|s| !s.deleted()) else {
        return StackCondition::Absent;
    };
    match status {
        s if s.updatable() => StackCondition::Ready,
        StackStatus::ReviewInProgress => StackCondition::ReviewInProgress,
        StackStatus::RollbackComplete => StackCondition::RollbackComplete,
        StackStatus::RollbackFailed => StackCondition::RollbackFailed,
        StackStatus::UpdateRollbackFailed => StackCondition::UpdateRollbackFailed,
        StackStatus::DeleteFailed => StackCondition::DeleteFailed,
        s if s.operation_running() => StackCondition::Busy,
        other => StackCondition::Other(other.clone()),
    }
}

impl StackCondition {
    /// `Some(true)` when the next change set must be `CREATE`, `Some(false)` for `UPDATE`, `None`
    /// when the stack cannot take a change set now (see [`StackCondition::explain`]).
    pub fn change_set_create(&self) -> Option<bool> {
        match self {
            StackCondition::Absent | StackCondition::ReviewInProgress => Some(true),
            StackCondition::Ready => Some(false),
            _ => None,
        }
    }

    /// What the condition means and the way out, for people; `None` when there is nothing to say.
    pub fn explain(&self, stack_name: &str) -> Option<String> {
        let n = stack_name;
        let text = match self {
            StackCondition::Absent | StackCondition::Ready => return None,
            StackCondition::Busy => format!(
                "another operation on stack `{n}` is in progress; wait until it finishes \
                 (follow it with `aws cloudformation describe-stack-events --stack-name {n}`), \
                 or cancel an update with `aws cloudformation cancel-update-stack --stack-name {n}`, then run hover again"
            ),
            StackCondition::ReviewInProgress => format!(
                "stack `{n}` was created by a change set that was never executed and holds no resources; \
                 the next deploy creates it with a CREATE change set"
            ),
            StackCondition::RollbackComplete => format!(
                "stack `{n}` failed to create and was rolled back (ROLLBACK_COMPLETE); CloudFormation cannot update it. \
                 Delete it with `aws cloudformation delete-stack --stack-name {n}` and deploy again"
            ),
            StackCondition::RollbackFailed => format!(
                "stack `{n}` failed to create and its rollback failed too (ROLLBACK_FAILED). \
                 Delete it with `aws cloudformation delete-stack --stack-name {n}` \
                 (add `--retain-resources LogicalId ...` for resources that cannot be deleted), then deploy again"
            ),
            StackCondition::UpdateRollbackFailed => format!(
                "stack `{n}` could not roll back a failed update (UPDATE_ROLLBACK_FAILED). \
                 Fix what the events name, then run `aws cloudformation continue-update-rollback --stack-name {n}`; \
                 a resource that cannot be rolled back (e.g. deleted outside the stack) can be skipped with \
                 `--resources-to-skip LogicalId ...`. Deploy again once the stack is UPDATE_ROLLBACK_COMPLETE"
            ),
            StackCondition::DeleteFailed => format!(
                "stack `{n}` could not be deleted (DELETE_FAILED); some resources are still there. \
                 Fix what the events name (`aws cloudformation describe-stack-events --stack-name {n}`) and delete again, \
                 or keep them: `aws cloudformation delete-stack --stack-name {n} --retain-resources LogicalId ...`"
            ),
            StackCondition::Other(status) => match status {
                StackStatus::CreateFailed => format!(
                    "stack `{n}` failed to create and was not rolled back (CREATE_FAILED); \
                     delete it with `aws cloudformation delete-stack --stack-name {n}` and deploy again"
                ),
                StackStatus::UpdateFailed => format!(
                    "stack `{n}` failed to update and was not rolled back (UPDATE_FAILED); \
                     roll it back with `aws cloudformation rollback-stack --stack-name {n}` and deploy again"
                ),
                StackStatus::ImportRollbackFailed => format!(
                    "stack `{n}` could not roll back a failed import (IMPORT_ROLLBACK_FAILED); \
                     fix what the events name and run `aws cloudformation continue-update-rollback --stack-name {n}`"
                ),
                other => format!(
                    "stack `{n}` is in status {other}, from which hover does not deploy; \
                     see `aws cloudformation describe-stack-events --stack-name {n}`"
                ),
            },
        };
        Some(text)
    }
}

/// Stack events that are consequences of another failure, not causes.
const NOISE: [&str; 3] = [
    "Resource creation cancelled",
    "Resource update cancelled",
    "Resource deletion cancelled",
];

/// A resource failure that explains an operation's failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootCause {
    pub logical_id: String,
    pub resource_type: String,
    /// e.g. `CREATE_FAILED`.
    pub status: String,
    pub reason: Option<String>,
}

/// Why a stack operation failed: its root causes in time order and the stack's last status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureDiagnosis {
    /// The `*_FAILED` resource events (cancellations left out), oldest first; when no resource
    /// failed, the stack's own failure or rollback events that carry a reason.
    pub root_causes: Vec<RootCause>,
    /// The stack's last status among the events (e.g. `UPDATE_ROLLBACK_COMPLETE`).
    pub final_status: Option<String>,
}

fn is_stack_event(e: &StackEvent) -> bool {
    e.resource_type == "AWS::CloudFormation::Stack"
}

fn is_failure(status: &str) -> bool {
    status.ends_with("_FAILED") || status.contains("ROLLBACK")
}

fn is_noise(e: &StackEvent) -> bool {
    e.reason
        .as_deref()
        .is_some_and(|r| NOISE.iter().any(|n| r.trim_end_matches('.').trim() == *n))
}

/// Names the root causes of a failed operation from its events (oldest first, as [`super::events_since`]
/// returns them). `None` when nothing failed and nothing rolled back.
pub fn diagnose_failure(events: &[StackEvent]) -> Option<FailureDiagnosis> {
    let mut ordered: Vec<&StackEvent> = events.iter().collect();
    ordered.sort_by_key(|e| e.timestamp_ms);
    if !ordered.iter().any(|e| is_failure(&e.status)) {
        return None;
    }
    let final_status = ordered
        .iter()
        .rev()
        .find(|e| is_stack_event(e))
        .map(|e| e.status.clone());

    let cause = |e: &StackEvent| RootCause {
        logical_id: e.logical_id.clone(),
        resource_type: e.resource_type.clone(),
        status: e.status.clone(),
        reason: e.reason.clone(),
    };
    let mut root_causes: Vec<RootCause> = Vec::new();
    for e in ordered
        .iter()
        .filter(|e| !is_stack_event(e) && e.status.ends_with("_FAILED") && !is_noise(e))
    {
        let c = cause(e);
        if !root_causes.contains(&c) {
            root_causes.push(c);
        }
    }
    if root_causes.is_empty() {
        root_causes.extend(
            ordered
                .iter()
                .find(|e| {
                    is_stack_event(e) && is_failure(&e.status) && e.reason.is_some() && !is_noise(e)
                })
                .map(|e| cause(e)),
        );
    }
    Some(FailureDiagnosis {
        root_causes,
        final_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&str; 23] = [
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_COMPLETE",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_FAILED",
        "DELETE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
        "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_IN_PROGRESS",
        "IMPORT_ROLLBACK_FAILED",
        "IMPORT_ROLLBACK_COMPLETE",
    ];

    /// The condition of a stack in status `name` (empty: no stack).
    fn classify(name: &str) -> StackCondition {
        let status = (!name.is_empty()).then(|| StackStatus::parse(name));
        classify_stack_status(status.as_ref())
    }

    #[test]
    fn classifies_every_stack_status() {
        use StackCondition::*;
        let expected = [
            Busy,
            Other(StackStatus::CreateFailed),
            Ready,
            Busy,
            RollbackFailed,
            RollbackComplete,
            Busy,
            DeleteFailed,
            Absent,
            Busy,
            Busy,
            Ready,
            Other(StackStatus::UpdateFailed),
            Busy,
            UpdateRollbackFailed,
            Busy,
            Ready,
            ReviewInProgress,
            Busy,
            Ready,
            Busy,
            Other(StackStatus::ImportRollbackFailed),
            Ready,
        ];
        for (status, want) in ALL.iter().zip(expected) {
            assert_eq!(classify(status), want, "{status}");
        }
        assert_eq!(classify(""), Absent);
        assert_eq!(
            classify("SOMETHING_NEW"),
            Other(StackStatus::Other("SOMETHING_NEW".to_string()))
        );
    }

    #[test]
    fn change_set_type_follows_the_condition() {
        assert_eq!(classify("").change_set_create(), Some(true));
        assert_eq!(
            classify("REVIEW_IN_PROGRESS").change_set_create(),
            Some(true)
        );
        assert_eq!(
            classify("UPDATE_ROLLBACK_COMPLETE").change_set_create(),
            Some(false)
        );
        assert_eq!(classify("ROLLBACK_COMPLETE").change_set_create(), None);
        assert_eq!(classify("UPDATE_IN_PROGRESS").change_set_create(), None);
    }

    #[test]
    fn explanations_name_the_way_out() {
        let n = "hover-prod";
        let text = |s: &str| classify(s).explain(n).unwrap_or_default();
        assert!(text("UPDATE_ROLLBACK_FAILED")
            .contains("aws cloudformation continue-update-rollback --stack-name hover-prod"));
        assert!(text("UPDATE_ROLLBACK_FAILED").contains("--resources-to-skip"));
        assert!(text("ROLLBACK_COMPLETE")
            .contains("aws cloudformation delete-stack --stack-name hover-prod"));
        assert!(text("ROLLBACK_FAILED").contains("delete-stack"));
        assert!(text("DELETE_FAILED").contains("--retain-resources"));
        assert!(text("UPDATE_IN_PROGRESS").contains("in progress"));
        assert!(text("REVIEW_IN_PROGRESS").contains("CREATE change set"));
        assert!(text("UPDATE_FAILED").contains("rollback-stack"));
        assert!(text("CREATE_FAILED").contains("delete-stack"));
        assert!(text("WEIRD").contains("WEIRD"));
        assert_eq!(classify("UPDATE_COMPLETE").explain(n), None);
        assert_eq!(classify("").explain(n), None);
        // Every non-deployable condition explains itself.
        for s in ALL {
            let c = classify(s);
            assert_eq!(
                c.change_set_create().is_none(),
                c.explain(n).is_some() && c != StackCondition::ReviewInProgress,
                "{s}"
            );
        }
    }

    fn ev(n: i64, id: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            event_id: format!("e{n}"),
            logical_id: id.to_string(),
            resource_type: ty.to_string(),
            status: status.to_string(),
            reason: reason.map(str::to_string),
            timestamp_ms: 1_700_000_000_000 + n * 1000,
        }
    }

    const STACK: &str = "AWS::CloudFormation::Stack";
    const FN: &str = "AWS::Lambda::Function";
    const Q: &str = "AWS::SQS::Queue";

    #[test]
    fn rollback_names_the_root_cause_not_the_cancellations() {
        let events = vec![
            ev(
                0,
                "hover-prod",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            ev(1, "HttpFunction", FN, "UPDATE_IN_PROGRESS", None),
            ev(2, "JobsQueue", Q, "CREATE_IN_PROGRESS", None),
            ev(3, "WorkerFunction", FN, "CREATE_IN_PROGRESS", None),
            ev(
                4,
                "JobsQueue",
                Q,
                "CREATE_FAILED",
                Some("Resource handler returned message: \"Queue name already exists\""),
            ),
            ev(
                5,
                "WorkerFunction",
                FN,
                "CREATE_FAILED",
                Some("Resource creation cancelled"),
            ),
            ev(
                6,
                "HttpFunction",
                FN,
                "UPDATE_FAILED",
                Some("Resource update cancelled"),
            ),
            ev(
                7,
                "hover-prod",
                STACK,
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [JobsQueue, WorkerFunction]. "),
            ),
            ev(8, "HttpFunction", FN, "UPDATE_COMPLETE", None),
            ev(
                9,
                "hover-prod",
                STACK,
                "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                None,
            ),
            ev(10, "WorkerFunction", FN, "DELETE_COMPLETE", None),
            ev(11, "JobsQueue", Q, "DELETE_COMPLETE", None),
            ev(12, "hover-prod", STACK, "UPDATE_ROLLBACK_COMPLETE", None),
        ];
        let d = diagnose_failure(&events).expect("a failure");
        assert_eq!(
            d.root_causes,
            vec![RootCause {
                logical_id: "JobsQueue".to_string(),
                resource_type: Q.to_string(),
                status: "CREATE_FAILED".to_string(),
                reason: Some(
                    "Resource handler returned message: \"Queue name already exists\"".to_string()
                ),
            }]
        );
        assert_eq!(d.final_status.as_deref(), Some("UPDATE_ROLLBACK_COMPLETE"));

        // Newest-first input gives the same answer.
        let mut reversed = events.clone();
        reversed.reverse();
        assert_eq!(diagnose_failure(&reversed), Some(d));
    }

    #[test]
    fn several_failures_are_kept_in_time_order() {
        let events = vec![
            ev(0, "hover-prod", STACK, "CREATE_IN_PROGRESS", None),
            ev(
                2,
                "Role",
                "AWS::IAM::Role",
                "CREATE_FAILED",
                Some("not authorized to perform: iam:CreateRole"),
            ),
            ev(
                1,
                "Bucket",
                "AWS::S3::Bucket",
                "CREATE_FAILED",
                Some("bucket already exists"),
            ),
            ev(
                3,
                "hover-prod",
                STACK,
                "ROLLBACK_IN_PROGRESS",
                Some("The following resource(s) failed to create: [Role, Bucket]."),
            ),
            ev(4, "hover-prod", STACK, "ROLLBACK_COMPLETE", None),
        ];
        let d = diagnose_failure(&events).expect("a failure");
        let ids: Vec<&str> = d
            .root_causes
            .iter()
            .map(|c| c.logical_id.as_str())
            .collect();
        assert_eq!(ids, ["Bucket", "Role"]);
        assert_eq!(d.final_status.as_deref(), Some("ROLLBACK_COMPLETE"));
    }

    #[test]
    fn rollback_without_resource_failure_names_the_stack_reason() {
        let events = vec![
            ev(
                0,
                "hover-prod",
                STACK,
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
            ev(
                1,
                "hover-prod",
                STACK,
                "UPDATE_ROLLBACK_IN_PROGRESS",
                Some("Stack update cancelled"),
            ),
            ev(2, "hover-prod", STACK, "UPDATE_ROLLBACK_COMPLETE", None),
        ];
        let d = diagnose_failure(&events).expect("a rollback is a failure");
        assert_eq!(d.root_causes.len(), 1);
        assert_eq!(d.root_causes[0].status, "UPDATE_ROLLBACK_IN_PROGRESS");
        assert_eq!(
            d.root_causes[0].reason.as_deref(),
            Some("Stack update cancelled")
        );
    }

    #[test]
    fn success_is_not_a_failure() {
        let events = vec![
            ev(0, "hover-prod", STACK, "UPDATE_IN_PROGRESS", None),
            ev(1, "HttpFunction", FN, "UPDATE_IN_PROGRESS", None),
            ev(2, "HttpFunction", FN, "UPDATE_COMPLETE", None),
            ev(3, "hover-prod", STACK, "UPDATE_COMPLETE", None),
        ];
        assert_eq!(diagnose_failure(&events), None);
        assert_eq!(diagnose_failure(&[]), None);
    }
}
