//! `hover queue <stage> list|failed|purge`: the stage's queues (names as in the manifest's `queue`
//! section) with their message counts, the messages their dead-letter queues hold (peeked, never
//! consumed: see [`crate::live::messages`]), and purging one after its name is typed. `retry` is
//! [`redrive`]; the payload's masking and excerpt, [`payload`]. Each command loads the manifest and the clients once, at its top.
//!
//! A queue is named as the manifest names it (`default`, `emails.fifo`); an unknown name is
//! refused with the names that exist, before anything is read or changed.

pub mod payload;
pub mod redrive;

use crate::direct;
use crate::error::HoverError;
use crate::live::messages::{self, MessageCounts, PeekedMessage};
use crate::live::Clients;
use crate::manifest::Manifest;
use crate::naming;
use crate::ops::StageContext;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// Settings shared by the `hover queue` commands.
#[derive(Clone, Debug)]
pub struct QueueOptions {
    pub dir: PathBuf,
    pub stage: String,
}

/// One queue of the stage, as the manifest names it, with its AWS names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageQueue {
    /// The manifest's name (`default`).
    pub queue: String,
    /// The worker consuming it.
    pub worker: String,
    /// Its SQS name (`default-shop-prod`).
    pub name: String,
    /// Its dead-letter queue's SQS name.
    pub dead_letter: String,
    pub fifo: bool,
}

/// The stage's queues, in manifest order (workers sorted, their queues as listed).
pub fn stage_queues(manifest: &Manifest) -> Vec<StageQueue> {
    manifest
        .queue
        .iter()
        .flat_map(|(worker, settings)| {
            settings.queues.iter().map(move |q| {
                let names = naming::queue(&manifest.name, q);
                StageQueue {
                    queue: q.clone(),
                    worker: worker.clone(),
                    name: names.queue,
                    dead_letter: names.dead_letter,
                    fifo: names.fifo,
                }
            })
        })
        .collect()
}

