//! `hover deploy`: build, push, upload assets, apply, publish, warm, run the deploy commands, then
//! switch every `live` at once. Until the switch, traffic stays on the release it was on; a failed
//! phase names itself and leaves it there.

use crate::direct;
use crate::error::HoverError;
use crate::image::{self, Builder};
use crate::manifest;
use crate::ops::apply::{
    approve, carry_out, clear_leftovers, ensure_direct, preflight, ready_stack, refuse_data_loss,
    stage_outputs,
};
use crate::ops::build::{self, BuildOptions, BuildRecord};
use crate::ops::lock;
use crate::ops::plan::{compute_plan, PlanOptions, PlannedStage};
use crate::ops::release;
use crate::ops::release::{
    cli_function, function_names, http_function, live_versions, moves, publish_all, run_command,
    switch_all, warm,
};
use crate::ops::signals;
use crate::ops::ApplyUi;
use crate::plan;
use crate::release::CommandResult;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use crate::release::DeploySummary;

/// Settings of one deploy.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    pub dir: PathBuf,
    pub stage: String,
    pub auto_approve: bool,
    /// The build to deploy (with `skip_build`), or the id of the new build.
    pub build_id: Option<String>,
    /// Deploy a build made earlier (`hover build`) instead of building now.
    pub skip_build: bool,
    /// `--builder`: the container tool.
    pub builder: Option<String>,
    /// Carry out deletions and replacements that destroy data (messages in a queue).
    pub allow_data_loss: bool,
}

/// Runs the phases in order, timing each and naming the one that failed.
struct Phases<'a> {
    ui: &'a mut dyn ApplyUi,
    done: Vec<(String, Duration)>,
}

impl<'a> Phases<'a> {
    fn start(&mut self, name: &'static str) -> Instant {
        set_phase(name);
        self.ui.phase(name);
        Instant::now()
    }

    fn end(&mut self, name: &str, started: Instant) {
        let took = started.elapsed();
        self.ui.phase_done(name, took);
        self.done.push((name.to_string(), took));
    }
}

/// Names the phase a failure happened in; traffic has not moved.
fn in_phase(phase: &'static str) -> impl FnOnce(HoverError) -> HoverError {
    move |e| match e {
        // Already explained by themselves.
        HoverError::Cancelled
        | HoverError::NeedsApproval
        | HoverError::Interrupted(_)
        | HoverError::SwitchFailed { .. }
        | HoverError::CommandAnswerLost { .. }
        | HoverError::DeployCommandFailed { .. } => e,
        other => HoverError::PhaseFailed {
            phase,
            cause: Box::new(other),
        },
    }
}

