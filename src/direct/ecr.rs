//! ECR through its own API: the image check and the stage's repository, made before the stack.

use super::{fail, text, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_ecr::types::{ImageIdentifier, ImageTagMutability};
use serde_json::{Map, Value};

/// Whether `repository:tag` exists. A missing repository means no.
pub async fn image_exists(
    clients: &Clients,
    repository: &str,
    tag: &str,
) -> Result<bool, DirectError> {
    let resource = format!("{repository}:{tag}");
    acquire("ecr", "DescribeImages").await;
    match clients
        .ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
    {
        Ok(out) => Ok(!out.image_details().is_empty()),
        Err(e) => {
            let not_found = e.as_service_error().is_some_and(|s| {
                s.is_image_not_found_exception() || s.is_repository_not_found_exception()
            });
            if not_found {
                Ok(false)
            } else {
                Err(fail("ECR", "DescribeImages", &resource)(e))
            }
        }
    }
}

/// Creates the repository `name`, or sets its tag mutability when it `exists`.
pub(super) async fn ensure_repository(
    clients: &Clients,
    name: &str,
    props: &Map<String, Value>,
    exists: bool,
) -> Result<(), DirectError> {
    let mutability =
        ImageTagMutability::from(text(props, "ImageTagMutability").unwrap_or("MUTABLE"));
    if exists {
        acquire("ecr", "PutImageTagMutability").await;
        clients
            .ecr
            .put_image_tag_mutability()
            .repository_name(name)
            .image_tag_mutability(mutability)
            .send()
            .await
            .map_err(fail("ECR", "PutImageTagMutability", name))?;
    } else {
        acquire("ecr", "CreateRepository").await;
        clients
            .ecr
            .create_repository()
            .repository_name(name)
            .image_tag_mutability(mutability)
            .send()
            .await
            .map_err(fail("ECR", "CreateRepository", name))?;
    }
    Ok(())
}
