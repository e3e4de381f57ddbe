//! Run events as people read them (the text every changing command prints) and as
//! newline-delimited JSON objects of the versioned schema [`crate::events::SCHEMA`].

use super::Style;
use crate::events::{
    AliasMove, Event, LockProblem, Op, Outcome, PurgedBuild, Question, ResourceState, Teardown,
    Warning,
};
use serde_json::Value;

/// A piece of text output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// One line for standard output.
    Line(String),
    /// Text for standard output written as it is (a plan, a table, a command's output).
    Block(String),
    /// Text for standard error (a diagnostic).
    Error(String),
}

/// Formats events as text. Keeps whether a phase of a longer command is open: a function's move
/// inside a deploy's phase is indented under it, and names no build (the deploy's summary does).
#[derive(Clone, Debug)]
pub struct TextRenderer {
    style: Style,
    in_phase: bool,
}

impl TextRenderer {
    pub fn new(style: Style) -> Self {
        TextRenderer {
            style,
            in_phase: false,
        }
    }

    /// The text of one event (none for events that only feed live displays or JSON).
    pub fn render(&mut self, event: &Event) -> Vec<Text> {
        let line = |s: String| vec![Text::Line(s)];
        match event {
            Event::Planned { plan, again } => {
                let mut out = Vec::new();
                let _ = super::text::write_plan(&mut out, plan, self.style);
                out.push(b'\n');
                let block = Text::Block(String::from_utf8_lossy(&out).into_owned());
                if *again {
                    vec![Text::Line("The plan was made again:".into()), block]
                } else {
                    vec![block]
                }
            }
            Event::PhaseStarted { phase } => {
                self.in_phase = true;
                line(format!(
                    "\n{}",
                    self.style.bold(&format!("==> {}", phase.title()))
                ))
            }
            Event::PhaseFinished { phase, took_ms } => {
                self.in_phase = false;
                line(format!("    {} done in {}", phase.title(), secs(*took_ms)))
            }
            Event::AliasMoved {
                function,
                from,
                to,
                build,
            } => line(self.alias_line(function, &format!("live {from} -> {to}"), build)),
            Event::AliasKept {
                function,
                version,
                build,
            } => line(self.alias_line(function, &format!("live stays on {version}"), build)),
            Event::Warning { warning } => warning_text(warning),
            Event::Outcome { outcome } => outcome_text(outcome, self.style),
            Event::ChangeSetChecked { mismatches } if !mismatches.is_empty() => {
                let rows: Vec<(String, String, String)> = mismatches
                    .iter()
                    .map(|m| {
                        (
                            m.logical_id.clone(),
                            m.plan.clone(),
                            m.cloudformation.clone(),
                        )
                    })
                    .collect();
                let mut out = Vec::new();
                let _ = super::text::write_mismatches(&mut out, &rows, self.style);
                vec![Text::Block(String::from_utf8_lossy(&out).into_owned())]
            }
            Event::DestroyPlanned { plan, manifest } => {
                let mut out = Vec::new();
                let _ = super::destroy::write_destroy_plan(&mut out, plan, manifest, self.style);
                out.push(b'\n');
                vec![Text::Block(String::from_utf8_lossy(&out).into_owned())]
            }
            Event::CommandOutput { text } => {
                let mut text = text.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                vec![Text::Block(text)]
            }
            other => plain_lines(other).into_iter().map(Text::Line).collect(),
        }
    }
}

impl TextRenderer {
    /// A function's `live` line: indented under a phase, else naming the build it is on.
    fn alias_line(&self, function: &str, what: &str, build: &str) -> String {
        if self.in_phase {
            format!("    {function}: {what}")
        } else {
            format!("{function}: {what} ({build})")
        }
    }
}

