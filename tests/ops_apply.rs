//! `ops::apply` carried out offline over real SDK clients whose responses are mocked
//! (`aws-smithy-mocks`), from the golden plan cases: a plan without changes makes no call, an
//! approved plan creates, checks, executes and watches a change set under the stage lock, and a
//! stack operation that rolls back is reported with its root cause.

mod common;

use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::operation::list_change_sets::ListChangeSetsOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSetType, ChangeType, Output, Replacement,
    ResourceChange, ResourceStatus, Stack, StackEvent, StackResourceSummary, StackStatus,
};
use aws_sdk_cloudformation::Client as Cfn;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::DateTime;
use common::Mocks;
use hover::error::HoverError;
use hover::events::{Event, Question, Sink};
use hover::model::{ObservedStage, StackState};
use hover::ops::plan::live_image_tag;
use hover::ops::{apply_planned, ApplyOutcome, ApplyRun, PlannedStage, StageContext, Ui};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const CHANGE_SET: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:changeSet/hover-1/0a1b2c3d-4e5f-6789-abcd-ef0123456789";

/// What apply reported and asked.
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    questions: usize,
}

impl Recorder {
    fn plans(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Planned { .. }))
            .count()
    }

    /// The run's text, as a pipe gets it.
    fn text(&self) -> String {
        hover::render::events::plain_text(&self.events)
    }
}

impl Sink for Recorder {
    fn emit(&mut self, event: Event) {
        if let Event::ChangeSetChecked { mismatches } = &event {
            assert!(
                mismatches.is_empty(),
                "CloudFormation and the plan disagree: {mismatches:?}"
            );
        }
        self.events.push(event);
    }
}

impl Ui for Recorder {
    fn approve(&mut self, _question: &Question) -> Option<bool> {
        self.questions += 1;
        None
    }
}

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plans")
        .join(case)
}

/// A golden case planned as `hover apply --image-tag <live tag>` plans it, read through `clients`.
fn planned(case: &str, clients: hover::live::Clients) -> (ApplyRun, PlannedStage) {
    let dir = case_dir(case);
    let manifest = hover::manifest::load(&dir, "dev").expect("manifest");
    let observed = observed(case);
    let tag = live_image_tag(&observed).expect("live image tag");
    let ctx = StageContext::new(&dir, "dev", manifest, clients);
    let planned = PlannedStage::from_observed(ctx, observed, Some(tag)).expect("plan");
    let run = ApplyRun {
        auto_approve: true,
        ..ApplyRun::default()
    };
    (run, planned)
}

fn observed(case: &str) -> ObservedStage {
    let text = std::fs::read_to_string(case_dir(case).join("observed.json")).expect("observed");
    serde_json::from_str(&text).expect("observed state")
}

/// The stack as DescribeStacks answers it, in `status`.
fn described(stack: &StackState, status: StackStatus) -> DescribeStacksOutput {
    let mut s = Stack::builder()
        .stack_name(&stack.name)
        .stack_id(&stack.stack_id)
        .stack_status(status)
        .creation_time(DateTime::from_millis(0));
    for (k, v) in &stack.outputs {
        s = s.outputs(Output::builder().output_key(k).output_value(v).build());
    }
    DescribeStacksOutput::builder().stacks(s.build()).build()
}

/// The stack read back unchanged (template and resources) after the lock is taken.
fn stack_read(stack: &StackState) -> Vec<Rule> {
    let body = serde_json::to_string(&stack.template).expect("template");
    let resources = stack.resources.clone();
    vec![
        mock!(Cfn::get_template)
            .then_output(move || GetTemplateOutput::builder().template_body(&body).build()),
        mock!(Cfn::list_stack_resources).then_output(move || {
            let mut out = ListStackResourcesOutput::builder();
            for (id, r) in &resources {
                out = out.stack_resource_summaries(
                    StackResourceSummary::builder()
                        .logical_resource_id(id)
                        .resource_type(r.resource_type.as_str())
                        .physical_resource_id(&r.physical_id)
                        .resource_status(ResourceStatus::from(r.status.as_str()))
                        .build(),
                );
            }
            out.build()
        }),
    ]
}

/// An event of the stack itself (`clouder-dev`) or of its distribution.
fn event(n: i64, logical: &str, status: ResourceStatus, reason: &str) -> StackEvent {
    let ty = if logical == "Distribution" {
        "AWS::CloudFront::Distribution"
    } else {
        "AWS::CloudFormation::Stack"
    };
    StackEvent::builder()
        .event_id(format!("e{n}"))
        .stack_name("clouder-dev")
        .logical_resource_id(logical)
        .resource_type(ty)
        .resource_status(status)
        .resource_status_reason(reason)
        .timestamp(DateTime::from_millis(1_700_000_000_000 + n * 1000))
        .build()
}

