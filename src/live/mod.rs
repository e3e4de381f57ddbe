//! The stage as AWS has it: reads the stack and every targeted resource concurrently through the
//! AWS SDK and returns plain data ([`ObservedStage`]); SDK types never leave this module.
//!
//! Submodules, one per service family, each turn one resource type into CloudFormation's property
//! shape: [`stack`] (CloudFormation), `lambda` (functions, aliases, event source mappings),
//! `sqs`, `logs`, `events`, `apigateway`, `cloudfront`, `s3`, `ecr`, `kms`, `iam` (roles);
//! [`account`] the caller's identity and the account's Lambda quotas (for `hover doctor`);
//! [`config`] the clients and their SDK config (region, profile, retries, the profile files, the
//! notes on the environment);
//! [`log_events`] a log group's events, a page at a time (for `hover logs`);
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
pub mod config;
mod ecr;
pub mod error;
mod events;
mod iam;
pub mod inventory;
mod json;
mod kms;
mod lambda;
pub mod log_events;
mod logs;
pub mod messages;
pub mod quota;
mod s3;
mod sqs;
pub mod stack;
pub mod targets;

use crate::model::{
    LiveResource, LiveTarget, Lookup, ObservedStage, ResourceKind, ResourceType, StackState,
};
use futures::StreamExt;
use serde_json::Map;
use std::collections::BTreeMap;
use tokio::sync::OnceCell;

pub use config::{environment_notes, load_config, Clients, MAX_ATTEMPTS};
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
    ctx.log_group_prefix = logs::common_prefix(targets.iter().filter_map(|t| match &t.lookup {
        Some(Lookup::LogGroup { name }) => Some(name.as_str()),
        _ => None,
    }));

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
    let mut by_type: Vec<(&ResourceType, std::collections::VecDeque<&LiveTarget>)> = Vec::new();
    for t in targets {
        match by_type.iter_mut().find(|(ty, _)| **ty == t.resource_type) {
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

/// Reads one target. Resources known only from the stack (no lookup: e.g. a role the stage no
/// longer wants) are reported from the stack's record without calling AWS; a role is read when
/// named (its name is the physical id the stack records).
async fn read_target(
    ctx: &ReadContext<'_>,
    target: &LiveTarget,
) -> Result<Option<LiveResource>, LiveError> {
    let recorded = target.recorded_id();
    let Some(lookup) = &target.lookup else {
        // A queue the manifest no longer has is read for the messages its deletion destroys.
        if target.resource_type == ResourceKind::Queue {
            if let Some(queue) = sqs::read_queue(ctx, recorded, "").await? {
                return Ok(Some(queue));
            }
        }
        return Ok(from_stack(ctx, target));
    };
    match lookup {
        Lookup::Function { name } => lambda::read_function(ctx, name).await,
        Lookup::Alias { function, name } => lambda::read_alias(ctx, function, name).await,
        Lookup::EventSourceMapping(keys) => {
            lambda::read_event_source_mapping(ctx, keys, recorded).await
        }
        Lookup::LogGroup { name } => logs::read_log_group(ctx, name).await,
        Lookup::Queue { name } => sqs::read_queue(ctx, recorded, name).await,
        Lookup::Rule { name } => events::read_rule(ctx, name).await,
        Lookup::Api { name } => apigateway::read_api(ctx, name).await,
        Lookup::Integration { api_name } => apigateway::read_integration(ctx, api_name).await,
        Lookup::Route {
            api_name,
            route_key,
        } => apigateway::read_route(ctx, api_name, route_key).await,
        Lookup::ApiStage {
            api_name,
            stage_name,
        } => apigateway::read_stage(ctx, api_name, stage_name).await,
        Lookup::Distribution { comment } => cloudfront::read_distribution(ctx, comment).await,
        Lookup::OriginAccessControl { name } => {
            cloudfront::read_origin_access_control(ctx, name).await
        }
        Lookup::BucketPolicy { bucket } => s3::read_bucket_policy(ctx, bucket).await,
        Lookup::Bucket { name } => s3::read_bucket(ctx, name).await,
        Lookup::Repository { name } => ecr::read_repository(ctx, name).await,
        Lookup::Key { name } => kms::read_key(ctx, name).await,
        Lookup::Role { name } => iam::read_role(ctx, name).await,
    }
}

/// A resource as the stack records it: its type, physical id and `Ref` (and, for an IAM role
/// that is not read, its ARN), with no observed properties. Nothing when the stack records no
/// physical id.
fn from_stack(ctx: &ReadContext<'_>, target: &LiveTarget) -> Option<LiveResource> {
    let physical_id = target.recorded_id()?.to_owned();
    let mut attributes = BTreeMap::from([("Ref".to_owned(), physical_id.clone())]);
    if let (true, Some(account)) = (
        target.resource_type == ResourceKind::Role,
        ctx.account.as_deref(),
    ) {
        attributes.insert(
            "Arn".to_owned(),
            format!(
                "{}iam::{account}:role/{physical_id}",
                crate::model::Partition::of(&ctx.region).arn_prefix()
            ),
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
mod order_tests {
    use super::*;

    fn target(id: &str, kind: ResourceKind) -> LiveTarget {
        LiveTarget::recorded(id, kind.into(), "p")
    }

    #[test]
    fn targets_are_read_one_of_each_type_in_turn() {
        use ResourceKind as K;
        let targets = vec![
            target("Q1", K::Queue),
            target("Q2", K::Queue),
            target("Q3", K::Queue),
            target("F1", K::Function),
            target("F2", K::Function),
            target("R", K::Role),
        ];
        let order: Vec<&str> = interleaved(&targets)
            .iter()
            .map(|t| t.logical_id.as_str())
            .collect();
        assert_eq!(order, ["Q1", "F1", "R", "Q2", "F2", "Q3"]);
    }
}
