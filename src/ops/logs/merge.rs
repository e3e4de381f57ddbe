//! The log lines of several log groups merged into one timeline: a k-way merge over each group's
//! pages (each in timestamp order), holding one page per group, and the memory of what a
//! follow has printed already (event ids inside the overlap window only).

use crate::live::log_events::LogEvent;
use std::collections::{HashSet, VecDeque};
use tokio::sync::mpsc::Receiver;

/// One group's pages as they come: each page in timestamp order, pages in order, an error ends
/// the merge.
pub type Pages<E> = Receiver<Result<Vec<LogEvent>, E>>;

/// Merges the groups' pages into timestamp order and hands each event to `emit` as soon as it is
/// known to be the next one (every group still going has a page in hand). Ties go to the group
/// listed first; each group's own order is kept. Holds at most one page per group (plus what the
/// channels buffer). Returns how many events were emitted.
pub async fn merge<E>(
    mut sources: Vec<Pages<E>>,
    mut emit: impl FnMut(LogEvent) -> Result<(), E>,
) -> Result<u64, E> {
    let mut heads: Vec<VecDeque<LogEvent>> = sources.iter().map(|_| VecDeque::new()).collect();
    let mut open = vec![true; sources.len()];
    let mut emitted = 0;
    loop {
        for (i, source) in sources.iter_mut().enumerate() {
            while open[i] && heads[i].is_empty() {
                match source.recv().await {
                    Some(page) => heads[i].extend(page?),
                    None => open[i] = false,
                }
            }
        }
        let Some(next) = earliest(&heads) else {
            return Ok(emitted);
        };
        // Every group still open has a head: the earliest of them is next. Emit the run of that
        // group's events that stay no later than every other group's head.
        let bound = heads
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != next)
            .filter_map(|(i, h)| h.front().map(|e| (e.timestamp, i)))
            .min();
        while let Some(event) = heads[next].front() {
            if bound.is_some_and(|b| (event.timestamp, next) > b) {
                break;
            }
            if let Some(event) = heads[next].pop_front() {
                emit(event)?;
                emitted += 1;
            }
        }
    }
}

/// The group whose head is earliest (ties: the first listed); `None` when every head is empty.
pub fn earliest(heads: &[VecDeque<LogEvent>]) -> Option<usize> {
    heads
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.front().map(|e| (e.timestamp, i)))
        .min()
        .map(|(_, i)| i)
}

/// What a follow has printed, to print nothing twice when its polls overlap: the ids of events
/// no older than `window` before the latest one seen. Older ids are forgotten, as no later poll
/// asks for events that old.
#[derive(Debug)]
pub struct Seen {
    window: i64,
    latest: i64,
    order: VecDeque<(i64, usize, String)>,
    ids: HashSet<(usize, String)>,
}

impl Seen {
    /// Remembers events for `window` milliseconds behind the latest.
    pub fn new(window: i64) -> Self {
        Seen {
            window,
            latest: i64::MIN,
            order: VecDeque::new(),
            ids: HashSet::new(),
        }
    }

    /// The latest timestamp seen (`None` before the first event).
    pub fn latest(&self) -> Option<i64> {
        (self.latest != i64::MIN).then_some(self.latest)
    }

