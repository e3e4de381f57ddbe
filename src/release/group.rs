//! Published versions grouped into releases, newest first: which is live (on every function or
//! some) and what became of each, from the stage's history.

use super::history::{self, History, Outcome};
use serde::Serialize;
use std::collections::BTreeMap;

/// One published version of a function, as Lambda lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedVersion {
    pub version: u64,
    /// The build id the version was published for.
    pub description: String,
    /// Lambda's `LastModified` of the version (ISO 8601).
    pub last_modified: String,
}

/// A release: one build's versions, one per function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Release {
    pub build_id: String,
    /// When its newest version was published (Lambda's `LastModified`).
    pub published: String,
    /// Function name → version (the newest version published for this build).
    pub versions: BTreeMap<String, u64>,
    /// Every function's `live` alias points at this release's version.
    pub live: bool,
    /// The functions whose `live` points at this release's version (all of them when `live`;
    /// some when traffic is split).
    pub live_on: Vec<String>,
    /// Functions of the stage that have no version of this build (a rollback cannot go there).
    pub missing: Vec<String>,
    /// What became of it (live, was live, failed at a phase, never switched).
    pub outcome: Outcome,
    /// When it last went live (seconds since the epoch), from the stage's history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_live: Option<u64>,
}

/// Groups the functions' versions into releases, newest first. `versions`: function → its
/// published versions; `live`: function → the version its `live` alias points at (`None`:
/// `$LATEST` or no alias); `history`: the stage's release history, when it has one. Versions
/// without a description are not releases.
pub fn releases(
    versions: &BTreeMap<String, Vec<PublishedVersion>>,
    live: &BTreeMap<String, Option<u64>>,
    history: Option<&History>,
) -> Vec<Release> {
    let mut by_build: BTreeMap<String, Release> = BTreeMap::new();
    for (function, list) in versions {
        for v in list {
            if v.description.is_empty() {
                continue;
            }
            let r = by_build
                .entry(v.description.clone())
                .or_insert_with(|| Release {
                    build_id: v.description.clone(),
                    published: String::new(),
                    versions: BTreeMap::new(),
                    live: false,
                    live_on: vec![],
                    missing: vec![],
                    outcome: Outcome::Unrecorded,
                    last_live: None,
                });
            let newest = r.versions.entry(function.clone()).or_insert(v.version);
            *newest = (*newest).max(v.version);
            if v.last_modified > r.published {
                r.published = v.last_modified.clone();
            }
        }
    }
    let mut out: Vec<Release> = by_build
        .into_values()
        .map(|mut r| {
            r.missing = versions
                .keys()
                .filter(|f| !r.versions.contains_key(*f))
                .cloned()
                .collect();
            r.live = r.missing.is_empty()
                && !live.is_empty()
                && live
                    .iter()
                    .all(|(f, v)| v.is_some() && r.versions.get(f) == v.as_ref());
            r.live_on = live
                .iter()
                .filter(|(f, v)| {
                    v.is_some_and(|v| {
                        versions.get(*f).is_some_and(|l| {
                            l.iter()
                                .any(|x| x.version == v && x.description == r.build_id)
                        })
                    })
                })
                .map(|(f, _)| f.clone())
                .collect();
            r.last_live = history.and_then(|h| h.last_live(&r.build_id));
            r.outcome = outcome(&r, history);
            r
        })
        .collect();
    // Newest first: by publication time, then by build id (ids sort by time too).
    out.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| b.build_id.cmp(&a.build_id))
    });
    out
}

/// What became of release `r`, from where `live` points and the history.
fn outcome(r: &Release, history: Option<&History>) -> Outcome {
    if r.live {
        return Outcome::Live;
    }
    if !r.live_on.is_empty() {
        return Outcome::PartlyLive {
            functions: r.live_on.clone(),
        };
    }
    let Some(h) = history else {
        return Outcome::Unrecorded;
    };
    let record = h.builds.get(&r.build_id);
    if record.is_some_and(|b| !b.went_live.is_empty()) {
        return Outcome::WasLive;
    }
    if let Some(f) = record.and_then(|b| b.failed.as_ref()) {
        return Outcome::Failed {
            phase: f.phase.clone(),
        };
    }
    match history::iso_seconds(&r.published) {
        Some(at) if at >= h.started => Outcome::NeverSwitched,
        _ => Outcome::Unrecorded,
    }
}
