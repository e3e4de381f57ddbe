//! The live readers against real SDK clients whose responses are mocked (`aws-smithy-mocks`):
//! exact property shapes, pagination, absence, retries of throttling, error reporting and the
//! concurrency bound.

mod common;

use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use common::{quick_retries, Mocks};
use hover::live::{self, Clients, LiveError};
use hover::model::{LiveResource, LiveTarget, Lookup, MappingKeys, StackResource, StackStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

// ---------------------------------------------------------------------------------------------
// Mocked clients

/// The live readers' clients: rules per service, with the defaults every read needs (the
/// caller's identity, and no stack) after a test's own, so a test's rules win.
trait Build {
    fn build(self) -> Clients;
}

impl Build for Mocks {
    fn build(mut self) -> Clients {
        self.sts.push(
            mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
                aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder()
                    .account(ACCOUNT)
                    .arn(format!("arn:aws:iam::{ACCOUNT}:user/tester"))
                    .build()
            }),
        );
        self.cloudformation.push(
            mock!(aws_sdk_cloudformation::Client::describe_stacks)
                .then_http_response(|| stack_missing("app-dev")),
        );
        self.clients(REGION, quick_retries())
    }
}

// ---------------------------------------------------------------------------------------------
// Wire-format responses (what AWS really sends, so the SDK's own error parsing is exercised)

fn http(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> HttpResponse {
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(body.to_owned()),
    );
    for (k, v) in headers {
        response.headers_mut().insert(*k, *v);
    }
    response
}

/// awsJson 1.0 / 1.1 error (logs, events, ecr, kms).
fn json_error(code: &str, message: &str) -> HttpResponse {
    http(
        400,
        &[("content-type", "application/x-amz-json-1.1")],
        &json!({"__type": code, "message": message}).to_string(),
    )
}

/// restJson1 error (lambda, apigatewayv2).
fn rest_json_error(status: u16, code: &'static str, message: &str) -> HttpResponse {
    http(
        status,
        &[
            ("x-amzn-errortype", code),
            ("content-type", "application/json"),
        ],
        &json!({"Type": "User", "Message": message, "message": message}).to_string(),
    )
}

/// awsQuery / restXml error (cloudformation, sts, cloudfront).
fn xml_error(status: u16, code: &str, message: &str) -> HttpResponse {
    http(
        status,
        &[("content-type", "text/xml")],
        &format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
             <Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        ),
    )
}

/// S3's restXml error.
fn s3_error(status: u16, code: &str, message: &str) -> HttpResponse {
    http(
        status,
        &[("content-type", "application/xml")],
        &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
}

fn stack_missing(name: &str) -> HttpResponse {
    xml_error(
        400,
        "ValidationError",
        &format!("Stack with id {name} does not exist"),
    )
}

// ---------------------------------------------------------------------------------------------
// Targets

/// A target found through `lookup`, which the stack does not record.
fn target(logical_id: &str, lookup: Lookup) -> LiveTarget {
    LiveTarget::by(logical_id, lookup, None)
}

/// A target with no lookup (only known through the stack), which the stack does not record yet.
fn unnamed(logical_id: &str, resource_type: &str) -> LiveTarget {
    LiveTarget {
        logical_id: logical_id.to_owned(),
        resource_type: resource_type.into(),
        lookup: None,
        physical_id: None,
    }
}

fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn props(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => panic!("expected an object, got {other}"),
    }
}

async fn read_one(clients: &Clients, t: LiveTarget) -> Option<LiveResource> {
    let id = t.logical_id.clone();
    let stage = live::read_stage(clients, "app-dev", &[t])
        .await
        .expect("read succeeds");
    stage.resources.get(&id).cloned()
}

// ---------------------------------------------------------------------------------------------
// Stack

fn stack_output() -> aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput {
    use aws_sdk_cloudformation::types::{Output, Stack, StackStatus};
    aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_name("app-dev")
                .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/app-dev/abc")
                .stack_status(StackStatus::UpdateRollbackComplete)
                .stack_status_reason("Resource failed")
                .outputs(
                    Output::builder()
                        .output_key("HttpUrl")
                        .output_value("https://x.execute-api.eu-west-1.amazonaws.com")
                        .build(),
                )
                .outputs(
                    Output::builder()
                        .output_key("AssetsUrl")
                        .output_value("https://d1.cloudfront.net")
                        .build(),
                )
                .build(),
        )
        .build()
}

fn summary(
    logical: &str,
    ty: &str,
    physical: &str,
) -> aws_sdk_cloudformation::types::StackResourceSummary {
    aws_sdk_cloudformation::types::StackResourceSummary::builder()
        .logical_resource_id(logical)
        .resource_type(ty)
        .physical_resource_id(physical)
        .resource_status(aws_sdk_cloudformation::types::ResourceStatus::CreateComplete)
        .build()
}

fn stack_rules(template_body: &'static str) -> Vec<Rule> {
    use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
    use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
    use aws_sdk_cloudformation::types::TemplateStage;
    vec![
        mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(stack_output),
        mock!(aws_sdk_cloudformation::Client::get_template)
            .match_requests(|r| r.template_stage() == Some(&TemplateStage::Original))
            .then_output(move || {
                GetTemplateOutput::builder()
                    .template_body(template_body)
                    .build()
            }),
        mock!(aws_sdk_cloudformation::Client::list_stack_resources)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListStackResourcesOutput::builder()
                    .stack_resource_summaries(summary(
                        "HttpFunction",
                        "AWS::Lambda::Function",
                        "app-dev-http",
                    ))
                    .stack_resource_summaries(summary("", "", ""))
                    .next_token("page-2")
                    .build()
            }),
        mock!(aws_sdk_cloudformation::Client::list_stack_resources)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListStackResourcesOutput::builder()
                    .stack_resource_summaries(summary(
                        "ExecutionRole",
                        "AWS::IAM::Role",
                        "app-dev-role",
                    ))
                    .build()
            }),
    ]
}