/// The stack's events: the last one before the change set (the baseline), then `after` (newest
/// first) above it.
fn events_rule(after: Vec<StackEvent>) -> Rule {
    let baseline = event(1, "clouder-dev", ResourceStatus::CreateComplete, "");
    let before = baseline.clone();
    mock!(Cfn::describe_stack_events)
        .sequence()
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(before.clone())
                .build()
        })
        .output(move || {
            let mut all = after.clone();
            all.push(baseline.clone());
            DescribeStackEventsOutput::builder()
                .set_stack_events(Some(all))
                .build()
        })
        .repeatedly()
        .build()
}

/// The change set CloudFormation computes for `domains-added`: the distribution modified in place.
fn distribution_modified() -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(CHANGE_SET)
        .status(ChangeSetStatus::CreateComplete)
        .changes(
            Change::builder()
                .r#type(ChangeType::Resource)
                .resource_change(
                    ResourceChange::builder()
                        .action(ChangeAction::Modify)
                        .logical_resource_id("Distribution")
                        .physical_resource_id("E2DISTRIBUTION")
                        .resource_type("AWS::CloudFront::Distribution")
                        .replacement(Replacement::False)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Every call an apply of `domains-added` makes, the stack ending in `end` with `events`; the
/// change set requests and lock writes are recorded.
struct Stage {
    create_requests: Arc<Mutex<Vec<(ChangeSetType, String)>>>,
    executed: Rule,
    lock_written: Rule,
    lock_released: Rule,
}

fn domains_added_stage(end: StackStatus, events: Vec<StackEvent>) -> (hover::live::Clients, Stage) {
    let stack = observed("domains-added").stack.expect("a stack");
    let create_requests = Arc::new(Mutex::new(Vec::new()));
    let seen = create_requests.clone();
    let create = mock!(Cfn::create_change_set).then_compute_output(move |r| {
        let body = r.template_body().unwrap_or_default().to_string();
        let ty = r
            .change_set_type()
            .cloned()
            .unwrap_or(ChangeSetType::Update);
        seen.lock().expect("lock").push((ty, body));
        CreateChangeSetOutput::builder()
            .id(CHANGE_SET)
            .stack_id("arn:aws:cloudformation:us-east-1:123456789012:stack/clouder-dev/1")
            .build()
    });
    let executed = mock!(Cfn::execute_change_set)
        .match_requests(|r| r.change_set_name() == Some(CHANGE_SET))
        .then_output(|| ExecuteChangeSetOutput::builder().build());
    // Read as the plan saw it when the lock is taken, then as the operation left it.
    let (first, last) = (stack.clone(), stack.clone());
    let stacks = mock!(Cfn::describe_stacks)
        .sequence()
        .output(move || described(&first, StackStatus::CreateComplete))
        .output(move || described(&last, end.clone()))
        .repeatedly()
        .build();
    let mut cloudformation = vec![
        stacks,
        create,
        mock!(Cfn::describe_change_set).then_output(distribution_modified),
        events_rule(events),
        executed.clone(),
        mock!(Cfn::list_change_sets).then_output(|| ListChangeSetsOutput::builder().build()),
    ];
    cloudformation.extend(stack_read(&stack));
    // The lock as written is what is read back when it is given back: its token is the run's,
    // and the delete is conditional on the ETag read.
    let lock_body = Arc::new(Mutex::new(Vec::new()));
    let written_body = lock_body.clone();
    let lock_written = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |r| {
            let ours = r.bucket() == Some("clouder-dev-assets")
                && r.key() == Some("hover/lock/clouder-dev.json")
                && r.if_none_match() == Some("*");
            if ours {
                *written_body.lock().expect("lock") = r.body().bytes().unwrap_or_default().to_vec();
            }
            ours
        })
        .then_output(|| aws_sdk_s3::operation::put_object::PutObjectOutput::builder().build());
    let read_body = lock_body.clone();
    let lock_read = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|r| r.key() == Some("hover/lock/clouder-dev.json"))
        .then_output(move || {
            aws_sdk_s3::operation::get_object::GetObjectOutput::builder()
                .e_tag("\"lock-etag\"")
                .body(aws_sdk_s3::primitives::ByteStream::from(
                    read_body.lock().expect("lock").clone(),
                ))
                .build()
        });
    let lock_released = mock!(aws_sdk_s3::Client::delete_object)
        .match_requests(|r| {
            r.key() == Some("hover/lock/clouder-dev.json") && r.if_match() == Some("\"lock-etag\"")
        })
        .then_output(|| {
            aws_sdk_s3::operation::delete_object::DeleteObjectOutput::builder().build()
        });
    let image = mock!(aws_sdk_ecr::Client::describe_images).then_output(|| {
        aws_sdk_ecr::operation::describe_images::DescribeImagesOutput::builder()
            .image_details(aws_sdk_ecr::types::ImageDetail::builder().build())
            .build()
    });
    let clients = Mocks {
        cloudformation,
        s3: vec![lock_written.clone(), lock_read, lock_released.clone()],
        ecr: vec![image],
        ..Default::default()
    }
    .clients("us-east-1", RetryConfig::disabled());
    let stage = Stage {
        create_requests,
        executed,
        lock_written,
        lock_released,
    };
    (clients, stage)
}

