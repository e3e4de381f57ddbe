//! `hover apply`: the plan carried out. Shows the plan, asks, makes the pre-stack resources through
//! their APIs, turns the template into a change set, checks CloudFormation agrees with the plan,
//! executes and watches it, puts drift back through service APIs, and reports the stage's outputs.

use crate::changeset::{
    self, classify_stack_status, diagnose_failure, reconcile, ChangeSetOutcome, ChangeSetRequest,
    Progress, StackCondition, TemplateSource,
};
use crate::direct::{self, Repair};
use crate::error::HoverError;
use crate::live;
use crate::model::Provisioner;
use crate::ops::plan::{compute_plan, PlanOptions, PlannedStage};
use crate::ops::{lock, saved};
use crate::plan::{self, Action, Cause, Plan, Reason, Summary};
use crate::template;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    let mut planned = compute_plan(&plan_opts).await?;
    if let Some(saved) = &saved {
        saved::check_fresh(saved, &planned)?;
    }
    ui.show_plan(&planned.plan);
    if !planned.plan.has_changes() {
        return Ok(ApplyOutcome::NoChanges);
    }
    refuse_data_loss(&planned.plan, opts.allow_data_loss)?;
    if plan_opts.image_tag.is_none() {
        keep_rollback(&planned).await?;
    }
    let no_wait = opts.no_wait || saved.is_some();
    let Some(create) =
        ready_stack(&mut planned, &plan_opts, no_wait, !opts.auto_approve, ui).await?
    else {
        return Ok(ApplyOutcome::NoChanges);
    };
    if saved.is_none() && !opts.auto_approve {
        approve(ui)?;
    }
    preflight(&planned).await?;
    let resolved = plan::resolved_desired(&planned.desired, &planned.observed);
    ensure_direct(&planned, &resolved, ui).await?;
    let lock = lock::acquire(&planned.clients, &planned.desired.name, "hover apply").await?;
    let done = locked_apply(&planned, create, ui).await;
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

/// The type of the functions whose versions `live` points at.
pub const FUNCTION_TYPE: &str = "AWS::Lambda::Function";

