//! The check of the account's Lambda quotas against the concurrency the stage asks for.

use super::setup::short_error;
use super::{Check, Status};
use crate::live::{self, Clients};
use crate::manifest::Manifest;

/// Lambda keeps this much of an account's concurrency unreserved: no reservation may go below it.
pub const LAMBDA_MIN_UNRESERVED: i64 = 100;

/// What the stage asks of the account's Lambda concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcurrencyNeed {
    /// Reserved by the manifest's functions, in total.
    pub wanted: i64,
    /// Reserved by the stage's functions now.
    pub reserved_now: i64,
}

/// Whether the account can give the stage its reservations: what it adds to the reservations
/// must leave Lambda's minimum unreserved. `Err` says by how much it is short.
pub fn concurrency_fits(
    need: ConcurrencyNeed,
    account: &live::account::LambdaAccount,
) -> Result<i64, i64> {
    let more = (need.wanted - need.reserved_now).max(0);
    let room = account.unreserved_concurrent_executions - LAMBDA_MIN_UNRESERVED;
    if more == 0 {
        Ok(room.max(0))
    } else if more <= room {
        Ok(room - more)
    } else {
        Err(more - room.max(0))
    }
}

/// The reserved concurrency the manifest asks for (`0` reserves nothing).
pub fn wanted_concurrency(manifest: &Manifest) -> i64 {
    std::iter::once(manifest.http.concurrency)
        .chain(std::iter::once(manifest.cli.concurrency))
        .chain(manifest.queue.values().map(|w| w.concurrency))
        .flatten()
        .map(i64::from)
        .sum()
}

/// The reserved concurrency the stage's functions hold now.
pub(super) fn reserved_now(observed: Option<&crate::model::ObservedStage>) -> i64 {
    observed
        .map(|o| {
            o.resources
                .values()
                .filter(|r| r.resource_type == crate::model::ResourceKind::Function)
                .filter_map(|r| r.properties.get("ReservedConcurrentExecutions")?.as_i64())
                .sum()
        })
        .unwrap_or(0)
}

pub(super) async fn quotas_check(
    manifest: &Manifest,
    clients: &Clients,
    observed: Option<&crate::model::ObservedStage>,
) -> Check {
    let name = "quotas";
    let functions = 2 + manifest.queue.len();
    let queues: usize = manifest.queue.values().map(|w| w.queues.len()).sum();
    let others = format!(
        "the stage has {functions} functions and {} queues ({queues} and their dead-letter queues; SQS sets no limit on queues)",
        2 * queues
    );
    let account = match live::account::lambda_account(clients).await {
        Ok(a) => a,
        Err(e) => {
            return Check::new(
                name,
                Status::Warn,
                format!(
                    "the account's Lambda settings could not be read ({})",
                    short_error(&e.to_string())
                ),
            )
            .remedy("allow lambda:GetAccountSettings (examples/ci/policy-plan.json) to check the concurrency the stage reserves")
            .details(vec![others]);
        }
    };
    let need = ConcurrencyNeed {
        wanted: wanted_concurrency(manifest),
        reserved_now: reserved_now(observed),
    };
    let summary = format!(
        "Lambda concurrency: quota {}, unreserved {}; the stage reserves {} (now {})",
        account.concurrent_executions,
        account.unreserved_concurrent_executions,
        need.wanted,
        need.reserved_now
    );
    let details = vec![
        others,
        format!(
            "the account has {} functions in {}",
            account.function_count, manifest.region
        ),
    ];
    match concurrency_fits(need, &account) {
        Ok(left) => Check::new(
            name,
            Status::Pass,
            format!("{summary}: {left} left to reserve after it"),
        )
        .details(details),
        Err(short) => Check::new(
            name,
            Status::Fail,
            format!(
                "{summary}: {short} more than the account can reserve (Lambda keeps {LAMBDA_MIN_UNRESERVED} unreserved)"
            ),
        )
        .remedy("lower the `concurrency` of the stage's functions, free reservations of other functions, or ask for a higher \"Concurrent executions\" quota (Service Quotas, AWS Lambda)")
        .details(details),
    }
}
