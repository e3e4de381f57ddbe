//! `http.domains` and `http.certificate`: the CloudFront aliases (a list, or the original's
//! comma-separated string, located item by item) and the us-east-1 ACM certificate covering them.

use super::check::{Checker, Fields, Finding, Located};
use super::document::is_account;
use super::yaml::{Kind, Node, Span};
use crate::model::Partition;

/// The custom domains of the HTTP function and their certificate.
pub(super) struct Cdn {
    pub(super) domains: Vec<String>,
    pub(super) certificate: Option<String>,
}

/// The ARN of a certificate: the parts hover checks.
struct CertificateArn<'a> {
    region: &'a str,
    account: &'a str,
}

/// The region and account of an ACM certificate ARN, or why it is not one.
fn certificate_parts(arn: &str) -> Result<CertificateArn<'_>, String> {
    let rest = arn
        .strip_prefix("arn:aws:acm:")
        .ok_or("not an ACM certificate ARN")?;
    let mut parts = rest.splitn(3, ':');
    let region = parts.next().unwrap_or("");
    let account = parts.next().unwrap_or("");
    let resource = parts.next().unwrap_or("");
    if region.is_empty() {
        return Err("the ARN has no region".into());
    }
    if !is_account(account) {
        return Err(format!("`{account}` is not a 12-digit account id"));
    }
    let id = resource
        .strip_prefix("certificate/")
        .ok_or("not a certificate ARN (the resource must be `certificate/<id>`)")?;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("`{id}` is not a certificate id"));
    }
    Ok(CertificateArn { region, account })
}

