//! `hover rollback`: every `live` back to an older release in one step, under the stage lock,
//! without a build or a stack update; the moves shown before the question, then reported as the
//! switch makes them (its Switch phase, as a deploy's).

use super::{function_names, moves, read_history, read_versions, record, switch_all};
use crate::direct;
use crate::error::HoverError;
use crate::events::{Event, Phase, Question, SplitRelease, Warning};
use crate::ops::context::StageContext;
use crate::ops::Ui;
use crate::release::{self, Move, RollbackOutcome};
use std::time::Instant;

impl RollbackOutcome {
    /// The outcome as the run's last event.
    pub fn event(&self) -> Event {
        crate::events::Outcome::Rollback {
            from: self.from.clone(),
            to: self.to.clone(),
        }
        .into()
    }
}

/// Settings of `hover rollback`.
#[derive(Clone, Debug, Default)]
pub struct RollbackOptions {
    /// The release to go to (default: the one live before the live one).
    pub to: Option<String>,
    pub auto_approve: bool,
}

/// Where a rollback goes: the target release, the moves there, and the release live now.
struct RollbackChoice {
    from: Option<String>,
    to: String,
    moves: Vec<Move>,
}

/// Runs `hover rollback`: every `live` back to the release live before (or `to`) in one step,
/// without a build or a stack update. On a stage whose traffic is split, every function goes
/// back to the release that was live last. An interrupt during the switch lets it finish.
pub async fn rollback(
    ctx: &StageContext,
    ro: &RollbackOptions,
    ui: &mut dyn Ui,
) -> Result<RollbackOutcome, HoverError> {
    ctx.account().await?;
    let choice = choose_rollback(ctx, ro, ui).await?;
    if !ro.auto_approve {
        crate::ops::ask(ui, Question::Rollback)?;
    }
    let lock = crate::ops::lock::take(&ctx.clients, ctx.name(), "hover rollback", ui).await?;
    let stage = ctx.stage.clone();
    let switched = crate::ops::signals::guard(
        switch(ctx, &choice, ui),
        |signal| {
            HoverError::Interrupted(format!(
                "{} before the rollback's switch: nothing moved",
                signal.name()
            ))
        },
        |signal| {
            HoverError::Interrupted(format!(
                "{} twice during the rollback's switch: hover stopped without waiting for it, so functions may be on different releases; `hover plan {stage}` names which function is on which, `hover rollback {stage}` brings them together",
                signal.name()
            ))
        },
    )
    .await;
    lock.release(ui).await;
    switched?;
    if crate::ops::signals::requested() {
        return Err(HoverError::Interrupted(format!(
            "interrupted during the rollback's switch: hover finished it first; release {} is live on every function",
            choice.to
        )));
    }
    Ok(RollbackOutcome {
        from: choice.from,
        to: choice.to,
        moves: choice.moves,
    })
}

/// The Switch phase: every `live` moved at once, each move reported once made, and the release
/// history told.
async fn switch(
    ctx: &StageContext,
    choice: &RollbackChoice,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let phase = Phase::Switch;
    ui.emit(Event::PhaseStarted { phase });
    let started = Instant::now();
    switch_all(&ctx.clients, &choice.moves).await?;
    for m in &choice.moves {
        ui.emit(m.moved(&choice.to));
    }
    let to = &choice.to;
    record(&ctx.clients, ctx.name(), |h, at| h.went_live(to, at), ui).await;
    ui.emit(Event::PhaseFinished {
        phase,
        took_ms: started.elapsed().as_millis() as u64,
    });
    Ok(())
}

/// Reads the releases, picks the target (its image must still be there) and shows the moves.
async fn choose_rollback(
    ctx: &StageContext,
    ro: &RollbackOptions,
    ui: &mut dyn Ui,
) -> Result<RollbackChoice, HoverError> {
    let functions = function_names(&ctx.manifest);
    let (versions, now) = read_versions(&ctx.clients, &functions).await?;
    let history = read_history(&ctx.clients, ctx.name()).await?;
    let all = release::releases(&versions, &now, history.as_ref());
    let target = release::rollback_target(&all, ro.to.as_deref())?;
    if !direct::image_exists(&ctx.clients, ctx.name(), &target.build_id).await? {
        return Err(HoverError::ImageGone {
            build_id: target.build_id.clone(),
            repository: ctx.name().to_string(),
        });
    }
    let from = all.iter().find(|r| r.live).map(|r| r.build_id.clone());
    let moves = moves(&target.versions, &now);
    let split: Vec<SplitRelease> = all
        .iter()
        .filter(|r| !r.live && !r.live_on.is_empty())
        .map(|r| SplitRelease {
            build_id: r.build_id.clone(),
            functions: r.live_on.clone(),
        })
        .collect();
    if !split.is_empty() {
        ui.emit(Event::TrafficSplit {
            releases: split,
            to: target.build_id.clone(),
        });
    }
    if !target.outcome.served() {
        ui.emit(
            Warning::NeverServed {
                build_id: target.build_id.clone(),
                outcome: target.outcome.text(),
            }
            .into(),
        );
    }
    ui.emit(Event::RollbackPlanned {
        stage: ctx.stage.clone(),
        from: from.clone(),
        to: target.build_id.clone(),
        moves: moves.iter().map(Move::planned).collect(),
    });
    Ok(RollbackChoice {
        from,
        to: target.build_id.clone(),
        moves,
    })
}