#[tokio::test]
async fn stack_is_read_with_template_outputs_and_every_page_of_resources() {
    let rules = stack_rules(r#"{"Resources":{"HttpFunction":{"Type":"AWS::Lambda::Function"}}}"#);
    let clients = Mocks {
        cloudformation: rules.clone(),
        ..Default::default()
    }
    .build();

    let stack = live::read_stack(&clients, "app-dev")
        .await
        .expect("read succeeds")
        .expect("stack exists");

    assert_eq!(stack.name, "app-dev");
    assert_eq!(
        stack.stack_id,
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/app-dev/abc"
    );
    assert_eq!(stack.status, StackStatus::UpdateRollbackComplete);
    assert_eq!(stack.status_reason.as_deref(), Some("Resource failed"));
    assert_eq!(
        stack.template,
        Some(json!({"Resources": {"HttpFunction": {"Type": "AWS::Lambda::Function"}}}))
    );
    assert_eq!(
        stack.outputs,
        BTreeMap::from([
            (
                "AssetsUrl".to_owned(),
                "https://d1.cloudfront.net".to_owned()
            ),
            (
                "HttpUrl".to_owned(),
                "https://x.execute-api.eu-west-1.amazonaws.com".to_owned()
            ),
        ])
    );
    // Both pages, and the nameless entry (an emulator artefact) skipped.
    assert_eq!(
        stack.resources,
        BTreeMap::from([
            (
                "ExecutionRole".to_owned(),
                StackResource {
                    resource_type: "AWS::IAM::Role".into(),
                    physical_id: "app-dev-role".to_owned(),
                    status: "CREATE_COMPLETE".to_owned(),
                }
            ),
            (
                "HttpFunction".to_owned(),
                StackResource {
                    resource_type: "AWS::Lambda::Function".into(),
                    physical_id: "app-dev-http".to_owned(),
                    status: "CREATE_COMPLETE".to_owned(),
                }
            ),
        ])
    );
    assert_eq!(rules[2].num_calls(), 1);
    assert_eq!(rules[3].num_calls(), 1);
}

#[tokio::test]
async fn yaml_template_leaves_template_unset() {
    let clients = Mocks {
        cloudformation: stack_rules("Resources:\n  A:\n    Type: AWS::SQS::Queue\n"),
        ..Default::default()
    }
    .build();
    let stack = live::read_stack(&clients, "app-dev")
        .await
        .expect("read succeeds")
        .expect("stack exists");
    assert_eq!(stack.template, None);
    assert_eq!(stack.resources.len(), 2);
}

#[tokio::test]
async fn stack_that_does_not_exist_is_none_not_an_error() {
    let clients = Mocks::default().build();
    assert_eq!(
        live::read_stack(&clients, "app-dev")
            .await
            .expect("no error"),
        None
    );
    let stage = live::read_stage(&clients, "app-dev", &[])
        .await
        .expect("no error");
    assert_eq!(stage.account.as_deref(), Some(ACCOUNT));
    assert_eq!(stage.stack, None);
    assert!(stage.resources.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Exact property shapes

#[tokio::test]
async fn function_properties_are_in_cloudformation_shape() {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::types::{
        Concurrency, EnvironmentResponse, FunctionCodeLocation, FunctionConfiguration, PackageType,
        VpcConfigResponse,
    };
    let get_function = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("app-dev-http"))
        .then_output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("app-dev-http")
                        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http")
                        .package_type(PackageType::Image)
                        .role("arn:aws:iam::123456789012:role/app-dev-role")
                        .memory_size(1024)
                        .timeout(28)
                        .environment(
                            EnvironmentResponse::builder()
                                .variables("APP_ENV", "production")
                                .variables("APP_DEBUG", "false")
                                .build(),
                        )
                        .vpc_config(
                            VpcConfigResponse::builder()
                                .subnet_ids("subnet-b")
                                .subnet_ids("subnet-a")
                                .security_group_ids("sg-1")
                                .vpc_id("vpc-1")
                                .build(),
                        )
                        .build(),
                )
                .code(
                    FunctionCodeLocation::builder()
                        .image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:abc")
                        .repository_type("ECR")
                        .build(),
                )
                .concurrency(
                    Concurrency::builder()
                        .reserved_concurrent_executions(5)
                        .build(),
                )
                .build()
        });
    let clients = Mocks {
        lambda: vec![get_function.clone()],
        ..Default::default()
    }
    .build();

    let found = read_one(
        &clients,
        target(
            "HttpFunction",
            Lookup::Function {
                name: ("app-dev-http").into(),
            },
        ),
    )
    .await
    .expect("function found");

    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::Lambda::Function".into(),
            physical_id: "app-dev-http".to_owned(),
            attributes: attrs(&[
                ("Ref", "app-dev-http"),
                (
                    "Arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http"
                ),
            ]),
            properties: props(json!({
                "FunctionName": "app-dev-http",
                "PackageType": "Image",
                "Code": {"ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:abc"},
                "Role": "arn:aws:iam::123456789012:role/app-dev-role",
                "MemorySize": 1024,
                "Timeout": 28,
                "ReservedConcurrentExecutions": 5,
                "Environment": {"Variables": {"APP_DEBUG": "false", "APP_ENV": "production"}},
                "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]},
            })),
        }
    );
    // Deterministic order of environment variables.
    let vars = found.properties["Environment"]["Variables"]
        .as_object()
        .expect("object");
    assert_eq!(
        vars.keys().collect::<Vec<_>>(),
        vec!["APP_DEBUG", "APP_ENV"]
    );
    // One call: GetFunction's answer carries the reserved concurrency.
    assert_eq!(get_function.num_calls(), 1);
}

#[tokio::test]
async fn function_without_image_env_vpc_or_concurrency_reads_nulls() {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::types::{FunctionConfiguration, PackageType, VpcConfigResponse};
    let clients = Mocks {
        lambda: vec![mock!(aws_sdk_lambda::Client::get_function).then_output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("app-dev-cli")
                        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:app-dev-cli")
                        .package_type(PackageType::Zip)
                        .role("arn:aws:iam::123456789012:role/r")
                        .memory_size(512)
                        .timeout(900)
                        .vpc_config(VpcConfigResponse::builder().vpc_id("").build())
                        .build(),
                )
                .build()
        })],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "CliFunction",
            Lookup::Function {
                name: ("app-dev-cli").into(),
            },
        ),
    )
    .await
    .expect("function found");
    assert_eq!(
        Value::Object(found.properties),
        json!({
            "FunctionName": "app-dev-cli",
            "PackageType": "Zip",
            "Code": null,
            "Role": "arn:aws:iam::123456789012:role/r",
            "MemorySize": 512,
            "Timeout": 900,
            "ReservedConcurrentExecutions": null,
            "Environment": null,
            "VpcConfig": null,
        })
    );
}

#[tokio::test]
async fn queue_with_redrive_policy_is_in_cloudformation_shape() {
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_sdk_sqs::operation::get_queue_url::GetQueueUrlOutput;
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/app-dev-emails";
    let clients = Mocks {
        sqs: vec![
            mock!(aws_sdk_sqs::Client::get_queue_url)
                .match_requests(|r| r.queue_name() == Some("app-dev-emails"))
                .then_output(move || GetQueueUrlOutput::builder().queue_url(url).build()),
            mock!(aws_sdk_sqs::Client::get_queue_attributes)
                .match_requests(move |r| {
                    r.queue_url() == Some(url) && r.attribute_names() == [A::All]
                })
                .then_output(|| {
                    GetQueueAttributesOutput::builder()
                        .attributes(A::QueueArn, "arn:aws:sqs:eu-west-1:123456789012:app-dev-emails")
                        .attributes(A::VisibilityTimeout, "180")
                        .attributes(A::MessageRetentionPeriod, "1209600")
                        .attributes(
                            A::RedrivePolicy,
                            r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:app-dev-emails-dlq","maxReceiveCount":3}"#,
                        )
                        .attributes(A::ApproximateNumberOfMessages, "5")
                        .attributes(A::ApproximateNumberOfMessagesNotVisible, "2")
                        .build()
                }),
        ],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "EmailsQueue",
            Lookup::Queue {
                name: ("app-dev-emails").into(),
            },
        ),
    )
    .await
    .expect("queue found");
    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::SQS::Queue".into(),
            physical_id: url.to_owned(),
            attributes: attrs(&[
                ("Ref", url),
                ("Arn", "arn:aws:sqs:eu-west-1:123456789012:app-dev-emails"),
                ("QueueName", "app-dev-emails"),
                // Messages waiting and in flight: what deleting the queue destroys.
                ("MessagesHeld", "7"),
            ]),
            properties: props(json!({
                "QueueName": "app-dev-emails",
                "VisibilityTimeout": 180,
                "MessageRetentionPeriod": 1209600,
                "RedrivePolicy": {
                    "deadLetterTargetArn": "arn:aws:sqs:eu-west-1:123456789012:app-dev-emails-dlq",
                    "maxReceiveCount": 3
                },
                "FifoQueue": null,
            })),
        }
    );
}