/// Gets the stack ready to take a change set: waits for an operation in progress, clears a stack
/// left in review, offers to delete a failed creation, planning again after each. `Ok(None)` when
/// the plan made again has no changes; `Ok(Some(create))` when a change set can be made.
pub(crate) async fn ready_stack(
    planned: &mut PlannedStage,
    plan_opts: &PlanOptions,
    no_wait: bool,
    can_ask: bool,
    ui: &mut dyn ApplyUi,
) -> Result<Option<bool>, HoverError> {
    let stack_name = planned.desired.name.clone();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let step = stack_step(
            planned.plan.stack_status.as_deref(),
            &stack_name,
            no_wait,
            can_ask,
        );
        let cfn = &planned.clients.cloudformation;
        match step {
            StackStep::Proceed { create } => return Ok(Some(create)),
            StackStep::Refuse(err) => return Err(err),
            _ if rounds > 3 => {
                return Err(HoverError::StackNeedsAttention {
                    stack: stack_name.clone(),
                    explanation: "the stack did not reach a state that can take a change set"
                        .into(),
                })
            }
            StackStep::WaitThenReplan => {
                ui.note(&format!(
                    "Stack {stack_name} is busy ({}); waiting for the operation in progress to finish...",
                    planned.plan.stack_status.clone().unwrap_or_default()
                ));
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
            StackStep::ClearReview => {
                ui.note(&format!(
                    "Stack {stack_name} is in REVIEW_IN_PROGRESS: a change set created it and was never executed, so it holds no resources. Deleting it (and its unexecuted change sets) before creating the stage."
                ));
                changeset::delete_stack(cfn, &stack_name).await?;
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
            StackStep::OfferDelete { explanation } => {
                ui.note(&explanation);
                let question =
                    format!("Delete the failed stack {stack_name} so it can be created again?");
                if ui.approve(&question) != Some(true) {
                    return Err(HoverError::StackNeedsAttention {
                        stack: stack_name,
                        explanation,
                    });
                }
                changeset::delete_stack(cfn, &stack_name).await?;
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
        }
        *planned = compute_plan(plan_opts).await?;
        ui.note("The plan was made again:");
        ui.show_plan(&planned.plan);
        if !planned.plan.has_changes() {
            return Ok(None);
        }
    }
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
        let ran = run_change_set(planned, create, ui).await;
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

/// What apply does about the stack's state before it creates a change set.
#[derive(Debug)]
pub enum StackStep {
    /// Create a change set now (`CREATE` when `create`).
    Proceed { create: bool },
    /// Another operation runs: wait for it, then plan again.
    WaitThenReplan,
    /// Left in `REVIEW_IN_PROGRESS` by an unexecuted change set (no resources): delete, plan again.
    ClearReview,
    /// A failed creation (`ROLLBACK_COMPLETE`): ask to delete it, then plan again.
    OfferDelete { explanation: String },
    /// Stop with this error.
    Refuse(HoverError),
}

/// Decides [`StackStep`] from the stack's status (`None`: no stack). `no_wait`: refuse rather than
/// wait (also for saved plans, which must apply as planned); `can_ask`: someone may be asked.
pub fn stack_step(status: Option<&str>, stack: &str, no_wait: bool, can_ask: bool) -> StackStep {
    let condition = classify_stack_status(status.unwrap_or(""));
    match condition {
        StackCondition::Busy if no_wait => StackStep::Refuse(HoverError::StackBusy {
            stack: stack.to_string(),
            status: status.unwrap_or_default().to_string(),
        }),
        StackCondition::Busy => StackStep::WaitThenReplan,
        StackCondition::ReviewInProgress => StackStep::ClearReview,
        StackCondition::RollbackComplete if can_ask => StackStep::OfferDelete {
            explanation: condition.explain(stack).unwrap_or_default(),
        },
        other => match other.change_set_create() {
            Some(create) => StackStep::Proceed { create },
            None => StackStep::Refuse(HoverError::StackNeedsAttention {
                stack: stack.to_string(),
                explanation: other
                    .explain(stack)
                    .unwrap_or_else(|| "the stack cannot take a change set now".into()),
            }),
        },
    }
}

/// Creates the change set, reconciles it with the plan, executes and watches it. Ctrl-C before
/// execution deletes the change set; after, CloudFormation carries on.
async fn run_change_set(
    planned: &PlannedStage,
    create: bool,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let PlannedStage {
        clients,
        desired,
        plan,
        ..
    } = planned;
    let cfn = &clients.cloudformation;
    let stack_name = desired.name.clone();
    let body = template::to_text(&template::build(desired));
    let mut uploaded: Option<(String, String)> = None;
    let source = if body.len() > template::INLINE_LIMIT {
        let key = format!(
            "hover/templates/{}-{}.json",
            desired.name,
            &plan.observed_digest[..12.min(plan.observed_digest.len())]
        );
        let bucket = format!("{}-assets", desired.name);
        ui.note(&format!("The template is {} bytes, over CloudFormation's inline limit; uploading it to s3://{bucket}/{key} until the change set is made.", body.len()));
        let url = direct::upload_template(clients, &bucket, &key, &body, &desired.region).await?;
        uploaded = Some((bucket, key));
        TemplateSource::Url(url)
    } else {
        TemplateSource::Body(body)
    };
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let request = ChangeSetRequest {
        stack_name: stack_name.clone(),
        change_set_name: format!("hover-{millis}"),
        template: source,
        create,
        capabilities: template::capabilities(desired)
            .into_iter()
            .map(str::to_string)
            .collect(),
        role_arn: desired.stack_role.clone(),
        description: format!(
            "hover apply of stage {stack_name}, image {}",
            desired.image_tag
        ),
    };
    ui.note(&format!(
        "Creating change set {} on stack {stack_name}...",
        request.change_set_name
    ));
    let created = changeset::create(cfn, &request).await;
    let created = match created {
        Ok(c) => c,
        Err(e) => {
            forget_template(planned, uploaded.as_ref(), ui).await;
            return Err(e.into());
        }
    };
    let arn = created.arn.clone();

    // Until execution, Ctrl-C deletes the change set and changes nothing.
    let prepared = tokio::select! {
        r = prepare(cfn, &arn, plan, ui) => r,
        _ = tokio::signal::ctrl_c() => {
            let _ = changeset::delete(cfn, &arn).await;
            forget_template(planned, uploaded.as_ref(), ui).await;
            return Err(HoverError::Interrupted("interrupted before execution: the change set was deleted and nothing changed".into()));
        }
    };
    // CloudFormation has read the template once the change set is made: it is not kept.
    forget_template(planned, uploaded.as_ref(), ui).await;
    match prepared {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(e) => {
            let _ = changeset::delete(cfn, &arn).await;
            return Err(e);
        }
    }

    let last_event = changeset::latest_event_id(cfn, &stack_name).await?;
    ui.note(&format!(
        "CloudFormation agrees with the plan; executing change set {} on stack {stack_name}...",
        request.change_set_name
    ));
    let started = Instant::now();
    tokio::select! {
        r = changeset::execute(cfn, &arn) => r?,
        _ = tokio::signal::ctrl_c() => {
            return Err(HoverError::Interrupted(format!(
                "interrupted while CloudFormation was asked to execute the change set: it may be executing; CloudFormation carries on with stack {stack_name} on its own; `hover apply` again waits for it, and `hover plan` shows where it ended"
            )));
        }
    }
    let watched = tokio::select! {
        r = watch(cfn, &stack_name, last_event, plan, ui) => r,
        _ = tokio::signal::ctrl_c() => {
            ui.progress_end();
            return Err(HoverError::Interrupted(format!(
                "interrupted: the change set was executed and CloudFormation carries on with stack {stack_name}, which may still be changing; `hover apply` again waits for it, and `hover plan` shows where it ended"
            )));
        }
    };
    ui.progress_end();
    // Lost sight of the stack after execution: the change was made; say so.
    let watched = watched.map_err(|e| match e {
        HoverError::ChangeSet(cause) => HoverError::WatchLost {
            stack: stack_name.clone(),
            cause: cause.to_string(),
        },
        other => other,
    });
    if let Ok(status) = &watched {
        ui.note(&format!(
            "Stack {stack_name}: {status} after {}s",
            started.elapsed().as_secs()
        ));
    }
    watched.map(|_| ())
}

/// Deletes an uploaded template (it holds the stage's environment); a failure is a warning naming
/// the object to delete by hand.
async fn forget_template(
    planned: &PlannedStage,
    uploaded: Option<&(String, String)>,
    ui: &mut dyn ApplyUi,
) {
    let Some((bucket, key)) = uploaded else {
        return;
    };
    if let Err(e) = direct::delete_object(&planned.clients, bucket, key).await {
        ui.note(&format!(
            "Warning: the uploaded template s3://{bucket}/{key} could not be deleted ({e}); delete it by hand"
        ));
    }
}

/// Waits for the change set and checks it against the plan. `Ok(false)`: nothing to execute.
async fn prepare(
    cfn: &aws_sdk_cloudformation::Client,
    arn: &str,
    plan: &Plan,
    ui: &mut dyn ApplyUi,
) -> Result<bool, HoverError> {
    match changeset::wait_and_describe(cfn, arn).await? {
        ChangeSetOutcome::Empty => {
            let _ = changeset::delete(cfn, arn).await;
            ui.note("CloudFormation has no template changes to make.");
            Ok(false)
        }
        ChangeSetOutcome::Failed(reason) => Err(HoverError::ChangeSetFailed(reason)),
        ChangeSetOutcome::Ready(changes) => {
            let r = reconcile(plan, &changes);
            if !r.agrees() {
                let rows: Vec<(String, String, String)> = r
                    .mismatches
                    .iter()
                    .map(|m| {
                        (
                            m.logical_id.clone(),
                            m.plan.clone(),
                            m.cloudformation.clone(),
                        )
                    })
                    .collect();
                ui.show_mismatches(&rows);
                return Err(HoverError::PlanMismatch(rows.len()));
            }
            Ok(true)
        }
    }
}

/// Streams stack events as progress until the stack settles; a failure names its root causes.
async fn watch(
    cfn: &aws_sdk_cloudformation::Client,
    stack_name: &str,
    mut last: Option<String>,
    plan: &Plan,
    ui: &mut dyn ApplyUi,
) -> Result<String, HoverError> {
    let mut progress = Progress::for_plan(stack_name, plan);
    let epoch_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    };
    let mut all_events = Vec::new();
    let poll = changeset::Poll {
        max: Duration::from_secs(3),
        ..changeset::Poll::default()
    };
    let mut delays = poll.delays();
    let waited = Instant::now();
    loop {
        let events = changeset::events_since(cfn, stack_name, last.as_deref()).await?;
        for e in &events {
            for line in progress.event(e) {
                ui.progress_line(&line);
            }
        }
        if let Some(e) = events.last() {
            last = Some(e.event_id.clone());
        }
        all_events.extend(events);
        for line in progress.tick(epoch_ms()) {
            ui.progress_line(&line);
        }
        ui.progress_state(progress.done(), progress.total(), progress.in_flight());
        let status = changeset::stack_status(cfn, stack_name)
            .await?
            .map(|s| s.status)
            .unwrap_or_default();
        if status == "REVIEW_IN_PROGRESS" && waited.elapsed() > Duration::from_secs(60) {
            return Err(HoverError::StackFailed {
                stack: stack_name.to_string(),
                status,
                causes: vec![
                    "CloudFormation did not start executing the change set within a minute".into(),
                ],
            });
        }
        if !status.ends_with("_IN_PROGRESS") {
            return settled(stack_name, status, &all_events);
        }
        tokio::time::sleep(delays.next().unwrap_or(poll.max)).await;
    }
}

/// The end of a stack operation: `Ok(status)` on success; any rollback or failure is an error
/// naming its root causes (the first failed resources and their reasons), not just the status.
pub fn settled(
    stack: &str,
    status: String,
    events: &[changeset::StackEvent],
) -> Result<String, HoverError> {
    if !(status.contains("ROLLBACK") || status.ends_with("_FAILED")) {
        return Ok(status);
    }
    let causes = diagnose_failure(events)
        .map(|d| {
            d.root_causes
                .iter()
                .map(|c| {
                    format!(
                        "{} ({}): {} {}",
                        c.logical_id,
                        c.resource_type,
                        c.status,
                        c.reason.clone().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Err(HoverError::StackFailed {
        stack: stack.to_string(),
        status,
        causes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changeset::StackEvent;

    fn step(status: Option<&str>, no_wait: bool, can_ask: bool) -> String {
        format!("{:?}", stack_step(status, "shop", no_wait, can_ask))
    }

    #[test]
    fn every_stack_state_has_its_step() {
        assert_eq!(step(None, false, true), "Proceed { create: true }");
        assert_eq!(
            step(Some("CREATE_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_ROLLBACK_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_IN_PROGRESS"), false, true),
            "WaitThenReplan"
        );
        assert_eq!(
            step(Some("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), false, true),
            "WaitThenReplan"
        );
        assert!(matches!(
            stack_step(Some("UPDATE_IN_PROGRESS"), "shop", true, true),
            StackStep::Refuse(HoverError::StackBusy { .. })
        ));
        assert_eq!(step(Some("REVIEW_IN_PROGRESS"), false, true), "ClearReview");
        assert!(matches!(
            stack_step(Some("ROLLBACK_COMPLETE"), "shop", false, true),
            StackStep::OfferDelete { .. }
        ));
        match stack_step(Some("ROLLBACK_COMPLETE"), "shop", false, false) {
            StackStep::Refuse(HoverError::StackNeedsAttention { explanation, .. }) => {
                assert!(explanation.contains("delete"), "{explanation}")
            }
            other => panic!("without anyone to ask a failed creation is refused, got {other:?}"),
        }
        match stack_step(Some("UPDATE_ROLLBACK_FAILED"), "shop", false, true) {
            StackStep::Refuse(HoverError::StackNeedsAttention { explanation, .. }) => {
                assert!(
                    explanation.contains("continue-update-rollback"),
                    "{explanation}"
                )
            }
            other => panic!("UPDATE_ROLLBACK_FAILED must be explained, got {other:?}"),
        }
        assert!(matches!(
            stack_step(Some("DELETE_FAILED"), "shop", false, true),
            StackStep::Refuse(HoverError::StackNeedsAttention { .. })
        ));
    }

    fn event(
        id: &str,
        logical: &str,
        ty: &str,
        status: &str,
        reason: Option<&str>,
        t: i64,
    ) -> StackEvent {
        StackEvent {
            event_id: id.into(),
            logical_id: logical.into(),
            resource_type: ty.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
            timestamp_ms: t,
        }
    }

    #[test]
    fn a_rollback_is_a_failure_naming_its_root_cause() {
        let events = vec![
            event("1", "shop", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", None, 1),
            event("2", "HttpFunction", "AWS::Lambda::Function", "UPDATE_IN_PROGRESS", None, 2),
            event("3", "QueueJobs", "AWS::SQS::Queue", "CREATE_FAILED", Some("Resource handler returned message: \"Invalid value for the parameter VisibilityTimeout\""), 3),
            event("4", "HttpFunction", "AWS::Lambda::Function", "UPDATE_FAILED", Some("Resource update cancelled"), 4),
            event("5", "shop", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", Some("The following resource(s) failed to create: [QueueJobs]."), 5),
            event("6", "shop", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", None, 6),
        ];
        match settled("shop", "UPDATE_ROLLBACK_COMPLETE".into(), &events) {
            Err(HoverError::StackFailed { status, causes, .. }) => {
                assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
                assert_eq!(causes.len(), 1, "{causes:?}");
                assert!(
                    causes[0].starts_with("QueueJobs (AWS::SQS::Queue): CREATE_FAILED"),
                    "{causes:?}"
                );
                assert!(causes[0].contains("VisibilityTimeout"), "{causes:?}");
            }
            other => panic!("a rollback must fail, got {other:?}"),
        }
        assert_eq!(
            settled("shop", "UPDATE_COMPLETE".into(), &events[..2]).ok(),
            Some("UPDATE_COMPLETE".to_string())
        );
    }
}
