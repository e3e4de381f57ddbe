//! The arguments and the output of `hover down`, `hover up` and `hover tinker` (its interactive
//! loop reads the terminal here).

use crate::error::HoverError;
use crate::ops;
use crate::render::{self, Style};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// The path that lets a browser in (`/<SECRET>` sets Laravel's bypass cookie), as with
    /// `artisan down --secret`.
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// The `Retry-After` of the maintenance answer, in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub retry: Option<u32>,
    /// The view prerendered as the maintenance page (e.g. `errors::503`).
    #[arg(long, value_name = "VIEW")]
    pub render: Option<String>,
    /// Print what was done as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Print what was done as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TinkerArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// The PHP code to run (its output is printed; `dump(...)` shows a value). Without it, on a
    /// terminal, each line typed is run in turn.
    #[arg(long, short = 'e', value_name = "CODE")]
    pub execute: Option<String>,
}

/// `hover down`.
pub async fn down(dir: PathBuf, args: DownArgs, style: Style) -> Result<i32, HoverError> {
    if args
        .secret
        .as_deref()
        .is_some_and(|s| s.is_empty() || s.contains('/'))
    {
        return Err(HoverError::Usage(
            "--secret: the secret is one path segment (no `/`, not empty): the bypass is `/<SECRET>`".into(),
        ));
    }
    let opts = ops::maintenance::DownOptions {
        secret: args.secret,
        retry: args.retry,
        render: args.render,
    };
    let outcome = ops::maintenance::down(dir, &args.stage, &opts).await?;
    write(&outcome, args.json, style)
}

/// `hover up`: exit 0 also when the stage was up.
pub async fn up(dir: PathBuf, args: UpArgs, style: Style) -> Result<i32, HoverError> {
    let outcome = ops::maintenance::up(dir, &args.stage).await?;
    write(&outcome, args.json, style)
}

fn write(
    outcome: &ops::maintenance::MaintenanceOutcome,
    json: bool,
    style: Style,
) -> Result<i32, HoverError> {
    let mut out = std::io::stdout().lock();
    if json {
        render::maintenance::write_outcome_json(&mut out, outcome)?;
    } else {
        render::maintenance::write_outcome(&mut out, outcome, style)?;
    }
    Ok(0)
}

/// `hover tinker`: `--execute` runs once (exit code: tinker's); without it, a loop on a terminal.
pub async fn tinker(dir: PathBuf, args: TinkerArgs) -> Result<i32, HoverError> {
    if args.execute.is_none() && !std::io::stdin().is_terminal() {
        return Err(HoverError::Usage(format!(
            "hover tinker without --execute reads code from a terminal; without one, pass the code: `hover tinker {} --execute 'dump(...);'`",
            args.stage
        )));
    }
    let session =
        ops::tinker::Tinker::open(ops::StageContext::open(&dir, &args.stage).await?).await?;
    if let Some(code) = &args.execute {
        let run = session.run(code).await?;
        let mut out = std::io::stdout().lock();
        out.write_all(run.output.as_bytes())?;
        out.flush()?;
        return Ok(i32::try_from(run.exit_code.clamp(0, 255)).unwrap_or(1));
    }
    eprintln!(
        "Tinker on stage {} (each entry runs as its own `tinker --execute` on the CLI function: variables do not carry over; `dump(...)` shows a value; a line ending in \\ continues; exit, quit or Ctrl-D ends).",
        args.stage
    );
    while let Some(code) = read_entry()? {
        match session.run(&code).await {
            Ok(run) => {
                let mut out = std::io::stdout().lock();
                out.write_all(run.output.as_bytes())?;
                if !run.output.is_empty() && !run.output.ends_with('\n') {
                    writeln!(out)?;
                }
                out.flush()?;
                if run.exit_code != 0 {
                    eprintln!("(exit code {})", run.exit_code);
                }
            }
            Err(e @ HoverError::TinkerMissing { .. }) => return Err(e),
            Err(e) => eprintln!("{:?}", miette::Report::new(e)),
        }
    }
    Ok(0)
}

/// One entry from the terminal (lines ending in `\` continue it); `None` at the end.
fn read_entry() -> Result<Option<String>, HoverError> {
    let stdin = std::io::stdin();
    let mut code = String::new();
    loop {
        eprint!("{}", if code.is_empty() { ">>> " } else { "... " });
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            eprintln!();
            return Ok(None);
        }
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some(more) = line.strip_suffix('\\') {
            code.push_str(more);
            code.push('\n');
            continue;
        }
        code.push_str(line);
        let entry = code.trim();
        if entry.is_empty() {
            code.clear();
            continue;
        }
        if matches!(entry, "exit" | "quit" | "exit;" | "quit;") {
            return Ok(None);
        }
        return Ok(Some(entry.to_string()));
    }
}