#[tokio::test]
async fn rule_with_targets_sorted_by_id() {
    use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
    use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
    use aws_sdk_eventbridge::types::{RuleState, Target};
    let fn_arn = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-cli:live";
    let list_page_1 = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule)
        .match_requests(|r| r.rule() == Some("app-dev-schedule") && r.next_token().is_none())
        .then_output(move || {
            ListTargetsByRuleOutput::builder()
                .targets(
                    Target::builder()
                        .id("schedule")
                        .arn(fn_arn)
                        .input(r#"{"cli":"schedule:run"}"#)
                        .build()
                        .expect("target"),
                )
                .next_token("t2")
                .build()
        });
    let list_page_2 = mock!(aws_sdk_eventbridge::Client::list_targets_by_rule)
        .match_requests(|r| r.next_token() == Some("t2"))
        .then_output(move || {
            ListTargetsByRuleOutput::builder()
                .targets(
                    Target::builder()
                        .id("audit")
                        .arn(fn_arn)
                        .build()
                        .expect("target"),
                )
                .build()
        });
    let clients = Mocks {
        eventbridge: vec![
            mock!(aws_sdk_eventbridge::Client::describe_rule)
                .match_requests(|r| r.name() == Some("app-dev-schedule"))
                .then_output(|| {
                    DescribeRuleOutput::builder()
                        .name("app-dev-schedule")
                        .arn("arn:aws:events:eu-west-1:123456789012:rule/app-dev-schedule")
                        .schedule_expression("rate(1 minute)")
                        .state(RuleState::Enabled)
                        .build()
                }),
            list_page_1,
            list_page_2,
        ],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "ScheduleRule",
            Lookup::Rule {
                name: ("app-dev-schedule").into(),
            },
        ),
    )
    .await
    .expect("rule found");
    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::Events::Rule".into(),
            physical_id: "app-dev-schedule".to_owned(),
            attributes: attrs(&[
                ("Ref", "app-dev-schedule"),
                (
                    "Arn",
                    "arn:aws:events:eu-west-1:123456789012:rule/app-dev-schedule"
                ),
            ]),
            properties: props(json!({
                "Name": "app-dev-schedule",
                "ScheduleExpression": "rate(1 minute)",
                "State": "ENABLED",
                "Targets": [
                    {"Id": "audit", "Arn": fn_arn},
                    {"Id": "schedule", "Arn": fn_arn, "Input": "{\"cli\":\"schedule:run\"}"},
                ],
            })),
        }
    );
    assert_eq!(
        found.properties["Targets"][0]
            .as_object()
            .map(|o| o.contains_key("Input")),
        Some(false)
    );
}

fn distribution_summary(id: &str, comment: &str) -> aws_sdk_cloudfront::types::DistributionSummary {
    use aws_sdk_cloudfront::types::{DistributionSummary, HttpVersion, PriceClass};
    DistributionSummary::builder()
        .id(id)
        .arn(format!(
            "arn:aws:cloudfront::123456789012:distribution/{id}"
        ))
        .status("Deployed")
        .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
        .domain_name(format!("{}.cloudfront.net", id.to_lowercase()))
        .comment(comment)
        .price_class(PriceClass::PriceClass100)
        .enabled(true)
        .web_acl_id("")
        .http_version(HttpVersion::Http2)
        .is_ipv6_enabled(true)
        .staging(false)
        .build()
        .expect("summary")
}

fn distribution_list(
    items: Vec<aws_sdk_cloudfront::types::DistributionSummary>,
    next: Option<&str>,
) -> aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput {
    use aws_sdk_cloudfront::types::DistributionList;
    let quantity = items.len() as i32;
    aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput::builder()
        .distribution_list(
            DistributionList::builder()
                .marker("")
                .set_next_marker(next.map(str::to_owned))
                .max_items(100)
                .is_truncated(next.is_some())
                .quantity(quantity)
                .set_items(Some(items))
                .build()
                .expect("list"),
        )
        .build()
}

fn distribution_config() -> aws_sdk_cloudfront::types::DistributionConfig {
    use aws_sdk_cloudfront::types::*;
    let methods = |m: &[&str]| -> Vec<Method> { m.iter().map(|s| Method::from(*s)).collect() };
    let allowed = |all: &[&str], cached: &[&str]| {
        AllowedMethods::builder()
            .quantity(all.len() as i32)
            .set_items(Some(methods(all)))
            .cached_methods(
                CachedMethods::builder()
                    .quantity(cached.len() as i32)
                    .set_items(Some(methods(cached)))
                    .build()
                    .expect("cached"),
            )
            .build()
            .expect("allowed")
    };
    DistributionConfig::builder()
        .caller_reference("app-dev")
        .comment("app-dev")
        .enabled(true)
        .http_version(HttpVersion::from("http2and3"))
        .price_class(PriceClass::from("PriceClass_100"))
        .aliases(
            Aliases::builder()
                .quantity(2)
                .items("www.example.com")
                .items("app.example.com")
                .build()
                .expect("aliases"),
        )
        .viewer_certificate(
            ViewerCertificate::builder()
                .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/c")
                .ssl_support_method(SslSupportMethod::from("sni-only"))
                .minimum_protocol_version(MinimumProtocolVersion::from("TLSv1.2_2021"))
                .build(),
        )
        .origins(
            Origins::builder()
                .quantity(2)
                .items(
                    Origin::builder()
                        .id("http")
                        .domain_name("x.execute-api.eu-west-1.amazonaws.com")
                        .origin_access_control_id("")
                        .custom_origin_config(
                            CustomOriginConfig::builder()
                                .http_port(80)
                                .https_port(443)
                                .origin_protocol_policy(OriginProtocolPolicy::from("https-only"))
                                .origin_ssl_protocols(
                                    OriginSslProtocols::builder()
                                        .quantity(1)
                                        .items(SslProtocol::from("TLSv1.2"))
                                        .build()
                                        .expect("ssl"),
                                )
                                .build()
                                .expect("custom origin"),
                        )
                        .build()
                        .expect("origin"),
                )
                .items(
                    Origin::builder()
                        .id("assets")
                        .domain_name("app-dev-assets.s3.eu-west-1.amazonaws.com")
                        .origin_access_control_id("E2OAC")
                        .s3_origin_config(
                            S3OriginConfig::builder().origin_access_identity("").build(),
                        )
                        .build()
                        .expect("origin"),
                )
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("http")
                .viewer_protocol_policy(ViewerProtocolPolicy::from("redirect-to-https"))
                .allowed_methods(allowed(
                    &["POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"],
                    &["HEAD", "GET"],
                ))
                .cache_policy_id("4135ea2d")
                .origin_request_policy_id("b689b0a8")
                .compress(true)
                .build()
                .expect("default behavior"),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(1)
                .items(
                    CacheBehavior::builder()
                        .path_pattern("/build/*")
                        .target_origin_id("assets")
                        .viewer_protocol_policy(ViewerProtocolPolicy::from("redirect-to-https"))
                        .allowed_methods(allowed(&["HEAD", "GET"], &["HEAD", "GET"]))
                        .cache_policy_id("658327ea")
                        .compress(true)
                        .build()
                        .expect("behavior"),
                )
                .build()
                .expect("behaviors"),
        )
        .build()
        .expect("config")
}

