//! The stage as AWS has it: reads the stack and every targeted resource concurrently through the
//! AWS SDK and returns plain data ([`ObservedStage`]); SDK types never leave this module.
//!
//! Submodules, one per service family, each turn one resource type into CloudFormation's property
//! shape: [`stack`] (CloudFormation), `lambda` (functions, aliases, event source mappings),
//! `sqs`, `logs`, `events`, `apigateway`, `cloudfront`, `s3`, `ecr`, `kms`, `iam` (roles);
//! [`account`] the caller's identity and the account's Lambda quotas (for `hover doctor`);
//! [`error`] holds [`LiveError`] and the predicates that classify SDK errors; [`quota`] the
//! request-rate quota of every API hover calls and the limiters every read goes through.
//!
//! A read costs a constant number of calls for the stage plus two per function and one per queue
//! the stack records: listings shared by every reader of one read (log groups by their common
//! prefix, event source mappings, HTTP APIs) and answers already in hand (the queue URLs the
//! stack records, the reserved concurrency GetFunction returns) replace calls per resource.

pub mod account;
mod apigateway;
mod cloudfront;
mod ecr;
pub mod error;
mod events;
mod iam;
pub mod inventory;
mod json;
mod kms;
mod lambda;
mod logs;
pub mod quota;
mod s3;
mod sqs;
pub mod stack;
pub mod targets;

use crate::model::kinds::{self, Read};
use crate::model::{LiveResource, LiveTarget, ObservedStage, StackState};
use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_types::region::Region;
use aws_types::SdkConfig;
use futures::StreamExt;
use serde_json::Map;
use std::collections::BTreeMap;
use tokio::sync::OnceCell;

pub use error::{
    aws_error, is_access_denied, is_credentials_problem, is_not_found, is_stack_missing,
    is_throttling, LiveError,
};
pub use s3::bucket_exists;
pub use stack::read_stack;

/// How many resources are read at the same time. A read waiting for a token of its quota family
/// holds its place, so there are enough places for the families that have tokens to go on
/// meanwhile; with reads taken one type in turn, a 100-worker plan's reads are bound by the
/// `GetFunction` quota, not by the places.
pub const READ_CONCURRENCY: usize = 32;

/// Attempts per call (the first one included) before a throttled or failing call is reported.
pub const MAX_ATTEMPTS: u32 = 6;

/// The SDK clients for one stage, built once from one [`SdkConfig`] (one account, one region).
/// Fields are public so tests can assemble it from mocked clients.
#[derive(Clone, Debug)]
pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub iam: aws_sdk_iam::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
}

impl Clients {
    /// Builds every client from one config. S3 uses path-style addressing when an endpoint URL is
    /// configured (emulators do not resolve `<bucket>.<host>`).
    pub fn new(config: &SdkConfig) -> Self {
        let custom_s3_endpoint = config.endpoint_url().is_some()
            || std::env::var("AWS_ENDPOINT_URL_S3").is_ok_and(|v| !v.is_empty());
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(custom_s3_endpoint)
            .build();
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            eventbridge: aws_sdk_eventbridge::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            apigatewayv2: aws_sdk_apigatewayv2::Client::new(config),
            cloudfront: aws_sdk_cloudfront::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sts: aws_sdk_sts::Client::new(config),
        }
    }

    /// The region the clients talk to (taken from the S3 client's config).
    pub fn region(&self) -> Option<String> {
        self.s3.config().region().map(|r| r.as_ref().to_owned())
    }
}

