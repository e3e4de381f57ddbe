//! `hover queue retry <stage> [QUEUE] [--max N]`: a dead-letter queue's messages back to the queue
//! they failed on, each exactly once.
//!
//! Standard queues: SQS's message move task (StartMessageMoveTask). SQS moves the messages itself,
//! each from the dead-letter queue to its source queue, and reports what it moved; hover follows
//! the task with ListMessageMoveTasks until it ends. A start whose answer is lost (and retried by
//! the SDK) finds the first task running and is refused by SQS ("already a task running"): hover
//! then follows the running task, so no message is moved twice; tasks are told apart by their
//! start time, taken against the newest task listed before the start. An interrupted hover leaves
//! the task to finish in SQS. A move task cannot stop at a count, so `--max` is refused for
//! standard queues rather than honoured approximately.
//!
//! FIFO queues: a receive–send–delete loop, one message at a time in the order received (so each
//! group's order is kept), the message group id kept. What "exactly once" needs, and how each
//! half-way failure is met:
//!
//! - *Receive answer lost*: the SDK retries with the same ReceiveRequestAttemptId, for which SQS
//!   answers the same messages again. Where it does not (an emulator), the lost messages come
//!   back after [`LOOP_VISIBILITY_SECONDS`]: the loop ends only once the dead-letter queue holds
//!   nothing visible and nothing in flight (or has held messages in flight, untouched, for longer
//!   than that timeout: another consumer has them, and the report says so).
//! - *Send answer lost*: the SDK sends again with the same MessageDeduplicationId; SQS keeps
//!   one. The id is derived from the dead-letter message's id (`hover-redrive-<sha256>`), not the
//!   original's: the original id would make SQS drop the resend as a duplicate of the first send
//!   whenever that was less than 5 minutes ago (a job that failed fast), and the message would be
//!   lost once deleted. The derived one is the same for every resend of one dead-letter message.
//! - *Delete fails, or hover stops between send and delete*: the message stays in the dead-letter
//!   queue and comes back; sent again with the same deduplication id, SQS drops the copy if the
//!   first send was less than 5 minutes before (SQS's deduplication interval), and the delete is
//!   tried again. Only a rerun more than 5 minutes later could send such a message twice; the
//!   error says so.
//! - *Interrupt*: each message's send and delete is a critical section (see
//!   [`crate::ops::signals`]): Ctrl-C lets the message in hand finish, then stops.

use super::{load, pick, QueueOptions, StageQueue};
use crate::direct::sqs::{self as write, MoveStart, Received};
use crate::error::HoverError;
use crate::live::messages::{self, MessageCounts, QueueState};
use crate::live::Clients;
use crate::ops::signals;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// How long a message received by the loop stays hidden: long enough to send and delete it
/// through the SDK's retries, short enough that a message whose receive was lost comes back soon.
pub const LOOP_VISIBILITY_SECONDS: i32 = 15;

/// How a dead-letter queue was redriven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SQS's message move task (standard queues).
    MoveTask,
    /// hover's receive–send–delete loop (FIFO queues).
    Loop,
}

/// What `hover queue retry` reports as it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RetryEvent {
    /// A dead-letter queue's redrive begins.
    Started {
        queue: String,
        dead_letter: String,
        method: Method,
        waiting: u64,
    },
    /// The loop moved one message.
    Moved {
        queue: String,
        message_id: String,
        moved: u64,
    },
    /// A move task's progress, as SQS reports it.
    TaskProgress {
        queue: String,
        moved: u64,
        to_move: Option<u64>,
    },
    /// The redrive ended.
    Finished {
        queue: String,
        moved: u64,
        /// What the dead-letter queue still holds.
        left: MessageCounts,
        millis: u64,
    },
}

/// Where `hover queue retry` sends its events.
pub trait RetryUi {
    fn event(&mut self, event: &RetryEvent);
}

/// One dead-letter queue's redrive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retried {
    #[serde(flatten)]
    pub queue: StageQueue,
    pub method: Method,
    pub moved: u64,
    pub left: MessageCounts,
}

