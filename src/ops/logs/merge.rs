//! The log lines of several log groups merged into one timeline: a k-way merge over each group's
//! pages (each in timestamp order), holding one page per group.

use crate::live::log_events::LogEvent;
use std::collections::VecDeque;
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
}
