//! `auth` and `vpc`: the roles the stage runs as (checked against the stage's account) and the
//! subnets and security groups its functions join.

use super::check::{Checker, Finding};
use super::document::is_account;
use super::yaml::{Kind, Node};
use super::{Auth, Vpc};
use crate::model::Partition;

const AUTH_KEYS: &[&str] = &["stack-role", "lambda-role"];
const VPC_KEYS: &[&str] = &["subnets", "security-groups"];

/// Account id of an IAM role ARN of `partition`, or why it is not one.
fn role_account(arn: &str, partition: Partition) -> Result<&str, String> {
    let prefix = format!("{}iam::", partition.arn_prefix());
    let rest = arn
        .strip_prefix(&prefix)
        .ok_or_else(|| match arn.split(':').nth(1) {
            Some(other) if arn.starts_with("arn:") && other != partition.id() => {
                format!("the ARN is in partition `{other}`, the stage's region is in `{partition}`")
            }
            _ => "not an IAM role ARN".to_string(),
        })?;
    let (account, resource) = rest.split_once(':').ok_or("not an IAM role ARN")?;
    if !is_account(account) {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    let role = resource
        .strip_prefix("role/")
        .ok_or("not a role ARN (the resource must be `role/<name>`)")?;
    let name = role.rsplit('/').next().unwrap_or("");
    if name.is_empty()
        || !role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    {
        return Err("the role name may only hold letters, digits and `+=,.@_-`".into());
    }
    if name.len() > 64 {
        return Err(format!(
            "the role name has {} characters, IAM allows 64",
            name.len()
        ));
    }
    Ok(account)
}

impl Checker<'_> {
    fn role(&mut self, node: &Node, path: &str, account: Option<&str>) -> Option<String> {
        let arn = self.text_value(node, path)?;
        match role_account(&arn, self.partition) {
            Ok(owner) => self
                .in_account(node, path, "role", owner, account)
                .then_some(arn),
            Err(why) => {
                let help = format!(
                    "expected `{}iam::<12-digit account>:role/<name>`",
                    self.partition.arn_prefix()
                );
                self.bad_arn(node, path, &arn, &why, &help);
                None
            }
        }
    }

    /// Whether a `what` of account `owner` may serve the stage's `account`; reported when not.
    pub(super) fn in_account(
        &mut self,
        node: &Node,
        path: &str,
        what: &str,
        owner: &str,
        account: Option<&str>,
    ) -> bool {
        let Some(account) = account.filter(|a| *a != owner) else {
            return true;
        };
        self.report(
            node,
            path,
            &format!(
                "the {what} belongs to account {owner}, but the stage's `account` is {account}"
            ),
            None,
        );
        false
    }

    /// Reports `arn` as not the ARN expected, saying why.
    pub(super) fn bad_arn(&mut self, node: &Node, path: &str, arn: &str, why: &str, help: &str) {
        self.report(node, path, &format!("`{arn}`: {why}"), Some(help.into()));
    }

    pub(super) fn auth(&mut self, node: &Node, account: Option<&str>) -> Auth {
        let f = self.fields(node, "auth", AUTH_KEYS);
        Auth {
            stack_role: f
                .value("stack-role")
                .and_then(|v| self.role(v, "auth.stack-role", account)),
            lambda_role: f
                .value("lambda-role")
                .and_then(|v| self.role(v, "auth.lambda-role", account)),
        }
    }

    /// A list of AWS resource ids with `prefix` (`subnet-`, `sg-`), non-empty, at most `max`.
    fn ids(
        &mut self,
        key: &Node,
        node: Option<&Node>,
        path: &str,
        prefix: &str,
        max: usize,
    ) -> Vec<String> {
        let Some(node) = node else {
            self.report(
                key,
                path,
                &format!(
                    "missing `{}`: a VPC configuration needs both subnets and security groups",
                    path.rsplit('.').next().unwrap_or(path)
                ),
                Some("add both lists, or remove `vpc` to run outside a VPC".into()),
            );
            return Vec::new();
        };
        let items = self.strings(node, path);
        if items.is_empty() && !self.problems.iter().any(|p| p.path() == path) {
            self.report(
                node,
                path,
                "must not be empty: a VPC configuration needs both subnets and security groups",
                Some("add at least one id, or remove `vpc` to run outside a VPC".into()),
            );
        }
        if items.len() > max {
            self.report(
                node,
                path,
                &format!("{} ids listed, Lambda allows at most {max}", items.len()),
                None,
            );
        }
        self.distinct(items, "", |id| {
            let hex = id.strip_prefix(prefix).unwrap_or("");
            let valid = (hex.len() == 8 || hex.len() == 17)
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
            (!valid).then(|| {
                Finding::new(
                    format!("`{id}` is not a {prefix}… id"),
                    Some(format!("expected `{prefix}` and 8 or 17 hex digits, e.g. `{prefix}0123456789abcdef0`")),
                )
            })
        })
    }

    pub(super) fn vpc(&mut self, key: &Node, node: &Node) -> Option<Vpc> {
        if matches!(node.kind, Kind::Null) {
            return None;
        }
        let f = self.fields(node, "vpc", VPC_KEYS);
        if !matches!(node.kind, Kind::Map(_)) {
            return None;
        }
        // Both lists empty: no VPC, as the original Hover read it (it always wrote a VpcConfig).
        let empty = |n: Option<&Node>| {
            n.is_some_and(|v| match &v.kind {
                Kind::Seq(items) => items.is_empty(),
                Kind::Null => true,
                _ => false,
            })
        };
        if empty(f.value("subnets")) && empty(f.value("security-groups")) {
            return None;
        }
        let subnets = self.ids(key, f.value("subnets"), "vpc.subnets", "subnet-", 16);
        let security_groups = self.ids(
            key,
            f.value("security-groups"),
            "vpc.security-groups",
            "sg-",
            5,
        );
        Some(Vpc {
            subnets,
            security_groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{minimal, ok, problems, CERT};
    use pretty_assertions::assert_eq;

    #[test]
    fn arns_are_checked_in_the_partition_of_the_stages_region() {
        let role = |region: &str, arn: &str| {
            problems(&format!(
                "name: shop\nregion: {region}\nauth:\n  lambda-role: {arn}\n"
            ))
        };
        let gov = "arn:aws-us-gov:iam::123456789012:role/app";
        assert_eq!(role("us-gov-west-1", gov), Vec::<String>::new());
        let p = role("us-east-1", gov);
        assert!(p[0].contains("partition `aws-us-gov`"), "{p:?}");
        let p = role("cn-north-1", "arn:aws:iam::123456789012:role/app");
        assert!(p[0].contains("partition `aws`"), "{p:?}");
        assert!(p[0].contains("arn:aws-cn:iam::"), "{p:?}");
        // No custom domain outside the commercial partition: no CloudFront (GovCloud), no ACM
        // certificate on it (China).
        for region in ["us-gov-west-1", "cn-north-1"] {
            let p = problems(&format!(
                "name: shop\nregion: {region}\nhttp:\n  domains: [a.com]\n  certificate: {CERT}\n"
            ));
            assert_eq!(p.len(), 2, "{p:?}");
            assert!(p[0].contains("cannot be served in aws-"), "{p:?}");
        }
        let m = ok("name: shop\nregion: us-gov-west-1\n");
        assert!(m.warnings[0]
            .to_string()
            .contains("CloudFront is not offered"));
        let m = ok("name: shop\nregion: cn-north-1\n");
        assert!(m.warnings[0].to_string().contains("ICP"));
        assert!(ok("name: shop\nregion: eu-west-1\n").warnings.is_empty());
    }

    #[test]
    fn empty_vpc_lists_mean_no_vpc_as_in_the_original() {
        let m = minimal("vpc:\n  subnets: []\n  security-groups: []\n");
        assert_eq!(m.vpc, None);
        let p = problems("name: shop\nregion: us-east-1\nvpc:\n  subnets: []\n  security-groups: [sg-0123456789abcdef0]\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("vpc.subnets: must not be empty"), "{}", p[0]);
    }
}
