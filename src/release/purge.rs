//! Which builds `hover stage purge` keeps (the newest, the live, the rollback target, the last
//! one live before) and which it deletes.

use super::{previous_live, rollback_target, Release};

/// What `hover stage purge` keeps and deletes: builds (by id) newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeChoice {
    /// Kept, each with why (`among the newest`, `live`, `rollback target`, `live before`).
    pub keep: Vec<(String, String)>,
    pub delete: Vec<String>,
}

/// Chooses the builds to delete: all but the newest `keep` (`builds` is `(build id, when)`, when
/// as an ISO 8601 time or empty), never a build any `live` alias points at (every one of them
/// when traffic is split), the one a rollback would go to, or the last one live before.
pub fn purge_choice(builds: &[(String, String)], releases: &[Release], keep: usize) -> PurgeChoice {
    let mut ordered: Vec<&(String, String)> = builds.iter().collect();
    ordered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    ordered.dedup_by(|a, b| a.0 == b.0);
    // Every build a `live` alias points at (all of them when traffic is split).
    let live: Vec<&str> = releases
        .iter()
        .filter(|r| !r.live_on.is_empty())
        .map(|r| r.build_id.as_str())
        .collect();
    let rollback = rollback_target(releases, None)
        .ok()
        .map(|r| r.build_id.as_str());
    let before = previous_live(releases).map(|r| r.build_id.as_str());
    let mut choice = PurgeChoice {
        keep: Vec::new(),
        delete: Vec::new(),
    };
    for (i, (id, _)) in ordered.into_iter().enumerate() {
        let why = if live.contains(&id.as_str()) {
            Some("live")
        } else if rollback == Some(id.as_str()) {
            Some("rollback target")
        } else if i < keep {
            Some("among the newest")
        } else if before == Some(id.as_str()) {
            Some("live before")
        } else {
            None
        };
        match why {
            Some(why) => choice.keep.push((id.clone(), why.to_string())),
            None => choice.delete.push(id.clone()),
        }
    }
    choice
}
