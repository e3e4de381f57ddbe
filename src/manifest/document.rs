//! The top level of a stage file: its keys, the stage name (checked against every AWS name it
//! prefixes), region, account, profile, Dockerfile, deploy commands and log retention; every
//! section is handed to the check that owns it.

use super::check::{Checker, Fields, Finding};
use super::yaml::{Kind, Node};
use super::{defaults, Manifest};
use crate::model::Partition;
use crate::naming;

/// AWS regions a stage may live in: the commercial ones, China's and GovCloud's.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-gov-east-1",
];

/// Retention periods (days) CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const TOP_KEYS: &[&str] = &[
    "name",
    "aws-profile",
    "region",
    "account",
    "dockerfile",
    "environment",
    "deploy-commands",
    "log-retention",
    "auth",
    "vpc",
    "http",
    "cli",
    "queue",
    // Written by the original tool next to the stage settings; accepted and ignored.
    "build_details",
];
const NAME_HELP: &str =
    "add `name: <prefix>`, e.g. `name: clouder-dev`; it prefixes every AWS name of the stage";
const REGION_HELP: &str = "add `region: <aws region>`, e.g. `region: us-east-1`";

/// A 12-digit AWS account id.
pub(super) fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The artisan command with a leading `php artisan` dropped (the runtime runs artisan itself).
pub fn strip_artisan(command: &str) -> &str {
    let command = command.trim();
    let word = |s: &'_ str, w: &str| -> Option<usize> {
        let rest = s.strip_prefix(w)?;
        (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(w.len())
    };
    let Some(php) = word(command, "php") else {
        return command;
    };
    let rest = command[php..].trim_start();
    match word(rest, "artisan") {
        Some(n) => rest[n..].trim(),
        None => command,
    }
}

/// Why S3 (which has the strictest rules of the services) refuses `name` as a bucket prefix, with
/// what to write instead.
fn name_problem(name: &str) -> Option<Finding> {
    let example = || Some("e.g. `clouder-dev`".to_string());
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        Some(Finding::new(
            format!("`{name}` has uppercase letters"),
            Some(format!(
                "S3 bucket names are lowercase; write `{}`",
                name.to_ascii_lowercase()
            )),
        ))
    } else if !valid_chars {
        Some(Finding::new(
            format!("`{name}` may only hold lowercase letters, digits and `-`"),
            example(),
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some(Finding::new(
            format!("`{name}` must start with a letter"),
            example(),
        ))
    } else if name.ends_with('-') {
        Some(Finding::new(
            format!("`{name}` must not end with `-`"),
            example(),
        ))
    } else if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        Some(Finding::new(
            format!("`{name}` starts with a prefix S3 reserves for bucket names"),
            Some(
                "S3 rejects bucket names starting with `xn--`, `sthree-` or `amzn-s3-demo-`"
                    .to_string(),
            ),
        ))
    } else {
        None
    }
}

