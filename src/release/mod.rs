//! Releases: what a build id is, how the published Lambda versions of a stage's functions group
//! into releases, which release is live and which one a rollback goes to, and the runtime's CLI
//! payloads and answers. Pure, except [`aws`], where the Lambda SDK types stop.

pub mod aws;
pub mod history;

pub use history::{History, Outcome};

use serde::Serialize;
use std::collections::BTreeMap;

/// Name of the alias every function is invoked through (and that deploy and rollback move).
pub const ALIAS: &str = crate::stage::ALIAS;

/// Whether `id` can be a build id: an image tag, an S3 key segment and a version description at
/// once (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
pub fn valid_build_id(id: &str) -> bool {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && id.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A new build id: the UTC time to the millisecond (so ids sort by time), then the short commit
/// when the project is a git work tree, marked `-dirty` when the tree has uncommitted changes.
/// `unix_ms` is milliseconds since the Unix epoch.
pub fn new_build_id(unix_ms: u128, commit: Option<(&str, bool)>) -> String {
    let secs = (unix_ms / 1000) as i64;
    let millis = (unix_ms % 1000) as u32;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (h, mi, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let mut id = format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}-{millis:03}");
    if let Some((sha, dirty)) = commit {
        let short: String = sha.chars().take(7).collect();
        if !short.is_empty() {
            id.push('-');
            id.push_str(&short);
            if dirty {
                id.push_str("-dirty");
            }
        }
    }
    id
}

/// Days since 1970-01-01 to a (year, month, day) of the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

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
/// [`releases`] returns them.
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

/// The artisan command as the runtime expects it: a leading `php artisan` dropped.
pub fn artisan_command(command: &str) -> String {
    crate::manifest::strip_artisan(command).to_string()
}

/// The CLI function's payload for `command`, built by a JSON serializer (quotes, newlines and any
/// character stay exactly as given).
pub fn command_payload(command: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "command": artisan_command(command) }))
        .unwrap_or_default()
}

/// The warmer's ping to one container.
pub fn warmer_ping() -> Vec<u8> {
    br#"{"warmer_ping":true}"#.to_vec()
}

/// What a command run on the CLI function answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandResult {
    /// The runtime ran the command: its output (decoded) and exit code.
    Ran { output: String, exit_code: i64 },
    /// The function failed (an unhandled error, a timeout): Lambda's error type and message.
    FunctionError { kind: String, message: String },
}