/// Loads the SDK config of a stage. The region is the manifest's, always, for every client (an
/// `AWS_REGION` that disagrees is ignored and said, see [`environment_notes`]). A profile the
/// manifest names must exist, and its credentials are used even when environment credentials or
/// `AWS_PROFILE` are set; without one, the standard AWS environment decides. `AWS_ENDPOINT_URL` is
/// honoured as the SDK always does. Calls use the standard retry mode with [`MAX_ATTEMPTS`]
/// attempts, so throttling is retried with backoff.
pub async fn load_config(profile: Option<&str>, region: &str) -> Result<SdkConfig, LiveError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(shared_http_client())
        .region(Region::new(region.to_owned()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = profile.filter(|p| !p.is_empty()) {
        let searched = profile_files();
        if !profile_defined(profile, &searched) {
            return Err(LiveError::ProfileMissing {
                profile: profile.to_string(),
                searched: searched
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and "),
            });
        }
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    Ok(loader.load().await)
}

/// One HTTP client for every SDK client of a stage: the SDK's default (hyper 1, rustls with
/// aws-lc, the platform's root certificates, proxies from the environment), built once, so root
/// certificates are loaded once and connections are pooled across services, where each service
/// client would otherwise build its own.
fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// What of the environment hover ignores for a stage, each said once: a region other than the
/// manifest's, and, when the manifest names a profile, another `AWS_PROFILE` or environment
/// credentials.
pub fn environment_notes(profile: Option<&str>, region: &str) -> Vec<String> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut notes = Vec::new();
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(v) = env(name).filter(|v| v != region) {
            notes.push(format!(
                "{name}={v} is ignored: the stage lives in {region} (its manifest's `region`), and every call and name uses it"
            ));
            break;
        }
    }
    if let Some(profile) = profile.filter(|p| !p.is_empty()) {
        if let Some(v) = env("AWS_PROFILE").filter(|v| v != profile) {
            notes.push(format!(
                "AWS_PROFILE={v} is ignored: the stage names the profile `{profile}` (its manifest's `aws-profile`)"
            ));
        }
        if env("AWS_ACCESS_KEY_ID").is_some() {
            notes.push(format!(
                "the credentials in the environment (AWS_ACCESS_KEY_ID) are ignored: the stage names the profile `{profile}`"
            ));
        }
    }
    notes
}

/// The shared config and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, or
/// their defaults under `~/.aws`), each with whether it is the config file.
fn profile_files() -> Vec<(std::path::PathBuf, bool)> {
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    vec![
        (pick("AWS_CONFIG_FILE", "config"), true),
        (pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false),
    ]
}

/// Whether `profile` has a section in one of `files`: `[profile NAME]` (or `[default]`) in the
/// config file, `[NAME]` in the credentials file.
fn profile_defined(profile: &str, files: &[(std::path::PathBuf, bool)]) -> bool {
    files.iter().any(|(path, is_config)| {
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        text.lines().any(|line| {
            let Some(inner) = line
                .trim()
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
            else {
                return false;
            };
            let words: Vec<&str> = inner.split_whitespace().collect();
            match (is_config, words.as_slice()) {
                (true, ["profile", name]) => *name == profile,
                (true, [name]) => *name == "default" && profile == "default",
                (false, [name]) => *name == profile,
                _ => false,
            }
        })
    })
}

/// The account the credentials resolve to (STS GetCallerIdentity).
pub async fn caller_account(clients: &Clients) -> Result<String, LiveError> {
    account::caller_identity(clients)
        .await
        .map(|identity| identity.account)
}

/// Reads the whole stage: the caller's account, the stack named `stack_name` (the stage name),
/// then every target (see [`read_resources`]).
pub async fn read_stage(
    clients: &Clients,
    stack_name: &str,
    targets: &[LiveTarget],
) -> Result<ObservedStage, LiveError> {
    let account = caller_account(clients).await?;
    let stack = read_stack(clients, stack_name).await?;
    read_resources(clients, Some(account), stack, targets).await
}

