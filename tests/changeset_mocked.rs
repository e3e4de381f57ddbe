//! The change-set adapter against mocked CloudFormation responses: a real SDK client whose HTTP
//! layer is replaced by `aws-smithy-mocks` rules, so request fields and response parsing are checked
//! offline and in milliseconds.

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::{
    CreateChangeSetError, CreateChangeSetOutput,
};
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::{
    DescribeStackEventsError, DescribeStackEventsOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::list_change_sets::ListChangeSetsOutput;
use aws_sdk_cloudformation::types::error::InsufficientCapabilitiesException;
use aws_sdk_cloudformation::types::{
    Capability, Change, ChangeAction, ChangeSetStatus, ChangeSetSummary as SdkSummary,
    ChangeSetType, ChangeSource, ChangeType, EvaluationType, ExecutionStatus, Replacement,
    RequiresRecreation, ResourceAttribute, ResourceChange, ResourceChangeDetail, ResourceStatus,
    ResourceTargetDefinition, Stack, StackEvent as SdkEvent, StackStatus,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use aws_smithy_types::DateTime;
use hover::changeset::{
    self, CfnChange, CfnDetail, ChangeSetError, ChangeSetOutcome, ChangeSetRequest,
    ChangeSetSummary, CreatedChangeSet, Poll, StackEvent, StackStatusInfo, TemplateSource, Waiting,
    EMPTY_REASONS,
};
use pretty_assertions::assert_eq;
use std::time::Duration;

const ARN: &str = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/hover-1700000000000/abc";
const STACK_ID: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/hover-prod/def";

/// A real CloudFormation client answered by `rules`, in order.
fn client(rules: &[&Rule]) -> Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_cloudformation::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    Client::from_conf(config)
}

/// Polling in milliseconds, so tests never wait.
fn fast() -> Poll {
    Poll {
        first: Duration::from_millis(1),
        max: Duration::from_millis(3),
        factor: 1.5,
        timeout: None,
    }
}

fn request(template: TemplateSource, create: bool, role: Option<&str>) -> ChangeSetRequest {
    ChangeSetRequest {
        stack_name: "hover-prod".to_string(),
        change_set_name: "hover-1700000000000".to_string(),
        template,
        create,
        capabilities: vec![
            "CAPABILITY_IAM".to_string(),
            "CAPABILITY_NAMED_IAM".to_string(),
        ],
        role_arn: role.map(str::to_string),
        description: "hover apply of stage prod".to_string(),
    }
}

fn created() -> CreateChangeSetOutput {
    CreateChangeSetOutput::builder()
        .id(ARN)
        .stack_id(STACK_ID)
        .build()
}

#[tokio::test]
async fn create_sends_body_create_type_capabilities_and_role() {
    let rule = mock!(Client::create_change_set)
        .match_requests(|r| {
            r.stack_name() == Some("hover-prod")
                && r.change_set_name() == Some("hover-1700000000000")
                && r.change_set_type() == Some(&ChangeSetType::Create)
                && r.template_body() == Some("{\"Resources\":{}}")
                && r.template_url().is_none()
                && r.capabilities() == [Capability::CapabilityIam, Capability::CapabilityNamedIam]
                && r.role_arn() == Some("arn:aws:iam::123456789012:role/deployer")
                && r.description() == Some("hover apply of stage prod")
        })
        .then_output(created);
    let cfn = client(&[&rule]);
    let req = request(
        TemplateSource::Body("{\"Resources\":{}}".to_string()),
        true,
        Some("arn:aws:iam::123456789012:role/deployer"),
    );
    let out = changeset::create(&cfn, &req).await.expect("created");
    assert_eq!(
        out,
        CreatedChangeSet {
            arn: ARN.to_string(),
            stack_id: STACK_ID.to_string()
        }
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn create_sends_url_update_type_and_no_role() {
    let rule = mock!(Client::create_change_set)
        .match_requests(|r| {
            r.change_set_type() == Some(&ChangeSetType::Update)
                && r.template_url() == Some("https://hover-prod-assets.s3.amazonaws.com/t.json")
                && r.template_body().is_none()
                && r.role_arn().is_none()
        })
        .then_output(created);
    let cfn = client(&[&rule]);
    let req = request(
        TemplateSource::Url("https://hover-prod-assets.s3.amazonaws.com/t.json".to_string()),
        false,
        None,
    );
    assert_eq!(
        changeset::create(&cfn, &req).await.expect("created").arn,
        ARN
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn create_answer_without_id_is_incomplete() {
    let rule = mock!(Client::create_change_set)
        .then_output(|| CreateChangeSetOutput::builder().stack_id(STACK_ID).build());
    let cfn = client(&[&rule]);
    let err = changeset::create(
        &cfn,
        &request(TemplateSource::Body("{}".into()), true, None),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ChangeSetError::Incomplete {
                operation: "CreateChangeSet",
                field: "Id"
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_refusal_keeps_code_message_and_help() {
    let rule = mock!(Client::create_change_set).then_error(|| {
        CreateChangeSetError::InsufficientCapabilitiesException(
            InsufficientCapabilitiesException::builder()
                .message("Requires capabilities : [CAPABILITY_NAMED_IAM]")
                .meta(
                    ErrorMetadata::builder()
                        .code("InsufficientCapabilitiesException")
                        .message("Requires capabilities : [CAPABILITY_NAMED_IAM]")
                        .build(),
                )
                .build(),
        )
    });
    let cfn = client(&[&rule]);
    let err = changeset::create(
        &cfn,
        &request(TemplateSource::Body("{}".into()), true, None),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_code(), Some("InsufficientCapabilitiesException"));
    match err {
        ChangeSetError::Aws {
            operation,
            message,
            help,
            ..
        } => {
            assert_eq!(operation, "CreateChangeSet");
            assert_eq!(message, "Requires capabilities : [CAPABILITY_NAMED_IAM]");
            assert!(help.is_some_and(|h| h.contains("CAPABILITY_NAMED_IAM")));
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn status_only(status: ChangeSetStatus) -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(ARN)
        .status(status)
        .build()
}

fn describe_rule(out: fn() -> DescribeChangeSetOutput, token: Option<&'static str>) -> Rule {
    mock!(Client::describe_change_set)
        .match_requests(move |r| {
            r.change_set_name() == Some(ARN)
                && r.stack_name().is_none()
                && r.include_property_values() == Some(true)
                && r.next_token() == token
        })
        .then_output(out)
}

fn page_one() -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(ARN)
        .status(ChangeSetStatus::CreateComplete)
        .changes(
            Change::builder()
                .r#type(ChangeType::Resource)
                .resource_change(
                    ResourceChange::builder()
                        .action(ChangeAction::Modify)
                        .logical_resource_id("HttpFunction")
                        .physical_resource_id("hover-prod-http")
                        .resource_type("AWS::Lambda::Function")
                        .replacement(Replacement::False)
                        .details(
                            ResourceChangeDetail::builder()
                                .target(
                                    ResourceTargetDefinition::builder()
                                        .attribute(ResourceAttribute::Properties)
                                        .name("MemorySize")
                                        .requires_recreation(RequiresRecreation::Never)
                                        .before_value("1024")
                                        .after_value("2048")
                                        .build(),
                                )
                                .evaluation(EvaluationType::Static)
                                .change_source(ChangeSource::DirectModification)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .next_token("page-2")
        .build()
}

fn page_two() -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder()
        .change_set_id(ARN)
        .status(ChangeSetStatus::CreateComplete)
        .changes(
            Change::builder()
                .r#type(ChangeType::Resource)
                .resource_change(
                    ResourceChange::builder()
                        .action(ChangeAction::Modify)
                        .logical_resource_id("JobsQueue")
                        .physical_resource_id(
                            "https://sqs.eu-west-1.amazonaws.com/123456789012/hover-prod-jobs",
                        )
                        .resource_type("AWS::SQS::Queue")
                        .replacement(Replacement::True)
                        .details(
                            ResourceChangeDetail::builder()
                                .target(
                                    ResourceTargetDefinition::builder()
                                        .attribute(ResourceAttribute::Properties)
                                        .name("QueueName")
                                        .requires_recreation(RequiresRecreation::Always)
                                        .build(),
                                )
                                .evaluation(EvaluationType::Static)
                                .change_source(ChangeSource::DirectModification)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .changes(
            Change::builder()
                .r#type(ChangeType::Resource)
                .resource_change(
                    ResourceChange::builder()
                        .action(ChangeAction::Add)
                        .logical_resource_id("ScheduleRule")
                        .resource_type("AWS::Events::Rule")
                        .build(),
                )
                .build(),
        )
        .build()
}

#[tokio::test]
async fn wait_polls_until_complete_then_reads_every_page() {
    let pending = describe_rule(|| status_only(ChangeSetStatus::CreatePending), None);
    let running = describe_rule(|| status_only(ChangeSetStatus::CreateInProgress), None);
    let first = describe_rule(page_one, None);
    let second = describe_rule(page_two, Some("page-2"));
    let cfn = client(&[&pending, &running, &first, &second]);

    let outcome = changeset::wait_and_describe_with(&cfn, ARN, fast())
        .await
        .expect("described");

    let expected = vec![
        CfnChange {
            logical_id: "HttpFunction".to_string(),
            action: "Modify".to_string(),
            replacement: Some("False".to_string()),
            resource_type: "AWS::Lambda::Function".to_string(),
            physical_id: Some("hover-prod-http".to_string()),
            details: vec![CfnDetail {
                attribute: "Properties".to_string(),
                name: Some("MemorySize".to_string()),
                requires_recreation: Some("Never".to_string()),
                evaluation: Some("Static".to_string()),
                change_source: Some("DirectModification".to_string()),
                before: Some("1024".to_string()),
                after: Some("2048".to_string()),
            }],
        },
        CfnChange {
            logical_id: "JobsQueue".to_string(),
            action: "Modify".to_string(),
            replacement: Some("True".to_string()),
            resource_type: "AWS::SQS::Queue".to_string(),
            physical_id: Some(
                "https://sqs.eu-west-1.amazonaws.com/123456789012/hover-prod-jobs".to_string(),
            ),
            details: vec![CfnDetail {
                attribute: "Properties".to_string(),
                name: Some("QueueName".to_string()),
                requires_recreation: Some("Always".to_string()),
                evaluation: Some("Static".to_string()),
                change_source: Some("DirectModification".to_string()),
                before: None,
                after: None,
            }],
        },
        CfnChange {
            logical_id: "ScheduleRule".to_string(),
            action: "Add".to_string(),
            replacement: None,
            resource_type: "AWS::Events::Rule".to_string(),
            physical_id: None,
            details: vec![],
        },
    ];
    assert_eq!(outcome, ChangeSetOutcome::Ready(expected));
    for rule in [&pending, &running, &first, &second] {
        assert_eq!(rule.num_calls(), 1);
    }
}

#[tokio::test]
async fn both_no_change_reasons_are_empty() {
    for reason in EMPTY_REASONS {
        let rule = mock!(Client::describe_change_set).then_output(move || {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::Failed)
                .execution_status(ExecutionStatus::Unavailable)
                .status_reason(reason)
                .build()
        });
        let cfn = client(&[&rule]);
        let outcome = changeset::wait_and_describe_with(&cfn, ARN, fast())
            .await
            .expect("described");
        assert_eq!(outcome, ChangeSetOutcome::Empty, "{reason}");
    }
}

#[tokio::test]
async fn another_failure_reason_is_failed() {
    let reason = "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template";
    let pending = describe_rule(|| status_only(ChangeSetStatus::CreateInProgress), None);
    let failed = mock!(Client::describe_change_set).then_output(move || {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::Failed)
            .status_reason(reason)
            .build()
    });
    let cfn = client(&[&pending, &failed]);
    let outcome = changeset::wait_and_describe_with(&cfn, ARN, fast())
        .await
        .expect("described");
    assert_eq!(outcome, ChangeSetOutcome::Failed(reason.to_string()));
}

#[tokio::test]
async fn wait_gives_up_after_its_timeout() {
    let pending = mock!(Client::describe_change_set)
        .sequence()
        .output(|| status_only(ChangeSetStatus::CreatePending))
        .repeatedly()
        .build();
    let cfn = client(&[&pending]);
    let poll = Poll {
        timeout: Some(Duration::from_millis(30)),
        ..fast()
    };
    let err = changeset::wait_and_describe_with(&cfn, ARN, poll)
        .await
        .unwrap_err();
    match err {
        ChangeSetError::Timeout { last_status, .. } => assert_eq!(last_status, "CREATE_PENDING"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        pending.num_calls() >= 3,
        "polled {} times",
        pending.num_calls()
    );
}

#[tokio::test]
async fn execute_and_delete_address_the_change_set_by_arn() {
    let execute = mock!(Client::execute_change_set)
        .match_requests(|r| r.change_set_name() == Some(ARN) && r.stack_name().is_none())
        .then_output(|| ExecuteChangeSetOutput::builder().build());
    let delete = mock!(Client::delete_change_set)
        .match_requests(|r| r.change_set_name() == Some(ARN) && r.stack_name().is_none())
        .then_output(|| DeleteChangeSetOutput::builder().build());
    let delete_stack = mock!(Client::delete_stack)
        .match_requests(|r| r.stack_name() == Some("hover-prod"))
        .then_output(|| DeleteStackOutput::builder().build());
    let cfn = client(&[&execute, &delete, &delete_stack]);
    changeset::execute(&cfn, ARN).await.expect("executed");
    changeset::delete(&cfn, ARN).await.expect("deleted");
    changeset::delete_stack(&cfn, "hover-prod")
        .await
        .expect("stack deleted");
    assert_eq!(
        (
            execute.num_calls(),
            delete.num_calls(),
            delete_stack.num_calls()
        ),
        (1, 1, 1)
    );
}

fn event(n: i64, logical: &str, status: ResourceStatus) -> SdkEvent {
    SdkEvent::builder()
        .event_id(format!("e{n}"))
        .stack_id(STACK_ID)
        .stack_name("hover-prod")
        .logical_resource_id(logical)
        .resource_type(if logical == "hover-prod" {
            "AWS::CloudFormation::Stack"
        } else {
            "AWS::Lambda::Function"
        })
        .resource_status(status)
        .timestamp(DateTime::from_millis(1_700_000_000_000 + n * 1000))
        .build()
}

fn flat(n: i64, logical: &str, status: &str) -> StackEvent {
    StackEvent {
        event_id: format!("e{n}"),
        logical_id: logical.to_string(),
        resource_type: if logical == "hover-prod" {
            "AWS::CloudFormation::Stack"
        } else {
            "AWS::Lambda::Function"
        }
        .to_string(),
        status: status.to_string(),
        reason: None,
        timestamp_ms: 1_700_000_000_000 + n * 1000,
    }
}

#[tokio::test]
async fn events_since_pages_until_the_known_event_and_drops_duplicates() {
    // Newest first, as CloudFormation lists them; a new event shifted the second page by one.
    let first = mock!(Client::describe_stack_events)
        .match_requests(|r| r.stack_name() == Some("hover-prod") && r.next_token().is_none())
        .then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event(9, "hover-prod", ResourceStatus::UpdateComplete))
                .stack_events(event(8, "HttpFunction", ResourceStatus::UpdateComplete))
                .stack_events(event(7, "HttpFunction", ResourceStatus::UpdateInProgress))
                .next_token("t2")
                .build()
        });
    let second = mock!(Client::describe_stack_events)
        .match_requests(|r| r.next_token() == Some("t2"))
        .then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event(7, "HttpFunction", ResourceStatus::UpdateInProgress))
                .stack_events(event(6, "hover-prod", ResourceStatus::UpdateInProgress))
                .stack_events(event(5, "hover-prod", ResourceStatus::CreateComplete))
                .stack_events(event(4, "HttpFunction", ResourceStatus::CreateComplete))
                .next_token("t3")
                .build()
        });
    // Never reached: paging stops at the known event e5.
    let third = mock!(Client::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            .stack_events(event(1, "hover-prod", ResourceStatus::CreateInProgress))
            .build()
    });
    let cfn = client(&[&first, &second, &third]);

    let events = changeset::events_since(&cfn, "hover-prod", Some("e5"))
        .await
        .expect("events");
    assert_eq!(
        events,
        vec![
            flat(6, "hover-prod", "UPDATE_IN_PROGRESS"),
            flat(7, "HttpFunction", "UPDATE_IN_PROGRESS"),
            flat(8, "HttpFunction", "UPDATE_COMPLETE"),
            flat(9, "hover-prod", "UPDATE_COMPLETE"),
        ]
    );
    assert_eq!(
        (first.num_calls(), second.num_calls(), third.num_calls()),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn events_since_without_a_baseline_reads_every_page() {
    let first = mock!(Client::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            .stack_events(event(2, "hover-prod", ResourceStatus::CreateComplete))
            .next_token("t2")
            .build()
    });
    let second = mock!(Client::describe_stack_events)
        .match_requests(|r| r.next_token() == Some("t2"))
        .then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event(2, "hover-prod", ResourceStatus::CreateComplete))
                .stack_events(event(1, "hover-prod", ResourceStatus::CreateInProgress))
                .build()
        });
    let cfn = client(&[&first, &second]);
    let events = changeset::events_since(&cfn, "hover-prod", None)
        .await
        .expect("events");
    assert_eq!(
        events,
        vec![
            flat(1, "hover-prod", "CREATE_IN_PROGRESS"),
            flat(2, "hover-prod", "CREATE_COMPLETE")
        ]
    );
}

fn not_found_stacks() -> DescribeStacksError {
    DescribeStacksError::generic(
        ErrorMetadata::builder()
            .code("ValidationError")
            .message("Stack with id hover-prod does not exist")
            .build(),
    )
}

#[tokio::test]
async fn events_of_a_missing_stack_are_none_and_latest_event_id_reads_one_page() {
    let missing = mock!(Client::describe_stack_events).then_error(|| {
        DescribeStackEventsError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message("Stack [hover-prod] does not exist")
                .build(),
        )
    });
    let latest = mock!(Client::describe_stack_events).then_output(|| {
        DescribeStackEventsOutput::builder()
            .stack_events(event(9, "hover-prod", ResourceStatus::UpdateComplete))
            .stack_events(event(8, "HttpFunction", ResourceStatus::UpdateComplete))
            .next_token("more")
            .build()
    });
    let cfn = client(&[&missing, &latest]);
    assert_eq!(
        changeset::events_since(&cfn, "hover-prod", None)
            .await
            .expect("none"),
        vec![]
    );
    assert_eq!(
        changeset::latest_event_id(&cfn, "hover-prod")
            .await
            .expect("latest")
            .as_deref(),
        Some("e9")
    );
    assert_eq!(latest.num_calls(), 1);
}

fn stack(status: StackStatus) -> DescribeStacksOutput {
    DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_id(STACK_ID)
                .stack_name("hover-prod")
                .stack_status(status)
                .stack_status_reason("because")
                .creation_time(DateTime::from_millis(0))
                .build(),
        )
        .build()
}

fn stacks_rule(status: StackStatus) -> Rule {
    mock!(Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("hover-prod"))
        .then_output(move || stack(status.clone()))
}

#[tokio::test]
async fn stack_status_reads_the_stack_or_none() {
    let found = stacks_rule(StackStatus::UpdateRollbackFailed);
    let missing = mock!(Client::describe_stacks).then_error(not_found_stacks);
    let cfn = client(&[&found, &missing]);
    assert_eq!(
        changeset::stack_status(&cfn, "hover-prod")
            .await
            .expect("status"),
        Some(StackStatusInfo {
            status: "UPDATE_ROLLBACK_FAILED".to_string(),
            reason: Some("because".to_string()),
            stack_id: STACK_ID.to_string(),
        })
    );
    assert_eq!(
        changeset::stack_status(&cfn, "hover-prod")
            .await
            .expect("none"),
        None
    );
}

#[tokio::test]
async fn other_errors_are_not_mistaken_for_a_missing_stack() {
    let denied = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform cloudformation:DescribeStacks")
                .build(),
        )
    });
    let cfn = client(&[&denied]);
    let err = changeset::stack_status(&cfn, "hover-prod")
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("AccessDenied"));
    assert!(err.to_string().contains("DescribeStacks"), "{err}");
}

