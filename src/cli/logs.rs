//! `hover logs`: its arguments, the sink that prints the lines (text or JSON lines), and how it
//! ends (Ctrl-C ends a follow with exit 0; a closed pipe ends it quietly).

use crate::error::HoverError;
use crate::live::log_events::LogEvent;
use crate::ops::logs::follow::FollowWarning;
use crate::ops::logs::time::{parse_when, When};
use crate::ops::logs::{self, LogSink, LogSource, LogsOptions};
use crate::render::logs::{warning_text, write_json, TextLayout};
use crate::render::Style;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Stage name: reads `.hover/<STAGE>.yml`.
    pub stage: String,
    /// Functions to show, by their manifest names: `http`, `cli`, a worker's (default: all).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// Oldest line to show: a duration back from now (30s, 10m, 2h, 1d, 1w, 1h30m) or an ISO 8601
    /// time (2026-12-06T16:00:00Z, with an offset, or without a zone for UTC) [default: 10m].
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub since: Option<When>,
    /// Newest line to show, in the same forms as --since (default: now).
    #[arg(long, value_name = "WHEN", value_parser = parse_when, conflicts_with = "follow")]
    pub until: Option<When>,
    /// Only lines matching this CloudWatch Logs filter pattern (`ERROR`, `"job failed"`,
    /// `{ $.level = "error" }`...).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Keep printing new lines as they come, until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Print one JSON object per line (function, log_group, stream, timestamp, ingestion_time,
    /// message, event_id).
    #[arg(long)]
    pub json: bool,
}

/// Prints each line as it comes, buffered, flushed when a follow's poll is over.
struct Printer<W: Write> {
    out: W,
    json: bool,
    style: Style,
    layout: Option<TextLayout>,
}

impl<W: Write> LogSink for Printer<W> {
    fn begin(&mut self, sources: &[LogSource]) -> std::io::Result<()> {
        self.layout = Some(TextLayout::new(
            sources.iter().map(|s| s.name.as_str()),
            self.style,
        ));
        Ok(())
    }

    fn line(&mut self, source: &LogSource, event: &LogEvent) -> std::io::Result<()> {
        match (&self.layout, self.json) {
            (Some(layout), false) => {
                layout.write(&mut self.out, &source.name, source.position, event)
            }
            _ => write_json(&mut self.out, &source.name, &source.group, event),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    fn warn(&mut self, warning: &FollowWarning) -> std::io::Result<()> {
        self.out.flush()?;
        writeln!(std::io::stderr(), "{}", warning_text(warning))
    }
}

/// `hover logs`: exit 0 when the lines are out, when a follow is stopped with Ctrl-C, or when the
/// reader of the output went away.
pub async fn run(dir: PathBuf, args: LogsArgs, style: Style) -> Result<i32, HoverError> {
    let opts = LogsOptions {
        dir,
        stage: args.stage,
        functions: args.functions,
        since: args.since.unwrap_or(logs::DEFAULT_SINCE),
        until: args.until,
        filter: args.filter,
        follow: args.follow,
    };
    let mut printer = Printer {
        out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
        json: args.json,
        style,
        layout: None,
    };
    let outcome = tokio::select! {
        outcome = logs::logs(&opts, &mut printer) => outcome,
        _ = crate::ops::signals::interrupted(), if opts.follow => Ok(()),
    };
    let outcome = outcome.and_then(|()| Ok(printer.out.flush()?));
    match outcome {
        Err(HoverError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(e),
        Ok(()) => Ok(0),
    }
}
