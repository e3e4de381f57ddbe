//! The steps only a deploy has, over the planned stage: push the image, upload the assets, pin
//! functions still serving `$LATEST`, and the release phases (publish, warm, deploy commands,
//! switch).

use super::{builder_of, in_phase, DeployOptions, Phases};
use crate::direct;
use crate::error::HoverError;
use crate::events::{Event, Phase, Warning};
use crate::model::ResourceKind;
use crate::ops::build::{self, BuildRecord};
use crate::ops::context::PlannedStage;
use crate::ops::release::{
    self, cli_function, http_function, live_versions, moves, publish_all, run_command, switch_all,
    warm, Move,
};
use crate::ops::{signals, Ui};
use crate::release::CommandResult;
use std::collections::BTreeMap;
use std::path::Path;

/// Pushes the build's image to the stage's repository, unless the tag is already there.
pub(super) async fn push(
    planned: &PlannedStage,
    record: Option<&BuildRecord>,
    build_id: &str,
    opts: &DeployOptions,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let repository = &planned.desired.name;
    let clients = planned.clients();
    if direct::image_exists(clients, repository, build_id).await? {
        ui.emit(Event::ImageAlreadyPushed {
            repository: repository.clone(),
            tag: build_id.to_string(),
        });
        return Ok(());
    }
    let Some(record) = record else {
        return Err(HoverError::NoBuild {
            stage: opts.stage.clone(),
        });
    };
    let builder = builder_of(record, opts)?;
    let login = crate::release::aws::registry_login(clients).await?;
    let (host, insecure) = crate::image::registry_host(&login.endpoint);
    let remote = format!("{host}/{repository}:{build_id}");
    let runs = [
        (
            "registry login",
            builder.login_args(&host, &login.user, insecure),
            Some(login.password.as_bytes()),
        ),
        ("image tag", builder.tag_args(&record.image, &remote), None),
        ("image push", builder.push_args(&remote, insecure), None),
    ];
    for (step, args, input) in runs {
        builder
            .run(step, &args, input, &mut |line: &str| {
                ui.emit(Event::ToolOutput {
                    line: line.to_string(),
                })
            })
            .await?;
    }
    ui.emit(Event::ToolEnded);
    ui.emit(Event::ImagePushed { remote });
    Ok(())
}

/// Uploads the build's assets to `assets/<build-id>/` of the stage's bucket (those there already
/// are skipped).
pub(super) async fn upload_assets(
    planned: &PlannedStage,
    dir: &Path,
    build_id: &str,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let files = crate::release::assets::asset_files(&build::assets_dir(dir, build_id))
        .map_err(HoverError::Io)?;
    if files.is_empty() {
        ui.emit(Event::NoAssets);
        return Ok(());
    }
    let bucket = crate::naming::bucket(&planned.desired.name);
    let prefix = format!("assets/{build_id}/");
    let up =
        crate::release::aws::upload_assets(planned.clients(), &bucket, &prefix, &files).await?;
    ui.emit(Event::AssetsUploaded {
        uploaded: up.uploaded,
        bytes: up.bytes,
        skipped: up.skipped,
        bucket,
        prefix,
    });
    Ok(())
}

/// Publishes what functions whose `live` points at `$LATEST` run now and points `live` there.
pub(super) async fn pin_latest(planned: &PlannedStage, ui: &mut dyn Ui) -> Result<(), HoverError> {
    let existing: Vec<String> = planned
        .desired
        .resources
        .values()
        .filter(|r| r.kind == ResourceKind::Function)
        .filter(|r| {
            planned.observed.resources.contains_key(&r.logical_id)
                && planned
                    .desired
                    .alias_of(&r.logical_id)
                    .is_some_and(|a| planned.observed.resources.contains_key(a))
        })
        .map(|r| r.name.clone())
        .collect();
    let clients = planned.clients();
    let now = live_versions(clients, &existing).await?;
    let on_latest: Vec<String> = now
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(f, _)| f.clone())
        .collect();
    if on_latest.is_empty() {
        return Ok(());
    }
    let current_tag = crate::ops::plan::live_image_tag(&planned.observed).unwrap_or_default();
    let versions = publish_all(clients, &on_latest, &current_tag).await?;
    let pins = moves(&versions, &BTreeMap::new());
    switch_all(clients, &pins).await?;
    ui.emit(Event::LatestPinned {
        functions: pins.len(),
    });
    Ok(())
}

