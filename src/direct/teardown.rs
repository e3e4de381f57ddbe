//! Deletions of `hover destroy` outside the stack: the assets bucket (emptied first, in batches of
//! S3's limit), the image repository, and the secrets key (scheduled for deletion after a waiting
//! period; its alias removed so a new stage of the same name gets a new key). Each is a no-op when
//! the thing is already gone, so a rerun finishes the job. SDK types stop here.

use super::{fail, DirectError};
use crate::live::error::is_not_found;
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

/// S3's limit of keys per DeleteObjects call.
pub const DELETE_BATCH: usize = 1000;

/// Deletes every object (and object version) of `bucket`, then the bucket. Returns the number of
/// objects deleted.
pub async fn empty_and_delete_bucket(clients: &Clients, bucket: &str) -> Result<u64, DirectError> {
    let mut deleted = 0u64;
    loop {
        acquire("s3", "ListObjectVersions").await;
        let listed = match clients
            .s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(deleted),
            Err(e) => return Err(fail("S3", "ListObjectVersions", bucket)(e)),
        };
        let mut ids: Vec<ObjectIdentifier> = Vec::new();
        for v in listed.versions() {
            if let Some(key) = v.key() {
                let mut id = ObjectIdentifier::builder().key(key);
                if let Some(version) = v.version_id().filter(|v| *v != "null") {
                    id = id.version_id(version);
                }
                if let Ok(id) = id.build() {
                    ids.push(id);
                }
            }
        }
        for m in listed.delete_markers() {
            if let (Some(key), Some(version)) = (m.key(), m.version_id()) {
                if let Ok(id) = ObjectIdentifier::builder()
                    .key(key)
                    .version_id(version)
                    .build()
                {
                    ids.push(id);
                }
            }
        }
        if ids.is_empty() {
            break;
        }
        deleted += delete_objects(clients, bucket, &ids).await?;
    }
    acquire("s3", "DeleteBucket").await;
    match clients.s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(deleted),
        Err(e) if is_not_found(&e) => Ok(deleted),
        Err(e) => Err(fail("S3", "DeleteBucket", bucket)(e)),
    }
}

/// Deletes `ids` from `bucket`, [`DELETE_BATCH`] at a time; any key S3 could not delete is an
/// error naming it. Returns how many were deleted.
pub async fn delete_objects(
    clients: &Clients,
    bucket: &str,
    ids: &[ObjectIdentifier],
) -> Result<u64, DirectError> {
    let mut deleted = 0;
    for batch in ids.chunks(DELETE_BATCH) {
        let delete = Delete::builder()
            .set_objects(Some(batch.to_vec()))
            .quiet(true)
            .build()
            .map_err(fail("S3", "DeleteObjects", bucket))?;
        acquire("s3", "DeleteObjects").await;
        let out = clients
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(fail("S3", "DeleteObjects", bucket))?;
        if let Some(first) = out.errors().first() {
            return Err(super::err(
                "S3",
                "DeleteObjects",
                bucket,
                format!(
                    "{} objects could not be deleted, e.g. `{}`: {}",
                    out.errors().len(),
                    first.key().unwrap_or_default(),
                    first.message().unwrap_or_default()
                ),
            ));
        }
        deleted += batch.len() as u64;
    }
    Ok(deleted)
}

/// Deletes the repository and every image in it.
pub async fn delete_repository(clients: &Clients, repository: &str) -> Result<(), DirectError> {
    acquire("ecr", "DeleteRepository").await;
    match clients
        .ecr
        .delete_repository()
        .repository_name(repository)
        .force(true)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(fail("ECR", "DeleteRepository", repository)(e)),
    }
}

/// Schedules the key for deletion after `days` and removes its alias. Returns the deletion date
/// (RFC 3339) when KMS gives one.
pub async fn schedule_key_deletion(
    clients: &Clients,
    alias: &str,
    key_id: &str,
    days: i32,
) -> Result<Option<String>, DirectError> {
    acquire("kms", "ScheduleKeyDeletion").await;
    let date = match clients
        .kms
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(days)
        .send()
        .await
    {
        Ok(out) => out.deletion_date().map(|d| {
            d.fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default()
        }),
        Err(e) if is_not_found(&e) => None,
        Err(e) => return Err(fail("KMS", "ScheduleKeyDeletion", key_id)(e)),
    };
    acquire("kms", "DeleteAlias").await;
    match clients.kms.delete_alias().alias_name(alias).send().await {
        Ok(_) => Ok(date),
        Err(e) if is_not_found(&e) => Ok(date),
        Err(e) => Err(fail("KMS", "DeleteAlias", alias)(e)),
    }
}