/// Seconds with one decimal (`3.1s`).
fn secs(ms: u64) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The lines of the events whose text does not depend on the run's state or style.
pub fn plain_lines(event: &Event) -> Vec<String> {
    let one = |s: String| vec![s];
    match event {
        Event::Resource { role, state } => one(resource_line(role, state)),
        Event::StackBusy { stack, status } => one(format!(
            "Stack {stack} is busy ({status}); waiting for the operation in progress to finish..."
        )),
        Event::StackReviewCleared { stack } => one(format!(
            "Stack {stack} is in REVIEW_IN_PROGRESS: a change set created it and was never executed, so it holds no resources. Deleting it (and its unexecuted change sets) before creating the stage."
        )),
        Event::StackCreationFailed { explanation, .. } => one(explanation.clone()),
        Event::RollingBack { reason } => one(match reason {
            Some(r) => format!("Rolling back: {r}"),
            None => "Rolling back".into(),
        }),
        Event::StackSettled {
            stack,
            status,
            took_s,
        } => one(format!("Stack {stack}: {status} after {took_s}s")),
        Event::DistributionChanging => one(
            "The CloudFront distribution changes: this usually takes several minutes.".into(),
        ),
        Event::TemplateUploaded { bytes, bucket, key } => one(format!(
            "The template is {bytes} bytes, over CloudFormation's inline limit; uploading it to s3://{bucket}/{key} until the change set is made."
        )),
        Event::ChangeSetCreating { change_set, stack } => one(format!(
            "Creating change set {change_set} on stack {stack}..."
        )),
        Event::ChangeSetEmpty => one("CloudFormation has no template changes to make.".into()),
        Event::ChangeSetExecuting { change_set, stack } => one(format!(
            "CloudFormation agrees with the plan; executing change set {change_set} on stack {stack}..."
        )),
        Event::ChangeSetDeleted { change_set } => one(format!(
            "Deleted change set {change_set}: it was left behind and never executed."
        )),
        Event::DriftRepaired {
            role,
            property,
            call,
        } => one(format!("{role}: {property} put back ({call})")),
        Event::VersionPublished { function, version } => {
            one(format!("    {function}: version {version}"))
        }
        Event::Released {
            functions,
            took_ms,
        } => one(format!(
            "Published and switched {functions} function(s) in {}: their new configuration is live.",
            secs(*took_ms)
        )),
        Event::LatestPinned { functions } => one(format!(
            "    {functions} function(s) served $LATEST; pinned to a version of what they run now so the update cannot move their traffic"
        )),
        Event::ToolOutput { line } => one(format!("    {line}")),
        other => deploy_lines(other),
    }
}

/// [`plain_lines`] of the build's and a deploy's own phases (push, assets, warm, commands).
fn deploy_lines(event: &Event) -> Vec<String> {
    let one = |s: String| vec![s];
    match event {
        Event::BuildStarted {
            name,
            stage,
            builder,
            build_id,
            why,
        } => std::iter::once(format!(
            "Building {name} for stage {stage} with {builder} (build {build_id})"
        ))
        .chain(why.iter().map(|w| format!("    {w}")))
        .collect(),
        Event::AssetsExported {
            files,
            dir,
            took_ms,
        } => one(format!("Assets: {files} files in {dir} ({})", secs(*took_ms))),
        Event::ImageBuilt { image, took_ms } => one(format!("Image: {image} ({})", secs(*took_ms))),
        Event::ImageAlreadyPushed { repository, tag } => one(format!(
            "    {repository}:{tag} is already in the repository; not pushed again"
        )),
        Event::ImagePushed { remote } => one(format!("    pushed {remote}")),
        Event::NoAssets => one("    no assets in this build".into()),
        Event::AssetsUploaded {
            uploaded,
            bytes,
            skipped,
            bucket,
            prefix,
        } => one(format!(
            "    {uploaded} uploaded ({bytes} bytes), {skipped} already there, to s3://{bucket}/{prefix}"
        )),
        Event::StackRunsBuild => one("    the stack already runs this build".into()),
        Event::Warmed {
            warmed,
            of,
            version,
        } => one(format!(
            "    {warmed} of {of} containers warmed on version {version}"
        )),
        Event::CommandStarted { command } => one(format!("    $ php artisan {command}")),
        other => rollback_purge_destroy_lines(other),
    }
}

