//! Drift repairs (`direct::repair`) against real SDK clients whose responses are mocked
//! (`aws-smithy-mocks`): the CloudFront distribution's config put back over the one AWS holds,
//! the stage role's policies put back through IAM, and the repairs agreeing with the plan's
//! table of what apply can put back; and a stage key left without its alias found among the
//! account's keys.

use aws_sdk_cloudfront::operation::get_distribution_config::GetDistributionConfigOutput;
use aws_sdk_cloudfront::operation::update_distribution::{
    UpdateDistributionInput, UpdateDistributionOutput,
};
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, HttpVersion, LoggingConfig, Method, Origin,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, S3OriginConfig, SslProtocol,
    ViewerCertificate, ViewerProtocolPolicy,
};
mod common;

use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::retry::RetryConfig;
use common::Mocks;
use hover::direct::{self, Repair};
use hover::live::Clients;
use hover::model::{kinds, ObservedStage, Provisioner, Resolved, ResourceKind, ResourceType};
use hover::stage::{CACHE_POLICY_DISABLED, CACHE_POLICY_OPTIMIZED};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};

const REGION: &str = "us-east-1";
const ETAG: &str = "E2QWRUHAPOMQZL";
const CERTIFICATE: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7";

/// Repairs' clients: the rules given, no retries; a call no rule matches fails.
trait Build {
    fn build(self) -> Clients;
}

impl Build for Mocks {
    fn build(self) -> Clients {
        self.clients(REGION, RetryConfig::disabled())
    }
}

/// The `domains-added` golden case: its manifest, and its live state (an applied stage without
/// the domains yet), so every desired value resolves.
fn case() -> (hover::model::DesiredStage, ObservedStage) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/domains-added");
    let manifest = hover::manifest::load(&dir, "dev").expect("manifest");
    let observed: ObservedStage = serde_json::from_str(
        &std::fs::read_to_string(dir.join("observed.json")).expect("observed.json"),
    )
    .expect("observed state");
    let tag = hover::ops::plan::live_image_tag(&observed).expect("live image tag");
    (hover::stage::desired(&manifest, &tag), observed)
}

fn methods(items: &[&str]) -> Vec<Method> {
    items.iter().map(|m| Method::from(*m)).collect()
}

fn allowed(all: &[&str], cached: &[&str]) -> AllowedMethods {
    AllowedMethods::builder()
        .quantity(all.len() as i32)
        .set_items(Some(methods(all)))
        .cached_methods(
            CachedMethods::builder()
                .quantity(cached.len() as i32)
                .set_items(Some(methods(cached)))
                .build()
                .expect("cached methods"),
        )
        .build()
        .expect("allowed methods")
}

/// The distribution as AWS holds it after changes made outside hover: other aliases, the default
/// certificate, another cache policy on the default behaviour; plus settings hover leaves alone
/// (caller reference, logging, price class, an origin's connection attempts).
fn drifted_config() -> DistributionConfig {
    DistributionConfig::builder()
        .caller_reference("hover-clouder-dev-1700000000")
        .comment("clouder-dev")
        .enabled(true)
        .http_version(HttpVersion::from("http2and3"))
        .price_class(PriceClass::from("PriceClass_All"))
        .logging(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("logs.s3.amazonaws.com")
                .prefix("cdn/")
                .build(),
        )
        .aliases(
            Aliases::builder()
                .quantity(1)
                .items("elsewhere.example.com")
                .build()
                .expect("aliases"),
        )
        .viewer_certificate(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        )
        .origins(
            Origins::builder()
                .quantity(2)
                .items(
                    Origin::builder()
                        .id("app")
                        .domain_name("nwyykdqj.execute-api.us-east-1.amazonaws.com")
                        .origin_path("")
                        .connection_attempts(2)
                        .origin_access_control_id("")
                        .custom_origin_config(
                            CustomOriginConfig::builder()
                                .http_port(80)
                                .https_port(443)
                                .origin_protocol_policy(OriginProtocolPolicy::from("https-only"))
                                .origin_read_timeout(45)
                                .origin_ssl_protocols(
                                    OriginSslProtocols::builder()
                                        .quantity(1)
                                        .items(SslProtocol::from("TLSv1.2"))
                                        .build()
                                        .expect("protocols"),
                                )
                                .build()
                                .expect("custom origin"),
                        )
                        .build()
                        .expect("app origin"),
                )
                .items(
                    Origin::builder()
                        .id("assets")
                        .domain_name("clouder-dev-assets.s3.us-east-1.amazonaws.com")
                        .origin_access_control_id("EBVLPFUE6EWM1")
                        .s3_origin_config(
                            S3OriginConfig::builder().origin_access_identity("").build(),
                        )
                        .build()
                        .expect("assets origin"),
                )
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("app")
                .viewer_protocol_policy(ViewerProtocolPolicy::from("redirect-to-https"))
                .allowed_methods(allowed(
                    &["HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"],
                    &["HEAD", "GET"],
                ))
                .cache_policy_id(CACHE_POLICY_OPTIMIZED)
                .origin_request_policy_id("b689b0a8-53d0-40ab-baf2-68738e2966ac")
                .compress(true)
                .smooth_streaming(false)
                .build()
                .expect("default behaviour"),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(1)
                .items(
                    CacheBehavior::builder()
                        .path_pattern("/assets/*")
                        .target_origin_id("assets")
                        .viewer_protocol_policy(ViewerProtocolPolicy::from("redirect-to-https"))
                        .allowed_methods(allowed(&["HEAD", "GET"], &["HEAD", "GET"]))
                        .cache_policy_id(CACHE_POLICY_OPTIMIZED)
                        .compress(true)
                        .build()
                        .expect("behaviour"),
                )
                .build()
                .expect("behaviours"),
        )
        .build()
        .expect("config")
}