/// Reads a CLI invocation's answer: `function_error` is Lambda's `FunctionError` header (set when
/// the function failed), `payload` the response body.
pub fn command_result(function_error: Option<&str>, payload: &[u8]) -> CommandResult {
    let value: serde_json::Value = serde_json::from_slice(payload).unwrap_or_default();
    if let Some(kind) = function_error {
        let message = value
            .get("errorMessage")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned());
        let kind = value
            .get("errorType")
            .and_then(|m| m.as_str())
            .unwrap_or(kind)
            .to_string();
        return CommandResult::FunctionError { kind, message };
    }
    let output = value
        .get("output")
        .and_then(|o| o.as_str())
        .map(|b64| {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(_) => b64.to_string(),
            }
        })
        .unwrap_or_default();
    match value.get("exit_code").and_then(|c| c.as_i64()) {
        Some(exit_code) => CommandResult::Ran { output, exit_code },
        None => CommandResult::FunctionError {
            kind: "UnexpectedAnswer".into(),
            message: format!(
                "the runtime's answer has no exit_code: {}",
                String::from_utf8_lossy(&payload[..payload.len().min(300)])
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: u64, description: &str, at: &str) -> PublishedVersion {
        PublishedVersion {
            version,
            description: description.into(),
            last_modified: at.into(),
        }
    }

    #[test]
    fn build_ids_sort_by_time_and_name_the_commit() {
        // 2026-11-30T17:45:12.048Z
        let ms = 1_796_060_712_048u128;
        assert_eq!(new_build_id(ms, None), "20261130-174512-048");
        assert_eq!(
            new_build_id(ms, Some(("0123456789abcdef", false))),
            "20261130-174512-048-0123456"
        );
        assert_eq!(
            new_build_id(ms, Some(("0123456789abcdef", true))),
            "20261130-174512-048-0123456-dirty"
        );
        assert!(new_build_id(ms, None) < new_build_id(ms + 1, None));
        assert!(new_build_id(ms + 999, None) < new_build_id(ms + 1000, None));
        assert_eq!(new_build_id(0, None), "19700101-000000-000");
        assert_eq!(
            new_build_id(951_782_400_000, None),
            "20000229-000000-000",
            "leap day"
        );
        assert!(valid_build_id(&new_build_id(ms, Some(("abc", true)))));
    }

    #[test]
    fn build_ids_are_checked() {
        for good in ["b1", "20261130-174512-048", "v1.2_3", "_x"] {
            assert!(valid_build_id(good), "{good}");
        }
        for bad in ["", "-x", ".x", "a/b", "a b", "ä", &"x".repeat(129), "a:b"] {
            assert!(!valid_build_id(bad), "{bad}");
        }
    }

    fn stage() -> (
        BTreeMap<String, Vec<PublishedVersion>>,
        BTreeMap<String, Option<u64>>,
    ) {
        let versions = BTreeMap::from([
            (
                "s-http".to_string(),
                vec![
                    v(1, "b1", "2026-11-01T10:00:00"),
                    v(2, "b2", "2026-11-02T10:00:00"),
                    v(3, "b2", "2026-11-02T11:00:00"),
                    v(4, "b3", "2026-11-03T10:00:00"),
                ],
            ),
            (
                "s-cli".to_string(),
                vec![
                    v(1, "b1", "2026-11-01T10:00:00"),
                    v(2, "b2", "2026-11-02T10:00:00"),
                    v(3, "b3", "2026-11-03T10:00:00"),
                    v(4, "", "2026-11-03T10:00:00"),
                ],
            ),
        ]);
        let live = BTreeMap::from([
            ("s-http".to_string(), Some(4)),
            ("s-cli".to_string(), Some(3)),
        ]);
        (versions, live)
    }

    #[test]
    fn versions_group_into_releases_newest_first() {
        let (versions, live) = stage();
        let rs = releases(&versions, &live, None);
        let ids: Vec<&str> = rs.iter().map(|r| r.build_id.as_str()).collect();
        assert_eq!(ids, ["b3", "b2", "b1"]);
        assert!(rs[0].live && !rs[1].live && !rs[2].live);
        assert_eq!(rs[1].versions["s-http"], 3, "the newest version of a build");
        assert_eq!(rs[1].published, "2026-11-02T11:00:00");
    }

    #[test]
    fn rollback_goes_to_the_previous_complete_release() {
        let (mut versions, live) = stage();
        let rs = releases(&versions, &live, None);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
        assert_eq!(rollback_target(&rs, Some("b1")).unwrap().build_id, "b1");
        assert_eq!(
            rollback_target(&rs, Some("b3")),
            Err(RollbackRefusal::AlreadyLive {
                build_id: "b3".into()
            })
        );
        assert_eq!(
            rollback_target(&rs, Some("nope")),
            Err(RollbackRefusal::Unknown("nope".into()))
        );
        // b2's CLI version deleted: the previous complete release is b1; b2 named is refused.
        versions
            .get_mut("s-cli")
            .unwrap()
            .retain(|v| v.description != "b2");
        let rs = releases(&versions, &live, None);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
        assert_eq!(
            rollback_target(&rs, Some("b2")),
            Err(RollbackRefusal::VersionsGone {
                build_id: "b2".into(),
                missing: vec!["s-cli".into()]
            })
        );
        // Nothing before b1.
        let live_b1 = BTreeMap::from([
            ("s-http".to_string(), Some(1)),
            ("s-cli".to_string(), Some(1)),
        ]);
        let rs = releases(&versions, &live_b1, None);
        assert_eq!(
            rollback_target(&rs, None),
            Err(RollbackRefusal::NothingBefore { live: "b1".into() })
        );
        assert_eq!(rollback_target(&[], None), Err(RollbackRefusal::NoRelease));
        let on_latest = BTreeMap::from([("s-http".to_string(), None), ("s-cli".to_string(), None)]);
        let rs = releases(&versions, &on_latest, None);
        assert_eq!(
            rollback_target(&rs, None),
            Err(RollbackRefusal::NoLiveRelease)
        );
    }

    #[test]
    fn purge_keeps_the_newest_the_live_and_the_rollback_target() {
        let (versions, _) = stage();
        // b1 is live (a rollback happened): b1 kept as live; no release before it.
        let live_b1 = BTreeMap::from([
            ("s-http".to_string(), Some(1)),
            ("s-cli".to_string(), Some(1)),
        ]);
        let rs = releases(&versions, &live_b1, None);
        let builds: Vec<(String, String)> = [
            ("b0", "2026-10-01T00:00:00"),
            ("b1", "2026-11-01T10:00:00"),
            ("b2", "2026-11-02T11:00:00"),
            ("b3", "2026-11-03T10:00:00"),
            ("b4", "2026-11-04T10:00:00"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let c = purge_choice(&builds, &rs, 1);
        assert_eq!(c.delete, ["b3", "b2", "b0"]);
        assert_eq!(
            c.keep,
            [
                ("b4".to_string(), "among the newest".to_string()),
                ("b1".to_string(), "live".to_string())
            ]
        );
        // b3 live: b2 is its rollback target, kept however small `keep` is.
        let (versions, live) = stage();
        let rs = releases(&versions, &live, None);
        let c = purge_choice(&builds, &rs, 0);
        assert_eq!(c.delete, ["b4", "b1", "b0"]);
        let kept: Vec<&str> = c.keep.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(kept, ["b3", "b2"]);
        assert_eq!(purge_choice(&builds, &rs, 10).delete, Vec::<String>::new());
    }

    /// Deploy 1 went live, deploy 2's migration failed, deploy 3 went live.
    #[allow(clippy::type_complexity)]
    fn three_deploys() -> (
        BTreeMap<String, Vec<PublishedVersion>>,
        BTreeMap<String, Option<u64>>,
        History,
    ) {
        let list = |_: &str| {
            vec![
                v(1, "b1", "2026-11-01T10:00:00.000+0000"),
                v(2, "b2", "2026-11-02T10:00:00.000+0000"),
                v(3, "b3", "2026-11-03T10:00:00.000+0000"),
            ]
        };
        let versions = BTreeMap::from([
            ("s-http".to_string(), list("s-http")),
            ("s-cli".to_string(), list("s-cli")),
        ]);
        let live = BTreeMap::from([
            ("s-http".to_string(), Some(3)),
            ("s-cli".to_string(), Some(3)),
        ]);
        let mut h = History::new(history::iso_seconds("2026-10-01T00:00:00Z").unwrap());
        h.went_live("b1", 1_000);
        h.failed("b2", "deploy commands", 2_000);
        h.went_live("b3", 3_000);
        (versions, live, h)
    }

    #[test]
    fn rollback_never_goes_by_default_to_a_release_that_never_went_live() {
        let (versions, live, h) = three_deploys();
        let rs = releases(&versions, &live, Some(&h));
        assert_eq!(rs[0].outcome, Outcome::Live);
        assert_eq!(
            rs[1].outcome,
            Outcome::Failed {
                phase: "deploy commands".into()
            }
        );
        assert_eq!(rs[2].outcome, Outcome::WasLive);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
        // Named, it is allowed (the caller warns it never served traffic).
        let named = rollback_target(&rs, Some("b2")).unwrap();
        assert!(!named.outcome.served());
        // Without a history: the newest complete release older than the live one, as before.
        let rs = releases(&versions, &live, None);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
        // A history begun after b1 and b2 were published: they are unrecorded, b2 a candidate.
        let mut late = History::new(history::iso_seconds("2026-11-02T12:00:00Z").unwrap());
        late.went_live("b3", 3_000);
        let rs = releases(&versions, &live, Some(&late));
        assert_eq!(rs[1].outcome, Outcome::Unrecorded);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b2");
        // A release published after the history began, never switched to.
        let mut fresh = h.clone();
        fresh.builds.remove("b2");
        let rs = releases(&versions, &live, Some(&fresh));
        assert_eq!(rs[1].outcome, Outcome::NeverSwitched);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
    }

    #[test]
    fn a_split_stage_rolls_back_to_the_release_that_was_live() {
        let (versions, _, mut h) = three_deploys();
        h.failed("b3", "switch", 4_000);
        h.builds.get_mut("b3").unwrap().went_live.clear();
        // b1 was live; b3's switch moved the CLI function only.
        let live = BTreeMap::from([
            ("s-http".to_string(), Some(1)),
            ("s-cli".to_string(), Some(3)),
        ]);
        let rs = releases(&versions, &live, Some(&h));
        assert!(rs.iter().all(|r| !r.live));
        assert_eq!(
            rs[0].outcome,
            Outcome::PartlyLive {
                functions: vec!["s-cli".into()]
            }
        );
        assert_eq!(rs[2].live_on, ["s-http"]);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
        // Without a history: the oldest release a function is still on.
        let rs = releases(&versions, &live, None);
        assert_eq!(rollback_target(&rs, None).unwrap().build_id, "b1");
    }

    #[test]
    fn purge_keeps_every_live_build_of_a_split_and_the_last_one_live_before() {
        let (versions, _, h) = three_deploys();
        let builds: Vec<(String, String)> = [
            ("b1", "2026-11-01T10:00:00"),
            ("b2", "2026-11-02T10:00:00"),
            ("b3", "2026-11-03T10:00:00"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let split = BTreeMap::from([
            ("s-http".to_string(), Some(2)),
            ("s-cli".to_string(), Some(3)),
        ]);
        let rs = releases(&versions, &split, Some(&h));
        let c = purge_choice(&builds, &rs, 0);
        let kept: Vec<&str> = c.keep.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            kept,
            ["b3", "b2", "b1"],
            "both live builds and the one live before"
        );
        // One release live: it and the last one live before (b1, not the failed b2) are kept.
        let (versions, live, h) = three_deploys();
        let rs = releases(&versions, &live, Some(&h));
        let c = purge_choice(&builds, &rs, 0);
        assert_eq!(c.delete, ["b2"]);
    }

    #[test]
    fn commands_are_json_with_the_artisan_prefix_dropped() {
        assert_eq!(
            artisan_command("php artisan migrate --force"),
            "migrate --force"
        );
        assert_eq!(
            artisan_command("  php   artisan  cache:clear "),
            "cache:clear"
        );
        assert_eq!(artisan_command("php artisanal"), "php artisanal");
        let cmd = "tinker --execute=\"echo 'hé\n\\\"ok'\"";
        let payload: serde_json::Value = serde_json::from_slice(&command_payload(cmd)).unwrap();
        assert_eq!(payload["command"], cmd);
    }

    #[test]
    fn answers_are_decoded() {
        let ok = br#"{"output":"aMOpbGxvCg==","exit_code":0}"#;
        assert_eq!(
            command_result(None, ok),
            CommandResult::Ran {
                output: "héllo\n".into(),
                exit_code: 0
            }
        );
        let failed = br#"{"output":"","exit_code":3}"#;
        assert!(matches!(
            command_result(None, failed),
            CommandResult::Ran { exit_code: 3, .. }
        ));
        let crashed = br#"{"errorMessage":"Task timed out after 3.00 seconds","errorType":"Sandbox.Timedout"}"#;
        assert_eq!(
            command_result(Some("Unhandled"), crashed),
            CommandResult::FunctionError {
                kind: "Sandbox.Timedout".into(),
                message: "Task timed out after 3.00 seconds".into()
            }
        );
        assert!(matches!(
            command_result(None, b"null"),
            CommandResult::FunctionError { .. }
        ));
    }
}
