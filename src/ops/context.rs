//! The stage context: what one command works on, assembled once. [`StageContext`] is the manifest
//! (read once, with its warnings), the SDK clients (built once from its profile and region), the
//! account (asked once, checked against the manifest's pinned account) and the partition; the
//! cheap half, enough for the read-only and operational commands. [`PlannedStage`] is that
//! context with the stage read and planned: the stack's id scheme, the desired stage (built once,
//! with the image it will run) and the observed stage; [`PlannedStage::refresh`] reads again only
//! what is live and plans again.
//!
//! [`counts`] counts manifest reads, client builds and stage reads, for tests and
//! `HOVER_DEBUG_COUNTS`.

use crate::error::HoverError;
use crate::events::{Event, Warning};
use crate::live::{self, Clients};
use crate::manifest::{self, Manifest};
use crate::model::{DesiredStage, ObservedStage};
use crate::plan::{self, Plan};
use crate::stage::Scheme;
use std::path::{Path, PathBuf};
use tokio::sync::OnceCell;

/// Counters of the work a context saves: how often this process read a manifest, built clients
/// and read a whole stage.
pub mod counts {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static MANIFEST_READS: AtomicUsize = AtomicUsize::new(0);
    static CLIENT_BUILDS: AtomicUsize = AtomicUsize::new(0);
    static STAGE_READS: AtomicUsize = AtomicUsize::new(0);

    /// What was counted so far.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Counts {
        pub manifest_reads: usize,
        pub client_builds: usize,
        pub stage_reads: usize,
    }

    /// The counts now.
    pub fn now() -> Counts {
        Counts {
            manifest_reads: MANIFEST_READS.load(Ordering::SeqCst),
            client_builds: CLIENT_BUILDS.load(Ordering::SeqCst),
            stage_reads: STAGE_READS.load(Ordering::SeqCst),
        }
    }

    pub(super) fn manifest_read() {
        MANIFEST_READS.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn clients_built() {
        CLIENT_BUILDS.fetch_add(1, Ordering::SeqCst);
    }
    pub(super) fn stage_read() {
        STAGE_READS.fetch_add(1, Ordering::SeqCst);
    }
}

/// Reads a stage's manifest (counted): the one way commands read it.
pub fn load_manifest(dir: &Path, stage: &str) -> Result<Manifest, HoverError> {
    counts::manifest_read();
    Ok(manifest::load(dir, stage)?)
}

/// The clients of a stage, from its manifest's profile and region (counted).
pub async fn build_clients(manifest: &Manifest) -> Result<Clients, HoverError> {
    counts::clients_built();
    let config = live::load_config(manifest.aws_profile.as_deref(), &manifest.region).await?;
    Ok(Clients::new(&config))
}

/// The warnings of `manifest`, as events.
pub fn manifest_warnings(manifest: &Manifest) -> Vec<Event> {
    manifest
        .warnings
        .iter()
        .map(|w| {
            Event::from(Warning::Manifest {
                message: crate::manifest::Warning(w.clone()).to_string(),
                problem: w.clone(),
            })
        })
        .collect()
}

/// What every command of one stage works on: built once per command.
#[derive(Clone, Debug)]
pub struct StageContext {
    /// Directory holding `.hover/`.
    pub dir: PathBuf,
    /// The stage as named on the command line (`.hover/<stage>.yml`).
    pub stage: String,
    pub manifest: Manifest,
    pub clients: Clients,
    account: OnceCell<String>,
    secrets_checked: OnceCell<()>,
}

impl StageContext {
    /// Reads the manifest and builds the clients; no AWS call is made.
    pub async fn open(dir: &Path, stage: &str) -> Result<Self, HoverError> {
        let manifest = load_manifest(dir, stage)?;
        let clients = build_clients(&manifest).await?;
        Ok(StageContext::new(dir, stage, manifest, clients))
    }

    /// A context from parts in hand (tests assemble it from mocked clients).
    pub fn new(dir: &Path, stage: &str, manifest: Manifest, clients: Clients) -> Self {
        StageContext {
            dir: dir.to_path_buf(),
            stage: stage.to_string(),
            manifest,
            clients,
            account: OnceCell::new(),
            secrets_checked: OnceCell::new(),
        }
    }

    /// The context knowing the account its credentials were already found to resolve to (asked
    /// by the caller, so it is not asked again); an account other than the one the manifest pins
    /// is not kept, and [`account`](Self::account) refuses it as usual.
    pub fn knowing_account(self, account: &str) -> Self {
        let pinned = self.manifest.account.as_deref();
        if pinned.is_none() || pinned == Some(account) {
            let _ = self.account.set(account.to_string());
        }
        self
    }

    /// The stage's name: its stack's, and the prefix of every AWS name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The AWS partition of the stage's region (`aws`, `aws-cn`, `aws-us-gov`...).
    pub fn partition(&self) -> crate::model::Partition {
        crate::model::Partition::of(&self.manifest.region)
    }

    /// The account the credentials resolve to, asked once; refused when the manifest pins another.
    pub async fn account(&self) -> Result<&str, HoverError> {
        let account = self
            .account
            .get_or_try_init(|| async {
                let account = live::caller_account(&self.clients).await?;
                match &self.manifest.account {
                    Some(expected) if expected != &account => Err(HoverError::WrongAccount {
                        stage: self.manifest.name.clone(),
                        expected: expected.clone(),
                        actual: account,
                    }),
                    _ => Ok(account),
                }
            })
            .await?;
        Ok(account)
    }

