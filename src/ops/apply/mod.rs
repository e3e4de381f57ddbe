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
use crate::live;
use crate::model::Provisioner;
use crate::ops::plan::{compute_plan, PlanOptions, PlannedStage};
use crate::ops::{lock, saved};
use crate::plan::{self, Action, Cause, Plan, Reason, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use crate::stage::FUNCTION_TYPE;

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

/// What apply shows and asks along the way; the CLI implements it (text, prompts, progress bars).
pub trait ApplyUi {
    /// The plan, before anything happens.
    fn show_plan(&mut self, plan: &Plan);
    /// A status line.
    fn note(&mut self, line: &str);
    /// Asks a yes/no question; `None` when no one can answer (no terminal).
    fn approve(&mut self, question: &str) -> Option<bool>;
    /// A progress line of a resource (`http function: Modifying...`).
    fn progress_line(&mut self, line: &str);
    /// Progress counters while the stack operation runs.
    fn progress_state(&mut self, done: usize, total: usize, in_flight: usize);
    /// The stack operation ended (finish any live display).
    fn progress_end(&mut self);
    /// Where the plan and CloudFormation disagree, shown side by side.
    fn show_mismatches(&mut self, rows: &[(String, String, String)]);
    /// A phase of a longer command starts (`Push`, `Publish`…).
    fn phase(&mut self, name: &str) {
        self.note(&format!("\n==> {name}"));
    }
    /// A phase ended well after `took`.
    fn phase_done(&mut self, name: &str, took: Duration) {
        self.note(&format!("    {name} done in {:.1}s", took.as_secs_f64()));
    }
    /// One line of a child tool's output (a build, a push).
    fn tool_line(&mut self, line: &str) {
        self.progress_line(&format!("    {line}"));
    }
    /// The child tool ended (finish any live display of its output).
    fn tool_end(&mut self) {}
    /// What a command run on the stage printed, shown as it is.
    fn output(&mut self, text: &str) {
        self.note(text.trim_end_matches('\n'));
    }
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

/// One apply: how its plan is made (to make it again after the stack settles) and what it may do.
#[derive(Clone, Debug)]
pub struct ApplyRun {
    pub plan_opts: PlanOptions,
    /// A saved plan is applied: it is neither waited for nor asked about again.
    pub saved: bool,
    pub auto_approve: bool,
    pub no_wait: bool,
    pub allow_data_loss: bool,
}

/// Runs `hover apply`: plan, ask, carry out, then publish and switch `live` of every function whose
/// configuration changed, so that what runs behind `live` is what the manifest says.
pub async fn apply(opts: &ApplyOptions, ui: &mut dyn ApplyUi) -> Result<ApplyOutcome, HoverError> {
    let (plan_opts, saved) = match &opts.target {
        ApplyTarget::Stage { stage, image_tag } => (
            PlanOptions {
                dir: opts.dir.clone(),
                stage: stage.clone(),
                image_tag: image_tag.clone(),
            },
            None,
        ),
        ApplyTarget::SavedPlan(path) => {
            let saved = saved::load(path)?;
            (
                PlanOptions {
                    dir: saved.dir.clone(),
                    stage: saved.stage.clone(),
                    image_tag: Some(saved.image_tag.clone()),
                },
                Some(saved),
            )
        }
    };
    let planned = compute_plan(&plan_opts).await?;
    if let Some(saved) = &saved {
        saved::check_fresh(saved, &planned)?;
    }
    let run = ApplyRun {
        plan_opts,
        saved: saved.is_some(),
        auto_approve: opts.auto_approve,
        no_wait: opts.no_wait,
        allow_data_loss: opts.allow_data_loss,
    };
    apply_planned(&run, planned, ui).await
}

/// Carries out `run` from the plan it made (`planned`, with the clients it was read through):
/// shows it, asks, makes the pre-stack resources, runs the change set under the stage lock and
/// releases the functions that changed.
pub async fn apply_planned(
    run: &ApplyRun,
    mut planned: PlannedStage,
    ui: &mut dyn ApplyUi,
) -> Result<ApplyOutcome, HoverError> {
    ui.show_plan(&planned.plan);
    if !planned.plan.has_changes() {
        return Ok(ApplyOutcome::NoChanges);
    }
    refuse_data_loss(&planned.plan, run.allow_data_loss)?;
    if run.plan_opts.image_tag.is_none() {
        keep_rollback(&planned).await?;
    }
    let no_wait = run.no_wait || run.saved;
    let can_ask = !run.auto_approve;
    let Some(create) = ready_stack(&mut planned, &run.plan_opts, no_wait, can_ask, ui).await?
    else {
        return Ok(ApplyOutcome::NoChanges);
    };
    if !run.saved && !run.auto_approve {
        approve(ui)?;
    }
    preflight(&planned).await?;
    let resolved = plan::resolved_desired(&planned.desired, &planned.observed);
    ensure_direct(&planned, &resolved, ui).await?;
    let lock = lock::acquire(&planned.clients, &planned.desired.name, "hover apply").await?;
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
    ui: &mut dyn ApplyUi,
) -> Result<ApplyOutcome, HoverError> {
    lock::ensure_unchanged(planned).await?;
    clear_leftovers(planned, ui).await?;
    carry_out(planned, create, ui).await?;
    super::release::release_changed(planned, ui).await?;
    Ok(ApplyOutcome::Applied {
        summary: planned.plan.summary(),
        outputs: stage_outputs(planned).await?,
    })
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
        .any(|c| c.resource_type == FUNCTION_TYPE);
    if !functions_change {
        return Ok(());
    }
    let Some(live) = super::release::live_build(planned).await? else {
        return Ok(());
    };
    if live != planned.desired.image_tag {
        return Err(HoverError::RolledBack {
            stage: planned.manifest.name.clone(),
            live,
            latest: planned.desired.image_tag.clone(),
        });
    }
    Ok(())
}

/// Asks whether to perform the plan: `yes` only; no terminal is an error.
pub(crate) fn approve(ui: &mut dyn ApplyUi) -> Result<(), HoverError> {
    match ui.approve(
        "Do you want to perform these actions?\n  hover will perform the actions described above.\n  Only 'yes' will be accepted to approve.",
    ) {
        Some(true) => Ok(()),
        Some(false) => Err(HoverError::Cancelled),
        None => Err(HoverError::NeedsApproval),
    }
}

/// The stage's stack outputs as they are now.
pub(crate) async fn stage_outputs(
    planned: &PlannedStage,
) -> Result<BTreeMap<String, String>, HoverError> {
    Ok(live::read_stack(&planned.clients, &planned.desired.name)
        .await?
        .map(|s| s.outputs)
        .unwrap_or_default())
}

/// Deletes change sets an earlier run made and never executed (it was interrupted or failed
/// before it could delete them). Runs under the stage lock, so no other run's change set is touched.
pub(crate) async fn clear_leftovers(
    planned: &PlannedStage,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let cfn = &planned.clients.cloudformation;
    for cs in changeset::list_change_sets(cfn, &planned.desired.name).await? {
        if cs.name.starts_with("hover-") && !changeset::executed(&cs.execution_status) {
            changeset::delete(cfn, &cs.arn).await?;
            ui.note(&format!(
                "Deleted change set {}: it was left behind and never executed.",
                cs.name
            ));
        }
    }
    Ok(())
}

/// Before anything is touched: nothing the stack records was deleted outside hover, and the image
/// exists.
pub(crate) async fn preflight(planned: &PlannedStage) -> Result<(), HoverError> {
    let PlannedStage {
        clients,
        desired,
        plan,
        ..
    } = planned;
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
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let PlannedStage {
        clients,
        desired,
        observed,
        plan,
        ..
    } = planned;
    let resolved = plan::resolved_desired(desired, observed);

    // The stack, through a change set checked against the plan.
    let stack_work = plan.actions().any(|c| {
        c.provisioner == Provisioner::Stack
            && (c.action != Action::Update || c.changes.iter().any(|a| a.cause == Cause::Manifest))
    });
    if stack_work {
        if plan
            .actions()
            .any(|c| c.resource_type == "AWS::CloudFront::Distribution")
        {
            ui.note("The CloudFront distribution changes: this usually takes several minutes.");
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
            match how {
                Repair::Done(call) => {
                    ui.progress_line(&format!("{}: {name} put back ({call})", c.role))
                }
                Repair::NotPossible(why) => ui.note(&format!("Warning: {}: {why}", c.role)),
            }
        }
    }
    Ok(())
}

/// Creates or updates the pre-stack resources (repository, bucket, key) the plan changes, through
/// their own APIs.
pub(crate) async fn ensure_direct(
    planned: &PlannedStage,
    resolved: &BTreeMap<String, crate::model::Resolved>,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    for c in planned
        .plan
        .actions()
        .filter(|c| c.provisioner == Provisioner::Direct)
    {
        let started = Instant::now();
        let (doing, done) = if c.action == Action::Create {
            ("Creating...", "Creation complete")
        } else {
            ("Modifying...", "Modifications complete")
        };
        ui.progress_line(&format!("{}: {doing}", c.role));
        let props = resolved.get(&c.logical_id).cloned().unwrap_or_default();
        direct::ensure(
            &planned.clients,
            &c.resource_type,
            &c.name,
            &props.values,
            c.action != Action::Create,
            &planned.desired.region,
        )
        .await?;
        ui.progress_line(&format!(
            "{}: {done} after {}s",
            c.role,
            started.elapsed().as_secs()
        ));
    }
    Ok(())
}
