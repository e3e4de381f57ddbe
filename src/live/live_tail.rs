//! CloudWatch Logs Live Tail sessions (StartLiveTail) as plain data: what `hover logs --follow`
//! streams once the history is out. SDK types stop here.
//!
//! StartLiveTail is sent to the host `stream-logs.<region>.amazonaws.com` (the SDK puts the
//! `stream-` prefix before the endpoint's host). An endpoint URL configured for an emulator
//! (`http://127.0.0.1:4566`, `http://localhost:4566`) has no such name: for a custom endpoint
//! whose host is an IP address or `localhost` the prefix is dropped ([`LocalEndpoint`]); every
//! other endpoint, AWS's own above all, keeps it.

use super::error::aws_error;
use super::log_events::LogEvent;
use super::quota::acquire;
use super::{Clients, LiveError};
use aws_sdk_cloudwatchlogs::error::SdkError;
use aws_sdk_cloudwatchlogs::types::error::StartLiveTailResponseStreamError;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

const SERVICE: &str = "logs";

/// The most log groups one session may watch (CloudWatch's limit).
pub const MAX_GROUPS: usize = 10;

/// What one session watches: log groups by name with their index in the caller's list (the
/// `source` of the events), matching `pattern` when given. `arn_prefix` is
/// `arn:<partition>:logs:<region>:<account>:log-group:`, the groups' ARNs without their names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailQuery {
    pub groups: Vec<(usize, String)>,
    pub arn_prefix: String,
    pub pattern: Option<String>,
}

/// What a session gives, in order: that it started, then an update about every second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TailItem {
    /// The session is open: every line ingested from now on comes through it.
    Started,
    /// The lines ingested since the previous update (Live Tail has no event ids: `event_id` is
    /// empty). `sampled`: CloudWatch had more than 500 lines for this second and dropped some.
    Update {
        sampled: bool,
        events: Vec<LogEvent>,
    },
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TailEnd {
    /// It ran its course: CloudWatch's three hours (SessionTimeoutException) or a stream that
    /// closed without an error. A new session carries on.
    Expired,
    /// Any other error, with what was said.
    Failed(String),
}

/// One open Live Tail session.
pub struct TailSession {
    out: aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailOutput,
    groups: Vec<(usize, String)>,
}

impl std::fmt::Debug for TailSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TailSession")
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// Starts a session, after a token of `logs:StartLiveTail`. Its refusal (the operation unknown to
/// the endpoint, access denied, a log group that does not exist, a pattern it rejects) is the
/// error, with CloudWatch's code.
pub async fn start(clients: &Clients, query: &TailQuery) -> Result<TailSession, LiveError> {
    acquire(SERVICE, "StartLiveTail").await;
    let arns = query
        .groups
        .iter()
        .map(|(_, name)| format!("{}{name}", query.arn_prefix))
        .collect::<Vec<_>>();
    let resource = query
        .groups
        .iter()
        .map(|(_, name)| name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let out = clients
        .logs
        .start_live_tail()
        .set_log_group_identifiers(Some(arns))
        .set_log_event_filter_pattern(query.pattern.clone())
        .customize()
        .interceptor(LocalEndpoint)
        .send()
        .await
        .map_err(|e| aws_error(SERVICE, "StartLiveTail", resource, e))?;
    Ok(TailSession {
        out,
        groups: query.groups.clone(),
    })
}

impl TailSession {
    /// The session's next message; its end as [`TailEnd`].
    pub async fn next(&mut self) -> Result<TailItem, TailEnd> {
        loop {
            let item = match self.out.response_stream.recv().await {
                Ok(Some(item)) => item,
                Ok(None) => return Err(TailEnd::Expired),
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        StartLiveTailResponseStreamError::SessionTimeoutException(_)
                    ) =>
                {
                    return Err(TailEnd::Expired)
                }
                Err(e) => {
                    let said = aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e);
                    return Err(TailEnd::Failed(said.to_string()));
                }
            };
            match item {
                StartLiveTailResponseStream::SessionStart(_) => return Ok(TailItem::Started),
                StartLiveTailResponseStream::SessionUpdate(update) => {
                    let sampled = update.session_metadata().is_some_and(|m| m.sampled());
                    let events = update
                        .session_results()
                        .iter()
                        .filter_map(|e| {
                            let source = source_of(&self.groups, e.log_group_identifier()?)?;
                            Some(LogEvent {
                                source,
                                stream: e.log_stream_name().unwrap_or_default().to_owned(),
                                timestamp: e.timestamp().unwrap_or_default(),
                                ingestion_time: e.ingestion_time().unwrap_or_default(),
                                message: e.message().unwrap_or_default().to_owned(),
                                event_id: String::new(),
                            })
                        })
                        .collect();
                    return Ok(TailItem::Update { sampled, events });
                }
                _ => continue,
            }
        }
    }
}

