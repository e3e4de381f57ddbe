//! What a follow has printed, so that no line is printed twice when reads overlap (each poll
//! re-reads the last [`super::OVERLAP_MS`]) or when a Live Tail session hands over from a read.
//!
//! Live Tail's events carry no event id, so a line is known by its log group, stream, timestamp
//! and message, and counted: two identical lines in one stream and millisecond are two lines.
//!
//! * A read (FilterLogEvents, a *pass* over `[from, now]`) sees every copy of a line again: the
//!   n-th copy in the pass is new when fewer than n copies were printed.
//! * A session hands over from a catch-up pass made after it started: the lines of that pass
//!   ingested since the session started (less [`SKEW_MS`] for the clocks) are *expected*, as the
//!   session sends them too; each expected copy that arrives through the session is skipped once.
//!   Any other line of a session is new.
//!
//! Only lines within the window behind the newest timestamp are remembered (no later pass asks
//! for older ones), and expected lines are forgotten once the session has brought lines ingested
//! more than a window after them, so memory follows the rate of lines, not their number.

use crate::live::log_events::LogEvent;
use std::collections::{HashMap, VecDeque};

/// How far the client's clock may be off CloudWatch's: lines ingested this long before a
/// session started are still expected from it.
pub const SKEW_MS: i64 = 30_000;

type Key = (usize, String, i64, String);

fn key(event: &LogEvent) -> Key {
    (
        event.source,
        event.stream.clone(),
        event.timestamp,
        event.message.clone(),
    )
}

/// The lines printed lately and the copies a session is expected to repeat.
#[derive(Debug)]
pub struct Printed {
    window: i64,
    latest: i64,
    counts: HashMap<Key, u32>,
    order: VecDeque<(i64, Key)>,
    pass: HashMap<Key, u32>,
    expected: HashMap<Key, u32>,
    expected_order: VecDeque<(i64, Key)>,
}

impl Printed {
    /// Remembers lines for `window` milliseconds behind the newest.
    pub fn new(window: i64) -> Self {
        Printed {
            window,
            latest: i64::MIN,
            counts: HashMap::new(),
            order: VecDeque::new(),
            pass: HashMap::new(),
            expected: HashMap::new(),
            expected_order: VecDeque::new(),
        }
    }

    /// The newest timestamp printed (`None` before the first line).
    pub fn latest(&self) -> Option<i64> {
        (self.latest != i64::MIN).then_some(self.latest)
    }

    /// Where the next pass starts: a window behind the newest line, never before `start`.
    pub fn next_from(&self, start: i64) -> i64 {
        self.latest()
            .map_or(start, |l| l.saturating_sub(self.window))
            .max(start)
    }

    /// A new pass begins: copies are counted afresh.
    pub fn begin_pass(&mut self) {
        self.pass.clear();
    }

    /// Whether a line of the current pass is new (and remembers it).
    pub fn from_read(&mut self, event: &LogEvent) -> bool {
        let key = key(event);
        let printed = self.counts.get(&key).copied().unwrap_or(0);
        if printed == 0 {
            self.printed(event, key);
            return true;
        }
        let copy = self.pass.entry(key.clone()).or_insert(0);
        *copy += 1;
        if *copy <= printed {
            return false;
        }
        self.printed(event, key);
        true
    }

    /// The session will send this line of the catch-up pass again: skip it once then.
    pub fn expect(&mut self, event: &LogEvent) {
        let key = key(event);
        *self.expected.entry(key.clone()).or_insert(0) += 1;
        self.expected_order.push_back((event.ingestion_time, key));
    }

    /// Whether a line from a Live Tail session is new (and remembers it).
    pub fn from_live(&mut self, event: &LogEvent) -> bool {
        let horizon = event.ingestion_time.saturating_sub(self.window);
        while self
            .expected_order
            .front()
            .is_some_and(|(at, _)| *at < horizon)
        {
            if let Some((_, old)) = self.expected_order.pop_front() {
                take(&mut self.expected, &old);
            }
        }
        let key = key(event);
        if take(&mut self.expected, &key) {
            return false;
        }
        self.printed(event, key);
        true
    }

    fn printed(&mut self, event: &LogEvent, key: Key) {
        self.latest = self.latest.max(event.timestamp);
        let horizon = self.latest.saturating_sub(self.window);
        while self.order.front().is_some_and(|(ts, _)| *ts < horizon) {
            if let Some((_, old)) = self.order.pop_front() {
                self.counts.remove(&old);
                self.pass.remove(&old);
            }
        }
        if event.timestamp < horizon {
            return;
        }
        let count = self.counts.entry(key.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            self.order.push_back((event.timestamp, key.clone()));
        }
        // This pass has now seen as many copies as were printed.
        if let Some(copy) = self.pass.get_mut(&key) {
            *copy = (*copy).max(*count);
        } else {
            self.pass.insert(key, *count);
        }
    }

