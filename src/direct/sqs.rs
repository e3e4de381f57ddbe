//! SQS through its own API: drift put back (a queue's timeouts and redrive policy), and the
//! writes of `hover queue`: message move tasks, the receive–send–delete of a redrive, purges.

use super::{fail, DirectError, Put};
use crate::live::quota::acquire;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value;
use std::collections::HashMap;

/// SetQueueAttributes with the drifted attributes the manifest sets; `None` when it sets none
/// of them.
pub(super) async fn put_attributes(put: &Put<'_>) -> Result<Option<&'static str>, DirectError> {
    let mut attrs = HashMap::new();
    for (key, attr) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
    ] {
        if let Some(v) = put.desired.get(key).filter(|_| put.has(key)) {
            let n = v.as_i64().map(|n| n.to_string());
            attrs.insert(attr, n.unwrap_or_else(|| v.to_string()));
        }
    }
    if put.has("RedrivePolicy") {
        let policy = put.desired.get("RedrivePolicy").map(Value::to_string);
        attrs.insert(
            QueueAttributeName::RedrivePolicy,
            policy.unwrap_or_default(),
        );
    }
    if attrs.is_empty() {
        return Ok(None);
    }
    // The physical id of a queue is its URL.
    acquire("sqs", "SetQueueAttributes").await;
    put.clients
        .sqs
        .set_queue_attributes()
        .queue_url(put.id)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(fail("SQS", "SetQueueAttributes", put.id))?;
    Ok(Some("SQS SetQueueAttributes"))
}

/// What a message move task's start came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoveStart {
    /// The task started; its handle.
    Started(String),
    /// A task of the queue is running already (one runs per queue at a time).
    AlreadyRunning,
}

/// StartMessageMoveTask: the dead-letter queue `source_arn`'s messages back to the queues they
/// came from (SQS knows which; no destination is given).
pub async fn start_move_task(
    clients: &crate::live::Clients,
    name: &str,
    source_arn: &str,
) -> Result<MoveStart, DirectError> {
    acquire("sqs", "StartMessageMoveTask").await;
    match clients
        .sqs
        .start_message_move_task()
        .source_arn(source_arn)
        .send()
        .await
    {
        Ok(out) => Ok(MoveStart::Started(
            out.task_handle().unwrap_or_default().to_owned(),
        )),
        Err(e)
            if aws_smithy_types::error::metadata::ProvideErrorMetadata::message(&e)
                .is_some_and(|m| m.contains("already a task running")) =>
        {
            Ok(MoveStart::AlreadyRunning)
        }
        Err(e) => Err(fail("SQS", "StartMessageMoveTask", name)(e)),
    }
}

/// A message received to be moved: what is sent again, and the handle that deletes it. SDK
/// types stay inside.
#[derive(Clone, Debug)]
pub struct Received {
    pub message_id: String,
    pub receipt_handle: String,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    body: String,
    attributes: Option<HashMap<String, aws_sdk_sqs::types::MessageAttributeValue>>,
}

/// ReceiveMessage of up to `max` messages, hidden for `visibility` seconds, with the system
/// attributes a resend keeps. `attempt`: FIFO's ReceiveRequestAttemptId, so that a retried
/// receive whose answer was lost gives the same messages again instead of hiding them.
pub async fn receive(
    clients: &crate::live::Clients,
    name: &str,
    url: &str,
    max: i32,
    visibility: i32,
    attempt: Option<&str>,
) -> Result<Vec<Received>, DirectError> {
    use aws_sdk_sqs::types::MessageSystemAttributeName as A;
    acquire("sqs", "ReceiveMessage").await;
    let out = clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max.clamp(1, 10))
        .visibility_timeout(visibility)
        .message_system_attribute_names(A::All)
        .message_attribute_names("All")
        .set_receive_request_attempt_id(attempt.map(str::to_owned))
        .send()
        .await
        .map_err(fail("SQS", "ReceiveMessage", name))?;
    Ok(out
        .messages()
        .iter()
        .filter_map(|m| {
            let attr = |a: A| m.attributes().and_then(|all| all.get(&a)).cloned();
            Some(Received {
                message_id: m.message_id()?.to_owned(),
                receipt_handle: m.receipt_handle()?.to_owned(),
                group_id: attr(A::MessageGroupId),
                deduplication_id: attr(A::MessageDeduplicationId),
                body: m.body().unwrap_or_default().to_owned(),
                attributes: m.message_attributes().cloned(),
            })
        })
        .collect())
}

/// SendMessage of a received message's body and attributes to `url`, in `group` with the
/// deduplication id `dedup` (FIFO queues; `None` for standard ones).
pub async fn send_again(
    clients: &crate::live::Clients,
    name: &str,
    url: &str,
    message: &Received,
    dedup: Option<&str>,
) -> Result<(), DirectError> {
    acquire("sqs", "SendMessage").await;
    clients
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(&message.body)
        .set_message_attributes(message.attributes.clone().filter(|a| !a.is_empty()))
        .set_message_group_id(message.group_id.clone().filter(|_| dedup.is_some()))
        .set_message_deduplication_id(dedup.map(str::to_owned))
        .send()
        .await
        .map_err(fail("SQS", "SendMessage", name))?;
    Ok(())
}

/// DeleteMessage by receipt handle (deleting a message already gone succeeds).
pub async fn delete(
    clients: &crate::live::Clients,
    name: &str,
    url: &str,
    receipt_handle: &str,
) -> Result<(), DirectError> {
    acquire("sqs", "DeleteMessage").await;
    clients
        .sqs
        .delete_message()
        .queue_url(url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .map_err(fail("SQS", "DeleteMessage", name))?;
    Ok(())
}

/// PurgeQueue: every message of the queue deleted (SQS takes up to a minute to finish).
pub async fn purge(
    clients: &crate::live::Clients,
    name: &str,
    url: &str,
) -> Result<(), DirectError> {
    acquire("sqs", "PurgeQueue").await;
    clients
        .sqs
        .purge_queue()
        .queue_url(url)
        .send()
        .await
        .map_err(fail("SQS", "PurgeQueue", name))?;
    Ok(())
}
