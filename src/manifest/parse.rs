//! Stage-file reading and validation: `.hover/<stage>.yml` text to a [`Manifest`] with every default
//! explicit, or a [`ManifestError`] listing every problem at file, line, column and key path. All of
//! it runs before any AWS call; the limits checked are the ones AWS would otherwise reject later.

use super::error::{ManifestError, Problem, Problems};
use super::yaml::{self, is_float, is_int, Kind, Node};
use super::{defaults, Auth, Cli, Http, Manifest, Vpc, Worker};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// AWS commercial regions a stage may live in.
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
];

/// Retention periods (days) CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Longest visibility timeout and retry delay SQS allows (12 hours), in seconds.
const MAX_SQS_SECONDS: i64 = 43_200;

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
const AUTH_KEYS: &[&str] = &["stack-role", "lambda-role"];
const VPC_KEYS: &[&str] = &["subnets", "security-groups"];
const HTTP_KEYS: &[&str] = &[
    "memory",
    "timeout",
    "concurrency",
    "warm",
    "domains",
    "certificate",
];
const CLI_KEYS: &[&str] = &["memory", "timeout", "concurrency"];
const WORKER_KEYS: &[&str] = &[
    "memory",
    "timeout",
    "concurrency",
    "tries",
    "backoff",
    "queues",
    "visibility-timeout",
];