/// Applies `domains-added` (auto-approved) to its stage, the stack ending in `end` after `events`.
async fn apply_domains_added(
    end: StackStatus,
    events: Vec<StackEvent>,
) -> (Result<ApplyOutcome, HoverError>, Stage, Recorder) {
    let (clients, stage) = domains_added_stage(end, events);
    let (run, planned) = planned("domains-added", clients);
    let mut ui = Recorder::default();
    let outcome = apply_planned(&run, planned, &mut ui).await;
    (outcome, stage, ui)
}

#[tokio::test]
async fn a_plan_without_changes_is_shown_and_makes_no_call() {
    // No rule at all: any call would fail the apply.
    let clients = Mocks::default().clients("us-east-1", RetryConfig::disabled());
    let (run, planned) = planned("no-changes", clients);
    assert!(!planned.plan.has_changes());
    let mut ui = Recorder::default();
    let outcome = apply_planned(&run, planned, &mut ui).await.expect("apply");
    assert_eq!(outcome, ApplyOutcome::NoChanges);
    assert_eq!(ui.plans(), 1);
    assert_eq!(ui.questions, 0);
    assert_eq!(ui.events.len(), 1, "{:?}", ui.events);
}

#[tokio::test]
async fn an_approved_plan_creates_checks_executes_and_watches_a_change_set() {
    let events = vec![
        event(3, "clouder-dev", ResourceStatus::UpdateComplete, ""),
        event(2, "Distribution", ResourceStatus::UpdateComplete, ""),
    ];
    let (outcome, stage, ui) = apply_domains_added(StackStatus::UpdateComplete, events).await;
    let Ok(ApplyOutcome::Applied { summary, outputs }) = outcome else {
        panic!("the apply must succeed: {outcome:?}; output {}", ui.text());
    };
    assert_eq!((summary.add, summary.change, summary.destroy), (0, 1, 0));
    assert_eq!(
        outputs.get("CdnDomain").map(String::as_str),
        Some("pdf8vqi468def.cloudfront.net")
    );
    // One change set, an update carrying the new domains inline, executed once.
    let requests = stage.create_requests.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].0, ChangeSetType::Update);
    assert!(requests[0].1.contains("www.clouder.example.com"));
    assert_eq!(stage.executed.num_calls(), 1);
    // Under the stage lock, given back at the end.
    assert_eq!(stage.lock_written.num_calls(), 1);
    assert_eq!(stage.lock_released.num_calls(), 1);
    let text = ui.text();
    assert!(
        text.lines()
            .any(|n| n.starts_with("Stack clouder-dev: UPDATE_COMPLETE after")),
        "{text}"
    );
    assert!(text
        .lines()
        .any(|l| l.contains("cdn distribution") && l.contains("Modifications complete")));
    // The lock was taken and given back, as events.
    assert!(ui
        .events
        .iter()
        .any(|e| matches!(e, Event::LockTaken { .. })));
    assert!(ui
        .events
        .iter()
        .any(|e| matches!(e, Event::LockGivenBack { .. })));
    assert_eq!(ui.questions, 0, "auto-approved");
}

#[tokio::test]
async fn a_rolled_back_operation_fails_naming_its_root_cause() {
    let events = vec![
        event(5, "clouder-dev", ResourceStatus::UpdateRollbackComplete, ""),
        event(4, "Distribution", ResourceStatus::UpdateComplete, ""),
        event(3, "clouder-dev", ResourceStatus::UpdateRollbackInProgress, "The following resource(s) failed to update: [Distribution]."),
        event(2, "Distribution", ResourceStatus::UpdateFailed, "Resource handler returned message: \"The certificate that is attached to your distribution doesn't cover the alternate domain name (CNAME)\""),
    ];
    let (outcome, stage, _) =
        apply_domains_added(StackStatus::UpdateRollbackComplete, events).await;
    match outcome {
        Err(HoverError::StackFailed {
            stack,
            status,
            causes,
        }) => {
            assert_eq!(stack, "clouder-dev");
            assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
            assert_eq!(causes.len(), 1, "{causes:?}");
            assert!(
                causes[0]
                    .starts_with("Distribution (AWS::CloudFront::Distribution): UPDATE_FAILED"),
                "{causes:?}"
            );
            assert!(causes[0].contains("alternate domain name"), "{causes:?}");
        }
        other => panic!("a rollback must fail the apply, got {other:?}"),
    }
    assert_eq!(stage.executed.num_calls(), 1);
    // The lock is given back even though the apply failed.
    assert_eq!(stage.lock_released.num_calls(), 1);
}
