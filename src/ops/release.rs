//! Releases in the commands: publishing versions, moving every `live` at once (and back when a move
//! fails; a function already on its version is left alone), warming, running artisan commands,
//! `hover releases` and `hover command run`; `hover rollback` is [`rollback`].

use crate::direct;
use crate::error::HoverError;
use crate::events::{AliasMove, Event, Sink, Warning};
use crate::live::Clients;
use crate::manifest::Manifest;
use crate::model::ResourceKind;
use crate::ops::context::{PlannedStage, StageContext};
use crate::ops::Ui;
use crate::plan::Action;
use crate::release::history::history_key;
use crate::release::{self, aws, CommandResult, History, Release};
use crate::stage;
use futures::future::join_all;
use std::collections::BTreeMap;
use std::time::Instant;

/// The stage's function names, in a stable order.
pub fn function_names(manifest: &Manifest) -> Vec<String> {
    stage::desired(manifest, "")
        .resources
        .values()
        .filter(|r| r.kind == ResourceKind::Function)
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

mod rollback;

pub use crate::release::{Move, RollbackOutcome};
pub use rollback::{rollback, RollbackOptions};

impl Move {
    /// Whether `live` changes: a function already on the version is left alone.
    pub fn changes(&self) -> bool {
        self.from != self.to
    }

    /// The move as made, to a version of `build` (kept where `live` was on it already).
    pub fn moved(&self, build: &str) -> Event {
        if !self.changes() {
            return Event::AliasKept {
                function: self.function.clone(),
                version: self.to.clone(),
                build: build.to_string(),
            };
        }
        Event::AliasMoved {
            function: self.function.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            build: build.to_string(),
        }
    }

    /// The move as a rollback shows it before it asks.
    pub fn planned(&self) -> AliasMove {
        AliasMove {
            function: self.function.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// How many times moving a function back is tried (each followed by reading `live` again).
const MOVE_BACK_ATTEMPTS: usize = 3;

/// Moves every `live` at once. An error or a lost answer is never taken at its word: every alias
/// is read back. When every move was made after all, the switch succeeded. Otherwise the
/// functions that moved are moved back, retried and read back again, and the error says where
/// each function's `live` is now (which are back, which are split off, which could not be read).
/// An interrupt does not cut it (see [`crate::ops::signals`]).
pub async fn switch_all(clients: &Clients, moves: &[Move]) -> Result<(), HoverError> {
    // A function already on its version is not moved (nor read back, nor moved back).
    let moves: Vec<Move> = moves.iter().filter(|m| m.changes()).cloned().collect();
    if moves.is_empty() {
        return Ok(());
    }
    let moves = moves.as_slice();
    let _critical = crate::ops::signals::Critical::enter();
    let lambda = &clients.lambda;
    let results = join_all(
        moves
            .iter()
            .map(|m| async move { (m, aws::point_live(lambda, &m.function, &m.to).await) }),
    )
    .await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(m, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("{} (UpdateAlias: {})", m.function, brief(&e.message)))
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let mut now = read_back(clients, moves).await;
    if moves
        .iter()
        .all(|m| now.get(&m.function) == Some(&Some(m.to.clone())))
    {
        // The answers were lost, the moves were made: every `live` is on the new release.
        return Ok(());
    }
    for _ in 0..MOVE_BACK_ATTEMPTS {
        let pending: Vec<&Move> = moves
            .iter()
            .filter(|m| now.get(&m.function) != Some(&Some(m.from.clone())))
            .collect();
        if pending.is_empty() {
            break;
        }
        join_all(
            pending
                .iter()
                .map(|m| async move { aws::point_live(lambda, &m.function, &m.from).await }),
        )
        .await;
        let again = read_back(clients, &pending.into_iter().cloned().collect::<Vec<_>>()).await;
        now.extend(again);
    }
    Err(switch_error(failed, moves, &now))
}

/// The first part of an SDK error's text: what went wrong, without the dump of the response.
fn brief(message: &str) -> String {
    let cut = message
        .find(" (ServiceError")
        .or_else(|| message.find(" (DispatchFailure"))
        .or_else(|| message.find(" (ResponseError"))
        .unwrap_or(message.len());
    let short: String = message[..cut].chars().take(200).collect();
    short
}

/// What every moved function's `live` points at now (`None`: it could not be read).
async fn read_back(clients: &Clients, moves: &[Move]) -> BTreeMap<String, Option<String>> {
    let lambda = &clients.lambda;
    join_all(moves.iter().map(|m| async move {
        let mut read = aws::alias_target(lambda, &m.function).await;
        if read.is_err() {
            // One more try: the alias's state is what the report is about.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            read = aws::alias_target(lambda, &m.function).await;
        }
        (m.function.clone(), read.ok().flatten())
    }))
    .await
    .into_iter()
    .collect()
}

/// The error of a switch that did not complete, from where every `live` was read to be.
pub fn switch_error(
    failed: Vec<String>,
    moves: &[Move],
    now: &BTreeMap<String, Option<String>>,
) -> HoverError {
    let at = |m: &Move| now.get(&m.function).cloned().flatten();
    let back = moves
        .iter()
        .all(|m| at(m).as_deref() == Some(m.from.as_str()));
    let (summary, help) = if back {
        (
            "every function's `live` is back on the version it was on (read back): traffic stays on the release that was live".to_string(),
            "nothing moved; fix the cause and run the command again".to_string(),
        )
    } else {
        let each: Vec<String> = moves
            .iter()
            .map(|m| match at(m) {
                Some(v) if v == m.to => format!("{} on version {v} (the new release)", m.function),
                Some(v) if v == m.from => {
                    format!("{} on version {v} (the release that was live)", m.function)
                }
                Some(v) => format!("{} on version {v}", m.function),
                None => format!("{} unknown (its alias could not be read)", m.function),
            })
            .collect();
        (
            format!(
                "traffic is SPLIT, read back from every alias: {}",
                each.join(", ")
            ),
            "`hover plan <stage>` names which function is on which release; `hover rollback <stage>` puts every function back on the release that was live, `hover deploy <stage>` moves them all to a new one".to_string(),
        )
    };
    HoverError::SwitchFailed {
        failed,
        summary,
        help,
        back,
    }
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
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let functions: Vec<String> = planned
        .plan
        .actions()
        .filter(|c| c.resource_type == ResourceKind::Function && c.action != Action::Delete)
        .map(|c| c.name.clone())
        .collect();
    if functions.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let clients = planned.clients();
    let now = live_versions(clients, &functions).await?;
    let versions = publish_all(clients, &functions, &planned.desired.image_tag).await?;
    let moves = moves(&versions, &now);
    switch_all(clients, &moves).await?;
    let build = planned.desired.image_tag.clone();
    record_in(
        clients,
        &planned.desired.name,
        |h, at| h.went_live(&build, at),
        false,
        ui,
    )
    .await;
    for m in &moves {
        ui.emit(m.moved(&build));
    }
    ui.emit(Event::Released {
        functions: moves.len(),
        took_ms: started.elapsed().as_millis() as u64,
    });
    Ok(())
}

/// The build the HTTP function's `live` runs, when it points at a published version.
pub(crate) async fn live_build(planned: &PlannedStage) -> Result<Option<String>, HoverError> {
    let http = http_function(planned.manifest());
    Ok(aws::live_release(&planned.clients().lambda, &http)
        .await?
        .map(|(_, build)| build)
        .filter(|b| !b.is_empty()))
}

/// Reads the stage's releases, newest first, with what became of each.
pub async fn read_releases(
    clients: &Clients,
    name: &str,
    functions: &[String],
) -> Result<Vec<Release>, HoverError> {
    let (versions, live) = read_versions(clients, functions).await?;
    let history = read_history(clients, name).await?;
    Ok(release::releases(&versions, &live, history.as_ref()))
}

/// The stage's release history, when it has one.
pub async fn read_history(clients: &Clients, name: &str) -> Result<Option<History>, HoverError> {
    let bucket = crate::naming::bucket(name);
    let key = history_key(name);
    Ok(direct::read_lock(clients, &bucket, &key)
        .await?
        .and_then(|(text, _)| serde_json::from_str(&text).ok()))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Adds an event to the stage's release history (made when there is none), with a write
/// conditional on the object read, retried when another write came between. Runs under the stage
/// lock; a failure is a warning, never the command's error.
pub async fn record(
    clients: &Clients,
    name: &str,
    event: impl Fn(&mut History, u64),
    sink: &mut dyn Sink,
) {
    record_in(clients, name, event, true, sink).await
}

/// [`record`], making the history only when `create` (apply adds to a history deploys began, and
/// leaves a stage only ever applied without one).
async fn record_in(
    clients: &Clients,
    name: &str,
    event: impl Fn(&mut History, u64),
    create: bool,
    sink: &mut dyn Sink,
) {
    let bucket = crate::naming::bucket(name);
    let key = history_key(name);
    let mut last_error = String::from("it changed under every attempt");
    for _ in 0..3 {
        let read = match direct::read_lock(clients, &bucket, &key).await {
            Ok(r) => r,
            Err(e) => {
                last_error = e.to_string();
                continue;
            }
        };
        let now = now_secs();
        let (mut history, etag) = match read {
            Some((text, etag)) => (
                serde_json::from_str(&text).unwrap_or_else(|_| History::new(now)),
                Some(etag),
            ),
            None if create => (History::new(now), None),
            None => return,
        };
        event(&mut history, now);
        let body = serde_json::to_string(&history).unwrap_or_default();
        match direct::write_lock(clients, &bucket, &key, &body, etag.as_deref()).await {
            Ok(direct::LockWrite::Written) => return,
            Ok(direct::LockWrite::Held) => continue,
            Err(e) => last_error = e.to_string(),
        }
    }
    sink.emit(
        Warning::HistoryNotUpdated {
            bucket,
            key,
            error: last_error,
        }
        .into(),
    );
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

/// Runs `hover releases`.
pub async fn releases(ctx: &StageContext) -> Result<Vec<Release>, HoverError> {
    ctx.account().await?;
    read_releases(&ctx.clients, ctx.name(), &function_names(&ctx.manifest)).await
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
    .await
    .map_err(|e| match e {
        aws::InvokeFailure::Unanswered(cause) => HoverError::CommandAnswerLost {
            command: release::artisan_command(command),
            function: format!("{function}:{qualifier}"),
            log_group: format!("/aws/lambda/{function}"),
            cause: cause.to_string(),
        },
        aws::InvokeFailure::Refused(cause) => cause.into(),
    })?;
    Ok(release::command_result(
        answer.function_error.as_deref(),
        &answer.payload,
    ))
}

/// Runs `hover command run`: the command on the CLI function's `live`; its output and exit code.
pub async fn command_run(ctx: &StageContext, command: &str) -> Result<(String, i64), HoverError> {
    ctx.account().await?;
    let cli = cli_function(&ctx.manifest);
    match run_command(&ctx.clients, &cli, release::ALIAS, command).await? {
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

    fn mv(f: &str, from: &str, to: &str) -> Move {
        Move {
            function: f.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn a_failed_switch_reports_what_was_read_back() {
        let moves = [
            mv("s-http", "3", "4"),
            mv("s-cli", "3", "4"),
            mv("s-w", "3", "4"),
        ];
        let back = BTreeMap::from([
            ("s-http".to_string(), Some("3".to_string())),
            ("s-cli".to_string(), Some("3".to_string())),
            ("s-w".to_string(), Some("3".to_string())),
        ]);
        let e = switch_error(vec!["s-cli (UpdateAlias: refused)".into()], &moves, &back);
        assert!(matches!(e, HoverError::SwitchFailed { back: true, .. }));
        assert!(
            e.to_string()
                .contains("traffic stays on the release that was live"),
            "{e}"
        );

        let split = BTreeMap::from([
            ("s-http".to_string(), Some("4".to_string())),
            ("s-cli".to_string(), Some("3".to_string())),
            ("s-w".to_string(), None),
        ]);
        let e = switch_error(vec!["s-cli (UpdateAlias: refused)".into()], &moves, &split);
        let text = e.to_string();
        assert!(matches!(e, HoverError::SwitchFailed { back: false, .. }));
        assert!(!text.contains("traffic stays"), "{text}");
        assert!(
            text.contains("s-http on version 4 (the new release)"),
            "{text}"
        );
        assert!(
            text.contains("s-cli on version 3 (the release that was live)"),
            "{text}"
        );
        assert!(text.contains("s-w unknown"), "{text}");
    }

    #[test]
    fn sdk_dumps_are_cut_from_a_failed_move() {
        assert_eq!(
            brief("service error: Boom: no (ServiceError(ServiceError { raw: ... }))"),
            "service error: Boom: no"
        );
        assert_eq!(brief(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn a_function_already_on_its_version_is_kept_not_moved() {
        let kept = mv("s-http", "1", "1");
        assert!(!kept.changes());
        assert_eq!(
            kept.moved("b1"),
            Event::AliasKept {
                function: "s-http".into(),
                version: "1".into(),
                build: "b1".into(),
            }
        );
        let moved = mv("s-http", "1", "2");
        assert!(moved.changes());
        assert!(matches!(moved.moved("b2"), Event::AliasMoved { .. }));
    }

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
