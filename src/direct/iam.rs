//! Puts an IAM role's policies back from its desired properties (CloudFormation's shape):
//! inline policies (PutRolePolicy for each desired one, then DeleteRolePolicy for the others),
//! attached managed policies (AttachRolePolicy, then DetachRolePolicy, to match) and the trust
//! policy (UpdateAssumeRolePolicy). Documents are sent as JSON text. Additions go first, so the
//! role never lacks a permission it should keep.

use super::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use serde_json::{Map, Value};

const SERVICE: &str = "IAM";

/// A policy document as IAM takes it: JSON text (a string is sent as it is).
fn document_text(doc: &Value) -> String {
    match doc {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Makes the role's inline policies exactly the desired `Policies`.
pub(super) async fn put_back_policies(
    clients: &Clients,
    role: &str,
    desired: &Map<String, Value>,
) -> Result<(), DirectError> {
    let wanted: Vec<(&str, &Value)> = desired
        .get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("PolicyName")?.as_str()?,
                p.get("PolicyDocument").unwrap_or(&Value::Null),
            ))
        })
        .collect();
    for (name, doc) in &wanted {
        acquire("iam", "PutRolePolicy").await;
        clients
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(*name)
            .policy_document(document_text(doc))
            .send()
            .await
            .map_err(fail(SERVICE, "PutRolePolicy", role))?;
    }
    for name in inline_policy_names(clients, role).await? {
        if !wanted.iter().any(|(w, _)| *w == name) {
            acquire("iam", "DeleteRolePolicy").await;
            clients
                .iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(&name)
                .send()
                .await
                .map_err(fail(SERVICE, "DeleteRolePolicy", role))?;
        }
    }
    Ok(())
}

/// Makes the role's attached managed policies exactly the desired `ManagedPolicyArns`.
pub(super) async fn put_back_managed(
    clients: &Clients,
    role: &str,
    desired: &Map<String, Value>,
) -> Result<(), DirectError> {
    let wanted: Vec<&str> = desired
        .get("ManagedPolicyArns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let attached = attached_policy_arns(clients, role).await?;
    for arn in &wanted {
        if !attached.iter().any(|a| a == arn) {
            acquire("iam", "AttachRolePolicy").await;
            clients
                .iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(*arn)
                .send()
                .await
                .map_err(fail(SERVICE, "AttachRolePolicy", role))?;
        }
    }
    for arn in attached {
        if !wanted.contains(&arn.as_str()) {
            acquire("iam", "DetachRolePolicy").await;
            clients
                .iam
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(fail(SERVICE, "DetachRolePolicy", role))?;
        }
    }
    Ok(())
}

/// Sets the role's trust policy to the desired `AssumeRolePolicyDocument`.
pub(super) async fn put_back_trust(
    clients: &Clients,
    role: &str,
    desired: &Map<String, Value>,
) -> Result<(), DirectError> {
    let doc = desired
        .get("AssumeRolePolicyDocument")
        .unwrap_or(&Value::Null);
    acquire("iam", "UpdateAssumeRolePolicy").await;
    clients
        .iam
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(document_text(doc))
        .send()
        .await
        .map_err(fail(SERVICE, "UpdateAssumeRolePolicy", role))?;
    Ok(())
}

/// Names of the role's inline policies (all pages).
async fn inline_policy_names(clients: &Clients, role: &str) -> Result<Vec<String>, DirectError> {
    let mut pages = clients
        .iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let mut names = Vec::new();
    while let Some(page) = {
        acquire("iam", "ListRolePolicies").await;
        pages.next().await
    } {
        let page = page.map_err(fail(SERVICE, "ListRolePolicies", role))?;
        names.extend(page.policy_names().iter().cloned());
    }
    Ok(names)
}

/// ARNs of the managed policies attached to the role (all pages).
async fn attached_policy_arns(clients: &Clients, role: &str) -> Result<Vec<String>, DirectError> {
    let mut pages = clients
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = {
        acquire("iam", "ListAttachedRolePolicies").await;
        pages.next().await
    } {
        let page = page.map_err(fail(SERVICE, "ListAttachedRolePolicies", role))?;
        let attached = page.attached_policies().iter();
        arns.extend(attached.filter_map(|p| p.policy_arn()).map(str::to_owned));
    }
    Ok(arns)
}
