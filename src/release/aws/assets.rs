//! A build's assets uploaded to the stage's bucket (S3), keys already there skipped; SDK types stop
//! here.

use crate::direct::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use crate::release::assets::{content_type, AssetUpload, ASSET_CACHE_CONTROL, UPLOAD_CONCURRENCY};
use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Uploads `files` (relative key, local path) under `prefix` in `bucket`, at most
/// [`UPLOAD_CONCURRENCY`] at a time, with their Content-Type, [`ASSET_CACHE_CONTROL`] and no ACL;
/// keys already under the prefix are skipped.
pub async fn upload_assets(
    clients: &Clients,
    bucket: &str,
    prefix: &str,
    files: &[(String, PathBuf)],
) -> Result<AssetUpload, DirectError> {
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut existing = BTreeSet::new();
    while let Some(page) = {
        acquire("s3", "ListObjectsV2").await;
        pages.next().await
    } {
        let page = page.map_err(fail("S3", "ListObjectsV2", bucket))?;
        existing.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    let todo: Vec<(String, &PathBuf)> = files
        .iter()
        .map(|(rel, path)| (format!("{prefix}{rel}"), path))
        .filter(|(key, _)| !existing.contains(key))
        .collect();
    let skipped = files.len() - todo.len();
    let sizes: Vec<u64> = futures::stream::iter(todo.into_iter().map(|(key, path)| async move {
        let body = std::fs::read(path).map_err(|e| {
            crate::direct::err(
                "S3",
                "PutObject",
                &key,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let size = body.len() as u64;
        acquire("s3", "PutObject").await;
        clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type(content_type(&key))
            .cache_control(ASSET_CACHE_CONTROL)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(fail("S3", "PutObject", &key))?;
        Ok::<u64, DirectError>(size)
    }))
    .buffer_unordered(UPLOAD_CONCURRENCY)
    .try_collect()
    .await?;
    Ok(AssetUpload {
        uploaded: sizes.len(),
        skipped,
        bytes: sizes.iter().sum(),
    })
}