/// [`plain_lines`] of what a rollback, a purge and a destroy show and do.
fn rollback_purge_destroy_lines(event: &Event) -> Vec<String> {
    let one = |s: String| vec![s];
    match event {
        Event::TrafficSplit { releases, to } => {
            let split: Vec<String> = releases
                .iter()
                .map(|r| format!("{} on {}", r.build_id, r.functions.join(", ")))
                .collect();
            one(format!(
                "Traffic is split ({}): every function goes to release {to}.",
                split.join("; ")
            ))
        }
        Event::RollbackPlanned {
            stage,
            from,
            to,
            moves,
        } => rollback_lines(stage, from.as_deref(), to, moves),
        Event::PurgeNothing {
            stage,
            builds,
            keep,
        } => one(format!(
            "Nothing to purge: stage {stage} holds {builds} build(s), within the {keep} kept."
        )),
        Event::PurgePlanned {
            stage,
            builds,
            keep,
            delete,
        } => {
            let mut lines = vec![format!(
                "Stage {stage}: {builds} build(s); keeping {}:",
                keep.len()
            )];
            lines.extend(
                keep.iter()
                    .map(|k| format!("  = {} ({})", k.build_id, k.why)),
            );
            lines.push(format!("Deleting {}:", delete.len()));
            lines.extend(delete.iter().map(purged_line));
            lines
        }
        Event::TeardownStarted { step } => teardown_started(step).into_iter().collect(),
        Event::TeardownDone { step, took_s } => one(teardown_done(step, *took_s)),
        _ => vec![],
    }
}

fn rollback_lines(stage: &str, from: Option<&str>, to: &str, moves: &[AliasMove]) -> Vec<String> {
    std::iter::once(format!(
        "Rolling back stage {stage} from {} to release {to}:",
        from.unwrap_or("(no single release)")
    ))
    .chain(moves.iter().map(|m| {
        if m.from == m.to {
            format!("  {}: live stays on {}", m.function, m.to)
        } else {
            format!("  {}: live {} -> {}", m.function, m.from, m.to)
        }
    }))
    .collect()
}

fn purged_line(b: &PurgedBuild) -> String {
    let mut parts = Vec::new();
    if b.image {
        parts.push("image".to_string());
    }
    if b.assets {
        parts.push(format!("assets/{}/", b.build_id));
    }
    if b.versions > 0 {
        parts.push(format!("{} function version(s)", b.versions));
    }
    format!("  - {}: {}", b.build_id, parts.join(", "))
}

fn teardown_started(step: &Teardown) -> Option<String> {
    match step {
        Teardown::Stack { name } => Some(format!("stack {name}: Deleting...")),
        Teardown::Bucket { name, .. } => {
            Some(format!("assets bucket {name}: Emptying and deleting..."))
        }
        Teardown::Repository { name } => Some(format!("image repository {name}: Deleting...")),
        Teardown::Key { .. } => None,
    }
}

fn teardown_done(step: &Teardown, took_s: u64) -> String {
    match step {
        Teardown::Stack { name } => format!("stack {name}: Deletion complete after {took_s}s"),
        Teardown::Bucket { name, objects } => format!(
            "assets bucket {name}: {} objects deleted, bucket deleted after {took_s}s",
            objects.unwrap_or_default()
        ),
        Teardown::Repository { name } => {
            format!("image repository {name}: Deletion complete after {took_s}s")
        }
        Teardown::Key {
            key_id,
            alias,
            on,
            pending_days,
        } => format!(
            "secrets key {key_id}: scheduled for deletion {}; alias {alias} removed",
            on.as_ref()
                .map(|d| format!("on {d}"))
                .unwrap_or_else(|| format!("in {pending_days} days"))
        ),
    }
}

