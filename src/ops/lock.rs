//! The stage lock: one hover run changes a stage at a time. The lock is an object in the stage's
//! bucket created with a conditional write (`If-None-Match: *`), naming its holder and a random
//! token that is the holder's identity. It is given back when the run ends by a delete conditional
//! on its ETag, and only when the token there is ours. A lock older than [`LOCK_TTL`], or held by
//! a process of this machine's PID namespace and boot that is gone, is reclaimed with a write
//! conditional on its ETag; a lock that cannot be read is reclaimed only with `--force-unlock`.
//! After taking the lock the run checks that the stack is still what its plan saw: a plan made
//! before another run's change is never carried out.

use crate::direct::{self, LockWrite};
use crate::error::HoverError;
use crate::events::{Event, LockProblem, Sink, Warning};
use crate::live::{self, Clients};
use crate::ops::plan::PlannedStage;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a lock is honoured when its holder cannot be asked (another machine, a killed run).
pub const LOCK_TTL: Duration = Duration::from_secs(3600);

/// `--force-unlock`: this run takes the stage lock whatever holds it.
static FORCE: AtomicBool = AtomicBool::new(false);

/// Makes this run take the stage lock whatever holds it (`--force-unlock`).
pub fn force_unlock(on: bool) {
    FORCE.store(on, Ordering::SeqCst);
}

/// Who holds a stage's lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Seconds since the Unix epoch when the lock was taken.
    pub since: u64,
    /// Random, made by the run: the holder's identity (host and pid can repeat).
    #[serde(default)]
    pub token: String,
    /// The holder's PID namespace (`/proc/self/ns/pid`): its pid means something only there.
    #[serde(default)]
    pub pid_ns: String,
    /// The holder machine's boot id: a pid of another boot is another process.
    #[serde(default)]
    pub boot_id: String,
}

/// Where this run is: what decides whether a holder's pid can be checked from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Here {
    pub host: String,
    pub pid_ns: String,
    pub boot_id: String,
}

/// The lock object's key in the stage's bucket.
pub fn lock_key(stage_name: &str) -> String {
    format!("hover/lock/{stage_name}.json")
}

/// Whether a lock held by `holder` may be taken over at `now`: it is older than [`LOCK_TTL`], or
/// its holder is a process of this host, PID namespace and boot (`here`) that no longer runs. A
/// holder whose namespace or boot is unknown or another is never checked by pid.
pub fn reclaimable(holder: &Holder, now: u64, here: &Here, alive: impl Fn(u32) -> bool) -> bool {
    let same_place = holder.host == here.host
        && !holder.pid_ns.is_empty()
        && holder.pid_ns == here.pid_ns
        && !holder.boot_id.is_empty()
        && holder.boot_id == here.boot_id;
    now >= holder.since.saturating_add(LOCK_TTL.as_secs()) || (same_place && !alive(holder.pid))
}

/// A field of a lock as it may be printed: control characters, bidirectional marks and anything
/// a terminal would act on escaped, at most 80 characters.
pub fn clean(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The holder as an error names it, every field cleaned.
pub fn describe(h: &Holder) -> String {
    format!(
        "`{}` by {}@{} (pid {})",
        clean(&h.command),
        clean(&h.user),
        clean(&h.host),
        h.pid
    )
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// This run's place: host, PID namespace, boot id (empty when unknown).
pub fn here() -> Here {
    Here {
        host: host_name(),
        pid_ns: std::fs::read_link("/proc/self/ns/pid")
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        boot_id: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|b| b.trim().to_string())
            .unwrap_or_default(),
    }
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A fresh random token (32 hex digits).
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No randomness: the time and pid still tell runs apart.
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = (n ^ u128::from(std::process::id())).to_le_bytes();
    }
    hex::encode(bytes)
}

/// A held stage lock; [`StageLock::release`] gives it back.
pub struct StageLock {
    clients: Clients,
    stage: String,
    bucket: String,
    key: String,
    token: String,
}

