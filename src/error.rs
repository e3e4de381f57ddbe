//! The typed errors of every command, shown as diagnostics at the edge (`main`).

use miette::Diagnostic;
use thiserror::Error;

/// Any failure of a hover command. Each variant renders as a diagnostic that says what is wrong,
/// where, and what to do.
#[derive(Debug, Error, Diagnostic)]
pub enum HoverError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Live(Box<crate::live::LiveError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] crate::plan::PlanError),

    #[error("the credentials resolve to account {actual}, but the stage `{stage}` belongs to account {expected}")]
    #[diagnostic(
        code(hover::wrong_account),
        help("use the stage's profile (`aws-profile`) or credentials of the stage's account; hover refuses to touch another account")
    )]
    WrongAccount {
        stage: String,
        expected: String,
        actual: String,
    },

    #[error("the stage `{stage}` has no image yet: nothing is deployed and no --image-tag was given (repository `{repository}`)")]
    #[diagnostic(
        code(hover::no_image),
        help("run `hover deploy {stage}` to build, push and deploy the application (or pass --image-tag TAG naming an image already in the stage's repository)")
    )]
    NoImage { stage: String, repository: String },

    #[error("{0}")]
    #[diagnostic(code(hover::usage))]
    Usage(String),

    #[error(
        "the stage `{stage}` is not deployed: there is no stack `{stack}`; nothing was changed"
    )]
    #[diagnostic(
        code(hover::stage_not_deployed),
        help("check the stage's name and region (`.hover/{stage}.yml`), or deploy it first with `hover deploy {stage}`")
    )]
    StageNotDeployed { stage: String, stack: String },

    #[error("the application of stage `{stage}` has no tinker: artisan answered that the command \"tinker\" is not defined")]
    #[diagnostic(
        code(hover::tinker_missing),
        help("add it to the application (`composer require laravel/tinker`, in `require`, not `require-dev`, since the image installs without dev packages) and deploy; `hover command run` runs other artisan commands")
    )]
    TinkerMissing { stage: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    ChangeSet(#[from] crate::changeset::ChangeSetError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Direct(#[from] crate::direct::DirectError),

    #[error("stack `{stack}` is busy with another operation ({status})")]
    #[diagnostic(
        code(hover::stack_busy),
        help("run `hover apply` again without --no-wait to wait for it, or when it is done")
    )]
    StackBusy { stack: String, status: String },

    #[error("stack `{stack}` cannot be changed now: {explanation}")]
    #[diagnostic(code(hover::stack_state))]
    StackNeedsAttention { stack: String, explanation: String },

    #[error("stack `{stack}` failed: {status}{}", causes.iter().map(|c| format!("\n  - {c}")).collect::<String>())]
    #[diagnostic(
        code(hover::stack_failed),
        help("the root causes are listed first; fix them and run `hover apply` again")
    )]
    StackFailed {
        stack: String,
        status: String,
        causes: Vec<String>,
    },

    #[error("CloudFormation does not agree with the plan on {0} resource(s); nothing was executed and the change set was deleted")]
    #[diagnostic(
        code(hover::plan_mismatch),
        help(
            "run `hover plan` again; if it persists, the stage changed in a way hover cannot see"
        )
    )]
    PlanMismatch(usize),

    #[error("CloudFormation could not create the change set: {0}")]
    #[diagnostic(code(hover::change_set_failed))]
    ChangeSetFailed(String),

    #[error("the image `{repository}:{tag}` is not in the stage's repository")]
    #[diagnostic(code(hover::image_missing), help("run `hover deploy <stage>` to build and push it, or pass --image-tag with a tag that exists"))]
    ImageMissing { repository: String, tag: String },

    #[error("deleted outside hover, still recorded by the stack: {0}")]
    #[diagnostic(
        code(hover::deleted_outside),
        help("CloudFormation does not create again what it believes exists; recreate it with the same name, or remove it from the manifest, apply, and add it back. Nothing was changed.")
    )]
    DeletedOutside(String),

    #[error("Apply cancelled.")]
    #[diagnostic(code(hover::cancelled))]
    Cancelled,

    #[error("apply needs approval, but there is no terminal to ask on")]
    #[diagnostic(
        code(hover::needs_approval),
        help("run it in a terminal, or pass --auto-approve to apply without asking")
    )]
    NeedsApproval,

    #[error("Saved plan is stale: {0}")]
    #[diagnostic(code(hover::stale_plan), help("the given plan file can no longer be applied; make a new one with `hover plan <stage> -out FILE`"))]
    StalePlan(String),

    #[error("{0}")]
    #[diagnostic(code(hover::interrupted))]
    Interrupted(String),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Image(#[from] crate::image::ImageError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Rollback(#[from] crate::release::RollbackRefusal),

    #[error("the {phase} phase failed: {cause}")]
    #[diagnostic(
        code(hover::deploy::phase_failed),
        help("traffic stays on the release that was live; fix the cause and run `hover deploy` again")
    )]
    PhaseFailed {
        phase: &'static str,
        cause: Box<HoverError>,
    },

    #[error("deploy command `{command}` {outcome}; traffic stays on the release that was live")]
    #[diagnostic(
        code(hover::deploy::command_failed),
        help("the new versions are published but not live; fix the command and run `hover deploy` again")
    )]
    DeployCommandFailed { command: String, outcome: String },

    #[error("no answer came from `{command}` on {function}: the command may have run ({cause})")]
    #[diagnostic(
        code(hover::command::answer_lost),
        help("hover never sends a command twice. Whether it ran shows in the function's log group {log_group} (`aws logs tail {log_group} --since 15m`); a deploy command's effect (a migration) can be checked with `hover command run`, e.g. `migrate:status`. A deploy stopped here leaves traffic on the release that was live")
    )]
    CommandAnswerLost {
        command: String,
        function: String,
        log_group: String,
        cause: String,
    },

    #[error("`{command}` on {function} failed ({kind}): {message}")]
    #[diagnostic(code(hover::command::function_error))]
    FunctionFailed {
        function: String,
        command: String,
        kind: String,
        message: String,
    },

    #[error("moving `live` failed on {}; {summary}", failed.join("; "))]
    #[diagnostic(code(hover::switch_failed), help("{help}"))]
    SwitchFailed {
        /// Each move that failed, with why.
        failed: Vec<String>,
        /// Where every function's `live` is now, read back after the failure.
        summary: String,
        help: String,
        /// Every function's `live` is back where it was: traffic did not move.
        back: bool,
    },

    #[error("release `{build_id}` cannot be rolled back to: its image is gone from repository `{repository}`")]
    #[diagnostic(
        code(hover::rollback::image_gone),
        help("its versions would fail to start; deploy it again with `hover deploy <stage> --build-id {build_id}`, or roll back to another release")
    )]
    ImageGone {
        build_id: String,
        repository: String,
    },

    #[error("no build of stage `{stage}` to deploy: nothing under .hover/out/ and the image is not in the repository")]
    #[diagnostic(
        code(hover::deploy::no_build),
        help("run `hover build {stage}` first, or `hover deploy {stage}` without --skip-build")
    )]
    NoBuild { stage: String },

    #[error("stage `{stage}` is rolled back: `live` runs release {live}, while the functions' latest code is {latest}; applying a change to a function now would put {latest} live again")]
    #[diagnostic(
        code(hover::rolled_back),
        help("apply with `--image-tag {live}` to change the stage while keeping {live}, or deploy with `hover deploy`")
    )]
    RolledBack {
        stage: String,
        live: String,
        latest: String,
    },

    #[error("stage `{stage}` is locked by {holder}, since {age}s ago")]
    #[diagnostic(
        code(hover::stage_locked),
        help("wait for that run to end; a lock whose run died is reclaimed after an hour (at once when it ran in this machine's PID namespace), or, when you know it is gone, run the command again with --force-unlock (the lock is {lock})")
    )]
    StageLocked {
        stage: String,
        holder: String,
        age: u64,
        lock: String,
    },

    #[error("stage `{stage}` is locked, and its lock {lock} cannot be read (it names no holder hover understands)")]
    #[diagnostic(
        code(hover::stage_lock_unreadable),
        help("hover does not take over a lock it cannot read; when no other run is changing the stage, run the command again with --force-unlock")
    )]
    StageLockUnreadable { stage: String, lock: String },

    #[error("the change set was executed, but hover lost sight of stack `{stack}`: {cause}")]
    #[diagnostic(
        code(hover::watch_lost),
        help("CloudFormation carries on with the stack, which may still be changing: `hover apply` again waits for it and applies what is left; `hover plan` shows where it ended")
    )]
    WatchLost { stack: String, cause: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),

    #[error("{file} does not decrypt under the stage's current key: {why}; nothing was changed")]
    #[diagnostic(code(hover::secrets::undecryptable), help("{recovery}"))]
    SecretsUndecryptable {
        file: String,
        why: String,
        recovery: String,
    },

    #[error("{path} does not exist")]
    #[diagnostic(code(hover::secrets::missing), help("{hint}"))]
    SecretsFileMissing { path: String, hint: String },

    #[error("{path} exists already: decrypting would overwrite it")]
    #[diagnostic(
        code(hover::secrets::plain_exists),
        help("encrypt it first (`hover secret encrypt`), or remove it if the encrypted file is newer")
    )]
    PlainSecretsExist { path: String },

    #[error("the stage already exists: {path}")]
    #[diagnostic(
        code(hover::stage_exists),
        help("hover never overwrites a stage file; choose another stage name, or edit that file")
    )]
    StageExists { path: String },

    #[error("{what} is needed, and there is no terminal to ask on")]
    #[diagnostic(code(hover::needs_flag), help("pass {flag}"))]
    NeedsFlag {
        flag: &'static str,
        what: &'static str,
    },

    #[error("destroying needs the stage's name `{0}` typed, and nothing was typed")]
    #[diagnostic(
        code(hover::destroy_needs_name),
        help("run it in a terminal and type the name, pipe the name on stdin, or pass --auto-approve; nothing was deleted")
    )]
    DestroyNeedsName(String),

    #[error("Destroy cancelled: the name typed is not `{0}`. Nothing was deleted.")]
    #[diagnostic(code(hover::destroy_cancelled))]
    DestroyCancelled(String),

    #[error("the plan destroys data: {}", .0.join("; "))]
    #[diagnostic(
        code(hover::data_loss),
        help("nothing was changed. Drain or move the messages first, or apply with --allow-data-loss to accept losing them")
    )]
    DataLoss(Vec<String>),

    #[error("the stage {stage} has no queue `{name}`")]
    #[diagnostic(
        code(hover::unknown_queue),
        help("its queues (as the manifest's `queue` section names them): {known}; nothing was changed")
    )]
    UnknownQueue {
        stage: String,
        name: String,
        known: String,
    },

    #[error("the queue {name} does not exist")]
    #[diagnostic(
        code(hover::queue_missing),
        help(
            "the stage's queues are made by `hover deploy` (or `hover apply`); nothing was changed"
        )
    )]
    QueueMissing { name: String },

    #[error("purging needs the queue's name `{0}` typed, and nothing was typed")]
    #[diagnostic(
        code(hover::purge_needs_name),
        help("run it in a terminal and type the name, pipe the name on stdin, or pass --auto-approve; nothing was purged")
    )]
    PurgeNeedsName(String),

    #[error("Purge cancelled: the name typed is not `{0}`. Nothing was purged.")]
    #[diagnostic(code(hover::purge_cancelled))]
    PurgeCancelled(String),

    #[error(
        "SQS's message move task of `{queue}` failed after moving {moved} message(s): {reason}"
    )]
    #[diagnostic(
        code(hover::redrive_failed),
        help("the messages it did not move are still in the dead-letter queue; `hover queue retry` again once the cause is fixed")
    )]
    RedriveFailed {
        queue: String,
        moved: u64,
        reason: String,
    },

    #[error("the redrive of `{queue}` stopped after {moved} message(s), {step} message {message_id}: {cause}")]
    #[diagnostic(
        code(hover::redrive_stopped),
        help("the message is still in the dead-letter queue and comes back within seconds; `hover queue retry` again within 5 minutes sends it with the same deduplication id, so SQS keeps a single copy")
    )]
    RedriveStopped {
        queue: String,
        moved: u64,
        message_id: String,
        step: String,
        cause: String,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    File(#[from] crate::files::FileRefusal),

    #[error("the stage has no function `{name}`; its functions are: {known}")]
    #[diagnostic(
        code(hover::logs::unknown_function),
        help(
            "name functions as the manifest does: `http`, `cli`, or a worker's name under `queue`"
        )
    )]
    UnknownFunction { name: String, known: String },

    #[error("CloudWatch Logs rejected the filter pattern `{pattern}`: {message}")]
    #[diagnostic(
        code(hover::logs::filter_rejected),
        help("--filter takes CloudWatch's filter pattern syntax: terms (`ERROR`), phrases (`\"job failed\"`), `-term` to exclude, JSON (`{{ $.level = \"error\" }}`) or space-delimited (`[ip, user, ...]`) patterns")
    )]
    FilterRejected { pattern: String, message: String },

    #[error("could not write output: {0}")]
    #[diagnostic(code(hover::io))]
    Io(#[from] std::io::Error),
}

impl From<crate::live::LiveError> for HoverError {
    /// Boxed: a live-read error is large and rare, and `Result<_, HoverError>` is everywhere.
    fn from(e: crate::live::LiveError) -> Self {
        HoverError::Live(Box::new(e))
    }
}
