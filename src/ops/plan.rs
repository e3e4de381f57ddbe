//! `hover plan`: read the manifest, read the stage from AWS, and compute the plan.

use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest::{self, Manifest};
use crate::model::{DesiredStage, ObservedStage, StackState};
use crate::plan::{self, Plan};
use crate::stage;
use std::path::PathBuf;

/// Settings of one planning run.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Directory holding `.hover/`.
    pub dir: PathBuf,
    pub stage: String,
    /// Image tag to deploy; `None` keeps the tag live now.
    pub image_tag: Option<String>,
}

/// Everything a planning run produced, for rendering and for apply.
pub struct PlannedStage {
    pub manifest: Manifest,
    pub clients: Clients,
    pub desired: DesiredStage,
    pub observed: ObservedStage,
    pub plan: Plan,
}

/// Loads the manifest (failing before any AWS call when it is bad), checks the account, reads the
/// stage, checks that the stage's encrypted secrets decrypt under its key, and plans it.
pub async fn compute_plan(opts: &PlanOptions) -> Result<PlannedStage, HoverError> {
    let manifest = manifest::load(&opts.dir, &opts.stage)?;
    // CloudFormation's limits, from the manifest alone: before any AWS call.
    check_limits(
        &manifest,
        &desired_for(
            &manifest,
            None,
            Some(opts.image_tag.as_deref().unwrap_or("unknown")),
        ),
    )?;
    let clients = stage_clients(&manifest).await?;
    let (desired, observed) = read(&manifest, &clients, opts.image_tag.as_deref()).await?;
    // Secrets that the stage's key cannot decrypt stop every command that plans, before a change.
    crate::ops::secret::check_decryptable(&opts.dir, &opts.stage, &manifest, &clients).await?;
    let mut plan = plan::plan(&desired, &observed)?;
    plan.profile = manifest.aws_profile.clone();
    plan.warnings.extend(live::environment_notes(
        manifest.aws_profile.as_deref(),
        &manifest.region,
    ));
    Ok(PlannedStage {
        manifest,
        clients,
        desired,
        observed,
        plan,
    })
}

/// Refuses a stage whose stack would go over CloudFormation's limits (resources, outputs, template
/// size), located in the stage file, before anything is written: CloudFormation would refuse it at
/// CreateChangeSet, after the pre-stack resources were made.
pub fn check_limits(manifest: &Manifest, desired: &DesiredStage) -> Result<(), HoverError> {
    let over = crate::template::limits(desired);
    if over.is_empty() {
        return Ok(());
    }
    let workers = manifest.queue.len();
    let message = over
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let help = format!(
        "the stack grows with the workers (`queue`: {workers} now, each its function, queues, dead-letter queues and event source mappings) and the domains; split the workers across stages or merge workers that can share a function"
    );
    let key = if workers > 0 { "queue" } else { "http" };
    Err(manifest::problem_at_key(&manifest.file, key, &message, &help).into())
}

/// The clients of a stage, from its manifest's profile and region.
pub async fn stage_clients(manifest: &Manifest) -> Result<Clients, HoverError> {
    let config = live::load_config(manifest.aws_profile.as_deref(), &manifest.region).await?;
    Ok(Clients::new(&config))
}

/// The account the credentials resolve to, refused when the manifest pins another one.
pub async fn check_account(manifest: &Manifest, clients: &Clients) -> Result<String, HoverError> {
    let account = live::caller_account(clients).await?;
    if let Some(expected) = &manifest.account {
        if expected != &account {
            return Err(HoverError::WrongAccount {
                stage: manifest.name.clone(),
                expected: expected.clone(),
                actual: account,
            });
        }
    }
    Ok(account)
}

/// Reads the stage and builds the desired stage with the image tag to use.
pub async fn read(
    manifest: &Manifest,
    clients: &Clients,
    image_tag: Option<&str>,
) -> Result<(DesiredStage, ObservedStage), HoverError> {
    // Who we are and what the stack holds, at the same time; the account's answer comes first, so
    // an account that is not the stage's is refused as such before anything else is read.
    // The maintenance state too (one S3 GetObject): a stage that is down keeps its queue mappings
    // disabled whatever is applied.
    let (account, stack, maintenance) = futures::join!(
        check_account(manifest, clients),
        live::read_stack(clients, &manifest.name),
        crate::ops::maintenance::read_state(clients, &manifest.name)
    );
    let account = account?;
    let stack = stack?;
    let maintenance = maintenance?;
    // Built once: the targets do not depend on the image, which is set once the stage has told
    // which one it runs.
    let mut desired = desired_for(manifest, stack.as_ref(), image_tag);
    let targets = live::targets::live_targets(&desired, stack.as_ref(), &account);
    let mut observed = live::read_resources(clients, Some(account), stack, &targets).await?;
    observed.maintenance = maintenance;
    settle_image(manifest, &mut desired, &observed, image_tag)?;
    settle_maintenance(&mut desired, &observed);
    Ok((desired, observed))
}

/// The desired stage for the stack as it stands: a stack the original Hover deployed keeps its
/// logical ids (see `stage::ids`); every function runs `image_tag`, or, when none is asked for,
/// the image [`settle_image`] finds live once the stage is read.
pub fn desired_for(
    manifest: &Manifest,
    stack: Option<&StackState>,
    image_tag: Option<&str>,
) -> DesiredStage {
    stage::desired_with(
        manifest,
        image_tag.unwrap_or(""),
        crate::model::scheme_of(stack),
    )
}

/// With no image asked for, the stage keeps the one its HTTP function runs now; a stage that runs
/// none is refused, naming its repository.
pub fn settle_image(
    manifest: &Manifest,
    desired: &mut DesiredStage,
    observed: &ObservedStage,
    image_tag: Option<&str>,
) -> Result<(), HoverError> {
    if image_tag.is_none() {
        let tag = live_image_tag(observed).ok_or_else(|| HoverError::NoImage {
            stage: manifest.name.clone(),
            repository: manifest.name.clone(),
        })?;
        stage::set_image_tag(desired, &tag);
    }
    Ok(())
}

/// What `hover plan` decides for a stage already read: the desired stage for its stack and image,
/// and the plan. Pure; [`compute_plan`] is this over a live read.
pub fn plan_observed(
    manifest: &Manifest,
    observed: &ObservedStage,
    image_tag: Option<&str>,
) -> Result<(DesiredStage, Plan), HoverError> {
    let mut desired = desired_for(manifest, observed.stack.as_ref(), image_tag);
    settle_image(manifest, &mut desired, observed, image_tag)?;
    settle_maintenance(&mut desired, observed);
    let plan = plan::plan(&desired, observed)?;
    Ok((desired, plan))
}

/// A stage that is down for maintenance (`hover down`) keeps its queue mappings disabled,
/// whatever is applied, until `hover up`.
pub fn settle_maintenance(desired: &mut DesiredStage, observed: &ObservedStage) {
    if observed.maintenance.is_some() {
        stage::set_mappings_enabled(desired, false);
    }
}

/// The tag the stage's HTTP function runs now, if any (under either scheme's logical id).
pub fn live_image_tag(observed: &ObservedStage) -> Option<String> {
    let http = stage::ids::Part::Http;
    let uri = [stage::Scheme::Hover, stage::Scheme::Original]
        .iter()
        .find_map(|s| observed.resources.get(&s.function(http)))?
        .properties
        .get("Code")?
        .get("ImageUri")?
        .as_str()?;
    let (_, tag) = uri.rsplit_once(':')?;
    (!tag.is_empty() && !tag.contains('/')).then(|| tag.to_string())
}