#[tokio::test]
async fn distribution_is_found_across_pages_and_read_in_cloudformation_shape() {
    use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
    let page_1 = mock!(aws_sdk_cloudfront::Client::list_distributions)
        .match_requests(|r| r.marker().is_none())
        .then_output(|| {
            distribution_list(vec![distribution_summary("EOTHER", "app-prod")], Some("m2"))
        });
    let page_2 = mock!(aws_sdk_cloudfront::Client::list_distributions)
        .match_requests(|r| r.marker() == Some("m2"))
        .then_output(|| distribution_list(vec![distribution_summary("EDIST1", "app-dev")], None));
    let get_config = mock!(aws_sdk_cloudfront::Client::get_distribution_config)
        .match_requests(|r| r.id() == Some("EDIST1"))
        .then_output(|| {
            GetDistributionConfigOutput::builder()
                .distribution_config(distribution_config())
                .e_tag("E1")
                .build()
        });
    let clients = Mocks {
        cloudfront: vec![page_1.clone(), page_2.clone(), get_config],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "Distribution",
            Lookup::Distribution {
                comment: "app-dev".into(),
            },
        ),
    )
    .await
    .expect("distribution found");
    assert_eq!(page_1.num_calls(), 1);
    assert_eq!(page_2.num_calls(), 1);
    assert_eq!(
        found.attributes,
        attrs(&[
            ("Ref", "EDIST1"),
            ("Id", "EDIST1"),
            ("DomainName", "edist1.cloudfront.net")
        ])
    );
    assert_eq!(found.physical_id, "EDIST1");
    assert_eq!(
        Value::Object(found.properties),
        json!({"DistributionConfig": {
            "Comment": "app-dev",
            "Enabled": true,
            "HttpVersion": "http2and3",
            "PriceClass": "PriceClass_100",
            "Aliases": ["app.example.com", "www.example.com"],
            "ViewerCertificate": {
                "AcmCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/c",
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021"
            },
            "Origins": [
                {
                    "Id": "http",
                    "DomainName": "x.execute-api.eu-west-1.amazonaws.com",
                    "CustomOriginConfig": {
                        "OriginProtocolPolicy": "https-only",
                        "HTTPSPort": 443,
                        "HTTPPort": 80,
                        "OriginSSLProtocols": ["TLSv1.2"]
                    }
                },
                {
                    "Id": "assets",
                    "DomainName": "app-dev-assets.s3.eu-west-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": "E2OAC"
                }
            ],
            "DefaultCacheBehavior": {
                "TargetOriginId": "http",
                "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                "CachedMethods": ["GET", "HEAD"],
                "CachePolicyId": "4135ea2d",
                "OriginRequestPolicyId": "b689b0a8",
                "Compress": true
            },
            "CacheBehaviors": [{
                "PathPattern": "/build/*",
                "TargetOriginId": "assets",
                "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": ["GET", "HEAD"],
                "CachedMethods": ["GET", "HEAD"],
                "CachePolicyId": "658327ea",
                "Compress": true
            }]
        }})
    );
}

// ---------------------------------------------------------------------------------------------
// API Gateway: one paginated listing shared by the four readers

#[tokio::test]
async fn api_listing_is_paginated_and_shared_by_api_integration_route_and_stage() {
    use aws_sdk_apigatewayv2::operation::{
        get_apis::GetApisOutput, get_integrations::GetIntegrationsOutput,
        get_routes::GetRoutesOutput, get_stages::GetStagesOutput,
    };
    use aws_sdk_apigatewayv2::types::{
        Api, Integration, IntegrationType, ProtocolType, Route, Stage,
    };
    let api = |id: &str, name: &str| {
        Api::builder()
            .api_id(id)
            .name(name)
            .protocol_type(ProtocolType::Http)
            .api_endpoint(format!("https://{id}.execute-api.eu-west-1.amazonaws.com"))
            .route_selection_expression("$request.method $request.path")
            .build()
    };
    let apis_1 = mock!(aws_sdk_apigatewayv2::Client::get_apis)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            GetApisOutput::builder()
                .items(api("zz9", "app-prod"))
                .next_token("n2")
                .build()
        });
    let apis_2 = mock!(aws_sdk_apigatewayv2::Client::get_apis)
        .match_requests(|r| r.next_token() == Some("n2"))
        .then_output(move || {
            GetApisOutput::builder()
                .items(api("b22", "app-dev"))
                .items(api("a11", "app-dev"))
                .build()
        });
    let uri = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http:live";
    let integrations = mock!(aws_sdk_apigatewayv2::Client::get_integrations)
        .match_requests(|r| r.api_id() == Some("a11"))
        .then_output(move || {
            GetIntegrationsOutput::builder()
                .items(
                    Integration::builder()
                        .integration_id("i0")
                        .integration_type(IntegrationType::Mock)
                        .build(),
                )
                .items(
                    Integration::builder()
                        .integration_id("i1")
                        .integration_type(IntegrationType::AwsProxy)
                        .integration_uri(uri)
                        .payload_format_version("2.0")
                        .timeout_in_millis(29000)
                        .build(),
                )
                .build()
        });
    let routes = mock!(aws_sdk_apigatewayv2::Client::get_routes)
        .match_requests(|r| r.api_id() == Some("a11"))
        .then_output(|| {
            GetRoutesOutput::builder()
                .items(
                    Route::builder()
                        .route_id("r1")
                        .route_key("GET /")
                        .target("integrations/i1")
                        .build(),
                )
                .items(
                    Route::builder()
                        .route_id("r2")
                        .route_key("$default")
                        .target("integrations/i1")
                        .build(),
                )
                .build()
        });
    let stages = mock!(aws_sdk_apigatewayv2::Client::get_stages)
        .match_requests(|r| r.api_id() == Some("a11"))
        .then_output(|| {
            GetStagesOutput::builder()
                .items(
                    Stage::builder()
                        .stage_name("$default")
                        .auto_deploy(true)
                        .build(),
                )
                .build()
        });
    let clients = Mocks {
        apigatewayv2: vec![apis_1.clone(), apis_2.clone(), integrations, routes, stages],
        ..Default::default()
    }
    .build();
    let targets = vec![
        target(
            "HttpApi",
            Lookup::Api {
                name: ("app-dev").into(),
            },
        ),
        target(
            "HttpIntegration",
            Lookup::Integration {
                api_name: "app-dev".into(),
            },
        ),
        target(
            "HttpRoute",
            Lookup::Route {
                api_name: "app-dev".into(),
                route_key: "$default".into(),
            },
        ),
        target(
            "HttpStage",
            Lookup::ApiStage {
                api_name: "app-dev".into(),
                stage_name: "$default".into(),
            },
        ),
    ];
    let stage = live::read_stage(&clients, "app-dev", &targets)
        .await
        .expect("read succeeds");

    assert_eq!(
        apis_1.num_calls(),
        1,
        "GetApis listed once for four readers"
    );
    assert_eq!(apis_2.num_calls(), 1);
    let r = &stage.resources;
    assert_eq!(
        r["HttpApi"],
        LiveResource {
            resource_type: "AWS::ApiGatewayV2::Api".into(),
            physical_id: "a11".to_owned(),
            attributes: attrs(&[
                ("Ref", "a11"),
                ("ApiId", "a11"),
                (
                    "ApiEndpoint",
                    "https://a11.execute-api.eu-west-1.amazonaws.com"
                ),
            ]),
            properties: props(json!({"Name": "app-dev", "ProtocolType": "HTTP"})),
        }
    );
    assert_eq!(
        r["HttpIntegration"],
        LiveResource {
            resource_type: "AWS::ApiGatewayV2::Integration".into(),
            physical_id: "i1".to_owned(),
            attributes: attrs(&[("Ref", "i1")]),
            properties: props(json!({
                "ApiId": "a11",
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": uri,
                "PayloadFormatVersion": "2.0",
                "TimeoutInMillis": 29000,
            })),
        }
    );
    assert_eq!(
        r["HttpRoute"],
        LiveResource {
            resource_type: "AWS::ApiGatewayV2::Route".into(),
            physical_id: "r2".to_owned(),
            attributes: attrs(&[("Ref", "r2")]),
            properties: props(json!({
                "ApiId": "a11", "RouteKey": "$default", "Target": "integrations/i1"
            })),
        }
    );
    assert_eq!(
        r["HttpStage"],
        LiveResource {
            resource_type: "AWS::ApiGatewayV2::Stage".into(),
            physical_id: "$default".to_owned(),
            attributes: attrs(&[("Ref", "$default")]),
            properties: props(json!({"ApiId": "a11", "StageName": "$default", "AutoDeploy": true})),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Event source mappings

#[tokio::test]
async fn event_source_mapping_is_found_across_pages_of_one_listing() {
    use aws_sdk_lambda::operation::list_event_source_mappings::ListEventSourceMappingsOutput;
    use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionResponseType};
    let queue_arn = "arn:aws:sqs:eu-west-1:123456789012:app-dev-emails";
    let mapping = move |uuid: &str, function_arn: &str| {
        EventSourceMappingConfiguration::builder()
            .uuid(uuid)
            .event_source_arn(queue_arn)
            .function_arn(function_arn)
            .batch_size(10)
            .function_response_types(FunctionResponseType::ReportBatchItemFailures)
            .state("Updating")
            .build()
    };
    let page_1 = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| {
            r.event_source_arn().is_none() && r.function_name().is_none() && r.marker().is_none()
        })
        .then_output(move || {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(mapping(
                    "u-other",
                    "arn:aws:lambda:eu-west-1:123456789012:function:other-fn:live",
                ))
                .next_marker("p2")
                .build()
        });
    let page_2 = mock!(aws_sdk_lambda::Client::list_event_source_mappings)
        .match_requests(|r| r.marker() == Some("p2"))
        .then_output(move || {
            ListEventSourceMappingsOutput::builder()
                .event_source_mappings(mapping(
                    "u-unqualified",
                    "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-queue",
                ))
                .event_source_mappings(mapping(
                    "u-live",
                    "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-queue:live",
                ))
                .build()
        });
    let clients = Mocks {
        lambda: vec![page_1.clone(), page_2.clone()],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "EmailsMapping",
            Lookup::EventSourceMapping(MappingKeys {
                function: "app-dev-queue".into(),
                qualifier: "live".into(),
                queue_arn: queue_arn.into(),
            }),
        ),
    )
    .await
    .expect("mapping found");
    assert_eq!((page_1.num_calls(), page_2.num_calls()), (1, 1));
    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::Lambda::EventSourceMapping".into(),
            physical_id: "u-live".to_owned(),
            attributes: attrs(&[("Ref", "u-live"), ("Id", "u-live")]),
            properties: props(json!({
                "EventSourceArn": queue_arn,
                "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-queue:live",
                "BatchSize": 10,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "Enabled": true,
            })),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Calls per resource: listings shared by a read, answers already in hand

