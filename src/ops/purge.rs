//! `hover stage purge`: deletes what old builds leave behind (images, `assets/<build-id>/`
//! prefixes, function versions) beyond the newest N builds, never a build any `live` alias points
//! at (every one when traffic is split), the one a rollback would go to or the last one live
//! before; shows what it will delete and asks first.

use crate::direct::purge as store;
use crate::error::HoverError;
use crate::events::{Event, KeptBuild, Outcome, PurgedBuild, Question};
use crate::ops::context::StageContext;
use crate::ops::release::{function_names, read_history, read_versions};
use crate::ops::{lock, Ui};
use crate::release::{self, aws, PublishedVersion, PurgeChoice};
use std::collections::{BTreeMap, BTreeSet};

/// Builds kept by default.
pub const DEFAULT_KEEP: usize = 14;

/// Settings of one purge.
#[derive(Clone, Debug)]
pub struct PurgeOptions {
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

impl PurgeOutcome {
    /// The outcome as the run's last event.
    pub fn event(&self) -> Event {
        Outcome::Purge {
            builds: self.builds.clone(),
            images: self.images,
            objects: self.objects,
            versions: self.versions,
        }
        .into()
    }
}

/// What a purge read of the stage and decided to delete.
struct Doomed {
    choice: PurgeChoice,
    live: BTreeMap<String, Option<u64>>,
    image_tags: Vec<String>,
    asset_ids: Vec<String>,
    versions: Vec<(String, u64)>,
}

/// Runs `hover stage purge`.
pub async fn purge(
    ctx: &StageContext,
    opts: &PurgeOptions,
    ui: &mut dyn Ui,
) -> Result<PurgeOutcome, HoverError> {
    ctx.account().await?;
    let Some(doomed) = choose(ctx, opts, ui).await? else {
        return Ok(PurgeOutcome::default());
    };
    if !opts.auto_approve {
        super::ask(ui, Question::Purge)?;
    }
    let held = lock::take(&ctx.clients, ctx.name(), "hover stage purge", ui).await?;
    let result = crate::ops::signals::guard(
        delete(ctx, &doomed),
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

/// Reads what the stage holds and shows what goes; `None` when nothing does.
async fn choose(
    ctx: &StageContext,
    opts: &PurgeOptions,
    ui: &mut dyn Ui,
) -> Result<Option<Doomed>, HoverError> {
    let functions = function_names(&ctx.manifest);
    let bucket = crate::naming::bucket(ctx.name());
    let (versions, live) = read_versions(&ctx.clients, &functions).await?;
    let history = read_history(&ctx.clients, ctx.name()).await?;
    let releases = release::releases(&versions, &live, history.as_ref());
    let images = store::repository_images(&ctx.clients, ctx.name()).await?;
    let assets = store::asset_builds(&ctx.clients, &bucket).await?;
    let builds = builds_held(&releases, &images, &assets);
    let choice = release::purge_choice(&builds, &releases, opts.keep);
    if choice.delete.is_empty() {
        ui.emit(Event::PurgeNothing {
            stage: ctx.stage.clone(),
            builds: builds.len(),
            keep: opts.keep,
        });
        return Ok(None);
    }
    let doomed: BTreeSet<&str> = choice.delete.iter().map(String::as_str).collect();
    let image_tags: Vec<String> = images
        .iter()
        .map(|(t, _)| t.clone())
        .filter(|t| doomed.contains(t.as_str()))
        .collect();
    let asset_ids: Vec<String> = assets
        .iter()
        .filter(|a| doomed.contains(a.as_str()))
        .cloned()
        .collect();
    let version_list = doomed_versions(&versions, &live, &doomed);
    ui.emit(Event::PurgePlanned {
        stage: ctx.stage.clone(),
        builds: builds.len(),
        keep: choice
            .keep
            .iter()
            .map(|(id, why)| KeptBuild {
                build_id: id.clone(),
                why: why.to_string(),
            })
            .collect(),
        delete: purged(&choice, &image_tags, &asset_ids, &versions, &version_list),
    });
    Ok(Some(Doomed {
        choice,
        live,
        image_tags,
        asset_ids,
        versions: version_list,
    }))
}

/// The versions of the doomed builds, except those a `live` points at.
fn doomed_versions(
    versions: &BTreeMap<String, Vec<PublishedVersion>>,
    live: &BTreeMap<String, Option<u64>>,
    doomed: &BTreeSet<&str>,
) -> Vec<(String, u64)> {
    let live_versions: BTreeSet<(&str, u64)> = live
        .iter()
        .filter_map(|(f, v)| v.map(|v| (f.as_str(), v)))
        .collect();
    versions
        .iter()
        .flat_map(|(f, vs)| {
            vs.iter()
                .filter(|v| doomed.contains(v.description.as_str()))
                .map(move |v| (f.clone(), v.version))
        })
        .filter(|(f, v)| !live_versions.contains(&(f.as_str(), *v)))
        .collect()
}

/// Deletes the doomed builds' versions, images and assets, under the stage lock, unless a `live`
/// moved since the stage was read.
async fn delete(ctx: &StageContext, doomed: &Doomed) -> Result<PurgeOutcome, HoverError> {
    let clients = &ctx.clients;
    let (_, live_now) = read_versions(clients, &function_names(&ctx.manifest)).await?;
    if live_now != doomed.live {
        return Err(HoverError::StalePlan(
            "a `live` alias moved since purge read the stage; nothing was deleted: run `hover stage purge` again".into(),
        ));
    }
    let mut outcome = PurgeOutcome {
        builds: doomed.choice.delete.clone(),
        ..PurgeOutcome::default()
    };
    for (f, v) in &doomed.versions {
        aws::delete_version(&clients.lambda, f, *v).await?;
        outcome.versions += 1;
    }
    outcome.images = store::delete_images(clients, ctx.name(), &doomed.image_tags).await?;
    let bucket = crate::naming::bucket(ctx.name());
    for id in &doomed.asset_ids {
        outcome.objects += store::delete_prefix(clients, &bucket, &format!("assets/{id}/")).await?;
    }
    Ok(outcome)
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

/// Per build deleted, what of it goes.
fn purged(
    choice: &PurgeChoice,
    image_tags: &[String],
    asset_ids: &[String],
    versions: &BTreeMap<String, Vec<PublishedVersion>>,
    version_list: &[(String, u64)],
) -> Vec<PurgedBuild> {
    choice
        .delete
        .iter()
        .map(|id| PurgedBuild {
            build_id: id.clone(),
            image: image_tags.iter().any(|t| t == id),
            assets: asset_ids.contains(id),
            versions: version_list
                .iter()
                .filter(|(f, v)| {
                    versions.get(f).is_some_and(|vs| {
                        vs.iter().any(|x| x.version == *v && &x.description == id)
                    })
                })
                .count(),
        })
        .collect()
}
