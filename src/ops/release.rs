//! Releases in the commands: publishing versions, moving every `live` at once (and back when a move
//! fails), warming, running artisan commands, `hover releases`, `hover rollback` and
//! `hover command run`.

use crate::direct;
use crate::error::HoverError;
use crate::live::Clients;
use crate::manifest::{self, Manifest};
use crate::ops::plan::{check_account, stage_clients, PlannedStage};
use crate::ops::ApplyUi;
use crate::plan::Action;
use crate::release::{self, aws, CommandResult, Release};
use crate::stage;
use crate::stage::FUNCTION_TYPE;
use futures::future::join_all;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// The stage's function names, in a stable order.
pub fn function_names(manifest: &Manifest) -> Vec<String> {
    stage::desired(manifest, "")
        .resources
        .values()
        .filter(|r| r.resource_type == FUNCTION_TYPE)
        .map(|r| r.name.clone())
        .collect()
}

/// The HTTP function's name.
pub fn http_function(manifest: &Manifest) -> String {
    format!("{}-http", manifest.name)
}

/// The CLI function's name.
pub fn cli_function(manifest: &Manifest) -> String {
    format!("{}-cli", manifest.name)
}

/// One move of `live`: from the version it points at now to a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub function: String,
    /// The version `live` points at now (a number, or `$LATEST`).
    pub from: String,
    pub to: String,
}

/// Moves every `live` at once. When any move fails, those already moved go back, and the error
/// says which moved, which went back and which could not.
pub async fn switch_all(clients: &Clients, moves: &[Move]) -> Result<(), HoverError> {
    let lambda = &clients.lambda;
    let results = join_all(
        moves
            .iter()
            .map(|m| async move { (m, aws::point_live(lambda, &m.function, &m.to).await) }),
    )
    .await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(m, r)| r.as_ref().err().map(|e| format!("{}: {e}", m.function)))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let moved: Vec<&Move> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(m, _)| *m)
        .filter(|m| m.from != m.to)
        .collect();
    let back = join_all(
        moved
            .iter()
            .map(|m| async move { (m, aws::point_live(lambda, &m.function, &m.from).await) }),
    )
    .await;
    let mut reverted = Vec::new();
    let mut stuck = Vec::new();
    for (m, r) in back {
        match r {
            Ok(()) => reverted.push(format!("{} (back on {})", m.function, m.from)),
            Err(e) => stuck.push(format!("{} (on {}: {e})", m.function, m.to)),
        }
    }
    Err(HoverError::SwitchFailed {
        failed,
        reverted,
        stuck,
    })
}

/// Publishes a version of every function in `functions`, described by `build_id`, concurrently.
pub async fn publish_all(
    clients: &Clients,
    functions: &[String],
    build_id: &str,
) -> Result<BTreeMap<String, u64>, HoverError> {
    let lambda = &clients.lambda;
    let results = join_all(
        functions
            .iter()
            .map(|f| async move { (f.clone(), aws::publish(lambda, f, build_id).await) }),
    )
    .await;
    let mut out = BTreeMap::new();
    for (f, r) in results {
        out.insert(f, r?);
    }
    Ok(out)
}

/// The version each function's `live` points at (`None`: `$LATEST`, or no alias).
pub async fn live_versions(
    clients: &Clients,
    functions: &[String],
) -> Result<BTreeMap<String, Option<u64>>, HoverError> {
    let lambda = &clients.lambda;
    let results = join_all(
        functions
            .iter()
            .map(|f| async move { (f.clone(), aws::live_version(lambda, f).await) }),
    )
    .await;
    let mut out = BTreeMap::new();
    for (f, r) in results {
        out.insert(f, r?);
    }
    Ok(out)
}

fn version_text(v: Option<u64>) -> String {
    v.map(|n| n.to_string())
        .unwrap_or_else(|| "$LATEST".to_string())
}