/// Runs `hover deploy`.
pub async fn deploy(
    opts: &DeployOptions,
    ui: &mut dyn ApplyUi,
) -> Result<DeploySummary, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    // Secrets the stage's key cannot decrypt stop the deploy before it builds.
    let clients = crate::ops::plan::stage_clients(&manifest).await?;
    crate::ops::secret::check_decryptable(&opts.dir, &opts.stage, &manifest, &clients).await?;
    let mut phases = Phases {
        ui,
        done: Vec::new(),
    };

    // Build, or find the build to deploy.
    let record = if opts.skip_build {
        match &opts.build_id {
            Some(id) => {
                build::check_build_id(id)?;
                build::read_record(&opts.dir, id)
            }
            None => Some(build::latest_record(&opts.dir, &opts.stage).ok_or_else(|| {
                HoverError::NoBuild {
                    stage: opts.stage.clone(),
                }
            })?),
        }
    } else {
        let t = phases.start("Build");
        let build_opts = BuildOptions {
            dir: opts.dir.clone(),
            stage: opts.stage.clone(),
            build_id: opts.build_id.clone(),
            builder: opts.builder.clone(),
        };
        let record = build::build_stage(&manifest, &build_opts, phases.ui)
            .await
            .map_err(in_phase("build"))?;
        phases.end("Build", t);
        Some(record)
    };
    let build_id = match (&record, &opts.build_id) {
        (Some(r), _) => r.build_id.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => {
            return Err(HoverError::NoBuild {
                stage: opts.stage.clone(),
            })
        }
    };
    let plan_opts = PlanOptions {
        dir: opts.dir.clone(),
        stage: opts.stage.clone(),
        image_tag: Some(build_id.clone()),
    };

    // 1. Repository, bucket and key.
    let t = phases.start("Repository, bucket and key");
    let planned = compute_plan(&plan_opts)
        .await
        .map_err(in_phase("repository, bucket and key"))?;
    let resolved = plan::resolved_desired(&planned.desired, &planned.observed);
    ensure_direct(&planned, &resolved, phases.ui)
        .await
        .map_err(in_phase("repository, bucket and key"))?;
    phases.end("Repository, bucket and key", t);

    // Everything after the pre-stack resources runs under the stage lock, which is given back
    // however the deploy ends (an interrupt included).
    let clients = planned.clients.clone();
    let clients = &clients;
    let lock = lock::acquire(clients, &manifest.name, "hover deploy").await?;
    let stage = opts.stage.clone();
    let done = signals::guard(
        locked_deploy(
            &manifest,
            opts,
            &plan_opts,
            planned,
            record,
            build_id.clone(),
            &mut phases,
        ),
        |signal| {
            HoverError::Interrupted(format!(
                "{} during the {} phase, before the switch: traffic stays on the release that was live (any new versions are published but not live); the stage lock was given back",
                signal.name(),
                current_phase()
            ))
        },
        |signal| {
            HoverError::Interrupted(format!(
                "{} twice during the switch: hover stopped without waiting for it, so functions may be on different releases; `hover plan {stage}` names which function is on which, `hover rollback {stage}` puts them back on the release that was live",
                signal.name()
            ))
        },
    )
    .await;
    if let Err(e) = &done {
        if let Some(phase) = failed_after_publish(e) {
            release::record(
                clients,
                &manifest.name,
                |h, at| h.failed(&build_id, phase, at),
                phases.ui,
            )
            .await;
        }
    }
    lock.release(phases.ui).await;
    done
}

/// The phase now running, for the message of an interrupt.
static CURRENT_PHASE: std::sync::Mutex<&'static str> = std::sync::Mutex::new("deploy");

fn set_phase(name: &'static str) {
    if let Ok(mut p) = CURRENT_PHASE.lock() {
        *p = name;
    }
}

fn current_phase() -> &'static str {
    CURRENT_PHASE.lock().map(|p| *p).unwrap_or("deploy")
}

/// The phase a failed deploy had published its versions by, when it had: recorded in the
/// release history (its release never went live).
fn failed_after_publish(e: &HoverError) -> Option<&'static str> {
    match e {
        HoverError::DeployCommandFailed { .. } | HoverError::CommandAnswerLost { .. } => {
            Some("deploy commands")
        }
        HoverError::SwitchFailed { .. } => Some("switch"),
        HoverError::PhaseFailed { phase, .. }
            if matches!(*phase, "warm" | "deploy commands" | "switch") =>
        {
            Some(phase)
        }
        _ => None,
    }
}