/// CloudFront mocks: GetDistributionConfig of `id` answers `drifted_config()` with `ETAG`;
/// UpdateDistribution records its request.
fn cloudfront_rules(id: &str) -> (Vec<Rule>, Arc<Mutex<Vec<UpdateDistributionInput>>>) {
    let updates: Arc<Mutex<Vec<UpdateDistributionInput>>> = Arc::default();
    let seen = updates.clone();
    let id = id.to_owned();
    let get = mock!(aws_sdk_cloudfront::Client::get_distribution_config)
        .match_requests(move |r| r.id() == Some(id.as_str()))
        .then_output(|| {
            GetDistributionConfigOutput::builder()
                .distribution_config(drifted_config())
                .e_tag(ETAG)
                .build()
        });
    let update =
        mock!(aws_sdk_cloudfront::Client::update_distribution).then_compute_output(move |input| {
            seen.lock().expect("lock").push(input.clone());
            UpdateDistributionOutput::builder().e_tag("E3NEXT").build()
        });
    (vec![get, update], updates)
}

fn distribution_desired() -> (String, Resolved) {
    let (desired, observed) = case();
    let resolved = hover::plan::resolved_desired(&desired, &observed);
    (
        observed.resources["Distribution"].physical_id.clone(),
        resolved["Distribution"].clone(),
    )
}