/// Why `domain` is not a DNS name CloudFront accepts as an alias, if it is not.
fn domain_problem(domain: &str) -> Option<Finding> {
    if domain.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(Finding::new(
            format!("domain `{domain}` has uppercase letters"),
            Some(format!(
                "write it in lowercase: `{}`",
                domain.to_ascii_lowercase()
            )),
        ));
    }
    if domain.len() > 253 {
        return Some(Finding::new(
            format!("domain has {} characters, DNS allows 253", domain.len()),
            None,
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some(Finding::new(
            format!("`{domain}` is not a fully qualified domain name"),
            Some("write the full name, e.g. `app.example.com`".into()),
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        if i == 0 && *label == "*" {
            continue;
        }
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Some(Finding::new(
                format!("`{domain}` is not a valid domain name (label `{label}`)"),
                Some(
                    "labels are 1–63 lowercase letters, digits or `-`, not starting or ending with `-`; only the first may be `*`"
                        .into(),
                ),
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(Finding::new(
            format!("`{domain}` is not a domain name"),
            None,
        ));
    }
    None
}

impl Checker<'_> {
    /// `http.domains` and `http.certificate`, each needing the other.
    pub(super) fn cdn(&mut self, f: &Fields<'_>, account: Option<&str>) -> Cdn {
        if self.partition != Partition::Aws {
            self.no_custom_domains(f);
            return Cdn {
                domains: Vec::new(),
                certificate: None,
            };
        }
        let domains = f
            .value("domains")
            .map(|v| self.domains(v))
            .unwrap_or_default();
        let given = f
            .get("certificate")
            .filter(|e| !matches!(e.value.kind, Kind::Null));
        let certificate = given.and_then(|e| self.certificate(e.value, account));
        if let (Some(e), false, None) = (f.get("domains"), domains.is_empty(), given) {
            self.report(
                e.key,
                "http.domains",
                "custom domains need a certificate: `http.certificate` is missing",
                Some(
                    "add `certificate: arn:aws:acm:us-east-1:<account>:certificate/<id>` covering these domains"
                        .into(),
                ),
            );
        }
        let domain_problems = self
            .problems
            .iter()
            .any(|p| p.path().starts_with("http.domains"));
        if let (Some(e), true, false) = (given, domains.is_empty(), domain_problems) {
            self.report(
                e.key,
                "http.certificate",
                "a certificate without `http.domains` is never used",
                Some("add the domains it covers under `http.domains`, or remove it".into()),
            );
        }
        Cdn {
            domains,
            certificate,
        }
    }

    /// Outside the commercial partition hover serves no custom domain: GovCloud has no
    /// CloudFront, and CloudFront in China takes no ACM certificate.
    fn no_custom_domains(&mut self, f: &Fields<'_>) {
        let why = match self.partition {
            Partition::China => "CloudFront in China does not take ACM certificates, and hover manages no other kind",
            _ => "CloudFront is not offered in this partition: the stage has no CDN",
        };
        for key in ["domains", "certificate"] {
            if let Some(e) = f.get(key).filter(|e| !matches!(e.value.kind, Kind::Null)) {
                let path = format!("http.{key}");
                let message = format!("`{path}` cannot be served in {}: {why}", self.partition);
                self.report(e.key, &path, &message, Some(format!("remove `{path}`")));
            }
        }
    }

    fn certificate(&mut self, node: &Node, account: Option<&str>) -> Option<String> {
        let path = "http.certificate";
        let arn = self.text_value(node, path)?;
        match certificate_parts(&arn) {
            Ok(CertificateArn {
                region: "us-east-1",
                account: owner,
            }) => self
                .in_account(node, path, "certificate", owner, account)
                .then_some(arn),
            Ok(CertificateArn { region, .. }) => {
                self.report(
                    node,
                    path,
                    &format!("the certificate is in {region}, but CloudFront only accepts ACM certificates from us-east-1"),
                    Some("request or import the certificate in us-east-1".into()),
                );
                None
            }
            Err(why) => {
                let help = "expected `arn:aws:acm:us-east-1:<12-digit account>:certificate/<id>`";
                self.bad_arn(node, path, &arn, &why, help);
                None
            }
        }
    }

    /// `http.domains`: a list, or the original comma-separated string.
    fn domains(&mut self, node: &Node) -> Vec<String> {
        let items = match &node.kind {
            Kind::Null => Vec::new(),
            Kind::Seq(_) => self
                .strings(node, "http.domains")
                .into_iter()
                .map(|item| Located {
                    value: item.value.trim().to_string(),
                    ..item
                })
                .collect(),
            Kind::Scalar { value, .. } => self.comma_separated(node, value),
            Kind::Map(_) => {
                self.report(
                    node,
                    "http.domains",
                    "expected a list of domains or a comma-separated string, found a mapping",
                    None,
                );
                Vec::new()
            }
        };
        self.distinct(items, "domain ", domain_problem)
    }

    /// The domains of the original's `a.com, www.a.com` string, each located inside the string
    /// when it is written verbatim, else at the whole string.
    fn comma_separated(&self, node: &Node, value: &str) -> Vec<Located> {
        let raw = self
            .text
            .get(node.span.offset..node.span.offset + node.span.len)
            .unwrap_or("");
        let content = if raw == value {
            Some(node.span.offset)
        } else if raw.len() == value.len() + 2 && raw.get(1..raw.len() - 1) == Some(value) {
            Some(node.span.offset + 1)
        } else {
            None
        };
        let mut items = Vec::new();
        let mut start = 0;
        for part in value.split(',') {
            let lead = part.len() - part.trim_start().len();
            let domain = part.trim();
            if !domain.is_empty() {
                let span = match content {
                    Some(c) => Span {
                        offset: c + start + lead,
                        len: domain.len(),
                    },
                    None => node.span,
                };
                items.push(Located {
                    value: domain.to_string(),
                    span,
                    line: node.line,
                    path: format!("http.domains[{}]", items.len()),
                });
            }
            start += part.len() + 1;
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::testing::{minimal, CERT};
    use pretty_assertions::assert_eq;

    #[test]
    fn domains_as_comma_string() {
        let m = minimal(&format!(
            "http:\n  domains: \"a.com, www.a.com,\"\n  certificate: {CERT}\n"
        ));
        assert_eq!(m.http.domains, vec!["a.com", "www.a.com"]);
        assert_eq!(m.http.certificate.as_deref(), Some(CERT));
        let m = minimal(&format!(
            "http:\n  domains: a.com,b.a.com\n  certificate: {CERT}\n"
        ));
        assert_eq!(m.http.domains, vec!["a.com", "b.a.com"]);
    }

    #[test]
    fn domains_as_list() {
        let m = minimal(&format!(
            "http:\n  domains:\n    - a.com\n    - '*.a.com'\n  certificate: {CERT}\n"
        ));
        assert_eq!(m.http.domains, vec!["a.com", "*.a.com"]);
    }

    #[test]
    fn comma_string_domain_errors_point_inside_the_string() {
        let err = parse(
            "dev.yml",
            &format!("name: app\nregion: eu-west-1\nhttp:\n  domains: \"a.com, B.com\"\n  certificate: {CERT}\n"),
        )
        .expect_err("uppercase domain");
        let p = err.problems()[0];
        assert_eq!((p.line(), p.column(), p.path()), (4, 20, "http.domains[1]"));
        assert_eq!(p.span().len(), 5);
    }
}
