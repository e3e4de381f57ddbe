//! Command-line arguments and exit codes only: parses, calls `ops`, renders, maps outcomes to codes.

use crate::error::HoverError;
use crate::ops;
use crate::render::{self, Style};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Deploy Laravel applications to AWS Lambda, one stage at a time.
#[derive(Debug, Parser)]
#[command(name = "hover", version, about, propagate_version = true)]
pub struct Cli {
    /// Project directory holding `.hover/` (default: the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Never colour the output (NO_COLOR is honoured too).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what applying the stage's manifest would change.
    Plan(PlanArgs),
    /// Print the stage's CloudFormation template (JSON) to stdout.
    Template(TemplateArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Deploy `<stage repository>:TAG` (default: the tag live now).
    #[arg(long, value_name = "TAG")]
    pub image_tag: Option<String>,
    /// Print the plan as versioned JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 with no changes, 1 on error, 2 with changes.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan to FILE for `hover apply FILE`.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
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
    let stdout = std::io::stdout();
    let style = Style::detect(cli.no_color, stdout.is_terminal());
    match cli.command {
        Command::Plan(args) => {
            let opts = ops::PlanOptions { dir, stage: args.stage.clone(), image_tag: args.image_tag.clone() };
            let planned = ops::compute_plan(&opts).await?;
            let mut out = stdout.lock();
            if args.json {
                render::json::write_plan(&mut out, &planned.plan)?;
            } else {
                render::text::write_plan(&mut out, &planned.plan, style)?;
            }
            out.flush()?;
            Ok(if args.detailed_exitcode && planned.plan.has_changes() { 2 } else { 0 })
        }
        Command::Template(args) => {
            let template = ops::template::stage_template(&dir, &args.stage, args.image_tag.as_deref()).await?;
            let mut out = stdout.lock();
            out.write_all(crate::template::to_text(&template).as_bytes())?;
            Ok(0)
        }
    }
}