/// Reads `<dir>/.hover/<stage>.yml` (or `.yaml`) and parses it with [`parse`].
///
/// # Errors
/// [`ManifestError::NotFound`] (listing the stages that exist), [`ManifestError::Ambiguous`] when
/// both extensions exist, [`ManifestError::BadStageName`], [`ManifestError::Unreadable`], or
/// [`ManifestError::Invalid`] with every problem of the file.
pub fn load(dir: &Path, stage: &str) -> Result<Manifest, ManifestError> {
    let stage_ok = !stage.is_empty()
        && !stage.starts_with('.')
        && stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !stage_ok {
        return Err(ManifestError::BadStageName {
            stage: stage.to_string(),
        });
    }
    let hover = dir.join(".hover");
    let yml = hover.join(format!("{stage}.yml"));
    let yaml_path = hover.join(format!("{stage}.yaml"));
    let path = match (yml.is_file(), yaml_path.is_file()) {
        (true, true) => {
            return Err(ManifestError::Ambiguous {
                first: yml,
                second: yaml_path,
            })
        }
        (true, false) => yml,
        (false, true) => yaml_path,
        (false, false) => {
            return Err(ManifestError::NotFound {
                path: yml,
                stages: existing_stages(&hover),
            })
        }
    };
    let file = path.display().to_string();
    let size = std::fs::metadata(&path)
        .map_err(|source| ManifestError::Unreadable {
            path: path.clone(),
            source,
        })?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(too_large(&file, size));
    }
    let bytes = std::fs::read(&path).map_err(|source| ManifestError::Unreadable {
        path: path.clone(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => parse(&file, &text),
        Err(e) => Err(not_utf8(&file, e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// Largest stage file read: a stage file is a few kilobytes of settings.
pub const MAX_FILE_BYTES: usize = 1 << 20;

fn too_large(file: &str, size: u64) -> ManifestError {
    let problem = Problem::new(
        file,
        (1, 1),
        (0, 0),
        "",
        format!(
            "the stage file is {size} bytes; a stage file is at most {} KiB",
            MAX_FILE_BYTES >> 10
        ),
        Some("a stage file holds settings of a few kilobytes; is this the right file?".into()),
    );
    ManifestError::Invalid(Problems::new(file, "", vec![problem], &[]))
}

/// A file that is not UTF-8: located at its first invalid byte.
fn not_utf8(file: &str, bytes: &[u8], valid_up_to: usize) -> ManifestError {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (line, col) = yaml::locate(&text, valid_up_to);
    let byte = bytes.get(valid_up_to).copied().unwrap_or_default();
    let problem = Problem::new(
        file,
        (line, col),
        (valid_up_to, '\u{fffd}'.len_utf8()),
        "",
        format!("the stage file is not UTF-8 text: byte 0x{byte:02x} cannot start or continue a character here"),
        Some("save the file as UTF-8".into()),
    );
    ManifestError::Invalid(Problems::new(file, &text, vec![problem], &[]))
}

/// The values of secret-looking environment keys (and of values that embed credentials), which
/// diagnostics must never show.
fn secret_values(root: Option<&Node>, text: &str) -> Vec<String> {
    // Line by line first, so that a file whose YAML is broken still hides its secrets.
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim_start().split_once(':')?;
            let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
            let mut value = value.trim();
            if value.starts_with('&') {
                value = value
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, v)| v.trim());
            }
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            let secret = crate::plan::mask::is_secret(key, value);
            (secret && !value.is_empty()).then(|| value.to_string())
        })
        .collect();
    let Some(Kind::Map(top)) = root.map(|r| &r.kind) else {
        return out;
    };
    for (key, value) in top {
        if key.scalar() != Some("environment") {
            continue;
        }
        if let Kind::Map(vars) = &value.kind {
            for (k, v) in vars {
                if let (Some(k), Some(v)) = (k.scalar(), v.scalar()) {
                    if crate::plan::mask::is_secret(k, v) {
                        out.push(v.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Stage names of the `.yml`/`.yaml` files in `hover_dir`, sorted and deduplicated.
fn existing_stages(hover_dir: &Path) -> Vec<String> {
    let mut stages: Vec<String> = std::fs::read_dir(hover_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yml")
                .or_else(|| name.strip_suffix(".yaml"))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .collect();
    stages.sort();
    stages.dedup();
    stages
}

/// Parses and validates the text of a stage file. `file` names it in messages.
///
/// # Errors
/// [`ManifestError::Invalid`] holding every problem found (YAML syntax, duplicate keys, unknown
/// keys, wrong types, values AWS would refuse), sorted by position.
pub fn parse(file: &str, text: &str) -> Result<Manifest, ManifestError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(file, text.len() as u64));
    }
    let doc = yaml::parse(text);
    let mut c = Checker {
        file,
        text,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    for p in &doc.problems {
        c.at(
            p.span.offset,
            p.span.len,
            &p.path,
            &p.message,
            p.help.clone(),
        );
    }
    let manifest = match &doc.root {
        Some(root) if !matches!(root.kind, Kind::Null) => Some(c.manifest(root)),
        _ if !doc.problems.is_empty() => None,
        _ => {
            c.at(
                0,
                0,
                "",
                "the stage file is empty",
                Some(
                    "a stage file needs at least `name: <stage name>` and `region: <aws region>`"
                        .into(),
                ),
            );
            None
        }
    };
    match manifest {
        Some(mut m) if c.problems.is_empty() => {
            c.warnings
                .sort_by_key(|w| (w.line(), w.column(), w.path().to_string()));
            m.warnings = c.warnings;
            Ok(m)
        }
        _ => Err(ManifestError::Invalid(Problems::new(
            file,
            text,
            c.problems,
            &secret_values(doc.root.as_ref(), text),
        ))),
    }
}

/// Collects located problems while reading the node tree into typed settings.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

/// Environment variables Lambda reserves: a function configuration that sets one is refused.
const LAMBDA_RESERVED: &[&str] = &[
    "_HANDLER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Variables hover sets on every function (queue workers add `QUEUE_TRIES` and `QUEUE_BACKOFF`).
pub const HOVER_VARIABLES: &[&str] = &[
    "SQS_PREFIX",
    "SQS_SUFFIX",
    "ASSET_URL",
    "CACHE_PREFIX",
    "APP_CONFIG_CACHE",
    "QUEUE_TRIES",
    "QUEUE_BACKOFF",
];

/// Longest image tag ECR accepts: the `ASSET_URL` budget, whatever the build id.
const MAX_TAG: usize = 128;

/// Why Lambda refuses `name` as a variable, if it does, with what to do instead.
fn reserved_variable(name: &str) -> Option<(String, String)> {
    if !(LAMBDA_RESERVED.contains(&name) || name.starts_with("AWS_LAMBDA_")) {
        return None;
    }
    let help = match name {
        "AWS_ACCESS_KEY" | "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN" => {
            "the functions get credentials from their execution role; give the role the permissions instead (`auth.lambda-role`)"
        }
        "AWS_REGION" | "AWS_DEFAULT_REGION" => {
            "Lambda sets it to the stage's region; remove it"
        }
        _ => "Lambda sets it itself; remove it",
    };
    Some((
        format!("`{name}` is reserved by Lambda: a function that sets it is refused"),
        help.to_string(),
    ))
}

/// The known entries of one mapping, by key.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<(&'n Node, &'n Node)> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, v)| (*k, *v))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The closest of `candidates` to `word`, when close enough to be a likely typo.
fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let normalized = word.to_ascii_lowercase().replace('_', "-");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&normalized, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Parses a YAML core-schema integer (`12`, `-3`, `0x1f`, `0o17`); `None` when it overflows.
fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    s.parse().ok()
}

/// A manifest key or queue name as CloudFormation sees it in logical ids: no `-`/`_`, any case.
fn logical_key(s: &str) -> String {
    s.strip_suffix(".fifo")
        .unwrap_or(s)
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `[A-Za-z0-9_-]+`: what Lambda function names, SQS names and logical-id sources share.
fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// Account id of an IAM role ARN, or why it is not one.
fn role_account(arn: &str) -> Result<&str, String> {
    let rest = arn
        .strip_prefix("arn:aws:iam::")
        .ok_or("not an IAM role ARN")?;
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

/// (region, account) of an ACM certificate ARN, or why it is not one.
fn certificate_parts(arn: &str) -> Result<(&str, &str), String> {
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
    Ok((region, account))
}

/// Why `domain` is not a DNS name CloudFront accepts as an alias, if it is not.
fn domain_problem(domain: &str) -> Option<(String, Option<String>)> {
    if domain.chars().any(|c| c.is_ascii_uppercase()) {
        return Some((
            format!("domain `{domain}` has uppercase letters"),
            Some(format!(
                "write it in lowercase: `{}`",
                domain.to_ascii_lowercase()
            )),
        ));
    }
    if domain.len() > 253 {
        return Some((
            format!("domain has {} characters, DNS allows 253", domain.len()),
            None,
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some((
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
            return Some((
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
        return Some((format!("`{domain}` is not a domain name"), None));
    }
    None
}

/// The command without a leading `php artisan` (any spacing), trimmed.
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

/// A name derived from the stage name and the AWS limit on it.
struct Derived {
    what: &'static str,
    name: String,
    limit: usize,
    service: &'static str,
}

impl<'a> Checker<'a> {
    /// Records a problem at a byte range (labels are cut to the range's first line).
    fn at(&mut self, offset: usize, len: usize, path: &str, message: &str, help: Option<String>) {
        let offset = offset.min(self.text.len());
        let rest = self.text.get(offset..).unwrap_or("");
        let len = len.min(rest.len());
        let len = rest
            .get(..len)
            .and_then(|s| s.find(['\n', '\r']))
            .unwrap_or(len);
        self.problems.push(Problem::new(
            self.file,
            yaml::locate(self.text, offset),
            (offset, len),
            path,
            message,
            help,
        ));
    }

    fn report(&mut self, node: &Node, path: &str, message: &str, help: Option<String>) {
        self.at(node.span.offset, node.span.len, path, message, help);
    }

    /// The stage name: the file's name without its extension.
    fn stage(&self) -> String {
        Path::new(self.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "<stage>".into())
    }

    /// Records a warning at `node` (located like a problem; it does not stop the stage).
    fn warn(&mut self, node: &Node, path: &str, message: &str, help: Option<String>) {
        let before = self.problems.len();
        self.report(node, path, message, help);
        if let Some(w) = self.problems.pop() {
            if self.problems.len() == before {
                self.warnings.push(w);
            }
        }
    }

    /// The known entries of a mapping; unknown keys and non-mappings are reported. A null value
    /// (`http:` with nothing under it) is an empty mapping.
    fn fields<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> Fields<'n> {
        let mut fields = Fields {
            entries: Vec::new(),
        };
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => return fields,
            _ => {
                let what = if path.is_empty() {
                    "a stage file must be a mapping of keys (`name: …`)".to_string()
                } else {
                    "expected a mapping".to_string()
                };
                self.report(
                    node,
                    path,
                    &format!("{what}, found {}", node.describe()),
                    Some(format!("allowed keys: {}", allowed.join(", "))),
                );
                return fields;
            }
        };
        for (key, value) in entries {
            let Some(name) = key.scalar() else { continue };
            if allowed.contains(&name) {
                fields.entries.push((name, key, value));
            } else {
                let help = match suggest(name, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("allowed keys: {}", allowed.join(", ")),
                };
                self.report(
                    key,
                    &join(path, name),
                    &format!("unknown key `{name}`"),
                    Some(help),
                );
            }
        }
        fields
    }

    /// Reports a required key that is missing, at the start of its mapping.
    fn missing(&mut self, parent: &Node, path: &str, help: &str) {
        self.at(
            parent.span.offset,
            0,
            path,
            &format!(
                "missing required key `{}`",
                path.rsplit('.').next().unwrap_or(path)
            ),
            Some(help.to_string()),
        );
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.kind {
            Kind::Scalar { value, .. } => Some(value.clone()),
            _ => {
                self.report(
                    node,
                    path,
                    &format!("expected a string, found {}", node.describe()),
                    None,
                );
                None
            }
        }
    }

    /// A non-empty string.
    fn text_value(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.report(node, path, "must not be empty", None);
            return None;
        }
        Some(s)
    }

    /// Items of a list of strings with their nodes; a null value is an empty list.
    fn strings<'n>(&mut self, node: &'n Node, path: &str) -> Vec<(String, &'n Node, String)> {
        match &node.kind {
            Kind::Null => Vec::new(),
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = format!("{path}[{i}]");
                    self.string(item, &item_path).map(|s| (s, item, item_path))
                })
                .collect(),
            _ => {
                self.report(
                    node,
                    path,
                    &format!("expected a list, found {}", node.describe()),
                    Some("write one item per line, each starting with `- `".into()),
                );
                Vec::new()
            }
        }
    }

    /// A whole number written as a plain YAML number.
    fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        let key = path.rsplit('.').next().unwrap_or(path);
        let (message, help) = match &node.kind {
            Kind::Scalar { value, plain: true } if is_int(value) => match parse_int(value) {
                Some(n) => return Some(n),
                None => (format!("number `{value}` is too large"), None),
            },
            Kind::Scalar { value, plain: true } if is_float(value) => {
                (format!("expected a whole number, found `{value}`"), None)
            }
            Kind::Scalar {
                value,
                plain: false,
            } => (
                "expected a number, found a string".to_string(),
                (is_int(value.trim()) || is_float(value.trim()))
                    .then(|| format!("remove the quotes: `{key}: {}`", value.trim())),
            ),
            Kind::Scalar { value, plain: true } => (
                format!("expected a number, found {}: `{value}`", node.describe()),
                None,
            ),
            _ => (
                format!("expected a number, found {}", node.describe()),
                None,
            ),
        };
        self.report(node, path, &message, help);
        None
    }

    /// A whole number within `min..=max`; `what` names the unit in messages.
    fn ranged(&mut self, node: &Node, path: &str, min: i64, max: i64, what: &str) -> Option<u32> {
        let n = self.int(node, path)?;
        if n < min || n > max {
            self.report(
                node,
                path,
                &format!("{n} is out of range for {what}"),
                Some(format!("allowed: {min}–{max}")),
            );
            return None;
        }
        u32::try_from(n).ok()
    }

    fn manifest(&mut self, root: &Node) -> Manifest {
        let top = self.fields(root, "", TOP_KEYS);
        let is_map = matches!(root.kind, Kind::Map(_));

        let name = match top.get("name") {
            Some((_, v)) => self.text_value(v, "name").and_then(|n| self.name(v, n)),
            None => {
                if is_map {
                    self.missing(
                        root,
                        "name",
                        "add `name: <prefix>`, e.g. `name: clouder-dev`; it prefixes every AWS name of the stage",
                    );
                }
                None
            }
        };
        let region = match top.get("region") {
            Some((_, v)) => self.text_value(v, "region").and_then(|r| self.region(v, r)),
            None => {
                if is_map {
                    self.missing(
                        root,
                        "region",
                        "add `region: <aws region>`, e.g. `region: us-east-1`",
                    );
                }
                None
            }
        };
        let aws_profile = top.get("aws-profile").and_then(|(_, v)| match v.kind {
            Kind::Null => None,
            _ => self.text_value(v, "aws-profile"),
        });
        let account = top.get("account").and_then(|(_, v)| {
            let s = self.string(v, "account")?;
            if is_account(&s) {
                Some(s)
            } else {
                self.report(
                    v,
                    "account",
                    &format!("`{s}` is not an AWS account id"),
                    Some("an account id is exactly 12 digits, e.g. `\"012345678901\"`".into()),
                );
                None
            }
        });
        let dockerfile = top
            .get("dockerfile")
            .and_then(|(_, v)| self.text_value(v, "dockerfile"))
            .unwrap_or_else(|| defaults::DOCKERFILE.to_string());
        let environment = top
            .get("environment")
            .map(|(_, v)| self.environment(v))
            .unwrap_or_default();
        let deploy_commands = top
            .get("deploy-commands")
            .map(|(_, v)| self.deploy_commands(v))
            .unwrap_or_default();
        let log_retention_days = top
            .get("log-retention")
            .and_then(|(_, v)| self.log_retention(v))
            .unwrap_or(defaults::LOG_RETENTION_DAYS);
        let auth = top
            .get("auth")
            .map(|(_, v)| self.auth(v, account.as_deref()))
            .unwrap_or_default();
        let vpc = top.get("vpc").and_then(|(k, v)| self.vpc(k, v));
        let http = self.http(top.get("http"), account.as_deref());
        let cli = self.cli(top.get("cli").map(|(_, v)| v));
        let queue = top
            .get("queue")
            .map(|(_, v)| self.queue(v, name.as_deref()))
            .unwrap_or_default();
        if let (Some((key, _)), Some(name), Some(region)) =
            (top.get("environment"), name.as_deref(), region.as_deref())
        {
            self.environment_size(key, &environment, name, region, &queue);
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

    /// Checks the stage name and every AWS name it prefixes.
    fn name(&mut self, node: &Node, name: String) -> Option<String> {
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let problem = if name.chars().any(|c| c.is_ascii_uppercase()) {
            Some((
                format!("`{name}` has uppercase letters"),
                format!(
                    "S3 bucket names are lowercase; write `{}`",
                    name.to_ascii_lowercase()
                ),
            ))
        } else if !valid_chars {
            Some((
                format!("`{name}` may only hold lowercase letters, digits and `-`"),
                "e.g. `clouder-dev`".to_string(),
            ))
        } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            Some((
                format!("`{name}` must start with a letter"),
                "e.g. `clouder-dev`".to_string(),
            ))
        } else if name.ends_with('-') {
            Some((
                format!("`{name}` must not end with `-`"),
                "e.g. `clouder-dev`".to_string(),
            ))
        } else if ["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            Some((
                format!("`{name}` starts with a prefix S3 reserves for bucket names"),
                "S3 rejects bucket names starting with `xn--`, `sthree-` or `amzn-s3-demo-`"
                    .to_string(),
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            self.report(node, "name", &message, Some(help));
            return None;
        }
        let derived = [
            Derived {
                what: "assets bucket",
                name: format!("{name}-assets"),
                limit: 63,
                service: "S3",
            },
            Derived {
                what: "HTTP function",
                name: format!("{name}-http"),
                limit: 64,
                service: "Lambda",
            },
            Derived {
                what: "scheduler rule",
                name: format!("{name}-scheduler"),
                limit: 64,
                service: "EventBridge",
            },
            Derived {
                what: "stack",
                name: name.clone(),
                limit: 128,
                service: "CloudFormation",
            },
        ];
        let longest = derived
            .iter()
            .map(|d| d.limit + name.len() - d.name.len())
            .min()
            .unwrap_or(0);
        if let Some(d) = derived.iter().find(|d| d.name.len() > d.limit) {
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
        if REGIONS.contains(&region.as_str()) {
            return Some(region);
        }
        let help = match suggest(&region, REGIONS) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("allowed: {}", REGIONS.join(", ")),
        };
        self.report(
            node,
            "region",
            &format!("`{region}` is not an AWS commercial region"),
            Some(help),
        );
        None
    }

    fn environment(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => return env,
            _ => {
                self.report(
                    node,
                    "environment",
                    &format!("expected a mapping, found {}", node.describe()),
                    Some("write one `NAME: value` per line".into()),
                );
                return env;
            }
        };
        for (key, value) in entries {
            let Some(name) = key.scalar() else { continue };
            let path = join("environment", name);
            let name_ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                self.report(
                    key,
                    &path,
                    &format!("`{name}` is not a valid environment variable name"),
                    Some("use letters, digits and `_`, not starting with a digit".into()),
                );
                continue;
            }
            if let Some((message, help)) = reserved_variable(name) {
                self.report(key, &path, &message, Some(help));
                continue;
            }
            if HOVER_VARIABLES.contains(&name) {
                self.report(
                    key,
                    &path,
                    &format!("`{name}` is set by hover on every function"),
                    Some(format!(
                        "hover's {} would replace it; remove it, or use another name",
                        HOVER_VARIABLES.join(", ")
                    )),
                );
                continue;
            }
            match &value.kind {
                Kind::Scalar { value: text, .. } => {
                    if crate::plan::mask::looks_secret(name, text) {
                        self.warn(
                            key,
                            &path,
                            &format!("`{name}` looks like a secret: the manifest is committed, and every function's configuration shows it"),
                            Some(format!("move it to `.hover/{stage}-secrets.plain.env` and run `hover secret encrypt --stage {stage}`: the image then carries it encrypted", stage = self.stage())),
                        );
                    }
                    env.insert(name.to_string(), text.clone());
                }
                Kind::Null => {
                    env.insert(name.to_string(), String::new());
                }
                _ => self.report(
                    value,
                    &path,
                    &format!(
                        "expected a string, number or boolean, found {}",
                        value.describe()
                    ),
                    None,
                ),
            }
        }
        env
    }

    /// Lambda refuses a function whose variables (keys and values) exceed 4 KB: the manifest's
    /// and hover's own together, for the function that carries the most (a queue worker with the
    /// longest backoff), counting the image tag at ECR's longest.
    fn environment_size(
        &mut self,
        key: &Node,
        env: &BTreeMap<String, String>,
        name: &str,
        region: &str,
        workers: &BTreeMap<String, Worker>,
    ) {
        let own: usize = env.iter().map(|(k, v)| k.len() + v.len()).sum();
        let sqs_prefix = format!("https://sqs.{region}.amazonaws.com/123456789012");
        let base = [
            ("SQS_PREFIX", sqs_prefix.len()),
            ("SQS_SUFFIX", name.len() + 1),
            ("ASSET_URL", "/assets/".len() + MAX_TAG),
            ("CACHE_PREFIX", name.len()),
            (
                "APP_CONFIG_CACHE",
                "/tmp/storage/bootstrap/cache/config.php".len(),
            ),
        ]
        .iter()
        .map(|(k, v)| k.len() + v)
        .sum::<usize>();
        let worker = workers
            .values()
            .map(|w| {
                let backoff: Vec<String> = w.backoff.iter().map(u32::to_string).collect();
                "QUEUE_TRIES".len()
                    + w.tries.to_string().len()
                    + "QUEUE_BACKOFF".len()
                    + backoff.join(",").len()
            })
            .max()
            .unwrap_or(0);
        let hover = base + worker;
        let limit = defaults::ENVIRONMENT_LIMIT;
        if own + hover > limit {
            let mut largest: Vec<(&String, usize)> =
                env.iter().map(|(k, v)| (k, k.len() + v.len())).collect();
            largest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = largest
                .iter()
                .take(3)
                .map(|(k, n)| format!("{k} ({n} bytes)"))
                .collect();
            self.report(
                key,
                "environment",
                &format!(
                    "the functions' variables would take {} bytes ({own} from the manifest, up to {hover} set by hover), Lambda allows {limit}",
                    own + hover
                ),
                Some(format!(
                    "shorten or remove {} bytes; the largest: {}; long values and secrets belong in the stage's encrypted secrets file (`hover secret`)",
                    own + hover - limit,
                    top.join(", ")
                )),
            );
        }
    }

    fn deploy_commands(&mut self, node: &Node) -> Vec<String> {
        let mut commands = Vec::new();
        for (command, item, path) in self.strings(node, "deploy-commands") {
            let stripped = strip_artisan(&command);
            if stripped.is_empty() {
                self.report(
                    item,
                    &path,
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

    fn role(&mut self, node: &Node, path: &str, account: Option<&str>) -> Option<String> {
        let arn = self.text_value(node, path)?;
        match role_account(&arn) {
            Ok(role_account) => {
                if let Some(account) = account.filter(|a| *a != role_account) {
                    self.report(
                        node,
                        path,
                        &format!(
                            "the role belongs to account {role_account}, but the stage's `account` is {account}"
                        ),
                        None,
                    );
                    return None;
                }
                Some(arn)
            }
            Err(why) => {
                self.report(
                    node,
                    path,
                    &format!("`{arn}`: {why}"),
                    Some("expected `arn:aws:iam::<12-digit account>:role/<name>`".into()),
                );
                None
            }
        }
    }

    fn auth(&mut self, node: &Node, account: Option<&str>) -> Auth {
        let f = self.fields(node, "auth", AUTH_KEYS);
        Auth {
            stack_role: f
                .get("stack-role")
                .and_then(|(_, v)| self.role(v, "auth.stack-role", account)),
            lambda_role: f
                .get("lambda-role")
                .and_then(|(_, v)| self.role(v, "auth.lambda-role", account)),
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
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut ids = Vec::new();
        for (id, item, item_path) in items {
            let hex = id.strip_prefix(prefix).unwrap_or("");
            let valid = (hex.len() == 8 || hex.len() == 17)
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
            if !valid {
                self.report(
                    item,
                    &item_path,
                    &format!("`{id}` is not a {prefix}… id"),
                    Some(format!("expected `{prefix}` and 8 or 17 hex digits, e.g. `{prefix}0123456789abcdef0`")),
                );
            } else if let Some(first) = seen.get(&id) {
                self.report(
                    item,
                    &item_path,
                    &format!("`{id}` is listed twice (also {first})"),
                    None,
                );
            } else {
                seen.insert(id.clone(), item_path);
                ids.push(id);
            }
        }
        ids
    }

    fn vpc(&mut self, key: &Node, node: &Node) -> Option<Vpc> {
        if matches!(node.kind, Kind::Null) {
            return None;
        }
        let f = self.fields(node, "vpc", VPC_KEYS);
        if !matches!(node.kind, Kind::Map(_)) {
            return None;
        }
        // Both lists empty: no VPC, as the original Hover read it (it always wrote a VpcConfig).
        let empty = |n: Option<(&Node, &Node)>| {
            n.is_some_and(|(_, v)| match &v.kind {
                Kind::Seq(items) => items.is_empty(),
                Kind::Null => true,
                _ => false,
            })
        };
        if empty(f.get("subnets")) && empty(f.get("security-groups")) {
            return None;
        }
        let subnets = self.ids(
            key,
            f.get("subnets").map(|(_, v)| v),
            "vpc.subnets",
            "subnet-",
            16,
        );
        let security_groups = self.ids(
            key,
            f.get("security-groups").map(|(_, v)| v),
            "vpc.security-groups",
            "sg-",
            5,
        );
        Some(Vpc {
            subnets,
            security_groups,
        })
    }

    fn memory(&mut self, f: &Fields<'_>, path: &str, default: u32) -> u32 {
        f.get("memory")
            .and_then(|(_, v)| {
                let p = join(path, "memory");
                if self.original_zero(v, &p, "Lambda's default of 128 MB", format!("write `memory: 128` to keep what runs now, or remove the key for hover's default of {default} MB")) {
                    return None;
                }
                self.ranged(v, &p, 128, 10_240, "memory (MB)")
            })
            .unwrap_or(default)
    }

    /// A function timeout in seconds, 1..=`max`.
    fn timeout(&mut self, node: &Node, path: &str, max: i64, default: u32) -> Option<u32> {
        if self.original_zero(
            node,
            path,
            "Lambda's default timeout of 3 seconds",
            format!("write `timeout: 3` to keep what runs now, or remove the key for hover's default of {default} s"),
        ) {
            return None;
        }
        self.ranged(node, path, 1, max, "timeout (seconds)")
    }

    /// Reserved concurrency; `0` means none, as it did in the original Hover (a reservation of
    /// zero would stop the function).
    fn concurrency(&mut self, f: &Fields<'_>, path: &str) -> Option<u32> {
        f.get("concurrency")
            .and_then(|(_, v)| {
                self.ranged(
                    v,
                    &join(path, "concurrency"),
                    0,
                    1000,
                    "reserved concurrency",
                )
            })
            .filter(|c| *c > 0)
    }

    /// `0`, which the original Hover read as "leave it to Lambda": a located error saying what
    /// changed. True when reported.
    fn original_zero(&mut self, node: &Node, path: &str, meant: &str, help: String) -> bool {
        if !matches!(&node.kind, Kind::Scalar { value, plain: true } if value == "0") {
            return false;
        }
        self.report(
            node,
            path,
            &format!("`0` meant {meant} in the original Hover; hover does not read it that way"),
            Some(help),
        );
        true
    }

    fn http(&mut self, entry: Option<(&Node, &Node)>, account: Option<&str>) -> Http {
        let null = Node {
            kind: Kind::Null,
            span: yaml::Span::default(),
            line: 1,
            col: 1,
        };
        let node = entry.map_or(&null, |(_, v)| v);
        let f = self.fields(node, "http", HTTP_KEYS);
        let memory = self.memory(&f, "http", defaults::HTTP_MEMORY);
        let timeout = f
            .get("timeout")
            .and_then(|(_, v)| {
                if self.original_zero(
                    v,
                    "http.timeout",
                    "Lambda's default timeout of 3 seconds",
                    format!("write `timeout: 3` to keep what runs now, or remove the key for hover's default of {} s", defaults::HTTP_TIMEOUT),
                ) {
                    return None;
                }
                let n = self.int(v, "http.timeout")?;
                if n > 30 {
                    self.report(
                        v,
                        "http.timeout",
                        &format!("the HTTP function's timeout is at most 30 seconds, found {n}"),
                        Some("API Gateway's HTTP API ends every request after 30 s; move longer work to a queue worker".into()),
                    );
                    None
                } else if n < 1 {
                    self.report(
                        v,
                        "http.timeout",
                        &format!("{n} is out of range for timeout (seconds)"),
                        Some("allowed: 1–30".into()),
                    );
                    None
                } else {
                    u32::try_from(n).ok()
                }
            })
            .unwrap_or(defaults::HTTP_TIMEOUT);
        let concurrency = self.concurrency(&f, "http");
        let warm = f
            .get("warm")
            .and_then(|(_, v)| self.ranged(v, "http.warm", 0, 100, "warm containers"))
            .unwrap_or(defaults::HTTP_WARM);
        let domains = f
            .get("domains")
            .map(|(_, v)| self.domains(v))
            .unwrap_or_default();
        let certificate = f.get("certificate").and_then(|(_, v)| match v.kind {
            Kind::Null => None,
            _ => self.certificate(v, account),
        });
        let certificate_given = f
            .get("certificate")
            .is_some_and(|(_, v)| !matches!(v.kind, Kind::Null));
        if let (Some((key, _)), false) = (f.get("domains"), domains.is_empty()) {
            if !certificate_given {
                self.report(
                    key,
                    "http.domains",
                    "custom domains need a certificate: `http.certificate` is missing",
                    Some(
                        "add `certificate: arn:aws:acm:us-east-1:<account>:certificate/<id>` covering these domains"
                            .into(),
                    ),
                );
            }
        }
        let domain_problems = self
            .problems
            .iter()
            .any(|p| p.path().starts_with("http.domains"));
        if let Some((key, _)) = f.get("certificate") {
            if certificate_given && domains.is_empty() && !domain_problems {
                self.report(
                    key,
                    "http.certificate",
                    "a certificate without `http.domains` is never used",
                    Some("add the domains it covers under `http.domains`, or remove it".into()),
                );
            }
        }
        Http {
            memory,
            timeout,
            concurrency,
            warm,
            domains,
            certificate,
        }
    }

    fn certificate(&mut self, node: &Node, account: Option<&str>) -> Option<String> {
        let arn = self.text_value(node, "http.certificate")?;
        match certificate_parts(&arn) {
            Ok(("us-east-1", cert_account)) => {
                if let Some(account) = account.filter(|a| *a != cert_account) {
                    self.report(
                        node,
                        "http.certificate",
                        &format!("the certificate belongs to account {cert_account}, but the stage's `account` is {account}"),
                        None,
                    );
                    return None;
                }
                Some(arn)
            }
            Ok((region, _)) => {
                self.report(
                    node,
                    "http.certificate",
                    &format!("the certificate is in {region}, but CloudFront only accepts ACM certificates from us-east-1"),
                    Some("request or import the certificate in us-east-1".into()),
                );
                None
            }
            Err(why) => {
                self.report(
                    node,
                    "http.certificate",
                    &format!("`{arn}`: {why}"),
                    Some(
                        "expected `arn:aws:acm:us-east-1:<12-digit account>:certificate/<id>`"
                            .into(),
                    ),
                );
                None
            }
        }
    }

    /// `http.domains`: a list, or the original comma-separated string.
    fn domains(&mut self, node: &Node) -> Vec<String> {
        // (domain, byte offset, byte length, key path)
        let mut items: Vec<(String, usize, usize, String)> = Vec::new();
        match &node.kind {
            Kind::Null => {}
            Kind::Seq(_) => {
                for (domain, item, path) in self.strings(node, "http.domains") {
                    items.push((
                        domain.trim().to_string(),
                        item.span.offset,
                        item.span.len,
                        path,
                    ));
                }
            }
            Kind::Scalar { value, .. } => {
                // Where the scalar's text starts in the source, when it is written verbatim.
                let raw = self
                    .text
                    .get(node.span.offset..node.span.offset + node.span.len)
                    .unwrap_or("");
                let content = if raw == value.as_str() {
                    Some(node.span.offset)
                } else if raw.len() == value.len() + 2 && raw.get(1..raw.len() - 1) == Some(value) {
                    Some(node.span.offset + 1)
                } else {
                    None
                };
                let mut start = 0;
                for part in value.split(',') {
                    let lead = part.len() - part.trim_start().len();
                    let domain = part.trim();
                    if !domain.is_empty() {
                        let (offset, len) = match content {
                            Some(c) => (c + start + lead, domain.len()),
                            None => (node.span.offset, node.span.len),
                        };
                        let path = format!("http.domains[{}]", items.len());
                        items.push((domain.to_string(), offset, len, path));
                    }
                    start += part.len() + 1;
                }
            }
            Kind::Map(_) => {
                self.report(
                    node,
                    "http.domains",
                    "expected a list of domains or a comma-separated string, found a mapping",
                    None,
                );
            }
        }
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut domains = Vec::new();
        for (domain, offset, len, path) in items {
            if let Some((message, help)) = domain_problem(&domain) {
                self.at(offset, len, &path, &message, help);
            } else if let Some(first) = seen.get(&domain) {
                let message = format!("domain `{domain}` is listed twice (also {first})");
                self.at(offset, len, &path, &message, None);
            } else {
                seen.insert(domain.clone(), path);
                domains.push(domain);
            }
        }
        domains
    }

    fn cli(&mut self, node: Option<&Node>) -> Cli {
        let null = Node {
            kind: Kind::Null,
            span: yaml::Span::default(),
            line: 1,
            col: 1,
        };
        let f = self.fields(node.unwrap_or(&null), "cli", CLI_KEYS);
        Cli {
            memory: self.memory(&f, "cli", defaults::CLI_MEMORY),
            timeout: f
                .get("timeout")
                .and_then(|(_, v)| self.timeout(v, "cli.timeout", 900, defaults::CLI_TIMEOUT))
                .unwrap_or(defaults::CLI_TIMEOUT),
            concurrency: self.concurrency(&f, "cli"),
        }
    }

    /// `backoff`: `"5, 10"`, `5`, or `[5, 10]`.
    fn backoff(&mut self, node: &Node, path: &str) -> Option<Vec<u32>> {
        let parts: Vec<String> = match &node.kind {
            Kind::Null => return Some(Vec::new()),
            Kind::Scalar { value, .. } => {
                if value.trim().is_empty() {
                    return Some(Vec::new());
                }
                value.split(',').map(|p| p.trim().to_string()).collect()
            }
            Kind::Seq(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    let n =
                        self.ranged(item, &item_path, 0, MAX_SQS_SECONDS, "backoff (seconds)")?;
                    out.push(n);
                }
                return Some(out);
            }
            Kind::Map(_) => {
                self.report(
                    node,
                    path,
                    "expected a backoff like `\"5, 10\"`, found a mapping",
                    None,
                );
                return None;
            }
        };
        let parsed: Option<Vec<u32>> = parts
            .iter()
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<u32>()
                    .ok()
                    .filter(|n| i64::from(*n) <= MAX_SQS_SECONDS)
            })
            .collect();
        if parsed.is_none() {
            let raw = node.scalar().unwrap_or("");
            self.report(
                node,
                path,
                &format!("malformed backoff `{raw}`"),
                Some(format!(
                    "seconds between retries as whole numbers from 0 to {MAX_SQS_SECONDS}, separated by commas: `\"5, 10\"`"
                )),
            );
        }
        parsed
    }

    fn queue(&mut self, node: &Node, name: Option<&str>) -> BTreeMap<String, Worker> {
        let mut workers = BTreeMap::new();
        let entries = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => return workers,
            _ => {
                self.report(
                    node,
                    "queue",
                    &format!("expected a mapping of workers, found {}", node.describe()),
                    Some("write one key per worker: `queue:\\n  default:\\n    tries: 3`".into()),
                );
                return workers;
            }
        };
        // Logical key of every worker seen so far: (key, line).
        let mut worker_keys: HashMap<String, (String, usize)> = HashMap::new();
        // Every queue consumed so far: name -> worker.
        let mut consumers: HashMap<String, String> = HashMap::new();
        // Logical key of every distinct queue: key -> (queue, line).
        let mut queue_keys: HashMap<String, (String, usize)> = HashMap::new();
        let mut queue_order: Vec<(String, String, usize, usize, usize)> = Vec::new();

        for (key, value) in entries {
            let Some(worker) = key.scalar() else { continue };
            let path = join("queue", worker);
            if !is_simple_name(worker) {
                self.report(
                    key,
                    &path,
                    &format!("worker key `{worker}` may only hold letters, digits, `-` and `_`"),
                    Some("it becomes part of the function name `<name>-<worker>-queue`".into()),
                );
                continue;
            }
            let logical = logical_key(worker);
            if let Some((first, line)) = worker_keys.get(&logical) {
                self.report(
                    key,
                    &path,
                    &format!("worker keys `{first}` (line {line}) and `{worker}` differ only by `-`, `_` or case: their CloudFormation logical ids would collide"),
                    Some("rename one of them".into()),
                );
                continue;
            }
            worker_keys.insert(logical, (worker.to_string(), key.line));
            if let Some(name) = name {
                let function = format!("{name}-{worker}-queue");
                if function.len() > 64 {
                    self.report(
                        key,
                        &path,
                        &format!(
                            "worker key `{worker}` is too long: the function `{function}` would have {} characters, Lambda allows 64",
                            function.len()
                        ),
                        Some(format!(
                            "use a worker key of at most {} characters",
                            64usize.saturating_sub(name.len() + 7)
                        )),
                    );
                }
            }

            let f = self.fields(value, &path, WORKER_KEYS);
            let memory = self.memory(&f, &path, defaults::QUEUE_MEMORY);
            let timeout_set = f.get("timeout").map(|(_, v)| {
                self.timeout(v, &join(&path, "timeout"), 900, defaults::QUEUE_TIMEOUT)
            });
            let timeout = timeout_set.flatten().unwrap_or(defaults::QUEUE_TIMEOUT);
            let concurrency = self.concurrency(&f, &path);
            let tries = f
                .get("tries")
                .and_then(|(_, v)| {
                    let p = join(&path, "tries");
                    if self.original_zero(v, &p, "unlimited retries", format!("hover never retries forever: after `tries` receives a message moves to the dead-letter queue; write the attempts you want (1–1000), or remove the key for {}", defaults::QUEUE_TRIES)) {
                        return None;
                    }
                    self.ranged(v, &p, 1, 1000, "tries")
                })
                .unwrap_or(defaults::QUEUE_TRIES);
            let backoff = f
                .get("backoff")
                .and_then(|(_, v)| self.backoff(v, &join(&path, "backoff")))
                .unwrap_or_default();
            let visibility_timeout = match f.get("visibility-timeout") {
                None => timeout + defaults::VISIBILITY_MARGIN,
                Some((_, v)) => {
                    let vpath = join(&path, "visibility-timeout");
                    match self.ranged(
                        v,
                        &vpath,
                        0,
                        MAX_SQS_SECONDS,
                        "visibility timeout (seconds)",
                    ) {
                        Some(vt) if vt < timeout && timeout_set != Some(None) => {
                            self.report(
                                v,
                                &vpath,
                                &format!("visibility timeout {vt} s is shorter than the worker's timeout {timeout} s: a message would be delivered again while it is still being processed"),
                                Some(format!("allowed: {timeout}–{MAX_SQS_SECONDS}; omit it for timeout + {}", defaults::VISIBILITY_MARGIN)),
                            );
                            timeout + defaults::VISIBILITY_MARGIN
                        }
                        Some(vt) => vt,
                        None => timeout + defaults::VISIBILITY_MARGIN,
                    }
                }
            };

            // (queue, node offset, len, line, path)
            let listed: Vec<(String, usize, usize, usize, String)> = match f.get("queues") {
                None
                | Some((
                    _,
                    Node {
                        kind: Kind::Null, ..
                    },
                )) => vec![(
                    worker.to_string(),
                    key.span.offset,
                    key.span.len,
                    key.line,
                    path.clone(),
                )],
                Some((qkey, qnode)) => {
                    let qpath = join(&path, "queues");
                    let items = self.strings(qnode, &qpath);
                    if items.is_empty() && matches!(qnode.kind, Kind::Seq(_)) {
                        self.report(
                            qkey,
                            &qpath,
                            "a worker needs at least one queue",
                            Some("list its queues, or remove `queues` to consume the queue named after the worker".into()),
                        );
                    }
                    items
                        .into_iter()
                        .map(|(q, n, p)| (q, n.span.offset, n.span.len, n.line, p))
                        .collect()
                }
            };
            let mut queues: Vec<String> = Vec::new();
            for (queue, offset, len, line, qpath) in listed {
                let base = queue.strip_suffix(".fifo").unwrap_or(&queue);
                if !is_simple_name(base) {
                    self.at(
                        offset,
                        len,
                        &qpath,
                        &format!("queue name `{queue}` may only hold letters, digits, `-` and `_` (and end in `.fifo`)"),
                        None,
                    );
                    continue;
                }
                if queues.contains(&queue) {
                    self.at(
                        offset,
                        len,
                        &qpath,
                        &format!("queue `{queue}` is listed twice in worker `{worker}`"),
                        None,
                    );
                    continue;
                }
                if let Some(other) = consumers.get(&queue) {
                    self.at(
                        offset,
                        len,
                        &qpath,
                        &format!("queue `{queue}` is consumed by workers `{other}` and `{worker}`; a queue feeds exactly one worker"),
                        Some("list it under one worker only".into()),
                    );
                    continue;
                }
                consumers.insert(queue.clone(), worker.to_string());
                if let Some(name) = name {
                    let fifo = if queue.ends_with(".fifo") {
                        ".fifo"
                    } else {
                        ""
                    };
                    let dlq = format!("{base}-{name}-dlq{fifo}");
                    if dlq.len() > 80 {
                        self.at(
                            offset,
                            len,
                            &qpath,
                            &format!(
                                "queue name `{queue}` is too long: its dead-letter queue `{dlq}` would have {} characters, SQS allows 80",
                                dlq.len()
                            ),
                            Some(format!(
                                "use a queue name of at most {} characters{}",
                                80usize.saturating_sub(name.len() + 5 + fifo.len()),
                                if fifo.is_empty() { "" } else { " before `.fifo`" }
                            )),
                        );
                    }
                }
                queue_order.push((queue.clone(), qpath, offset, len, line));
                queues.push(queue);
            }

            workers.insert(
                worker.to_string(),
                Worker {
                    memory,
                    timeout,
                    concurrency,
                    tries,
                    backoff,
                    visibility_timeout,
                    queues,
                },
            );
        }

        // Queue names whose logical ids would collide (`mail-sender` / `mail_sender`, `orders` /
        // `orders.fifo`), including with the `…DeadLetter` and `…Mapping` ids of another queue.
        for (queue, qpath, offset, len, line) in &queue_order {
            let logical = logical_key(queue);
            let clash = queue_keys.get(&logical).cloned().or_else(|| {
                ["deadletter", "mapping"].iter().find_map(|suffix| {
                    logical
                        .strip_suffix(suffix)
                        .and_then(|base| queue_keys.get(base).cloned())
                })
            });
            if let Some((first, first_line)) = clash {
                self.at(
                    *offset,
                    *len,
                    qpath,
                    &format!("queue names `{first}` (line {first_line}) and `{queue}` would collide as CloudFormation logical ids (letters and digits only)"),
                    Some("rename one of them".into()),
                );
            } else {
                queue_keys.insert(logical, (queue.clone(), *line));
            }
        }
        workers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

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

    fn ok(text: &str) -> Manifest {
        match parse(".hover/dev.yml", text) {
            Ok(m) => m,
            Err(e) => panic!("{}", e.to_text()),
        }
    }

    fn minimal(extra: &str) -> Manifest {
        ok(&format!("name: app\nregion: eu-west-1\n{extra}"))
    }

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

    fn problems(text: &str) -> Vec<String> {
        match parse(".hover/dev.yml", text) {
            Ok(_) => vec![],
            Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn empty_vpc_lists_mean_no_vpc_as_in_the_original() {
        let m = minimal("vpc:\n  subnets: []\n  security-groups: []\n");
        assert_eq!(m.vpc, None);
        let p = problems("name: shop\nregion: us-east-1\nvpc:\n  subnets: []\n  security-groups: [sg-0123456789abcdef0]\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("vpc.subnets: must not be empty"), "{}", p[0]);
    }

    #[test]
    fn zero_concurrency_means_no_reservation_as_in_the_original() {
        let m = minimal("http:\n  concurrency: 0\ncli:\n  concurrency: 0\nqueue:\n  default:\n    concurrency: 0\n");
        assert_eq!(m.http.concurrency, None);
        assert_eq!(m.cli.concurrency, None);
        assert_eq!(m.queue["default"].concurrency, None);
        assert_eq!(
            minimal("http:\n  concurrency: 3\n").http.concurrency,
            Some(3)
        );
    }

    #[test]
    fn zeros_the_original_read_as_lambda_defaults_are_located_errors_saying_what_changed() {
        let p = problems("name: shop\nregion: us-east-1\nhttp:\n  memory: 0\n  timeout: 0\ncli:\n  timeout: 0\nqueue:\n  default:\n    tries: 0\n");
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].starts_with(".hover/dev.yml:4:11: http.memory: `0` meant Lambda's default of 128 MB in the original Hover"), "{}", p[0]);
        assert!(
            p[0].contains("help: write `memory: 128` to keep what runs now"),
            "{}",
            p[0]
        );
        assert!(p[1].starts_with(".hover/dev.yml:5:12: http.timeout: `0` meant Lambda's default timeout of 3 seconds"), "{}", p[1]);
        assert!(
            p[2].starts_with(".hover/dev.yml:7:12: cli.timeout:"),
            "{}",
            p[2]
        );
        assert!(
            p[3].starts_with(
                ".hover/dev.yml:10:12: queue.default.tries: `0` meant unlimited retries"
            ),
            "{}",
            p[3]
        );
    }

    #[test]
    fn environment_keys_lambda_refuses_or_hover_sets_are_located_errors() {
        let p = problems("name: shop\nregion: us-east-1\nenvironment:\n  AWS_REGION: eu-west-1\n  AWS_SECRET_ACCESS_KEY: x\n  AWS_LAMBDA_FUNCTION_NAME: f\n  SQS_PREFIX: y\n  AWS_BUCKET: ok\n");
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(
            p[0].starts_with(
                ".hover/dev.yml:4:3: environment.AWS_REGION: `AWS_REGION` is reserved by Lambda"
            ),
            "{}",
            p[0]
        );
        assert!(p[1].contains("execution role"), "{}", p[1]);
        assert!(p[2].contains("AWS_LAMBDA_FUNCTION_NAME"), "{}", p[2]);
        assert!(p[3].contains("`SQS_PREFIX` is set by hover"), "{}", p[3]);
    }

    #[test]
    fn environment_over_lambdas_4_kb_is_a_located_error() {
        let big = "x".repeat(1000);
        let text = format!("name: shop\nregion: us-east-1\nenvironment:\n  A: {big}\n  B: {big}\n  C: {big}\n  D: {big}\n");
        let p = problems(&text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(
                ".hover/dev.yml:3:1: environment: the functions' variables would take"
            ),
            "{}",
            p[0]
        );
        assert!(p[0].contains("Lambda allows 4096"), "{}", p[0]);
        // Just under the limit with hover's own variables: accepted.
        let fits = format!(
            "name: shop\nregion: us-east-1\nenvironment:\n  A: {}\n",
            "x".repeat(3700)
        );
        assert!(problems(&fits).is_empty());
    }

    #[test]
    fn a_secret_looking_variable_is_a_located_warning_pointing_at_hover_secret() {
        let m = minimal("environment:\n  APP_ENV: dev\n  DB_PASSWORD: hunter2\n  SESSION_DRIVER: cookie\n  STRIPE_KEY: sk\n");
        let w: Vec<String> = m.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with(
                ".hover/dev.yml:5:3: environment.DB_PASSWORD: `DB_PASSWORD` looks like a secret"
            ),
            "{}",
            w[0]
        );
        assert!(
            w[0].contains("hover secret encrypt --stage dev"),
            "{}",
            w[0]
        );
        assert!(w[1].contains("STRIPE_KEY"), "{}", w[1]);
        assert_eq!(m.environment["DB_PASSWORD"], "hunter2");
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

    const CERT: &str =
        "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";

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

    #[test]
    fn backoff_forms() {
        let backoff = |v: &str| {
            minimal(&format!("queue:\n  w:\n    backoff: {v}\n")).queue["w"]
                .backoff
                .clone()
        };
        assert_eq!(backoff("\"5, 10\""), vec![5, 10]);
        assert_eq!(backoff("5,10,30"), vec![5, 10, 30]);
        assert_eq!(backoff("7"), vec![7]);
        assert_eq!(backoff("\"1\""), vec![1]);
        assert_eq!(backoff("[1, 2, 3]"), vec![1, 2, 3]);
        assert_eq!(backoff("\"\""), Vec::<u32>::new());
        assert_eq!(backoff("0"), vec![0]);
    }

    #[test]
    fn environment_values_are_stringified() {
        let m = minimal(
            "environment:\n  APP_DEBUG: true\n  PORT: 8080\n  RATIO: 1.50\n  NAME: \"x: y\"\n  EMPTY:\n  HEX: 0x1F\n",
        );
        let env: Vec<(&str, &str)> = m
            .environment
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            env,
            vec![
                ("APP_DEBUG", "true"),
                ("EMPTY", ""),
                ("HEX", "0x1F"),
                ("NAME", "x: y"),
                ("PORT", "8080"),
                ("RATIO", "1.50"),
            ]
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

    #[test]
    fn all_problems_are_collected_in_order() {
        let err = parse(
            "dev.yml",
            "name: App\nregion: us-est-1\nhttp:\n  memroy: 1\ncli:\n  timeout: 0\n",
        )
        .expect_err("invalid");
        let got: Vec<(usize, &str)> = err
            .problems()
            .iter()
            .map(|p| (p.line(), p.path()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "name"),
                (2, "region"),
                (4, "http.memroy"),
                (6, "cli.timeout")
            ]
        );
    }

    #[test]
    fn load_reads_yml_and_yaml_and_lists_stages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hover = dir.path().join(".hover");
        std::fs::create_dir(&hover).expect("mkdir");
        std::fs::write(hover.join("dev.yml"), "name: app-dev\nregion: us-east-1\n").expect("write");
        std::fs::write(
            hover.join("prod.yaml"),
            "name: app-prod\nregion: us-east-1\n",
        )
        .expect("write");
        std::fs::write(hover.join("dev-secrets.env"), "x").expect("write");
        assert_eq!(load(dir.path(), "dev").expect("dev").name, "app-dev");
        assert_eq!(load(dir.path(), "prod").expect("prod").name, "app-prod");
        match load(dir.path(), "staging") {
            Err(ManifestError::NotFound { path, stages }) => {
                assert!(path.ends_with(".hover/staging.yml"));
                assert_eq!(stages, vec!["dev", "prod"]);
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert!(matches!(
            load(dir.path(), "../dev"),
            Err(ManifestError::BadStageName { .. })
        ));
        std::fs::write(hover.join("dev.yaml"), "name: x\n").expect("write");
        assert!(matches!(
            load(dir.path(), "dev"),
            Err(ManifestError::Ambiguous { .. })
        ));
    }
}
