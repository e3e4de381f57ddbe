//! `hover logs`: the log lines of a stage's functions (each its log group), merged in time order
//! and handed to a sink as they arrive; with `follow`, streams new lines until stopped.
//!
//! Each log group is paged by a task of its own (FilterLogEvents, one page ahead at most) and the
//! pages are merged by timestamp ([`merge`]), so memory holds a few pages per function whatever
//! the number of lines. A follow prints the history, then streams through Live Tail, or polls
//! every [`POLL`] where Live Tail is not available ([`follow`]); each read after the first starts
//! [`OVERLAP_MS`] before the newest line printed, and no line is printed twice
//! ([`dedupe::Printed`]): a line CloudWatch receives later than that overlap behind the newest
//! one is not shown by polling.

pub mod dedupe;
pub mod follow;
pub mod merge;
pub mod time;

use crate::error::HoverError;
use crate::live::log_events::{self, EventQuery, LogEvent};
use crate::live::{Clients, LiveError};
use crate::manifest::Manifest;
use crate::naming::{self, Part};
use crate::ops::context::StageContext;
use dedupe::Printed;
use merge::Pages;
use std::path::PathBuf;
use std::time::Duration;
use time::When;
use tokio::sync::mpsc;

/// How far back `hover logs` reads without `--since` (as `aws logs tail` and `sam logs`).
pub const DEFAULT_SINCE: When = When::Ago(10 * 60_000);

/// How far behind the newest line printed a follow's next poll starts, for lines CloudWatch
/// receives late.
pub const OVERLAP_MS: i64 = 15_000;

/// The pause between a follow's polls (each poll costs one FilterLogEvents per function and page,
/// paced by the quota).
pub const POLL: Duration = Duration::from_secs(1);

/// Settings of one `hover logs` run.
#[derive(Clone, Debug)]
pub struct LogsOptions {
    /// Directory holding `.hover/`.
    pub dir: PathBuf,
    pub stage: String,
    /// The functions by their manifest names (`http`, `cli`, a worker's); all when empty.
    pub functions: Vec<String>,
    pub since: When,
    /// The newest time to show (none: up to now).
    pub until: Option<When>,
    /// A CloudWatch filter pattern.
    pub filter: Option<String>,
    /// Keep polling for new lines until stopped.
    pub follow: bool,
}

/// One function whose lines are read: its manifest name, its log group, and its place among the
/// stage's functions (http, cli, the workers by name), which stays the same whatever is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSource {
    pub name: String,
    pub group: String,
    pub position: usize,
}

/// Where the lines go: told the functions once, then every line in order.
pub trait LogSink {
    fn begin(&mut self, sources: &[LogSource]) -> std::io::Result<()>;
    fn line(&mut self, source: &LogSource, event: &LogEvent) -> std::io::Result<()>;
    /// Called when the lines in hand are all given (a follow's poll is over).
    fn flush(&mut self) -> std::io::Result<()>;
    /// Something the reader of a follow should know (each said once).
    fn warn(&mut self, warning: &follow::FollowWarning) -> std::io::Result<()>;
}

/// The stage's functions: `http`, `cli`, then each worker by name.
pub fn stage_sources(manifest: &Manifest) -> Vec<LogSource> {
    let parts = [("http", Part::Http), ("cli", Part::Cli)]
        .into_iter()
        .chain(manifest.queue.keys().map(|k| (k.as_str(), Part::Worker(k))));
    parts
        .enumerate()
        .map(|(position, (name, part))| LogSource {
            name: name.to_owned(),
            group: format!("/aws/lambda/{}", naming::function(&manifest.name, part)),
            position,
        })
        .collect()
}

