//! `hover destroy <stage>`: reads what the stage holds, shows every deletion with the data lost,
//! asks for the stage's name to be typed, then deletes the stack (watched), empties and deletes the
//! assets bucket, deletes the repository and schedules the key's deletion. Whatever is gone
//! already is skipped, so a rerun after a failure finishes the job. The manifest stays.

use crate::changeset;
use crate::direct::teardown;
use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest;
use crate::plan::destroy::{destroy_plan, DestroyPlan, DestroyStep};
use std::path::PathBuf;

/// Settings of `hover destroy`.
#[derive(Clone, Debug)]
pub struct DestroyOptions {
    pub dir: PathBuf,
    pub stage: String,
    /// Destroy without asking for the name to be typed.
    pub auto_approve: bool,
}

/// Destroy's conversation.
pub trait DestroyUi {
    fn show_plan(&mut self, plan: &DestroyPlan, manifest: &str);
    /// Asks for `name` to be typed; `None` when nothing can be read (no terminal, no input).
    fn confirm(&mut self, name: &str) -> Option<String>;
    fn progress_line(&mut self, line: &str);
}

/// How a destroy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// Nothing was left.
    NothingLeft,
    /// Every step was carried out.
    Destroyed { steps: usize },
}

/// Runs `hover destroy`.
pub async fn destroy(
    opts: &DestroyOptions,
    ui: &mut dyn DestroyUi,
) -> Result<DestroyOutcome, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    let clients = super::plan::stage_clients(&manifest).await?;
    let account = live::caller_account(&clients).await?;
    if let Some(expected) = manifest.account.as_ref().filter(|e| **e != account) {
        return Err(HoverError::WrongAccount {
            stage: manifest.name.clone(),
            expected: expected.clone(),
            actual: account,
        });
    }
    let stack = live::read_stack(&clients, &manifest.name).await?;
    let inventory = live::inventory::read(&clients, &manifest.name, stack).await?;
    let plan = destroy_plan(&manifest.name, &inventory);
    let manifest_file = std::path::Path::new(&manifest.file)
        .strip_prefix(&opts.dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| manifest.file.clone());
    ui.show_plan(&plan, &manifest_file);
    if plan.is_empty() {
        return Ok(DestroyOutcome::NothingLeft);
    }
    if !opts.auto_approve {
        match ui.confirm(&manifest.name) {
            None => return Err(HoverError::DestroyNeedsName(manifest.name.clone())),
            Some(answer) if answer.trim() == manifest.name => {}
            Some(_) => return Err(HoverError::DestroyCancelled(manifest.name.clone())),
        }
    }
    // Under the stage lock (while the stage's bucket holds one), given back however it ends.
    let lock =
        crate::ops::lock::acquire_if_bucket(&clients, &manifest.name, "hover destroy").await?;
    let steps = &plan.steps;
    let done = crate::ops::signals::guard(
        async {
            for step in steps {
                run_step(&clients, step, ui).await?;
            }
            Ok(())
        },
        |signal| {
            HoverError::Interrupted(format!(
                "{}: destroy stopped part way; what it deleted is gone (a stack deletion carries on in CloudFormation); `hover destroy` again finishes it",
                signal.name()
            ))
        },
        |signal| HoverError::Interrupted(signal.name().to_string()),
    )
    .await;
    if let Some(lock) = lock {
        if let Some(warning) = lock.give_back().await {
            ui.progress_line(&warning);
        }
    }
    done?;
    Ok(DestroyOutcome::Destroyed {
        steps: plan.steps.len(),
    })
}

async fn run_step(
    clients: &Clients,
    step: &DestroyStep,
    ui: &mut dyn DestroyUi,
) -> Result<(), HoverError> {
    let started = std::time::Instant::now();
    let secs = |s: std::time::Instant| s.elapsed().as_secs();
    match step {
        DestroyStep::DeleteStack { name, .. } => {
            ui.progress_line(&format!("stack {name}: Deleting..."));
            let cfn = &clients.cloudformation;
            changeset::delete_stack(cfn, name).await?;
            let mut last = String::new();
            let settled = changeset::wait_stack_settled(cfn, name, |status| {
                if status != last {
                    last = status.to_string();
                }
            })
            .await?;
            match settled.filter(|s| !s.deleted()) {
                None => ui.progress_line(&format!(
                    "stack {name}: Deletion complete after {}s",
                    secs(started)
                )),
                Some(status) => {
                    let reason = changeset::stack_status(cfn, name)
                        .await?
                        .and_then(|s| s.reason)
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(HoverError::StackFailed {
                        stack: name.clone(),
                        status: status.to_string(),
                        causes: vec![reason],
                    });
                }
            }
        }
        DestroyStep::EmptyAndDeleteBucket { name, .. } => {
            ui.progress_line(&format!("assets bucket {name}: Emptying and deleting..."));
            let n = teardown::empty_and_delete_bucket(clients, name).await?;
            ui.progress_line(&format!(
                "assets bucket {name}: {n} objects deleted, bucket deleted after {}s",
                secs(started)
            ));
        }
        DestroyStep::DeleteRepository { name, .. } => {
            ui.progress_line(&format!("image repository {name}: Deleting..."));
            teardown::delete_repository(clients, name).await?;
            ui.progress_line(&format!(
                "image repository {name}: Deletion complete after {}s",
                secs(started)
            ));
        }
        DestroyStep::ScheduleKeyDeletion {
            alias,
            key_id,
            pending_days,
        } => {
            let date =
                teardown::schedule_key_deletion(clients, alias, key_id, *pending_days).await?;
            ui.progress_line(&format!(
                "secrets key {key_id}: scheduled for deletion {}; alias {alias} removed",
                date.map(|d| format!("on {d}"))
                    .unwrap_or_else(|| format!("in {pending_days} days"))
            ));
        }
    }
    Ok(())
}