/// Reads every target concurrently (at most [`READ_CONCURRENCY`] at a time) and assembles the
/// observed stage around an account and stack already read (targets usually depend on the
/// stack). Resources that do not exist are simply missing from the result; only failures to
/// read are errors (the first by logical id when several fail). With no `account`, attributes
/// that need it (the `Arn` of a role known only from the stack) are left out; no STS call is
/// made.
pub async fn read_resources(
    clients: &Clients,
    account: Option<String>,
    stack: Option<StackState>,
    targets: &[LiveTarget],
) -> Result<ObservedStage, LiveError> {
    let mut ctx = ReadContext::new(
        clients,
        account.clone(),
        clients.region().unwrap_or_default(),
    );
    ctx.log_group_prefix = logs::common_prefix(
        targets
            .iter()
            .filter(|t| t.resource_type == "AWS::Logs::LogGroup")
            .filter_map(|t| t.name.as_deref()),
    );

    let results: Vec<(&LiveTarget, Result<Option<LiveResource>, LiveError>)> =
        futures::stream::iter(interleaved(targets))
            .map(|target| {
                let ctx = &ctx;
                async move { (target, read_target(ctx, target).await) }
            })
            .buffer_unordered(READ_CONCURRENCY)
            .collect()
            .await;

    let mut resources = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (target, result) in results {
        match result {
            Ok(Some(resource)) => {
                resources.insert(target.logical_id.clone(), resource);
            }
            Ok(None) => {}
            Err(err) => {
                errors.entry(target.logical_id.clone()).or_insert(err);
            }
        }
    }
    if let Some((_, err)) = errors.into_iter().next() {
        return Err(err);
    }
    Ok(ObservedStage {
        account,
        stack,
        resources,
        maintenance: None,
    })
}

/// The targets taken one of each resource type in turn (types in order of first appearance, each
/// type's targets in their order): a read waiting for a token of its quota family holds its place,
/// so places shared among the types let every family go on at its own rate, where a run of one
/// type would hold them all while the others wait.
fn interleaved(targets: &[LiveTarget]) -> Vec<&LiveTarget> {
    let mut by_type: Vec<(&str, std::collections::VecDeque<&LiveTarget>)> = Vec::new();
    for t in targets {
        match by_type.iter_mut().find(|(ty, _)| *ty == t.resource_type) {
            Some((_, queue)) => queue.push_back(t),
            None => by_type.push((&t.resource_type, [t].into())),
        }
    }
    let mut out = Vec::with_capacity(targets.len());
    while out.len() < targets.len() {
        for (_, queue) in &mut by_type {
            out.extend(queue.pop_front());
        }
    }
    out
}

/// What every reader may need besides its target: the clients, the account and region (for
/// ARNs and domain names), and listings shared between readers of one read (each made once, by
/// the first reader that needs it).
pub(crate) struct ReadContext<'a> {
    pub clients: &'a Clients,
    pub account: Option<String>,
    pub region: String,
    pub apis: apigateway::ApiCache,
    /// The region's event source mappings.
    pub mappings: OnceCell<Vec<aws_sdk_lambda::types::EventSourceMappingConfiguration>>,
    /// The prefix every log group of the read shares, and the log groups listed by it.
    pub log_group_prefix: Option<String>,
    pub log_groups: OnceCell<BTreeMap<String, logs::LogGroupInfo>>,
}

impl<'a> ReadContext<'a> {
    fn new(clients: &'a Clients, account: Option<String>, region: String) -> Self {
        ReadContext {
            clients,
            account,
            region,
            apis: apigateway::ApiCache::default(),
            mappings: OnceCell::new(),
            log_group_prefix: None,
            log_groups: OnceCell::new(),
        }
    }
}

/// A lookup key of a target, or [`LiveError::MissingKey`].
#[allow(clippy::result_large_err)]
pub(crate) fn key<'t>(target: &'t LiveTarget, key: &'static str) -> Result<&'t str, LiveError> {
    target
        .keys
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| LiveError::MissingKey {
            logical_id: target.logical_id.clone(),
            resource_type: target.resource_type.clone(),
            key,
        })
}