#[tokio::test]
async fn wait_stack_settled_polls_through_in_progress_statuses() {
    let a = stacks_rule(StackStatus::UpdateInProgress);
    let b = stacks_rule(StackStatus::UpdateCompleteCleanupInProgress);
    let c = stacks_rule(StackStatus::UpdateComplete);
    let cfn = client(&[&a, &b, &c]);
    let mut seen = Vec::new();
    let status = changeset::wait_stack_settled_with(&cfn, "hover-prod", fast(), |s| {
        seen.push(s.to_string())
    })
    .await
    .expect("settled");
    assert_eq!(status.as_deref(), Some("UPDATE_COMPLETE"));
    assert_eq!(
        seen,
        ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    );
}

#[tokio::test]
async fn wait_stack_settled_ends_when_the_stack_is_gone_or_in_review() {
    let deleting = stacks_rule(StackStatus::DeleteInProgress);
    let gone = mock!(Client::describe_stacks).then_error(not_found_stacks);
    let review = stacks_rule(StackStatus::ReviewInProgress);
    let cfn = client(&[&deleting, &gone, &review]);
    assert_eq!(
        changeset::wait_stack_settled_with(&cfn, "hover-prod", fast(), |_| {})
            .await
            .expect("gone"),
        None
    );
    let mut polls = 0;
    let status = changeset::wait_stack_settled_with(&cfn, "hover-prod", fast(), |_| polls += 1)
        .await
        .expect("review");
    assert_eq!(status.as_deref(), Some("REVIEW_IN_PROGRESS"));
    assert_eq!(polls, 0);
}

