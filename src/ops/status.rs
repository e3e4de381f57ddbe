//! `hover status <stage>`: the stage as it runs now, in one screen, from live reads and read only:
//! its URLs, the live release and the rollback target, each function's live version, memory,
//! timeout, reserved concurrency and state, each queue's messages and its dead-letter queue's,
//! the rules and whether they are enabled, maintenance mode, and the stack's last operation.
//!
//! Its requests stay within a plan's: it reads the stage as a plan does (the same readers, the
//! same shared listings), but only the resource types it shows (functions and their aliases,
//! queues, rules, the HTTP API, the distribution: no role, log groups, mappings, bucket, key or
//! repository), and spends what that saves on the releases (one ListVersionsByFunction per
//! function; the `live` versions come from the alias reads) and the release history (one S3
//! GetObject). The manifest and the clients are loaded once, at the top.

use crate::error::HoverError;
use crate::live::messages::{self, MessageCounts};
use crate::live::{self, Clients};
use crate::manifest::Manifest;
use crate::model::{
    DesiredStage, LiveResource, ObservedStage, ResourceKind, FUNCTION_STATE, MESSAGE_COUNTS,
};
use crate::ops::plan::desired_for;
use crate::ops::StageContext;
use crate::release::{self, aws, Release};
use futures::future::join_all;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Settings of `hover status`.
#[derive(Clone, Debug)]
pub struct StatusOptions {
    pub dir: PathBuf,
    pub stage: String,
}

/// The resource types `hover status` reads.
const SHOWN_TYPES: [ResourceKind; 6] = [
    ResourceKind::Function,
    ResourceKind::Alias,
    ResourceKind::Queue,
    ResourceKind::Rule,
    ResourceKind::Api,
    ResourceKind::Distribution,
];

/// The stage as it runs now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Status {
    pub stage: String,
    pub region: String,
    pub account: String,
    pub urls: Urls,
    /// The release every function's `live` points at (`None`: none, or traffic is split).
    pub live_release: Option<Release>,
    /// The release `hover rollback` would go to, or why there is none.
    pub rollback_target: Result<String, String>,
    pub functions: Vec<FunctionStatus>,
    pub queues: Vec<QueueStatus>,
    pub rules: Vec<RuleStatus>,
    pub maintenance: MaintenanceStatus,
    /// `None`: the stage has no stack.
    pub stack: Option<StackStatus>,
}

/// Where the stage answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Urls {
    /// `https://<id>.cloudfront.net`.
    pub cloudfront: Option<String>,
    /// The distribution's aliases (the manifest's `domains`), as CloudFront has them.
    pub domains: Vec<String>,
    /// The HTTP API's endpoint.
    pub api: Option<String>,
}

/// One function as it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FunctionStatus {
    pub name: String,
    /// Its part in the stage (`http function`, `worker default function`).
    pub role: String,
    pub exists: bool,
    /// The version `live` points at (`$LATEST`, a number), and the build it was published for.
    pub live_version: Option<String>,
    pub build: Option<String>,
    pub memory: Option<i64>,
    pub timeout: Option<i64>,
    pub reserved_concurrency: Option<i64>,
    pub state: Option<String>,
}

/// One queue and its dead-letter queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    /// As the manifest names it.
    pub queue: String,
    pub name: String,
    pub messages: Option<MessageCounts>,
    pub dead_letter: String,
    pub dead_letter_messages: Option<MessageCounts>,
}

/// One EventBridge rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleStatus {
    pub name: String,
    pub role: String,
    pub schedule: Option<String>,
    /// `ENABLED`, `DISABLED`; `None` when the rule does not exist.
    pub state: Option<String>,
}

/// Whether the stage is down for maintenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum MaintenanceStatus {
    Up,
    Down {
        since: String,
    },
    /// This build of hover does not read the maintenance state.
    Unknown,
}

/// The stack's last operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StackStatus {
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    /// When it began (RFC 3339).
    pub at: Option<String>,
}

/// Runs `hover status`.
pub async fn status(opts: &StatusOptions) -> Result<Status, HoverError> {
    let ctx = StageContext::open(&opts.dir, &opts.stage).await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let (account, stack, maintenance) = futures::join!(
        ctx.account(),
        live::read_stack(clients, &manifest.name),
        crate::ops::maintenance::read_state(clients, &manifest.name)
    );
    let (account, stack, maintenance) = (account?.to_owned(), stack?, maintenance?);
    let desired = desired_for(manifest, stack.as_ref(), None);
    let targets: Vec<_> = live::targets::live_targets(&desired, stack.as_ref(), &account)
        .into_iter()
        .filter(|t| {
            t.resource_type
                .kind()
                .is_some_and(|k| SHOWN_TYPES.contains(&k))
        })
        .collect();
    let observed = live::read_resources(clients, Some(account.clone()), stack, &targets).await?;
    let functions = functions(&desired, &observed);
    let (releases, rollback_target) = releases(clients, manifest, &functions).await?;
    Ok(Status {
        stage: manifest.name.clone(),
        region: manifest.region.clone(),
        account,
        urls: urls(&desired, &observed),
        live_release: releases.into_iter().find(|r| r.live),
        rollback_target,
        queues: queues(manifest, &desired, &observed),
        rules: rules(&desired, &observed),
        maintenance: match maintenance {
            Some(m) => MaintenanceStatus::Down { since: m.since },
            None => MaintenanceStatus::Up,
        },
        stack: observed.stack.as_ref().map(|s| StackStatus {
            name: s.name.clone(),
            status: s.status.to_string(),
            reason: s.status_reason.clone(),
            at: s.last_updated.clone(),
        }),
        functions,
    })
}