    /// The manifest's warnings, as events.
    pub fn warnings(&self) -> Vec<Event> {
        manifest_warnings(&self.manifest)
    }

    /// Checks, once per context, that the stage's encrypted secrets decrypt under its key.
    pub async fn check_secrets(&self) -> Result<(), HoverError> {
        self.secrets_checked
            .get_or_try_init(|| async {
                super::secret::check_decryptable(
                    &self.dir,
                    &self.stage,
                    &self.manifest,
                    &self.clients,
                )
                .await
            })
            .await?;
        Ok(())
    }

    /// Reads the stage and plans it, every function running `image_tag` (`None`: the image live
    /// now). Checks the account, CloudFormation's limits and the secrets before planning.
    pub async fn plan(self, image_tag: Option<String>) -> Result<PlannedStage, HoverError> {
        let (scheme, desired, observed) = read_stage(&self, image_tag.as_deref(), None).await?;
        self.check_secrets().await?;
        let plan = plan_of(&self, &desired, &observed)?;
        Ok(PlannedStage {
            ctx: self,
            image_tag,
            scheme,
            desired,
            observed,
            plan,
        })
    }

    /// The desired stage and the stage as read, without a plan (`hover observe`, `hover template`).
    pub async fn read(
        &self,
        image_tag: Option<&str>,
    ) -> Result<(DesiredStage, ObservedStage), HoverError> {
        let (_, desired, observed) = read_stage(self, image_tag, None).await?;
        Ok((desired, observed))
    }
}

/// Reads the stack and the stage's resources; builds the desired stage for the stack's id scheme
/// unless `kept` was built for that scheme already. The account's answer comes first, so an
/// account that is not the stage's is refused as such before anything else is read.
async fn read_stage(
    ctx: &StageContext,
    image_tag: Option<&str>,
    kept: Option<(Scheme, DesiredStage)>,
) -> Result<(Scheme, DesiredStage, ObservedStage), HoverError> {
    // The maintenance state too (one S3 GetObject): a stage that is down keeps its queue mappings
    // disabled whatever is applied.
    let (account, stack, maintenance) = futures::join!(
        ctx.account(),
        live::read_stack(&ctx.clients, ctx.name()),
        super::maintenance::read_state(&ctx.clients, ctx.name())
    );
    let account = account?.to_string();
    let stack = stack?;
    let maintenance = maintenance?;
    let scheme = crate::model::scheme_of(stack.as_ref());
    let mut desired = match kept {
        Some((built_for, d)) if built_for == scheme => d,
        _ => {
            let d = super::plan::desired_for(&ctx.manifest, stack.as_ref(), image_tag);
            // CloudFormation's limits, before the stage's resources are read or anything written.
            super::plan::check_limits(&ctx.manifest, &d)?;
            d
        }
    };
    let targets = live::targets::live_targets(&desired, stack.as_ref(), &account);
    counts::stage_read();
    let mut observed = live::read_resources(&ctx.clients, Some(account), stack, &targets).await?;
    observed.maintenance = maintenance;
    super::plan::settle_image(&ctx.manifest, &mut desired, &observed, image_tag)?;
    super::plan::settle_maintenance(&mut desired, &observed);
    Ok((scheme, desired, observed))
}

/// The plan of `desired` against `observed`, with the stage's profile and what of the environment
/// it ignores.
fn plan_of(
    ctx: &StageContext,
    desired: &DesiredStage,
    observed: &ObservedStage,
) -> Result<Plan, HoverError> {
    let mut plan = plan::plan(desired, observed)?;
    plan.profile = ctx.manifest.aws_profile.clone();
    plan.warnings.extend(live::environment_notes(
        ctx.manifest.aws_profile.as_deref(),
        &ctx.manifest.region,
    ));
    Ok(plan)
}

/// A stage context with the stage read and planned: everything `plan`, `apply` and `deploy` work on.
#[derive(Debug)]
pub struct PlannedStage {
    pub ctx: StageContext,
    /// The image asked for (`None`: the one live now, which `desired` runs).
    pub image_tag: Option<String>,
    /// The stack's id scheme, which `desired` was built for.
    pub scheme: Scheme,
    pub desired: DesiredStage,
    pub observed: ObservedStage,
    pub plan: Plan,
}

impl PlannedStage {
    /// A stage already read, planned (pure: tests plan recorded stages this way).
    pub fn from_observed(
        ctx: StageContext,
        observed: ObservedStage,
        image_tag: Option<String>,
    ) -> Result<Self, HoverError> {
        let (desired, _) =
            super::plan::plan_observed(&ctx.manifest, &observed, image_tag.as_deref())?;
        let plan = plan_of(&ctx, &desired, &observed)?;
        Ok(PlannedStage {
            ctx,
            image_tag,
            scheme: crate::model::scheme_of(observed.stack.as_ref()),
            desired,
            observed,
            plan,
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.ctx.manifest
    }

    pub fn clients(&self) -> &Clients {
        &self.ctx.clients
    }

    /// Reads again what is live (the stack and the resources; the account is known) and plans
    /// again; the desired stage is kept unless the stack now calls for the other id scheme.
    pub async fn refresh(&mut self) -> Result<(), HoverError> {
        let kept = (self.scheme, self.desired.clone());
        let (scheme, desired, observed) =
            read_stage(&self.ctx, self.image_tag.as_deref(), Some(kept)).await?;
        self.plan = plan_of(&self.ctx, &desired, &observed)?;
        self.scheme = scheme;
        self.desired = desired;
        self.observed = observed;
        Ok(())
    }
}