#[tokio::test]
async fn drifted_distribution_is_put_back_over_the_config_aws_holds() {
    let (id, desired) = distribution_desired();
    let (rules, updates) = cloudfront_rules(&id);
    let clients = Mocks {
        cloudfront: rules,
        ..Default::default()
    }
    .build();

    let done = direct::repair(
        &clients,
        &ResourceKind::Distribution.into(),
        &id,
        &["DistributionConfig".to_string()],
        &desired,
    )
    .await
    .expect("repair");
    assert_eq!(
        done,
        vec![(
            "DistributionConfig".to_string(),
            Repair::Done("CloudFront UpdateDistribution")
        )]
    );

    let updates = updates.lock().expect("lock");
    assert_eq!(updates.len(), 1, "one UpdateDistribution");
    let update = &updates[0];
    assert_eq!(update.id(), Some(id.as_str()));
    assert_eq!(update.if_match(), Some(ETAG));
    let config = update.distribution_config().expect("a config");

    // Put back: aliases (in the desired, sorted order), certificate, cache policy.
    let aliases = config.aliases().expect("aliases");
    assert_eq!(aliases.quantity(), 2);
    assert_eq!(
        aliases.items(),
        ["clouder.example.com", "www.clouder.example.com"]
    );
    let cert = config.viewer_certificate().expect("certificate");
    assert_eq!(cert.acm_certificate_arn(), Some(CERTIFICATE));
    assert_eq!(
        cert.ssl_support_method().map(|s| s.as_str()),
        Some("sni-only")
    );
    assert_eq!(
        cert.minimum_protocol_version().map(|v| v.as_str()),
        Some("TLSv1.2_2021")
    );
    assert_ne!(cert.cloud_front_default_certificate(), Some(true));
    let default = config.default_cache_behavior().expect("default behaviour");
    assert_eq!(default.cache_policy_id(), Some(CACHE_POLICY_DISABLED));
    assert_eq!(default.target_origin_id(), "app");
    let allowed = default.allowed_methods().expect("allowed methods");
    assert_eq!(allowed.quantity(), 7);
    assert_eq!(allowed.items().len(), 7);
    let cached = allowed.cached_methods().expect("cached methods");
    assert_eq!(cached.quantity(), 2);
    assert_eq!(cached.items().len(), 2);

    // Managed and unchanged: as desired.
    assert_eq!(config.comment(), "clouder-dev");
    assert!(config.enabled());
    let origins = config.origins().expect("origins");
    assert_eq!(origins.quantity(), 2);
    let ids: Vec<&str> = origins.items().iter().map(|o| o.id()).collect();
    assert_eq!(ids, ["app", "assets"]);
    let assets = &origins.items()[1];
    assert_eq!(assets.origin_access_control_id(), Some("EBVLPFUE6EWM1"));
    assert_eq!(
        assets
            .s3_origin_config()
            .map(|s| s.origin_access_identity()),
        Some("")
    );
    let behaviours = config.cache_behaviors().expect("behaviours");
    assert_eq!(behaviours.quantity(), 1);
    assert_eq!(behaviours.items()[0].path_pattern(), "/assets/*");
    assert_eq!(
        behaviours.items()[0].cache_policy_id(),
        Some(CACHE_POLICY_OPTIMIZED)
    );

    // Not hover's: kept as AWS returned them.
    assert_eq!(config.caller_reference(), "hover-clouder-dev-1700000000");
    let logging = config.logging().expect("logging kept");
    assert_eq!(logging.bucket(), "logs.s3.amazonaws.com");
    assert_eq!(logging.prefix(), "cdn/");
    assert!(logging.enabled());
    assert_eq!(
        config.price_class().map(|p| p.as_str()),
        Some("PriceClass_All")
    );
    let app = &origins.items()[0];
    assert_eq!(app.connection_attempts(), Some(2));
    assert_eq!(
        app.custom_origin_config()
            .and_then(|c| c.origin_read_timeout()),
        Some(45)
    );
    assert_eq!(default.smooth_streaming(), Some(false));
}

#[tokio::test]
async fn distribution_without_domains_gets_no_aliases_and_the_default_certificate() {
    let (id, mut desired) = distribution_desired();
    let config = desired
        .values
        .get_mut("DistributionConfig")
        .and_then(Value::as_object_mut)
        .expect("desired config");
    config.remove("Aliases");
    config.insert(
        "ViewerCertificate".into(),
        serde_json::json!({ "CloudFrontDefaultCertificate": true }),
    );
    let (rules, updates) = cloudfront_rules(&id);
    let clients = Mocks {
        cloudfront: rules,
        ..Default::default()
    }
    .build();
    direct::repair(
        &clients,
        &ResourceKind::Distribution.into(),
        &id,
        &["DistributionConfig".to_string()],
        &desired,
    )
    .await
    .expect("repair");
    let updates = updates.lock().expect("lock");
    let config = updates[0].distribution_config().expect("a config");
    let aliases = config.aliases().expect("aliases");
    assert_eq!(aliases.quantity(), 0);
    assert!(aliases.items().is_empty());
    let cert = config.viewer_certificate().expect("certificate");
    assert_eq!(cert.cloud_front_default_certificate(), Some(true));
    assert_eq!(cert.acm_certificate_arn(), None);
}

#[tokio::test]
async fn failed_update_is_reported_with_the_distribution() {
    let (id, desired) = distribution_desired();
    let get = mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_output(|| {
        GetDistributionConfigOutput::builder()
            .distribution_config(drifted_config())
            .e_tag(ETAG)
            .build()
    });
    let update = mock!(aws_sdk_cloudfront::Client::update_distribution).then_error(|| {
        aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionError::PreconditionFailed(
            aws_sdk_cloudfront::types::error::PreconditionFailed::builder()
                .message("The If-Match version is missing or not valid")
                .build(),
        )
    });
    let clients = Mocks {
        cloudfront: vec![get, update],
        ..Default::default()
    }
    .build();
    let e = direct::repair(
        &clients,
        &ResourceKind::Distribution.into(),
        &id,
        &["DistributionConfig".to_string()],
        &desired,
    )
    .await
    .expect_err("the update fails");
    assert_eq!(
        (e.service, e.operation),
        ("CloudFront", "UpdateDistribution")
    );
    assert_eq!(e.resource, id);
    assert!(e.message.contains("If-Match"), "{}", e.message);
}