    /// How many lines are remembered (printed, and expected from a session).
    pub fn len(&self) -> usize {
        self.counts.len() + self.expected.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Takes one expected copy of `key`; false when none is left.
fn take(expected: &mut HashMap<Key, u32>, key: &Key) -> bool {
    match expected.get_mut(key) {
        Some(n) if *n > 1 => {
            *n -= 1;
            true
        }
        Some(_) => {
            expected.remove(key);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(stream: &str, ts: i64, message: &str) -> LogEvent {
        LogEvent {
            source: 0,
            stream: stream.into(),
            timestamp: ts,
            ingestion_time: ts + 100,
            message: message.into(),
            event_id: String::new(),
        }
    }

    /// The messages of `events` a pass prints.
    fn pass(printed: &mut Printed, events: &[LogEvent]) -> Vec<String> {
        printed.begin_pass();
        events
            .iter()
            .filter(|e| printed.from_read(e))
            .map(|e| e.message.clone())
            .collect()
    }

    #[test]
    fn overlapping_passes_print_each_line_once_and_identical_lines_each_time() {
        let mut p = Printed::new(1_000);
        let first = [line("a", 10, "x"), line("a", 10, "x"), line("b", 10, "x")];
        assert_eq!(pass(&mut p, &first), ["x", "x", "x"]);
        // The next pass re-reads them, plus a third identical copy and a new line.
        let second = [
            line("a", 10, "x"),
            line("a", 10, "x"),
            line("a", 10, "x"),
            line("b", 10, "x"),
            line("b", 11, "y"),
        ];
        assert_eq!(pass(&mut p, &second), ["x", "y"]);
        assert_eq!(pass(&mut p, &second), Vec::<String>::new());
    }

    #[test]
    fn a_session_hands_over_from_its_catch_up_pass_without_gap_or_repeat() {
        let mut p = Printed::new(1_000);
        // History, printed before the session started.
        assert_eq!(pass(&mut p, &[line("a", 100, "h1")]), ["h1"]);
        // The session started at 200; its catch-up pass finds h1 again and two lines ingested
        // since, which the session will send too.
        let session_start = 200;
        let catch_up = [
            line("a", 100, "h1"),
            line("a", 150, "c1"),
            line("b", 160, "c2"),
        ];
        p.begin_pass();
        let mut out = Vec::new();
        for e in &catch_up {
            if p.from_read(e) {
                out.push(e.message.clone());
            }
            if e.ingestion_time >= session_start - 50 {
                p.expect(e);
            }
        }
        assert_eq!(out, ["c1", "c2"]);
        // The session sends c1, c2 (already printed) and then what is new, once each.
        let live = [
            line("a", 150, "c1"),
            line("b", 160, "c2"),
            line("a", 170, "l1"),
            line("a", 170, "l1"),
        ];
        let printed: Vec<_> = live
            .iter()
            .filter(|e| p.from_live(e))
            .map(|e| e.message.clone())
            .collect();
        assert_eq!(
            printed,
            ["l1", "l1"],
            "two identical new lines are two lines"
        );
        // A pass after the session (a renewal's catch-up, or polling) repeats nothing.
        let again = [
            line("a", 150, "c1"),
            line("a", 170, "l1"),
            line("a", 170, "l1"),
        ];
        assert_eq!(pass(&mut p, &again), Vec::<String>::new());
    }

    #[test]
    fn expected_lines_the_session_never_sends_are_forgotten() {
        let mut p = Printed::new(1_000);
        p.begin_pass();
        let e = line("a", 100, "gone");
        assert!(p.from_read(&e));
        p.expect(&e);
        assert_eq!(p.len(), 2);
        // Much later, the session brings other lines: the expectation lapses.
        assert!(p.from_live(&line("a", 5_000, "later")));
        assert_eq!(p.expected.len(), 0);
    }

    #[test]
    fn memory_stays_bounded_over_a_long_follow() {
        let mut p = Printed::new(1_000);
        for i in 0..50_000 {
            let e = line("a", i, &i.to_string());
            if i % 2 == 0 {
                p.begin_pass();
                assert!(p.from_read(&e));
            } else {
                assert!(p.from_live(&e));
            }
        }
        assert!(p.len() <= 1_001, "{}", p.len());
        assert!(p.pass.len() <= 1_001, "{}", p.pass.len());
        assert_eq!(p.next_from(0), 49_999 - 1_000);
    }
}