/// Phases 2 to 9 of a deploy, under the stage lock.
async fn locked_deploy(
    manifest: &crate::manifest::Manifest,
    opts: &DeployOptions,
    plan_opts: &PlanOptions,
    planned: PlannedStage,
    record: Option<BuildRecord>,
    build_id: String,
    phases: &mut Phases<'_>,
) -> Result<DeploySummary, HoverError> {
    // 2. Push.
    let t = phases.start("Push");
    push(&planned, record.as_ref(), &build_id, opts, phases.ui)
        .await
        .map_err(in_phase("push"))?;
    phases.end("Push", t);

    // 3. Assets.
    let t = phases.start("Assets");
    let files = crate::release::assets::asset_files(&build::assets_dir(&opts.dir, &build_id))
        .map_err(|e| in_phase("assets")(HoverError::Io(e)))?;
    if files.is_empty() {
        phases.ui.note("    no assets in this build");
    } else {
        let bucket = crate::naming::bucket(&manifest.name);
        let prefix = format!("assets/{build_id}/");
        let up = crate::release::aws::upload_assets(&planned.clients, &bucket, &prefix, &files)
            .await
            .map_err(|e| in_phase("assets")(e.into()))?;
        phases.ui.note(&format!(
            "    {} uploaded ({} bytes), {} already there, to s3://{bucket}/{prefix}",
            up.uploaded, up.bytes, up.skipped
        ));
    }
    phases.end("Assets", t);

    // 4. Apply with the new image.
    let t = phases.start("Apply");
    let planned = apply_phase(plan_opts, opts, phases.ui)
        .await
        .map_err(in_phase("apply"))?;
    phases.end("Apply", t);

    let functions = function_names(manifest);
    let clients = &planned.clients;

    if signals::requested() {
        return Err(HoverError::Interrupted(
            "interrupted during the apply phase: hover finished pinning `live` first; traffic stays on the release that was live".into(),
        ));
    }

    // 5–7. Publish, warm, deploy commands. An interrupt stops here with traffic where it was.
    let (versions, before) =
        release_phases(manifest, &functions, &build_id, clients, phases).await?;

    // 8. Switch every `live` at once; an interrupt lets it finish.
    let t = phases.start("Switch");
    let moves = moves(&versions, &before);
    switch_all(clients, &moves)
        .await
        .map_err(in_phase("switch"))?;
    for m in &moves {
        phases
            .ui
            .progress_line(&format!("    {}: live {} -> {}", m.function, m.from, m.to));
    }
    release::record(
        clients,
        &manifest.name,
        |h, at| h.went_live(&build_id, at),
        phases.ui,
    )
    .await;
    phases.end("Switch", t);
    if signals::requested() {
        return Err(HoverError::Interrupted(format!(
            "interrupted during the switch: hover finished it first; build {build_id} is live on every function"
        )));
    }

    let outputs = stage_outputs(&planned).await.unwrap_or_default();
    Ok(DeploySummary {
        build_id,
        cdn_domain: outputs.get("CdnDomain").cloned(),
        domains: manifest.http.domains.clone(),
        phases: std::mem::take(&mut phases.done),
        moves,
    })
}

/// Pushes the build's image to the stage's repository, unless the tag is already there.
async fn push(
    planned: &PlannedStage,
    record: Option<&BuildRecord>,
    build_id: &str,
    opts: &DeployOptions,
    ui: &mut dyn ApplyUi,
) -> Result<(), HoverError> {
    let repository = &planned.desired.name;
    if direct::image_exists(&planned.clients, repository, build_id).await? {
        ui.note(&format!(
            "    {repository}:{build_id} is already in the repository; not pushed again"
        ));
        return Ok(());
    }
    let Some(record) = record else {
        return Err(HoverError::NoBuild {
            stage: opts.stage.clone(),
        });
    };
    let builder = match image::which(&record.builder, std::env::var_os("PATH").as_deref()) {
        Some(program) => Builder {
            kind: image::find_builder(
                Some((&record.builder, "the build record")),
                std::env::var_os("PATH").as_deref(),
            )?
            .kind,
            program,
            env: record.builder_env.clone(),
        },
        None => build::builder(opts.builder.as_deref())?.builder,
    };
    let login = crate::release::aws::registry_login(&planned.clients).await?;
    let (host, insecure) = image::registry_host(&login.endpoint);
    builder
        .run(
            "registry login",
            &builder.login_args(&host, &login.user, insecure),
            Some(login.password.as_bytes()),
            &mut |line: &str| ui.tool_line(line),
        )
        .await?;
    let remote = format!("{host}/{repository}:{build_id}");
    builder
        .run(
            "image tag",
            &builder.tag_args(&record.image, &remote),
            None,
            &mut |line: &str| ui.tool_line(line),
        )
        .await?;
    builder
        .run(
            "image push",
            &builder.push_args(&remote, insecure),
            None,
            &mut |line: &str| ui.tool_line(line),
        )
        .await?;
    ui.tool_end();
    ui.note(&format!("    pushed {remote}"));
    Ok(())
}

/// The apply of a deploy: the plan shown and confirmed exactly as `hover apply` does, then carried
/// out; `live` is not touched (the switch comes later). Functions whose `live` still points at
/// `$LATEST` are first pinned to a version of what they run now, so the stack update cannot move
/// their traffic.
async fn apply_phase(
    plan_opts: &PlanOptions,
    opts: &DeployOptions,
    ui: &mut dyn ApplyUi,
) -> Result<PlannedStage, HoverError> {
    let mut planned = compute_plan(plan_opts).await?;
    ui.show_plan(&planned.plan);
    if !planned.plan.has_changes() {
        ui.note("    the stack already runs this build");
        return Ok(planned);
    }
    refuse_data_loss(&planned.plan, opts.allow_data_loss)?;
    let Some(create) = ready_stack(&mut planned, plan_opts, false, !opts.auto_approve, ui).await?
    else {
        return Ok(planned);
    };
    if !opts.auto_approve {
        approve(ui)?;
    }
    preflight(&planned).await?;
    lock::ensure_unchanged(&planned).await?;
    clear_leftovers(&planned, ui).await?;
    pin_latest(&planned, ui).await?;
    carry_out(&planned, create, ui).await?;
    Ok(planned)
}

