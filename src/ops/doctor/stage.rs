//! The checks of the stage as AWS has it: its stack's state, drift and pending changes, and its
//! lock.

use super::{help_of, Check, Status};
use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest::Manifest;
use crate::model::StackStatus;
use crate::ops;
use crate::ops::context::StageContext;
use crate::plan;
use std::path::Path;

/// The stage as AWS has it: whether it exists, its stack's state, drift and pending changes.
pub(super) async fn resources_check(
    ctx: &StageContext,
) -> (Check, Option<crate::model::ObservedStage>) {
    let name = "stage resources";
    let manifest = &ctx.manifest;
    let stack = match live::read_stack(&ctx.clients, &manifest.name).await {
        Ok(s) => s,
        Err(e) => {
            let check = Check::new(name, Status::Fail, e.to_string())
                .remedy(help_of(&e).unwrap_or_else(|| "the credentials need cloudformation:DescribeStacks: see examples/ci/policy-plan.json".into()));
            return (check, None);
        }
    };
    let Some(stack) = stack else {
        let check = Check::new(
            name,
            Status::Pass,
            format!(
                "the stack `{}` does not exist yet: `hover deploy {}` creates the stage",
                manifest.name,
                stage_of(manifest)
            ),
        );
        return (check, None);
    };
    let observed = match ctx.read(None).await {
        Ok((_, observed)) => observed,
        Err(e) => {
            let check = Check::new(name, Status::Fail, e.to_string())
                .remedy(help_of(&e).unwrap_or_else(|| "see `hover plan` for the same read".into()));
            return (check, None);
        }
    };
    let status = stack.status.clone();
    let mut found = format!(
        "stack `{}` is {status}, {} resources read",
        manifest.name,
        observed.resources.len()
    );
    let planned = ops::plan::plan_observed(manifest, &observed, None);
    let (drift, summary) = match &planned {
        Ok((_, p)) => (drifted(p), Some(p.summary())),
        Err(_) => (Vec::new(), None),
    };
    if let Some(s) = summary {
        if s.add + s.change + s.destroy == 0 {
            found.push_str("; it matches the manifest");
        } else {
            found.push_str(&format!(
                "; applying the manifest would add {}, change {}, destroy {} (`hover plan`)",
                s.add, s.change, s.destroy
            ));
        }
    }
    let check = resources_verdict(
        manifest,
        &status,
        found,
        planned.as_ref().map(|(_, p)| p),
        drift,
    );
    (check, Some(observed))
}

/// The verdict on the stage's resources: an operation under way or a failed stack first, then a
/// manifest that cannot be planned, then drift.
pub(super) fn resources_verdict(
    manifest: &Manifest,
    status: &StackStatus,
    found: String,
    planned: Result<&plan::Plan, &HoverError>,
    drift: Vec<String>,
) -> Check {
    let name = "stage resources";
    let stage = stage_of(manifest);
    if status.in_progress() {
        Check::new(name, Status::Warn, found).remedy(
            "another operation is under way: `hover apply` waits for it (or `--no-wait` refuses)",
        )
    } else if status.failed_creation() || status.failed() {
        Check::new(name, Status::Fail, found).remedy(format!(
            "`hover apply {stage}` explains the stack's state and its way out"
        ))
    } else if let Err(e) = planned {
        Check::new(name, Status::Fail, format!("{found}; no plan: {e}"))
            .remedy(help_of(e).unwrap_or_else(|| format!("`hover plan {stage}` says more")))
    } else if !drift.is_empty() {
        Check::new(
            name,
            Status::Warn,
            format!("{found}; {} changed outside hover", drift.len()),
        )
        .remedy(format!(
            "`hover plan {stage}` shows each change; `hover apply {stage}` puts them back"
        ))
        .details(drift)
    } else {
        Check::new(name, Status::Pass, found)
    }
}

/// The stage file name of a manifest (`.hover/<stage>.yml`).
pub(super) fn stage_of(manifest: &Manifest) -> String {
    Path::new(&manifest.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| manifest.name.clone())
}

/// `Resource: attribute` for every change made outside hover.
pub(super) fn drifted(p: &plan::Plan) -> Vec<String> {
    p.resource_changes
        .iter()
        .filter(|c| !c.drift.is_empty())
        .map(|c| {
            format!(
                "{} ({}): {}",
                c.logical_id,
                c.name,
                c.drift
                    .iter()
                    .map(|d| d.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect()
}

/// Who holds the stage's lock, if anyone.
pub(super) async fn lock_check(
    manifest: &Manifest,
    clients: &Clients,
    observed: Option<&crate::model::ObservedStage>,
) -> Check {
    let name = "stage lock";
    let bucket = crate::naming::bucket(&manifest.name);
    let key = ops::lock::lock_key(&manifest.name);
    let at = format!("s3://{bucket}/{key}");
    match crate::direct::read_lock(clients, &bucket, &key).await {
        Ok(None) => Check::new(name, Status::Pass, format!("no run holds the lock ({at})")),
        Ok(Some((text, _))) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            match serde_json::from_str::<ops::lock::Holder>(&text) {
                Ok(h) => {
                    let age = now.saturating_sub(h.since);
                    let who = format!("locked by {} for {age} s", ops::lock::describe(&h));
                    if ops::lock::reclaimable(&h, now, &ops::lock::here(), |pid| {
                        Path::new(&format!("/proc/{pid}")).exists()
                    }) {
                        Check::new(name, Status::Warn, format!("{who}: that run is over"))
                            .remedy("the next apply or deploy takes the lock over")
                    } else {
                        Check::new(name, Status::Fail, who).remedy(format!(
                            "wait for that run to end; a lock whose run died is taken over after {} min (at once on its own machine); when sure no run holds it, run the next changing command with `--force-unlock`",
                            ops::lock::LOCK_TTL.as_secs() / 60
                        ))
                    }
                }
                Err(_) => Check::new(name, Status::Fail, format!("{at} holds no holder hover can read"))
                    .remedy("make sure no run holds it, then run the next changing command with `--force-unlock` (e.g. `hover deploy <stage> --force-unlock`)"),
            }
        }
        // No bucket yet: nothing can hold the lock.
        Err(_) if observed.is_none_or(|o| o.stack.is_none()) => Check::new(
            name,
            Status::Pass,
            format!("no run holds the lock (the bucket `{bucket}` is made by the first deploy)"),
        ),
        Err(e) => Check::new(name, Status::Fail, e.to_string())
            .remedy("the credentials need s3:GetObject on the stage's bucket: see examples/ci/policy-plan.json"),
    }
}