#[tokio::test]
async fn alias_is_read_through_get_function_qualified_by_the_alias() {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::types::FunctionConfiguration;
    let qualified = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| {
            r.function_name() == Some("app-dev-http") && r.qualifier() == Some("live")
        })
        .then_output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("app-dev-http")
                        .function_arn(
                            "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http:live",
                        )
                        .version("7")
                        .build(),
                )
                .build()
        });
    let clients = Mocks {
        lambda: vec![qualified.clone()],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "HttpAlias",
            Lookup::Alias {
                function: "app-dev-http".into(),
                name: "live".into(),
            },
        ),
    )
    .await
    .expect("alias found");
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http:live";
    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::Lambda::Alias".into(),
            physical_id: arn.to_owned(),
            attributes: attrs(&[("Ref", arn), ("AliasArn", arn)]),
            properties: props(json!({
                "FunctionName": "app-dev-http",
                "Name": "live",
                "FunctionVersion": "7",
            })),
        }
    );
    assert_eq!(qualified.num_calls(), 1);
}

#[tokio::test]
async fn log_groups_of_a_read_come_from_one_listing_by_their_common_prefix() {
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::types::LogGroup;
    let group = |name: &str, days: i32| {
        LogGroup::builder()
            .log_group_name(name)
            .arn(format!(
                "arn:aws:logs:eu-west-1:123456789012:log-group:{name}:*"
            ))
            .retention_in_days(days)
            .build()
    };
    let page_1 = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| {
            r.log_group_name_prefix() == Some("/aws/lambda/app-dev-") && r.next_token().is_none()
        })
        .then_output(move || {
            DescribeLogGroupsOutput::builder()
                .log_groups(group("/aws/lambda/app-dev-cli", 14))
                .log_groups(group("/aws/lambda/app-dev-http-old", 1))
                .next_token("p2")
                .build()
        });
    let page_2 = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.next_token() == Some("p2"))
        .then_output(move || {
            DescribeLogGroupsOutput::builder()
                .log_groups(group("/aws/lambda/app-dev-http", 30))
                .build()
        });
    let clients = Mocks {
        logs: vec![page_1.clone(), page_2.clone()],
        ..Default::default()
    }
    .build();
    let targets: Vec<LiveTarget> = ["http", "cli", "mail-queue"]
        .iter()
        .map(|f| {
            target(
                &format!("Logs{f}"),
                Lookup::LogGroup {
                    name: (&format!("/aws/lambda/app-dev-{f}")).into(),
                },
            )
        })
        .collect();
    let stage = live::read_stage(&clients, "app-dev", &targets)
        .await
        .expect("read succeeds");
    assert_eq!((page_1.num_calls(), page_2.num_calls()), (1, 1));
    let http = &stage.resources["Logshttp"];
    assert_eq!(
        Value::Object(http.properties.clone()),
        json!({"LogGroupName": "/aws/lambda/app-dev-http", "RetentionInDays": 30})
    );
    assert_eq!(
        http.attributes["Arn"],
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/app-dev-http"
    );
    assert_eq!(
        stage.resources["Logscli"].properties["RetentionInDays"],
        json!(14)
    );
    // Exact names only: a group that merely shares the prefix is not the worker's.
    assert!(!stage.resources.contains_key("Logsmail-queue"));
}

#[tokio::test]
async fn queue_recorded_by_the_stack_is_read_by_its_url_in_one_call() {
    use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/emails-app-dev";
    let get_url = mock!(aws_sdk_sqs::Client::get_queue_url)
        .then_http_response(|| json_error("AccessDenied", "GetQueueUrl must not be called"));
    let attributes = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .match_requests(move |r| r.queue_url() == Some(url))
        .then_output(|| {
            GetQueueAttributesOutput::builder()
                .attributes(
                    A::QueueArn,
                    "arn:aws:sqs:eu-west-1:123456789012:emails-app-dev",
                )
                .attributes(A::VisibilityTimeout, "70")
                .build()
        });
    let clients = Mocks {
        sqs: vec![attributes.clone(), get_url.clone()],
        ..Default::default()
    }
    .build();
    let mut queue = target(
        "QueueEmails",
        Lookup::Queue {
            name: ("emails-app-dev").into(),
        },
    );
    queue.physical_id = Some(url.to_owned());
    let found = read_one(&clients, queue).await.expect("queue found");
    assert_eq!(found.physical_id, url);
    assert_eq!(found.properties["VisibilityTimeout"], json!(70));
    assert_eq!((attributes.num_calls(), get_url.num_calls()), (1, 0));
}

// ---------------------------------------------------------------------------------------------
// Absence

/// Every service answers "not found" (in its own wire format) or lists nothing.
fn nothing_exists() -> Mocks {
    use aws_sdk_apigatewayv2::operation::get_apis::GetApisOutput;
    use aws_sdk_cloudfront::operation::list_origin_access_controls::ListOriginAccessControlsOutput;
    use aws_sdk_cloudfront::types::OriginAccessControlList;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_lambda::operation::list_event_source_mappings::ListEventSourceMappingsOutput;
    Mocks {
        lambda: vec![
            mock!(aws_sdk_lambda::Client::get_function).then_http_response(|| {
                rest_json_error(404, "ResourceNotFoundException", "Function not found")
            }),
            mock!(aws_sdk_lambda::Client::list_event_source_mappings)
                .then_output(|| ListEventSourceMappingsOutput::builder().build()),
        ],
        logs: vec![mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .then_output(|| DescribeLogGroupsOutput::builder().build())],
        sqs: vec![mock!(aws_sdk_sqs::Client::get_queue_url).then_http_response(|| {
            http(
                400,
                &[
                    ("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"),
                    ("content-type", "application/x-amz-json-1.0"),
                ],
                r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
            )
        })],
        eventbridge: vec![mock!(aws_sdk_eventbridge::Client::describe_rule)
            .then_http_response(|| json_error("ResourceNotFoundException", "Rule does not exist"))],
        apigatewayv2: vec![mock!(aws_sdk_apigatewayv2::Client::get_apis)
            .then_output(|| GetApisOutput::builder().build())],
        cloudfront: vec![
            mock!(aws_sdk_cloudfront::Client::list_distributions)
                .then_output(|| distribution_list(vec![], None)),
            mock!(aws_sdk_cloudfront::Client::list_origin_access_controls).then_output(|| {
                ListOriginAccessControlsOutput::builder()
                    .origin_access_control_list(
                        OriginAccessControlList::builder()
                            .marker("")
                            .max_items(100)
                            .is_truncated(false)
                            .quantity(0)
                            .build()
                            .expect("list"),
                    )
                    .build()
            }),
        ],
        s3: vec![
            mock!(aws_sdk_s3::Client::head_bucket).then_http_response(|| http(404, &[], "")),
            mock!(aws_sdk_s3::Client::get_bucket_policy).then_http_response(|| {
                s3_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
            }),
        ],
        ecr: vec![mock!(aws_sdk_ecr::Client::describe_repositories).then_http_response(|| {
            json_error("RepositoryNotFoundException", "The repository does not exist")
        })],
        kms: vec![mock!(aws_sdk_kms::Client::describe_key)
            .then_http_response(|| json_error("NotFoundException", "Alias is not found."))],
        iam: vec![mock!(aws_sdk_iam::Client::get_role).then_http_response(|| {
            xml_error(
                404,
                "NoSuchEntity",
                "The role with name app-dev-LambdaRole-1AB cannot be found.",
            )
        })],
        ..Default::default()
    }
}

