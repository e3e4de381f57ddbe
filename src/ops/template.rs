//! `hover template`: the stage's CloudFormation template, built in memory.

use crate::error::HoverError;
use crate::manifest;
use crate::template;
use serde_json::Value;
use std::path::Path;

/// The template for `stage`: with `image_tag` no AWS call is made; without it the tag live now is
/// read from AWS.
pub async fn stage_template(
    dir: &Path,
    stage: &str,
    image_tag: Option<&str>,
) -> Result<Value, HoverError> {
    let manifest = manifest::load(dir, stage)?;
    let desired = match image_tag {
        Some(tag) => crate::stage::desired(&manifest, tag),
        None => {
            let clients = super::plan::stage_clients(&manifest).await?;
            super::plan::read(&manifest, &clients, None).await?.0
        }
    };
    Ok(template::build(&desired))
}
