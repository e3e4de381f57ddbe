//! `hover apply`: the plan carried out. Shows the plan, asks, makes the pre-stack resources through
//! their APIs, turns the template into a change set, checks CloudFormation agrees with the plan,
//! executes and watches it, puts drift back through service APIs, and reports the stage's outputs.
//! Each of those is a step over the plan in hand ([`apply_planned`] runs them); getting the stack
//! ready is `stack_ready`, one change set from creation to a settled stack is `change_set`.

mod change_set;
mod stack_ready;

pub use change_set::settled;
pub(crate) use stack_ready::ready_stack;
pub use stack_ready::{stack_step, StackStep};

use crate::changeset;
use crate::direct::{self, Repair};
use crate::error::HoverError;
use crate::events::{Event, Op, Outcome, Question, ResourceState, Warning};
use crate::live;
use crate::model::{Provisioner, ResourceKind};
use crate::ops::context::{PlannedStage, StageContext};
use crate::ops::{lock, saved, Ui};
use crate::plan::{self, Action, Cause, Plan, Reason, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// What to apply: a stage's manifest now, or a saved plan exactly.
#[derive(Clone, Debug)]
pub enum ApplyTarget {
    Stage {
        stage: String,
        image_tag: Option<String>,
    },
    SavedPlan(PathBuf),
}

/// Settings of one apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    pub dir: PathBuf,
    pub target: ApplyTarget,
    /// Skip the approval prompt.
    pub auto_approve: bool,
    /// Refuse instead of waiting for a stack busy with another operation.
    pub no_wait: bool,
    /// Carry out deletions and replacements that destroy data (messages in a queue).
    pub allow_data_loss: bool,
}

/// How an apply ended well.
#[derive(Clone, Debug, PartialEq)]
pub enum ApplyOutcome {
    /// Nothing to do; no CloudFormation write was made.
    NoChanges,
    Applied {
        summary: Summary,
        outputs: BTreeMap<String, String>,
    },
}

impl ApplyOutcome {
    /// The outcome as the run's last event.
    pub fn event(&self) -> Event {
        match self {
            ApplyOutcome::NoChanges => Outcome::Apply {
                changed: false,
                add: 0,
                change: 0,
                destroy: 0,
                outputs: BTreeMap::new(),
            },
            ApplyOutcome::Applied { summary, outputs } => Outcome::Apply {
                changed: true,
                add: summary.add,
                change: summary.change,
                destroy: summary.destroy,
                outputs: outputs.clone(),
            },
        }
        .into()
    }
}

/// What one apply may do.
#[derive(Clone, Debug, Default)]
pub struct ApplyRun {
    /// A saved plan is applied: it is neither waited for nor asked about again.
    pub saved: bool,
    pub auto_approve: bool,
    pub no_wait: bool,
    pub allow_data_loss: bool,
}

/// Runs `hover apply`: plan, ask, carry out, then publish and switch `live` of every function whose
/// configuration changed, so that what runs behind `live` is what the manifest says.
pub async fn apply(opts: &ApplyOptions, ui: &mut dyn Ui) -> Result<ApplyOutcome, HoverError> {
    let (dir, stage, image_tag, saved) = match &opts.target {
        ApplyTarget::Stage { stage, image_tag } => {
            (opts.dir.clone(), stage.clone(), image_tag.clone(), None)
        }
        ApplyTarget::SavedPlan(path) => {
            let saved = saved::load(path)?;
            let tag = Some(saved.image_tag.clone());
            (saved.dir.clone(), saved.stage.clone(), tag, Some(saved))
        }
    };
    let ctx = StageContext::open(&dir, &stage).await?;
    for w in ctx.warnings() {
        ui.emit(w);
    }
    let planned = ctx.plan(image_tag).await?;
    if let Some(saved) = &saved {
        saved::check_fresh(saved, &planned)?;
    }
    let run = ApplyRun {
        saved: saved.is_some(),
        auto_approve: opts.auto_approve,
        no_wait: opts.no_wait,
        allow_data_loss: opts.allow_data_loss,
    };
    apply_planned(&run, planned, ui).await
}

