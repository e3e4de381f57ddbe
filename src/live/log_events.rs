//! CloudWatch Logs events of one log group, a page at a time (FilterLogEvents), as plain data:
//! what `hover logs` merges and prints. SDK types stop here.

use super::error::{aws_error, is_not_found};
use super::quota::acquire;
use super::{Clients, LiveError};

const SERVICE: &str = "logs";

/// One log line as CloudWatch Logs keeps it. `source` is the index, in the caller's list, of the
/// log group it came from (set by the caller's query, not by AWS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    pub source: usize,
    /// The log stream (for Lambda, one per container).
    pub stream: String,
    /// When the line was written, milliseconds since the epoch.
    pub timestamp: i64,
    /// When CloudWatch Logs received it, milliseconds since the epoch.
    pub ingestion_time: i64,
    pub message: String,
    /// CloudWatch's id of the event, unique within its log group.
    pub event_id: String,
}

/// What one FilterLogEvents call asks for: a log group's events in `[start, end]` (milliseconds
/// since the epoch, both inclusive as CloudWatch counts them; no end means up to now), matching
/// `pattern` (CloudWatch's filter pattern syntax) when given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventQuery {
    pub source: usize,
    pub group: String,
    pub start: i64,
    pub end: Option<i64>,
    pub pattern: Option<String>,
}

/// One answer of FilterLogEvents: its events in timestamp order, and the token of the next page
/// (`None` when the search is complete). A page may be empty and still have a next one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<LogEvent>,
    pub next_token: Option<String>,
}

/// One page of the query's events, from `token` (the first page without one), after a token of
/// `logs:FilterLogEvents`. A log group that does not exist (a function that never ran) is an
/// empty, complete answer.
pub async fn filter_page(
    clients: &Clients,
    query: &EventQuery,
    token: Option<String>,
) -> Result<EventPage, LiveError> {
    acquire(SERVICE, "FilterLogEvents").await;
    let request = clients
        .logs
        .filter_log_events()
        .log_group_name(&query.group)
        .start_time(query.start)
        .set_end_time(query.end)
        .set_filter_pattern(query.pattern.clone())
        .set_next_token(token.clone());
    let out = match request.send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(EventPage::default()),
        Err(e) => return Err(aws_error(SERVICE, "FilterLogEvents", &query.group, e)),
    };
    let events = out
        .events()
        .iter()
        .map(|e| LogEvent {
            source: query.source,
            stream: e.log_stream_name().unwrap_or_default().to_owned(),
            timestamp: e.timestamp().unwrap_or_default(),
            ingestion_time: e.ingestion_time().unwrap_or_default(),
            message: e.message().unwrap_or_default().to_owned(),
            event_id: e.event_id().unwrap_or_default().to_owned(),
        })
        .collect();
    // A token equal to the one sent would page forever.
    let next_token = out
        .next_token()
        .filter(|t| !t.is_empty() && token.as_deref() != Some(*t))
        .map(str::to_owned);
    Ok(EventPage { events, next_token })
}
