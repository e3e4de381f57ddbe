//! `hover doctor`: checks, in order, what a deploy of a stage needs (the manifest, the
//! credentials and their account, the region, the container tool, the registry, the stage's
//! resources and its lock, the account's quotas against what the stage asks for, the runtime a
//! build stages) and says for each what it found and what to do. Read only: every AWS call it
//! makes is a read. The checks are plain data ([`Report`]); `render::doctor` shows them.

use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest::{self, Manifest, ManifestError};
use crate::ops;
use crate::plan;
use miette::Diagnostic;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Lambda keeps this much of an account's concurrency unreserved: no reservation may go below it.
pub const LAMBDA_MIN_UNRESERVED: i64 = 100;

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
                Some(clients) => {
                    checks.push(registry_check(&clients).await);
                    let (resources, observed) = resources_check(manifest, &clients).await;
                    checks.push(resources);
                    checks.push(lock_check(manifest, &clients, observed.as_ref()).await);
                    checks.push(quotas_check(manifest, &clients, observed.as_ref()).await);
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

fn manifest_check(dir: &Path, stage: &str) -> (Check, Option<Manifest>) {
    match manifest::load(dir, stage) {
        Ok(m) => {
            let queues: usize = m.queue.values().map(|w| w.queues.len()).sum();
            let file = Path::new(&m.file);
            let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
            let found = format!(
                "{shown}: stage `{}` in {}, {} functions, {} queues",
                m.name,
                m.region,
                2 + m.queue.len(),
                queues
            );
            let warnings: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
            let check = if warnings.is_empty() {
                Check::new("manifest", Status::Pass, found)
            } else {
                Check::new("manifest", Status::Warn, found)
                    .remedy("see each warning's help; `hover plan` shows them at their lines")
                    .details(warnings)
            };
            (check, Some(m))
        }
        Err(e) => (manifest_failure(&e), None),
    }
}

fn manifest_failure(e: &ManifestError) -> Check {
    let problems: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
    let remedy = if problems.is_empty() {
        help_of(e).unwrap_or_else(|| "fix the stage file".into())
    } else {
        "fix every problem listed (`hover plan` shows each at its line, with the code around it)"
            .into()
    };
    Check::new("manifest", Status::Fail, e.to_string())
        .remedy(remedy)
        .details(problems)
}

/// Where the credentials come from, as the SDK's chain decides.
fn credentials_source(profile: Option<&str>) -> String {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(p) = profile.filter(|p| !p.is_empty()) {
        return format!("the profile `{p}` (the manifest's `aws-profile`)");
    }
    if env("AWS_ACCESS_KEY_ID").is_some() {
        return "the environment (AWS_ACCESS_KEY_ID)".into();
    }
    if let Some(file) = env("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return format!("a web identity token ({file}: an OpenID Connect role)");
    }
    if let Some(p) = env("AWS_PROFILE") {
        return format!("the profile `{p}` (AWS_PROFILE)");
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        return "the container's role".into();
    }
    "the default chain (the `default` profile, or the instance's role)".into()
}

async fn credentials_check(manifest: &Manifest) -> (Check, Option<Clients>) {
    let source = credentials_source(manifest.aws_profile.as_deref());
    let config = match live::load_config(manifest.aws_profile.as_deref(), &manifest.region).await {
        Ok(c) => c,
        Err(e) => {
            let check = Check::new("credentials", Status::Fail, e.to_string()).remedy(
                    help_of(&e).unwrap_or_else(|| {
                        "define the profile (`aws configure --profile NAME`) or remove `aws-profile` from the manifest".into()
                    }),
                );
            return (check, None);
        }
    };
    let clients = Clients::new(&config);
    let identity = match live::account::caller_identity(&clients).await {
        Ok(i) => i,
        Err(e) => {
            let check = Check::new(
                "credentials",
                Status::Fail,
                format!("from {source}: AWS gave no identity"),
            )
            .details(vec![short_error(&e.to_string())])
            .remedy(help_of(&e).unwrap_or_else(|| {
                "give hover credentials: `aws configure`, `aws sso login`, AWS_PROFILE, or the CI's OpenID Connect role (README, \"Continuous integration\")".into()
            }));
            return (check, None);
        }
    };
    let who = format!(
        "from {source}: {} (account {})",
        identity.arn, identity.account
    );
    let check = match &manifest.account {
        Some(expected) if expected != &identity.account => {
            let err = HoverError::WrongAccount {
                stage: manifest.name.clone(),
                expected: expected.clone(),
                actual: identity.account.clone(),
            };
            Check::new("credentials", Status::Fail, format!("{who}: {err}"))
                .remedy(help_of(&err).unwrap_or_default())
        }
        Some(_) => Check::new(
            "credentials",
            Status::Pass,
            format!("{who}, the manifest's `account`"),
        ),
        None => Check::new("credentials", Status::Pass, who).details(vec![format!(
            "the manifest pins no `account`: `account: \"{}\"` makes hover refuse any other",
            identity.account
        )]),
    };
    (check, Some(clients))
}

/// An SDK error's first part: the chain of causes, without the debug dump of the response the
/// SDK appends.
fn short_error(text: &str) -> String {
    // An answer the SDK cannot read at all (an endpoint that does not know the operation).
    if let Some(at) = text.find("service error: unhandled error") {
        return format!(
            "{}the endpoint gave no answer the SDK can read",
            &text[..at]
        );
    }
    let cut = [
        " (DispatchFailure(",
        " (ServiceError(",
        " (ResponseError(",
        " (TimeoutError(",
        " (ConstructionFailure(",
    ]
    .iter()
    .filter_map(|m| text.find(m))
    .min()
    .unwrap_or(text.len());
    let text = &text[..cut];
    if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text.to_string()
    }
}

