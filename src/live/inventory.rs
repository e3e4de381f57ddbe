//! What a destroy must know beyond the stack: messages per queue, objects in the assets bucket,
//! images in the repository, and the secrets key's state. Absent things are absent, not errors.

use super::error::{aws_error, is_not_found};
use super::{Clients, LiveError};
use crate::model::{ResourceKind, StackState};
use crate::plan::destroy::{Inventory, KeyInfo};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::BTreeMap;

/// Reads the inventory of the stage named `name` whose stack (if any) is `stack`.
pub async fn read(
    clients: &Clients,
    name: &str,
    stack: Option<StackState>,
) -> Result<Inventory, LiveError> {
    let mut queue_messages = BTreeMap::new();
    if let Some(stack) = &stack {
        for r in stack.resources.values() {
            if r.resource_type != ResourceKind::Queue || r.physical_id.is_empty() {
                continue;
            }
            if let Some(n) = messages(clients, &r.physical_id).await? {
                queue_messages.insert(r.physical_id.clone(), n);
            }
        }
    }
    let bucket_name = crate::naming::bucket(name);
    let alias = crate::naming::secrets_key_alias(name);
    let (bucket, repository, key) = futures::try_join!(
        objects(clients, &bucket_name),
        images(clients, name),
        key(clients, &alias),
    )?;
    Ok(Inventory {
        stack,
        queue_messages,
        bucket: bucket.map(|n| (bucket_name, n)),
        repository: repository.map(|n| (name.to_string(), n)),
        key,
    })
}

/// Messages waiting, in flight and delayed in the queue at `url`; `None` when it is gone.
async fn messages(clients: &Clients, url: &str) -> Result<Option<u64>, LiveError> {
    super::quota::acquire("sqs", "GetQueueAttributes").await;
    let out = match clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error("sqs", "GetQueueAttributes", url, e)),
    };
    let total = out
        .attributes()
        .map(|a| {
            a.values()
                .filter_map(|v| v.trim().parse::<u64>().ok())
                .sum::<u64>()
        })
        .unwrap_or(0);
    Ok(Some(total))
}

/// Objects in the bucket; `None` when it does not exist.
async fn objects(clients: &Clients, bucket: &str) -> Result<Option<u64>, LiveError> {
    let mut count = 0u64;
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = {
        super::quota::acquire("s3", "ListObjectsV2").await;
        pages.next().await
    } {
        match page {
            Ok(p) => count += p.contents().len() as u64,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error("s3", "ListObjectsV2", bucket, e)),
        }
    }
    Ok(Some(count))
}

/// Images in the repository; `None` when it does not exist.
async fn images(clients: &Clients, repository: &str) -> Result<Option<u64>, LiveError> {
    let mut count = 0u64;
    let mut pages = clients
        .ecr
        .list_images()
        .repository_name(repository)
        .into_paginator()
        .send();
    while let Some(page) = {
        super::quota::acquire("ecr", "ListImages").await;
        pages.next().await
    } {
        match page {
            Ok(p) => count += p.image_ids().len() as u64,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error("ecr", "ListImages", repository, e)),
        }
    }
    Ok(Some(count))
}

/// The key behind `alias`; `None` when there is none.
async fn key(clients: &Clients, alias: &str) -> Result<Option<KeyInfo>, LiveError> {
    super::quota::acquire("kms", "DescribeKey").await;
    let out = match clients.kms.describe_key().key_id(alias).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error("kms", "DescribeKey", alias, e)),
    };
    Ok(out.key_metadata().map(|m| KeyInfo {
        alias: alias.to_string(),
        key_id: m.key_id().to_string(),
        state: m
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        deletion_date: m.deletion_date().map(|d| {
            d.fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default()
        }),
    }))
}
