//! Saved plans (`hover plan -out FILE`): what `hover apply FILE` needs to apply exactly that plan,
//! and to refuse it once stale. Holds no secret value: the plan is masked and the manifest is
//! referenced by path and digest, not copied.

use crate::error::HoverError;
use crate::ops::context::PlannedStage;
use crate::plan::Plan;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Marks a saved-plan file and its version.
pub const FORMAT: &str = "hover-saved-plan/4";

/// A saved plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    /// Directory holding `.hover/` (absolute).
    pub dir: PathBuf,
    pub stage: String,
    pub image_tag: String,
    /// SHA-256 of what the manifest asks for as it was read when the plan was made (see
    /// [`manifest_digest`]), secret values masked: a digest that cannot be used to test guesses of
    /// a secret.
    pub manifest_digest: String,
    /// The plan itself (masked).
    pub plan: Plan,
}

/// Digest of what the stage's manifest asks for, as the plan in hand read it: the template of its
/// desired stage with secret values masked (everything the stack gets), and the stage's name,
/// region, profile and pinned account, as canonical JSON.
fn manifest_digest(planned: &PlannedStage) -> String {
    let manifest = planned.manifest();
    let template = crate::template::masked(&crate::template::build(&planned.desired));
    let doc = serde_json::json!({
        "name": manifest.name,
        "region": manifest.region,
        "aws_profile": manifest.aws_profile,
        "account": manifest.account,
        "template": template,
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

/// Writes the plan of `planned` to `file`.
pub fn save(file: &Path, planned: &PlannedStage) -> Result<(), HoverError> {
    let saved = SavedPlan {
        format: FORMAT.into(),
        manifest_digest: manifest_digest(planned),
        dir: std::fs::canonicalize(&planned.ctx.dir)?,
        stage: planned.ctx.stage.clone(),
        image_tag: planned.desired.image_tag.clone(),
        plan: planned.plan.clone(),
    };
    let text =
        serde_json::to_string_pretty(&saved).map_err(|e| HoverError::Usage(e.to_string()))?;
    std::fs::write(file, text + "\n")?;
    Ok(())
}

/// Reads a saved plan.
pub fn load(file: &Path) -> Result<SavedPlan, HoverError> {
    let bytes = crate::files::read_bounded(file, crate::files::SAVED_PLAN_MAX, "a saved plan")?
        .ok_or_else(|| HoverError::Usage(format!("{} does not exist", file.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        HoverError::Usage(format!("{} is not a saved hover plan: {e}", file.display()))
    })?;
    if saved.format != FORMAT {
        return Err(HoverError::Usage(format!(
            "{} is a saved plan of another format ({}); make it again with `hover plan {} -out FILE`",
            file.display(),
            saved.format,
            saved.stage
        )));
    }
    Ok(saved)
}

/// Refuses a saved plan when the manifest or the stage changed since it was made.
pub fn check_fresh(saved: &SavedPlan, now: &PlannedStage) -> Result<(), HoverError> {
    if manifest_digest(now) != saved.manifest_digest {
        return Err(HoverError::StalePlan(format!(
            "the manifest .hover/{}.yml changed after the plan was made",
            saved.stage
        )));
    }
    if now.plan.observed_digest != saved.plan.observed_digest || now.plan != saved.plan {
        return Err(HoverError::StalePlan(format!(
            "the stage {} changed (in AWS or by another apply) after the plan was made",
            saved.plan.stage
        )));
    }
    Ok(())
}
