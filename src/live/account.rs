//! Who the credentials are and what the account allows: the caller's identity (STS) and the
//! account's Lambda settings (its concurrency quota, the part of it left unreserved, its function
//! count), as plain data for `hover doctor`.

use super::quota::acquire;
use super::{aws_error, Clients, LiveError};

/// The caller: its account and ARN (a user, a role session...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// The credentials' identity (STS GetCallerIdentity, which needs no permission).
pub async fn caller_identity(clients: &Clients) -> Result<Identity, LiveError> {
    acquire("sts", "GetCallerIdentity").await;
    let out = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("sts", "GetCallerIdentity", "the caller identity", e))?;
    let account = out.account().ok_or(LiveError::Incomplete {
        service: "sts",
        operation: "GetCallerIdentity",
        resource: "the caller identity".to_owned(),
        missing: "an account id",
    })?;
    Ok(Identity {
        account: account.to_owned(),
        arn: out.arn().unwrap_or_default().to_owned(),
    })
}

/// The account's Lambda quotas and use in the region (GetAccountSettings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LambdaAccount {
    /// The concurrency quota of the account in the region.
    pub concurrent_executions: i64,
    /// What no function reserves (Lambda keeps at least 100 of it unreserved).
    pub unreserved_concurrent_executions: i64,
    /// Functions in the region.
    pub function_count: i64,
}

/// The account's Lambda settings.
pub async fn lambda_account(clients: &Clients) -> Result<LambdaAccount, LiveError> {
    acquire("lambda", "GetAccountSettings").await;
    let out = clients
        .lambda
        .get_account_settings()
        .send()
        .await
        .map_err(|e| aws_error("lambda", "GetAccountSettings", "the account's settings", e))?;
    let limit = out.account_limit().ok_or(LiveError::Incomplete {
        service: "lambda",
        operation: "GetAccountSettings",
        resource: "the account's settings".to_owned(),
        missing: "its limits",
    })?;
    let concurrent = i64::from(limit.concurrent_executions());
    Ok(LambdaAccount {
        concurrent_executions: concurrent,
        unreserved_concurrent_executions: limit
            .unreserved_concurrent_executions()
            .map(i64::from)
            .unwrap_or(concurrent),
        function_count: out.account_usage().map_or(0, |u| u.function_count()),
    })
}