fn region_check(manifest: &Manifest) -> Check {
    let mut details = live::environment_notes(manifest.aws_profile.as_deref(), &manifest.region);
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        if !url.trim().is_empty() {
            details.push(format!(
                "AWS_ENDPOINT_URL={url}: every call goes to this endpoint"
            ));
        }
    }
    Check::new(
        "region",
        Status::Pass,
        format!(
            "{} (the manifest's `region`, used for every call and name)",
            manifest.region
        ),
    )
    .details(details)
}

fn builder_check(chosen: Option<&str>) -> Check {
    match ops::build::builder(chosen) {
        Ok(choice) => {
            let b = &choice.builder;
            let can = match b.kind {
                crate::image::Kind::Docker => "its engine answers and it has BuildKit",
                crate::image::Kind::Podman | crate::image::Kind::Buildah => {
                    "it builds without a daemon"
                }
            };
            let how = match chosen {
                Some(_) => "named by --builder",
                None if std::env::var("HOVER_BUILDER").is_ok_and(|v| !v.trim().is_empty()) => {
                    "named by HOVER_BUILDER"
                }
                None => "the first that can build here",
            };
            let mut details: Vec<String> = choice
                .passed
                .iter()
                .map(|p| format!("{} passed over: {}", p.name, p.why))
                .collect();
            details.extend(choice.settings.iter().cloned());
            Check::new(
                "container tool",
                Status::Pass,
                format!("{} ({how}): {can}", b.program.display()),
            )
            .details(details)
        }
        Err(e) => Check::new("container tool", Status::Fail, e.to_string()).remedy(
            help_of(&e).unwrap_or_else(|| {
                "install buildah or podman, or start Docker's engine with BuildKit".into()
            }),
        ),
    }
}

async fn registry_check(clients: &Clients) -> Check {
    match crate::release::aws::registry_login(clients).await {
        Ok(login) => Check::new(
            "registry",
            Status::Pass,
            format!(
                "ECR gives a login for {} (user `{}`)",
                login.endpoint, login.user
            ),
        ),
        Err(e) => Check::new("registry", Status::Fail, e.to_string()).remedy(
            "the credentials need ecr:GetAuthorizationToken (and the push actions): see examples/ci/policy-deploy.json",
        ),
    }
}

