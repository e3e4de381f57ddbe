//! The SDK side of a stage: its clients, built once from one config (the manifest's region and
//! profile, one shared HTTP client, the standard retries), the profile-file check behind a named
//! profile, and the notes on what of the environment hover ignores.

use super::LiveError;
use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_types::region::Region;
use aws_types::SdkConfig;

/// Attempts per call (the first one included) before a throttled or failing call is reported.
pub const MAX_ATTEMPTS: u32 = 6;

/// The SDK clients for one stage, built once from one [`SdkConfig`] (one account, one region).
/// Fields are public so tests can assemble it from mocked clients.
#[derive(Clone, Debug)]
pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub iam: aws_sdk_iam::Client,
    pub apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub kms: aws_sdk_kms::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
}

impl Clients {
    /// Builds every client from one config. S3 uses path-style addressing when an endpoint URL is
    /// configured (emulators do not resolve `<bucket>.<host>`).
    pub fn new(config: &SdkConfig) -> Self {
        let custom_s3_endpoint = config.endpoint_url().is_some()
            || std::env::var("AWS_ENDPOINT_URL_S3").is_ok_and(|v| !v.is_empty());
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(custom_s3_endpoint)
            .build();
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            eventbridge: aws_sdk_eventbridge::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            apigatewayv2: aws_sdk_apigatewayv2::Client::new(config),
            cloudfront: aws_sdk_cloudfront::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sts: aws_sdk_sts::Client::new(config),
        }
    }

    /// The region the clients talk to (taken from the S3 client's config).
    pub fn region(&self) -> Option<String> {
        self.s3.config().region().map(|r| r.as_ref().to_owned())
    }
}

/// Loads the SDK config of a stage. The region is the manifest's, always, for every client (an
/// `AWS_REGION` that disagrees is ignored and said, see [`environment_notes`]). A profile the
/// manifest names must exist, and its credentials are used even when environment credentials or
/// `AWS_PROFILE` are set; without one, the standard AWS environment decides. `AWS_ENDPOINT_URL` is
/// honoured as the SDK always does. Calls use the standard retry mode with [`MAX_ATTEMPTS`]
/// attempts, so throttling is retried with backoff.
pub async fn load_config(profile: Option<&str>, region: &str) -> Result<SdkConfig, LiveError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(shared_http_client())
        .region(Region::new(region.to_owned()))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = profile.filter(|p| !p.is_empty()) {
        let searched = profile_files();
        if !profile_defined(profile, &searched) {
            return Err(LiveError::ProfileMissing {
                profile: profile.to_string(),
                searched: searched
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and "),
            });
        }
        loader = loader.profile_name(profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build(),
        );
    }
    Ok(loader.load().await)
}

/// One HTTP client for every SDK client of a stage: the SDK's default (hyper 1, rustls with
/// aws-lc, the platform's root certificates, proxies from the environment), built once, so root
/// certificates are loaded once and connections are pooled across services, where each service
/// client would otherwise build its own.
fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// What of the environment hover ignores for a stage, each said once: a region other than the
/// manifest's, and, when the manifest names a profile, another `AWS_PROFILE` or environment
/// credentials.
pub fn environment_notes(profile: Option<&str>, region: &str) -> Vec<String> {
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let mut notes = Vec::new();
    for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(v) = env(name).filter(|v| v != region) {
            notes.push(format!(
                "{name}={v} is ignored: the stage lives in {region} (its manifest's `region`), and every call and name uses it"
            ));
            break;
        }
    }
    if let Some(profile) = profile.filter(|p| !p.is_empty()) {
        if let Some(v) = env("AWS_PROFILE").filter(|v| v != profile) {
            notes.push(format!(
                "AWS_PROFILE={v} is ignored: the stage names the profile `{profile}` (its manifest's `aws-profile`)"
            ));
        }
        if env("AWS_ACCESS_KEY_ID").is_some() {
            notes.push(format!(
                "the credentials in the environment (AWS_ACCESS_KEY_ID) are ignored: the stage names the profile `{profile}`"
            ));
        }
    }
    notes
}

/// The shared config and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, or
/// their defaults under `~/.aws`), each with whether it is the config file.
fn profile_files() -> Vec<(std::path::PathBuf, bool)> {
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let pick = |var: &str, default: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(default))
    };
    vec![
        (pick("AWS_CONFIG_FILE", "config"), true),
        (pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false),
    ]
}

/// Whether `profile` has a section in one of `files`: `[profile NAME]` (or `[default]`) in the
/// config file, `[NAME]` in the credentials file.
fn profile_defined(profile: &str, files: &[(std::path::PathBuf, bool)]) -> bool {
    files.iter().any(|(path, is_config)| {
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        text.lines().any(|line| {
            let Some(inner) = line
                .trim()
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
            else {
                return false;
            };
            let words: Vec<&str> = inner.split_whitespace().collect();
            match (is_config, words.as_slice()) {
                (true, ["profile", name]) => *name == profile,
                (true, [name]) => *name == "default" && profile == "default",
                (false, [name]) => *name == profile,
                _ => false,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::profile_defined;

    #[test]
    fn profiles_are_found_in_either_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let creds = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = x\n[profile  shop-prod ]\nregion = y\n[sso-session s]\n",
        )
        .unwrap();
        std::fs::write(&creds, "[ci]\naws_access_key_id = a\n").unwrap();
        let files = vec![(config, true), (creds, false)];
        assert!(profile_defined("shop-prod", &files));
        assert!(profile_defined("default", &files));
        assert!(profile_defined("ci", &files));
        assert!(
            !profile_defined("s", &files),
            "an sso-session is not a profile"
        );
        assert!(!profile_defined("shop", &files));
        assert!(
            !profile_defined("ci", &files[..1]),
            "[ci] in the config file is not `profile ci`"
        );
        assert!(!profile_defined("x", &[(dir.path().join("none"), true)]));
    }
}
