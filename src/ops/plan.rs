//! `hover plan`: the stage context read and planned (see `ops::context`), and the pure steps of
//! planning: CloudFormation's limits, the desired stage for the stack's id scheme, the image a
//! stage keeps when none is asked for.

use crate::error::HoverError;
use crate::manifest::{self, Manifest};
use crate::model::{DesiredStage, ObservedStage, StackState};
use crate::plan::{self, Plan};
use crate::stage;
use std::path::PathBuf;

pub use super::context::{PlannedStage, StageContext};

/// Settings of one planning run.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Directory holding `.hover/`.
    pub dir: PathBuf,
    pub stage: String,
    /// Image tag to deploy; `None` keeps the tag live now.
    pub image_tag: Option<String>,
}

/// Opens the stage's context (failing before any AWS call when the manifest is bad), checks the
/// account, reads the stage, checks that its encrypted secrets decrypt under its key, and plans it.
pub async fn compute_plan(opts: &PlanOptions) -> Result<PlannedStage, HoverError> {
    StageContext::open(&opts.dir, &opts.stage)
        .await?
        .plan(opts.image_tag.clone())
        .await
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