/// Reads one target. Resources known only from the stack (no AWS name: e.g. a role the stage no
/// longer wants) and types no reader covers are reported from the stack's record without
/// calling AWS; a role is read when named (its name is the physical id the stack records).
async fn read_target(
    ctx: &ReadContext<'_>,
    target: &LiveTarget,
) -> Result<Option<LiveResource>, LiveError> {
    let Some(name) = target.name.as_deref() else {
        // A queue the manifest no longer has is read for the messages its deletion destroys.
        if target.resource_type == "AWS::SQS::Queue" {
            if let Some(queue) = sqs::read_queue(ctx, target, "").await? {
                return Ok(Some(queue));
            }
        }
        return Ok(from_stack(ctx, target));
    };
    let Some(kind) = kinds::of(&target.resource_type) else {
        return Ok(from_stack(ctx, target));
    };
    match kind.read {
        Read::Function => lambda::read_function(ctx, name).await,
        Read::Alias => lambda::read_alias(ctx, target, name).await,
        Read::EventSourceMapping => lambda::read_event_source_mapping(ctx, target).await,
        Read::LogGroup => logs::read_log_group(ctx, name).await,
        Read::Queue => sqs::read_queue(ctx, target, name).await,
        Read::Rule => events::read_rule(ctx, name).await,
        Read::Api => apigateway::read_api(ctx, name).await,
        Read::Integration => apigateway::read_integration(ctx, target).await,
        Read::Route => apigateway::read_route(ctx, target).await,
        Read::ApiStage => apigateway::read_stage(ctx, target).await,
        Read::Distribution => cloudfront::read_distribution(ctx, target, name).await,
        Read::OriginAccessControl => cloudfront::read_origin_access_control(ctx, name).await,
        Read::BucketPolicy => s3::read_bucket_policy(ctx, target, name).await,
        Read::Bucket => s3::read_bucket(ctx, name).await,
        Read::Repository => ecr::read_repository(ctx, name).await,
        Read::Key => kms::read_key(ctx, name).await,
        Read::Role => iam::read_role(ctx, name).await,
    }
}

/// A resource as the stack records it: its type, physical id and `Ref` (and, for an IAM role
/// that is not read, its ARN), with no observed properties. Nothing when the stack records no
/// physical id.
fn from_stack(ctx: &ReadContext<'_>, target: &LiveTarget) -> Option<LiveResource> {
    let physical_id = target.physical_id.clone().filter(|p| !p.is_empty())?;
    let mut attributes = BTreeMap::from([("Ref".to_owned(), physical_id.clone())]);
    if let (true, Some(account)) = (
        target.resource_type == "AWS::IAM::Role",
        ctx.account.as_deref(),
    ) {
        attributes.insert(
            "Arn".to_owned(),
            format!("arn:aws:iam::{account}:role/{physical_id}"),
        );
    }
    Some(LiveResource {
        resource_type: target.resource_type.clone(),
        physical_id,
        attributes,
        properties: Map::new(),
    })
}

#[cfg(test)]
mod profile_tests {
    use super::profile_defined;

    #[test]
    fn profiles_are_found_in_either_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let creds = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = x\n[profile  shop-prod ]\nregion = y\n[sso-session s]\n",
        )
        .unwrap();
        std::fs::write(&creds, "[ci]\naws_access_key_id = a\n").unwrap();
        let files = vec![(config, true), (creds, false)];
        assert!(profile_defined("shop-prod", &files));
        assert!(profile_defined("default", &files));
        assert!(profile_defined("ci", &files));
        assert!(
            !profile_defined("s", &files),
            "an sso-session is not a profile"
        );
        assert!(!profile_defined("shop", &files));
        assert!(
            !profile_defined("ci", &files[..1]),
            "[ci] in the config file is not `profile ci`"
        );
        assert!(!profile_defined("x", &[(dir.path().join("none"), true)]));
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn target(id: &str, ty: &str) -> LiveTarget {
        LiveTarget {
            logical_id: id.into(),
            resource_type: ty.into(),
            name: None,
            physical_id: None,
            keys: BTreeMap::new(),
        }
    }

    #[test]
    fn targets_are_read_one_of_each_type_in_turn() {
        let targets = vec![
            target("Q1", "AWS::SQS::Queue"),
            target("Q2", "AWS::SQS::Queue"),
            target("Q3", "AWS::SQS::Queue"),
            target("F1", "AWS::Lambda::Function"),
            target("F2", "AWS::Lambda::Function"),
            target("R", "AWS::IAM::Role"),
        ];
        let order: Vec<&str> = interleaved(&targets)
            .iter()
            .map(|t| t.logical_id.as_str())
            .collect();
        assert_eq!(order, ["Q1", "F1", "R", "Q2", "F2", "Q3"]);
    }
}
