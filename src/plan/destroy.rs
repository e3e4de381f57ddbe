//! What `hover destroy` will delete, decided from an inventory of the stage: the stack and each of
//! its resources (queues with their messages counted), then the assets bucket (objects counted),
//! the image repository (images counted) and the secrets key (scheduled for deletion, never
//! deleted at once). Plain data; what is already gone is not planned again, so a rerun after a
//! partial failure plans only what is left.

use crate::model::{ResourceType, StackState, StackStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days KMS waits before deleting a key scheduled for deletion (its maximum: the longest time to
/// change one's mind).
pub const KEY_PENDING_DAYS: i32 = 30;

/// What exists of a stage, as `live::inventory` reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub stack: Option<StackState>,
    /// Messages waiting or in flight, by queue URL (the physical id the stack records).
    pub queue_messages: BTreeMap<String, u64>,
    /// `(bucket, objects)` when the assets bucket exists.
    pub bucket: Option<(String, u64)>,
    /// `(repository, images)` when the repository exists.
    pub repository: Option<(String, u64)>,
    pub key: Option<KeyInfo>,
}

/// The stage's secrets key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub alias: String,
    pub key_id: String,
    /// KMS's key state (`Enabled`, `Disabled`, `PendingDeletion`…).
    pub state: String,
    /// When a deletion is already scheduled, its date (RFC 3339).
    pub deletion_date: Option<String>,
}

/// One resource of the stack that goes with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackItem {
    pub logical_id: String,
    pub resource_type: ResourceType,
    pub physical_id: String,
    /// Messages in it, for a queue.
    pub messages: Option<u64>,
}

/// One step of a destroy, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum DestroyStep {
    DeleteStack {
        name: String,
        status: StackStatus,
        resources: Vec<StackItem>,
    },
    EmptyAndDeleteBucket {
        name: String,
        objects: u64,
    },
    DeleteRepository {
        name: String,
        images: u64,
    },
    ScheduleKeyDeletion {
        alias: String,
        key_id: String,
        pending_days: i32,
    },
}

/// The whole destroy: steps in order, and what is already on its way out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestroyPlan {
    /// The manifest `name`: what must be typed to confirm.
    pub name: String,
    pub steps: Vec<DestroyStep>,
    /// The key, when its deletion is scheduled already: `(alias, key id, date)`.
    pub key_already_scheduled: Option<(String, String, Option<String>)>,
}

impl DestroyPlan {
    /// Whether nothing is left to delete.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Messages, objects and images that will be lost.
    pub fn data_counts(&self) -> (u64, u64, u64) {
        let mut counts = (0, 0, 0);
        for step in &self.steps {
            match step {
                DestroyStep::DeleteStack { resources, .. } => {
                    counts.0 += resources.iter().filter_map(|r| r.messages).sum::<u64>()
                }
                DestroyStep::EmptyAndDeleteBucket { objects, .. } => counts.1 += objects,
                DestroyStep::DeleteRepository { images, .. } => counts.2 += images,
                DestroyStep::ScheduleKeyDeletion { .. } => {}
            }
        }
        counts
    }
}

/// Decides the destroy of stage `name` from what exists.
pub fn destroy_plan(name: &str, inventory: &Inventory) -> DestroyPlan {
    let mut steps = Vec::new();
    if let Some(stack) = inventory.stack.as_ref().filter(|s| !s.status.deleted()) {
        let resources = stack
            .resources
            .iter()
            .filter(|(_, r)| r.status != "DELETE_COMPLETE")
            .map(|(id, r)| StackItem {
                logical_id: id.clone(),
                resource_type: r.resource_type.clone(),
                physical_id: r.physical_id.clone(),
                messages: r
                    .resource_type
                    .holds_messages()
                    .then(|| inventory.queue_messages.get(&r.physical_id).copied())
                    .flatten(),
            })
            .collect();
        steps.push(DestroyStep::DeleteStack {
            name: stack.name.clone(),
            status: stack.status.clone(),
            resources,
        });
    }
    if let Some((bucket, objects)) = &inventory.bucket {
        steps.push(DestroyStep::EmptyAndDeleteBucket {
            name: bucket.clone(),
            objects: *objects,
        });
    }
    if let Some((repository, images)) = &inventory.repository {
        steps.push(DestroyStep::DeleteRepository {
            name: repository.clone(),
            images: *images,
        });
    }
    let mut key_already_scheduled = None;
    if let Some(key) = &inventory.key {
        if key.state == "PendingDeletion" {
            key_already_scheduled = Some((
                key.alias.clone(),
                key.key_id.clone(),
                key.deletion_date.clone(),
            ));
        } else {
            steps.push(DestroyStep::ScheduleKeyDeletion {
                alias: key.alias.clone(),
                key_id: key.key_id.clone(),
                pending_days: KEY_PENDING_DAYS,
            });
        }
    }
    DestroyPlan {
        name: name.to_string(),
        steps,
        key_already_scheduled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StackResource;

    fn inventory() -> Inventory {
        let mut stack = StackState {
            name: "shop".into(),
            stack_id: "id".into(),
            status: "UPDATE_COMPLETE".into(),
            status_reason: None,
            last_updated: None,
            template: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        for (id, ty, physical) in [
            ("QueueJobs", "AWS::SQS::Queue", "https://sqs/1/jobs-shop"),
            ("HttpFunction", "AWS::Lambda::Function", "shop-http"),
        ] {
            stack.resources.insert(
                id.into(),
                StackResource {
                    resource_type: ty.into(),
                    physical_id: physical.into(),
                    status: "CREATE_COMPLETE".into(),
                },
            );
        }
        Inventory {
            stack: Some(stack),
            queue_messages: BTreeMap::from([("https://sqs/1/jobs-shop".into(), 3)]),
            bucket: Some(("shop-assets".into(), 12)),
            repository: Some(("shop".into(), 2)),
            key: Some(KeyInfo {
                alias: "alias/shop-secrets-key".into(),
                key_id: "k".into(),
                state: "Enabled".into(),
                deletion_date: None,
            }),
        }
    }

    #[test]
    fn every_deletion_in_order_with_data_counted() {
        let plan = destroy_plan("shop", &inventory());
        assert_eq!(plan.steps.len(), 4);
        assert!(matches!(plan.steps[0], DestroyStep::DeleteStack { .. }));
        assert!(matches!(
            plan.steps[1],
            DestroyStep::EmptyAndDeleteBucket { objects: 12, .. }
        ));
        assert!(matches!(
            plan.steps[2],
            DestroyStep::DeleteRepository { images: 2, .. }
        ));
        assert!(matches!(
            plan.steps[3],
            DestroyStep::ScheduleKeyDeletion {
                pending_days: KEY_PENDING_DAYS,
                ..
            }
        ));
        assert_eq!(plan.data_counts(), (3, 12, 2));
    }

    #[test]
    fn what_is_gone_is_not_planned_again() {
        let mut inv = inventory();
        inv.stack = None;
        inv.bucket = None;
        if let Some(k) = inv.key.as_mut() {
            k.state = "PendingDeletion".into();
            k.deletion_date = Some("2026-12-30T00:00:00Z".into());
        }
        let plan = destroy_plan("shop", &inv);
        assert_eq!(plan.steps.len(), 1);
        assert!(matches!(
            plan.steps[0],
            DestroyStep::DeleteRepository { .. }
        ));
        assert!(plan.key_already_scheduled.is_some());
        inv.repository = None;
        assert!(destroy_plan("shop", &inv).is_empty());
    }
}
