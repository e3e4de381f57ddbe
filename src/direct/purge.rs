//! What old builds leave in AWS and their deletion: images in the stage's repository and
//! `assets/<build-id>/` prefixes in its bucket, deleted in batches within the APIs' limits
//! (BatchDeleteImage: 100 images, DeleteObjects: 1,000 keys, shared with teardown).

use super::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_ecr::types::ImageIdentifier;
use aws_sdk_s3::types::ObjectIdentifier;
use aws_smithy_types::date_time::Format;

/// Images per BatchDeleteImage call.
pub const IMAGE_BATCH: usize = 100;

/// Every tagged image of `repository`: (tag, when it was pushed, ISO 8601). A missing repository
/// has none.
pub async fn repository_images(
    clients: &Clients,
    repository: &str,
) -> Result<Vec<(String, String)>, DirectError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        acquire("ecr", "DescribeImages").await;
        let page = match clients
            .ecr
            .describe_images()
            .repository_name(repository)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(fail("ECR", "DescribeImages", repository)(e)),
        };
        for image in page.image_details() {
            let pushed = image
                .image_pushed_at()
                .and_then(|t| t.fmt(Format::DateTime).ok())
                .unwrap_or_default();
            for tag in image.image_tags() {
                out.push((tag.clone(), pushed.clone()));
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The build ids with assets in `bucket` (the `assets/<build-id>/` prefixes). A missing bucket has none.
pub async fn asset_builds(clients: &Clients, bucket: &str) -> Result<Vec<String>, DirectError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        acquire("s3", "ListObjectsV2").await;
        let page = match clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix("assets/")
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_bucket()) => {
                return Ok(out)
            }
            Err(e) => return Err(fail("S3", "ListObjectsV2", bucket)(e)),
        };
        for p in page.common_prefixes() {
            if let Some(id) = p
                .prefix()
                .and_then(|p| p.strip_prefix("assets/"))
                .and_then(|p| p.strip_suffix('/'))
            {
                out.push(id.to_string());
            }
        }
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Deletes the images tagged `tags` from `repository`, [`IMAGE_BATCH`] at a time; returns how
/// many were deleted.
pub async fn delete_images(
    clients: &Clients,
    repository: &str,
    tags: &[String],
) -> Result<usize, DirectError> {
    let mut deleted = 0;
    for chunk in tags.chunks(IMAGE_BATCH) {
        let ids: Vec<ImageIdentifier> = chunk
            .iter()
            .map(|t| ImageIdentifier::builder().image_tag(t).build())
            .collect();
        acquire("ecr", "BatchDeleteImage").await;
        let out = clients
            .ecr
            .batch_delete_image()
            .repository_name(repository)
            .set_image_ids(Some(ids))
            .send()
            .await
            .map_err(fail("ECR", "BatchDeleteImage", repository))?;
        deleted += out.image_ids().len();
    }
    Ok(deleted)
}

/// Deletes every object under `prefix` in `bucket`, a listing page (at most
/// [`super::teardown::DELETE_BATCH`] keys) at a time; returns how many.
pub async fn delete_prefix(
    clients: &Clients,
    bucket: &str,
    prefix: &str,
) -> Result<usize, DirectError> {
    let mut deleted = 0;
    loop {
        acquire("s3", "ListObjectsV2").await;
        let page = clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(super::teardown::DELETE_BATCH as i32)
            .send()
            .await
            .map_err(fail("S3", "ListObjectsV2", prefix))?;
        let keys: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if keys.is_empty() {
            return Ok(deleted);
        }
        deleted += super::teardown::delete_objects(clients, bucket, &keys).await? as usize;
    }
}
