//! The stage lock: one hover run changes a stage at a time. The lock is an object in the stage's
//! bucket created with a conditional write (`If-None-Match: *`), naming its holder; it is deleted
//! when the run ends, and a lock older than [`LOCK_TTL`] (or held by a process of this machine
//! that is gone) is reclaimed with a write conditional on its ETag. After taking the lock the run
//! checks that the stack is still what its plan saw: a plan made before another run's change is
//! never carried out.

use crate::direct::{self, LockWrite};
use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::ops::plan::PlannedStage;
use crate::ops::ApplyUi;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a lock is honoured when its holder cannot be asked (another machine, a killed run).
pub const LOCK_TTL: Duration = Duration::from_secs(3600);

/// Who holds a stage's lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Seconds since the Unix epoch when the lock was taken.
    pub since: u64,
}

/// The lock object's key in the stage's bucket.
pub fn lock_key(stage_name: &str) -> String {
    format!("hover/lock/{stage_name}.json")
}

/// Whether a lock held by `holder` may be taken over at `now`: it is older than [`LOCK_TTL`], or
/// its holder is a process of this host (`here`) that no longer runs.
pub fn reclaimable(holder: &Holder, now: u64, here: &str, alive: impl Fn(u32) -> bool) -> bool {
    now >= holder.since.saturating_add(LOCK_TTL.as_secs())
        || (holder.host == here && !alive(holder.pid))
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

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// A held stage lock; [`StageLock::release`] gives it back.
pub struct StageLock {
    clients: Clients,
    bucket: String,
    key: String,
}

/// Takes the lock of stage `name` for `command`, or says who holds it.
pub async fn acquire(
    clients: &Clients,
    name: &str,
    command: &str,
) -> Result<StageLock, HoverError> {
    let bucket = crate::naming::bucket(name);
    let key = lock_key(name);
    let here = host_name();
    let me = Holder {
        user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
        host: here.clone(),
        pid: std::process::id(),
        command: command.to_string(),
        since: now_secs(),
    };
    let body = serde_json::to_string(&me).unwrap_or_default();
    let lock = StageLock {
        clients: clients.clone(),
        bucket: bucket.clone(),
        key: key.clone(),
    };
    for _ in 0..3 {
        if direct::write_lock(clients, &bucket, &key, &body, None).await? == LockWrite::Written {
            return Ok(lock);
        }
        let Some((text, etag)) = direct::read_lock(clients, &bucket, &key).await? else {
            continue; // released meanwhile: try again
        };
        let holder: Option<Holder> = serde_json::from_str(&text).ok();
        let take_over = holder
            .as_ref()
            .is_none_or(|h| reclaimable(h, now_secs(), &here, process_alive));
        if take_over {
            if direct::write_lock(clients, &bucket, &key, &body, Some(&etag)).await?
                == LockWrite::Written
            {
                return Ok(lock);
            }
            continue;
        }
        let h = holder.unwrap_or_else(|| me.clone());
        return Err(HoverError::StageLocked {
            stage: name.to_string(),
            holder: format!("`{}` by {}@{} (pid {})", h.command, h.user, h.host, h.pid),
            age: now_secs().saturating_sub(h.since),
            lock: format!("s3://{bucket}/{key}"),
        });
    }
    Err(HoverError::StageLocked {
        stage: name.to_string(),
        holder: "another run (the lock changed hands while it was read)".into(),
        age: 0,
        lock: format!("s3://{bucket}/{key}"),
    })
}

impl StageLock {
    /// Gives the lock back; a failure is a warning naming the object to delete.
    pub async fn release(self, ui: &mut dyn ApplyUi) {
        if let Err(e) = direct::delete_object(&self.clients, &self.bucket, &self.key).await {
            ui.note(&format!(
                "Warning: the stage lock s3://{}/{} could not be released ({e}); it is reclaimed after {} minutes, or delete it",
                self.bucket,
                self.key,
                LOCK_TTL.as_secs() / 60
            ));
        }
    }
}

/// Refuses when the stack changed (status, template, resources) since the plan read it.
pub async fn ensure_unchanged(planned: &PlannedStage) -> Result<(), HoverError> {
    let now = live::read_stack(&planned.clients, &planned.desired.name).await?;
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
        }
    }

    #[test]
    fn a_lock_is_reclaimed_when_stale_or_its_local_holder_is_gone() {
        let alive = |pid: u32| pid == 7;
        let now = 10_000;
        assert!(!reclaimable(&holder("a", 7, now - 60), now, "a", alive));
        assert!(
            reclaimable(&holder("a", 8, now - 60), now, "a", alive),
            "holder gone"
        );
        assert!(
            !reclaimable(&holder("b", 8, now - 60), now, "a", alive),
            "another host's process cannot be checked"
        );
        assert!(
            reclaimable(&holder("b", 8, now - 3600), now, "a", alive),
            "stale"
        );
        assert!(!reclaimable(&holder("b", 8, now - 3599), now, "a", alive));
    }
}
