//! `hover queue` formatted: the queues with their counts, the failed jobs of dead-letter queues,
//! a redrive's events and a purge, as text or JSON (one document, or one JSON object per line for
//! the events of `retry`).

use super::Style;
use crate::live::messages::MessageCounts;
use crate::ops::queue::redrive::{Method, Retried, RetryEvent};
use crate::ops::queue::{FailedQueue, Purged, QueueRow};
use std::io::{self, Write};

/// The version of the JSON documents and event lines of `hover queue`.
pub const FORMAT_VERSION: &str = "1";

/// `hover queue list` as text: one line per queue, its counts and its dead-letter queue's.
pub fn write_list(
    out: &mut dyn Write,
    stage: &str,
    rows: &[QueueRow],
    style: Style,
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "The stage {stage} has no queues (no `queue` section).");
    }
    let width = rows
        .iter()
        .map(|r| r.queue.queue.len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{:<width$}  {:>7}  {:>9}  {:>7}  {:>11}  WORKER",
            "QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "DEAD-LETTER"
        ))
    )?;
    for r in rows {
        let dead = match r.dead_letter_messages {
            Some(c) => count_text(c),
            None => "-".to_owned(),
        };
        let line = match r.messages {
            Some(c) => format!(
                "{:<width$}  {:>7}  {:>9}  {:>7}  {:>11}  {}",
                r.queue.queue, c.visible, c.in_flight, c.delayed, dead, r.queue.worker
            ),
            None => format!(
                "{:<width$}  {:>7}  {:>9}  {:>7}  {:>11}  {} (not deployed)",
                r.queue.queue, "-", "-", "-", dead, r.queue.worker
            ),
        };
        let failed = r
            .dead_letter_messages
            .is_some_and(|c| c.visible + c.in_flight > 0);
        writeln!(out, "{}", if failed { style.yellow(&line) } else { line })?;
    }
    Ok(())
}

/// A dead-letter queue's count: visible messages, with those in flight when there are any.
fn count_text(c: MessageCounts) -> String {
    if c.in_flight > 0 {
        format!("{} (+{})", c.visible, c.in_flight)
    } else {
        c.visible.to_string()
    }
}

/// A JSON document `{"version", "stage", <key>: value}`.
pub fn write_json<T: serde::Serialize>(
    out: &mut dyn Write,
    stage: &str,
    key: &str,
    value: &T,
) -> io::Result<()> {
    let mut doc = serde_json::Map::new();
    doc.insert("version".into(), FORMAT_VERSION.into());
    doc.insert("stage".into(), stage.into());
    doc.insert(
        key.into(),
        serde_json::to_value(value).map_err(io::Error::other)?,
    );
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// `hover queue failed` as text: per dead-letter queue, each message's job, counts, times and
/// masked excerpt.
pub fn write_failed(out: &mut dyn Write, queues: &[FailedQueue], style: Style) -> io::Result<()> {
    for (i, q) in queues.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let head = format!(
            "Dead-letter queue of {} ({})",
            q.queue.queue, q.queue.dead_letter
        );
        let Some(counts) = q.counts else {
            writeln!(out, "{}: not deployed", style.bold(&head))?;
            continue;
        };
        writeln!(
            out,
            "{}: {} message(s){}",
            style.bold(&head),
            counts.visible,
            if counts.in_flight > 0 {
                format!(", {} in flight (not shown)", counts.in_flight)
            } else {
                String::new()
            }
        )?;
        for (n, m) in q.messages.iter().enumerate() {
            let job = m.job.as_deref().unwrap_or("(not a Laravel job)");
            writeln!(out, "\n  {}. {}  {}", n + 1, style.bold(job), m.message_id)?;
            let mut facts = vec![format!("receives {}", m.receive_count)];
            if let Some(a) = m.payload_attempts {
                facts.push(format!("payload attempts {a}"));
            }
            if let Some(t) = m.first_receive_ms {
                facts.push(format!("first received {}", utc_ms(t)));
            }
            if let Some(t) = m.sent_ms {
                facts.push(format!("dead-lettered {}", utc_ms(t)));
            }
            if let Some(g) = &m.group_id {
                facts.push(format!("group {g}"));
            }
            writeln!(out, "     {}", facts.join(" · "))?;
            writeln!(out, "     {}", m.excerpt)?;
        }
        let shown = q.messages.len() as u64;
        if counts.visible > shown {
            writeln!(out, "\n  ({} more not shown)", counts.visible - shown)?;
        }
    }
    Ok(())
}

/// One event of `hover queue retry`: a line of text, or with `json` one JSON object.
pub fn write_retry_event(
    out: &mut dyn Write,
    event: &RetryEvent,
    json: bool,
    style: Style,
) -> io::Result<()> {
    if json {
        let mut v = serde_json::to_value(event).map_err(io::Error::other)?;
        if let Some(obj) = v.as_object_mut() {
            obj.insert("version".into(), FORMAT_VERSION.into());
        }
        return writeln!(out, "{v}");
    }
    match event {
        RetryEvent::Started {
            queue,
            dead_letter,
            method,
            waiting,
        } => writeln!(
            out,
            "{queue}: {waiting} message(s) in {dead_letter}, moving them back {}...",
            match method {
                Method::MoveTask => "with SQS's message move task",
                Method::Loop => "one at a time (FIFO: group and order kept)",
            }
        ),
        RetryEvent::Moved {
            queue,
            message_id,
            moved,
        } => writeln!(out, "{queue}: moved {message_id} ({moved})"),
        RetryEvent::TaskProgress {
            queue,
            moved,
            to_move,
        } => match to_move {
            Some(total) => writeln!(out, "{queue}: {moved} of {total} moved"),
            None => writeln!(out, "{queue}: {moved} moved"),
        },
        RetryEvent::Finished {
            queue,
            moved,
            left,
            millis,
        } => {
            let line = format!(
                "{queue}: {moved} message(s) moved back in {:.1}s; the dead-letter queue holds {}{}.",
                *millis as f64 / 1000.0,
                left.visible,
                if left.in_flight > 0 {
                    format!(" (+{} in flight)", left.in_flight)
                } else {
                    String::new()
                }
            );
            writeln!(out, "{}", style.green(&line))
        }
    }
}

/// The end of `hover queue retry` as text.
pub fn write_retry_summary(out: &mut dyn Write, done: &[Retried], style: Style) -> io::Result<()> {
    let moved: u64 = done.iter().map(|r| r.moved).sum();
    writeln!(
        out,
        "\n{} {moved} message(s) moved back to their queues.",
        style.green(&style.bold("Retry complete!"))
    )
}

/// The end of `hover queue purge`.
pub fn write_purged(out: &mut dyn Write, purged: &Purged, style: Style) -> io::Result<()> {
    let c = purged.counts;
    writeln!(
        out,
        "{} {} purged ({} visible, {} in flight, {} delayed before; SQS finishes within 60 seconds).",
        style.green(&style.bold("Purge requested:")),
        purged.name,
        c.visible,
        c.in_flight,
        c.delayed
    )
}

/// Milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_ms(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::release::build_id::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc_ms(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_ms(1_796_000_000_123), "2026-11-30T00:53:20Z");
    }

    #[test]
    fn a_retry_event_is_one_json_line_with_the_version() {
        let mut out = Vec::new();
        let e = RetryEvent::Moved {
            queue: "q".into(),
            message_id: "m".into(),
            moved: 1,
        };
        write_retry_event(&mut out, &e, true, Style::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["event"], "moved");
        assert_eq!(v["version"], FORMAT_VERSION);
    }
}