/// The moves that put `versions` behind `live`, from what `live` points at now.
pub fn moves(versions: &BTreeMap<String, u64>, now: &BTreeMap<String, Option<u64>>) -> Vec<Move> {
    versions
        .iter()
        .map(|(f, v)| Move {
            function: f.clone(),
            from: version_text(now.get(f).copied().flatten()),
            to: v.to_string(),
        })
        .collect()
}

/// After an apply: publishes and switches `live` of every function whose configuration the plan
/// changed (created, updated, replaced, drift put back), so what runs behind `live` is what the
/// stack now says. The versions are described by the image's build id.
pub(crate) async fn release_changed(
    planned: &PlannedStage,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let functions: Vec<String> = planned
        .plan
        .actions()
        .filter(|c| c.resource_type == FUNCTION_TYPE && c.action != Action::Delete)
        .map(|c| c.name.clone())
        .collect();
    if functions.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let now = live_versions(&planned.clients, &functions).await?;
    let versions = publish_all(&planned.clients, &functions, &planned.desired.image_tag).await?;
    let moves = moves(&versions, &now);
    switch_all(&planned.clients, &moves).await?;
    for m in &moves {
        ui.progress_line(&format!(
            "{}: live {} -> {} ({})",
            m.function, m.from, m.to, planned.desired.image_tag
        ));
    }
    ui.note(&format!(
        "Published and switched {} function(s) in {:.1}s: their new configuration is live.",
        moves.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The build the HTTP function's `live` runs, when it points at a published version.
pub(crate) async fn live_build(planned: &PlannedStage) -> Result<Option<String>, HoverError> {
    let http = http_function(&planned.manifest);
    Ok(aws::live_release(&planned.clients.lambda, &http)
        .await?
        .map(|(_, build)| build)
        .filter(|b| !b.is_empty()))
}

/// Reads the stage's releases, newest first.
pub async fn read_releases(
    clients: &Clients,
    functions: &[String],
) -> Result<Vec<Release>, HoverError> {
    let (versions, live) = read_versions(clients, functions).await?;
    Ok(release::releases(&versions, &live))
}

/// Every published version of every function, and where each `live` points.
#[allow(clippy::type_complexity)]
pub async fn read_versions(
    clients: &Clients,
    functions: &[String],
) -> Result<
    (
        BTreeMap<String, Vec<release::PublishedVersion>>,
        BTreeMap<String, Option<u64>>,
    ),
    HoverError,
> {
    let lambda = &clients.lambda;
    let listed = join_all(
        functions
            .iter()
            .map(|f| async move { (f.clone(), aws::versions(lambda, f).await) }),
    )
    .await;
    let mut versions = BTreeMap::new();
    for (f, r) in listed {
        versions.insert(f, r?);
    }
    let live = live_versions(clients, functions).await?;
    Ok((versions, live))
}

/// Settings of `hover releases`, `hover rollback` and `hover command run`.
#[derive(Clone, Debug)]
pub struct StageOptions {
    pub dir: PathBuf,
    pub stage: String,
}

/// Runs `hover releases`.
pub async fn releases(opts: &StageOptions) -> Result<Vec<Release>, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    let clients = stage_clients(&manifest).await?;
    check_account(&manifest, &clients).await?;
    read_releases(&clients, &function_names(&manifest)).await
}

/// How a rollback ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The release that was live before (when one was).
    pub from: Option<String>,
    pub to: String,
    pub moves: Vec<Move>,
}

/// Runs `hover rollback`: every `live` back to the previous release (or `to`) in one step, without
/// a build or a stack update.
pub async fn rollback(
    opts: &StageOptions,
    to: Option<&str>,
    auto_approve: bool,
    ui: &mut dyn ApplyUi,
) -> Result<RollbackOutcome, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    let clients = stage_clients(&manifest).await?;
    check_account(&manifest, &clients).await?;
    let functions = function_names(&manifest);
    let (versions, now) = read_versions(&clients, &functions).await?;
    let all = release::releases(&versions, &now);
    let target = release::rollback_target(&all, to)?;
    if !direct::image_exists(&clients, &manifest.name, &target.build_id).await? {
        return Err(HoverError::ImageGone {
            build_id: target.build_id.clone(),
            repository: manifest.name.clone(),
        });
    }
    let from = all.iter().find(|r| r.live).map(|r| r.build_id.clone());
    let moves = moves(&target.versions, &now);
    ui.note(&format!(
        "Rolling back stage {} from {} to release {}:",
        opts.stage,
        from.as_deref().unwrap_or("(no single release)"),
        target.build_id
    ));
    for m in &moves {
        ui.note(&format!("  {}: live {} -> {}", m.function, m.from, m.to));
    }
    if !auto_approve {
        match ui.approve("Do you want to roll back?\n  Only 'yes' will be accepted to approve.") {
            Some(true) => {}
            Some(false) => return Err(HoverError::Cancelled),
            None => return Err(HoverError::NeedsApproval),
        }
    }
    let lock = crate::ops::lock::acquire(&clients, &manifest.name, "hover rollback").await?;
    let switched = switch_all(&clients, &moves).await;
    lock.release(ui).await;
    switched?;
    Ok(RollbackOutcome {
        from,
        to: target.build_id.clone(),
        moves,
    })
}