/// The stage as AWS has it: whether it exists, its stack's state, drift and pending changes.
async fn resources_check(
    manifest: &Manifest,
    clients: &Clients,
) -> (Check, Option<crate::model::ObservedStage>) {
    let name = "stage resources";
    let stack = match live::read_stack(clients, &manifest.name).await {
        Ok(s) => s,
        Err(e) => {
            let check = Check::new(name, Status::Fail, e.to_string())
                .remedy(help_of(&e).unwrap_or_else(|| "the credentials need cloudformation:DescribeStacks: see examples/ci/policy-plan.json".into()));
            return (check, None);
        }
    };
    let Some(stack) = stack else {
        let check = Check::new(
            name,
            Status::Pass,
            format!(
                "the stack `{}` does not exist yet: `hover deploy {}` creates the stage",
                manifest.name,
                stage_of(manifest)
            ),
        );
        return (check, None);
    };
    let observed = match ops::plan::read(manifest, clients, None).await {
        Ok((_, observed)) => observed,
        Err(e) => {
            let check = Check::new(name, Status::Fail, e.to_string())
                .remedy(help_of(&e).unwrap_or_else(|| "see `hover plan` for the same read".into()));
            return (check, None);
        }
    };
    let status = stack.status.clone();
    let mut found = format!(
        "stack `{}` is {status}, {} resources read",
        manifest.name,
        observed.resources.len()
    );
    let planned = ops::plan::plan_observed(manifest, &observed, None);
    let (drift, summary) = match &planned {
        Ok((_, p)) => (drifted(p), Some(p.summary())),
        Err(_) => (Vec::new(), None),
    };
    if let Some(s) = summary {
        if s.add + s.change + s.destroy == 0 {
            found.push_str("; it matches the manifest");
        } else {
            found.push_str(&format!(
                "; applying the manifest would add {}, change {}, destroy {} (`hover plan`)",
                s.add, s.change, s.destroy
            ));
        }
    }
    let stage = stage_of(manifest);
    let check = if status.ends_with("_IN_PROGRESS") {
        Check::new(name, Status::Warn, found).remedy(
            "another operation is under way: `hover apply` waits for it (or `--no-wait` refuses)",
        )
    } else if status == "ROLLBACK_COMPLETE" || status.ends_with("_FAILED") {
        Check::new(name, Status::Fail, found).remedy(format!(
            "`hover apply {stage}` explains the stack's state and its way out"
        ))
    } else if let Err(e) = &planned {
        Check::new(name, Status::Fail, format!("{found}; no plan: {e}"))
            .remedy(help_of(e).unwrap_or_else(|| format!("`hover plan {stage}` says more")))
    } else if !drift.is_empty() {
        Check::new(
            name,
            Status::Warn,
            format!("{found}; {} changed outside hover", drift.len()),
        )
        .remedy(format!(
            "`hover plan {stage}` shows each change; `hover apply {stage}` puts them back"
        ))
        .details(drift)
    } else {
        Check::new(name, Status::Pass, found)
    };
    (check, Some(observed))
}

/// The stage file name of a manifest (`.hover/<stage>.yml`).
fn stage_of(manifest: &Manifest) -> String {
    Path::new(&manifest.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| manifest.name.clone())
}