    /// Whether `event` is new (and remembers it); false for an id already seen in its group.
    pub fn first_time(&mut self, event: &LogEvent) -> bool {
        let key = (event.source, event.event_id.clone());
        if self.ids.contains(&key) {
            return false;
        }
        self.latest = self.latest.max(event.timestamp);
        let horizon = self.latest.saturating_sub(self.window);
        while self.order.front().is_some_and(|(ts, _, _)| *ts < horizon) {
            if let Some((_, source, id)) = self.order.pop_front() {
                self.ids.remove(&(source, id));
            }
        }
        if event.timestamp >= horizon {
            self.order
                .push_back((event.timestamp, event.source, event.event_id.clone()));
            self.ids.insert(key);
        }
        true
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn event(source: usize, ts: i64, id: &str) -> LogEvent {
        LogEvent {
            source,
            stream: format!("s{source}"),
            timestamp: ts,
            ingestion_time: ts,
            message: id.into(),
            event_id: id.into(),
        }
    }

    /// A source fed with `pages` (of (timestamp, id)) and closed.
    fn source(source: usize, pages: &[&[(i64, &str)]]) -> Pages<String> {
        let (tx, rx) = mpsc::channel(pages.len().max(1));
        for page in pages {
            let page = page.iter().map(|(ts, id)| event(source, *ts, id)).collect();
            tx.try_send(Ok(page)).expect("room for every page");
        }
        rx
    }

    async fn merged(sources: Vec<Pages<String>>) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        merge(sources, |e| {
            out.push(e.event_id);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    #[tokio::test]
    async fn groups_merge_in_time_order_across_pages_ties_to_the_first_group() {
        let a = source(0, &[&[(1, "a1"), (5, "a5")], &[], &[(5, "a5b"), (9, "a9")]]);
        let b = source(1, &[&[(2, "b2"), (5, "b5")], &[(7, "b7")]]);
        let c = source(2, &[]);
        let out = merged(vec![a, b, c]).await.unwrap();
        assert_eq!(out, ["a1", "b2", "a5", "a5b", "b5", "b7", "a9"]);
    }

    #[tokio::test]
    async fn each_group_keeps_its_own_order_on_equal_timestamps() {
        let a = source(0, &[&[(3, "x"), (3, "y")], &[(3, "z")]]);
        let b = source(1, &[&[(3, "p"), (4, "q")]]);
        assert_eq!(merged(vec![a, b]).await.unwrap(), ["x", "y", "z", "p", "q"]);
    }

    #[tokio::test]
    async fn an_error_in_any_group_ends_the_merge() {
        let a = source(0, &[&[(1, "a1")]]);
        let (tx, b) = mpsc::channel(1);
        tx.try_send(Err("denied".to_owned())).unwrap();
        assert_eq!(merged(vec![a, b]).await, Err("denied".to_owned()));
    }

    #[tokio::test]
    async fn the_merge_waits_for_a_slow_group_before_emitting_past_it() {
        let (tx_a, a) = mpsc::channel(1);
        let (tx_b, b) = mpsc::channel(1);
        tx_a.send(Ok(vec![event(0, 1, "a1"), event(0, 10, "a10")]))
            .await
            .unwrap();
        drop(tx_a);
        let feeder = tokio::spawn(async move {
            tokio::task::yield_now().await;
            tx_b.send(Ok(vec![event(1, 5, "b5")])).await.unwrap();
        });
        assert_eq!(merged(vec![a, b]).await.unwrap(), ["a1", "b5", "a10"]);
        feeder.await.unwrap();
    }

    #[test]
    fn seen_prints_nothing_twice_and_forgets_beyond_its_window() {
        let mut seen = Seen::new(10);
        assert!(seen.first_time(&event(0, 100, "1")));
        assert!(!seen.first_time(&event(0, 100, "1")));
        assert!(seen.first_time(&event(1, 100, "1")), "ids are per group");
        assert!(seen.first_time(&event(0, 105, "2")));
        assert_eq!(seen.len(), 3);
        assert!(seen.first_time(&event(0, 120, "3")));
        assert_eq!(
            seen.len(),
            1,
            "only what is within 10 ms of the latest stays"
        );
        assert_eq!(seen.latest(), Some(120));
        // An event older than the window is new (a poll never asks for it again), not kept.
        assert!(seen.first_time(&event(0, 50, "old")));
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn seen_stays_bounded_over_a_long_run() {
        let mut seen = Seen::new(1_000);
        for i in 0..100_000 {
            assert!(seen.first_time(&event(0, i, &i.to_string())));
        }
        assert!(seen.len() <= 1_001, "{}", seen.len());
    }
}