/// Takes the lock of stage `name` for `command`, or says who holds it.
pub async fn acquire(
    clients: &Clients,
    name: &str,
    command: &str,
) -> Result<StageLock, HoverError> {
    let bucket = crate::naming::bucket(name);
    let key = lock_key(name);
    let here = here();
    let token = new_token();
    let me = Holder {
        user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        host: here.host.clone(),
        pid: std::process::id(),
        command: command.to_string(),
        since: now_secs(),
        token: token.clone(),
        pid_ns: here.pid_ns.clone(),
        boot_id: here.boot_id.clone(),
    };
    let body = serde_json::to_string(&me).unwrap_or_default();
    let lock = StageLock {
        clients: clients.clone(),
        stage: name.to_string(),
        bucket: bucket.clone(),
        key: key.clone(),
        token,
    };
    let force = FORCE.load(Ordering::SeqCst);
    let at = format!("s3://{bucket}/{key}");
    for _ in 0..3 {
        if direct::write_lock(clients, &bucket, &key, &body, None).await? == LockWrite::Written {
            return Ok(lock);
        }
        let Some((text, etag)) = direct::read_lock(clients, &bucket, &key).await? else {
            continue; // released meanwhile: try again
        };
        let holder: Option<Holder> = serde_json::from_str(&text).ok();
        let take_over = force
            || holder
                .as_ref()
                .is_some_and(|h| reclaimable(h, now_secs(), &here, process_alive));
        if take_over {
            if direct::write_lock(clients, &bucket, &key, &body, Some(&etag)).await?
                == LockWrite::Written
            {
                return Ok(lock);
            }
            continue;
        }
        let Some(h) = holder else {
            return Err(HoverError::StageLockUnreadable {
                stage: name.to_string(),
                lock: at,
            });
        };
        return Err(HoverError::StageLocked {
            stage: name.to_string(),
            holder: describe(&h),
            age: now_secs().saturating_sub(h.since),
            lock: at,
        });
    }
    Err(HoverError::StageLocked {
        stage: name.to_string(),
        holder: "another run (the lock changed hands while it was read)".into(),
        age: 0,
        lock: at,
    })
}

/// Takes the stage lock when the stage's bucket exists; `None` when there is no bucket (nothing
/// of the stage to guard yet, or it is torn down already).
pub async fn acquire_if_bucket(
    clients: &Clients,
    name: &str,
    command: &str,
) -> Result<Option<StageLock>, HoverError> {
    if !live::bucket_exists(clients, &crate::naming::bucket(name)).await? {
        return Ok(None);
    }
    acquire(clients, name, command).await.map(Some)
}