/// A resource's progress line, Terraform's way (`http function: Creating...`).
pub fn resource_line(role: &str, state: &ResourceState) -> String {
    let text = match state {
        ResourceState::Started { op } => match op {
            Op::Create => "Creating...".to_string(),
            Op::Modify => "Modifying...".to_string(),
            Op::Destroy => "Destroying...".to_string(),
        },
        ResourceState::Replacing => "Creating replacement...".to_string(),
        ResourceState::Still { op, elapsed_ms } => format!(
            "Still {}... [{} elapsed]",
            match op {
                Op::Create => "creating",
                Op::Modify => "modifying",
                Op::Destroy => "destroying",
            },
            format_elapsed(*elapsed_ms)
        ),
        ResourceState::Complete { op, after_ms } => format!(
            "{}{}",
            match op {
                Op::Create => "Creation complete",
                Op::Modify => "Modifications complete",
                Op::Destroy => "Destruction complete",
            },
            after_ms
                .map(|ms| format!(" after {}", format_elapsed(ms)))
                .unwrap_or_default()
        ),
        ResourceState::Failed { op, reason } => {
            let failed = match op {
                Op::Create => "Creation failed",
                Op::Modify => "Modification failed",
                Op::Destroy => "Destruction failed",
            };
            match reason {
                Some(r) => format!("{failed}: {r}"),
                None => failed.to_string(),
            }
        }
        ResourceState::Cancelled { op } => match op {
            Op::Create => "Creation cancelled",
            Op::Modify => "Modification cancelled",
            Op::Destroy => "Destruction cancelled",
        }
        .to_string(),
        ResourceState::Skipped => "Destruction skipped (retained)".to_string(),
    };
    format!("{role}: {text}")
}