/// Runs `hover queue retry`.
pub async fn retry(
    opts: &QueueOptions,
    queue: Option<&str>,
    max: Option<u64>,
    ui: &mut dyn RetryUi,
) -> Result<Vec<Retried>, HoverError> {
    let ctx = load(opts).await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let queues = pick(manifest, queue)?;
    if max.is_some() {
        if let Some(q) = queues.iter().find(|q| !q.fifo) {
            return Err(HoverError::Usage(format!(
                "--max applies to FIFO queues only: `{}` is a standard queue, whose messages SQS's message move task moves all at once (it cannot stop at a count); run `hover queue retry {} {}` without --max",
                q.queue, manifest.name, q.queue
            )));
        }
    }
    let mut done = Vec::new();
    for q in queues {
        let resolved = resolve(clients, &q).await?;
        // Nothing to move (and no task of the queue's to follow): nothing said either.
        let Some((dlq, source)) =
            resolved.filter(|(d, _)| d.counts.visible + d.counts.in_flight > 0)
        else {
            continue;
        };
        let started = Instant::now();
        let method = if q.fifo {
            Method::Loop
        } else {
            Method::MoveTask
        };
        ui.event(&RetryEvent::Started {
            queue: q.queue.clone(),
            dead_letter: q.dead_letter.clone(),
            method,
            waiting: dlq.counts.visible,
        });
        let moved = signals::guard(
            async {
                match method {
                    Method::MoveTask => move_task(clients, &q, &dlq, ui).await,
                    Method::Loop => fifo_loop(clients, &q, &dlq, &source, max, ui).await,
                }
            },
            |s| {
                HoverError::Interrupted(format!(
                    "{}: the redrive of `{}` stopped; every message is either back in its queue or still in the dead-letter queue (a move task carries on in SQS)",
                    s.name(),
                    q.queue
                ))
            },
            |s| HoverError::Interrupted(s.name().to_string()),
        )
        .await?;
        let left = messages::queue_state(clients, &q.dead_letter, &dlq.url)
            .await?
            .map(|s| s.counts)
            .unwrap_or_default();
        ui.event(&RetryEvent::Finished {
            queue: q.queue.clone(),
            moved,
            left,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        done.push(Retried {
            queue: q,
            method,
            moved,
            left,
        });
        if signals::requested() {
            break;
        }
    }
    Ok(done)
}

/// The dead-letter queue and its source queue, when both exist.
async fn resolve(
    clients: &Clients,
    q: &StageQueue,
) -> Result<Option<(QueueState, QueueState)>, HoverError> {
    let state = |name: String| async move {
        match messages::queue_url(clients, &name).await? {
            Some(url) => messages::queue_state(clients, &name, &url).await,
            None => Ok(None),
        }
    };
    let (dlq, source) = futures::join!(state(q.dead_letter.clone()), state(q.name.clone()));
    Ok(dlq?.zip(source?))
}

/// The move task of a standard dead-letter queue, followed until it ends; the messages it moved.
async fn move_task(
    clients: &Clients,
    q: &StageQueue,
    dlq: &QueueState,
    ui: &mut dyn RetryUi,
) -> Result<u64, HoverError> {
    let name = &q.dead_letter;
    let before = messages::move_tasks(clients, name, &dlq.arn).await?;
    let baseline = before.iter().map(|t| t.started_ms).max().unwrap_or(0);
    let running_before: Vec<i64> = before
        .iter()
        .filter(|t| !t.ended())
        .map(|t| t.started_ms)
        .collect();
    if dlq.counts.visible == 0 && running_before.is_empty() {
        return Ok(0);
    }
    if running_before.is_empty() {
        // `AlreadyRunning` here is our own start whose answer was lost and retried.
        let _: MoveStart = write::start_move_task(clients, name, &dlq.arn).await?;
    }
    let ours = |started: i64| started > baseline || running_before.contains(&started);
    let mut pause = Duration::from_millis(100);
    let mut last = None;
    loop {
        let tasks = messages::move_tasks(clients, name, &dlq.arn).await?;
        let mine: Vec<_> = tasks.iter().filter(|t| ours(t.started_ms)).collect();
        let moved: u64 = mine
            .iter()
            .map(|t| u64::try_from(t.moved).unwrap_or(0))
            .sum();
        let to_move = mine
            .iter()
            .filter_map(|t| t.to_move)
            .map(|n| u64::try_from(n).unwrap_or(0))
            .reduce(|a, b| a + b);
        if last != Some(moved) {
            ui.event(&RetryEvent::TaskProgress {
                queue: q.queue.clone(),
                moved,
                to_move,
            });
            last = Some(moved);
        }
        if let Some(failed) = mine.iter().find(|t| t.status == "FAILED") {
            return Err(HoverError::RedriveFailed {
                queue: q.queue.clone(),
                moved,
                reason: failed
                    .failure
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            });
        }
        if !mine.is_empty() && mine.iter().all(|t| t.ended()) {
            return Ok(moved);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

/// The deduplication id of a dead-letter message's resend: the same for every resend of it,
/// unlike the original send's (see the module documentation).
pub fn redrive_dedup_id(message_id: &str) -> String {
    format!("hover-redrive-{}", hex::encode(Sha256::digest(message_id)))
}

/// The receive–send–delete loop of a FIFO dead-letter queue; the messages it moved.
async fn fifo_loop(
    clients: &Clients,
    q: &StageQueue,
    dlq: &QueueState,
    source: &QueueState,
    max: Option<u64>,
    ui: &mut dyn RetryUi,
) -> Result<u64, HoverError> {
    let name = &q.dead_letter;
    let mut moved = 0u64;
    let mut idle_since: Option<Instant> = None;
    let mut receives = 0u64;
    while max.is_none_or(|m| moved < m) && !signals::requested() {
        let want = max.map_or(10, |m| (m - moved).min(10));
        receives += 1;
        let attempt = format!("hover-{}-{receives}", std::process::id());
        let got = write::receive(
            clients,
            name,
            &dlq.url,
            i32::try_from(want).unwrap_or(10),
            LOOP_VISIBILITY_SECONDS,
            Some(&attempt),
        )
        .await?;
        if got.is_empty() {
            let counts = messages::queue_state(clients, name, &dlq.url)
                .await?
                .map(|s| s.counts)
                .unwrap_or_default();
            let since = *idle_since.get_or_insert_with(Instant::now);
            let waited_out = since.elapsed().as_secs() > LOOP_VISIBILITY_SECONDS as u64 + 5;
            if counts.visible + counts.in_flight == 0 || (counts.visible == 0 && waited_out) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        idle_since = None;
        for m in &got {
            move_one(clients, q, &dlq.url, &source.url, m, moved).await?;
            moved += 1;
            ui.event(&RetryEvent::Moved {
                queue: q.queue.clone(),
                message_id: m.message_id.clone(),
                moved,
            });
        }
    }
    Ok(moved)
}

/// One message's send to its source queue and delete from the dead-letter queue, which an
/// interrupt does not cut.
async fn move_one(
    clients: &Clients,
    q: &StageQueue,
    dlq_url: &str,
    source_url: &str,
    m: &Received,
    moved: u64,
) -> Result<(), HoverError> {
    let _critical = signals::Critical::enter();
    let dedup = redrive_dedup_id(&m.message_id);
    let stopped = |step: &str, e: crate::direct::DirectError| HoverError::RedriveStopped {
        queue: q.queue.clone(),
        moved,
        message_id: m.message_id.clone(),
        step: step.to_owned(),
        cause: e.message,
    };
    write::send_again(clients, &q.name, source_url, m, Some(&dedup))
        .await
        .map_err(|e| stopped("sending it back", e))?;
    write::delete(clients, &q.dead_letter, dlq_url, &m.receipt_handle)
        .await
        .map_err(|e| {
            stopped(
                "deleting it from the dead-letter queue after it was sent",
                e,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::redrive_dedup_id;

    #[test]
    fn a_resend_has_one_deduplication_id_per_dead_letter_message() {
        let a = redrive_dedup_id("m-1");
        assert_eq!(a, redrive_dedup_id("m-1"));
        assert_ne!(a, redrive_dedup_id("m-2"));
        assert!(a.len() <= 128, "SQS's limit");
    }
}
