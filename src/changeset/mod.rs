//! The CloudFormation change-set lifecycle: create, wait, describe, reconcile with the plan, execute, watch.
//!
//! SDK types stop here: every public function takes the CloudFormation client and plain data, and
//! returns plain data. The module has two halves:
//!
//! - the AWS adapter ([`create`], [`wait_and_describe`], [`execute`], [`delete`], [`stack_status`],
//!   [`events_since`], [`wait_stack_settled`], [`delete_stack`], [`list_change_sets`]), which
//!   always addresses change sets by the ARN CreateChangeSet returned;
//! - the one poller ([`Poller`] on a [`Poll`] schedule) every wait on CloudFormation goes
//!   through: adaptive, under an overall limit whose end names what is still in progress;
//! - pure functions over what it returns: [`reconcile`] checks CloudFormation's reported changes
//!   against the plan before anything executes, [`diagnose_failure`] names the root cause of a
//!   failed operation, [`classify_stack_status`] says whether (and how) a stack can take a change
//!   set, and [`Progress`] turns stack events into Terraform-style progress lines.

mod aws;
mod poll;
mod progress;
mod reconcile;
mod status;

pub use aws::{
    create, delete, delete_stack, events_since, execute, executed, latest_event_id,
    list_change_sets, stack_status, wait_and_describe, wait_and_describe_with, wait_stack_settled,
    wait_stack_settled_with,
};
pub use poll::{Poll, Poller, Waiting, CHANGE_SET_LIMIT, STACK_LIMIT};
pub use progress::{format_elapsed, Progress};
pub use reconcile::{reconcile, Mismatch, Reconciliation};
pub use status::{
    classify_stack_status, diagnose_failure, FailureDiagnosis, RootCause, StackCondition,
};

use std::time::Duration;

/// Where CloudFormation reads the template from: inline, or an S3 URL when the body is over the
/// inline `TemplateBody` limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateSource {
    /// The template's JSON text, sent as `TemplateBody`.
    Body(String),
    /// An `https://` S3 URL of the uploaded template, sent as `TemplateURL`.
    Url(String),
}

/// Everything needed to create one change set. Plain data; [`create`] sends exactly these fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetRequest {
    pub stack_name: String,
    /// Unique per attempt (`hover-<unix-ms>`); the change set is later addressed by ARN only.
    pub change_set_name: String,
    pub template: TemplateSource,
    /// `true` for a `CREATE` change set (no stack yet, or one in `REVIEW_IN_PROGRESS`), `false` for `UPDATE`.
    pub create: bool,
    /// e.g. `CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM`.
    pub capabilities: Vec<String>,
    /// Service role CloudFormation assumes for the stack operation.
    pub role_arn: Option<String>,
    pub description: String,
}

/// A change set that CloudFormation accepted; `arn` is the only handle used afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedChangeSet {
    pub arn: String,
    pub stack_id: String,
}

/// How a change set ended up once CloudFormation finished computing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeSetOutcome {
    /// Computed; the resource changes, in CloudFormation's order (all pages).
    Ready(Vec<CfnChange>),
    /// Nothing to do: either of CloudFormation's two "no changes" reasons. Success, not failure.
    Empty,
    /// CloudFormation could not compute it; its `StatusReason`.
    Failed(String),
}

/// One resource change as CloudFormation reports it in a change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfnChange {
    pub logical_id: String,
    /// `Add`, `Modify`, `Remove`, `Import`, `Dynamic` (or `SyncWithActual` on drift-aware change sets).
    pub action: String,
    /// `True`, `False` or `Conditional`; some endpoints omit it.
    pub replacement: Option<String>,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub details: Vec<CfnDetail>,
}

/// One reason a resource changes (a `ResourceChangeDetail` flattened with its target).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfnDetail {
    /// `Properties`, `Tags`, `Metadata`, ...
    pub attribute: String,
    /// The property name, when the attribute is `Properties`.
    pub name: Option<String>,
    /// `Never`, `Conditionally` or `Always`.
    pub requires_recreation: Option<String>,
    /// `Static` (known now) or `Dynamic` (may change because a referenced value may change).
    pub evaluation: Option<String>,
    /// `DirectModification`, `ResourceReference`, `ParameterReference`, ...
    pub change_source: Option<String>,
    /// Property values, when the change set was described with `IncludePropertyValues`.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One stack event, flattened. `timestamp_ms` is milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackEvent {
    pub event_id: String,
    /// The resource's logical id; the stack's own events carry the stack name.
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub timestamp_ms: i64,
}

/// A stack's current status as DescribeStacks reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackStatusInfo {
    pub status: String,
    pub reason: Option<String>,
    pub stack_id: String,
}

/// One change set of a stack as ListChangeSets reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSetSummary {
    pub arn: String,
    pub name: String,
    /// `CREATE_COMPLETE`, `FAILED`, ...
    pub status: String,
    /// `AVAILABLE`, `UNAVAILABLE`, `EXECUTE_COMPLETE`, ...
    pub execution_status: String,
}

/// Why a CloudFormation call of this module failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ChangeSetError {
    /// CloudFormation (or the network on the way to it) refused a call.
    #[error("CloudFormation {operation} failed: {message}")]
    #[diagnostic(code(hover::changeset::aws))]
    Aws {
        operation: &'static str,
        /// The service's error code (`ValidationError`, `AccessDenied`, ...) when it sent one.
        code: Option<String>,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A successful answer lacked a field hover needs.
    #[error("CloudFormation {operation} answered without {field}")]
    #[diagnostic(code(hover::changeset::incomplete))]
    Incomplete {
        operation: &'static str,
        field: &'static str,
    },

    /// The wait exceeded [`Poll::timeout`]: what is still in progress, its status, for how long.
    #[error("gave up after {} waiting for {what}: it is still {last_status}", format_elapsed(.waited.as_millis() as i64))]
    #[diagnostic(
        code(hover::changeset::timeout),
        help("CloudFormation may still be working; check `aws cloudformation describe-stacks` and run hover again")
    )]
    Timeout {
        what: Waiting,
        last_status: String,
        waited: Duration,
    },
}

impl ChangeSetError {
    /// The service error code, when CloudFormation sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            ChangeSetError::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// CloudFormation's reasons for a change set that has nothing to do.
pub const EMPTY_REASONS: [&str; 2] = [
    "The submitted information didn't contain changes. Submit different information to create a change set.",
    "No updates are to be performed.",
];

/// Whether a FAILED change set's reason means "nothing to change" (success, not failure).
pub fn is_empty_reason(reason: &str) -> bool {
    let reason = reason.trim();
    EMPTY_REASONS.iter().any(|r| reason.contains(r))
        || reason.contains("didn't contain changes")
        || reason.contains("No updates are to be performed")
}