/// Every write a repair can make, answered with success.
fn answering_everything() -> Clients {
    use aws_sdk_cloudwatchlogs::operation as logs;
    use aws_sdk_eventbridge::operation as events;
    use aws_sdk_lambda::operation as lambda;
    let cloudfront = cloudfront_rules_any();
    Mocks {
        lambda: vec![
            mock!(aws_sdk_lambda::Client::update_function_configuration).then_output(|| {
                lambda::update_function_configuration::UpdateFunctionConfigurationOutput::builder()
                    .build()
            }),
            mock!(aws_sdk_lambda::Client::put_function_concurrency).then_output(|| {
                lambda::put_function_concurrency::PutFunctionConcurrencyOutput::builder().build()
            }),
            mock!(aws_sdk_lambda::Client::delete_function_concurrency).then_output(|| {
                lambda::delete_function_concurrency::DeleteFunctionConcurrencyOutput::builder()
                    .build()
            }),
            mock!(aws_sdk_lambda::Client::update_function_code).then_output(|| {
                lambda::update_function_code::UpdateFunctionCodeOutput::builder().build()
            }),
            mock!(aws_sdk_lambda::Client::update_event_source_mapping).then_output(|| {
                lambda::update_event_source_mapping::UpdateEventSourceMappingOutput::builder()
                    .build()
            }),
            mock!(aws_sdk_lambda::Client::update_alias)
                .then_output(|| lambda::update_alias::UpdateAliasOutput::builder().build()),
        ],
        logs: vec![
            mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy).then_output(|| {
                logs::put_retention_policy::PutRetentionPolicyOutput::builder().build()
            }),
            mock!(aws_sdk_cloudwatchlogs::Client::delete_retention_policy).then_output(|| {
                logs::delete_retention_policy::DeleteRetentionPolicyOutput::builder().build()
            }),
        ],
        sqs: vec![
            mock!(aws_sdk_sqs::Client::set_queue_attributes).then_output(|| {
                aws_sdk_sqs::operation::set_queue_attributes::SetQueueAttributesOutput::builder()
                    .build()
            }),
        ],
        eventbridge: vec![
            mock!(aws_sdk_eventbridge::Client::put_rule)
                .then_output(|| events::put_rule::PutRuleOutput::builder().build()),
            mock!(aws_sdk_eventbridge::Client::put_targets)
                .then_output(|| events::put_targets::PutTargetsOutput::builder().build()),
        ],
        iam: iam_rules_any(),
        cloudfront,
        ..Default::default()
    }
    .build()
}

/// IAM mocks answering every call a role repair makes, for any role: no inline or attached
/// policies listed.
fn iam_rules_any() -> Vec<Rule> {
    use aws_sdk_iam::operation as iam;
    vec![
        mock!(aws_sdk_iam::Client::update_assume_role_policy).then_output(|| {
            iam::update_assume_role_policy::UpdateAssumeRolePolicyOutput::builder().build()
        }),
        mock!(aws_sdk_iam::Client::put_role_policy)
            .then_output(|| iam::put_role_policy::PutRolePolicyOutput::builder().build()),
        mock!(aws_sdk_iam::Client::list_role_policies).then_output(|| {
            iam::list_role_policies::ListRolePoliciesOutput::builder()
                .set_policy_names(Some(vec![]))
                .build()
                .expect("list")
        }),
        mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(|| {
            iam::list_attached_role_policies::ListAttachedRolePoliciesOutput::builder().build()
        }),
        mock!(aws_sdk_iam::Client::attach_role_policy)
            .then_output(|| iam::attach_role_policy::AttachRolePolicyOutput::builder().build()),
    ]
}

/// `cloudfront_rules` for any distribution id.
fn cloudfront_rules_any() -> Vec<Rule> {
    let get = mock!(aws_sdk_cloudfront::Client::get_distribution_config).then_output(|| {
        GetDistributionConfigOutput::builder()
            .distribution_config(drifted_config())
            .e_tag(ETAG)
            .build()
    });
    let update = mock!(aws_sdk_cloudfront::Client::update_distribution)
        .then_output(|| UpdateDistributionOutput::builder().e_tag("E3NEXT").build());
    vec![get, update]
}

