//! IAM reader: a role by name, with its trust policy, inline policies and attached managed
//! policies, documents decoded from IAM's URL-encoded JSON.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource, sorted_strings_or_null};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use serde_json::{json, Value};

const SERVICE: &str = "iam";

/// `AWS::IAM::Role` by name: GetRole (NoSuchEntity: absent) for the trust policy,
/// ListRolePolicies (all pages) and GetRolePolicy for each inline policy (sorted by name, `null`
/// when none), ListAttachedRolePolicies (all pages) for the managed policy ARNs (sorted, `null`
/// when none; the two listings at the same time). A role deleted while it is read is absent.
pub async fn read_role(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let iam = &ctx.clients.iam;
    acquire(SERVICE, "GetRole").await;
    let out = match iam.get_role().role_name(name).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetRole", name, e)),
    };
    let Some(role) = out.role() else {
        return Err(LiveError::Incomplete {
            service: SERVICE,
            operation: "GetRole",
            resource: name.to_owned(),
            missing: "the role",
        });
    };
    let trust = role
        .assume_role_policy_document()
        .map_or(Value::Null, policy_document);

    // The two listings are independent: read them at the same time.
    let (names, managed) = futures::try_join!(
        inline_policy_names(ctx, name),
        attached_policy_arns(ctx, name)
    )?;
    let (Some(names), Some(managed)) = (names, managed) else {
        return Ok(None);
    };
    let properties = object([
        ("AssumeRolePolicyDocument", trust),
        ("Policies", inline_policies(ctx, name, names).await?),
        ("ManagedPolicyArns", sorted_strings_or_null(managed)),
    ]);
    let role_name = if role.role_name().is_empty() {
        name
    } else {
        role.role_name()
    };
    Ok(Some(resource(
        ResourceKind::Role,
        role_name,
        [
            ("Ref", role_name),
            ("Arn", role.arn()),
            ("RoleId", role.role_id()),
        ],
        properties,
    )))
}

/// The inline policies `names` of the role `role` (GetRolePolicy each) in CloudFormation's
/// `Policies` shape, sorted by name; `null` when there are none. A policy deleted since it was
/// listed is left out.
async fn inline_policies(
    ctx: &ReadContext<'_>,
    role: &str,
    names: Vec<String>,
) -> Result<Value, LiveError> {
    let mut policies = Vec::with_capacity(names.len());
    for policy in names {
        acquire(SERVICE, "GetRolePolicy").await;
        let request = ctx.clients.iam.get_role_policy();
        match request.role_name(role).policy_name(&policy).send().await {
            Ok(out) => policies.push((policy, policy_document(out.policy_document()))),
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                let label = format!("{role} policy {policy}");
                return Err(aws_error(SERVICE, "GetRolePolicy", label, e));
            }
        }
    }
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    policies.dedup_by(|a, b| a.0 == b.0);
    if policies.is_empty() {
        return Ok(Value::Null);
    }
    Ok(Value::Array(
        policies
            .into_iter()
            .map(|(n, doc)| json!({"PolicyName": n, "PolicyDocument": doc}))
            .collect(),
    ))
}

/// Names of the role's inline policies (all pages); `None` when the role is gone.
async fn inline_policy_names(
    ctx: &ReadContext<'_>,
    role: &str,
) -> Result<Option<Vec<String>>, LiveError> {
    all_pages("ListRolePolicies", role, |marker| async move {
        acquire(SERVICE, "ListRolePolicies").await;
        let out = ctx
            .clients
            .iam
            .list_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await?;
        let page = Page {
            items: out.policy_names().to_vec(),
            truncated: out.is_truncated(),
            marker: out.marker().map(str::to_owned),
        };
        Ok(page)
    })
    .await
}

/// ARNs of the managed policies attached to the role (all pages); `None` when the role is gone.
async fn attached_policy_arns(
    ctx: &ReadContext<'_>,
    role: &str,
) -> Result<Option<Vec<String>>, LiveError> {
    all_pages("ListAttachedRolePolicies", role, |marker| async move {
        acquire(SERVICE, "ListAttachedRolePolicies").await;
        let out = ctx
            .clients
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .set_marker(marker)
            .send()
            .await?;
        let page = Page {
            items: out
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
                .map(str::to_owned)
                .collect(),
            truncated: out.is_truncated(),
            marker: out.marker().map(str::to_owned),
        };
        Ok(page)
    })
    .await
}

/// One page of an IAM listing.
struct Page {
    items: Vec<String>,
    truncated: bool,
    marker: Option<String>,
}

/// Every page of the IAM listing `operation` of `role` (each `page` call waits for its token);
/// `None` when the role is gone.
async fn all_pages<E, F, Fut>(
    operation: &'static str,
    role: &str,
    mut page: F,
) -> Result<Option<Vec<String>>, LiveError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Page, SdkError<E, HttpResponse>>>,
{
    let mut items = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = match page(marker.clone()).await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error(SERVICE, operation, role, e)),
        };
        items.extend(out.items);
        match next_marker(out.truncated, out.marker.as_deref(), marker.as_deref()) {
            Some(next) => marker = Some(next),
            None => return Ok(Some(items)),
        }
    }
}

/// The marker of the next page of an IAM listing: none when the answer is not truncated, has no
/// marker, or repeats the one just used.
fn next_marker(truncated: bool, next: Option<&str>, used: Option<&str>) -> Option<String> {
    next.filter(|n| truncated && !n.is_empty() && Some(*n) != used)
        .map(str::to_owned)
}

/// A policy document as IAM answers it (URL-encoded JSON), as JSON. Leniently: JSON that is not
/// encoded is taken as it is, and text that is JSON neither way stays a string.
pub(crate) fn policy_document(text: &str) -> Value {
    let text = text.trim();
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return value;
    }
    let decoded = percent_decode(text);
    serde_json::from_str::<Value>(decoded.trim()).unwrap_or(Value::String(decoded))
}

/// `%XX` sequences decoded (as UTF-8); anything else, malformed escapes included, kept as is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_from_url_encoded_json() {
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22kms%3ADecrypt%22%2C%20%22Resource%22%3A%20%22%2A%22%2C%20%22Condition%22%3A%20%7B%22StringEquals%22%3A%20%7B%22aws%3APrincipalTag%2Fteam%22%3A%20%22caf%C3%A9%2050%25%22%7D%7D%7D%5D%7D";
        assert_eq!(
            policy_document(encoded),
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "café 50%"}}
            }]})
        );
    }

    #[test]
    fn plain_json_and_other_text_are_taken_leniently() {
        assert_eq!(
            policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Sid": "50%20off"}]}"#),
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "50%20off"}]})
        );
        assert_eq!(policy_document("not %zz json %"), json!("not %zz json %"));
        assert_eq!(policy_document("%7B%22a%22%3A1%7D"), json!({"a": 1}));
    }
}
