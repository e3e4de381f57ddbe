//! Typed run events: what a command that changes a stage reports as it goes (phases, resource
//! progress, stack status, change sets, versions, aliases, the lock, warnings, outcomes), as plain
//! data sent to a [`Sink`]. `render::events` formats them as today's text or as newline-delimited
//! JSON (`hover.events/1`); nothing here formats a sentence.
//!
//! Adding a variant: add it to [`Event`] (or to [`Warning`] / [`Outcome`]), give it its text in
//! `render::events::text` (the compiler points there), and its JSON comes from serde (the
//! variant's name in snake_case as `type`, its fields as they are).

use crate::plan::Plan;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the JSON event stream: every line carries it as `schema`.
pub const SCHEMA: &str = "hover.events/1";

/// Where a command sends its events.
pub trait Sink {
    /// One event, in the order it happened.
    fn emit(&mut self, event: Event);
}

/// A sink that keeps every event (tests, and commands that report afterwards).
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    pub events: Vec<Event>,
}

impl Sink for Recorded {
    fn emit(&mut self, event: Event) {
        self.events.push(event);
    }
}

/// A named phase of a longer command (`hover deploy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Build,
    Plan,
    PreStack,
    Push,
    Assets,
    Apply,
    Publish,
    Warm,
    DeployCommands,
    Switch,
}

impl Phase {
    /// The phase's name as people read it (`Repository, bucket and key`).
    pub fn title(self) -> &'static str {
        match self {
            Phase::Build => "Build",
            Phase::Plan => "Plan",
            Phase::PreStack => "Repository, bucket and key",
            Phase::Push => "Push",
            Phase::Assets => "Assets",
            Phase::Apply => "Apply",
            Phase::Publish => "Publish",
            Phase::Warm => "Warm",
            Phase::DeployCommands => "Deploy commands",
            Phase::Switch => "Switch",
        }
    }

    /// The phase as an error or a release history names it (`deploy commands`).
    pub fn name(self) -> &'static str {
        match self {
            Phase::Build => "build",
            Phase::Plan => "plan",
            Phase::PreStack => "repository, bucket and key",
            Phase::Push => "push",
            Phase::Assets => "assets",
            Phase::Apply => "apply",
            Phase::Publish => "publish",
            Phase::Warm => "warm",
            Phase::DeployCommands => "deploy commands",
            Phase::Switch => "switch",
        }
    }
}

/// What is done to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Modify,
    Destroy,
}

/// Where one resource's operation is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ResourceState {
    Started {
        op: Op,
    },
    /// A modification that makes a new physical resource.
    Replacing,
    /// Still going, `elapsed_ms` since it started (every 10 s).
    Still {
        op: Op,
        elapsed_ms: i64,
    },
    Complete {
        op: Op,
        after_ms: Option<i64>,
    },
    Failed {
        op: Op,
        reason: Option<String>,
    },
    Cancelled {
        op: Op,
    },
    /// A deletion skipped: the resource is retained.
    Skipped,
}

/// One step of `hover destroy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Teardown {
    Stack {
        name: String,
    },
    Bucket {
        name: String,
        objects: Option<u64>,
    },
    Repository {
        name: String,
    },
    Key {
        key_id: String,
        alias: String,
        on: Option<String>,
        pending_days: i32,
    },
}

/// Where the plan and CloudFormation's change set disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub logical_id: String,
    pub plan: String,
    pub cloudformation: String,
}

/// A move of one function's `live` alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasMove {
    pub function: String,
    pub from: String,
    pub to: String,
}

/// A build `hover stage purge` deletes, and what of it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurgedBuild {
    pub build_id: String,
    pub image: bool,
    pub assets: bool,
    pub versions: usize,
}

/// How long a phase took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhaseTime {
    pub phase: Phase,
    pub took_ms: u64,
}

/// A release some functions are on while traffic is split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SplitRelease {
    pub build_id: String,
    pub functions: Vec<String>,
}

