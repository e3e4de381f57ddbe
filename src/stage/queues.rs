//! The stage's queues: each manifest queue with its dead-letter queue, and the mapping that feeds
//! it to its worker's function.

use super::{Builder, ALIAS, DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS};
use crate::manifest::Manifest;
use crate::model::{DesiredStage, ResourceKind};
use crate::naming;
use crate::stage::ids::Part;
use crate::template::intrinsics::{get_att, reference};
use serde_json::json;

/// Sets whether every queue mapping of `stage` delivers: `false` while the stage is down for
/// maintenance, so a deploy keeps the workers from taking jobs until `hover up`.
pub fn set_mappings_enabled(stage: &mut DesiredStage, enabled: bool) {
    for r in stage.resources.values_mut() {
        if r.kind == ResourceKind::EventSourceMapping {
            r.properties.insert("Enabled".into(), json!(enabled));
        }
    }
}

impl Builder {
    /// Every worker's queues and their dead-letter queues; returns the queues' logical ids.
    pub(super) fn queues(&mut self, manifest: &Manifest) -> Vec<String> {
        let mut queue_ids = Vec::new();
        for (worker, settings) in &manifest.queue {
            for queue in &settings.queues {
                let naming::QueueNames {
                    queue: qname,
                    dead_letter: dlq_name,
                    fifo,
                } = naming::queue(&self.n, queue);
                let id = self.ids.queue(queue);
                let dlq_id = self.ids.dead_letter(queue);
                let mut dlq = json!({
                    "QueueName": dlq_name,
                    "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                });
                let mut q = json!({
                    "QueueName": qname,
                    "VisibilityTimeout": settings.visibility_timeout,
                    "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": get_att(&dlq_id, "Arn"),
                        "maxReceiveCount": settings.tries,
                    },
                });
                if fifo {
                    dlq["FifoQueue"] = json!(true);
                    q["FifoQueue"] = json!(true);
                }
                self.stack(
                    &dlq_id,
                    &format!("dead-letter queue of {queue}"),
                    ResourceKind::Queue,
                    &dlq_name,
                    dlq,
                );
                self.stack(
                    &id,
                    &format!("queue {queue} (worker {worker})"),
                    ResourceKind::Queue,
                    &qname,
                    q,
                );
                queue_ids.push(id);
            }
        }
        queue_ids
    }

    /// Queue → worker mappings, through each worker's `live` alias.
    pub(super) fn mappings(&mut self, manifest: &Manifest) {
        let n = self.n.clone();
        for (worker, settings) in &manifest.queue {
            let alias = self.ids.alias(Part::Worker(worker));
            for queue in &settings.queues {
                let id = self.ids.queue(queue);
                self.stack(
                    &self.ids.mapping(queue),
                    &format!("mapping {queue} -> worker {worker}"),
                    ResourceKind::EventSourceMapping,
                    &format!(
                        "{} -> {}:{ALIAS}",
                        naming::queue(&n, queue).queue,
                        naming::function(&n, Part::Worker(worker))
                    ),
                    json!({
                        "EventSourceArn": get_att(&id, "Arn"),
                        "FunctionName": reference(&alias),
                        "BatchSize": 1,
                        "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        "Enabled": true,
                    }),
                );
            }
        }
    }
}
