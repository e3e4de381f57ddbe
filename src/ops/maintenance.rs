//! `hover down` and `hover up`: maintenance mode of a whole stage, with no build and no stack
//! update. The state is one object in the stage's bucket ([`naming::MAINTENANCE_KEY`]) that every
//! function's runtime reads within seconds (HTTP answers Laravel's maintenance response, the
//! scheduler skips its tasks, workers hand messages back); the queues' event source mappings are
//! disabled directly so messages stay in their queues. [`read_state`] is the one reader of it
//! (plan, status).

use crate::direct::{self, LockWrite};
use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest;
use crate::model::{Maintenance, StackState};
use crate::naming;
use crate::ops::StageContext;
use crate::stage;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Version of the state object's format (the runtime reads `down` and the options).
pub const FORMAT: &str = "hover-maintenance/1";

/// How long the runtime uses a state read before asking again (its default TTL, seconds).
pub const RUNTIME_TTL_SECONDS: u32 = 5;

/// The state object as stored: the format, `down`, and the options.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    format: String,
    down: bool,
    #[serde(flatten)]
    state: Maintenance,
}

/// Settings of `hover down` (the options of Laravel's `artisan down`).
#[derive(Clone, Debug, Default)]
pub struct DownOptions {
    pub secret: Option<String>,
    pub retry: Option<u32>,
    pub render: Option<String>,
}

/// One queue mapping switched on or off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappingSwitch {
    /// What the plan calls it: `jobs-app -> app-jobs-queue:live`.
    pub name: String,
    /// Its UUID (the physical id).
    pub uuid: String,
}

/// What `hover down` or `hover up` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MaintenanceOutcome {
    pub stage: String,
    /// The state before the command (`None`: the stage was up).
    pub before: Option<Maintenance>,
    /// The state now (`None`: the stage is up).
    pub after: Option<Maintenance>,
    /// `s3://bucket/key` of the state.
    pub location: String,
    /// The mappings disabled (`down`) or enabled (`up`).
    pub mappings: Vec<MappingSwitch>,
    /// Seconds the runtime may take to see the change (its TTL).
    pub runtime_ttl_seconds: u32,
}

/// The stage's maintenance state as stored in its bucket, with the object's ETag: `None` when the
/// stage is up (no object, or no bucket).
pub async fn read_stored(
    clients: &Clients,
    name: &str,
) -> Result<Option<(Maintenance, String)>, HoverError> {
    let bucket = naming::bucket(name);
    let Some((text, etag)) = direct::read_lock(clients, &bucket, naming::MAINTENANCE_KEY).await?
    else {
        return Ok(None);
    };
    // An object that is not a state hover wrote counts as up, as the runtime takes it.
    Ok(serde_json::from_str::<Stored>(&text)
        .ok()
        .filter(|s| s.down)
        .map(|s| (s.state, etag)))
}

/// Whether the stage `name` is down, since when and with which options (`None`: it is up). One
/// S3 GetObject.
pub async fn read_state(clients: &Clients, name: &str) -> Result<Option<Maintenance>, HoverError> {
    Ok(read_stored(clients, name).await?.map(|(m, _)| m))
}

/// The stage's stack, or the error saying the stage is not deployed (nothing is written then).
async fn deployed_stack(
    clients: &Clients,
    stage: &str,
    name: &str,
) -> Result<StackState, HoverError> {
    live::read_stack(clients, name)
        .await?
        .ok_or_else(|| HoverError::StageNotDeployed {
            stage: stage.to_string(),
            stack: name.to_string(),
        })
}

/// The queue mappings of the stack, named as the plan names them.
fn mappings(manifest: &manifest::Manifest, stack: &StackState) -> Vec<MappingSwitch> {
    let desired = stage::desired_with(manifest, "", crate::model::scheme_of(Some(stack)));
    stack
        .resources
        .iter()
        .filter(|(_, r)| {
            r.resource_type == crate::model::ResourceKind::EventSourceMapping
                && !r.physical_id.is_empty()
        })
        .map(|(id, r)| MappingSwitch {
            name: desired
                .resources
                .get(id)
                .map_or_else(|| id.clone(), |d| d.name.clone()),
            uuid: r.physical_id.clone(),
        })
        .collect()
}

