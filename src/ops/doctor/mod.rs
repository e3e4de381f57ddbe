//! `hover doctor`: checks, in order, what a deploy of a stage needs (the manifest, the
//! credentials and their account, the region, the container tool, the registry, the stage's
//! resources and its lock, the account's quotas against what the stage asks for, the runtime a
//! build stages) and says for each what it found and what to do. Read only: every AWS call it
//! makes is a read. The checks are plain data ([`Report`]); `render::doctor` shows them.
//!
//! The checks by concern: [`setup`] (manifest, credentials, region, container tool, registry,
//! runtime), [`stage`] (the stage's resources and lock), [`quotas`] (the account's Lambda
//! concurrency).

mod quotas;
mod setup;
mod stage;

use quotas::quotas_check;
pub use quotas::{concurrency_fits, wanted_concurrency, ConcurrencyNeed, LAMBDA_MIN_UNRESERVED};
use setup::*;
use stage::*;

use crate::ops::context::StageContext;
use miette::Diagnostic;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing stands in the way.
    Pass,
    /// Worth knowing; does not stop a deploy.
    Warn,
    /// Stops a deploy: the remedy says what to do.
    Fail,
    /// Not checked: a check it needs failed (the reason is in `found`).
    Skip,
}

/// One check: what it looked at, what it found, and what to do when it did not pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `manifest`, `credentials`, `region`, `container tool`, `registry`, `stage resources`,
    /// `stage lock`, `quotas` or `runtime`: always in this order.
    pub name: &'static str,
    pub status: Status,
    /// What was found, one sentence.
    pub found: String,
    /// What to do about it (for `warn` and `fail`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// Further lines: every manifest problem, tools passed over, drifted resources...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl Check {
    fn new(name: &'static str, status: Status, found: impl Into<String>) -> Self {
        Check {
            name,
            status,
            found: found.into(),
            remedy: None,
            details: Vec::new(),
        }
    }

    fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    fn details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// Every check of one run, in order. Deterministic: the same machine and account give the same
/// report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The stage checked (`None`: no stage could be chosen, only the machine was checked).
    pub stage: Option<String>,
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether no check failed (warnings and skips do not fail; a skip always follows a failure).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// How many checks have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct DoctorOptions {
    /// Directory holding `.hover/`.
    pub dir: PathBuf,
    /// The stage (default: the only stage of `.hover/`).
    pub stage: Option<String>,
    /// `--builder` (else `HOVER_BUILDER`, else the first tool that can build).
    pub builder: Option<String>,
}

/// The names of the checks, in order.
pub const CHECKS: [&str; 9] = [
    "manifest",
    "credentials",
    "region",
    "container tool",
    "registry",
    "stage resources",
    "stage lock",
    "quotas",
    "runtime",
];

/// Runs every check. Never fails as a whole: what goes wrong is a failed check.
pub async fn doctor(opts: &DoctorOptions) -> Report {
    let mut checks = Vec::new();
    let stage = opts.stage.clone().or_else(|| only_stage(&opts.dir));
    let manifest = match &stage {
        Some(stage) => {
            let (check, manifest) = manifest_check(&opts.dir, stage);
            checks.push(check);
            manifest
        }
        None => {
            let stages = stage_names(&opts.dir);
            checks.push(if stages.is_empty() {
                Check::new("manifest", Status::Fail, "no stage file in .hover/")
                    .remedy("create one with `hover stage new dev` (or name the project directory with --dir)")
            } else {
                Check::new(
                    "manifest",
                    Status::Skip,
                    format!(
                        "{} stages in .hover/ ({}): name one to check it",
                        stages.len(),
                        stages.join(", ")
                    ),
                )
                .remedy(format!("hover doctor {}", stages[0]))
            });
            None
        }
    };

    // The AWS checks, on the stage's credentials and region.
    match &manifest {
        None => {
            let why = if stage.is_some() {
                "not checked: the manifest does not load"
            } else {
                "not checked: no stage named"
            };
            for name in ["credentials", "region"] {
                checks.push(Check::new(name, Status::Skip, why));
            }
            checks.push(builder_check(opts.builder.as_deref()));
            for name in ["registry", "stage resources", "stage lock", "quotas"] {
                checks.push(Check::new(name, Status::Skip, why));
            }
        }
        Some(manifest) => {
            let (credentials, clients) = credentials_check(manifest).await;
            let usable = credentials.status != Status::Fail;
            checks.push(credentials);
            checks.push(region_check(manifest));
            checks.push(builder_check(opts.builder.as_deref()));
            match clients.filter(|_| usable) {
                Some((clients, account)) => {
                    let stage = stage.as_deref().unwrap_or_default();
                    let ctx = StageContext::new(&opts.dir, stage, manifest.clone(), clients)
                        .knowing_account(&account);
                    checks.push(registry_check(&ctx.clients).await);
                    let (resources, observed) = resources_check(&ctx).await;
                    checks.push(resources);
                    checks.push(lock_check(manifest, &ctx.clients, observed.as_ref()).await);
                    checks.push(quotas_check(manifest, &ctx.clients, observed.as_ref()).await);
                }
                None => {
                    for name in ["registry", "stage resources", "stage lock", "quotas"] {
                        checks.push(Check::new(
                            name,
                            Status::Skip,
                            "not checked: the credentials are not usable for this stage",
                        ));
                    }
                }
            }
        }
    }
    checks.push(runtime_check(&opts.dir, manifest.as_ref()));
    Report { stage, checks }
}

/// The stages of `.hover/` (files `*.yml` / `*.yaml`), sorted.
fn stage_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".hover"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".yml")
                .or_else(|| name.strip_suffix(".yaml"))?;
            (!stem.starts_with('.') && e.path().is_file()).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn only_stage(dir: &Path) -> Option<String> {
    match stage_names(dir).as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// A diagnostic's help, when it has one.
fn help_of(d: &dyn Diagnostic) -> Option<String> {
    d.help().map(|h| h.to_string())
}

#[cfg(test)]
mod tests;
