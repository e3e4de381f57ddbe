//! One change set carried out: the template sent inline or through the stage's bucket, the change
//! set created and checked against the plan, executed, and the stack watched until it settles; a
//! failure names its root causes.

use super::ApplyUi;
use crate::changeset::{
    self, diagnose_failure, reconcile, ChangeSetOutcome, ChangeSetRequest, Progress, TemplateSource,
};
use crate::direct;
use crate::error::HoverError;
use crate::ops::plan::PlannedStage;
use crate::plan::Plan;
use crate::template;
use std::time::{Duration, Instant};

/// Creates the change set, reconciles it with the plan, executes and watches it. Ctrl-C before
/// execution deletes the change set; after, CloudFormation carries on.
pub(super) async fn run_change_set(
    planned: &PlannedStage,
    create: bool,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let mut run = ChangeSetRun {
        planned,
        cfn: &planned.clients.cloudformation,
        stack_name: planned.desired.name.clone(),
        uploaded: None,
    };
    let source = run.template_source(ui).await?;
    let request = run.request(source, create);
    ui.note(&format!(
        "Creating change set {} on stack {}...",
        request.change_set_name, run.stack_name
    ));
    let arn = run.create(&request, ui).await?;
    if !run.prepare(&arn, ui).await? {
        return Ok(());
    }
    run.execute_and_watch(&arn, &request.change_set_name, ui)
        .await
}

/// One change set under way: the stage it changes, and the template uploaded for it (to delete
/// once CloudFormation has read it).
struct ChangeSetRun<'a> {
    planned: &'a PlannedStage,
    cfn: &'a aws_sdk_cloudformation::Client,
    stack_name: String,
    /// Bucket and key of the uploaded template.
    uploaded: Option<(String, String)>,
}

impl ChangeSetRun<'_> {
    /// The template inline, or uploaded to the stage's bucket when over the inline limit.
    async fn template_source(
        &mut self,
        ui: &mut dyn ApplyUi,
    ) -> Result<TemplateSource, HoverError> {
        let PlannedStage {
            clients,
            desired,
            plan,
            ..
        } = self.planned;
        let body = template::to_text(&template::build(desired));
        if body.len() <= template::INLINE_LIMIT {
            return Ok(TemplateSource::Body(body));
        }
        let key = format!(
            "hover/templates/{}-{}.json",
            desired.name,
            &plan.observed_digest[..12.min(plan.observed_digest.len())]
        );
        let bucket = crate::naming::bucket(&desired.name);
        ui.note(&format!("The template is {} bytes, over CloudFormation's inline limit; uploading it to s3://{bucket}/{key} until the change set is made.", body.len()));
        let url = direct::upload_template(clients, &bucket, &key, &body, &desired.region).await?;
        self.uploaded = Some((bucket, key));
        Ok(TemplateSource::Url(url))
    }

    /// The change set to create: named after the time, with the capabilities and role it needs.
    fn request(&self, template: TemplateSource, create: bool) -> ChangeSetRequest {
        let desired = &self.planned.desired;
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        ChangeSetRequest {
            stack_name: self.stack_name.clone(),
            change_set_name: format!("hover-{millis}"),
            template,
            create,
            capabilities: template::capabilities(desired)
                .into_iter()
                .map(str::to_string)
                .collect(),
            role_arn: desired.stack_role.clone(),
            description: format!(
                "hover apply of stage {}, image {}",
                self.stack_name, desired.image_tag
            ),
        }
    }

    /// Creates the change set; returns its ARN. A refusal forgets the uploaded template.
    async fn create(
        &mut self,
        request: &ChangeSetRequest,
        ui: &mut dyn ApplyUi,
    ) -> Result<String, HoverError> {
        match changeset::create(self.cfn, request).await {
            Ok(created) => Ok(created.arn),
            Err(e) => {
                self.forget_template(ui).await;
                Err(e.into())
            }
        }
    }

    /// Waits for the change set and checks it against the plan; `Ok(false)` when there is nothing
    /// to execute. Until execution, Ctrl-C deletes the change set and changes nothing; a change set
    /// that cannot be executed is deleted.
    async fn prepare(&mut self, arn: &str, ui: &mut dyn ApplyUi) -> Result<bool, HoverError> {
        let handled = crate::ops::signals::Handled::enter();
        let prepared = tokio::select! {
            r = prepare(self.cfn, arn, &self.planned.plan, ui) => r,
            _ = crate::ops::signals::interrupted() => {
                let _ = changeset::delete(self.cfn, arn).await;
                self.forget_template(ui).await;
                return Err(HoverError::Interrupted("interrupted before execution: the change set was deleted and nothing changed".into()));
            }
        };
        drop(handled);
        // CloudFormation has read the template once the change set is made: it is not kept.
        self.forget_template(ui).await;
        if prepared.is_err() {
            let _ = changeset::delete(self.cfn, arn).await;
        }
        prepared
    }

    /// Executes the change set and watches the stack until it settles.
    async fn execute_and_watch(
        &self,
        arn: &str,
        change_set_name: &str,
        ui: &mut dyn ApplyUi,
    ) -> Result<(), HoverError> {
        let (cfn, stack_name) = (self.cfn, self.stack_name.as_str());
        let last_event = changeset::latest_event_id(cfn, stack_name).await?;
        ui.note(&format!(
            "CloudFormation agrees with the plan; executing change set {change_set_name} on stack {stack_name}..."
        ));
        let started = Instant::now();
        let _handled = crate::ops::signals::Handled::enter();
        tokio::select! {
            r = changeset::execute(cfn, arn) => r?,
            _ = crate::ops::signals::interrupted() => {
                return Err(HoverError::Interrupted(format!(
                    "interrupted while CloudFormation was asked to execute the change set: it may be executing; CloudFormation carries on with stack {stack_name} on its own; `hover apply` again waits for it, and `hover plan` shows where it ended"
                )));
            }
        }
        let watched = tokio::select! {
            r = watch(cfn, stack_name, last_event, &self.planned.plan, ui) => r,
            _ = crate::ops::signals::interrupted() => {
                ui.progress_end();
                return Err(HoverError::Interrupted(format!(
                    "interrupted: the change set was executed and CloudFormation carries on with stack {stack_name}, which may still be changing; `hover apply` again waits for it, and `hover plan` shows where it ended"
                )));
            }
        };
        ui.progress_end();
        // Lost sight of the stack after execution: the change was made; say so. A wait past its
        // limit says itself what is still in progress.
        let watched = watched.map_err(|e| match e {
            HoverError::ChangeSet(cause)
                if !matches!(cause, changeset::ChangeSetError::Timeout { .. }) =>
            {
                HoverError::WatchLost {
                    stack: stack_name.to_string(),
                    cause: cause.to_string(),
                }
            }
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

    /// Deletes an uploaded template (it holds the stage's environment); a failure is a warning
    /// naming the object to delete by hand.
    async fn forget_template(&mut self, ui: &mut dyn ApplyUi) {
        let Some((bucket, key)) = self.uploaded.take() else {
            return;
        };
        if let Err(e) = direct::delete_object(&self.planned.clients, &bucket, &key).await {
            ui.note(&format!(
                "Warning: the uploaded template s3://{bucket}/{key} could not be deleted ({e}); delete it by hand"
            ));
        }
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
    let mut poller = changeset::Poller::new(changeset::Poll::stack_watch());
    let what = changeset::Waiting::Stack {
        stack: stack_name.to_string(),
    };
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
        if status == "REVIEW_IN_PROGRESS" && poller.elapsed() > Duration::from_secs(60) {
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
        poller.wait(&what, &status).await?;
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
