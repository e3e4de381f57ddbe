//! `hover destroy <stage>`: reads what the stage holds, shows every deletion with the data lost,
//! asks for the stage's name to be typed, then deletes the stack (watched), empties and deletes the
//! assets bucket, deletes the repository and schedules the key's deletion. Whatever is gone
//! already is skipped, so a rerun after a failure finishes the job. The manifest stays.

use crate::changeset;
use crate::direct::teardown;
use crate::error::HoverError;
use crate::events::{Event, Outcome, Teardown};
use crate::live::{self, Clients};
use crate::ops::context::StageContext;
use crate::ops::Ui;
use crate::plan::destroy::{destroy_plan, DestroyStep};

/// How a destroy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// Nothing was left.
    NothingLeft,
    /// Every step was carried out.
    Destroyed { steps: usize },
}

impl DestroyOutcome {
    /// The outcome as the run's last event (none when nothing was left).
    pub fn event(&self) -> Option<Event> {
        match self {
            DestroyOutcome::NothingLeft => None,
            DestroyOutcome::Destroyed { steps } => Some(Outcome::Destroy { steps: *steps }.into()),
        }
    }
}

/// Runs `hover destroy`: without `auto_approve`, the stage's name must be typed.
pub async fn destroy(
    ctx: &StageContext,
    auto_approve: bool,
    ui: &mut dyn Ui,
) -> Result<DestroyOutcome, HoverError> {
    ctx.account().await?;
    let clients = &ctx.clients;
    let name = ctx.name().to_string();
    let stack = live::read_stack(clients, &name).await?;
    let inventory = live::inventory::read(clients, &name, stack).await?;
    let plan = destroy_plan(&name, &inventory);
    let manifest_file = std::path::Path::new(&ctx.manifest.file)
        .strip_prefix(&ctx.dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| ctx.manifest.file.clone());
    let steps = plan.steps.clone();
    ui.emit(Event::DestroyPlanned {
        plan,
        manifest: manifest_file,
    });
    if steps.is_empty() {
        return Ok(DestroyOutcome::NothingLeft);
    }
    if !auto_approve {
        match ui.confirm_name(&name) {
            None => return Err(HoverError::DestroyNeedsName(name)),
            Some(answer) if answer.trim() == name => {}
            Some(_) => return Err(HoverError::DestroyCancelled(name)),
        }
    }
    // Under the stage lock (while the stage's bucket holds one), given back however it ends.
    let lock = crate::ops::lock::acquire_if_bucket(clients, &name, "hover destroy").await?;
    if let Some(lock) = &lock {
        ui.emit(Event::LockTaken {
            stage: name.clone(),
            lock: lock.at(),
        });
    }
    let done = crate::ops::signals::guard(
        async {
            for step in &steps {
                run_step(clients, step, ui).await?;
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
        lock.release(ui).await;
    }
    done?;
    Ok(DestroyOutcome::Destroyed { steps: steps.len() })
}

/// Carries out one step, saying when it starts and ends.
async fn run_step(
    clients: &Clients,
    step: &DestroyStep,
    ui: &mut dyn Ui,
) -> Result<(), HoverError> {
    let started = std::time::Instant::now();
    let done = match step {
        DestroyStep::DeleteStack { name, .. } => {
            let step = Teardown::Stack { name: name.clone() };
            ui.emit(Event::TeardownStarted { step: step.clone() });
            delete_stack(clients, name).await?;
            step
        }
        DestroyStep::EmptyAndDeleteBucket { name, .. } => {
            ui.emit(Event::TeardownStarted {
                step: Teardown::Bucket {
                    name: name.clone(),
                    objects: None,
                },
            });
            let n = teardown::empty_and_delete_bucket(clients, name).await?;
            Teardown::Bucket {
                name: name.clone(),
                objects: Some(n),
            }
        }
        DestroyStep::DeleteRepository { name, .. } => {
            let step = Teardown::Repository { name: name.clone() };
            ui.emit(Event::TeardownStarted { step: step.clone() });
            teardown::delete_repository(clients, name).await?;
            step
        }
        DestroyStep::ScheduleKeyDeletion {
            alias,
            key_id,
            pending_days,
        } => {
            let on = teardown::schedule_key_deletion(clients, alias, key_id, *pending_days).await?;
            Teardown::Key {
                key_id: key_id.clone(),
                alias: alias.clone(),
                on,
                pending_days: *pending_days,
            }
        }
    };
    ui.emit(Event::TeardownDone {
        step: done,
        took_s: started.elapsed().as_secs(),
    });
    Ok(())
}

/// Deletes the stack and waits until it is gone; a deletion that fails names CloudFormation's
/// reason.
async fn delete_stack(clients: &Clients, name: &str) -> Result<(), HoverError> {
    let cfn = &clients.cloudformation;
    changeset::delete_stack(cfn, name).await?;
    let settled = changeset::wait_stack_settled(cfn, name, |_| {}).await?;
    match settled.as_deref() {
        None | Some("DELETE_COMPLETE") => Ok(()),
        Some(status) => {
            let reason = changeset::stack_status(cfn, name)
                .await?
                .and_then(|s| s.reason)
                .unwrap_or_else(|| "no reason given".into());
            Err(HoverError::StackFailed {
                stack: name.to_string(),
                status: status.to_string(),
                causes: vec![reason],
            })
        }
    }
}
