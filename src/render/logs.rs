//! Log lines of `hover logs` as text (function and container first, coloured per function on a
//! terminal) or as one JSON object per line.

use super::Style;
use crate::live::log_events::LogEvent;
use crate::ops::logs::follow::FollowWarning;
use serde::Serialize;
use std::io::Write;

/// ANSI colours the functions take in turn, by their place in the stage.
const PALETTE: [&str; 6] = ["36", "35", "32", "33", "34", "31"];

/// How the text lines are laid out: the function names padded to the longest chosen one.
#[derive(Clone, Debug)]
pub struct TextLayout {
    pub width: usize,
    pub style: Style,
}

impl TextLayout {
    /// A layout for these function names.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>, style: Style) -> Self {
        let width = names.into_iter().map(str::len).max().unwrap_or(0);
        TextLayout { width, style }
    }

    /// `http    [12]3f9a2c1b 2026-12-06T16:00:01.234Z message`: the function (coloured by its
    /// place), the container, the time in UTC, the message without its trailing newline.
    pub fn write(
        &self,
        out: &mut dyn Write,
        function: &str,
        position: usize,
        event: &LogEvent,
    ) -> std::io::Result<()> {
        let prefix = format!(
            "{function:<width$} {}",
            short_stream(&event.stream),
            width = self.width
        );
        let colour = PALETTE[position % PALETTE.len()];
        writeln!(
            out,
            "{} {} {}",
            self.style.paint(&prefix, colour),
            iso_millis(event.timestamp),
            event.message.trim_end_matches(['\n', '\r'])
        )
    }
}

/// One line of `hover logs --json`.
#[derive(Serialize)]
struct JsonLine<'a> {
    function: &'a str,
    log_group: &'a str,
    stream: &'a str,
    timestamp: String,
    ingestion_time: String,
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    event_id: &'a str,
}

/// The event as one JSON object on one line: `function`, `log_group`, `stream`, `timestamp` and
/// `ingestion_time` (ISO 8601, UTC, milliseconds), `message` (as CloudWatch has it), `event_id`
/// (absent for a line that came through Live Tail, which has none).
pub fn write_json(
    out: &mut dyn Write,
    function: &str,
    log_group: &str,
    event: &LogEvent,
) -> std::io::Result<()> {
    let line = JsonLine {
        function,
        log_group,
        stream: &event.stream,
        timestamp: iso_millis(event.timestamp),
        ingestion_time: iso_millis(event.ingestion_time),
        message: &event.message,
        event_id: &event.event_id,
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

/// A follow's warning, one line for stderr.
pub fn warning_text(warning: &FollowWarning) -> String {
    match warning {
        FollowWarning::LiveTailUnavailable { reason } => format!(
            "Warning: Live Tail is not available ({reason}); following by polling FilterLogEvents every second"
        ),
        FollowWarning::LiveTailWaiting { reason } => format!(
            "Warning: Live Tail cannot start yet ({reason}); following by polling FilterLogEvents every second, and through Live Tail once every log group exists"
        ),
        FollowWarning::LiveTailFailed { reason } => format!(
            "Warning: the Live Tail session ended with an error ({reason}); following by polling FilterLogEvents every second"
        ),
        FollowWarning::TooManyGroups { count } => format!(
            "Warning: {count} functions are more than one Live Tail session follows (10); following by polling FilterLogEvents every second"
        ),
        FollowWarning::Sampled => "Warning: CloudWatch Live Tail sampled the lines (more than 500 in a second): some lines were not sent; `hover logs` without --follow reads them all".to_owned(),
    }
}

/// A Lambda stream name `YYYY/MM/DD/[VERSION]CONTAINER` shortened to `[VERSION]` and the first 8
/// characters of the container's id; any other name as it is.
pub fn short_stream(stream: &str) -> String {
    let last = stream.rsplit('/').next().unwrap_or(stream);
    match last.strip_prefix('[').and_then(|l| l.split_once(']')) {
        Some((version, container)) if stream.len() > last.len() && !container.is_empty() => {
            let id: String = container.chars().take(8).collect();
            format!("[{version}]{id}")
        }
        _ => stream.to_owned(),
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub fn iso_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = crate::release::build_id::civil_from_days(days);
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(stream: &str, message: &str) -> LogEvent {
        LogEvent {
            source: 0,
            stream: stream.into(),
            timestamp: 1_796_572_801_234,
            ingestion_time: 1_796_572_802_000,
            message: message.into(),
            event_id: "42".into(),
        }
    }

    #[test]
    fn times_print_in_utc_with_milliseconds() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_millis(1_796_572_801_234), "2026-12-06T16:00:01.234Z");
        assert_eq!(iso_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn lambda_streams_shorten_to_version_and_container() {
        let s = "2026/12/06/[$LATEST]3f9a2c1b4d5e6f7a8b9c0d1e2f3a4b5c";
        assert_eq!(short_stream(s), "[$LATEST]3f9a2c1b");
        assert_eq!(short_stream("2026/12/06/[12]ab"), "[12]ab");
        assert_eq!(short_stream("my-stream"), "my-stream");
        assert_eq!(short_stream("a/[1]"), "a/[1]");
        assert_eq!(short_stream("[1]abc"), "[1]abc");
    }

    #[test]
    fn text_lines_lead_with_function_and_container_coloured_on_a_terminal() {
        let layout = TextLayout::new(["http", "emails"], Style::PLAIN);
        let mut out = Vec::new();
        let e = event("2026/12/06/[3]0123456789", "hello\n");
        layout.write(&mut out, "http", 0, &e).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "http   [3]01234567 2026-12-06T16:00:01.234Z hello\n"
        );
        let coloured = TextLayout::new(["http"], Style { color: true });
        let mut out = Vec::new();
        coloured.write(&mut out, "http", 1, &e).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("\u{1b}[35mhttp [3]01234567\u{1b}[0m "));
    }

    #[test]
    fn json_lines_carry_every_field() {
        let mut out = Vec::new();
        write_json(
            &mut out,
            "cli",
            "/aws/lambda/app-cli",
            &event("s", "a \"b\"\n"),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("}\n") && text.lines().count() == 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["function"], "cli");
        assert_eq!(v["log_group"], "/aws/lambda/app-cli");
        assert_eq!(v["stream"], "s");
        assert_eq!(v["timestamp"], "2026-12-06T16:00:01.234Z");
        assert_eq!(v["ingestion_time"], "2026-12-06T16:00:02.000Z");
        assert_eq!(v["message"], "a \"b\"\n");
        assert_eq!(v["event_id"], "42");
    }
}
