//! Errors of the live layer and the small predicates that classify SDK errors (not found,
//! throttling, credentials), so readers can turn "it does not exist" into absence.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A failure to read the stage from AWS. Every variant names the service (its IAM prefix, e.g.
/// `lambda`), the API operation and the resource it was reading, so the message alone says which
/// call failed and on what.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LiveError {
    /// AWS (or the connection to it) refused the call. `code` and `message` are AWS's own.
    #[error("{service}:{operation} failed for {resource}: {detail}")]
    #[diagnostic(code(hover::live::aws))]
    Aws {
        service: &'static str,
        operation: &'static str,
        resource: String,
        /// AWS's error code (`AccessDeniedException`, `ThrottlingException`, ...), when it sent one.
        code: Option<String>,
        /// AWS's message, or the transport error when no response came back.
        message: String,
        /// `code: message`, as displayed.
        detail: String,
        #[help]
        help: Option<String>,
    },
    /// The manifest names a profile that no shared config file defines.
    #[error("the profile `{profile}` named by the stage's `aws-profile` does not exist (looked in {searched})")]
    #[diagnostic(
        code(hover::live::profile_missing),
        help("add it (`aws configure --profile {profile}`), or fix `aws-profile` in the stage file; hover never falls back to other credentials for a stage that names its profile")
    )]
    ProfileMissing { profile: String, searched: String },
    /// The call succeeded but its answer lacks something every valid answer has.
    #[error("{service}:{operation} for {resource} answered without {missing}")]
    #[diagnostic(code(hover::live::incomplete_response))]
    Incomplete {
        service: &'static str,
        operation: &'static str,
        resource: String,
        missing: &'static str,
    },
}

impl LiveError {
    /// AWS's error code, when the failure came from AWS.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            LiveError::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The `service:Operation` that failed.
    pub fn operation(&self) -> Option<String> {
        match self {
            LiveError::Aws {
                service, operation, ..
            }
            | LiveError::Incomplete {
                service, operation, ..
            } => Some(format!("{service}:{operation}")),
            LiveError::ProfileMissing { .. } => None,
        }
    }
}

/// Error codes AWS services use for "the thing you asked about does not exist".
const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NotFoundException",
    "NotFound",
    "NoSuchEntity",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "NoSuchDistribution",
    "NoSuchOriginAccessControl",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "RepositoryNotFoundException",
];

/// Error codes for throttling, across services and protocols.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Error codes that mean the credentials are missing, wrong, expired or not allowed.
const CREDENTIALS_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
    "AuthFailure",
    "IncompleteSignature",
];

/// Error codes for "not allowed".
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
];

fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

fn code_in<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>, codes: &[&str]) -> bool {
    err.code().is_some_and(|c| codes.contains(&c))
}

/// Whether the error says the resource does not exist (any service's not-found code, or an
/// HTTP 404 without a body, as S3's HeadBucket answers).
pub fn is_not_found<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    code_in(err, NOT_FOUND_CODES) || (err.code().is_none() && status(err) == Some(404))
}

/// Whether the error is throttling (the SDK retried it and gave up).
pub fn is_throttling<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    code_in(err, THROTTLING_CODES) || status(err) == Some(429)
}

/// Whether the error is an access denial for otherwise valid credentials.
pub fn is_access_denied<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    code_in(err, ACCESS_DENIED_CODES)
}

/// Whether the error is CloudFormation's "Stack with id X does not exist" (a `ValidationError`).
pub fn is_stack_missing<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.code() == Some("ValidationError")
        && err.message().is_some_and(|m| m.contains("does not exist"))
}

/// Whether the error is a credentials problem (missing, invalid or expired), judged by AWS's code
/// or, when no answer came back, by the SDK's own explanation.
pub fn is_credentials_problem<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if code_in(err, CREDENTIALS_CODES) {
        return true;
    }
    match err {
        SdkError::ConstructionFailure(_) | SdkError::DispatchFailure(_) => {
            let text = DisplayErrorContext(err).to_string().to_lowercase();
            text.contains("credential") || text.contains("identity")
        }
        _ => false,
    }
}

/// Turns an SDK error into a [`LiveError::Aws`] naming the call and the resource, with a help line
/// when the cause is one the user can fix (credentials, region, permissions, throttling).
pub fn aws_error<E>(
    service: &'static str,
    operation: &'static str,
    resource: impl Into<String>,
    err: SdkError<E, HttpResponse>,
) -> LiveError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().map(str::to_owned);
    let message = match (&err, err.message()) {
        (SdkError::ServiceError(_), Some(m)) => m.to_owned(),
        _ => DisplayErrorContext(&err).to_string(),
    };
    let help = if is_credentials_problem(&err) {
        Some(
            "AWS did not accept the credentials: check AWS_PROFILE (or the manifest's profile), \
             refresh an SSO session with `aws sso login`, or set AWS_ACCESS_KEY_ID / \
             AWS_SECRET_ACCESS_KEY"
                .to_owned(),
        )
    } else if is_access_denied(&err) {
        Some(format!(
            "the credentials in use are not allowed to call {service}:{operation}; grant it or use \
             another profile"
        ))
    } else if is_throttling(&err) {
        Some("AWS kept throttling after several retries; wait a little and run again".to_owned())
    } else {
        match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Some(
                "AWS could not be reached: check the region (AWS_REGION or the manifest) and \
                 AWS_ENDPOINT_URL, and the network"
                    .to_owned(),
            ),
            SdkError::ConstructionFailure(_) => {
                let text = message.to_lowercase();
                if text.contains("region") || text.contains("endpoint") {
                    Some(
                        "no usable region or endpoint: set the region in the manifest or \
                         AWS_REGION"
                            .to_owned(),
                    )
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    let detail = match &code {
        Some(code) => format!("{code}: {message}"),
        None => message.clone(),
    };
    LiveError::Aws {
        service,
        operation,
        resource: resource.into(),
        code,
        message,
        detail,
        help,
    }
}