/// A build `hover stage purge` keeps, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptBuild {
    pub build_id: String,
    pub why: String,
}

/// Something worth a warning; the run goes on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// A warning of the stage file, located (text shows it as its diagnostic).
    Manifest {
        message: String,
        #[serde(skip)]
        problem: crate::manifest::Problem,
    },
    /// A drifted property apply cannot put back.
    RepairNotPossible { role: String, why: String },
    /// The release history could not be written.
    HistoryNotUpdated {
        bucket: String,
        key: String,
        error: String,
    },
    /// An uploaded template could not be deleted.
    TemplateNotDeleted {
        bucket: String,
        key: String,
        error: String,
    },
    /// The stage lock could not be given back.
    Lock { lock: String, problem: LockProblem },
    /// A warm-up ping failed.
    WarmPingFailed { error: String },
    /// The release rolled back to never served traffic.
    NeverServed { build_id: String, outcome: String },
    /// The Dockerfile does not copy hover's runtime.
    NoRuntime { dockerfile: String },
    /// Plain secrets without an encrypted file: the image carries none.
    SecretsNotEncrypted {
        plain: String,
        encrypted: String,
        stage: String,
    },
}

/// Why the stage lock was not given back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum LockProblem {
    Unreadable { error: String, ttl_minutes: u64 },
    TakenOver,
    Changed,
    NotReleased { error: String, ttl_minutes: u64 },
}

/// How a command ended well.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Outcome {
    Apply {
        changed: bool,
        add: usize,
        change: usize,
        destroy: usize,
        outputs: BTreeMap<String, String>,
    },
    Deploy {
        build_id: String,
        cdn_domain: Option<String>,
        domains: Vec<String>,
        /// Each phase and its time, in order.
        phases: Vec<PhaseTime>,
    },
    Rollback {
        from: Option<String>,
        to: String,
    },
    Destroy {
        steps: usize,
    },
    Purge {
        builds: Vec<String>,
        images: usize,
        objects: usize,
        versions: usize,
    },
}