/// The queues a command works on: the one named (refused, with the names that exist, when the
/// stage has none of that name), or all of them.
pub fn pick(manifest: &Manifest, name: Option<&str>) -> Result<Vec<StageQueue>, HoverError> {
    let all = stage_queues(manifest);
    let Some(name) = name else { return Ok(all) };
    match all.iter().find(|q| q.queue == name || q.name == name) {
        Some(q) => Ok(vec![q.clone()]),
        None => Err(HoverError::UnknownQueue {
            stage: manifest.name.clone(),
            name: name.to_owned(),
            known: if all.is_empty() {
                "none: the stage has no `queue` section".to_owned()
            } else {
                all.iter()
                    .map(|q| q.queue.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
    }
}

/// The stage's context (manifest read once, clients built once), its account checked: what
/// every `hover queue` command opens first.
pub async fn load(opts: &QueueOptions) -> Result<StageContext, HoverError> {
    let ctx = StageContext::open(&opts.dir, &opts.stage).await?;
    ctx.account().await?;
    Ok(ctx)
}

/// One row of `hover queue list`: a queue and its dead-letter queue with their counts (`None`:
/// the queue does not exist, e.g. before the first deploy).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub queue: StageQueue,
    pub messages: Option<MessageCounts>,
    pub dead_letter_messages: Option<MessageCounts>,
}

/// The counts of a queue found by name (GetQueueUrl, then GetQueueAttributes).
async fn counts_of(clients: &Clients, name: &str) -> Result<Option<MessageCounts>, HoverError> {
    let Some(url) = messages::queue_url(clients, name).await? else {
        return Ok(None);
    };
    Ok(messages::queue_state(clients, name, &url)
        .await?
        .map(|s| s.counts))
}

/// `hover queue list`: every queue and dead-letter queue with its counts, read concurrently.
pub async fn list(opts: &QueueOptions) -> Result<Vec<QueueRow>, HoverError> {
    let ctx = load(opts).await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let rows = futures::future::join_all(stage_queues(manifest).into_iter().map(|q| async move {
        let (messages, dead) = futures::join!(
            counts_of(clients, &q.name),
            counts_of(clients, &q.dead_letter)
        );
        Ok::<_, HoverError>(QueueRow {
            messages: messages?,
            dead_letter_messages: dead?,
            queue: q,
        })
    }))
    .await;
    rows.into_iter().collect()
}

/// How many messages `hover queue failed` shows per dead-letter queue at most.
pub const FAILED_SHOWN: usize = 50;

/// How many characters of a payload are shown.
pub const EXCERPT_CHARS: usize = 240;

/// A dead-letter queue's messages, for `hover queue failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedQueue {
    #[serde(flatten)]
    pub queue: StageQueue,
    /// `None`: the dead-letter queue does not exist.
    pub counts: Option<MessageCounts>,
    pub messages: Vec<FailedMessage>,
}

/// One failed job, as its dead-letter message shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedMessage {
    pub message_id: String,
    /// Laravel's `displayName` (the job class), when the payload is a Laravel job.
    pub job: Option<String>,
    /// The payload's `attempts`, when it has one.
    pub payload_attempts: Option<u64>,
    /// SQS's `ApproximateReceiveCount` (every receive counts, a peek's too).
    pub receive_count: u64,
    /// When it was first received, milliseconds since the epoch.
    pub first_receive_ms: Option<u64>,
    /// When it reached the dead-letter queue (`SentTimestamp`), milliseconds since the epoch.
    pub sent_ms: Option<u64>,
    pub group_id: Option<String>,
    /// The start of the payload with secret values masked: a Laravel job's serialized command,
    /// else the whole payload.
    pub excerpt: String,
}

/// `hover queue failed [QUEUE]`: the messages of the dead-letter queues (or one), peeked.
pub async fn failed(
    opts: &QueueOptions,
    queue: Option<&str>,
) -> Result<Vec<FailedQueue>, HoverError> {
    let ctx = load(opts).await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let mut out = Vec::new();
    for q in pick(manifest, queue)? {
        let name = q.dead_letter.clone();
        let Some(url) = messages::queue_url(clients, &name).await? else {
            out.push(FailedQueue {
                queue: q,
                counts: None,
                messages: vec![],
            });
            continue;
        };
        let counts = messages::queue_state(clients, &name, &url)
            .await?
            .map(|s| s.counts);
        let peeked = match counts {
            Some(c) if c.visible > 0 => messages::peek(clients, &name, &url, FAILED_SHOWN).await?,
            _ => vec![],
        };
        out.push(FailedQueue {
            queue: q,
            counts,
            messages: peeked.into_iter().map(failed_message).collect(),
        });
    }
    Ok(out)
}

/// A peeked message read as a Laravel job: its name, attempts and a masked excerpt.
pub fn failed_message(m: PeekedMessage) -> FailedMessage {
    let parsed: Option<Value> = serde_json::from_str(&m.body).ok();
    let job = parsed
        .as_ref()
        .and_then(|p| p.get("displayName").or_else(|| p.get("job")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let payload_attempts = parsed
        .as_ref()
        .and_then(|p| p.get("attempts"))
        .and_then(Value::as_u64);
    // A Laravel job's own data is its serialized command (the rest is shown above, or noise);
    // anything else is shown whole.
    let command = parsed
        .as_ref()
        .and_then(|p| p.pointer("/data/command"))
        .and_then(Value::as_str);
    let masked = match (command, parsed.clone()) {
        (Some(command), _) => payload::mask_php(command),
        (None, Some(mut v)) => {
            payload::mask_value(&mut v);
            v.to_string()
        }
        (None, None) => payload::mask_php(&m.body),
    };
    FailedMessage {
        message_id: m.message_id,
        job,
        payload_attempts,
        receive_count: m.receive_count,
        first_receive_ms: m.first_receive_ms,
        sent_ms: m.sent_ms,
        group_id: m.group_id,
        excerpt: payload::excerpt(&masked, EXCERPT_CHARS),
    }
}

/// `hover queue purge`'s conversation.
pub trait PurgeUi {
    /// Asks for `name` to be typed; `None` when nothing can be read (no terminal, no input).
    fn confirm(&mut self, name: &str, counts: Option<MessageCounts>) -> Option<String>;
}

/// What a purge did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// The SQS name of the queue purged.
    pub name: String,
    /// The messages it held just before (visible, in flight, delayed).
    pub counts: MessageCounts,
}

/// `hover queue purge QUEUE [--dead-letter]`: after the queue's name (as the manifest names it)
/// is typed, or with `auto_approve`, PurgeQueue on the queue or its dead-letter queue.
pub async fn purge(
    opts: &QueueOptions,
    queue: &str,
    dead_letter: bool,
    auto_approve: bool,
    ui: &mut dyn PurgeUi,
) -> Result<Purged, HoverError> {
    let ctx = load(opts).await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let Some(q) = pick(manifest, Some(queue))?.into_iter().next() else {
        return Err(HoverError::Usage(format!("no queue `{queue}`")));
    };
    let name = if dead_letter { q.dead_letter } else { q.name };
    let Some(url) = messages::queue_url(clients, &name).await? else {
        return Err(HoverError::QueueMissing { name });
    };
    let counts = messages::queue_state(clients, &name, &url)
        .await?
        .map(|s| s.counts)
        .unwrap_or_default();
    if !auto_approve {
        match ui.confirm(&q.queue, Some(counts)) {
            None => return Err(HoverError::PurgeNeedsName(q.queue)),
            Some(answer) if answer.trim() == q.queue => {}
            Some(_) => return Err(HoverError::PurgeCancelled(q.queue)),
        }
    }
    direct::sqs::purge(clients, &name, &url).await?;
    Ok(Purged { name, counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let text = "name: shop\nregion: us-east-1\nqueue:\n  default:\n    queues: [default, mails.fifo]\n";
        crate::manifest::parse(".hover/shop.yml", text).expect("a valid manifest")
    }

    #[test]
    fn queues_are_named_as_the_manifest_names_them() {
        let all = stage_queues(&manifest());
        let names: Vec<(&str, &str, &str, bool)> = all
            .iter()
            .map(|q| {
                (
                    q.queue.as_str(),
                    q.name.as_str(),
                    q.dead_letter.as_str(),
                    q.fifo,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("default", "default-shop", "default-shop-dlq", false),
                ("mails.fifo", "mails-shop.fifo", "mails-shop-dlq.fifo", true)
            ]
        );
    }

    #[test]
    fn an_unknown_queue_is_refused_with_the_names_that_exist() {
        let m = manifest();
        let err = pick(&m, Some("mail")).unwrap_err();
        assert!(err.to_string().contains("`mail`"), "{err}");
        let help = miette::Diagnostic::help(&err).map(|h| h.to_string());
        assert!(
            help.as_deref()
                .is_some_and(|h| h.contains("default, mails.fifo")),
            "{help:?}"
        );
        assert_eq!(pick(&m, Some("mails.fifo")).unwrap().len(), 1);
        assert_eq!(pick(&m, None).unwrap().len(), 2);
    }

    #[test]
    fn a_laravel_payload_gives_its_job_and_attempts_and_hides_secrets() {
        let body = serde_json::json!({
            "uuid": "u-1",
            "displayName": "App\\Jobs\\SendInvoice",
            "attempts": 2,
            "data": {"commandName": "App\\Jobs\\SendInvoice",
                     "command": "O:20:\"App\\Jobs\\SendInvoice\":2:{s:5:\"order\";i:7;s:8:\"password\";s:7:\"hunter2\";}"}
        })
        .to_string();
        let m = failed_message(PeekedMessage {
            message_id: "m".into(),
            body,
            receive_count: 4,
            sent_ms: Some(1),
            first_receive_ms: Some(2),
            group_id: None,
        });
        assert_eq!(m.job.as_deref(), Some("App\\Jobs\\SendInvoice"));
        assert_eq!(m.payload_attempts, Some(2));
        assert!(!m.excerpt.contains("hunter2"), "{}", m.excerpt);
        assert!(m.excerpt.contains("order"), "{}", m.excerpt);
        let other = failed_message(PeekedMessage {
            message_id: "n".into(),
            body: r#"{"api_token":"tok-123","user":7}"#.into(),
            receive_count: 1,
            sent_ms: None,
            first_receive_ms: None,
            group_id: None,
        });
        assert_eq!(other.job, None);
        assert!(!other.excerpt.contains("tok-123"), "{}", other.excerpt);
        assert!(other.excerpt.contains("\"user\":7"), "{}", other.excerpt);
    }
}
