//! CloudWatch Logs drift put back through its own API: a log group's retention.

use super::{fail, num, DirectError, Put};
use crate::live::quota::limited;

/// PutRetentionPolicy, or DeleteRetentionPolicy when the manifest keeps logs forever.
pub(super) async fn put_retention(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let logs = &put.clients.logs;
    match num(put.desired, "RetentionInDays") {
        Some(days) => limited(
            "logs",
            "PutRetentionPolicy",
            logs.put_retention_policy()
                .log_group_name(put.id)
                .retention_in_days(days)
                .send(),
        )
        .await
        .map(|_| ())
        .map_err(fail("CloudWatch Logs", "PutRetentionPolicy", put.id))?,
        None => limited(
            "logs",
            "DeleteRetentionPolicy",
            logs.delete_retention_policy().log_group_name(put.id).send(),
        )
        .await
        .map(|_| ())
        .map_err(fail("CloudWatch Logs", "DeleteRetentionPolicy", put.id))?,
    }
    Ok("CloudWatch Logs PutRetentionPolicy")
}