/// Elapsed time the way Terraform prints it: `0s`, `12s`, `1m5s`, `1h2m3s` (whole seconds, rounded
/// down).
pub fn format_elapsed(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

fn warning_text(warning: &Warning) -> Vec<Text> {
    let line = match warning {
        Warning::Manifest { problem, .. } => {
            let report = miette::Report::new(crate::manifest::Warning(problem.clone()));
            return vec![Text::Error(format!("{report:?}"))];
        }
        Warning::RepairNotPossible { role, why } => format!("Warning: {role}: {why}"),
        Warning::HistoryNotUpdated { bucket, key, error } => format!(
            "Warning: the release history s3://{bucket}/{key} could not be updated ({error}); `hover releases` may not show this outcome"
        ),
        Warning::TemplateNotDeleted { bucket, key, error } => format!(
            "Warning: the uploaded template s3://{bucket}/{key} could not be deleted ({error}); delete it by hand"
        ),
        Warning::Lock { lock, problem } => lock_warning(lock, problem),
        Warning::WarmPingFailed { error } => format!("    Warning: a warm-up ping failed: {error}"),
        Warning::NeverServed { build_id, outcome } => {
            format!("Warning: release {build_id} never served traffic ({outcome}).")
        }
        Warning::NoRuntime { dockerfile } => format!(
            "Warning: {dockerfile} does not copy hover's runtime: its functions will not answer on Lambda. Its final stage needs `ARG HOVER_BUILD_ID`, `COPY .hover/out/${{HOVER_BUILD_ID}}/runtime /opt/hover` and `ENTRYPOINT [\"/opt/hover/bootstrap\"]` (see `hover stage new`)."
        ),
        Warning::SecretsNotEncrypted {
            plain,
            encrypted,
            stage,
        } => format!(
            "Warning: {plain} holds secrets but {encrypted} does not exist: the image carries no secrets. Run `hover secret encrypt --stage {stage}` first."
        ),
    };
    vec![Text::Line(line)]
}

/// Why the stage lock was not given back, as a warning.
pub fn lock_warning(lock: &str, problem: &LockProblem) -> String {
    match problem {
        LockProblem::Unreadable { error, ttl_minutes } => format!(
            "Warning: the stage lock {lock} could not be read to be given back ({error}); it is reclaimed after {ttl_minutes} minutes, or `--force-unlock` takes it"
        ),
        LockProblem::TakenOver => format!(
            "Warning: the stage lock {lock} is no longer this run's (another run took it over); it was left alone"
        ),
        LockProblem::Changed => format!(
            "Warning: the stage lock {lock} changed while it was given back; it was left alone"
        ),
        LockProblem::NotReleased { error, ttl_minutes } => format!(
            "Warning: the stage lock {lock} could not be released ({error}); it is reclaimed after {ttl_minutes} minutes, or `--force-unlock` takes it"
        ),
    }
}

fn outcome_text(outcome: &Outcome, style: Style) -> Vec<Text> {
    let mut out = Vec::new();
    let done = |what: &str| style.green(&style.bold(what));
    let _ = match outcome {
        Outcome::Apply { changed: false, .. } => return vec![],
        Outcome::Apply {
            add,
            change,
            destroy,
            outputs,
            ..
        } => {
            let summary = crate::plan::Summary {
                add: *add,
                change: *change,
                destroy: *destroy,
            };
            super::text::write_apply_complete(&mut out, &summary, outputs, style)
        }
        Outcome::Deploy { .. } => super::release::write_deploy_summary(&mut out, outcome, style),
        Outcome::Rollback { from, to } => {
            super::release::write_rollback(&mut out, from.as_deref(), to, style)
        }
        Outcome::Destroy { steps } => {
            return vec![Text::Line(format!(
                "\n{} {steps} steps carried out.",
                done("Destroy complete!")
            ))]
        }
        Outcome::Purge { builds, .. } if builds.is_empty() => return vec![],
        Outcome::Purge {
            builds,
            images,
            objects,
            versions,
        } => {
            return vec![Text::Line(format!(
                "\n{} {} build(s) deleted: {images} image(s), {objects} asset object(s), {versions} function version(s).",
                done("Purge complete!"),
                builds.len()
            ))]
        }
    };
    vec![Text::Block(String::from_utf8_lossy(&out).into_owned())]
}

/// The question's text (`Do you want to perform these actions?`...).
pub fn question_text(q: &Question) -> String {
    match q {
        Question::Apply => "Do you want to perform these actions?\n  hover will perform the actions described above.\n  Only 'yes' will be accepted to approve.".into(),
        Question::DeleteFailedStack { stack } => {
            format!("Delete the failed stack {stack} so it can be created again?")
        }
        Question::Rollback => "Do you want to roll back?\n  Only 'yes' will be accepted to approve.".into(),
        Question::Purge => "Delete these builds?\n  Only 'yes' will be accepted to approve.".into(),
    }
}

/// One event as a JSON object of the `hover.events/1` schema: `schema`, `type`, then the event's
/// fields; a plan is the document `hover plan --json` prints.
pub fn to_json(event: &Event) -> Value {
    let mut body = serde_json::to_value(event).unwrap_or(Value::Null);
    if let Event::Planned { plan, .. } = event {
        body["plan"] = super::json::to_value(plan);
    }
    let mut doc = serde_json::Map::new();
    doc.insert("schema".into(), Value::String(crate::events::SCHEMA.into()));
    if let Value::Object(fields) = body {
        doc.extend(fields);
    }
    Value::Object(doc)
}

/// One event as one line of newline-delimited JSON (with its newline).
pub fn json_line(event: &Event) -> String {
    let mut line = serde_json::to_string(&to_json(event)).unwrap_or_default();
    line.push('\n');
    line
}

/// The text of a whole run without colour, as a pipe gets it (live displays aside): what tests
/// compare.
pub fn plain_text(events: &[Event]) -> String {
    let mut r = TextRenderer::new(Style::PLAIN);
    let mut out = String::new();
    for e in events {
        for t in r.render(e) {
            match t {
                Text::Line(l) => {
                    out.push_str(&l);
                    out.push('\n');
                }
                Text::Block(b) => out.push_str(&b),
                Text::Error(_) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
