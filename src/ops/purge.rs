//! `hover stage purge`: deletes what old builds leave behind (images, `assets/<build-id>/`
//! prefixes, function versions) beyond the newest N builds, never a build any `live` alias points
//! at (every one when traffic is split), the one a rollback would go to or the last one live
//! before; shows what it will delete and asks first.

use crate::direct::purge as store;
use crate::error::HoverError;
use crate::manifest;
use crate::ops::plan::{check_account, stage_clients};
use crate::ops::release::{function_names, read_history, read_versions};
use crate::ops::{lock, ApplyUi};
use crate::release::{self, aws, PurgeChoice};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Builds kept by default.
pub const DEFAULT_KEEP: usize = 14;

/// Settings of one purge.
#[derive(Clone, Debug)]
pub struct PurgeOptions {
    pub dir: PathBuf,
    pub stage: String,
    pub keep: usize,
    pub auto_approve: bool,
}

/// What a purge deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    pub builds: Vec<String>,
    pub images: usize,
    pub objects: usize,
    pub versions: usize,
}

/// Runs `hover stage purge`.
pub async fn purge(opts: &PurgeOptions, ui: &mut dyn ApplyUi) -> Result<PurgeOutcome, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    let clients = stage_clients(&manifest).await?;
    check_account(&manifest, &clients).await?;
    let functions = function_names(&manifest);
    let bucket = crate::naming::bucket(&manifest.name);
    let (versions, live) = read_versions(&clients, &functions).await?;
    let history = read_history(&clients, &manifest.name).await?;
    let releases = release::releases(&versions, &live, history.as_ref());
    let images = store::repository_images(&clients, &manifest.name).await?;
    let assets = store::asset_builds(&clients, &bucket).await?;

    let builds = builds_held(&releases, &images, &assets);
    let choice: PurgeChoice = release::purge_choice(&builds, &releases, opts.keep);
    if choice.delete.is_empty() {
        ui.note(&format!(
            "Nothing to purge: stage {} holds {} build(s), within the {} kept.",
            opts.stage,
            builds.len(),
            opts.keep
        ));
        return Ok(PurgeOutcome::default());
    }

    let doomed: BTreeSet<&str> = choice.delete.iter().map(String::as_str).collect();
    let image_tags: Vec<String> = images
        .iter()
        .map(|(t, _)| t.clone())
        .filter(|t| doomed.contains(t.as_str()))
        .collect();
    let asset_ids: Vec<&String> = assets
        .iter()
        .filter(|a| doomed.contains(a.as_str()))
        .collect();
    let live_versions: BTreeSet<(&str, u64)> = live
        .iter()
        .filter_map(|(f, v)| v.map(|v| (f.as_str(), v)))
        .collect();
    let version_list: Vec<(String, u64)> = versions
        .iter()
        .flat_map(|(f, vs)| {
            vs.iter()
                .filter(|v| doomed.contains(v.description.as_str()))
                .map(move |v| (f.clone(), v.version))
        })
        .filter(|(f, v)| !live_versions.contains(&(f.as_str(), *v)))
        .collect();

    ui.note(&format!(
        "Stage {}: {} build(s); keeping {}:",
        opts.stage,
        builds.len(),
        choice.keep.len()
    ));
    show_choice(
        ui,
        &choice,
        &image_tags,
        &asset_ids,
        &versions,
        &version_list,
    );
    if !opts.auto_approve {
        match ui.approve("Delete these builds?\n  Only 'yes' will be accepted to approve.") {
            Some(true) => {}
            Some(false) => return Err(HoverError::Cancelled),
            None => return Err(HoverError::NeedsApproval),
        }
    }

    let held = lock::acquire(&clients, &manifest.name, "hover stage purge").await?;
    let work = async {
        // What is live may have moved between the read and the lock (a deploy, a rollback).
        let (_, live_now) = read_versions(&clients, &functions).await?;
        if live_now != live {
            return Err(HoverError::StalePlan(
                "a `live` alias moved since purge read the stage; nothing was deleted: run `hover stage purge` again".into(),
            ));
        }
        let mut outcome = PurgeOutcome {
            builds: choice.delete.clone(),
            ..PurgeOutcome::default()
        };
        for (f, v) in &version_list {
            aws::delete_version(&clients.lambda, f, *v).await?;
            outcome.versions += 1;
        }
        outcome.images = store::delete_images(&clients, &manifest.name, &image_tags).await?;
        for id in &asset_ids {
            outcome.objects +=
                store::delete_prefix(&clients, &bucket, &format!("assets/{id}/")).await?;
        }
        Ok::<PurgeOutcome, HoverError>(outcome)
    };
    let result = crate::ops::signals::guard(
        work,
        |signal| {
            HoverError::Interrupted(format!(
                "{}: purge stopped part way; what it deleted is gone, nothing live was touched; `hover stage purge` again finishes it",
                signal.name()
            ))
        },
        |signal| HoverError::Interrupted(signal.name().to_string()),
    )
    .await;
    held.release(ui).await;
    result
}

/// Every build the stage holds anything of (a release, an image, assets), with its latest time.
fn builds_held(
    releases: &[release::Release],
    images: &[(String, String)],
    assets: &[String],
) -> Vec<(String, String)> {
    let mut when: BTreeMap<String, String> = BTreeMap::new();
    let mut seen = |id: &str, at: &str| {
        let e = when.entry(id.to_string()).or_default();
        if at > e.as_str() {
            *e = at.to_string();
        }
    };
    for r in releases {
        seen(&r.build_id, &r.published);
    }
    for (tag, pushed) in images {
        seen(tag, pushed);
    }
    for id in assets {
        seen(id, "");
    }
    when.into_iter().collect()
}

/// Shows the builds kept (and why) and, per build deleted, what of it goes.
fn show_choice(
    ui: &mut dyn ApplyUi,
    choice: &PurgeChoice,
    image_tags: &[String],
    asset_ids: &[&String],
    versions: &BTreeMap<String, Vec<release::PublishedVersion>>,
    version_list: &[(String, u64)],
) {
    for (id, why) in &choice.keep {
        ui.note(&format!("  = {id} ({why})"));
    }
    ui.note(&format!("Deleting {}:", choice.delete.len()));
    for id in &choice.delete {
        let has_image = image_tags.iter().any(|t| t == id);
        let has_assets = asset_ids.contains(&id);
        let n_versions = version_list
            .iter()
            .filter(|(f, v)| {
                versions[f]
                    .iter()
                    .any(|x| x.version == *v && &x.description == id)
            })
            .count();
        let mut parts = Vec::new();
        if has_image {
            parts.push("image".to_string());
        }
        if has_assets {
            parts.push(format!("assets/{id}/"));
        }
        if n_versions > 0 {
            parts.push(format!("{n_versions} function version(s)"));
        }
        ui.note(&format!("  - {id}: {}", parts.join(", ")));
    }
}