/// Carries out `run` from the plan it made: shows it, asks, makes the pre-stack resources, runs
/// the change set under the stage lock and releases the functions that changed.
pub async fn apply_planned(
    run: &ApplyRun,
    mut planned: PlannedStage,
    ui: &mut dyn Ui,
) -> Result<ApplyOutcome, HoverError> {
    show_plan(&planned, false, ui);
    if !planned.plan.has_changes() {
        return Ok(ApplyOutcome::NoChanges);
    }
    if planned.image_tag.is_none() {
        keep_rollback(&planned).await?;
    }
    let Some(create) = approve_plan(&mut planned, run, ui).await? else {
        return Ok(ApplyOutcome::NoChanges);
    };
    preflight(&planned).await?;
    ensure_pre_stack(&planned, ui).await?;
    let lock = lock::take(planned.clients(), &planned.desired.name, "hover apply", ui).await?;
    let done = crate::ops::signals::guard(
        locked_apply(&planned, create, ui),
        |signal| {
            HoverError::Interrupted(format!(
                "{}: apply stopped with `live` where it was; a change set already executed carries on in CloudFormation (`hover plan` shows where the stage is, `hover apply` again finishes); the stage lock was given back",
                signal.name()
            ))
        },
        |signal| {
            HoverError::Interrupted(format!(
                "{} twice while `live` was moving: hover stopped without waiting, so functions may be on different releases; `hover plan` names which function is on which",
                signal.name()
            ))
        },
    )
    .await;
    lock.release(ui).await;
    done
}

/// The part of apply that runs under the stage lock.
async fn locked_apply(
    planned: &PlannedStage,
    create: bool,
    ui: &mut dyn Ui,
) -> Result<ApplyOutcome, HoverError> {
    change_stack(planned, create, ui).await?;
    super::release::release_changed(planned, ui).await?;
    Ok(ApplyOutcome::Applied {
        summary: planned.plan.summary(),
        outputs: stage_outputs(planned).await?,
    })
}

/// The plan, shown (`again`: made again after the stack settled).
pub(crate) fn show_plan(planned: &PlannedStage, again: bool, ui: &mut dyn Ui) {
    ui.emit(Event::Planned {
        plan: Box::new(planned.plan.clone()),
        again,
    });
}

/// Apply's approval step, before anything is written: data loss refused unless allowed, the
/// stack made ready to take a change set (planning again after each wait), then the question.
/// `Ok(None)` when the plan made again has nothing to do; `Ok(Some(create))` otherwise.
pub(crate) async fn approve_plan(
    planned: &mut PlannedStage,
    run: &ApplyRun,
    ui: &mut dyn Ui,
) -> Result<Option<bool>, HoverError> {
    refuse_data_loss(&planned.plan, run.allow_data_loss)?;
    let no_wait = run.no_wait || run.saved;
    let Some(create) = ready_stack(planned, no_wait, !run.auto_approve, ui).await? else {
        return Ok(None);
    };
    if !run.saved && !run.auto_approve {
        super::ask(ui, Question::Apply)?;
    }
    Ok(Some(create))
}

/// Apply's stack steps, under the stage lock: the stack is still what the plan saw, change sets
/// left behind are cleared, the change set runs and drift is put back.
pub(crate) async fn change_stack(
    planned: &PlannedStage,
    create: bool,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    lock::ensure_unchanged(planned).await?;
    clear_leftovers(planned, ui).await?;
    carry_out(planned, create, ui).await
}

/// Stops before any change when the plan destroys data, unless that is allowed.
pub(crate) fn refuse_data_loss(plan: &Plan, allowed: bool) -> Result<(), HoverError> {
    let lost = plan.data_loss();
    if lost.is_empty() || allowed {
        Ok(())
    } else {
        Err(HoverError::DataLoss(lost))
    }
}

/// A stage rolled back runs an older release than its functions' `$LATEST`: an apply that publishes
/// a changed function would put the newer code live again. Refuse unless the image is named.
async fn keep_rollback(planned: &PlannedStage) -> Result<(), HoverError> {
    let functions_change = planned
        .plan
        .actions()
        .any(|c| c.resource_type == ResourceKind::Function);
    if !functions_change {
        return Ok(());
    }
    let Some(live) = super::release::live_build(planned).await? else {
        return Ok(());
    };
    if live != planned.desired.image_tag {
        return Err(HoverError::RolledBack {
            stage: planned.manifest().name.clone(),
            live,
            latest: planned.desired.image_tag.clone(),
        });
    }
    Ok(())
}

/// The stage's stack outputs as they are now.
pub(crate) async fn stage_outputs(
    planned: &PlannedStage,
) -> Result<BTreeMap<String, String>, HoverError> {
    Ok(live::stack::read_outputs(planned.clients(), &planned.desired.name).await?)
}

