//! Releases: what a build id is ([`build_id`]), how the published Lambda versions of a stage's
//! functions group into releases ([`group`]), where a rollback goes ([`rollback`]), which builds a
//! purge keeps ([`purge`]), the runtime's CLI payloads and answers ([`command`]), a build's assets
//! ([`assets`]), and what a build, a deploy and a rollback did ([`records`], the data their
//! summaries render). Pure, except [`aws`], where the SDK types stop: Lambda versions and `live`,
//! the registry login (`aws::registry`) and the asset upload (`aws::assets`).

pub mod assets;
pub mod aws;
pub mod build_id;
pub mod command;
pub mod group;
pub mod history;
pub mod purge;
pub mod records;
pub mod rollback;

pub use build_id::{new_build_id, valid_build_id};
pub use command::{artisan_command, command_payload, command_result, warmer_ping, CommandResult};
pub use group::{releases, PublishedVersion, Release};
pub use history::{History, Outcome};
pub use purge::{purge_choice, PurgeChoice};
pub use records::{BuildRecord, DeploySummary, Move, RollbackOutcome};
pub use rollback::{previous_live, rollback_target, RollbackRefusal};

/// Name of the alias every function is invoked through (and that deploy and rollback move).
pub const ALIAS: &str = crate::stage::ALIAS;

#[cfg(test)]
mod tests;
