//! Command-line arguments and exit codes only: parses, calls `ops`, renders, maps outcomes to codes.

mod changing;
pub mod generate;
mod logs;
mod maintenance;
mod queue;
mod terminal;

pub use logs::LogsArgs;

use crate::error::HoverError;
use crate::ops;
use crate::render::{self, Style};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use terminal::{TerminalAsk, TerminalUi};

/// What `hover --version` prints after the name: the version, the commit hover was built from
/// (`unknown` when the source had none) and the platform it was built for.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("HOVER_COMMIT"),
    " ",
    env!("HOVER_TARGET"),
    ")"
);

/// Deploy Laravel applications to AWS Lambda, one stage at a time.
#[derive(Debug, Parser)]
#[command(name = "hover", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// Project directory holding `.hover/` (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Never colour the output (NO_COLOR is honoured too).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    /// Take the stage lock whatever holds it (a run known to be gone, a lock that cannot be read).
    #[arg(long = "force-unlock", global = true)]
    pub force_unlock: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what applying the stage's manifest would change.
    Plan(PlanArgs),
    /// Carry out the plan: a CloudFormation change set checked against it, executed and watched.
    Apply(ApplyArgs),
    /// Print the stage's CloudFormation template (JSON) to stdout.
    Template(TemplateArgs),
    /// Build the stage's image (and export its assets) with docker, podman or buildah.
    Build(BuildArgs),
    /// Build, push, upload assets, apply, publish, warm, run the deploy commands, switch traffic.
    Deploy(DeployArgs),
    /// List the stage's releases, newest first, the live one marked.
    Releases(ReleasesArgs),
    /// Move every function's `live` back to the previous release (or --to) at once.
    Rollback(RollbackArgs),
    /// Run things on the stage's functions.
    #[command(subcommand)]
    Command(CommandCommand),
    /// Put the whole stage in maintenance mode within seconds, with no build and no stack update:
    /// HTTP answers Laravel's maintenance response, workers take no job, the scheduler runs no task.
    Down(maintenance::DownArgs),
    /// Bring the stage back from maintenance mode (`hover down`).
    Up(maintenance::UpArgs),
    /// Laravel's tinker on the CLI function's `live`: --execute CODE, or line by line on a terminal.
    Tinker(maintenance::TinkerArgs),
    /// Print the stage as read from AWS (JSON), as the planner sees it.
    #[command(hide = true)]
    Observe(TemplateArgs),
    /// The stage as it runs now, in one screen: URLs, release, functions, queues, rules, stack.
    Status(queue::StatusArgs),
    /// The stage's queues: message counts, failed jobs, retrying them, purging a queue.
    Queue(queue::QueueArgs),
    /// Encrypt or decrypt the stage's secrets file with the stage's KMS key.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Create a stage's files.
    #[command(subcommand)]
    Stage(StageCommand),
    /// Delete everything of a stage in AWS (the manifest stays), after the stage's name is typed.
    Destroy(DestroyArgs),
    /// Check, without changing anything, what a deploy of the stage needs: manifest, credentials
    /// and account, region, container tool, registry, the stage's resources and lock, quotas, runtime.
    Doctor(DoctorArgs),
    /// Print the log lines of the stage's functions, merged in time order (--follow for new ones).
    Logs(LogsArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// Print hover's manual page (roff; `hover man | man -l -`), or write one page per command.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Stage name: reads `.hover/<STAGE>.yml` (default: the only stage of `.hover/`).
    pub stage: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Container tool to check: docker, podman or buildah (default: HOVER_BUILDER, else the first
    /// that can build).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: `source <(hover completions bash)`, or see the README for where each goes.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `hover.1` and one page per command (`hover-plan.1`...) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Destroy without asking for the stage's name to be typed.
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as newline-delimited JSON events (`hover.events/1`); needs --auto-approve.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StageCommand {
    /// Write `.hover/<STAGE>.yml` (every default spelled out), `.hover/.gitignore`,
    /// `.hover/.Dockerfile` and an empty `.hover/<STAGE>-secrets.plain.env`; never overwrites.
    New(StageNewArgs),
    /// Delete images, `assets/<build-id>/` prefixes and function versions beyond the newest N
    /// builds, never the live release or the rollback target.
    Purge(StagePurgeArgs),
}

#[derive(Debug, Args)]
pub struct StagePurgeArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// How many of the newest builds to keep.
    #[arg(long, default_value_t = ops::purge::DEFAULT_KEEP, value_name = "N")]
    pub keep: usize,
    /// Delete without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as newline-delimited JSON events (`hover.events/1`); needs --auto-approve.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StageNewArgs {
    /// Stage name: the file `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Prefix of every AWS name (default: `<project directory>-<STAGE>`; asked on a terminal).
    #[arg(long)]
    pub name: Option<String>,
    /// AWS region (asked on a terminal; required otherwise).
    #[arg(long)]
    pub region: Option<String>,
    /// Shared-config profile (asked on a terminal; none otherwise).
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// `.hover/<stage>-secrets.plain.env` → `.hover/<stage>-secrets.env`; removes the plain file.
    Encrypt(SecretArgs),
    /// `.hover/<stage>-secrets.env` (hover's or the original Hover's format) → the plain file.
    Decrypt(SecretArgs),
}

#[derive(Debug, Args)]
pub struct SecretArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    #[arg(long, short = 's')]
    pub stage: String,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Stage name (reads `.hover/<STAGE>.yml`), or a plan file saved by `hover plan -out FILE`.
    pub target: String,
    /// Deploy `<stage repository>:TAG` (default: the tag live now).
    #[arg(long, value_name = "TAG")]
    pub image_tag: Option<String>,
    /// Apply without asking for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// Refuse instead of waiting when the stack is busy with another operation.
    #[arg(long)]
    pub no_wait: bool,
    /// Carry out deletions and replacements that destroy data (messages in a queue).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Report as newline-delimited JSON events (`hover.events/1`); needs --auto-approve or a
    /// saved plan.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Deploy `<stage repository>:TAG` (default: the tag live now).
    #[arg(long, value_name = "TAG")]
    pub image_tag: Option<String>,
    /// Print the plan as versioned JSON.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the plan as GitHub-flavoured markdown (for a pull-request comment).
    #[arg(long)]
    pub markdown: bool,
    /// Exit 0 with no changes, 1 on error, 2 with changes or with traffic split across releases.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan to FILE for `hover apply FILE`.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Use this build id (default: a new one from the time and the commit).
    #[arg(long, value_name = "ID")]
    pub build_id: Option<String>,
    /// Container tool: docker, podman or buildah (default: HOVER_BUILDER, else the first on PATH).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Apply without asking for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// The id of the new build, or with --skip-build the build to deploy.
    #[arg(long, value_name = "ID")]
    pub build_id: Option<String>,
    /// Deploy a build made before (`hover build`; the newest unless --build-id).
    #[arg(long)]
    pub skip_build: bool,
    /// Container tool: docker, podman or buildah (default: HOVER_BUILDER, else the first on PATH).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
    /// Carry out deletions and replacements that destroy data (messages in a queue).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Report as newline-delimited JSON events (`hover.events/1`); needs --auto-approve.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Print the releases as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// The release to go to (default: the one before the live one).
    #[arg(long = "to", value_name = "BUILD_ID")]
    pub to: Option<String>,
    /// Roll back without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Report as newline-delimited JSON events (`hover.events/1`); needs --auto-approve.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CommandCommand {
    /// Run an artisan command on the CLI function's `live` and print its output.
    Run(CommandRunArgs),
}

