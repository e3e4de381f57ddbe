//! Where a rollback goes: the release it was asked for or the one live before, and why it may
//! not go anywhere.

use super::Release;

/// Why a rollback cannot go where it was asked to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum RollbackRefusal {
    #[error("the stage has no release yet: nothing was deployed with `hover deploy`")]
    #[diagnostic(code(hover::rollback::no_release))]
    NoRelease,
    #[error("no release is live on every function, so there is no \"previous\" one; name the release with --to BUILD_ID")]
    #[diagnostic(
        code(hover::rollback::no_live),
        help("`hover releases <stage>` lists them")
    )]
    NoLiveRelease,
    #[error("there is no release before the live one ({live}) to roll back to")]
    #[diagnostic(
        code(hover::rollback::nothing_before),
        help("`hover releases <stage>` lists the releases")
    )]
    NothingBefore { live: String },
    #[error("release `{0}` is unknown: no function has a version published for it")]
    #[diagnostic(
        code(hover::rollback::unknown),
        help("`hover releases <stage>` lists the releases")
    )]
    Unknown(String),
    #[error("release `{build_id}` is already live")]
    #[diagnostic(code(hover::rollback::already_live))]
    AlreadyLive { build_id: String },
    #[error("release `{build_id}` cannot be rolled back to: its versions of {} are gone", missing.join(", "))]
    #[diagnostic(
        code(hover::rollback::versions_gone),
        help("roll back to a release that `hover releases` lists with every function")
    )]
    VersionsGone {
        build_id: String,
        missing: Vec<String>,
    },
}

/// The release a rollback goes to: `to` when given; else the newest complete release older than
/// the live one that went live (a release whose deploy failed or stopped before the switch never
/// is); on a split stage, the release that was live last. `releases` newest first, as
/// [`super::releases`] returns them.
pub fn rollback_target<'a>(
    releases: &'a [Release],
    to: Option<&str>,
) -> Result<&'a Release, RollbackRefusal> {
    if releases.is_empty() {
        return Err(RollbackRefusal::NoRelease);
    }
    let complete = |r: &'a Release| -> Result<&'a Release, RollbackRefusal> {
        if r.missing.is_empty() {
            Ok(r)
        } else {
            Err(RollbackRefusal::VersionsGone {
                build_id: r.build_id.clone(),
                missing: r.missing.clone(),
            })
        }
    };
    if let Some(to) = to {
        let r = releases
            .iter()
            .find(|r| r.build_id == to)
            .ok_or_else(|| RollbackRefusal::Unknown(to.to_string()))?;
        if r.live {
            return Err(RollbackRefusal::AlreadyLive {
                build_id: r.build_id.clone(),
            });
        }
        return complete(r);
    }
    if let Some(live) = releases.iter().position(|r| r.live) {
        // The newest complete release older than the live one that served traffic (or may have,
        // from before the history): one whose deploy failed or stopped before the switch is skipped.
        return releases[live + 1..]
            .iter()
            .find(|r| r.missing.is_empty() && r.outcome.served())
            .ok_or_else(|| RollbackRefusal::NothingBefore {
                live: releases[live].build_id.clone(),
            });
    }
    // Traffic split: back to the release that was live last, else the oldest one some function
    // is still on.
    let partly: Vec<&Release> = releases
        .iter()
        .filter(|r| !r.live_on.is_empty() && r.missing.is_empty())
        .collect();
    partly
        .iter()
        .filter(|r| r.last_live.is_some())
        .max_by_key(|r| r.last_live)
        .or_else(|| partly.last())
        .copied()
        .ok_or(RollbackRefusal::NoLiveRelease)
}

/// The release that was live last before the live one(s): none is `live_on` any function now.
pub fn previous_live(releases: &[Release]) -> Option<&Release> {
    releases
        .iter()
        .filter(|r| r.live_on.is_empty() && r.last_live.is_some())
        .max_by_key(|r| r.last_live)
}
