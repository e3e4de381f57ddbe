//! Builders shared by the tests of real SDK clients whose responses are mocked
//! (`aws-smithy-mocks`): one service client answering from rules, and the stage's [`Clients`]
//! assembled from the rules of each service.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::retry::RetryConfig;
use hover::live::Clients;
use std::time::Duration;

/// A service client of crate `$krate` in `$region`, answering from `$rules` (first matching rule
/// wins) and retrying per `$retry`. With no rules, calls reach the HTTP client `$http` (the mock
/// one fails them).
macro_rules! client {
    ($krate:ident, $rules:expr, $http:expr, $region:expr, $retry:expr) => {{
        let rules: &[Rule] = &$rules;
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules.iter() {
            interceptor = interceptor.with_rule(rule);
        }
        if rules.is_empty() {
            interceptor = interceptor.allow_passthrough();
        }
        $krate::Client::from_conf(
            $krate::Config::builder()
                .behavior_version($krate::config::BehaviorVersion::latest())
                .region($krate::config::Region::new($region.to_string()))
                .credentials_provider($krate::config::Credentials::new(
                    "AKIDTEST", "secret", None, None, "test",
                ))
                .http_client($http)
                .interceptor(interceptor)
                .retry_config($retry.clone())
                .build(),
        )
    }};
}

/// Rules per service, for [`Mocks::clients`].
#[derive(Default)]
pub struct Mocks {
    pub cloudformation: Vec<Rule>,
    pub lambda: Vec<Rule>,
    pub sqs: Vec<Rule>,
    pub eventbridge: Vec<Rule>,
    pub iam: Vec<Rule>,
    pub apigatewayv2: Vec<Rule>,
    pub cloudfront: Vec<Rule>,
    pub logs: Vec<Rule>,
    pub ecr: Vec<Rule>,
    pub kms: Vec<Rule>,
    pub s3: Vec<Rule>,
    pub sts: Vec<Rule>,
    /// HTTP client for the SQS service instead of the mock one (a concurrency test).
    pub sqs_http: Option<SharedHttpClient>,
}

/// Retries as production does (standard mode) but with a negligible backoff.
pub fn quick_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

impl Mocks {
    /// The stage's clients in `region`, each answering from its service's rules.
    pub fn clients(self, region: &str, retry: RetryConfig) -> Clients {
        let http = create_mock_http_client;
        Clients {
            cloudformation: client!(
                aws_sdk_cloudformation,
                self.cloudformation,
                http(),
                region,
                retry
            ),
            lambda: client!(aws_sdk_lambda, self.lambda, http(), region, retry),
            sqs: client!(
                aws_sdk_sqs,
                self.sqs,
                self.sqs_http.clone().unwrap_or_else(http),
                region,
                retry
            ),
            eventbridge: client!(aws_sdk_eventbridge, self.eventbridge, http(), region, retry),
            iam: client!(aws_sdk_iam, self.iam, http(), region, retry),
            apigatewayv2: client!(
                aws_sdk_apigatewayv2,
                self.apigatewayv2,
                http(),
                region,
                retry
            ),
            cloudfront: client!(aws_sdk_cloudfront, self.cloudfront, http(), region, retry),
            logs: client!(aws_sdk_cloudwatchlogs, self.logs, http(), region, retry),
            ecr: client!(aws_sdk_ecr, self.ecr, http(), region, retry),
            kms: client!(aws_sdk_kms, self.kms, http(), region, retry),
            s3: client!(aws_sdk_s3, self.s3, http(), region, retry),
            sts: client!(aws_sdk_sts, self.sts, http(), region, retry),
        }
    }
}
