//! A stage's queues as `hover queue` and `hover status` see them: URLs, message counts, the
//! messages a dead-letter queue holds (peeked, never consumed) and the message move tasks of a
//! dead-letter queue. SDK types stop here.
//!
//! Peeking: SQS has no read that leaves a message untouched. [`peek`] receives messages with a
//! short visibility timeout ([`PEEK_VISIBILITY_SECONDS`]), which hides them from other consumers
//! (so that the next receive gives the next ones), and once it has them all sets their visibility
//! back to 0 (ChangeMessageVisibilityBatch), even when a receive failed: they are visible again
//! as they were; a message is never deleted. Should hover stop between the
//! two calls, the timeout lets them come back by themselves within seconds. What a receive
//! changes cannot be undone: each peek adds one to a message's `ApproximateReceiveCount` (a
//! dead-letter queue has no redrive policy, so the count moves nothing anywhere).

use super::error::{aws_error, is_not_found};
use super::quota::acquire;
use super::{Clients, LiveError};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const SERVICE: &str = "sqs";

/// How long a peeked message stays hidden if hover cannot give it back at once.
pub const PEEK_VISIBILITY_SECONDS: i32 = 10;

/// Messages one ReceiveMessage gives at most (SQS's limit).
const RECEIVE_MAX: i32 = 10;

/// A queue's approximate message counts, as SQS reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageCounts {
    /// Messages available to receive (`ApproximateNumberOfMessages`).
    pub visible: u64,
    /// Messages received and neither deleted nor visible again (`...NotVisible`).
    pub in_flight: u64,
    /// Messages sent with a delay not yet over (`...Delayed`).
    pub delayed: u64,
}

/// One queue as SQS has it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueState {
    pub url: String,
    pub arn: String,
    pub fifo: bool,
    pub counts: MessageCounts,
}

/// The URL of the queue named `name`; `None` when there is no such queue (GetQueueUrl).
pub async fn queue_url(clients: &Clients, name: &str) -> Result<Option<String>, LiveError> {
    acquire(SERVICE, "GetQueueUrl").await;
    match clients.sqs.get_queue_url().queue_name(name).send().await {
        Ok(out) => Ok(out.queue_url().map(str::to_owned)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error(SERVICE, "GetQueueUrl", name, e)),
    }
}

/// Every attribute of the queue at `url` (GetQueueAttributes with `All`); `None` when it is gone.
/// `name` names the queue in an error.
pub async fn all_attributes(
    clients: &Clients,
    name: &str,
    url: &str,
) -> Result<Option<HashMap<QueueAttributeName, String>>, LiveError> {
    acquire(SERVICE, "GetQueueAttributes").await;
    match clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error(SERVICE, "GetQueueAttributes", name, e)),
    }
}

/// The queue at `url` (GetQueueAttributes): its ARN, whether it is FIFO and its counts; `None`
/// when it is gone.
pub async fn queue_state(
    clients: &Clients,
    name: &str,
    url: &str,
) -> Result<Option<QueueState>, LiveError> {
    let Some(attrs) = all_attributes(clients, name, url).await? else {
        return Ok(None);
    };
    let get = |a: QueueAttributeName| attrs.get(&a).map(String::as_str);
    Ok(Some(QueueState {
        url: url.to_owned(),
        arn: get(QueueAttributeName::QueueArn)
            .unwrap_or_default()
            .to_owned(),
        fifo: get(QueueAttributeName::FifoQueue).is_some_and(|v| v.eq_ignore_ascii_case("true")),
        counts: counts(
            get(QueueAttributeName::ApproximateNumberOfMessages),
            get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        ),
    }))
}

/// Counts from SQS's decimal strings (0 for what is missing or not a number).
pub fn counts(
    visible: Option<&str>,
    in_flight: Option<&str>,
    delayed: Option<&str>,
) -> MessageCounts {
    let n = |v: Option<&str>| v.and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    MessageCounts {
        visible: n(visible),
        in_flight: n(in_flight),
        delayed: n(delayed),
    }
}

/// One message of a queue, as a peek saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeekedMessage {
    pub message_id: String,
    pub body: String,
    /// `ApproximateReceiveCount` (this peek's receive included).
    pub receive_count: u64,
    /// `SentTimestamp`, milliseconds since the epoch: when the message reached this queue.
    pub sent_ms: Option<u64>,
    /// `ApproximateFirstReceiveTimestamp`, milliseconds since the epoch.
    pub first_receive_ms: Option<u64>,
    /// FIFO queues: the message group.
    pub group_id: Option<String>,
}

/// Up to `limit` of the queue's visible messages, each handed back at once (see the module
/// documentation). Stops early when a receive gives nothing new.
pub async fn peek(
    clients: &Clients,
    name: &str,
    url: &str,
    limit: usize,
) -> Result<Vec<PeekedMessage>, LiveError> {
    let mut seen: BTreeMap<String, PeekedMessage> = BTreeMap::new();
    let mut order = Vec::new();
    let mut handles = Vec::new();
    let received = receive_all(
        clients,
        name,
        url,
        limit,
        &mut seen,
        &mut order,
        &mut handles,
    )
    .await;
    // Given back whether or not every receive succeeded.
    let given = give_back(clients, name, url, &handles).await;
    received?;
    given?;
    Ok(order
        .into_iter()
        .filter_map(|id| seen.remove(&id))
        .collect())
}