/// Publishes what functions whose `live` points at `$LATEST` run now and points `live` there.
async fn pin_latest(planned: &PlannedStage, ui: &mut dyn ApplyUi) -> Result<(), HoverError> {
    let existing: Vec<String> = planned
        .desired
        .resources
        .values()
        .filter(|r| r.resource_type == crate::ops::apply::FUNCTION_TYPE)
        .filter(|r| {
            planned.observed.resources.contains_key(&r.logical_id)
                && planned
                    .desired
                    .alias_of(&r.logical_id)
                    .is_some_and(|a| planned.observed.resources.contains_key(a))
        })
        .map(|r| r.name.clone())
        .collect();
    let now = live_versions(&planned.clients, &existing).await?;
    let on_latest: Vec<String> = now
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(f, _)| f.clone())
        .collect();
    if on_latest.is_empty() {
        return Ok(());
    }
    let current_tag = crate::ops::plan::live_image_tag(&planned.observed).unwrap_or_default();
    let versions = publish_all(&planned.clients, &on_latest, &current_tag).await?;
    let pins = moves(&versions, &BTreeMap::new());
    switch_all(&planned.clients, &pins).await?;
    ui.note(&format!(
        "    {} function(s) served $LATEST; pinned to a version of what they run now so the update cannot move their traffic",
        pins.len()
    ));
    Ok(())
}

/// Publishes a version of every function, warms the new HTTP version and runs the deploy commands
/// on the new CLI version. Returns the new versions and where `live` pointed before.
#[allow(clippy::type_complexity)]
async fn release_phases(
    manifest: &crate::manifest::Manifest,
    functions: &[String],
    build_id: &str,
    clients: &crate::live::Clients,
    phases: &mut Phases<'_>,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, Option<u64>>), HoverError> {
    // 5. Publish.
    let t = phases.start("Publish");
    let before = live_versions(clients, functions)
        .await
        .map_err(in_phase("publish"))?;
    let versions = publish_all(clients, functions, build_id)
        .await
        .map_err(in_phase("publish"))?;
    for (f, v) in &versions {
        phases.ui.progress_line(&format!("    {f}: version {v}"));
    }
    phases.end("Publish", t);

    // 6. Warm.
    let http = http_function(manifest);
    if manifest.http.warm > 0 {
        let t = phases.start("Warm");
        if let Some(v) = versions.get(&http) {
            let failures = warm(clients, &http, *v, manifest.http.warm).await;
            for f in &failures {
                phases
                    .ui
                    .note(&format!("    Warning: a warm-up ping failed: {f}"));
            }
            phases.ui.note(&format!(
                "    {} of {} containers warmed on version {v}",
                manifest.http.warm as usize - failures.len(),
                manifest.http.warm
            ));
        }
        phases.end("Warm", t);
    }

    // 7. Deploy commands, on the new CLI version.
    if !manifest.deploy_commands.is_empty() {
        let t = phases.start("Deploy commands");
        let cli = cli_function(manifest);
        let version = versions.get(&cli).map(u64::to_string).unwrap_or_default();
        for command in &manifest.deploy_commands {
            phases.ui.note(&format!("    $ php artisan {command}"));
            let result = run_command(clients, &cli, &version, command)
                .await
                .map_err(in_phase("deploy commands"))?;
            match result {
                CommandResult::Ran { output, exit_code } => {
                    if !output.is_empty() {
                        phases.ui.output(&output);
                    }
                    if exit_code != 0 {
                        return Err(HoverError::DeployCommandFailed {
                            command: command.clone(),
                            outcome: format!("exited with {exit_code}"),
                        });
                    }
                }
                CommandResult::FunctionError { kind, message } => {
                    return Err(HoverError::DeployCommandFailed {
                        command: command.clone(),
                        outcome: format!("the function failed ({kind}): {message}"),
                    })
                }
            }
        }
        phases.end("Deploy commands", t);
    }

    Ok((versions, before))
}