/// Deletes change sets an earlier run made and never executed (it was interrupted or failed
/// before it could delete them). Runs under the stage lock, so no other run's change set is touched.
pub(crate) async fn clear_leftovers(
    planned: &PlannedStage,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let cfn = &planned.clients().cloudformation;
    for cs in changeset::list_change_sets(cfn, &planned.desired.name).await? {
        if cs.name.starts_with("hover-") && !changeset::executed(&cs.execution_status) {
            changeset::delete(cfn, &cs.arn).await?;
            ui.emit(Event::ChangeSetDeleted {
                change_set: cs.name,
            });
        }
    }
    Ok(())
}

/// Before anything is touched: nothing the stack records was deleted outside hover, and the image
/// exists.
pub(crate) async fn preflight(planned: &PlannedStage) -> Result<(), HoverError> {
    let PlannedStage { desired, plan, .. } = planned;
    let clients = planned.clients();
    let missing: Vec<String> = plan
        .actions()
        .filter(|c| c.reason == Some(Reason::CreateBecauseDeletedOutside))
        .map(|c| format!("{} `{}`", c.role, c.name))
        .collect();
    if !missing.is_empty() {
        return Err(HoverError::DeletedOutside(missing.join(", ")));
    }
    if !direct::image_exists(clients, &desired.name, &desired.image_tag).await? {
        return Err(HoverError::ImageMissing {
            repository: desired.name.clone(),
            tag: desired.image_tag.clone(),
        });
    }
    Ok(())
}

/// Carries out an approved plan whose pre-stack resources exist: runs the change set, and puts
/// back drift a template diff cannot see.
pub(crate) async fn carry_out(
    planned: &PlannedStage,
    create: bool,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let PlannedStage {
        desired,
        observed,
        plan,
        ..
    } = planned;
    let clients = planned.clients();
    let resolved = plan::resolved_desired(desired, observed);

    // The stack, through a change set checked against the plan.
    let stack_work = plan.actions().any(|c| {
        c.provisioner == Provisioner::Stack
            && (c.action != Action::Update || c.changes.iter().any(|a| a.cause == Cause::Manifest))
    });
    if stack_work {
        if plan
            .actions()
            .any(|c| c.resource_type == ResourceKind::Distribution)
        {
            ui.emit(Event::DistributionChanging);
        }
        let ran = change_set::run_change_set(planned, create, ui).await;
        // A retried CreateChangeSet may have left a twin behind: nothing unexecuted stays.
        if !matches!(ran, Err(HoverError::Interrupted(_))) {
            clear_leftovers(planned, ui).await?;
        }
        ran?;
    }

    // Drift: put back through the services' APIs what a template diff cannot see.
    for c in plan.actions() {
        let drifted: Vec<String> = c
            .changes
            .iter()
            .filter(|a| a.cause == Cause::OutsideHover)
            .map(|a| a.name.clone())
            .collect();
        if drifted.is_empty() || c.provisioner == Provisioner::Direct {
            continue;
        }
        let Some(live) = observed.resources.get(&c.logical_id) else {
            continue;
        };
        let props = resolved.get(&c.logical_id).cloned().unwrap_or_default();
        for (name, how) in direct::repair(
            clients,
            &c.resource_type,
            &live.physical_id,
            &drifted,
            &props,
        )
        .await?
        {
            ui.emit(match how {
                Repair::Done(call) => Event::DriftRepaired {
                    role: c.role.clone(),
                    property: name,
                    call: call.to_string(),
                },
                Repair::NotPossible(why) => Warning::RepairNotPossible {
                    role: c.role.clone(),
                    why: why.to_string(),
                }
                .into(),
            });
        }
    }
    Ok(())
}

/// Creates or updates the pre-stack resources (repository, bucket, key) the plan changes, through
/// their own APIs: after approval, before the stage lock (which lives in the bucket).
pub(crate) async fn ensure_pre_stack(
    planned: &PlannedStage,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let resolved = plan::resolved_desired(&planned.desired, &planned.observed);
    for c in planned
        .plan
        .actions()
        .filter(|c| c.provisioner == Provisioner::Direct)
    {
        let started = Instant::now();
        let op = if c.action == Action::Create {
            Op::Create
        } else {
            Op::Modify
        };
        ui.emit(Event::Resource {
            role: c.role.clone(),
            state: ResourceState::Started { op },
        });
        let props = resolved.get(&c.logical_id).cloned().unwrap_or_default();
        direct::ensure(
            planned.clients(),
            &c.resource_type,
            &c.name,
            &props.values,
            c.action != Action::Create,
            &planned.desired.region,
        )
        .await?;
        ui.emit(Event::Resource {
            role: c.role.clone(),
            state: ResourceState::Complete {
                op,
                after_ms: Some(started.elapsed().as_millis() as i64),
            },
        });
    }
    Ok(())
}
