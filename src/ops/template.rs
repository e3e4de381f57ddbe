//! `hover template`: the stage's CloudFormation template, built in memory.

use crate::error::HoverError;
use crate::events::Event;
use crate::ops::context::{self, StageContext};
use crate::template;
use serde_json::Value;
use std::path::Path;

/// The template for `stage` and the manifest's warnings: with `image_tag` only the manifest is
/// read (no client, no AWS call); without it the stage is read for the tag live now.
pub async fn stage_template(
    dir: &Path,
    stage: &str,
    image_tag: Option<&str>,
) -> Result<(Value, Vec<Event>), HoverError> {
    let (desired, warnings) = match image_tag {
        Some(tag) => {
            let manifest = context::load_manifest(dir, stage)?;
            let warnings = context::manifest_warnings(&manifest);
            (crate::stage::desired(&manifest, tag), warnings)
        }
        None => {
            let ctx = StageContext::open(dir, stage).await?;
            (ctx.read(None).await?.0, ctx.warnings())
        }
    };
    Ok((template::build(&desired), warnings))
}
