//! What a build, a deploy and a rollback did: the plain data their summaries render (and a
//! build's record that `hover deploy --skip-build` reads back).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a build made, saved as `.hover/out/<build-id>/build.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRecord {
    pub build_id: String,
    pub stage: String,
    /// The stage's `name` (repository) it was built for.
    pub name: String,
    /// The local image (`<name>:<build-id>`).
    pub image: String,
    /// The container tool that holds the local image.
    pub builder: String,
    /// The environment the tool was run with (its storage and isolation on this machine): the
    /// push uses the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub builder_env: Vec<(String, String)>,
    /// Number of asset files exported (0 when the Dockerfile has no `assets` stage).
    pub assets: usize,
}

/// One move of `live`: from the version it points at now to a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    pub function: String,
    /// The version `live` points at now (a number, or `$LATEST`).
    pub from: String,
    pub to: String,
}

/// What a deploy did, for its summary.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploySummary {
    pub build_id: String,
    /// The stage's CloudFront domain, when the stack reports it.
    pub cdn_domain: Option<String>,
    /// The manifest's custom domains.
    pub domains: Vec<String>,
    /// Each phase and how long it took, in order.
    pub phases: Vec<(String, Duration)>,
    /// Where `live` moved.
    pub moves: Vec<Move>,
}

/// How a rollback ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollbackOutcome {
    /// The release that was live before (when one was).
    pub from: Option<String>,
    pub to: String,
    pub moves: Vec<Move>,
}