/// The source of a Live Tail event's log group: CloudWatch names it by ARN, by
/// `<account>:<name>` or by name.
pub fn source_of(groups: &[(usize, String)], identifier: &str) -> Option<usize> {
    groups
        .iter()
        .find(|(_, name)| {
            identifier == name
                || identifier
                    .strip_suffix(name.as_str())
                    .is_some_and(|head| head.ends_with(':'))
        })
        .map(|(source, _)| *source)
}

/// `arn:<partition>:logs:<region>:<account>:log-group:` for the region and account.
pub fn arn_prefix(region: &str, account: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!("arn:{partition}:logs:{region}:{account}:log-group:")
}

/// Drops StartLiveTail's `stream-` host prefix when the configured endpoint URL's host is an IP
/// address or `localhost` (an emulator: `stream-127.0.0.1` resolves nowhere). Runs before each
/// attempt, after the operation has stored the prefix and before the endpoint is applied.
#[derive(Debug)]
struct LocalEndpoint;

impl Intercept for LocalEndpoint {
    fn name(&self) -> &'static str {
        "LocalEndpoint"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let local = cfg
            .load::<aws_types::endpoint_config::EndpointUrl>()
            .is_some_and(|url| is_local_endpoint(&url.0));
        if local {
            cfg.interceptor_state().unset::<EndpointPrefix>();
        }
        Ok(())
    }
}

/// Whether an endpoint URL's host is an IP address or `localhost`.
pub fn is_local_endpoint(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_emulator_endpoints_lose_the_stream_prefix() {
        for local in [
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "http://LOCALHOST",
            "https://[::1]:4566/x",
            "http://user@10.0.0.5:80",
        ] {
            assert!(is_local_endpoint(local), "{local}");
        }
        for remote in [
            "https://logs.us-east-1.amazonaws.com",
            "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com",
            "http://localhost.example.com:4566",
            "http://emulator:4566",
        ] {
            assert!(!is_local_endpoint(remote), "{remote}");
        }
    }

    /// An HTTP client that records the URI of the request and answers 500.
    #[derive(Clone, Debug, Default)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl aws_smithy_runtime_api::client::http::HttpConnector for Capture {
        fn call(
            &self,
            request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
        ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
            self.0.lock().unwrap().push(request.uri().to_string());
            let response = aws_smithy_runtime_api::http::Response::new(
                500u16.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::empty(),
            );
            aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Ok(response))
        }
    }

    impl aws_smithy_runtime_api::client::http::HttpClient for Capture {
        fn http_connector(
            &self,
            _: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
            aws_smithy_runtime_api::client::http::SharedHttpConnector::new(self.clone())
        }
    }

    /// The URI [`start`] sends StartLiveTail to with this endpoint URL (none: AWS's own).
    async fn sent_to(endpoint: Option<&str>) -> String {
        use aws_sdk_cloudwatchlogs::config::{
            BehaviorVersion, Credentials, Region, SharedCredentialsProvider,
        };
        let capture = Capture::default();
        let mut config = aws_types::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "a", "b", None, None, "test",
            )))
            .retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
            .http_client(capture.clone());
        if let Some(url) = endpoint {
            config = config.endpoint_url(url);
        }
        let query = TailQuery {
            groups: vec![(0, "g".into())],
            arn_prefix: arn_prefix("eu-west-1", "1"),
            pattern: None,
        };
        let started = start(&Clients::new(&config.build()), &query).await;
        assert!(started.is_err(), "the capture answers 500");
        let uris = capture.0.lock().unwrap().clone();
        uris.first().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn the_stream_prefix_is_dropped_for_an_emulator_and_kept_on_aws() {
        assert_eq!(
            sent_to(Some("http://127.0.0.1:4566")).await,
            "http://127.0.0.1:4566/"
        );
        assert_eq!(
            sent_to(Some("http://localhost:4566")).await,
            "http://localhost:4566/"
        );
        assert_eq!(
            sent_to(None).await,
            "https://stream-logs.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            sent_to(Some("https://logs.example.com")).await,
            "https://stream-logs.example.com/"
        );
    }

    #[test]
    fn events_find_their_group_by_arn_account_and_name_or_name() {
        let groups = vec![
            (0, "/aws/lambda/app-http".to_owned()),
            (2, "/aws/lambda/app-http-x".to_owned()),
        ];
        let arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/app-http";
        assert_eq!(source_of(&groups, arn), Some(0));
        assert_eq!(
            source_of(&groups, "123456789012:/aws/lambda/app-http-x"),
            Some(2)
        );
        assert_eq!(source_of(&groups, "/aws/lambda/app-http"), Some(0));
        assert_eq!(source_of(&groups, "/aws/lambda/app-cli"), None);
        assert_eq!(source_of(&groups, "x/aws/lambda/app-http"), None);
    }

    #[test]
    fn arns_name_the_partition_of_the_region() {
        assert_eq!(
            arn_prefix("eu-west-1", "1"),
            "arn:aws:logs:eu-west-1:1:log-group:"
        );
        assert!(arn_prefix("cn-north-1", "1").starts_with("arn:aws-cn:"));
        assert!(arn_prefix("us-gov-west-1", "1").starts_with("arn:aws-us-gov:"));
    }
}