/// `Resource: attribute` for every change made outside hover.
fn drifted(p: &plan::Plan) -> Vec<String> {
    p.resource_changes
        .iter()
        .filter(|c| !c.drift.is_empty())
        .map(|c| {
            format!(
                "{} ({}): {}",
                c.logical_id,
                c.name,
                c.drift
                    .iter()
                    .map(|d| d.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect()
}

/// Who holds the stage's lock, if anyone.
async fn lock_check(
    manifest: &Manifest,
    clients: &Clients,
    observed: Option<&crate::model::ObservedStage>,
) -> Check {
    let name = "stage lock";
    let bucket = crate::naming::bucket(&manifest.name);
    let key = ops::lock::lock_key(&manifest.name);
    let at = format!("s3://{bucket}/{key}");
    match crate::direct::read_lock(clients, &bucket, &key).await {
        Ok(None) => Check::new(name, Status::Pass, format!("no run holds the lock ({at})")),
        Ok(Some((text, _))) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            match serde_json::from_str::<ops::lock::Holder>(&text) {
                Ok(h) => {
                    let age = now.saturating_sub(h.since);
                    let who = format!("locked by {} for {age} s", ops::lock::describe(&h));
                    if ops::lock::reclaimable(&h, now, &ops::lock::here(), |pid| {
                        Path::new(&format!("/proc/{pid}")).exists()
                    }) {
                        Check::new(name, Status::Warn, format!("{who}: that run is over"))
                            .remedy("the next apply or deploy takes the lock over")
                    } else {
                        Check::new(name, Status::Fail, who).remedy(format!(
                            "wait for that run to end; a lock whose run died is taken over after {} min (at once on its own machine); when sure no run holds it, run the next changing command with `--force-unlock`",
                            ops::lock::LOCK_TTL.as_secs() / 60
                        ))
                    }
                }
                Err(_) => Check::new(name, Status::Fail, format!("{at} holds no holder hover can read"))
                    .remedy("make sure no run holds it, then run the next changing command with `--force-unlock` (e.g. `hover deploy <stage> --force-unlock`)"),
            }
        }
        // No bucket yet: nothing can hold the lock.
        Err(_) if observed.is_none_or(|o| o.stack.is_none()) => Check::new(
            name,
            Status::Pass,
            format!("no run holds the lock (the bucket `{bucket}` is made by the first deploy)"),
        ),
        Err(e) => Check::new(name, Status::Fail, e.to_string())
            .remedy("the credentials need s3:GetObject on the stage's bucket: see examples/ci/policy-plan.json"),
    }
}

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
fn reserved_now(observed: Option<&crate::model::ObservedStage>) -> i64 {
    observed
        .map(|o| {
            o.resources
                .values()
                .filter(|r| r.resource_type == "AWS::Lambda::Function")
                .filter_map(|r| r.properties.get("ReservedConcurrentExecutions")?.as_i64())
                .sum()
        })
        .unwrap_or(0)
}

async fn quotas_check(
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

fn runtime_check(dir: &Path, manifest: Option<&Manifest>) -> Check {
    let name = "runtime";
    let files = crate::runtime::FILES;
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    let entry = files.iter().find(|f| f.path == crate::runtime::ENTRY_POINT);
    let found = format!(
        "{} files ({} KB) embedded in hover, entry point `{}`; `hover build` writes them to .hover/out/<build-id>/runtime/",
        files.len(),
        bytes.div_ceil(1024),
        crate::runtime::ENTRY_POINT
    );
    let details: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "{} ({} bytes{})",
                f.path,
                f.bytes.len(),
                if f.executable { ", executable" } else { "" }
            )
        })
        .collect();
    if !entry.is_some_and(|f| f.executable) {
        return Check::new(name, Status::Fail, found)
            .remedy("this hover was built without its runtime's entry point: reinstall hover")
            .details(details);
    }
    let Some(manifest) = manifest else {
        return Check::new(name, Status::Pass, found).details(details);
    };
    let dockerfile = dir.join(".hover").join(&manifest.dockerfile);
    let shown = format!(".hover/{}", manifest.dockerfile);
    match std::fs::read_to_string(&dockerfile) {
        Err(_) => Check::new(name, Status::Fail, format!("{found}; the stage's Dockerfile {shown} does not exist"))
            .remedy("the manifest's `dockerfile` names a file in .hover/ (default `.Dockerfile`); `hover stage new` writes one")
            .details(details),
        Ok(text) if !crate::runtime::copied_by(&text) => Check::new(
            name,
            Status::Warn,
            format!("{found}; {shown} does not copy them"),
        )
        .remedy("add `COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover` (and `ENTRYPOINT [\"/opt/hover/bootstrap\"]`) to the image's stage, as `hover stage new` writes it")
        .details(details),
        Ok(_) => Check::new(name, Status::Pass, format!("{found}; {shown} copies them"))
            .details(details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::account::LambdaAccount;

    fn account(unreserved: i64) -> LambdaAccount {
        LambdaAccount {
            concurrent_executions: 1000,
            unreserved_concurrent_executions: unreserved,
            function_count: 3,
        }
    }

    #[test]
    fn reservations_must_leave_lambdas_minimum_unreserved() {
        let need = |wanted, reserved_now| ConcurrencyNeed {
            wanted,
            reserved_now,
        };
        // 1000 unreserved: 900 can be reserved.
        assert_eq!(concurrency_fits(need(900, 0), &account(1000)), Ok(0));
        assert_eq!(concurrency_fits(need(901, 0), &account(1000)), Err(1));
        // What the stage reserves now is given back first.
        assert_eq!(concurrency_fits(need(150, 100), &account(170)), Ok(20));
        assert_eq!(concurrency_fits(need(200, 100), &account(120)), Err(80));
        // Keeping or lowering reservations always fits.
        assert_eq!(concurrency_fits(need(100, 100), &account(100)), Ok(0));
        assert_eq!(concurrency_fits(need(50, 100), &account(100)), Ok(0));
        // A new account (10 concurrent, 10 unreserved) cannot reserve anything.
        assert_eq!(concurrency_fits(need(1, 0), &account(10)), Err(1));
        assert_eq!(concurrency_fits(need(0, 0), &account(10)), Ok(0));
    }

    #[test]
    fn the_manifest_reserves_what_its_functions_ask_for() {
        let text = "name: app-dev\nregion: us-east-1\nhttp:\n  concurrency: 20\ncli:\n  concurrency: 0\nqueue:\n  default:\n    concurrency: 5\n  other: {}\n";
        let m = crate::manifest::parse(".hover/dev.yml", text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(wanted_concurrency(&m), 25);
    }

    #[test]
    fn a_failed_check_fails_the_report_and_skips_do_not() {
        let report = |statuses: &[Status]| Report {
            stage: Some("dev".into()),
            checks: statuses
                .iter()
                .zip(CHECKS)
                .map(|(s, n)| Check::new(n, *s, "x"))
                .collect(),
        };
        assert!(report(&[Status::Pass, Status::Warn, Status::Skip]).passed());
        assert!(!report(&[Status::Pass, Status::Fail, Status::Skip]).passed());
    }

    fn project(manifest: &str, dockerfile: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let hover = dir.path().join(".hover");
        std::fs::create_dir_all(&hover).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(hover.join("dev.yml"), manifest).unwrap_or_else(|e| panic!("{e}"));
        if let Some(text) = dockerfile {
            std::fs::write(hover.join(".Dockerfile"), text).unwrap_or_else(|e| panic!("{e}"));
        }
        dir
    }

    const MANIFEST: &str = "name: app-dev\nregion: us-east-1\n";

    #[test]
    fn the_runtime_check_looks_at_the_dockerfile_a_build_uses() {
        let status = |dockerfile: Option<&str>| {
            let dir = project(MANIFEST, dockerfile);
            let (check, manifest) = manifest_check(dir.path(), "dev");
            assert_eq!(check.status, Status::Pass, "{check:?}");
            let check = runtime_check(dir.path(), manifest.as_ref());
            assert!(
                check.details.iter().any(|d| d.starts_with("bootstrap (")),
                "{check:?}"
            );
            (check.status, check.found, check.remedy)
        };
        let (s, found, remedy) = status(None);
        assert_eq!(s, Status::Fail);
        assert!(
            found.contains(".hover/.Dockerfile does not exist"),
            "{found}"
        );
        assert!(remedy.is_some_and(|r| r.contains("hover stage new")));
        let (s, _, remedy) = status(Some("FROM scratch\n"));
        assert_eq!(s, Status::Warn);
        assert!(remedy.is_some_and(|r| r.contains("COPY .hover/out/${HOVER_BUILD_ID}/runtime")));
        let (s, found, _) = status(Some(
            "FROM scratch\nCOPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover\n",
        ));
        assert_eq!(s, Status::Pass, "{found}");
    }

    #[test]
    fn a_manifest_that_does_not_load_fails_with_every_problem() {
        let dir = project(
            "name: app-dev\nregion: us-east-1\nhttp:\n  memroy: 512\n  timeout: 60\n",
            None,
        );
        let (check, manifest) = manifest_check(dir.path(), "dev");
        assert!(manifest.is_none());
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.details.len(), 2, "{check:?}");
        assert!(check.details[0].contains("http.memroy"), "{check:?}");
        assert!(check.remedy.is_some());
        let (check, _) = manifest_check(dir.path(), "prod");
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.remedy.is_some_and(|r| r.contains("dev")),
            "the stages that exist"
        );
    }

    #[test]
    fn an_sdk_error_is_shown_without_its_debug_dump() {
        assert_eq!(
            short_error("sts:GetCallerIdentity failed: dispatch failure: io error (DispatchFailure(DispatchFailure { source: x }))"),
            "sts:GetCallerIdentity failed: dispatch failure: io error"
        );
        assert_eq!(
            short_error("lambda:GetAccountSettings failed for x: service error: unhandled error: Error at offset 0 (ServiceError(..))"),
            "lambda:GetAccountSettings failed for x: the endpoint gave no answer the SDK can read"
        );
    }

    #[test]
    fn stage_names_are_the_stage_files_of_hover_dir() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let hover = dir.path().join(".hover");
        std::fs::create_dir_all(hover.join("out")).unwrap_or_else(|e| panic!("{e}"));
        for f in [
            "prod.yaml",
            "dev.yml",
            ".Dockerfile",
            "dev-secrets.env",
            ".x.yml",
        ] {
            std::fs::write(hover.join(f), "").unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(stage_names(dir.path()), ["dev", "prod"]);
        assert_eq!(only_stage(dir.path()), None);
        std::fs::remove_file(hover.join("prod.yaml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(only_stage(dir.path()).as_deref(), Some("dev"));
    }
}