/// The stage's function names, from the desired stage in hand.
fn function_names(planned: &PlannedStage) -> Vec<String> {
    planned
        .desired
        .resources
        .values()
        .filter(|r| r.kind == ResourceKind::Function)
        .map(|r| r.name.clone())
        .collect()
}

/// Publish, Warm, Deploy commands (an interrupt stops before the switch with traffic where it
/// was), then Switch every `live` at once (an interrupt lets it finish). Where `live` moved.
pub(super) async fn release(
    planned: &PlannedStage,
    build_id: &str,
    phases: &mut Phases<'_>,
) -> Result<Vec<Move>, HoverError> {
    let clients = planned.clients();
    let functions = function_names(planned);
    let t = phases.start(Phase::Publish);
    let before = live_versions(clients, &functions)
        .await
        .map_err(in_phase(Phase::Publish))?;
    let versions = publish_all(clients, &functions, build_id)
        .await
        .map_err(in_phase(Phase::Publish))?;
    for (f, v) in &versions {
        phases.ui.emit(Event::VersionPublished {
            function: f.clone(),
            version: *v,
        });
    }
    phases.end(Phase::Publish, t);

    warm_phase(planned, &versions, phases).await;
    commands_phase(planned, &versions, phases).await?;

    let t = phases.start(Phase::Switch);
    let moves = moves(&versions, &before);
    switch_all(clients, &moves)
        .await
        .map_err(in_phase(Phase::Switch))?;
    for m in &moves {
        phases.ui.emit(m.moved(build_id));
    }
    let name = &planned.desired.name;
    release::record(clients, name, |h, at| h.went_live(build_id, at), phases.ui).await;
    phases.end(Phase::Switch, t);
    if signals::requested() {
        return Err(HoverError::Interrupted(format!(
            "interrupted during the switch: hover finished it first; build {build_id} is live on every function"
        )));
    }
    Ok(moves)
}

/// The Warm phase (when `http.warm` asks for containers): failures are warnings.
async fn warm_phase(
    planned: &PlannedStage,
    versions: &BTreeMap<String, u64>,
    phases: &mut Phases<'_>,
) {
    let manifest = planned.manifest();
    if manifest.http.warm == 0 {
        return;
    }
    let t = phases.start(Phase::Warm);
    let http = http_function(manifest);
    if let Some(v) = versions.get(&http) {
        let failures = warm(planned.clients(), &http, *v, manifest.http.warm).await;
        for error in &failures {
            phases.ui.emit(
                Warning::WarmPingFailed {
                    error: error.clone(),
                }
                .into(),
            );
        }
        phases.ui.emit(Event::Warmed {
            warmed: manifest.http.warm as usize - failures.len(),
            of: manifest.http.warm,
            version: *v,
        });
    }
    phases.end(Phase::Warm, t);
}

/// The Deploy commands phase, on the new CLI version: a failure stops the deploy.
async fn commands_phase(
    planned: &PlannedStage,
    versions: &BTreeMap<String, u64>,
    phases: &mut Phases<'_>,
) -> Result<(), HoverError> {
    let manifest = planned.manifest();
    if manifest.deploy_commands.is_empty() {
        return Ok(());
    }
    let t = phases.start(Phase::DeployCommands);
    let cli = cli_function(manifest);
    let version = versions.get(&cli).map(u64::to_string).unwrap_or_default();
    for command in &manifest.deploy_commands {
        phases.ui.emit(Event::CommandStarted {
            command: command.clone(),
        });
        let result = run_command(planned.clients(), &cli, &version, command)
            .await
            .map_err(in_phase(Phase::DeployCommands))?;
        let outcome = match result {
            CommandResult::Ran { output, exit_code } => {
                if !output.is_empty() {
                    phases.ui.emit(Event::CommandOutput { text: output });
                }
                (exit_code != 0).then(|| format!("exited with {exit_code}"))
            }
            CommandResult::FunctionError { kind, message } => {
                Some(format!("the function failed ({kind}): {message}"))
            }
        };
        if let Some(outcome) = outcome {
            return Err(HoverError::DeployCommandFailed {
                command: command.clone(),
                outcome,
            });
        }
    }
    phases.end(Phase::DeployCommands, t);
    Ok(())
}