/// The receives of [`peek`]: messages stay hidden (for [`PEEK_VISIBILITY_SECONDS`]) until every
/// receive is done, so that each receive gives new ones.
async fn receive_all(
    clients: &Clients,
    name: &str,
    url: &str,
    limit: usize,
    seen: &mut BTreeMap<String, PeekedMessage>,
    order: &mut Vec<String>,
    handles: &mut Vec<String>,
) -> Result<(), LiveError> {
    while seen.len() < limit {
        let want = i32::try_from(limit - seen.len()).unwrap_or(RECEIVE_MAX);
        acquire(SERVICE, "ReceiveMessage").await;
        let out = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(want.clamp(1, RECEIVE_MAX))
            .visibility_timeout(PEEK_VISIBILITY_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ReceiveMessage", name, e))?;
        let mut new = 0;
        for m in out.messages() {
            let Some(id) = m.message_id() else { continue };
            handles.extend(m.receipt_handle().map(str::to_owned));
            if seen.contains_key(id) {
                continue;
            }
            new += 1;
            let attr = |a: MessageSystemAttributeName| {
                m.attributes()
                    .and_then(|all| all.get(&a))
                    .map(String::as_str)
            };
            let num = |a| attr(a).and_then(|v| v.parse::<u64>().ok());
            order.push(id.to_owned());
            seen.insert(
                id.to_owned(),
                PeekedMessage {
                    message_id: id.to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                    receive_count: num(MessageSystemAttributeName::ApproximateReceiveCount)
                        .unwrap_or(0),
                    sent_ms: num(MessageSystemAttributeName::SentTimestamp),
                    first_receive_ms: num(
                        MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
                    ),
                    group_id: attr(MessageSystemAttributeName::MessageGroupId).map(str::to_owned),
                },
            );
        }
        if new == 0 {
            break;
        }
    }
    Ok(())
}

/// Makes received messages visible again at once (ChangeMessageVisibilityBatch, 10 at a time).
async fn give_back(
    clients: &Clients,
    name: &str,
    url: &str,
    handles: &[String],
) -> Result<(), LiveError> {
    for chunk in handles.chunks(RECEIVE_MAX as usize) {
        let entries = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(h)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        acquire(SERVICE, "ChangeMessageVisibilityBatch").await;
        clients
            .sqs
            .change_message_visibility_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ChangeMessageVisibilityBatch", name, e))?;
    }
    Ok(())
}

/// A message move task of a dead-letter queue, as ListMessageMoveTasks reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MoveTask {
    /// RUNNING, COMPLETED, CANCELLING, CANCELLED or FAILED.
    pub status: String,
    pub destination_arn: Option<String>,
    pub moved: i64,
    pub to_move: Option<i64>,
    /// Milliseconds since the epoch.
    pub started_ms: i64,
    pub failure: Option<String>,
}

impl MoveTask {
    /// Whether the task has ended (whichever way).
    pub fn ended(&self) -> bool {
        !matches!(self.status.as_str(), "RUNNING" | "CANCELLING")
    }
}

/// The most recent message move tasks of the queue `source_arn` (at most 10), newest first.
pub async fn move_tasks(
    clients: &Clients,
    name: &str,
    source_arn: &str,
) -> Result<Vec<MoveTask>, LiveError> {
    acquire(SERVICE, "ListMessageMoveTasks").await;
    let out = clients
        .sqs
        .list_message_move_tasks()
        .source_arn(source_arn)
        .max_results(10)
        .send()
        .await
        .map_err(|e| aws_error(SERVICE, "ListMessageMoveTasks", name, e))?;
    Ok(out
        .results()
        .iter()
        .map(|t| MoveTask {
            status: t.status().unwrap_or_default().to_owned(),
            destination_arn: t.destination_arn().map(str::to_owned),
            moved: t.approximate_number_of_messages_moved(),
            to_move: t.approximate_number_of_messages_to_move(),
            started_ms: t.started_timestamp(),
            failure: t.failure_reason().map(str::to_owned),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_sqs_decimal_strings() {
        assert_eq!(
            counts(Some("3"), Some(" 2"), None),
            MessageCounts {
                visible: 3,
                in_flight: 2,
                delayed: 0
            }
        );
        assert_eq!(counts(Some("x"), None, None), MessageCounts::default());
    }

    #[test]
    fn a_task_has_ended_unless_running_or_cancelling() {
        let task = |status: &str| MoveTask {
            status: status.into(),
            destination_arn: None,
            moved: 0,
            to_move: None,
            started_ms: 0,
            failure: None,
        };
        assert!(!task("RUNNING").ended());
        assert!(!task("CANCELLING").ended());
        assert!(task("COMPLETED").ended());
        assert!(task("FAILED").ended());
    }
}
