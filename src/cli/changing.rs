//! The commands that change a stage (`apply`, `deploy`, `rollback`, `destroy`, `stage purge`):
//! their events reported as text on a terminal or, with `--json`, as JSON lines; their outcome is
//! the last event.

use super::terminal::{JsonUi, TerminalUi};
use super::{ApplyArgs, DeployArgs, DestroyArgs, RollbackArgs, StagePurgeArgs};
use crate::error::HoverError;
use crate::events::Event;
use crate::ops::{self, StageContext, Ui};
use crate::render::Style;
use std::path::PathBuf;

/// The conversation of a run: text, or JSON lines (which ask nothing: `--json` needs approval
/// given by flag).
fn ui(json: bool, approved: bool, style: Style) -> Result<Box<dyn Ui>, HoverError> {
    if !json {
        return Ok(Box::new(TerminalUi::new(style)));
    }
    if !approved {
        return Err(HoverError::Usage(
            "--json asks nothing: add --auto-approve (or apply a saved plan)".into(),
        ));
    }
    Ok(Box::new(JsonUi))
}

/// With `--json`, a failure is the stream's last event (the diagnostic still goes to stderr).
fn reported<T>(ui: &mut dyn Ui, json: bool, r: Result<T, HoverError>) -> Result<T, HoverError> {
    if let (true, Err(e)) = (json, &r) {
        ui.emit(Event::Failed {
            error: e.to_string(),
        });
    }
    r
}

/// Opens the stage's context and reports the manifest's warnings.
async fn open(
    dir: &std::path::Path,
    stage: &str,
    ui: &mut dyn Ui,
) -> Result<StageContext, HoverError> {
    let ctx = StageContext::open(dir, stage).await?;
    for w in ctx.warnings() {
        ui.emit(w);
    }
    Ok(ctx)
}

/// `hover apply STAGE|PLANFILE`.
pub(super) async fn apply(dir: PathBuf, args: ApplyArgs, style: Style) -> Result<i32, HoverError> {
    let saved = std::path::Path::new(&args.target).is_file();
    let target = if saved {
        if args.image_tag.is_some() {
            return Err(HoverError::Usage(
                "--image-tag cannot be used with a saved plan: it already names its image".into(),
            ));
        }
        ops::ApplyTarget::SavedPlan(PathBuf::from(&args.target))
    } else {
        ops::ApplyTarget::Stage {
            stage: args.target.clone(),
            image_tag: args.image_tag.clone(),
        }
    };
    let opts = ops::ApplyOptions {
        dir,
        target,
        auto_approve: args.auto_approve,
        no_wait: args.no_wait,
        allow_data_loss: args.allow_data_loss,
    };
    let mut ui = ui(args.json, args.auto_approve || saved, style)?;
    let outcome = ops::apply(&opts, ui.as_mut()).await;
    let outcome = reported(ui.as_mut(), args.json, outcome)?;
    ui.emit(outcome.event());
    Ok(0)
}

/// `hover deploy`.
pub(super) async fn deploy(
    dir: PathBuf,
    args: DeployArgs,
    style: Style,
) -> Result<i32, HoverError> {
    let opts = ops::deploy::DeployOptions {
        dir,
        stage: args.stage,
        auto_approve: args.auto_approve,
        build_id: args.build_id,
        skip_build: args.skip_build,
        builder: args.builder,
        allow_data_loss: args.allow_data_loss,
    };
    let mut ui = ui(args.json, args.auto_approve, style)?;
    let summary = ops::deploy::deploy(&opts, ui.as_mut()).await;
    let summary = reported(ui.as_mut(), args.json, summary)?;
    ui.emit(summary.event());
    Ok(0)
}

/// `hover rollback`.
pub(super) async fn rollback(
    dir: PathBuf,
    args: RollbackArgs,
    style: Style,
) -> Result<i32, HoverError> {
    let mut ui = ui(args.json, args.auto_approve, style)?;
    let ro = ops::release::RollbackOptions {
        to: args.to.clone(),
        auto_approve: args.auto_approve,
    };
    let done = async {
        let ctx = open(&dir, &args.stage, ui.as_mut()).await?;
        ops::release::rollback(&ctx, &ro, ui.as_mut()).await
    }
    .await;
    let outcome = reported(ui.as_mut(), args.json, done)?;
    ui.emit(outcome.event());
    Ok(0)
}

/// `hover destroy`.
pub(super) async fn destroy(
    dir: PathBuf,
    args: DestroyArgs,
    style: Style,
) -> Result<i32, HoverError> {
    let mut ui = ui(args.json, args.auto_approve, style)?;
    let done = async {
        let ctx = open(&dir, &args.stage, ui.as_mut()).await?;
        ops::destroy::destroy(&ctx, args.auto_approve, ui.as_mut()).await
    }
    .await;
    let outcome = reported(ui.as_mut(), args.json, done)?;
    if let Some(event) = outcome.event() {
        ui.emit(event);
    }
    Ok(0)
}

/// `hover stage purge`.
pub(super) async fn purge(
    dir: PathBuf,
    args: StagePurgeArgs,
    style: Style,
) -> Result<i32, HoverError> {
    let mut ui = ui(args.json, args.auto_approve, style)?;
    let opts = ops::purge::PurgeOptions {
        keep: args.keep,
        auto_approve: args.auto_approve,
    };
    let done = async {
        let ctx = open(&dir, &args.stage, ui.as_mut()).await?;
        ops::purge::purge(&ctx, &opts, ui.as_mut()).await
    }
    .await;
    let outcome = reported(ui.as_mut(), args.json, done)?;
    ui.emit(outcome.event());
    Ok(0)
}