#[derive(Debug, Args)]
pub struct CommandRunArgs {
    /// The artisan command (a leading `php artisan` is dropped), quoted as one argument.
    pub command: String,
    /// Stage name: reads `.hover/<STAGE>.yml`.
    #[arg(long, short = 's')]
    pub stage: String,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    pub stage: String,
    /// Image tag (without it, the tag live now is read from AWS).
    #[arg(long, value_name = "TAG")]
    pub image_tag: Option<String>,
}

/// Accepts Terraform's single-dash spelling `-out FILE` / `-out=FILE`.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|a| {
            if a == "-out" {
                "--out".to_string()
            } else if let Some(rest) = a.strip_prefix("-out=") {
                format!("--out={rest}")
            } else {
                a
            }
        })
        .collect()
}

/// Runs a parsed command; returns the process exit code.
pub async fn run(cli: Cli) -> Result<i32, HoverError> {
    let dir = match &cli.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir()?,
    };
    let style = Style::detect(cli.no_color, std::io::stdout().is_terminal());
    ops::lock::force_unlock(cli.force_unlock);
    let code = match cli.command {
        Command::Plan(args) => plan(dir, args, style).await,
        Command::Apply(args) => changing::apply(dir, args, style).await,
        Command::Observe(args) => observe(&dir, args).await,
        Command::Build(args) => build(dir, args, style).await,
        Command::Deploy(args) => changing::deploy(dir, args, style).await,
        Command::Releases(args) => releases(dir, args, style).await,
        Command::Rollback(args) => changing::rollback(dir, args, style).await,
        Command::Command(CommandCommand::Run(args)) => command_run(dir, args).await,
        Command::Down(args) => maintenance::down(dir, args, style).await,
        Command::Up(args) => maintenance::up(dir, args, style).await,
        Command::Tinker(args) => maintenance::tinker(dir, args).await,
        Command::Secret(command) => secret(&dir, command).await,
        Command::Destroy(args) => changing::destroy(dir, args, style).await,
        Command::Stage(StageCommand::Purge(args)) => changing::purge(dir, args, style).await,
        Command::Stage(StageCommand::New(args)) => stage_new(dir, args),
        Command::Template(args) => template(&dir, args).await,
        Command::Doctor(args) => doctor(dir, args, style).await,
        Command::Logs(args) => logs::run(dir, args, style).await,
        Command::Queue(args) => queue::queue(dir, args, style).await,
        Command::Status(args) => queue::status(dir, args, style).await,
        Command::Completions(args) => generate::completions(args.shell),
        Command::Man(args) => generate::man(args.out_dir.as_deref()),
    };
    if std::env::var_os("HOVER_DEBUG_COUNTS").is_some() {
        let c = ops::context::counts::now();
        eprintln!(
            "hover-debug-counts: manifest_reads={} client_builds={} stage_reads={}",
            c.manifest_reads, c.client_builds, c.stage_reads
        );
    }
    code
}

