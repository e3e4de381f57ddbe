//! `environment`: variable names Lambda or hover reserve, secret-looking values (warned about),
//! Lambda's 4 KB limit on a function's variables, and the values diagnostics must never show.

use super::check::{join, Checker, Finding};
use super::yaml::{Kind, Node};
use super::{defaults, Worker};
use std::collections::BTreeMap;

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
fn reserved_variable(name: &str) -> Option<Finding> {
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
    Some(Finding::new(
        format!("`{name}` is reserved by Lambda: a function that sets it is refused"),
        Some(help.to_string()),
    ))
}

/// The values of secret-looking environment keys (and of values that embed credentials), which
/// diagnostics must never show.
pub(super) fn secret_values(root: Option<&Node>, text: &str) -> Vec<String> {
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

impl Checker<'_> {
    pub(super) fn environment(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let help = "write one `NAME: value` per line";
        let entries = self.entries(node, "environment", "expected a mapping", help);
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
            if let Some(finding) = reserved_variable(name) {
                self.refuse(key, &path, finding);
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
    pub(super) fn environment_size(
        &mut self,
        key: &Node,
        env: &BTreeMap<String, String>,
        name: &str,
        region: &str,
        workers: &BTreeMap<String, Worker>,
    ) {
        let own: usize = env.iter().map(|(k, v)| k.len() + v.len()).sum();
        let suffix = crate::model::Partition::of(region).url_suffix();
        let sqs_prefix = format!("https://sqs.{region}.{suffix}/123456789012");
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
}

#[cfg(test)]
mod tests {
    use super::super::testing::{minimal, problems};
    use pretty_assertions::assert_eq;

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
}
