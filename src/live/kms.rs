//! KMS reader: the stage's key, found through its alias, with its rotation status.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

const SERVICE: &str = "kms";

/// `AWS::KMS::Key` by alias (`alias/...`): DescribeKey (NotFoundException: absent) and
/// GetKeyRotationStatus. A key that is not usable (pending deletion, ...) is reported with
/// `Enabled: false` and its `KeyState`; its rotation status is then `null`.
pub async fn read_key(
    ctx: &ReadContext<'_>,
    alias: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let kms = &ctx.clients.kms;
    acquire(SERVICE, "DescribeKey").await;
    let out = match kms.describe_key().key_id(alias).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "DescribeKey", alias, e)),
    };
    let Some(meta) = out.key_metadata() else {
        return Err(LiveError::Incomplete {
            service: SERVICE,
            operation: "DescribeKey",
            resource: alias.to_owned(),
            missing: "key metadata",
        });
    };
    let key_id = meta.key_id();
    let state = meta.key_state().map(|s| s.as_str());
    acquire(SERVICE, "GetKeyRotationStatus").await;
    let rotation = match kms.get_key_rotation_status().key_id(key_id).send().await {
        Ok(out) => Value::Bool(out.key_rotation_enabled()),
        Err(e) if e.code() == Some("KMSInvalidStateException") => Value::Null,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetKeyRotationStatus", alias, e)),
    };
    let mut properties = object([
        ("Description", string(meta.description())),
        ("KeyUsage", string(meta.key_usage().map(|u| u.as_str()))),
        ("Enabled", Value::Bool(meta.enabled())),
        ("EnableKeyRotation", rotation),
    ]);
    if let Some(state) = state.filter(|s| !matches!(*s, "Enabled" | "Disabled")) {
        properties.insert("KeyState".to_owned(), Value::from(state));
    }
    let arn = meta.arn().unwrap_or_default();
    Ok(Some(resource(
        ResourceKind::Key,
        key_id,
        [("Ref", key_id), ("KeyId", key_id), ("Arn", arn)],
        properties,
    )))
}