/// `hover plan`: the plan in the chosen format, saved when asked; exit 2 for changes when asked.
async fn plan(dir: PathBuf, args: PlanArgs, style: Style) -> Result<i32, HoverError> {
    let ctx = open(&dir, &args.stage, style).await?;
    let planned = ctx.plan(args.image_tag.clone()).await?;
    if let Some(file) = &args.out {
        ops::saved::save(file, &planned)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        render::json::write_plan(&mut out, &planned.plan)?;
    } else if args.markdown {
        render::markdown::write_plan(&mut out, &planned.plan)?;
    } else {
        render::text::write_plan(&mut out, &planned.plan, style)?;
    }
    if let Some(file) = &args.out {
        if !args.json && !args.markdown {
            writeln!(
                out,
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run:\n    hover apply {}",
                file.display(),
                file.display()
            )?;
        }
    }
    out.flush()?;
    Ok(if args.detailed_exitcode && planned.plan.differs() {
        2
    } else {
        0
    })
}

/// `hover observe` (hidden): the stage as read from AWS, secrets masked, as JSON.
async fn observe(dir: &std::path::Path, args: TemplateArgs) -> Result<i32, HoverError> {
    let ctx = open(dir, &args.stage, Style::PLAIN).await?;
    let (_, mut observed) = ctx.read(args.image_tag.as_deref()).await?;
    // Shown to people: secret values masked, as in every output.
    crate::plan::mask::mask_observed(&mut observed);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &observed)
        .map_err(|e| HoverError::Usage(e.to_string()))?;
    writeln!(out)?;
    Ok(0)
}

/// `hover build`.
async fn build(dir: PathBuf, args: BuildArgs, style: Style) -> Result<i32, HoverError> {
    let opts = ops::build::BuildOptions {
        dir,
        stage: args.stage,
        build_id: args.build_id,
        builder: args.builder,
    };
    let mut ui = TerminalUi::new(style);
    let record = ops::build::build(&opts, &mut ui).await?;
    render::release::write_build(&mut std::io::stdout().lock(), &record, style)?;
    Ok(0)
}

/// `hover releases`.
async fn releases(dir: PathBuf, args: ReleasesArgs, style: Style) -> Result<i32, HoverError> {
    let ctx = open(&dir, &args.stage, style).await?;
    let releases = ops::release::releases(&ctx).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        render::release::write_releases_json(&mut out, &args.stage, &releases)?;
    } else {
        render::release::write_releases(&mut out, &args.stage, &releases, style)?;
    }
    Ok(0)
}

/// `hover command run`: the command's output as it is, and its exit code.
async fn command_run(dir: PathBuf, args: CommandRunArgs) -> Result<i32, HoverError> {
    let ctx = open(&dir, &args.stage, Style::PLAIN).await?;
    let (output, exit_code) = ops::release::command_run(&ctx, &args.command).await?;
    let mut out = std::io::stdout().lock();
    out.write_all(output.as_bytes())?;
    out.flush()?;
    Ok(i32::try_from(exit_code.clamp(0, 255)).unwrap_or(1))
}