/// Runs one artisan command on `function:qualifier` and reads its answer.
pub async fn run_command(
    clients: &Clients,
    function: &str,
    qualifier: &str,
    command: &str,
) -> Result<CommandResult, HoverError> {
    let answer = aws::invoke(
        &clients.lambda,
        function,
        qualifier,
        release::command_payload(command),
    )
    .await?;
    Ok(release::command_result(
        answer.function_error.as_deref(),
        &answer.payload,
    ))
}

/// Runs `hover command run`: the command on the CLI function's `live`; its output and exit code.
pub async fn command_run(opts: &StageOptions, command: &str) -> Result<(String, i64), HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    let clients = stage_clients(&manifest).await?;
    check_account(&manifest, &clients).await?;
    let cli = cli_function(&manifest);
    match run_command(&clients, &cli, release::ALIAS, command).await? {
        CommandResult::Ran { output, exit_code } => Ok((output, exit_code)),
        CommandResult::FunctionError { kind, message } => Err(HoverError::FunctionFailed {
            function: format!("{cli}:{}", release::ALIAS),
            command: release::artisan_command(command),
            kind,
            message,
        }),
    }
}

/// Warms the HTTP function's version `version` with `count` concurrent pings; returns the
/// failures (a warm-up failure is a warning, never an error).
pub async fn warm(clients: &Clients, function: &str, version: u64, count: u32) -> Vec<String> {
    let lambda = &clients.lambda;
    let qualifier = version.to_string();
    let results = join_all((0..count).map(|_| {
        let qualifier = qualifier.clone();
        async move { aws::invoke(lambda, function, &qualifier, release::warmer_ping()).await }
    }))
    .await;
    results
        .into_iter()
        .filter_map(|r| match r {
            Ok(inv) => inv.function_error.map(|e| {
                format!(
                    "{e}: {}",
                    String::from_utf8_lossy(&inv.payload[..inv.payload.len().min(200)])
                )
            }),
            Err(e) => Some(e.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_start_where_live_points_now() {
        let versions = BTreeMap::from([("a".to_string(), 4), ("b".to_string(), 2)]);
        let now = BTreeMap::from([("a".to_string(), Some(3)), ("b".to_string(), None)]);
        assert_eq!(
            moves(&versions, &now),
            vec![
                Move {
                    function: "a".into(),
                    from: "3".into(),
                    to: "4".into()
                },
                Move {
                    function: "b".into(),
                    from: "$LATEST".into(),
                    to: "2".into()
                },
            ]
        );
    }
}