fn one_target_of_every_type() -> Vec<LiveTarget> {
    vec![
        target(
            "Function",
            Lookup::Function {
                name: ("app-dev-http").into(),
            },
        ),
        target(
            "Alias",
            Lookup::Alias {
                function: "app-dev-http".into(),
                name: "live".into(),
            },
        ),
        target(
            "Mapping",
            Lookup::EventSourceMapping(MappingKeys {
                function: "app-dev-queue".into(),
                qualifier: "live".into(),
                queue_arn: "arn:aws:sqs:eu-west-1:123456789012:app-dev-emails".into(),
            }),
        ),
        target(
            "Logs",
            Lookup::LogGroup {
                name: ("/aws/lambda/app-dev-http").into(),
            },
        ),
        target(
            "Queue",
            Lookup::Queue {
                name: ("app-dev-emails").into(),
            },
        ),
        target(
            "Rule",
            Lookup::Rule {
                name: ("app-dev-schedule").into(),
            },
        ),
        target(
            "Api",
            Lookup::Api {
                name: ("app-dev").into(),
            },
        ),
        target(
            "Integration",
            Lookup::Integration {
                api_name: "app-dev".into(),
            },
        ),
        target(
            "Route",
            Lookup::Route {
                api_name: "app-dev".into(),
                route_key: "$default".into(),
            },
        ),
        target(
            "Stage",
            Lookup::ApiStage {
                api_name: "app-dev".into(),
                stage_name: "$default".into(),
            },
        ),
        target(
            "Distribution",
            Lookup::Distribution {
                comment: "app-dev".into(),
            },
        ),
        target(
            "Oac",
            Lookup::OriginAccessControl {
                name: ("app-dev-oac").into(),
            },
        ),
        target(
            "BucketPolicy",
            Lookup::BucketPolicy {
                bucket: "app-dev-assets".into(),
            },
        ),
        target(
            "Bucket",
            Lookup::Bucket {
                name: ("app-dev-assets").into(),
            },
        ),
        target(
            "Repository",
            Lookup::Repository {
                name: ("app").into(),
            },
        ),
        target(
            "Key",
            Lookup::Key {
                name: ("alias/app-dev-secrets-key").into(),
            },
        ),
        target(
            "LambdaRole",
            Lookup::Role {
                name: ("app-dev-LambdaRole-1AB").into(),
            },
        ),
        // Stack-only resources whose stack has no record of them.
        unnamed("Role", "AWS::IAM::Role"),
        unnamed("Permission", "AWS::Lambda::Permission"),
    ]
}

#[tokio::test]
async fn absent_resources_of_every_type_are_absent_not_errors() {
    let clients = nothing_exists().build();
    let stage = live::read_stage(&clients, "app-dev", &one_target_of_every_type())
        .await
        .expect("absence is not an error");
    assert_eq!(stage.account.as_deref(), Some(ACCOUNT));
    assert_eq!(stage.stack, None);
    assert_eq!(stage.resources, BTreeMap::new());
}

#[tokio::test]
async fn stack_only_targets_are_reported_from_the_stack_without_calls() {
    // No rule for any resource API: a call would fail the read.
    let clients = Mocks::default().build();
    let mut role = unnamed("ExecutionRole", "AWS::IAM::Role");
    role.physical_id = Some("app-dev-ExecutionRole-1AB".to_owned());
    let mut permission = unnamed("HttpPermission", "AWS::Lambda::Permission");
    permission.physical_id = Some("app-dev-HttpPermission-9Z".to_owned());
    let mut unknown = unnamed("Topic", "AWS::SNS::Topic");
    unknown.physical_id = Some("arn:aws:sns:eu-west-1:123456789012:app-dev-topic".to_owned());
    let unknown_unrecorded = unnamed("Other", "AWS::SNS::Topic");

    let stage = live::read_stage(
        &clients,
        "app-dev",
        &[role, permission, unknown, unknown_unrecorded],
    )
    .await
    .expect("read succeeds");
    assert_eq!(
        stage.resources["ExecutionRole"],
        LiveResource {
            resource_type: "AWS::IAM::Role".into(),
            physical_id: "app-dev-ExecutionRole-1AB".to_owned(),
            attributes: attrs(&[
                ("Ref", "app-dev-ExecutionRole-1AB"),
                (
                    "Arn",
                    "arn:aws:iam::123456789012:role/app-dev-ExecutionRole-1AB"
                ),
            ]),
            properties: Default::default(),
        }
    );
    assert_eq!(
        stage.resources["HttpPermission"],
        LiveResource {
            resource_type: "AWS::Lambda::Permission".into(),
            physical_id: "app-dev-HttpPermission-9Z".to_owned(),
            attributes: attrs(&[("Ref", "app-dev-HttpPermission-9Z")]),
            properties: Default::default(),
        }
    );
    assert_eq!(
        stage.resources["Topic"].attributes,
        attrs(&[("Ref", "arn:aws:sns:eu-west-1:123456789012:app-dev-topic")])
    );
    assert!(!stage.resources.contains_key("Other"));
    assert_eq!(
        stage.resources.keys().collect::<Vec<_>>(),
        vec!["ExecutionRole", "HttpPermission", "Topic"]
    );
}

// ---------------------------------------------------------------------------------------------
// IAM role

/// Text URL-encoded as IAM encodes policy documents (RFC 3986, every reserved byte escaped).
fn url_encoded(value: &Value) -> String {
    value
        .to_string()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

const ROLE: &str = "app-dev-LambdaRole-1AB";

fn trust_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }]})
}

