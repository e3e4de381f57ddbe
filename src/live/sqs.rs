//! SQS reader: queues by name, in CloudFormation's shape. One call per queue when the stack
//! records the queue's URL (its physical id): GetQueueAttributes on it; GetQueueUrl first only for
//! a queue the stack does not record.

use super::json::{object, resource};
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind, MESSAGES_HELD, MESSAGE_COUNTS};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// An attribute that SQS returns as a decimal string, as a JSON number (`null` when absent or not
/// a number).
fn numeric(value: Option<&String>) -> Value {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map_or(Value::Null, Value::from)
}

/// A RedrivePolicy attribute (a JSON string) in CloudFormation's shape, `maxReceiveCount` as a
/// number.
fn redrive_policy(raw: Option<&String>) -> Value {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Value::Null;
    };
    let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(raw) else {
        return Value::String(raw.clone());
    };
    let target = parsed
        .get("deadLetterTargetArn")
        .cloned()
        .unwrap_or(Value::Null);
    let count = match parsed.get("maxReceiveCount") {
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map_or(Value::String(s.clone()), Value::from),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    Value::Object(object([
        ("deadLetterTargetArn", target),
        ("maxReceiveCount", count),
    ]))
}

/// The URL the stack records for the queue (`recorded`, its physical id), and the queue name in
/// it. A name other than the manifest's is a renamed queue: the stack's queue is the one that
/// exists (and is replaced).
fn recorded_url(recorded: Option<&str>) -> Option<(&str, &str)> {
    let url = recorded?;
    let is_url = url.starts_with("https://") || url.starts_with("http://");
    let name = url.trim_end_matches('/').rsplit('/').next()?;
    (is_url && !name.is_empty()).then_some((url, name))
}

/// `AWS::SQS::Queue` by queue name: GetQueueAttributes(All) on the URL the stack records, or on
/// the one GetQueueUrl answers (QueueDoesNotExist: absent).
pub async fn read_queue(
    ctx: &ReadContext<'_>,
    recorded: Option<&str>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let Some((url, name)) = queue_url(ctx, recorded, name).await? else {
        return Ok(None);
    };
    let Some(attrs) = super::messages::all_attributes(ctx.clients, name, &url).await? else {
        return Ok(None);
    };
    let arn = attrs
        .get(&QueueAttributeName::QueueArn)
        .cloned()
        .unwrap_or_else(|| {
            let account = ctx.account.as_deref().unwrap_or_default();
            let partition = crate::model::Partition::of(&ctx.region);
            format!(
                "{}sqs:{}:{account}:{name}",
                partition.arn_prefix(),
                ctx.region
            )
        });
    let mut queue = resource(
        ResourceKind::Queue,
        &url,
        [("Ref", url.as_str()), ("Arn", &arn), ("QueueName", name)],
        queue_properties(name, &attrs),
    );
    add_message_counts(&mut queue, &attrs);
    Ok(Some(queue))
}

/// The queue's URL and its name: the URL the stack records (`recorded`) and the name in it, else
/// the URL GetQueueUrl answers for `name`; `None` when no such queue exists.
async fn queue_url<'n>(
    ctx: &ReadContext<'_>,
    recorded: Option<&'n str>,
    name: &'n str,
) -> Result<Option<(String, &'n str)>, LiveError> {
    if let Some((url, recorded)) = recorded_url(recorded) {
        return Ok(Some((url.to_owned(), recorded)));
    }
    let url = super::messages::queue_url(ctx.clients, name).await?;
    Ok(url.map(|url| (url, name)))
}

/// The queue `name`'s properties in CloudFormation's shape, from its attributes.
fn queue_properties(name: &str, attrs: &HashMap<QueueAttributeName, String>) -> Map<String, Value> {
    let get = |a: QueueAttributeName| attrs.get(&a);
    let fifo = match get(QueueAttributeName::FifoQueue).map(|v| v.eq_ignore_ascii_case("true")) {
        Some(true) => Value::Bool(true),
        _ => Value::Null,
    };
    object([
        ("QueueName", Value::from(name)),
        (
            "VisibilityTimeout",
            numeric(get(QueueAttributeName::VisibilityTimeout)),
        ),
        (
            "MessageRetentionPeriod",
            numeric(get(QueueAttributeName::MessageRetentionPeriod)),
        ),
        (
            "RedrivePolicy",
            redrive_policy(get(QueueAttributeName::RedrivePolicy)),
        ),
        ("FifoQueue", fifo),
    ])
}

/// Adds the messages the queue holds to its attributes: visible, in flight and delayed (when SQS
/// gave all three) and their sum ([`MESSAGES_HELD`], when it gave any).
fn add_message_counts(queue: &mut LiveResource, attrs: &HashMap<QueueAttributeName, String>) {
    let counts: Vec<u64> = [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        QueueAttributeName::ApproximateNumberOfMessagesDelayed,
    ]
    .into_iter()
    .filter_map(|a| attrs.get(&a).and_then(|v| v.trim().parse::<u64>().ok()))
    .collect();
    if counts.len() == MESSAGE_COUNTS.len() {
        for (attribute, n) in MESSAGE_COUNTS.iter().zip(&counts) {
            queue
                .attributes
                .insert((*attribute).to_owned(), n.to_string());
        }
    }
    if !counts.is_empty() {
        let held: u64 = counts.iter().sum();
        queue
            .attributes
            .insert(MESSAGES_HELD.to_owned(), held.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::{recorded_url, redrive_policy};
    use serde_json::json;

    #[test]
    fn the_recorded_url_names_the_queue_the_stack_holds() {
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-app";
        assert_eq!(recorded_url(Some(url)), Some((url, "jobs-app")));
        assert_eq!(recorded_url(Some("")), None);
        assert_eq!(recorded_url(Some("jobs-app")), None);
        assert_eq!(recorded_url(None), None);
    }

    #[test]
    fn redrive_policy_count_becomes_a_number() {
        let raw = r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq","maxReceiveCount":"5"}"#
            .to_owned();
        assert_eq!(
            redrive_policy(Some(&raw)),
            json!({"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:dlq", "maxReceiveCount": 5})
        );
        assert_eq!(redrive_policy(None), serde_json::Value::Null);
    }
}