impl StageLock {
    /// Where the lock is (`s3://bucket/key`).
    pub fn at(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// Gives the lock back and says so; a failure is a warning naming the object.
    pub async fn release(self, sink: &mut dyn Sink) {
        let (stage, lock) = (self.stage.clone(), self.at());
        match self.give_back().await {
            Some(warning) => sink.emit(warning.into()),
            None => sink.emit(Event::LockGivenBack { stage, lock }),
        }
    }

    /// Gives the lock back: deleted only when the token there is ours, conditional on the ETag
    /// read. Returns the warning to show when it could not be.
    pub async fn give_back(self) -> Option<Warning> {
        let ttl_minutes = LOCK_TTL.as_secs() / 60;
        let lock = self.at();
        let problem = |problem| {
            Some(Warning::Lock {
                lock: lock.clone(),
                problem,
            })
        };
        let (text, etag) = match direct::read_lock(&self.clients, &self.bucket, &self.key).await {
            Ok(Some(read)) => read,
            // Gone already (with the stage's bucket, after a destroy).
            Ok(None) => return None,
            Err(e) => {
                return problem(LockProblem::Unreadable {
                    error: e.to_string(),
                    ttl_minutes,
                })
            }
        };
        let ours = serde_json::from_str::<Holder>(&text).is_ok_and(|h| h.token == self.token);
        if !ours {
            return problem(LockProblem::TakenOver);
        }
        match direct::delete_lock(&self.clients, &self.bucket, &self.key, &etag).await {
            Ok(LockWrite::Written) => None,
            Ok(LockWrite::Held) => problem(LockProblem::Changed),
            Err(e) => problem(LockProblem::NotReleased {
                error: e.to_string(),
                ttl_minutes,
            }),
        }
    }
}

/// Takes the stage lock for `command` and says so.
pub async fn take(
    clients: &Clients,
    name: &str,
    command: &str,
    sink: &mut dyn Sink,
) -> Result<StageLock, HoverError> {
    let lock = acquire(clients, name, command).await?;
    sink.emit(Event::LockTaken {
        stage: name.to_string(),
        lock: lock.at(),
    });
    Ok(lock)
}

/// Refuses when the stack changed (status, template, resources) since the plan read it.
pub async fn ensure_unchanged(planned: &PlannedStage) -> Result<(), HoverError> {
    let now = live::read_stack(planned.clients(), &planned.desired.name).await?;
    let seen = planned.observed.stack.as_ref();
    let same = match (seen, now.as_ref()) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.stack_id == b.stack_id
                && a.status == b.status
                && a.template == b.template
                && a.resources.keys().eq(b.resources.keys())
        }
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(HoverError::StalePlan(format!(
            "stack {} changed after the plan was made (another run applied it); nothing was changed: plan again",
            planned.desired.name
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(host: &str, pid: u32, since: u64) -> Holder {
        Holder {
            user: "ann".into(),
            host: host.into(),
            pid,
            command: "hover apply".into(),
            since,
            token: "t".into(),
            pid_ns: "pid:[1]".into(),
            boot_id: "boot-a".into(),
        }
    }

    fn at(host: &str) -> Here {
        Here {
            host: host.into(),
            pid_ns: "pid:[1]".into(),
            boot_id: "boot-a".into(),
        }
    }

    #[test]
    fn a_lock_is_reclaimed_when_stale_or_its_local_holder_is_gone() {
        let alive = |pid: u32| pid == 7;
        let now = 10_000;
        assert!(!reclaimable(
            &holder("a", 7, now - 60),
            now,
            &at("a"),
            alive
        ));
        assert!(
            reclaimable(&holder("a", 8, now - 60), now, &at("a"), alive),
            "holder gone"
        );
        assert!(
            !reclaimable(&holder("b", 8, now - 60), now, &at("a"), alive),
            "another host's process cannot be checked"
        );
        assert!(
            reclaimable(&holder("b", 8, now - 3600), now, &at("a"), alive),
            "stale"
        );
        assert!(!reclaimable(
            &holder("b", 8, now - 3599),
            now,
            &at("a"),
            alive
        ));
    }

    #[test]
    fn a_pid_counts_only_in_the_same_namespace_and_boot() {
        let dead = |_: u32| false;
        let now = 10_000;
        let mut other_ns = at("a");
        other_ns.pid_ns = "pid:[2]".into();
        assert!(!reclaimable(
            &holder("a", 8, now - 60),
            now,
            &other_ns,
            dead
        ));
        let mut other_boot = at("a");
        other_boot.boot_id = "boot-b".into();
        assert!(!reclaimable(
            &holder("a", 8, now - 60),
            now,
            &other_boot,
            dead
        ));
        let mut old = holder("a", 8, now - 60);
        old.pid_ns.clear();
        assert!(
            !reclaimable(&old, now, &at("a"), dead),
            "a holder that did not say its namespace is not checked by pid"
        );
    }

    #[test]
    fn holder_fields_are_cleaned_before_they_are_printed() {
        assert_eq!(clean("ann"), "ann");
        assert_eq!(clean("x\nApply complete!"), "x\\u{a}Apply complete!");
        assert_eq!(clean("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(clean(&"x".repeat(200)).chars().count(), 81);
        let mut h = holder("h\r", 1, 0);
        h.command = "hover deploy\nDeploy complete!".into();
        let d = describe(&h);
        assert!(!d.contains('\n') && !d.contains('\r'), "{d}");
    }

    #[test]
    fn tokens_differ() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 32);
    }
}
