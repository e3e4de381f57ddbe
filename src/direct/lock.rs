//! The stage lock's object (and the release history's) in the stage's bucket, written with S3's
//! conditional writes: created only when absent (`If-None-Match: *`), replaced only when unchanged
//! (`If-Match: <etag>`), and deleted only when unchanged.

use super::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_s3::primitives::ByteStream;

/// What a conditional write found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockWrite {
    /// The object was written: the lock is ours.
    Written,
    /// Someone else's object is there (or changed since it was read).
    Held,
}

fn precondition_failed<E>(e: &aws_sdk_s3::error::SdkError<E>) -> bool {
    e.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 412 | 409))
}

/// Writes `body` at `key` only if no object is there (`if_match: None`) or only if the object
/// there still has ETag `if_match`.
pub async fn write_lock(
    clients: &Clients,
    bucket: &str,
    key: &str,
    body: &str,
    if_match: Option<&str>,
) -> Result<LockWrite, DirectError> {
    let mut put = clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body.as_bytes().to_vec()));
    put = match if_match {
        Some(etag) => put.if_match(etag),
        None => put.if_none_match("*"),
    };
    acquire("s3", "PutObject").await;
    match put.send().await {
        Ok(_) => Ok(LockWrite::Written),
        Err(e) if precondition_failed(&e) => Ok(LockWrite::Held),
        Err(e) => Err(fail("S3", "PutObject", key)(e)),
    }
}

/// Deletes the object at `key` only while its ETag is `etag`: `Held` when it changed (another
/// run's object is there now) and was left alone.
pub async fn delete_lock(
    clients: &Clients,
    bucket: &str,
    key: &str,
    etag: &str,
) -> Result<LockWrite, DirectError> {
    acquire("s3", "DeleteObject").await;
    match clients
        .s3
        .delete_object()
        .bucket(bucket)
        .key(key)
        .if_match(etag)
        .send()
        .await
    {
        Ok(_) => Ok(LockWrite::Written),
        Err(e) if precondition_failed(&e) => Ok(LockWrite::Held),
        Err(e) => Err(fail("S3", "DeleteObject", key)(e)),
    }
}

/// The object's body and ETag, when there is one (none either when the bucket is gone).
pub async fn read_lock(
    clients: &Clients,
    bucket: &str,
    key: &str,
) -> Result<Option<(String, String)>, DirectError> {
    acquire("s3", "GetObject").await;
    match clients.s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().to_string();
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| super::err("S3", "GetObject", key, e.to_string()))?
                .into_bytes();
            Ok(Some((String::from_utf8_lossy(&bytes).into_owned(), etag)))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e)
            if aws_sdk_s3::error::ProvideErrorMetadata::code(&e) == Some("NoSuchBucket")
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Ok(None)
        }
        Err(e) => Err(fail("S3", "GetObject", key)(e)),
    }
}