impl Checker<'_> {
    pub(super) fn manifest(&mut self, root: &Node) -> Manifest {
        let top = self.fields(root, "", TOP_KEYS);
        let is_map = matches!(root.kind, Kind::Map(_));
        let name = self
            .required(&top, root, is_map, "name", NAME_HELP)
            .and_then(|v| self.text_value(v, "name").and_then(|n| self.name(v, n)));
        let region = self
            .required(&top, root, is_map, "region", REGION_HELP)
            .and_then(|v| self.text_value(v, "region").and_then(|r| self.region(v, r)));
        let aws_profile = top.value("aws-profile").and_then(|v| match v.kind {
            Kind::Null => None,
            _ => self.text_value(v, "aws-profile"),
        });
        let account = top.value("account").and_then(|v| self.account(v));
        let dockerfile = top
            .value("dockerfile")
            .and_then(|v| self.text_value(v, "dockerfile"))
            .unwrap_or_else(|| defaults::DOCKERFILE.to_string());
        let environment = top
            .value("environment")
            .map(|v| self.environment(v))
            .unwrap_or_default();
        let deploy_commands = top
            .value("deploy-commands")
            .map(|v| self.deploy_commands(v))
            .unwrap_or_default();
        let log_retention_days = top
            .value("log-retention")
            .and_then(|v| self.log_retention(v))
            .unwrap_or(defaults::LOG_RETENTION_DAYS);
        let auth = top
            .value("auth")
            .map(|v| self.auth(v, account.as_deref()))
            .unwrap_or_default();
        let vpc = top.get("vpc").and_then(|e| self.vpc(e.key, e.value));
        let http = self.http(top.value("http"), account.as_deref());
        let cli = self.cli(top.value("cli"));
        let queue = top
            .value("queue")
            .map(|v| self.queue(v, name.as_deref()))
            .unwrap_or_default();
        if let (Some(e), Some(name), Some(region)) =
            (top.get("environment"), name.as_deref(), region.as_deref())
        {
            self.environment_size(e.key, &environment, name, region, &queue);
        }
        Manifest {
            name: name.unwrap_or_default(),
            file: self.file.to_string(),
            aws_profile,
            region: region.unwrap_or_default(),
            account,
            dockerfile,
            environment,
            deploy_commands,
            log_retention_days,
            auth,
            vpc,
            http,
            cli,
            queue,
            warnings: Vec::new(),
        }
    }

    /// The value of a required top-level key; its absence is reported when the document is a
    /// mapping (anything else is reported once, as not a mapping).
    fn required<'n>(
        &mut self,
        top: &Fields<'n>,
        root: &Node,
        is_map: bool,
        key: &str,
        help: &str,
    ) -> Option<&'n Node> {
        let value = top.value(key);
        if value.is_none() && is_map {
            self.missing(root, key, help);
        }
        value
    }

    fn account(&mut self, node: &Node) -> Option<String> {
        let s = self.string(node, "account")?;
        if is_account(&s) {
            return Some(s);
        }
        self.report(
            node,
            "account",
            &format!("`{s}` is not an AWS account id"),
            Some("an account id is exactly 12 digits, e.g. `\"012345678901\"`".into()),
        );
        None
    }

    /// Checks the stage name and every AWS name it prefixes.
    fn name(&mut self, node: &Node, name: String) -> Option<String> {
        if let Some(finding) = name_problem(&name) {
            self.refuse(node, "name", finding);
            return None;
        }
        let derived = naming::stage_limits(&name);
        let longest = derived
            .iter()
            .map(|d| d.room(name.len()))
            .min()
            .unwrap_or(0);
        if let Some(d) = derived.iter().find(|d| d.too_long()) {
            self.report(
                node,
                "name",
                &format!(
                    "`{name}` is too long: the {} `{}` would have {} characters, {} allows {}",
                    d.what,
                    d.name,
                    d.name.len(),
                    d.service,
                    d.limit
                ),
                Some(format!("use at most {longest} characters")),
            );
            return None;
        }
        Some(name)
    }

    fn region(&mut self, node: &Node, region: String) -> Option<String> {
        let message = format!("`{region}` is not an AWS region");
        let region = self.one_of(node, "region", region, REGIONS, &message)?;
        self.partition = Partition::of(&region);
        match self.partition {
            Partition::GovCloud => self.warn(
                node,
                "region",
                "CloudFront is not offered in AWS GovCloud (US): the stage has no CDN, its app is served at the HTTP API's endpoint and `/assets/*` is not served",
                Some("serve the assets from a CloudFront distribution of a commercial account, or from the app itself".into()),
            ),
            Partition::China => self.warn(
                node,
                "region",
                "CloudFront in China serves content only under an ICP-recorded domain of your own, with a certificate imported into IAM: the distribution's own cloudfront.cn name serves nothing",
                Some("`http.domains` takes ACM certificates, which CloudFront in China does not; reach the app at the HTTP API's endpoint (the stack's `ApiEndpoint` output)".into()),
            ),
            _ => {}
        }
        Some(region)
    }

    fn deploy_commands(&mut self, node: &Node) -> Vec<String> {
        let mut commands = Vec::new();
        for item in self.strings(node, "deploy-commands") {
            let stripped = strip_artisan(&item.value);
            if stripped.is_empty() {
                self.report_at(
                    &item,
                    "empty command",
                    Some("write the artisan command, e.g. `migrate --force`".into()),
                );
            } else {
                commands.push(stripped.to_string());
            }
        }
        commands
    }

    fn log_retention(&mut self, node: &Node) -> Option<u32> {
        let n = self.int(node, "log-retention")?;
        match u32::try_from(n) {
            Ok(days) if LOG_RETENTION_DAYS.contains(&days) => Some(days),
            _ => {
                let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
                self.report(
                    node,
                    "log-retention",
                    &format!("{n} days is not a retention CloudWatch Logs accepts"),
                    Some(format!("allowed: {}", allowed.join(", "))),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{minimal, ok};
    use super::super::{defaults, Auth, Cli, Http, Manifest, Vpc, Worker};
    use pretty_assertions::assert_eq;
    use std::collections::BTreeMap;

    const CONCEPT: &str = "\
name: clouder-dev
region: us-east-1
http:
  memory: 512
  timeout: 30
  concurrency: 100
cli:
  memory: 512
  timeout: 900
  concurrency: 10
queue:
  default:
    memory: 512
    timeout: 120
    concurrency: 5
    tries: 3
    backoff: \"5, 10\"
    queues:
      - default
      - notifications
  priority:
    memory: 512
    timeout: 300
    concurrency: 10
    tries: 5
    backoff: \"1\"
    queues:
      - priority
";

    #[test]
    fn concept_example_parses_with_defaults() {
        let m = ok(CONCEPT);
        let expected = Manifest {
            name: "clouder-dev".into(),
            file: ".hover/dev.yml".into(),
            aws_profile: None,
            region: "us-east-1".into(),
            account: None,
            dockerfile: ".Dockerfile".into(),
            environment: BTreeMap::new(),
            deploy_commands: vec![],
            log_retention_days: 14,
            auth: Auth::default(),
            vpc: None,
            http: Http {
                memory: 512,
                timeout: 30,
                concurrency: Some(100),
                warm: 1,
                domains: vec![],
                certificate: None,
            },
            cli: Cli {
                memory: 512,
                timeout: 900,
                concurrency: Some(10),
            },
            queue: BTreeMap::from([
                (
                    "default".to_string(),
                    Worker {
                        memory: 512,
                        timeout: 120,
                        concurrency: Some(5),
                        tries: 3,
                        backoff: vec![5, 10],
                        visibility_timeout: 130,
                        queues: vec!["default".into(), "notifications".into()],
                    },
                ),
                (
                    "priority".to_string(),
                    Worker {
                        memory: 512,
                        timeout: 300,
                        concurrency: Some(10),
                        tries: 5,
                        backoff: vec![1],
                        visibility_timeout: 310,
                        queues: vec!["priority".into()],
                    },
                ),
            ]),
            warnings: vec![],
        };
        assert_eq!(m, expected);
    }

    #[test]
    fn omitted_sections_take_defaults() {
        let m = minimal("");
        assert_eq!(
            m.http,
            Http {
                memory: defaults::HTTP_MEMORY,
                timeout: defaults::HTTP_TIMEOUT,
                concurrency: None,
                warm: defaults::HTTP_WARM,
                domains: vec![],
                certificate: None,
            }
        );
        assert_eq!(
            m.cli,
            Cli {
                memory: defaults::CLI_MEMORY,
                timeout: defaults::CLI_TIMEOUT,
                concurrency: None,
            }
        );
        assert!(m.queue.is_empty());
        let m = minimal("queue:\n  mail-sender:\n");
        assert_eq!(
            m.queue["mail-sender"],
            Worker {
                memory: defaults::QUEUE_MEMORY,
                timeout: defaults::QUEUE_TIMEOUT,
                concurrency: None,
                tries: defaults::QUEUE_TRIES,
                backoff: vec![],
                visibility_timeout: defaults::QUEUE_TIMEOUT + defaults::VISIBILITY_MARGIN,
                queues: vec!["mail-sender".into()],
            }
        );
    }

    #[test]
    fn php_artisan_prefix_is_stripped() {
        let m = minimal(
            "deploy-commands:\n  - php artisan migrate --force\n  - \"php  artisan   config:cache\"\n  - queue:restart\n  - php artisanal\n",
        );
        assert_eq!(
            m.deploy_commands,
            vec![
                "migrate --force",
                "config:cache",
                "queue:restart",
                "php artisanal"
            ]
        );
    }

    #[test]
    fn optional_settings_are_read() {
        let m = minimal(
            "aws-profile: work\naccount: \"012345678901\"\ndockerfile: app.Dockerfile\nlog-retention: 30\n\
auth:\n  stack-role: arn:aws:iam::012345678901:role/deployer\n  lambda-role: arn:aws:iam::012345678901:role/service/app\n\
vpc:\n  subnets: [subnet-0123abcd, subnet-0123456789abcdef0]\n  security-groups: [sg-0123abcd]\n\
queue:\n  orders:\n    queues: [orders.fifo, audit]\n    visibility-timeout: 600\n    timeout: 600\n",
        );
        assert_eq!(m.aws_profile.as_deref(), Some("work"));
        assert_eq!(m.account.as_deref(), Some("012345678901"));
        assert_eq!(m.dockerfile, "app.Dockerfile");
        assert_eq!(m.log_retention_days, 30);
        assert_eq!(
            m.auth.lambda_role.as_deref(),
            Some("arn:aws:iam::012345678901:role/service/app")
        );
        assert_eq!(
            m.vpc,
            Some(Vpc {
                subnets: vec!["subnet-0123abcd".into(), "subnet-0123456789abcdef0".into()],
                security_groups: vec!["sg-0123abcd".into()],
            })
        );
        assert_eq!(m.queue["orders"].queues, vec!["orders.fifo", "audit"]);
        assert_eq!(m.queue["orders"].visibility_timeout, 600);
    }

    #[test]
    fn account_as_plain_number_keeps_its_digits() {
        assert_eq!(
            minimal("account: 012345678901\n").account.as_deref(),
            Some("012345678901")
        );
    }

    #[test]
    fn original_build_details_key_is_ignored() {
        let m = minimal("build_details:\n  id: abc\n  hash: def\n  time: 1\n");
        assert_eq!(m.name, "app");
    }

    #[test]
    fn anchors_are_resolved() {
        let m = minimal("queue:\n  a: &w\n    tries: 7\n  b: *w\n");
        assert_eq!(m.queue["a"].tries, 7);
        assert_eq!(m.queue["b"].tries, 7);
    }
}