fn get_role_rule() -> Rule {
    use aws_sdk_iam::operation::get_role::GetRoleOutput;
    use aws_sdk_iam::types::Role;
    mock!(aws_sdk_iam::Client::get_role)
        .match_requests(|r| r.role_name() == Some(ROLE))
        .then_output(|| {
            GetRoleOutput::builder()
                .role(
                    Role::builder()
                        .path("/")
                        .role_name(ROLE)
                        .role_id("AROAEXAMPLEID")
                        .arn(format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}"))
                        .create_date(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                        .assume_role_policy_document(url_encoded(&trust_policy()))
                        .build()
                        .expect("role"),
                )
                .build()
        })
}

#[tokio::test]
async fn role_documents_are_decoded_and_every_page_of_policies_is_read() {
    use aws_sdk_iam::operation::get_role_policy::GetRolePolicyOutput;
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
    use aws_sdk_iam::types::AttachedPolicy;
    let stage_doc = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "WriteLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/app-dev-*:*"},
        {"Sid": "DecryptStageSecrets", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/app-dev-secrets-key"}}},
    ]});
    let extra_doc = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other bucket/*"}]});
    let (stage_text, extra_text) = (url_encoded(&stage_doc), url_encoded(&extra_doc));
    let policy_rule = |name: &'static str, text: String| {
        mock!(aws_sdk_iam::Client::get_role_policy)
            .match_requests(move |r| r.role_name() == Some(ROLE) && r.policy_name() == Some(name))
            .then_output(move || {
                GetRolePolicyOutput::builder()
                    .role_name(ROLE)
                    .policy_name(name)
                    .policy_document(text.clone())
                    .build()
                    .expect("policy")
            })
    };
    let attached = |arn: &str| AttachedPolicy::builder().policy_arn(arn).build();
    let vpc = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";
    let xray = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
    let clients = Mocks {
        iam: vec![
            get_role_rule(),
            // Inline policy names on two pages; "hover-stage" comes last.
            mock!(aws_sdk_iam::Client::list_role_policies)
                .match_requests(|r| r.role_name() == Some(ROLE) && r.marker().is_none())
                .then_output(|| {
                    ListRolePoliciesOutput::builder()
                        .policy_names("zz-extra")
                        .is_truncated(true)
                        .marker("p2")
                        .build()
                        .expect("page 1")
                }),
            mock!(aws_sdk_iam::Client::list_role_policies)
                .match_requests(|r| r.marker() == Some("p2"))
                .then_output(|| {
                    ListRolePoliciesOutput::builder()
                        .policy_names("hover-stage")
                        .is_truncated(false)
                        .build()
                        .expect("page 2")
                }),
            policy_rule("hover-stage", stage_text),
            policy_rule("zz-extra", extra_text),
            mock!(aws_sdk_iam::Client::list_attached_role_policies)
                .match_requests(|r| r.role_name() == Some(ROLE) && r.marker().is_none())
                .then_output(move || {
                    ListAttachedRolePoliciesOutput::builder()
                        .attached_policies(attached(xray))
                        .is_truncated(true)
                        .marker("a2")
                        .build()
                }),
            mock!(aws_sdk_iam::Client::list_attached_role_policies)
                .match_requests(|r| r.marker() == Some("a2"))
                .then_output(move || {
                    ListAttachedRolePoliciesOutput::builder()
                        .attached_policies(attached(vpc))
                        .is_truncated(false)
                        .build()
                }),
        ],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "LambdaRole",
            Lookup::Role {
                name: (ROLE).into(),
            },
        ),
    )
    .await
    .expect("role found");
    assert_eq!(
        found,
        LiveResource {
            resource_type: "AWS::IAM::Role".into(),
            physical_id: ROLE.to_owned(),
            attributes: attrs(&[
                ("Ref", ROLE),
                (
                    "Arn",
                    "arn:aws:iam::123456789012:role/app-dev-LambdaRole-1AB"
                ),
                ("RoleId", "AROAEXAMPLEID"),
            ]),
            properties: props(json!({
                "AssumeRolePolicyDocument": trust_policy(),
                "Policies": [
                    {"PolicyName": "hover-stage", "PolicyDocument": stage_doc},
                    {"PolicyName": "zz-extra", "PolicyDocument": extra_doc},
                ],
                "ManagedPolicyArns": [xray, vpc],
            })),
        }
    );
    // Property order is part of the shape (and of the observed digest).
    assert_eq!(
        found.properties.keys().collect::<Vec<_>>(),
        vec!["AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"]
    );
}

#[tokio::test]
async fn role_without_inline_or_managed_policies_reads_nulls() {
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::operation::list_role_policies::ListRolePoliciesOutput;
    let clients = Mocks {
        iam: vec![
            get_role_rule(),
            mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
                ListRolePoliciesOutput::builder()
                    .set_policy_names(Some(vec![]))
                    .build()
                    .expect("empty")
            }),
            mock!(aws_sdk_iam::Client::list_attached_role_policies)
                .then_output(|| ListAttachedRolePoliciesOutput::builder().build()),
        ],
        ..Default::default()
    }
    .build();
    let found = read_one(
        &clients,
        target(
            "LambdaRole",
            Lookup::Role {
                name: (ROLE).into(),
            },
        ),
    )
    .await
    .expect("role found");
    assert_eq!(
        found.properties,
        props(json!({
            "AssumeRolePolicyDocument": trust_policy(),
            "Policies": null,
            "ManagedPolicyArns": null,
        }))
    );
}

#[tokio::test]
async fn role_read_failure_names_iam_and_the_role() {
    let clients = Mocks {
        iam: vec![mock!(aws_sdk_iam::Client::get_role).then_http_response(|| {
            xml_error(
                403,
                "AccessDenied",
                "User is not authorized to perform: iam:GetRole",
            )
        })],
        ..Default::default()
    }
    .build();
    let err = live::read_stage(
        &clients,
        "app-dev",
        &[target(
            "LambdaRole",
            Lookup::Role {
                name: (ROLE).into(),
            },
        )],
    )
    .await
    .expect_err("access denied is an error");
    assert_eq!(err.operation().as_deref(), Some("iam:GetRole"));
    assert_eq!(err.error_code(), Some("AccessDenied"));
    assert!(err.to_string().contains(ROLE), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Direct resources: bucket, repository, key

#[tokio::test]
async fn bucket_repository_policy_and_pending_deletion_key() {
    use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesOutput;
    use aws_sdk_ecr::types::{ImageTagMutability, Repository};
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::types::{KeyMetadata, KeyState, KeyUsageType};
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
    use aws_sdk_s3::operation::head_bucket::HeadBucketOutput;
    let clients = Mocks {
        s3: vec![
            mock!(aws_sdk_s3::Client::head_bucket).then_output(|| {
                HeadBucketOutput::builder()
                    .bucket_region("eu-west-1")
                    .build()
            }),
            mock!(aws_sdk_s3::Client::get_public_access_block).then_http_response(|| {
                s3_error(
                    404,
                    "NoSuchPublicAccessBlockConfiguration",
                    "The public access block configuration was not found",
                )
            }),
            mock!(aws_sdk_s3::Client::get_bucket_policy).then_output(|| {
                GetBucketPolicyOutput::builder()
                    .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
                    .build()
            }),
        ],
        ecr: vec![
            mock!(aws_sdk_ecr::Client::describe_repositories).then_output(|| {
                DescribeRepositoriesOutput::builder()
                    .repositories(
                        Repository::builder()
                            .repository_name("app")
                            .repository_arn("arn:aws:ecr:eu-west-1:123456789012:repository/app")
                            .repository_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app")
                            .image_tag_mutability(ImageTagMutability::Immutable)
                            .build(),
                    )
                    .build()
            }),
        ],
        kms: vec![
            mock!(aws_sdk_kms::Client::describe_key)
                .match_requests(|r| r.key_id() == Some("alias/app-dev-secrets-key"))
                .then_output(|| {
                    DescribeKeyOutput::builder()
                        .key_metadata(
                            KeyMetadata::builder()
                                .key_id("k-1")
                                .arn("arn:aws:kms:eu-west-1:123456789012:key/k-1")
                                .description("app-dev secrets")
                                .key_usage(KeyUsageType::EncryptDecrypt)
                                .enabled(false)
                                .key_state(KeyState::PendingDeletion)
                                .build()
                                .expect("metadata"),
                        )
                        .build()
                }),
            mock!(aws_sdk_kms::Client::get_key_rotation_status).then_http_response(|| {
                json_error("KMSInvalidStateException", "k-1 is pending deletion.")
            }),
        ],
        ..Default::default()
    }
    .build();
    let stage = live::read_stage(
        &clients,
        "app-dev",
        &[
            target(
                "Bucket",
                Lookup::Bucket {
                    name: ("app-dev-assets").into(),
                },
            ),
            target(
                "Policy",
                Lookup::BucketPolicy {
                    bucket: "app-dev-assets".into(),
                },
            ),
            target(
                "Repo",
                Lookup::Repository {
                    name: ("app").into(),
                },
            ),
            target(
                "Key",
                Lookup::Key {
                    name: ("alias/app-dev-secrets-key").into(),
                },
            ),
        ],
    )
    .await
    .expect("read succeeds");
    let r = &stage.resources;
    assert_eq!(
        r["Bucket"],
        LiveResource {
            resource_type: "AWS::S3::Bucket".into(),
            physical_id: "app-dev-assets".to_owned(),
            attributes: attrs(&[
                ("Ref", "app-dev-assets"),
                ("Arn", "arn:aws:s3:::app-dev-assets"),
                (
                    "RegionalDomainName",
                    "app-dev-assets.s3.eu-west-1.amazonaws.com"
                ),
            ]),
            properties: props(json!({
                "BucketName": "app-dev-assets",
                "PublicAccessBlockConfiguration": null
            })),
        }
    );
    assert_eq!(
        Value::Object(r["Policy"].properties.clone()),
        json!({"Bucket": "app-dev-assets", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}})
    );
    assert_eq!(
        r["Repo"].attributes,
        attrs(&[
            ("Ref", "app"),
            ("Arn", "arn:aws:ecr:eu-west-1:123456789012:repository/app"),
            (
                "RepositoryUri",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"
            ),
        ])
    );
    assert_eq!(
        Value::Object(r["Repo"].properties.clone()),
        json!({"RepositoryName": "app", "ImageTagMutability": "IMMUTABLE"})
    );
    assert_eq!(
        r["Key"],
        LiveResource {
            resource_type: "AWS::KMS::Key".into(),
            physical_id: "k-1".to_owned(),
            attributes: attrs(&[
                ("Ref", "k-1"),
                ("KeyId", "k-1"),
                ("Arn", "arn:aws:kms:eu-west-1:123456789012:key/k-1"),
            ]),
            properties: props(json!({
                "Description": "app-dev secrets",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "Enabled": false,
                "EnableKeyRotation": null,
                "KeyState": "PendingDeletion",
            })),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Retries and errors

#[tokio::test]
async fn throttling_is_retried_until_success() {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::types::FunctionConfiguration;
    let mut cfn = stack_rules(r#"{"Resources":{}}"#);
    let describe = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .http_response(|| xml_error(400, "Throttling", "Rate exceeded"))
        .output(stack_output)
        .build();
    cfn[0] = describe.clone();
    let get_function = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .http_response(|| rest_json_error(429, "TooManyRequestsException", "Rate exceeded"))
        .output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("app-dev-http")
                        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http")
                        .build(),
                )
                .build()
        })
        .build();
    let clients = Mocks {
        cloudformation: cfn,
        lambda: vec![get_function.clone()],
        ..Default::default()
    }
    .build();
    let stage = live::read_stage(
        &clients,
        "app-dev",
        &[target(
            "Fn",
            Lookup::Function {
                name: ("app-dev-http").into(),
            },
        )],
    )
    .await
    .expect("throttling is retried");
    assert_eq!(describe.num_calls(), 2);
    assert_eq!(get_function.num_calls(), 2);
    assert_eq!(
        stage.stack.map(|s| s.status),
        Some(StackStatus::UpdateRollbackComplete)
    );
    assert_eq!(stage.resources["Fn"].physical_id, "app-dev-http");
}

#[tokio::test]
async fn persistent_access_denied_names_service_operation_and_resource() {
    let denied = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .http_response(|| {
            rest_json_error(
                403,
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/tester is not authorized to perform: lambda:GetFunction",
            )
        })
        .repeatedly()
        .build();
    let clients = Mocks {
        lambda: vec![denied.clone()],
        ..Default::default()
    }
    .build();
    let err = live::read_stage(
        &clients,
        "app-dev",
        &[target(
            "Fn",
            Lookup::Function {
                name: ("app-dev-http").into(),
            },
        )],
    )
    .await
    .expect_err("access denied is an error");
    match &err {
        LiveError::Aws {
            service,
            operation,
            resource,
            code,
            message,
            help,
            ..
        } => {
            assert_eq!(*service, "lambda");
            assert_eq!(*operation, "GetFunction");
            assert_eq!(resource, "app-dev-http");
            assert_eq!(code.as_deref(), Some("AccessDeniedException"));
            assert!(message.contains("not authorized"), "{message}");
            assert!(
                help.as_deref()
                    .is_some_and(|h| h.contains("lambda:GetFunction")),
                "{help:?}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "lambda:GetFunction failed for app-dev-http: AccessDeniedException: User: \
         arn:aws:iam::123456789012:user/tester is not authorized to perform: lambda:GetFunction"
    );
    assert_eq!(denied.num_calls(), 1, "access denied is not retried");
}

#[tokio::test]
async fn invalid_credentials_get_a_help_line() {
    let clients = Mocks {
        sts: vec![
            mock!(aws_sdk_sts::Client::get_caller_identity).then_http_response(|| {
                xml_error(
                    403,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                )
            }),
        ],
        ..Default::default()
    }
    .build();
    let err = live::caller_account(&clients)
        .await
        .expect_err("invalid token");
    assert_eq!(err.error_code(), Some("InvalidClientTokenId"));
    assert_eq!(err.operation().as_deref(), Some("sts:GetCallerIdentity"));
    let help = miette::Diagnostic::help(&err).map(|h| h.to_string());
    assert!(
        help.as_deref().is_some_and(|h| h.contains("AWS_PROFILE")),
        "{help:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency bound

/// An HTTP client that answers every GetQueueAttributes call with no attributes after a short
/// sleep, counting how many calls are in flight at once.
#[derive(Clone, Debug, Default)]
struct SlowSqs {
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl HttpConnector for SlowSqs {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let me = self.clone();
        HttpConnectorFuture::new(async move {
            me.calls.fetch_add(1, Ordering::SeqCst);
            let now = me.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            me.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(25)).await;
            me.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(http(
                200,
                &[("content-type", "application/x-amz-json-1.0")],
                r#"{"Attributes":{}}"#,
            ))
        })
    }
}

impl HttpClient for SlowSqs {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[tokio::test]
async fn reads_run_concurrently_but_never_beyond_the_bound() {
    let slow = SlowSqs::default();
    let clients = Mocks {
        sqs_http: Some(SharedHttpClient::new(slow.clone())),
        ..Default::default()
    }
    .build();
    let targets: Vec<LiveTarget> = (0..40)
        .map(|i| {
            let name = format!("jobs{i}-app-dev");
            let mut t = target(
                &format!("Queue{i:02}"),
                Lookup::Queue {
                    name: (&name).into(),
                },
            );
            t.physical_id = Some(format!(
                "https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
            ));
            t
        })
        .collect();
    let stage = live::read_stage(&clients, "app-dev", &targets)
        .await
        .expect("read succeeds");
    assert_eq!(stage.resources.len(), 40);
    assert_eq!(slow.calls.load(Ordering::SeqCst), 40);
    let max = slow.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= live::READ_CONCURRENCY, "{max} calls in flight");
    assert!(max > 1, "reads ran one at a time");
}

#[tokio::test]
async fn read_resources_keeps_the_given_account_and_stack_and_calls_no_sts() {
    // STS would answer with ACCOUNT; with no account given it must not be asked.
    let sts = mock!(aws_sdk_sts::Client::get_caller_identity)
        .then_http_response(|| xml_error(403, "AccessDenied", "sts must not be called"));
    let clients = Mocks {
        sts: vec![sts.clone()],
        ..Default::default()
    }
    .build();
    let mut role = unnamed("ExecutionRole", "AWS::IAM::Role");
    role.physical_id = Some("app-dev-role".to_owned());
    let observed = live::read_resources(&clients, None, None, &[role])
        .await
        .expect("read succeeds");
    assert_eq!(sts.num_calls(), 0);
    assert_eq!(observed.account, None);
    assert_eq!(
        observed.resources["ExecutionRole"].attributes,
        attrs(&[("Ref", "app-dev-role")])
    );
}
