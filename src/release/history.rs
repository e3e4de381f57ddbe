//! The release history of a stage: which build went live when, and which deploy failed at which
//! phase. Kept as one JSON object in the stage's bucket (`hover/history/<name>.json`), written
//! under the stage lock; read by `releases`, `rollback` and `stage purge`. Pure: the format and
//! what it says about each release.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the history's format.
pub const FORMAT: u32 = 1;

/// Times a build's going live is remembered (the newest).
const WENT_LIVE_KEPT: usize = 20;

/// Builds the history remembers (those whose last event is oldest are forgotten first).
const BUILDS_KEPT: usize = 1000;

/// The history object's key in the stage's bucket.
pub fn history_key(stage_name: &str) -> String {
    format!("hover/history/{stage_name}.json")
}

/// A stage's release history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub format: u32,
    /// Seconds since the Unix epoch when the history began: releases published before it have no
    /// record (they come from before hover kept one).
    pub started: u64,
    pub builds: BTreeMap<String, BuildHistory>,
}

/// What happened to one build.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildHistory {
    /// When every function's `live` was switched to it (seconds since the epoch), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub went_live: Vec<u64>,
    /// The last deploy of it that failed before it went live: the phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<Failure>,
}

/// A deploy that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub phase: String,
    pub at: u64,
}

impl History {
    /// A new history starting at `now`.
    pub fn new(now: u64) -> History {
        History {
            format: FORMAT,
            started: now,
            builds: BTreeMap::new(),
        }
    }

    /// Records that every function's `live` now points at `build`.
    pub fn went_live(&mut self, build: &str, now: u64) {
        let b = self.builds.entry(build.to_string()).or_default();
        b.went_live.push(now);
        if b.went_live.len() > WENT_LIVE_KEPT {
            let extra = b.went_live.len() - WENT_LIVE_KEPT;
            b.went_live.drain(..extra);
        }
        self.trim();
    }

    /// Records that a deploy of `build` failed at `phase`.
    pub fn failed(&mut self, build: &str, phase: &str, now: u64) {
        let b = self.builds.entry(build.to_string()).or_default();
        b.failed = Some(Failure {
            phase: phase.to_string(),
            at: now,
        });
        self.trim();
    }

    /// When `build` last went live.
    pub fn last_live(&self, build: &str) -> Option<u64> {
        self.builds
            .get(build)
            .and_then(|b| b.went_live.last().copied())
    }

    fn trim(&mut self) {
        while self.builds.len() > BUILDS_KEPT {
            let oldest = self
                .builds
                .iter()
                .min_by_key(|(id, b)| {
                    let last = b
                        .went_live
                        .last()
                        .copied()
                        .max(b.failed.as_ref().map(|f| f.at))
                        .unwrap_or(0);
                    (last, (*id).clone())
                })
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => {
                    self.builds.remove(&id);
                }
                None => break,
            }
        }
    }
}

/// What became of a release, as `hover releases` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Every function's `live` points at it.
    Live,
    /// Some functions' `live` point at it (traffic is split).
    PartlyLive { functions: Vec<String> },
    /// It was live, and is not now.
    WasLive,
    /// Its deploy failed at a phase; it never went live.
    Failed { phase: String },
    /// Published, never switched to (its deploy stopped before the switch).
    NeverSwitched,
    /// Published before hover kept a history: whether it went live is not known.
    Unrecorded,
}

impl Outcome {
    /// The outcome in a few words.
    pub fn text(&self) -> String {
        match self {
            Outcome::Live => "live".into(),
            Outcome::PartlyLive { functions } => {
                format!("partly live ({})", functions.join(", "))
            }
            Outcome::WasLive => "was live".into(),
            Outcome::Failed { phase } => format!("failed at {phase}"),
            Outcome::NeverSwitched => "never switched".into(),
            Outcome::Unrecorded => "-".into(),
        }
    }

    /// Whether the release served traffic at some time (or may have, without a record).
    pub fn served(&self) -> bool {
        matches!(
            self,
            Outcome::Live | Outcome::PartlyLive { .. } | Outcome::WasLive | Outcome::Unrecorded
        )
    }
}

/// Seconds since the epoch of an ISO 8601 time as Lambda writes it (`2026-11-30T18:55:51.118+0000`
/// or `…Z`); `None` when it cannot be read. Only the date and the time to the second count.
pub fn iso_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (proleptic Gregorian), as in Howard Hinnant's algorithm.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_times_are_read() {
        assert_eq!(iso_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso_seconds("2026-11-30T17:45:12.048+0000"),
            Some(1_796_060_712)
        );
        assert_eq!(iso_seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(iso_seconds("garbage"), None);
        assert_eq!(iso_seconds(""), None);
    }

    #[test]
    fn the_history_remembers_what_went_live_and_what_failed() {
        let mut h = History::new(100);
        h.went_live("b1", 110);
        h.failed("b2", "deploy commands", 120);
        h.went_live("b3", 130);
        h.went_live("b1", 140);
        assert_eq!(h.last_live("b1"), Some(140));
        assert_eq!(h.last_live("b2"), None);
        assert_eq!(
            h.builds["b2"].failed.as_ref().unwrap().phase,
            "deploy commands"
        );
        let text = serde_json::to_string(&h).unwrap();
        let back: History = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h);
        for i in 0..30 {
            h.went_live("b1", 200 + i);
        }
        assert_eq!(h.builds["b1"].went_live.len(), WENT_LIVE_KEPT);
        assert_eq!(h.last_live("b1"), Some(229));
    }
}
