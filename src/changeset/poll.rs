//! The one poller of change sets and stack operations: an adaptive schedule (each wait longer than
//! the last, up to a cap) under an overall limit, whose end is a typed error naming what is still
//! in progress, its status and how long hover waited.

use super::ChangeSetError;
use std::time::Duration;
use tokio::time::Instant;

/// A change set still being computed is given this long.
pub const CHANGE_SET_LIMIT: Duration = Duration::from_secs(15 * 60);

/// A stack operation (an executed change set, a deletion, one hover waits out before its own) is
/// given this long: longer than any operation a stage's resources take (a CloudFront distribution
/// is the slowest), short enough that a stuck one ends the run.
pub const STACK_LIMIT: Duration = Duration::from_secs(2 * 60 * 60);

/// Adaptive polling: the first wait is `first`, each next one `factor` times longer, capped at
/// `max`. `timeout`, when set, bounds the whole wait. Tests inject millisecond values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Poll {
    pub first: Duration,
    pub max: Duration,
    pub factor: f64,
    pub timeout: Option<Duration>,
}

impl Default for Poll {
    /// 200 ms, ×1.5, at most 5 s; no overall timeout.
    fn default() -> Self {
        Poll {
            first: Duration::from_millis(200),
            max: Duration::from_secs(5),
            factor: 1.5,
            timeout: None,
        }
    }
}

impl Poll {
    /// This schedule with an overall timeout.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Poll {
            timeout: Some(timeout),
            ..self
        }
    }

    /// The schedule hover watches an executing stack with: the default, at most 3 s apart, so
    /// progress lines follow the stack closely.
    pub fn stack_watch() -> Self {
        Poll {
            max: Duration::from_secs(3),
            ..Poll::default()
        }
        .with_timeout(STACK_LIMIT)
    }

    /// The successive waits of this schedule (unbounded).
    pub fn delays(&self) -> impl Iterator<Item = Duration> + '_ {
        let factor = self.factor();
        std::iter::successors(Some(self.first.min(self.max)), move |d| {
            Some(d.mul_f64(factor).min(self.max))
        })
    }

    /// The growth factor, never below 1 (a shrinking or invalid factor polls at `first`).
    fn factor(&self) -> f64 {
        if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        }
    }
}

/// What a wait is for, named by the error that ends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// CloudFormation computing a change set (its ARN; the stack when known).
    ChangeSet { arn: String, stack: Option<String> },
    /// A stack operation in progress on the stack.
    Stack { stack: String },
}

impl std::fmt::Display for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Waiting::ChangeSet { arn, stack } => {
                // `arn:…:changeSet/<name>/<uuid>`: the name is what hover printed when creating it.
                let name = arn.split('/').nth(1).unwrap_or(arn);
                write!(f, "change set `{name}`")?;
                if let Some(stack) = stack {
                    write!(f, " of stack `{stack}`")?;
                }
                write!(f, " to be computed ({arn})")
            }
            Waiting::Stack { stack } => write!(f, "the operation on stack `{stack}` to end"),
        }
    }
}

/// One wait under way: where it is in its schedule and when it began. The caller checks, then
/// calls [`Poller::wait`] with what it saw; the poller sleeps or gives up.
#[derive(Debug)]
pub struct Poller {
    poll: Poll,
    next: Duration,
    started: Instant,
}

impl Poller {
    /// A wait starting now on the schedule `poll`.
    pub fn new(poll: Poll) -> Self {
        Poller {
            poll,
            next: poll.first.min(poll.max),
            started: Instant::now(),
        }
    }

    /// How long this wait has lasted.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sleeps the schedule's next interval; when that would pass the overall limit, gives up with
    /// [`ChangeSetError::Timeout`] naming `what` and its last `status` instead.
    pub async fn wait(&mut self, what: &Waiting, status: &str) -> Result<(), ChangeSetError> {
        let delay = self.next;
        if let Some(limit) = self.poll.timeout {
            if self.elapsed() + delay > limit {
                return Err(ChangeSetError::Timeout {
                    what: what.clone(),
                    last_status: status.to_string(),
                    waited: self.elapsed(),
                });
            }
        }
        self.next = delay.mul_f64(self.poll.factor()).min(self.poll.max);
        tokio::time::sleep(delay).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(timeout: Option<u64>) -> Poll {
        Poll {
            first: Duration::from_millis(1),
            max: Duration::from_millis(4),
            factor: 2.0,
            timeout: timeout.map(Duration::from_millis),
        }
    }

    #[test]
    fn the_poller_follows_the_schedule() {
        let poll = Poll::default();
        let mut poller = Poller::new(poll);
        let mut seen = Vec::new();
        for _ in 0..12 {
            seen.push(poller.next);
            poller.next = poller.next.mul_f64(poll.factor()).min(poll.max);
        }
        let expected: Vec<Duration> = poll.delays().take(12).collect();
        assert_eq!(seen, expected);
        assert_eq!(
            seen[..2],
            [Duration::from_millis(200), Duration::from_millis(300)]
        );
    }

    #[tokio::test]
    async fn without_a_limit_the_poller_keeps_waiting() {
        let mut poller = Poller::new(tiny(None));
        let what = Waiting::Stack {
            stack: "hover-prod".into(),
        };
        for _ in 0..10 {
            assert!(poller.wait(&what, "UPDATE_IN_PROGRESS").await.is_ok());
        }
        assert_eq!(poller.next, Duration::from_millis(4), "capped at max");
    }

    #[tokio::test]
    async fn the_overall_limit_ends_in_an_error_naming_what_is_in_progress() {
        let mut poller = Poller::new(tiny(Some(20)));
        let what = Waiting::Stack {
            stack: "hover-prod".into(),
        };
        let mut waits = 0;
        let err = loop {
            match poller.wait(&what, "UPDATE_IN_PROGRESS").await {
                Ok(()) => waits += 1,
                Err(e) => break e,
            }
            assert!(waits < 100, "the limit must end the wait");
        };
        assert!(waits >= 3, "waited {waits} times before giving up");
        match &err {
            ChangeSetError::Timeout {
                what: w,
                last_status,
                waited,
            } => {
                assert_eq!(w, &what);
                assert_eq!(last_status, "UPDATE_IN_PROGRESS");
                assert!(*waited >= Duration::from_millis(waits), "{waited:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("stack `hover-prod`"), "{text}");
        assert!(text.contains("UPDATE_IN_PROGRESS"), "{text}");
    }

    #[test]
    fn a_change_set_is_named_by_its_name_and_stack() {
        let what = Waiting::ChangeSet {
            arn: "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/hover-17/abc".into(),
            stack: Some("hover-prod".into()),
        };
        let text = what.to_string();
        assert!(
            text.starts_with("change set `hover-17` of stack `hover-prod`"),
            "{text}"
        );
    }
}