/// The observed resources of the desired ones of `kind`, in logical-id order.
fn of_type<'a>(
    desired: &'a DesiredStage,
    observed: &'a ObservedStage,
    kind: ResourceKind,
) -> impl Iterator<Item = (&'a crate::model::Resource, Option<&'a LiveResource>)> + 'a {
    desired
        .resources
        .values()
        .filter(move |r| r.kind == kind)
        .map(|r| (r, observed.resources.get(&r.logical_id)))
}

fn int(r: Option<&LiveResource>, key: &str) -> Option<i64> {
    r.and_then(|r| r.properties.get(key))
        .and_then(Value::as_i64)
}

fn text(r: Option<&LiveResource>, key: &str) -> Option<String> {
    r.and_then(|r| r.properties.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn functions(desired: &DesiredStage, observed: &ObservedStage) -> Vec<FunctionStatus> {
    of_type(desired, observed, ResourceKind::Function)
        .map(|(d, live)| {
            let alias = desired
                .alias_of(&d.logical_id)
                .and_then(|id| observed.resources.get(id));
            FunctionStatus {
                name: d.name.clone(),
                role: d.role.clone(),
                exists: live.is_some(),
                live_version: text(alias, "FunctionVersion"),
                build: alias.and_then(|a| a.attributes.get(crate::model::RELEASE_BUILD).cloned()),
                memory: int(live, "MemorySize"),
                timeout: int(live, "Timeout"),
                reserved_concurrency: int(live, "ReservedConcurrentExecutions"),
                state: live.and_then(|l| l.attributes.get(FUNCTION_STATE).cloned()),
            }
        })
        .collect()
}

/// The releases (one ListVersionsByFunction per function; `live` from the alias reads, the
/// history from the stage's bucket) and the rollback target.
async fn releases(
    clients: &Clients,
    manifest: &Manifest,
    functions: &[FunctionStatus],
) -> Result<(Vec<Release>, Result<String, String>), HoverError> {
    let lambda = &clients.lambda;
    let existing: Vec<&FunctionStatus> = functions.iter().filter(|f| f.exists).collect();
    let (listed, history) = futures::join!(
        join_all(
            existing
                .iter()
                .map(|f| async move { (f.name.clone(), aws::versions(lambda, &f.name).await) })
        ),
        crate::ops::release::read_history(clients, &manifest.name)
    );
    let mut versions = BTreeMap::new();
    for (f, r) in listed {
        versions.insert(f, r?);
    }
    let live: BTreeMap<String, Option<u64>> = existing
        .iter()
        .map(|f| {
            let v = f.live_version.as_deref().and_then(|v| v.parse().ok());
            (f.name.clone(), v)
        })
        .collect();
    let all = release::releases(&versions, &live, history?.as_ref());
    let target = release::rollback_target(&all, None)
        .map(|r| r.build_id.clone())
        .map_err(|refusal| refusal.to_string());
    Ok((all, target))
}

fn urls(desired: &DesiredStage, observed: &ObservedStage) -> Urls {
    let mut urls = Urls::default();
    for (_, live) in of_type(desired, observed, ResourceKind::Distribution) {
        let Some(live) = live else { continue };
        urls.cloudfront = live
            .attributes
            .get("DomainName")
            .filter(|d| !d.is_empty())
            .map(|d| format!("https://{d}"));
        urls.domains = live
            .properties
            .get("DistributionConfig")
            .and_then(|c| c.get("Aliases"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
    }
    for (_, live) in of_type(desired, observed, ResourceKind::Api) {
        urls.api = live
            .and_then(|l| l.attributes.get("ApiEndpoint"))
            .filter(|e| !e.is_empty())
            .cloned();
    }
    urls
}

fn counts_of(r: Option<&LiveResource>) -> Option<MessageCounts> {
    let r = r?;
    let get = |i: usize| r.attributes.get(MESSAGE_COUNTS[i]).map(String::as_str);
    Some(messages::counts(get(0), get(1), get(2)))
}

fn queues(
    manifest: &Manifest,
    desired: &DesiredStage,
    observed: &ObservedStage,
) -> Vec<QueueStatus> {
    let by_name: BTreeMap<&str, Option<&LiveResource>> =
        of_type(desired, observed, ResourceKind::Queue)
            .map(|(d, live)| (d.name.as_str(), live))
            .collect();
    crate::ops::queue::stage_queues(manifest)
        .into_iter()
        .map(|q| QueueStatus {
            messages: by_name.get(q.name.as_str()).copied().and_then(counts_of),
            dead_letter_messages: by_name
                .get(q.dead_letter.as_str())
                .copied()
                .and_then(counts_of),
            queue: q.queue,
            name: q.name,
            dead_letter: q.dead_letter,
        })
        .collect()
}

fn rules(desired: &DesiredStage, observed: &ObservedStage) -> Vec<RuleStatus> {
    of_type(desired, observed, ResourceKind::Rule)
        .map(|(d, live)| RuleStatus {
            name: d.name.clone(),
            role: d.role.clone(),
            schedule: text(live, "ScheduleExpression")
                .or_else(|| text(Some(&as_live(d)), "ScheduleExpression")),
            state: text(live, "State"),
        })
        .collect()
}

/// A desired resource's properties seen as a live one's (for what the manifest says).
fn as_live(d: &crate::model::Resource) -> LiveResource {
    LiveResource {
        resource_type: d.kind.into(),
        physical_id: String::new(),
        attributes: BTreeMap::new(),
        properties: d.properties.clone(),
    }
}
