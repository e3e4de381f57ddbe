//! SQS drift put back through its own API: a queue's timeouts and redrive policy.

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