/// The functions asked for, in the stage's order, each once (all when none is named); a name the
/// stage does not have is refused, listing those it has.
pub fn select(all: Vec<LogSource>, wanted: &[String]) -> Result<Vec<LogSource>, HoverError> {
    if let Some(unknown) = wanted.iter().find(|w| !all.iter().any(|s| &s.name == *w)) {
        return Err(HoverError::UnknownFunction {
            name: unknown.clone(),
            known: all
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(all
        .into_iter()
        .filter(|s| wanted.is_empty() || wanted.contains(&s.name))
        .collect())
}

/// The time window `[start, end]` in milliseconds since the epoch, `now` being the run's start;
/// a start after the end is refused.
pub fn window(opts: &LogsOptions, now: i64) -> Result<(i64, Option<i64>), HoverError> {
    let start = opts.since.at(now);
    let end = opts.until.map(|u| u.at(now));
    match end {
        Some(end) if end < start => Err(HoverError::Usage(
            "--since is later than --until: nothing lies between them".into(),
        )),
        _ => Ok((start, end)),
    }
}

/// `hover logs`: opens the stage's context (manifest, clients) and resolves the functions and the
/// window (bad input fails here, before any AWS call), checks the account, then streams the lines to `sink`; with
/// `follow`, never returns but on an error.
pub async fn logs(opts: &LogsOptions, sink: &mut dyn LogSink) -> Result<(), HoverError> {
    // The manifest read and the clients built, no AWS call yet.
    let ctx = StageContext::open(&opts.dir, &opts.stage).await?;
    let sources = select(stage_sources(&ctx.manifest), &opts.functions)?;
    let (start, end) = window(opts, now_millis())?;
    ctx.account().await?;
    let reader = Reader {
        clients: &ctx.clients,
        sources: &sources,
        pattern: opts.filter.clone().filter(|p| !p.is_empty()),
    };
    sink.begin(&sources)?;
    if !opts.follow {
        reader.read(start, end, None, None, sink).await?;
        return Ok(sink.flush()?);
    }
    let region = ctx.clients.region().unwrap_or_default();
    let arn_prefix = crate::live::live_tail::arn_prefix(&region, ctx.account().await?);
    follow::follow(&reader, start, arn_prefix, sink).await
}

/// What every read of a run shares.
struct Reader<'a> {
    clients: &'a Clients,
    sources: &'a [LogSource],
    pattern: Option<String>,
}

impl Reader<'_> {
    /// Every function's lines in `[start, end]`, merged, to `sink`; with `printed`, this is one
    /// pass of a follow: the lines printed already are skipped, and those ingested from
    /// `expect_from` on are expected again from a Live Tail session.
    async fn read(
        &self,
        start: i64,
        end: Option<i64>,
        mut printed: Option<&mut Printed>,
        expect_from: Option<i64>,
        sink: &mut dyn LogSink,
    ) -> Result<u64, HoverError> {
        if let Some(printed) = printed.as_mut() {
            printed.begin_pass();
        }
        let pages = self
            .sources
            .iter()
            .enumerate()
            .map(|(source, s)| {
                let query = EventQuery {
                    source,
                    group: s.group.clone(),
                    start,
                    end,
                    pattern: self.pattern.clone(),
                };
                pages(self.clients.clone(), query)
            })
            .collect();
        merge::merge(pages, |event| {
            if let Some(printed) = printed.as_mut() {
                let new = printed.from_read(&event);
                if expect_from.is_some_and(|at| event.ingestion_time >= at) {
                    printed.expect(&event);
                }
                if !new {
                    return Ok(());
                }
            }
            Ok(sink.line(&self.sources[event.source], &event)?)
        })
        .await
    }
}

/// The query's pages, fetched by a task of its own one page ahead of the merge; the task stops
/// after the last page, at the first error, or when the merge is dropped.
fn pages(clients: Clients, query: EventQuery) -> Pages<HoverError> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut token = None;
        loop {
            let (page, next) = match log_events::filter_page(&clients, &query, token).await {
                Ok(page) => (Ok(page.events), page.next_token),
                Err(e) => (Err(read_error(e, query.pattern.as_deref())), None),
            };
            if tx.send(page).await.is_err() || next.is_none() {
                break;
            }
            token = next;
        }
    });
    rx
}

/// A pattern CloudWatch refuses (`InvalidParameterException` on a query with a pattern) is shown
/// as such, with CloudWatch's message; any other failure as the read that failed.
fn read_error(e: LiveError, pattern: Option<&str>) -> HoverError {
    match (&e, pattern) {
        (LiveError::Aws { code, message, .. }, Some(pattern))
            if code.as_deref() == Some("InvalidParameterException") =>
        {
            HoverError::FilterRejected {
                pattern: pattern.to_owned(),
                message: message.clone(),
            }
        }
        _ => e.into(),
    }
}

/// Now, in milliseconds since the epoch.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<LogSource> {
        ["http", "cli", "emails", "reports"]
            .iter()
            .enumerate()
            .map(|(position, name)| LogSource {
                name: (*name).into(),
                group: format!("/aws/lambda/app-{name}"),
                position,
            })
            .collect()
    }

    fn names(sources: &[LogSource]) -> Vec<&str> {
        sources.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn functions_are_chosen_by_manifest_name_in_the_stage_order() {
        assert_eq!(
            names(&select(sources(), &[]).unwrap()),
            ["http", "cli", "emails", "reports"]
        );
        let wanted = ["reports".to_owned(), "http".to_owned(), "http".to_owned()];
        let chosen = select(sources(), &wanted).unwrap();
        assert_eq!(names(&chosen), ["http", "reports"]);
        assert_eq!(
            chosen[1].position, 3,
            "a function keeps its place (and colour)"
        );
    }

    #[test]
    fn an_unknown_function_is_refused_with_the_names_that_exist() {
        let err = select(sources(), &["http".into(), "email".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the stage has no function `email`; its functions are: http, cli, emails, reports"
        );
    }

    #[test]
    fn the_window_resolves_against_the_start_and_refuses_an_inverted_one() {
        let opts = |since, until| LogsOptions {
            dir: PathBuf::new(),
            stage: "s".into(),
            functions: vec![],
            since,
            until,
            filter: None,
            follow: false,
        };
        let now = 1_000_000;
        assert_eq!(
            window(&opts(DEFAULT_SINCE, None), now).unwrap(),
            (400_000, None)
        );
        assert_eq!(
            window(&opts(When::At(5), Some(When::Ago(1_000))), now).unwrap(),
            (5, Some(999_000))
        );
        assert!(window(&opts(When::Ago(10), Some(When::Ago(20))), now).is_err());
    }

    #[test]
    fn a_rejected_pattern_shows_cloudwatchs_message() {
        let aws = |code: &str| LiveError::Aws {
            service: "logs",
            operation: "FilterLogEvents",
            resource: "/aws/lambda/app-http".into(),
            code: Some(code.into()),
            message: "Invalid filter pattern".into(),
            detail: String::new(),
            help: None,
        };
        let err = read_error(aws("InvalidParameterException"), Some("{ $.x = "));
        assert!(matches!(
            &err,
            HoverError::FilterRejected { pattern, message }
                if pattern == "{ $.x = " && message == "Invalid filter pattern"
        ));
        let other = read_error(aws("AccessDeniedException"), Some("x"));
        assert!(matches!(other, HoverError::Live(_)));
        let unfiltered = read_error(aws("InvalidParameterException"), None);
        assert!(matches!(unfiltered, HoverError::Live(_)));
    }
}
