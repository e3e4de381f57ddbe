//! `hover deploy`: build, plan and ask, then make the pre-stack resources, push, upload assets,
//! apply's own stack steps, publish, warm, run the deploy commands, and switch every `live` at
//! once. Nothing is written to AWS before the plan is approved. Until the switch, traffic stays on
//! the release it was on; a failed phase names itself and leaves it there.

use crate::error::HoverError;
use crate::events::{Event, Outcome, Phase, PhaseTime};
use crate::image::{self, Builder};
use crate::ops::apply::{approve_plan, change_stack, ensure_pre_stack, preflight, show_plan};
use crate::ops::build::{self, BuildOptions, BuildRecord};
use crate::ops::context::{PlannedStage, StageContext};
use crate::ops::release;
use crate::ops::{lock, signals, ApplyRun, Ui};
use std::path::PathBuf;
use std::time::Instant;

mod steps;

pub use crate::release::DeploySummary;

/// Settings of one deploy.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    pub dir: PathBuf,
    pub stage: String,
    pub auto_approve: bool,
    /// The build to deploy (with `skip_build`), or the id of the new build.
    pub build_id: Option<String>,
    /// Deploy a build made earlier (`hover build`) instead of building now.
    pub skip_build: bool,
    /// `--builder`: the container tool.
    pub builder: Option<String>,
    /// Carry out deletions and replacements that destroy data (messages in a queue).
    pub allow_data_loss: bool,
}

impl DeploySummary {
    /// The summary as the run's last event.
    pub fn event(&self) -> Event {
        Outcome::Deploy {
            build_id: self.build_id.clone(),
            cdn_domain: self.cdn_domain.clone(),
            domains: self.domains.clone(),
            phases: self.phases.clone(),
        }
        .into()
    }
}

/// Runs the phases in order, timing each and naming the one that failed.
pub(crate) struct Phases<'a> {
    pub(crate) ui: &'a mut dyn Ui,
    done: Vec<PhaseTime>,
}

impl<'a> Phases<'a> {
    fn new(ui: &'a mut dyn Ui) -> Self {
        Phases {
            ui,
            done: Vec::new(),
        }
    }

    fn start(&mut self, phase: Phase) -> Instant {
        set_phase(phase);
        self.ui.emit(Event::PhaseStarted { phase });
        Instant::now()
    }

    fn end(&mut self, phase: Phase, started: Instant) {
        let took_ms = started.elapsed().as_millis() as u64;
        self.ui.emit(Event::PhaseFinished { phase, took_ms });
        self.done.push(PhaseTime { phase, took_ms });
    }
}

/// Names the phase a failure happened in; traffic has not moved.
fn in_phase(phase: Phase) -> impl FnOnce(HoverError) -> HoverError {
    move |e| match e {
        // Already explained by themselves.
        HoverError::Cancelled
        | HoverError::NeedsApproval
        | HoverError::Interrupted(_)
        | HoverError::SwitchFailed { .. }
        | HoverError::CommandAnswerLost { .. }
        | HoverError::DeployCommandFailed { .. } => e,
        other => HoverError::PhaseFailed {
            phase: phase.name(),
            cause: Box::new(other),
        },
    }
}

/// The image a deploy runs: its build record (none for an image only in the repository) and id.
#[derive(Clone, Debug)]
pub struct Deployed {
    pub record: Option<BuildRecord>,
    pub build_id: String,
}

/// Runs `hover deploy`: the context opened once, the build, then the stage read once and planned
/// with it, shown and approved before anything is written (see [`deploy_planned`]).
pub async fn deploy(opts: &DeployOptions, ui: &mut dyn Ui) -> Result<DeploySummary, HoverError> {
    let ctx = StageContext::open(&opts.dir, &opts.stage).await?;
    for w in ctx.warnings() {
        ui.emit(w);
    }
    // Secrets the stage's key cannot decrypt stop the deploy before it builds.
    ctx.check_secrets().await?;
    let mut phases = Phases::new(ui);
    let image = build_phase(&ctx, opts, &mut phases).await?;
    let t = phases.start(Phase::Plan);
    let planned = ctx
        .plan(Some(image.build_id.clone()))
        .await
        .map_err(in_phase(Phase::Plan))?;
    carry_on(planned, image, opts, &mut phases, t).await
}

