//! Interrupts of a changing command (Ctrl-C, SIGTERM): one listener for both, and the sections an
//! interrupt must not cut (moving `live`), which a command finishes before it stops.

use crate::error::HoverError;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Sections running now that an interrupt must not cut.
static CRITICAL: AtomicUsize = AtomicUsize::new(0);
/// Sections running now that handle an interrupt themselves (they clean up and say what is left).
static HANDLED: AtomicUsize = AtomicUsize::new(0);
/// An interrupt arrived while a critical section ran; the command stops once it is done.
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Which signal arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    /// How the signal is named to people.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupted (Ctrl-C)",
            Signal::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// Resolves at the next SIGINT or SIGTERM.
pub async fn interrupted() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    Signal::Interrupt
}

/// A section an interrupt does not cut, while the value lives.
pub struct Critical(());

impl Critical {
    pub fn enter() -> Critical {
        CRITICAL.fetch_add(1, Ordering::SeqCst);
        Critical(())
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A section that handles interrupts itself, while the value lives.
pub struct Handled(());

impl Handled {
    pub fn enter() -> Handled {
        HANDLED.fetch_add(1, Ordering::SeqCst);
        Handled(())
    }
}

impl Drop for Handled {
    fn drop(&mut self) {
        HANDLED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether an interrupt arrived during a critical section (the command stops after it).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Runs `work` (a command's locked part) until it ends or an interrupt arrives:
/// - outside critical sections, `work` is dropped at once and `stopped(signal)` is returned;
/// - in a section that handles interrupts itself, `work` is left to end on its own;
/// - in a critical section, `work` runs on (the section is bounded); [`requested`] tells it to
///   stop afterwards. A second interrupt there stops at once with `abandoned(signal)`.
///
/// The caller gives the stage lock back after this returns, whichever way it ended.
pub async fn guard<T>(
    work: impl Future<Output = Result<T, HoverError>>,
    stopped: impl Fn(Signal) -> HoverError,
    abandoned: impl Fn(Signal) -> HoverError,
) -> Result<T, HoverError> {
    tokio::pin!(work);
    let mut waiting_for_critical = false;
    loop {
        tokio::select! {
            biased;
            r = &mut work => return r,
            signal = interrupted() => {
                if CRITICAL.load(Ordering::SeqCst) > 0 {
                    if waiting_for_critical {
                        return Err(abandoned(signal));
                    }
                    waiting_for_critical = true;
                    REQUESTED.store(true, Ordering::SeqCst);
                } else if HANDLED.load(Ordering::SeqCst) > 0 {
                    continue;
                } else {
                    return Err(stopped(signal));
                }
            }
        }
    }
}