/// `hover secret encrypt|decrypt`.
async fn secret(dir: &std::path::Path, command: SecretCommand) -> Result<i32, HoverError> {
    let (outcome, verb) = match &command {
        SecretCommand::Encrypt(a) => {
            let ctx = open(dir, &a.stage, Style::PLAIN).await?;
            (ops::secret::encrypt(&ctx).await?, "Encrypted")
        }
        SecretCommand::Decrypt(a) => {
            let ctx = open(dir, &a.stage, Style::PLAIN).await?;
            (ops::secret::decrypt(&ctx).await?, "Decrypted")
        }
    };
    let shown = |p: &std::path::Path| p.strip_prefix(dir).unwrap_or(p).display().to_string();
    let mut out = std::io::stdout().lock();
    if let Some(alias) = &outcome.key_created {
        writeln!(out, "Created the stage's key {alias} (yearly rotation on).")?;
    }
    match (&command, &outcome.removed) {
        (SecretCommand::Encrypt(_), Some(plain)) => writeln!(
            out,
            "{verb} {} into {} ({}) and removed the plain file.",
            shown(plain),
            shown(&outcome.written),
            crate::secrets::HEADER
        )?,
        (SecretCommand::Decrypt(a), _) => writeln!(
            out,
            "{verb} {} ({}) into {}; edit it, then `hover secret encrypt --stage {}`.",
            shown(&ops::secret::encrypted_path(dir, &a.stage)),
            outcome.read_format.unwrap_or(crate::secrets::HEADER),
            shown(&outcome.written),
            a.stage
        )?,
        _ => {}
    }
    if outcome.gitignore_updated {
        writeln!(out, "Listed `*-secrets.plain.env` in .hover/.gitignore.")?;
    }
    show_warnings(
        outcome.warnings.iter().cloned().map(Into::into).collect(),
        Style::PLAIN,
    );
    Ok(0)
}

/// `hover stage new`: what was written and kept, and what to do next.
fn stage_new(dir: PathBuf, args: StageNewArgs) -> Result<i32, HoverError> {
    let opts = ops::stage_new::NewStageOptions {
        dir: dir.clone(),
        stage: args.stage,
        name: args.name,
        region: args.region,
        profile: args.profile,
    };
    let outcome = ops::stage_new::stage_new(&opts, &mut TerminalAsk)?;
    let shown = |p: &std::path::Path| p.strip_prefix(&dir).unwrap_or(p).display().to_string();
    let mut out = std::io::stdout().lock();
    for p in &outcome.written {
        writeln!(out, "  wrote {}", shown(p))?;
    }
    for p in &outcome.kept {
        writeln!(out, "  kept  {} (exists)", shown(p))?;
    }
    writeln!(
        out,
        "\nStage `{s}` created. Next: `hover plan {s} --image-tag <tag>` once an image is pushed.",
        s = outcome.stage
    )?;
    if let Some(app) = &outcome.storage_unmoved {
        writeln!(
            out,
            "\nNote: {} keeps Laravel's storage in the project, which is read-only on Lambda. Add, after the application is created:\n  {}\n(hover's runtime sets APP_STORAGE to /tmp/storage; see \"The runtime\" in hover's README).",
            shown(app),
            ops::stage_new::STORAGE_LINE
        )?;
    }
    Ok(0)
}

/// `hover template`: the template sent to CloudFormation, secrets masked.
async fn template(dir: &std::path::Path, args: TemplateArgs) -> Result<i32, HoverError> {
    let (template, warnings) =
        ops::template::stage_template(dir, &args.stage, args.image_tag.as_deref()).await?;
    show_warnings(warnings, Style::PLAIN);
    let mut out = std::io::stdout().lock();
    out.write_all(crate::template::to_text(&crate::template::masked(&template)).as_bytes())?;
    Ok(0)
}

/// `hover doctor`: the report as text or JSON; exit 0 when every check passed, 1 otherwise.
async fn doctor(dir: PathBuf, args: DoctorArgs, style: Style) -> Result<i32, HoverError> {
    let opts = ops::doctor::DoctorOptions {
        dir,
        stage: args.stage,
        builder: args.builder,
    };
    let report = ops::doctor::doctor(&opts).await;
    let mut out = std::io::stdout().lock();
    if args.json {
        render::doctor::write_json(&mut out, &report)?;
    } else {
        render::doctor::write_text(&mut out, &report, style)?;
    }
    Ok(if report.passed() { 0 } else { 1 })
}

/// Opens the stage's context and shows the manifest's warnings on stderr.
async fn open(
    dir: &std::path::Path,
    stage: &str,
    style: Style,
) -> Result<ops::StageContext, HoverError> {
    let ctx = ops::StageContext::open(dir, stage).await?;
    show_warnings(ctx.warnings(), style);
    Ok(ctx)
}

/// Shows warning events as text (a manifest's on stderr).
fn show_warnings(events: Vec<crate::events::Event>, style: Style) {
    let mut text = render::events::TextRenderer::new(style);
    for e in &events {
        for piece in text.render(e) {
            match piece {
                render::events::Text::Error(e) => eprintln!("{e}"),
                render::events::Text::Line(l) => eprintln!("{l}"),
                render::events::Text::Block(b) => eprint!("{b}"),
            }
        }
    }
}
