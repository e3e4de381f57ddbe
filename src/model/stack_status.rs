//! The status of a CloudFormation stack, and what it says: an operation running, settled,
//! failed, rolled back, awaiting review, gone. The one place a status is classified; every
//! other layer asks it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A CloudFormation stack status (`StackStatus`). A status CloudFormation adds later is kept as
/// written ([`StackStatus::Other`]) and classified by its suffix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum StackStatus {
    CreateInProgress,
    CreateComplete,
    CreateFailed,
    DeleteInProgress,
    DeleteComplete,
    DeleteFailed,
    ImportInProgress,
    ImportComplete,
    ImportRollbackInProgress,
    ImportRollbackComplete,
    ImportRollbackFailed,
    ReviewInProgress,
    RollbackInProgress,
    RollbackComplete,
    RollbackFailed,
    UpdateInProgress,
    UpdateCompleteCleanupInProgress,
    UpdateComplete,
    UpdateFailed,
    UpdateRollbackInProgress,
    UpdateRollbackCompleteCleanupInProgress,
    UpdateRollbackComplete,
    UpdateRollbackFailed,
    /// A status this table does not know, as CloudFormation wrote it.
    Other(String),
}

use StackStatus as S;

/// Every known status with CloudFormation's name for it.
const NAMES: &[(StackStatus, &str)] = &[
    (S::CreateInProgress, "CREATE_IN_PROGRESS"),
    (S::CreateComplete, "CREATE_COMPLETE"),
    (S::CreateFailed, "CREATE_FAILED"),
    (S::DeleteInProgress, "DELETE_IN_PROGRESS"),
    (S::DeleteComplete, "DELETE_COMPLETE"),
    (S::DeleteFailed, "DELETE_FAILED"),
    (S::ImportInProgress, "IMPORT_IN_PROGRESS"),
    (S::ImportComplete, "IMPORT_COMPLETE"),
    (S::ImportRollbackInProgress, "IMPORT_ROLLBACK_IN_PROGRESS"),
    (S::ImportRollbackComplete, "IMPORT_ROLLBACK_COMPLETE"),
    (S::ImportRollbackFailed, "IMPORT_ROLLBACK_FAILED"),
    (S::ReviewInProgress, "REVIEW_IN_PROGRESS"),
    (S::RollbackInProgress, "ROLLBACK_IN_PROGRESS"),
    (S::RollbackComplete, "ROLLBACK_COMPLETE"),
    (S::RollbackFailed, "ROLLBACK_FAILED"),
    (S::UpdateInProgress, "UPDATE_IN_PROGRESS"),
    (
        S::UpdateCompleteCleanupInProgress,
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    ),
    (S::UpdateComplete, "UPDATE_COMPLETE"),
    (S::UpdateFailed, "UPDATE_FAILED"),
    (S::UpdateRollbackInProgress, "UPDATE_ROLLBACK_IN_PROGRESS"),
    (
        S::UpdateRollbackCompleteCleanupInProgress,
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    ),
    (S::UpdateRollbackComplete, "UPDATE_ROLLBACK_COMPLETE"),
    (S::UpdateRollbackFailed, "UPDATE_ROLLBACK_FAILED"),
];

impl StackStatus {
    /// The status CloudFormation names `name`.
    pub fn parse(name: &str) -> StackStatus {
        NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or_else(|| S::Other(name.to_string()), |(s, _)| s.clone())
    }

    /// CloudFormation's name for it.
    pub fn as_str(&self) -> &str {
        match self {
            S::Other(name) => name,
            known => NAMES
                .iter()
                .find(|(s, _)| s == known)
                .map_or("", |(_, n)| n),
        }
    }

    /// An operation is under way (`*_IN_PROGRESS`, the cleanup phases included), or a change set
    /// awaits execution (`REVIEW_IN_PROGRESS`).
    pub fn in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// An operation runs on the stack now: in progress, except a stack awaiting review (on
    /// which nothing runs).
    pub fn operation_running(&self) -> bool {
        self.in_progress() && !self.awaiting_review()
    }

    /// Created by a change set never executed: the stack holds no resources.
    pub fn awaiting_review(&self) -> bool {
        *self == S::ReviewInProgress
    }

    /// The last operation failed (`*_FAILED`).
    pub fn failed(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }

    /// A rollback ran, runs or failed (`*ROLLBACK*`).
    pub fn rollback(&self) -> bool {
        self.as_str().contains("ROLLBACK")
    }

    /// A rollback of a failed operation has begun (`*ROLLBACK_IN_PROGRESS`).
    pub fn rolling_back(&self) -> bool {
        self.as_str().ends_with("ROLLBACK_IN_PROGRESS")
    }

    /// The stack operation did not do what was asked: it failed or was rolled back.
    pub fn unsuccessful(&self) -> bool {
        self.failed() || self.rollback()
    }

    /// The stack is gone (`DELETE_COMPLETE`).
    pub fn deleted(&self) -> bool {
        *self == S::DeleteComplete
    }

    /// A failed creation that was rolled back or whose rollback failed: CloudFormation cannot
    /// update the stack; it must be deleted.
    pub fn failed_creation(&self) -> bool {
        matches!(self, S::RollbackComplete | S::RollbackFailed)
    }

    /// Settled, and able to take an update: the last operation completed or was rolled back
    /// cleanly to the state before it.
    pub fn updatable(&self) -> bool {
        matches!(
            self,
            S::CreateComplete
                | S::UpdateComplete
                | S::UpdateRollbackComplete
                | S::ImportComplete
                | S::ImportRollbackComplete
        )
    }
}

impl From<String> for StackStatus {
    fn from(name: String) -> Self {
        StackStatus::parse(&name)
    }
}

impl From<&str> for StackStatus {
    fn from(name: &str) -> Self {
        StackStatus::parse(name)
    }
}

impl From<StackStatus> for String {
    fn from(status: StackStatus) -> Self {
        status.as_str().to_string()
    }
}

impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_classify() {
        for (status, name) in NAMES {
            assert_eq!(StackStatus::parse(name), *status);
            assert_eq!(status.as_str(), *name);
        }
        let other = StackStatus::parse("SOMETHING_NEW_IN_PROGRESS");
        assert_eq!(other.as_str(), "SOMETHING_NEW_IN_PROGRESS");
        assert!(other.operation_running());
        assert!(S::ReviewInProgress.in_progress() && !S::ReviewInProgress.operation_running());
        assert!(S::UpdateCompleteCleanupInProgress.operation_running());
        assert!(S::UpdateRollbackComplete.rollback() && S::UpdateRollbackComplete.updatable());
        assert!(S::UpdateRollbackComplete.unsuccessful());
        assert!(!S::UpdateComplete.unsuccessful() && S::UpdateComplete.updatable());
        assert!(S::DeleteFailed.failed() && !S::DeleteFailed.rollback());
        assert!(S::UpdateRollbackInProgress.rolling_back() && S::RollbackInProgress.rolling_back());
        assert!(!S::UpdateRollbackComplete.rolling_back());
        assert!(
            S::RollbackComplete.failed_creation() && !S::UpdateRollbackFailed.failed_creation()
        );
        assert!(S::DeleteComplete.deleted() && !S::DeleteFailed.deleted());
        let json = serde_json::to_string(&S::UpdateComplete).unwrap_or_default();
        assert_eq!(json, "\"UPDATE_COMPLETE\"");
        let back: StackStatus = serde_json::from_str(&json).unwrap_or(S::Other(String::new()));
        assert_eq!(back, S::UpdateComplete);
    }
}
