//! hover: deploy Laravel applications to AWS Lambda, one isolated stage at a time, showing exactly
//! what will change before anything changes.
//!
//! Module map (data flows top to bottom):
//!
//! - [`manifest`]  — `.hover/<stage>.yml` parsed and validated; errors at file:line:column.
//! - [`model`]     — the plain-data stage model shared by every layer (desired and observed);
//!   `model::kinds`: the handle of each resource type hover manages (`ResourceKind`, serialized
//!   as its CloudFormation type; `ResourceType` for a type met in AWS, managed or kept as
//!   written) and one description per kind (which drift `direct` puts back through which call,
//!   what the plan calls it); `model::target`: what `live` looks up for a resource, with typed
//!   keys per kind (`Lookup`).
//! - [`naming`]    — the AWS names and logical ids of a stage's resources and the limits on them,
//!   written once for the manifest checks and the stage builder.
//! - [`stage`]     — the manifest turned into the desired stage: typed resources named through
//!   [`naming`], dependencies, stack outputs; one module per part of the stage (pre-stack
//!   resources, queues, role, functions, rules, api, cdn).
//! - [`schema`]    — CloudFormation facts per resource type (create-only properties).
//! - [`template`]  — the CloudFormation template built in memory from the desired stage; its
//!   `intrinsics` build and read `Ref`, `Fn::GetAtt` and `Fn::Sub`.
//! - [`live`]      — the stage as AWS has it, read concurrently through the SDK within each API's
//!   request-rate quota (`live::quota`, the table of every operation hover calls); what it looks
//!   up for each resource is `live::targets` (one reader per `Lookup` variant); the caller and the account's Lambda quotas are
//!   `live::account`; the clients and their SDK config (region, profile, retries, the profile
//!   files, the notes on the environment) are `live::config`; SDK types stop here.
//! - [`plan`]      — the only place actions are decided: per property the diff tree, its cause and
//!   whether apply can put drift back; reasons, dependency order. Values carry unknown and
//!   sensitive parts as typed marks (`plan::marked`), never as text; `plan::traffic` says which
//!   build each function's `live` is on and names a stage split across releases.
//! - [`render`]    — the plan model formatted as human text, JSON or markdown; run events as text
//!   or `hover.events/1` JSON lines (`render::events`); the operational commands' reports (logs,
//!   status, queues, maintenance); no AWS, writes to the writer it is given.
//! - [`events`]    — typed run events (phases, resource progress, stack status, change sets,
//!   versions, aliases, the lock, warnings, outcomes) sent to a `Sink`; no sentences.
//! - [`changeset`] — the CloudFormation change-set lifecycle (SDK types stop here too);
//!   `changeset::poll` is the one poller of change sets and stack operations: adaptive, under an
//!   overall limit whose end names what is still in progress.
//! - [`direct`]    — writes to the stage's resources through service APIs, one file per service:
//!   pre-stack resources, drift repairs dispatched from the type table, the secrets key, the stage
//!   lock, teardown (SDK types stop here).
//! - [`release`]   — one module per concern: build ids, releases grouped from published versions,
//!   their history and outcomes (`release::history`), rollback targets, purge choices, the
//!   runtime's CLI payloads, a build's assets, and the records a build, deploy and rollback leave
//!   (the data their summaries render); its `aws` half publishes, moves `live` and invokes, logs
//!   in to the registry (`aws::registry`) and uploads assets (`aws::assets`) (SDK types stop there).
//! - [`image`]     — the container tool (docker, podman, buildah): choosing it (`image::choose`),
//!   building and exporting assets (`image::builder`), logging in and pushing (`image::registry`).
//! - [`secrets`]   — the stage's secrets file: envelope encryption and its format (pure).
//! - [`files`]     — reading the files hover reads: regular files only, under size limits.
//! - [`runtime`]   — hover's Lambda runtime, embedded in the binary and written into every build.
//! - [`project`]   — the files of a new stage (`hover stage new`): manifest, Dockerfile, ignores.
//! - [`policy`]    — the least-privilege IAM policies for plan, deploy and the stack's role,
//!   generated from the operations hover calls (`live::quota`) and the resource schemas.
//! - [`ops`]       — one function per command over one stage context (`ops::context`: the
//!   manifest read once, clients built once, account, partition, and once planned the desired
//!   and observed stage, `refresh()` re-reading only what is live); a long command is named steps
//!   over it (`ops::apply`: stack readiness, the change set, drift, release; `ops::deploy` is
//!   build, push, assets, apply's own steps, publish, warm, commands, switch), reporting through
//!   `ops::Ui` (a `Sink` of events that can ask); `ops::release` publishes and moves `live`, its
//!   `rollback` moves it back. `ops::doctor` checks what a deploy needs, read
//!   only (its checks by concern: setup, stage, quotas); `ops::logs`, `ops::status`,
//!   `ops::queue`, `ops::maintenance` (`hover down`/`up`) and `ops::tinker` run a live stage;
//!   `ops::lock` is the stage lock, `ops::signals` the interrupts a changing command handles.
//! - [`cli`]       — argument parsing and exit codes only, one function per command; its
//!   `terminal` half holds the prompts and progress display, its `generate` half the shell
//!   completions and the manual, both from the clap definitions.
//! - [`error`]     — the typed errors shown as diagnostics at the edge.

pub mod changeset;
pub mod cli;
pub mod direct;
pub mod error;
pub mod events;
pub mod files;
pub mod image;
pub mod live;
pub mod manifest;
pub mod model;
pub mod naming;
pub mod ops;
pub mod plan;
pub mod policy;
pub mod project;
pub mod release;
pub mod render;
pub mod runtime;
pub mod schema;
pub mod secrets;
pub mod stage;
pub mod template;
