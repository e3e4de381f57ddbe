//! `hover logs --follow`: the history, then new lines as they come, until stopped: through Live
//! Tail where it is available, by polling FilterLogEvents otherwise.
//!
//! A Live Tail session sends the lines ingested after it started, so each session (the first,
//! and the next one when CloudWatch ends a session after its three hours) is handed over to in
//! three steps: the session is started; a catch-up read (FilterLogEvents from [`OVERLAP_MS`]
//! before the newest line printed) prints what came since the previous read or session; then the
//! session's lines are printed. What the catch-up read and the session both have is printed once
//! ([`Printed`]). The catch-up read, not the history, follows the start of the session, so a long
//! history never keeps a session waiting (CloudWatch drops a session's oldest lines when its
//! reader falls 10 updates behind).
//!
//! A followed log group that does not exist yet (a function not deployed yet, or that never ran)
//! makes CloudWatch refuse the session: the follow then polls, said once, and tries Live Tail
//! again every [`RETRY_LIVE`], handing over as above once every group exists.
//!
//! Polling takes over for good, said once, when Live Tail is refused otherwise (the operation
//! unknown to the endpoint, access denied, a pattern it does not take though FilterLogEvents
//! did), when a session ends with an
//! error, or when more than [`MAX_GROUPS`] functions are followed (one session watches at most 10
//! log groups, and the account may have only 15 sessions at a time: polling is the choice here).

use super::dedupe::Printed;
use super::{LogSink, Reader, OVERLAP_MS, POLL};
use crate::error::HoverError;
use crate::live::live_tail::{self, TailEnd, TailItem, TailQuery, TailSession, MAX_GROUPS};
use std::time::Duration;

/// How long a follow polls before it tries Live Tail again while a log group does not exist.
pub const RETRY_LIVE: Duration = Duration::from_secs(10);

/// What the reader of a follow is told on the side (stderr), each at most once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowWarning {
    /// Live Tail could not be started: following by polling.
    LiveTailUnavailable { reason: String },
    /// A followed log group does not exist yet: polling until it does, then Live Tail.
    LiveTailWaiting { reason: String },
    /// A Live Tail session ended with an error: following by polling.
    LiveTailFailed { reason: String },
    /// More functions than one session watches: following by polling.
    TooManyGroups { count: usize },
    /// CloudWatch sampled a session's lines (more than 500 in a second): some were not sent.
    Sampled,
}

/// Prints the history from `start`, then follows; returns only on an error.
pub(super) async fn follow(
    reader: &Reader<'_>,
    start: i64,
    arn_prefix: String,
    sink: &mut dyn LogSink,
) -> Result<(), HoverError> {
    let mut printed = Printed::new(OVERLAP_MS);
    reader
        .read(start, None, Some(&mut printed), None, sink)
        .await?;
    sink.flush()?;
    if reader.sources.len() > MAX_GROUPS {
        sink.warn(&FollowWarning::TooManyGroups {
            count: reader.sources.len(),
        })?;
        return poll(reader, start, &mut printed, sink, None).await;
    }
    let query = TailQuery {
        groups: reader
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.group.clone()))
            .collect(),
        arn_prefix,
        pattern: reader.pattern.clone(),
    };
    let mut sampled_said = false;
    let mut waiting_said = false;
    loop {
        match live(reader, &query, start, &mut printed, &mut sampled_said, sink).await? {
            None => continue, // the session ran its course: the next one carries on
            Some(warning @ FollowWarning::LiveTailWaiting { .. }) => {
                if !waiting_said {
                    waiting_said = true;
                    sink.warn(&warning)?;
                }
                poll(reader, start, &mut printed, sink, Some(RETRY_LIVE)).await?;
            }
            Some(warning) => {
                sink.warn(&warning)?;
                return poll(reader, start, &mut printed, sink, None).await;
            }
        }
    }
}

/// One session, from its start to its end: `None` when it ran its course, the warning to give
/// when polling must take over.
async fn live(
    reader: &Reader<'_>,
    query: &TailQuery,
    start: i64,
    printed: &mut Printed,
    sampled_said: &mut bool,
    sink: &mut dyn LogSink,
) -> Result<Option<FollowWarning>, HoverError> {
    let mut session = match live_tail::start(reader.clients, query).await {
        Ok(session) => session,
        Err(e) => {
            let waiting = e.error_code() == Some("ResourceNotFoundException");
            let reason = HoverError::from(e).to_string();
            return Ok(Some(if waiting {
                FollowWarning::LiveTailWaiting { reason }
            } else {
                FollowWarning::LiveTailUnavailable { reason }
            }));
        }
    };
    let began = match started(&mut session).await {
        Ok(at) => at,
        Err(TailEnd::Expired) => {
            tokio::time::sleep(POLL).await; // closed at once: do not start sessions in a loop
            return Ok(None);
        }
        Err(TailEnd::Failed(reason)) => return Ok(Some(FollowWarning::LiveTailFailed { reason })),
    };
    let from = printed.next_from(start);
    let expect_from = began.saturating_sub(super::dedupe::SKEW_MS);
    reader
        .read(from, None, Some(printed), Some(expect_from), sink)
        .await?;
    sink.flush()?;
    loop {
        match session.next().await {
            Ok(TailItem::Update {
                sampled,
                mut events,
            }) => {
                if sampled && !*sampled_said {
                    *sampled_said = true;
                    sink.warn(&FollowWarning::Sampled)?;
                }
                // One update's lines in time order; each stream keeps its own order.
                events.sort_by_key(|e| e.timestamp);
                for event in events.iter().filter(|e| printed.from_live(e)) {
                    sink.line(&reader.sources[event.source], event)?;
                }
                sink.flush()?;
            }
            Ok(TailItem::Started) => {}
            Err(TailEnd::Expired) => return Ok(None),
            Err(TailEnd::Failed(reason)) => {
                return Ok(Some(FollowWarning::LiveTailFailed { reason }))
            }
        }
    }
}

/// Waits for the session's start; when it came (milliseconds since the epoch, this clock).
async fn started(session: &mut TailSession) -> Result<i64, TailEnd> {
    loop {
        if session.next().await? == TailItem::Started {
            return Ok(super::now_millis());
        }
    }
}

/// Polls every [`POLL`], each read from [`OVERLAP_MS`] before the newest line printed: for
/// `until` when given (then returns), else until stopped.
async fn poll(
    reader: &Reader<'_>,
    start: i64,
    printed: &mut Printed,
    sink: &mut dyn LogSink,
    until: Option<Duration>,
) -> Result<(), HoverError> {
    let end = until.map(|d| tokio::time::Instant::now() + d);
    loop {
        tokio::time::sleep(POLL).await;
        let from = printed.next_from(start);
        reader.read(from, None, Some(printed), None, sink).await?;
        sink.flush()?;
        if end.is_some_and(|end| tokio::time::Instant::now() >= end) {
            return Ok(());
        }
    }
}