/// Runs `hover down`: writes the state (keeping `since` when the stage was down already), then
/// disables every queue mapping. On a stage that is not deployed, nothing is written.
pub async fn down(
    dir: PathBuf,
    stage: &str,
    opts: &DownOptions,
) -> Result<MaintenanceOutcome, HoverError> {
    let ctx = StageContext::open(&dir, stage).await?;
    ctx.account().await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let stack = deployed_stack(clients, stage, &manifest.name).await?;
    let bucket = naming::bucket(&manifest.name);
    let stored = read_stored(clients, &manifest.name).await?;
    let state = Maintenance {
        since: stored
            .as_ref()
            .map_or_else(|| utc_text(now_secs()), |(m, _)| m.since.clone()),
        secret: opts.secret.clone(),
        retry: opts.retry,
        render: opts.render.clone(),
    };
    let body = serde_json::to_string_pretty(&Stored {
        format: FORMAT.into(),
        down: true,
        state: state.clone(),
    })
    .map_err(|e| HoverError::Usage(format!("cannot write the maintenance state: {e}")))?;
    let etag = stored.as_ref().map(|(_, e)| e.as_str());
    if direct::write_lock(clients, &bucket, naming::MAINTENANCE_KEY, &body, etag).await?
        == LockWrite::Held
    {
        return Err(changed_underneath(stage));
    }
    let before = stored.map(|(m, _)| m);
    switch_mappings(clients, manifest, &stack, stage, before, Some(state)).await
}

/// Runs `hover up`: deletes the state, then enables every queue mapping (also when the stage was
/// up: a `down` cut short leaves none disabled).
pub async fn up(dir: PathBuf, stage: &str) -> Result<MaintenanceOutcome, HoverError> {
    let ctx = StageContext::open(&dir, stage).await?;
    ctx.account().await?;
    let (manifest, clients) = (&ctx.manifest, &ctx.clients);
    let stack = deployed_stack(clients, stage, &manifest.name).await?;
    let bucket = naming::bucket(&manifest.name);
    let stored = read_stored(clients, &manifest.name).await?;
    if let Some((_, etag)) = &stored {
        if direct::delete_lock(clients, &bucket, naming::MAINTENANCE_KEY, etag).await?
            == LockWrite::Held
        {
            return Err(changed_underneath(stage));
        }
    }
    let before = stored.map(|(m, _)| m);
    switch_mappings(clients, manifest, &stack, stage, before, None).await
}

/// Turns every queue mapping of the stage off (`after` is a maintenance state) or on (`None`),
/// all at once, and says what the command did.
async fn switch_mappings(
    clients: &Clients,
    manifest: &manifest::Manifest,
    stack: &StackState,
    stage: &str,
    before: Option<Maintenance>,
    after: Option<Maintenance>,
) -> Result<MaintenanceOutcome, HoverError> {
    let switched = mappings(manifest, stack);
    let enabled = after.is_none();
    futures::future::try_join_all(
        switched
            .iter()
            .map(|m| direct::set_mapping_enabled(clients, &m.uuid, enabled)),
    )
    .await?;
    Ok(MaintenanceOutcome {
        stage: stage.to_string(),
        before,
        after,
        location: format!(
            "s3://{}/{}",
            naming::bucket(&manifest.name),
            naming::MAINTENANCE_KEY
        ),
        mappings: switched,
        runtime_ttl_seconds: RUNTIME_TTL_SECONDS,
    })
}

fn changed_underneath(stage: &str) -> HoverError {
    HoverError::Usage(format!(
        "the maintenance state of stage `{stage}` changed while this command ran (another `hover down` or `hover up`); run it again"
    ))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
pub fn utc_text(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rest = secs % 86_400;
    let (y, m, d) = crate::release::build_id::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::history::iso_seconds;

    #[test]
    fn times_are_written_as_utc_and_read_back() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_text(1_796_060_712), "2026-11-30T17:45:12Z");
        for t in [1u64, 86_399, 1_700_000_000, 4_102_444_800] {
            assert_eq!(iso_seconds(&utc_text(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn the_stored_state_is_what_the_runtime_reads() {
        let text = serde_json::to_string(&Stored {
            format: FORMAT.into(),
            down: true,
            state: Maintenance {
                since: "2026-12-06T17:00:00Z".into(),
                secret: Some("let-me-in".into()),
                retry: Some(60),
                render: None,
            },
        })
        .unwrap_or_default();
        assert_eq!(
            text,
            r#"{"format":"hover-maintenance/1","down":true,"since":"2026-12-06T17:00:00Z","secret":"let-me-in","retry":60}"#
        );
        let back: Stored = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.down);
        assert_eq!(back.state.retry, Some(60));
    }
}