/// A deploy of `image` from a stage read and planned with it: the plan shown and approved (the
/// Plan phase), then the pre-stack resources, and the rest under the stage lock.
pub async fn deploy_planned(
    planned: PlannedStage,
    image: Deployed,
    opts: &DeployOptions,
    ui: &mut dyn Ui,
) -> Result<DeploySummary, HoverError> {
    let mut phases = Phases::new(ui);
    let t = phases.start(Phase::Plan);
    carry_on(planned, image, opts, &mut phases, t).await
}

/// The rest of the Plan phase (started at `plan_started`), then the phases that write: the
/// pre-stack resources, then under the stage lock, which is given back however the deploy ends
/// (an interrupt included), the rest.
async fn carry_on(
    mut planned: PlannedStage,
    image: Deployed,
    opts: &DeployOptions,
    phases: &mut Phases<'_>,
    plan_started: Instant,
) -> Result<DeploySummary, HoverError> {
    let create = approve(&mut planned, opts, phases.ui).await?;
    phases.end(Phase::Plan, plan_started);

    let t = phases.start(Phase::PreStack);
    ensure_pre_stack(&planned, phases.ui)
        .await
        .map_err(in_phase(Phase::PreStack))?;
    phases.end(Phase::PreStack, t);

    let name = planned.desired.name.clone();
    let clients = planned.clients().clone();
    let lock = lock::take(&clients, &name, "hover deploy", phases.ui).await?;
    let stage = opts.stage.clone();
    let build_id = image.build_id.clone();
    let run = Locked {
        opts,
        image,
        create,
    };
    let done = signals::guard(
        run.run(&mut planned, phases),
        |signal| {
            HoverError::Interrupted(format!(
                "{} during the {} phase, before the switch: traffic stays on the release that was live (any new versions are published but not live); the stage lock was given back",
                signal.name(),
                current_phase().title()
            ))
        },
        |signal| {
            HoverError::Interrupted(format!(
                "{} twice during the switch: hover stopped without waiting for it, so functions may be on different releases; `hover plan {stage}` names which function is on which, `hover rollback {stage}` puts them back on the release that was live",
                signal.name()
            ))
        },
    )
    .await;
    if let Err(e) = &done {
        if let Some(phase) = failed_after_publish(e) {
            let failed = |h: &mut crate::release::History, at| h.failed(&build_id, phase, at);
            release::record(&clients, &name, failed, phases.ui).await;
        }
    }
    lock.release(phases.ui).await;
    done
}

/// The plan shown and approved as `hover apply` does (the pre-stack resources are part of it).
/// Whether a change set is to create the stack (`None`: the stack needs no change).
async fn approve(
    planned: &mut PlannedStage,
    opts: &DeployOptions,
    ui: &mut dyn Ui,
) -> Result<Option<bool>, HoverError> {
    show_plan(planned, false, ui);
    if !planned.plan.has_changes() {
        return Ok(None);
    }
    let run = ApplyRun {
        auto_approve: opts.auto_approve,
        allow_data_loss: opts.allow_data_loss,
        ..ApplyRun::default()
    };
    approve_plan(planned, &run, ui).await
}

/// The Build phase, or the build to deploy found (`--skip-build`): its record (none for an image
/// only in the repository) and id.
async fn build_phase(
    ctx: &StageContext,
    opts: &DeployOptions,
    phases: &mut Phases<'_>,
) -> Result<Deployed, HoverError> {
    let record = if opts.skip_build {
        match &opts.build_id {
            Some(id) => {
                build::check_build_id(id)?;
                build::read_record(&opts.dir, id)
            }
            None => Some(build::latest_record(&opts.dir, &opts.stage).ok_or_else(|| {
                HoverError::NoBuild {
                    stage: opts.stage.clone(),
                }
            })?),
        }
    } else {
        let t = phases.start(Phase::Build);
        let build_opts = BuildOptions {
            dir: opts.dir.clone(),
            stage: opts.stage.clone(),
            build_id: opts.build_id.clone(),
            builder: opts.builder.clone(),
        };
        let record = build::build_stage(&ctx.manifest, &build_opts, phases.ui)
            .await
            .map_err(in_phase(Phase::Build))?;
        phases.end(Phase::Build, t);
        Some(record)
    };
    let build_id = match (&record, &opts.build_id) {
        (Some(r), _) => r.build_id.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => {
            return Err(HoverError::NoBuild {
                stage: opts.stage.clone(),
            })
        }
    };
    Ok(Deployed { record, build_id })
}