#[tokio::test]
async fn wait_stack_settled_gives_up_naming_the_stack_and_its_status() {
    let busy = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateInProgress))
        .repeatedly()
        .build();
    let cfn = client(&[&busy]);
    let poll = Poll {
        timeout: Some(Duration::from_millis(30)),
        ..fast()
    };
    let err = changeset::wait_stack_settled_with(&cfn, "hover-prod", poll, |_| {})
        .await
        .unwrap_err();
    match &err {
        ChangeSetError::Timeout {
            what, last_status, ..
        } => {
            assert_eq!(
                what,
                &Waiting::Stack {
                    stack: "hover-prod".into()
                }
            );
            assert_eq!(last_status, "UPDATE_IN_PROGRESS");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("stack `hover-prod`"), "{err}");
    assert!(busy.num_calls() >= 3, "polled {} times", busy.num_calls());
}

#[tokio::test]
async fn list_change_sets_reads_every_page() {
    let first = mock!(Client::list_change_sets)
        .match_requests(|r| r.stack_name() == Some("hover-prod") && r.next_token().is_none())
        .then_output(|| {
            ListChangeSetsOutput::builder()
                .summaries(
                    SdkSummary::builder()
                        .change_set_id("arn:1")
                        .change_set_name("hover-1")
                        .status(ChangeSetStatus::CreateComplete)
                        .execution_status(ExecutionStatus::Available)
                        .build(),
                )
                .next_token("n")
                .build()
        });
    let second = mock!(Client::list_change_sets)
        .match_requests(|r| r.next_token() == Some("n"))
        .then_output(|| {
            ListChangeSetsOutput::builder()
                .summaries(
                    SdkSummary::builder()
                        .change_set_id("arn:2")
                        .change_set_name("hover-2")
                        .status(ChangeSetStatus::Failed)
                        .execution_status(ExecutionStatus::Unavailable)
                        .build(),
                )
                .build()
        });
    let cfn = client(&[&first, &second]);
    let all = changeset::list_change_sets(&cfn, "hover-prod")
        .await
        .expect("listed");
    assert_eq!(
        all,
        vec![
            ChangeSetSummary {
                arn: "arn:1".to_string(),
                name: "hover-1".to_string(),
                status: "CREATE_COMPLETE".to_string(),
                execution_status: "AVAILABLE".to_string(),
            },
            ChangeSetSummary {
                arn: "arn:2".to_string(),
                name: "hover-2".to_string(),
                status: "FAILED".to_string(),
                execution_status: "UNAVAILABLE".to_string(),
            },
        ]
    );
}

#[test]
fn default_polling_backs_off_from_200ms_to_5s() {
    let delays: Vec<u128> = Poll::default()
        .delays()
        .take(12)
        .map(|d| d.as_millis())
        .collect();
    assert_eq!(delays[..4], [200, 300, 450, 675]);
    assert!(delays.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(*delays.last().unwrap_or(&0), 5000);
    assert!(delays.iter().all(|d| *d <= 5000));
}