/// One thing that happened during a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The plan, before anything happens (`again`: made again after the stack settled).
    Planned {
        #[serde(skip)]
        plan: Box<Plan>,
        again: bool,
    },
    PhaseStarted {
        phase: Phase,
    },
    PhaseFinished {
        phase: Phase,
        took_ms: u64,
    },
    /// A resource's operation (the stack's, a pre-stack resource's).
    Resource {
        role: String,
        #[serde(flatten)]
        state: ResourceState,
    },
    /// N of M stack operations done, K in flight.
    StackProgress {
        done: usize,
        total: usize,
        in_flight: usize,
    },
    /// The stack operation is no longer watched (live displays end).
    StackWatchEnded,
    /// The stack is busy with another operation; the run waits for it.
    StackBusy {
        stack: String,
        status: String,
    },
    /// A stack left in review (no resources) is deleted before the stage is created.
    StackReviewCleared {
        stack: String,
    },
    /// A failed creation, explained, before the question to delete it.
    StackCreationFailed {
        stack: String,
        explanation: String,
    },
    /// The stack started rolling back.
    RollingBack {
        reason: Option<String>,
    },
    /// The stack operation settled in `status`.
    StackSettled {
        stack: String,
        status: String,
        took_s: u64,
    },
    /// The CloudFront distribution changes: minutes.
    DistributionChanging,
    /// The template is over the inline limit and goes through the stage's bucket.
    TemplateUploaded {
        bytes: usize,
        bucket: String,
        key: String,
    },
    ChangeSetCreating {
        change_set: String,
        stack: String,
    },
    /// The change set compared with the plan: agreed when `mismatches` is empty.
    ChangeSetChecked {
        mismatches: Vec<Mismatch>,
    },
    /// CloudFormation has nothing to change.
    ChangeSetEmpty,
    ChangeSetExecuting {
        change_set: String,
        stack: String,
    },
    /// An unexecuted change set an earlier run left was deleted.
    ChangeSetDeleted {
        change_set: String,
    },
    /// A drifted property put back through its service's API.
    DriftRepaired {
        role: String,
        property: String,
        call: String,
    },
    /// A function's version published (in a deploy's Publish phase).
    VersionPublished {
        function: String,
        version: u64,
    },
    /// A function's `live` moved, to a version of `build`.
    AliasMoved {
        function: String,
        from: String,
        to: String,
        build: String,
    },
    /// A function's `live` already on the version of `build` it was to move to: nothing moved.
    AliasKept {
        function: String,
        version: String,
        build: String,
    },
    /// Functions published and switched after an apply changed their configuration.
    Released {
        functions: usize,
        took_ms: u64,
    },
    /// Functions whose `live` served `$LATEST` pinned before the stack update.
    LatestPinned {
        functions: usize,
    },
    /// A line of a child tool's output (a build, a push).
    ToolOutput {
        line: String,
    },
    /// The child tool ended.
    ToolEnded,
    /// `hover build` starts.
    BuildStarted {
        name: String,
        stage: String,
        builder: String,
        build_id: String,
        why: Option<String>,
    },
    /// The assets stage exported.
    AssetsExported {
        files: usize,
        dir: String,
        took_ms: u64,
    },
    /// The image built.
    ImageBuilt {
        image: String,
        took_ms: u64,
    },
    ImageAlreadyPushed {
        repository: String,
        tag: String,
    },
    ImagePushed {
        remote: String,
    },
    NoAssets,
    AssetsUploaded {
        uploaded: usize,
        bytes: u64,
        skipped: usize,
        bucket: String,
        prefix: String,
    },
    /// The stack already runs this build: the Apply phase has nothing to do.
    StackRunsBuild,
    Warmed {
        warmed: usize,
        of: u32,
        version: u64,
    },
    /// A deploy command starts on the new CLI version.
    CommandStarted {
        command: String,
    },
    /// What a command run on the stage printed.
    CommandOutput {
        text: String,
    },
    /// Traffic is split across releases; a rollback puts every function on `to`.
    TrafficSplit {
        releases: Vec<SplitRelease>,
        to: String,
    },
    /// What a rollback will move, before it asks.
    RollbackPlanned {
        stage: String,
        from: Option<String>,
        to: String,
        moves: Vec<AliasMove>,
    },
    /// What a purge keeps (and why) and deletes, before it asks.
    PurgePlanned {
        stage: String,
        builds: usize,
        keep: Vec<KeptBuild>,
        delete: Vec<PurgedBuild>,
    },
    /// Nothing to purge.
    PurgeNothing {
        stage: String,
        builds: usize,
        keep: usize,
    },
    /// What `hover destroy` will delete (`manifest`: the stage file, which stays).
    DestroyPlanned {
        plan: crate::plan::destroy::DestroyPlan,
        manifest: String,
    },
    TeardownStarted {
        step: Teardown,
    },
    TeardownDone {
        step: Teardown,
        took_s: u64,
    },
    LockTaken {
        stage: String,
        lock: String,
    },
    LockGivenBack {
        stage: String,
        lock: String,
    },
    Warning {
        #[serde(flatten)]
        warning: Warning,
    },
    Outcome {
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// The run failed: the error, as its diagnostic says it (the stream's last event).
    Failed {
        error: String,
    },
}

/// A question a command asks before it changes anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// Perform the plan shown?
    Apply,
    /// Delete a stack whose creation failed?
    DeleteFailedStack {
        stack: String,
    },
    Rollback,
    Purge,
}

impl From<Warning> for Event {
    fn from(warning: Warning) -> Self {
        Event::Warning { warning }
    }
}

impl From<Outcome> for Event {
    fn from(outcome: Outcome) -> Self {
        Event::Outcome { outcome }
    }
}