/// The phase now running, for the message of an interrupt.
static CURRENT_PHASE: std::sync::Mutex<Phase> = std::sync::Mutex::new(Phase::Build);

fn set_phase(phase: Phase) {
    if let Ok(mut p) = CURRENT_PHASE.lock() {
        *p = phase;
    }
}

fn current_phase() -> Phase {
    CURRENT_PHASE.lock().map(|p| *p).unwrap_or(Phase::Build)
}

/// The phase a failed deploy had published its versions by, when it had: recorded in the
/// release history (its release never went live).
fn failed_after_publish(e: &HoverError) -> Option<&'static str> {
    match e {
        HoverError::DeployCommandFailed { .. } | HoverError::CommandAnswerLost { .. } => {
            Some(Phase::DeployCommands.name())
        }
        HoverError::SwitchFailed { .. } => Some(Phase::Switch.name()),
        HoverError::PhaseFailed { phase, .. }
            if [Phase::Warm, Phase::DeployCommands, Phase::Switch]
                .iter()
                .any(|p| p.name() == *phase) =>
        {
            Some(phase)
        }
        _ => None,
    }
}

/// The phases of a deploy that run under the stage lock.
struct Locked<'o> {
    opts: &'o DeployOptions,
    image: Deployed,
    /// Whether the stack changes, and by creating it.
    create: Option<bool>,
}

impl Locked<'_> {
    /// Push, Assets, Apply, then Publish, Warm, Deploy commands and Switch.
    async fn run(
        self,
        planned: &mut PlannedStage,
        phases: &mut Phases<'_>,
    ) -> Result<DeploySummary, HoverError> {
        let t = phases.start(Phase::Push);
        steps::push(
            planned,
            self.image.record.as_ref(),
            &self.image.build_id,
            self.opts,
            phases.ui,
        )
        .await
        .map_err(in_phase(Phase::Push))?;
        phases.end(Phase::Push, t);

        let t = phases.start(Phase::Assets);
        steps::upload_assets(planned, &self.opts.dir, &self.image.build_id, phases.ui)
            .await
            .map_err(in_phase(Phase::Assets))?;
        phases.end(Phase::Assets, t);

        let t = phases.start(Phase::Apply);
        let changed = self
            .apply(planned, phases.ui)
            .await
            .map_err(in_phase(Phase::Apply))?;
        phases.end(Phase::Apply, t);
        if signals::requested() {
            return Err(HoverError::Interrupted(
                "interrupted during the apply phase: hover finished pinning `live` first; traffic stays on the release that was live".into(),
            ));
        }

        let moves = steps::release(planned, &self.image.build_id, phases).await?;
        let outputs = if changed {
            crate::ops::apply::stage_outputs(planned)
                .await
                .unwrap_or_default()
        } else {
            planned
                .observed
                .stack
                .as_ref()
                .map(|s| s.outputs.clone())
                .unwrap_or_default()
        };
        Ok(DeploySummary {
            build_id: self.image.build_id,
            cdn_domain: outputs.get("CdnDomain").cloned(),
            domains: planned.manifest().http.domains.clone(),
            phases: std::mem::take(&mut phases.done),
            moves,
        })
    }

    /// Apply's own stack steps with the new image (the plan was approved already); functions
    /// whose `live` still points at `$LATEST` are first pinned to a version of what they run now,
    /// so the stack update cannot move their traffic. Whether the stack changed.
    async fn apply(&self, planned: &PlannedStage, ui: &mut dyn Ui) -> Result<bool, HoverError> {
        let Some(create) = self.create else {
            ui.emit(Event::StackRunsBuild);
            return Ok(false);
        };
        preflight(planned).await?;
        steps::pin_latest(planned, ui).await?;
        change_stack(planned, create, ui).await?;
        Ok(true)
    }
}

/// The container tool that made `record`, to push its image (the one asked for when it is gone).
pub(crate) fn builder_of(
    record: &BuildRecord,
    opts: &DeployOptions,
) -> Result<Builder, HoverError> {
    let path = std::env::var_os("PATH");
    Ok(match image::which(&record.builder, path.as_deref()) {
        Some(program) => Builder {
            kind: image::find_builder(
                Some((&record.builder, "the build record")),
                path.as_deref(),
            )?
            .kind,
            program,
            env: record.builder_env.clone(),
        },
        None => build::builder(opts.builder.as_deref())?.builder,
    })
}