/// The type table's fixes (what the plan calls repairable) and what `direct::repair` really puts
/// back agree, for every property of every resource of a stage the stack holds (and the
/// function's reserved concurrency): each one the table lists is put back, and nothing else.
#[tokio::test]
async fn repairs_agree_with_the_plans_table() {
    let (desired, observed) = case();
    let resolved = hover::plan::resolved_desired(&desired, &observed);
    let clients = answering_everything();
    let mut checked = 0;
    let mut repaired = std::collections::BTreeSet::new();
    for r in desired.resources.values() {
        if r.provisioner != Provisioner::Stack {
            continue;
        }
        // Listed properties this stage leaves out are given a value.
        let mut props = resolved[&r.logical_id].clone();
        for (ty, key, value) in [
            (
                ResourceKind::Function,
                "VpcConfig",
                serde_json::json!({"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}),
            ),
            (
                ResourceKind::Role,
                "ManagedPolicyArns",
                serde_json::json!(["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
            ),
        ] {
            if r.kind == ty && !props.values.contains_key(key) {
                props.values.insert(key.into(), value);
            }
        }
        let props = &props;
        let physical = &observed.resources[&r.logical_id].physical_id;
        // What the stage sets, and the function's reserved concurrency, which it may leave out
        // (its absence is put back by deleting the reservation).
        let mut names: Vec<String> = props.values.keys().cloned().collect();
        if r.kind == ResourceKind::Function {
            names.push("ReservedConcurrentExecutions".into());
        }
        names.sort();
        names.dedup();
        for name in names {
            let done = direct::repair(
                &clients,
                &ResourceType::from(r.kind),
                physical,
                std::slice::from_ref(&name),
                props,
            )
            .await
            .unwrap_or_else(|e| panic!("{} {name}: {e}", r.logical_id));
            assert_eq!(done.len(), 1, "{} {name}: {done:?}", r.logical_id);
            let put_back = matches!(done[0].1, Repair::Done(_));
            assert_eq!(
                put_back,
                r.kind.repairable(&name),
                "{} ({}) {name}: repair says {:?}",
                r.logical_id,
                r.kind,
                done[0].1
            );
            checked += 1;
            if put_back {
                repaired.insert((r.kind, name));
            }
        }
    }
    assert!(checked > 50, "only {checked} properties checked");
    // Every property the table says apply puts back was put back.
    let listed: std::collections::BTreeSet<(ResourceKind, String)> = kinds::KINDS
        .iter()
        .flat_map(|k| {
            k.fixes
                .iter()
                .flat_map(|f| f.properties)
                .map(|p| (k.kind, p.to_string()))
        })
        .collect();
    let missing: Vec<_> = listed.difference(&repaired).collect();
    assert!(missing.is_empty(), "never put back: {missing:?}");
}

/// The stage role's policies changed outside hover: a trust policy, inline policies added next
/// to `hover-stage` (on two pages), a managed policy attached and the desired one detached.
#[tokio::test]
async fn drifted_role_policies_are_put_back_through_iam() {
    use aws_sdk_iam::operation as iam;
    use aws_sdk_iam::types::AttachedPolicy;
    let (desired, observed) = case();
    let role = observed.resources["LambdaRole"].physical_id.clone();
    let mut props = hover::plan::resolved_desired(&desired, &observed)["LambdaRole"].clone();
    let vpc = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    props
        .values
        .insert("ManagedPolicyArns".into(), serde_json::json!([vpc]));

    // (operation, first and second notable parameter) of every write, in order.
    type Calls = Arc<Mutex<Vec<(String, String, String)>>>;
    let calls: Calls = Arc::default();
    let log = |calls: &Calls, op: &str, a: &str, b: &str| {
        calls
            .lock()
            .expect("lock")
            .push((op.to_owned(), a.to_owned(), b.to_owned()));
    };
    let (c1, c2, c3, c4, c5) = (
        calls.clone(),
        calls.clone(),
        calls.clone(),
        calls.clone(),
        calls.clone(),
    );
    let name = role.clone();
    let clients = Mocks {
        iam: vec![
            mock!(aws_sdk_iam::Client::update_assume_role_policy).then_compute_output(move |r| {
                log(
                    &c1,
                    "UpdateAssumeRolePolicy",
                    r.role_name().unwrap_or_default(),
                    r.policy_document().unwrap_or_default(),
                );
                iam::update_assume_role_policy::UpdateAssumeRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::put_role_policy).then_compute_output(move |r| {
                log(
                    &c2,
                    "PutRolePolicy",
                    r.policy_name().unwrap_or_default(),
                    r.policy_document().unwrap_or_default(),
                );
                iam::put_role_policy::PutRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::delete_role_policy).then_compute_output(move |r| {
                log(
                    &c3,
                    "DeleteRolePolicy",
                    r.role_name().unwrap_or_default(),
                    r.policy_name().unwrap_or_default(),
                );
                iam::delete_role_policy::DeleteRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::attach_role_policy).then_compute_output(move |r| {
                log(
                    &c4,
                    "AttachRolePolicy",
                    r.role_name().unwrap_or_default(),
                    r.policy_arn().unwrap_or_default(),
                );
                iam::attach_role_policy::AttachRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::detach_role_policy).then_compute_output(move |r| {
                log(
                    &c5,
                    "DetachRolePolicy",
                    r.role_name().unwrap_or_default(),
                    r.policy_arn().unwrap_or_default(),
                );
                iam::detach_role_policy::DetachRolePolicyOutput::builder().build()
            }),
            mock!(aws_sdk_iam::Client::list_role_policies)
                .match_requests(move |r| {
                    r.role_name() == Some(name.as_str()) && r.marker().is_none()
                })
                .then_output(|| {
                    iam::list_role_policies::ListRolePoliciesOutput::builder()
                        .policy_names("hover-stage")
                        .policy_names("added-outside")
                        .is_truncated(true)
                        .marker("m2")
                        .build()
                        .expect("page 1")
                }),
            mock!(aws_sdk_iam::Client::list_role_policies)
                .match_requests(|r| r.marker() == Some("m2"))
                .then_output(|| {
                    iam::list_role_policies::ListRolePoliciesOutput::builder()
                        .policy_names("also-outside")
                        .is_truncated(false)
                        .build()
                        .expect("page 2")
                }),
            mock!(aws_sdk_iam::Client::list_attached_role_policies).then_output(move || {
                iam::list_attached_role_policies::ListAttachedRolePoliciesOutput::builder()
                    .attached_policies(AttachedPolicy::builder().policy_arn(admin).build())
                    .is_truncated(false)
                    .build()
            }),
        ],
        ..Default::default()
    }
    .build();

    let names: Vec<String> = ["AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"]
        .map(String::from)
        .to_vec();
    let done = direct::repair(&clients, &ResourceKind::Role.into(), &role, &names, &props)
        .await
        .expect("repair");
    assert_eq!(
        done,
        vec![
            (
                "AssumeRolePolicyDocument".to_string(),
                Repair::Done("IAM UpdateAssumeRolePolicy")
            ),
            ("Policies".to_string(), Repair::Done("IAM PutRolePolicy")),
            (
                "ManagedPolicyArns".to_string(),
                Repair::Done("IAM AttachRolePolicy")
            ),
        ]
    );

    let calls = calls.lock().expect("lock").clone();
    let ops: Vec<(&str, &str)> = calls
        .iter()
        .map(|(op, a, _)| (op.as_str(), a.as_str()))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("UpdateAssumeRolePolicy", role.as_str()),
            ("PutRolePolicy", "hover-stage"),
            ("DeleteRolePolicy", role.as_str()),
            ("DeleteRolePolicy", role.as_str()),
            ("AttachRolePolicy", role.as_str()),
            ("DetachRolePolicy", role.as_str()),
        ]
    );
    // The documents are the desired ones, as JSON, with every reference resolved.
    let parsed = |text: &str| serde_json::from_str::<Value>(text).expect("JSON document");
    assert_eq!(
        parsed(&calls[0].2),
        props.values["AssumeRolePolicyDocument"]
    );
    let policy = &props.values["Policies"][0]["PolicyDocument"];
    assert_eq!(parsed(&calls[1].2), *policy);
    assert!(!calls[1].2.contains("Fn::"), "{}", calls[1].2);
    assert!(
        calls[1]
            .2
            .contains("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/clouder-dev-*:*"),
        "{}",
        calls[1].2
    );
    assert_eq!(
        [calls[2].2.as_str(), calls[3].2.as_str()],
        ["added-outside", "also-outside"]
    );
    assert_eq!(calls[4].2, vpc);
    assert_eq!(calls[5].2, admin);
}

/// KMS mocks of an account whose keys are `(id, state, alias tag, aliased)`; the ids whose tags
/// were read are recorded.
fn kms_account(keys: &[(&str, &str, &str, bool)]) -> (Clients, Arc<Mutex<Vec<String>>>) {
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
    use aws_sdk_kms::types::{AliasListEntry, KeyListEntry, KeyMetadata, KeyState, Tag};
    let keys: Vec<(String, String, String, bool)> = keys
        .iter()
        .map(|(id, state, tag, aliased)| {
            (id.to_string(), state.to_string(), tag.to_string(), *aliased)
        })
        .collect();
    let read: Arc<Mutex<Vec<String>>> = Arc::default();
    let (k1, k2, k3, k4, log) = (keys.clone(), keys.clone(), keys.clone(), keys, read.clone());
    let clients = Mocks {
        kms: vec![
            mock!(aws_sdk_kms::Client::list_aliases).then_output(move || {
                let aliases = k1.iter().filter(|k| k.3).map(|(id, ..)| {
                    AliasListEntry::builder()
                        .alias_name(format!("alias/of-{id}"))
                        .target_key_id(id)
                        .build()
                });
                ListAliasesOutput::builder()
                    .set_aliases(Some(aliases.collect()))
                    .truncated(false)
                    .build()
            }),
            mock!(aws_sdk_kms::Client::list_keys).then_output(move || {
                let entries = k2
                    .iter()
                    .map(|(id, ..)| KeyListEntry::builder().key_id(id).build());
                ListKeysOutput::builder()
                    .set_keys(Some(entries.collect()))
                    .truncated(false)
                    .build()
            }),
            mock!(aws_sdk_kms::Client::describe_key).then_compute_output(move |r| {
                let id = r.key_id().unwrap_or_default();
                let state = k3.iter().find(|k| k.0 == id).map(|k| k.1.as_str());
                DescribeKeyOutput::builder()
                    .key_metadata(
                        KeyMetadata::builder()
                            .key_id(id)
                            .key_state(KeyState::from(state.unwrap_or("Enabled")))
                            .build()
                            .expect("metadata"),
                    )
                    .build()
            }),
            mock!(aws_sdk_kms::Client::list_resource_tags).then_compute_output(move |r| {
                let id = r.key_id().unwrap_or_default().to_string();
                let tag = k4.iter().find(|k| k.0 == id).map(|k| k.2.clone());
                log.lock().expect("lock").push(id);
                let tags = tag.filter(|t| !t.is_empty()).map(|t| {
                    vec![Tag::builder()
                        .tag_key(hover::direct::kms::ALIAS_TAG)
                        .tag_value(t)
                        .build()
                        .expect("tag")]
                });
                ListResourceTagsOutput::builder().set_tags(tags).build()
            }),
        ],
        ..Default::default()
    }
    .build();
    (clients, read)
}

#[tokio::test]
async fn a_key_left_without_its_alias_is_found_reading_the_tags_of_unaliased_usable_keys_only() {
    const ALIAS: &str = "alias/app-dev-secrets-key";
    let (clients, read) = kms_account(&[
        ("aliased", "Enabled", ALIAS, true),
        ("pending", "PendingDeletion", ALIAS, false),
        ("other", "Enabled", "alias/other-secrets-key", false),
        ("untagged", "Disabled", "", false),
        ("orphan", "Enabled", ALIAS, false),
        ("later", "Enabled", "", false),
    ]);
    let found = hover::direct::kms::orphan_key(&clients, ALIAS)
        .await
        .expect("lookup");
    assert_eq!(found.as_deref(), Some("orphan"));
    assert_eq!(*read.lock().expect("lock"), ["other", "untagged", "orphan"]);
}

#[tokio::test]
async fn no_key_is_adopted_when_every_key_made_for_the_alias_is_aliased_or_pending_deletion() {
    const ALIAS: &str = "alias/app-dev-secrets-key";
    let (clients, read) = kms_account(&[
        ("aliased", "Enabled", ALIAS, true),
        ("pending", "PendingDeletion", ALIAS, false),
        ("other", "Enabled", "alias/other-secrets-key", false),
    ]);
    let found = hover::direct::kms::orphan_key(&clients, ALIAS)
        .await
        .expect("lookup");
    assert_eq!(found, None);
    assert_eq!(*read.lock().expect("lock"), ["other"]);
}
