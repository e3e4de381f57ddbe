//! The request-rate quotas of every AWS API hover calls (as AWS publishes them, or hover's own
//! conservative limit where AWS publishes none), and the token-bucket limiters, one per quota
//! family, that keep hover's own calls within them.
//!
//! AWS counts calls per account and region in token buckets: a family's bucket holds up to
//! `burst` calls and refills at `per_second`. Several operations may share one bucket (Lambda's
//! control plane: every operation but invocation, `GetFunction` and `GetPolicy` shares 15 calls a
//! second). [`acquire`] waits until the family of an operation has a token, so hover alone never
//! exceeds a quota; throttling that other clients of the account cause is left to the SDK's retries
//! (standard mode, see [`super::MAX_ATTEMPTS`]).
//!
//! hover keeps a little below each quota, so that the delay of the network between hover and AWS
//! cannot make calls that left in time arrive too close together: its bucket holds [`SPARE`]
//! calls fewer than AWS's (at least one) and refills at [`MARGIN`] of the rate. `HOVER_API_RATE_SHARE` (a
//! number in `(0, 1]`, default 1) scales every quota down, for accounts whose quotas other tools
//! use at the same time.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where a family's figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// AWS publishes this rate: the documentation page (URL) and the entry that states it.
    Published {
        page: &'static str,
        entry: &'static str,
    },
    /// No published rate for these operations was confirmed on the page that lists the service's
    /// quotas (most such pages say nothing of them): hover's own conservative limit.
    Unpublished { page: &'static str },
}

/// One token bucket of AWS's (per account and region), shared by the operations that name it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Family {
    /// `service:Name`, e.g. `lambda:control-plane`.
    pub name: &'static str,
    /// Sustained rate, calls per second.
    pub per_second: f64,
    /// Calls that may be made at once from a full bucket. AWS states a burst for few APIs; where
    /// it states none, one second's worth of calls.
    pub burst: f64,
    pub source: Source,
}

/// One operation hover calls, by its IAM service prefix (the SigV4 signing name) and API name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub service: &'static str,
    pub operation: &'static str,
    /// The [`Family`] whose bucket the operation draws from.
    pub family: &'static str,
}

/// The share of the rate hover allows itself, so that network jitter cannot push calls over.
pub const MARGIN: f64 = 0.9;

/// How many calls fewer than AWS's bucket hover's bucket holds (it always holds at least one).
pub const SPARE: f64 = 2.0;

/// "Lambda quotas" (Lambda Developer Guide), "Lambda API requests".
const LAMBDA: &str = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
/// "CloudWatch Logs quotas" (Amazon CloudWatch Logs User Guide).
const LOGS: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html";
/// "Amazon EventBridge quotas" (EventBridge User Guide).
const EVENTS: &str = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html";
/// "Amazon API Gateway quotas" (API Gateway Developer Guide), "API Gateway quotas for creating,
/// deploying and managing an API".
const APIGW: &str = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html";
/// "Request quotas for each AWS KMS API operation" (AWS KMS Developer Guide).
const KMS: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html";
/// "Best practices design patterns: optimizing Amazon S3 performance" (Amazon S3 User Guide).
const S3: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html";
/// "IAM and AWS STS quotas" (IAM User Guide): IAM and STS throttle with token buckets per API whose
/// sizes AWS does not publish.
const IAM: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
/// "Amazon SQS quotas" (Amazon SQS Developer Guide): no request rate for the actions hover calls.
const SQS: &str =
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-quotas.html";
/// "AWS CloudFormation quotas" (CloudFormation User Guide): stack, resource and output counts only.
const CFN: &str =
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html";
/// "Quotas" (Amazon CloudFront Developer Guide): no control-plane request rate.
const CLOUDFRONT: &str =
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html";
/// "Amazon ECR service quotas" (Amazon ECR User Guide): rates for the image push and pull APIs
/// and `GetAuthorizationToken` only.
const ECR: &str = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html";

const fn published(
    name: &'static str,
    per_second: f64,
    burst: f64,
    page: &'static str,
    entry: &'static str,
) -> Family {
    Family {
        name,
        per_second,
        burst,
        source: Source::Published { page, entry },
    }
}

const fn own(name: &'static str, per_second: f64, burst: f64, page: &'static str) -> Family {
    Family {
        name,
        per_second,
        burst,
        source: Source::Unpublished { page },
    }
}

/// Every quota family, sorted by name, each with the page (URL) its figure comes from.
///
/// hover's own figures: CloudFormation, CloudFront, SQS, IAM and STS publish no request rate for
/// the APIs hover calls (IAM's and STS's buckets exist but their sizes are not published); ECR
/// publishes rates for the image push and pull APIs and `GetAuthorizationToken` only; the KMS and
/// Logs operations marked own are not among the confirmed entries of their pages, so they get the
/// lowest rate those pages give any operation. `lambda:Invoke` scales with the account's
/// concurrency quota, which differs between accounts: hover allows 1,000 a second, so that a
/// warm-up's concurrent pings leave together.
pub const FAMILIES: &[Family] = &[
    published("apigateway:control-plane", 10.0, 40.0, APIGW, "Total operations per account: 10 requests per second, burst 40"),
    own("cloudformation:control-plane", 10.0, 20.0, CFN),
    own("cloudfront:control-plane", 5.0, 10.0, CLOUDFRONT),
    published("ecr:GetAuthorizationToken", 200.0, 200.0, ECR, "Rate of GetAuthorizationToken requests per second, per Region: 200"),
    own("ecr:control-plane", 10.0, 10.0, ECR),
    published("events:control-plane", 50.0, 50.0, EVENTS, "All EventBridge APIs other than PutEvents are limited to 50 requests per second by default"),
    own("iam:control-plane", 10.0, 20.0, IAM),
    published("kms:CreateAlias", 5.0, 5.0, KMS, "CreateAlias: 5 requests per second"),
    published("kms:CreateKey", 5.0, 5.0, KMS, "CreateKey: 5 requests per second"),
    own("kms:DeleteAlias", 5.0, 5.0, KMS),
    published("kms:DescribeKey", 2000.0, 2000.0, KMS, "DescribeKey: 2,000 requests per second"),
    published("kms:EnableKey", 5.0, 5.0, KMS, "EnableKey: 5 requests per second"),
    published("kms:EnableKeyRotation", 5.0, 5.0, KMS, "EnableKeyRotation: 5 requests per second"),
    published("kms:GetKeyRotationStatus", 1000.0, 1000.0, KMS, "GetKeyRotationStatus: 1,000 requests per second"),
    own("kms:ListAliases", 5.0, 5.0, KMS),
    own("kms:ListKeys", 5.0, 5.0, KMS),
    own("kms:ListResourceTags", 5.0, 5.0, KMS),
    own("kms:ScheduleKeyDeletion", 5.0, 5.0, KMS),
    published("kms:UpdateKeyDescription", 5.0, 5.0, KMS, "UpdateKeyDescription: 5 requests per second"),
    published("kms:cryptographic-symmetric", 5500.0, 5500.0, KMS, "Cryptographic operations (symmetric) request rate, shared by Encrypt, Decrypt, GenerateDataKey...: 5,500 requests per second (10,000 or 50,000 in some Regions)"),
    published("lambda:GetFunction", 100.0, 100.0, LAMBDA, "GetFunction API requests: 100 requests per second. Cannot be increased."),
    own("lambda:Invoke", 1000.0, 1000.0, LAMBDA),
    published("lambda:control-plane", 15.0, 15.0, LAMBDA, "Remainder of the control plane API requests (excludes invocation, GetFunction, and GetPolicy requests): 15 requests per second. Cannot be increased."),
    own("logs:DeleteRetentionPolicy", 5.0, 5.0, LOGS),
    published("logs:DescribeLogGroups", 5.0, 5.0, LOGS, "DescribeLogGroups: 5 transactions per second (TPS/account/Region)"),
    published("logs:FilterLogEvents", 5.0, 5.0, LOGS, "FilterLogEvents: 5 transactions per second (TPS)/account/Region"),
    own("logs:PutRetentionPolicy", 5.0, 5.0, LOGS),
    published("logs:StartLiveTail", 5.0, 5.0, LOGS, "StartLiveTail throttle limit in transactions per second: 5 (and Live Tail concurrent sessions limit: 15 per account; log groups scanned per Live Tail session: 10)"),
    published("s3:read", 5500.0, 5500.0, S3, "5,500 GET/HEAD requests per second per partitioned prefix"),
    published("s3:write", 3500.0, 3500.0, S3, "3,500 PUT/COPY/POST/DELETE requests per second per partitioned prefix"),
    own("sqs:control-plane", 100.0, 100.0, SQS),
    published("sqs:messages", 300.0, 300.0, SQS, "FIFO queues: up to 300 transactions per second, per API method (SendMessage, ReceiveMessage, or DeleteMessage)"),
    own("sts:requests", 100.0, 100.0, IAM),
];

const fn op(service: &'static str, operation: &'static str, family: &'static str) -> Operation {
    Operation {
        service,
        operation,
        family,
    }
}

/// Every operation hover calls, sorted by service then operation.
pub const OPERATIONS: &[Operation] = &[
    op("apigateway", "GetApis", "apigateway:control-plane"),
    op("apigateway", "GetIntegrations", "apigateway:control-plane"),
    op("apigateway", "GetRoutes", "apigateway:control-plane"),
    op("apigateway", "GetStages", "apigateway:control-plane"),
    op(
        "cloudformation",
        "CreateChangeSet",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "DeleteChangeSet",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "DeleteStack",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "DescribeChangeSet",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "DescribeStackEvents",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "DescribeStacks",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "ExecuteChangeSet",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "GetTemplate",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "ListChangeSets",
        "cloudformation:control-plane",
    ),
    op(
        "cloudformation",
        "ListStackResources",
        "cloudformation:control-plane",
    ),
    op(
        "cloudfront",
        "GetDistributionConfig",
        "cloudfront:control-plane",
    ),
    op(
        "cloudfront",
        "ListDistributions",
        "cloudfront:control-plane",
    ),
    op(
        "cloudfront",
        "ListOriginAccessControls",
        "cloudfront:control-plane",
    ),
    op(
        "cloudfront",
        "UpdateDistribution",
        "cloudfront:control-plane",
    ),
    op("ecr", "BatchDeleteImage", "ecr:control-plane"),
    op("ecr", "CreateRepository", "ecr:control-plane"),
    op("ecr", "DeleteRepository", "ecr:control-plane"),
    op("ecr", "DescribeImages", "ecr:control-plane"),
    op("ecr", "DescribeRepositories", "ecr:control-plane"),
    op("ecr", "GetAuthorizationToken", "ecr:GetAuthorizationToken"),
    op("ecr", "ListImages", "ecr:control-plane"),
    op("ecr", "PutImageTagMutability", "ecr:control-plane"),
    op("events", "DescribeRule", "events:control-plane"),
    op("events", "ListTargetsByRule", "events:control-plane"),
    op("events", "PutRule", "events:control-plane"),
    op("events", "PutTargets", "events:control-plane"),
    op("iam", "AttachRolePolicy", "iam:control-plane"),
    op("iam", "DeleteRolePolicy", "iam:control-plane"),
    op("iam", "DetachRolePolicy", "iam:control-plane"),
    op("iam", "GetRole", "iam:control-plane"),
    op("iam", "GetRolePolicy", "iam:control-plane"),
    op("iam", "ListAttachedRolePolicies", "iam:control-plane"),
    op("iam", "ListRolePolicies", "iam:control-plane"),
    op("iam", "PutRolePolicy", "iam:control-plane"),
    op("iam", "UpdateAssumeRolePolicy", "iam:control-plane"),
    op("kms", "CreateAlias", "kms:CreateAlias"),
    op("kms", "CreateKey", "kms:CreateKey"),
    op("kms", "Decrypt", "kms:cryptographic-symmetric"),
    op("kms", "DeleteAlias", "kms:DeleteAlias"),
    op("kms", "DescribeKey", "kms:DescribeKey"),
    op("kms", "EnableKey", "kms:EnableKey"),
    op("kms", "EnableKeyRotation", "kms:EnableKeyRotation"),
    op("kms", "GenerateDataKey", "kms:cryptographic-symmetric"),
    op("kms", "GetKeyRotationStatus", "kms:GetKeyRotationStatus"),
    op("kms", "ListAliases", "kms:ListAliases"),
    op("kms", "ListKeys", "kms:ListKeys"),
    op("kms", "ListResourceTags", "kms:ListResourceTags"),
    op("kms", "ScheduleKeyDeletion", "kms:ScheduleKeyDeletion"),
    op("kms", "UpdateKeyDescription", "kms:UpdateKeyDescription"),
    op("lambda", "DeleteFunction", "lambda:control-plane"),
    op(
        "lambda",
        "DeleteFunctionConcurrency",
        "lambda:control-plane",
    ),
    op("lambda", "GetAccountSettings", "lambda:control-plane"),
    op("lambda", "GetAlias", "lambda:control-plane"),
    op("lambda", "GetFunction", "lambda:GetFunction"),
    op("lambda", "GetFunctionConfiguration", "lambda:control-plane"),
    op("lambda", "Invoke", "lambda:Invoke"),
    op("lambda", "ListEventSourceMappings", "lambda:control-plane"),
    op("lambda", "ListVersionsByFunction", "lambda:control-plane"),
    op("lambda", "PublishVersion", "lambda:control-plane"),
    op("lambda", "PutFunctionConcurrency", "lambda:control-plane"),
    op("lambda", "UpdateAlias", "lambda:control-plane"),
    op("lambda", "UpdateEventSourceMapping", "lambda:control-plane"),
    op("lambda", "UpdateFunctionCode", "lambda:control-plane"),
    op(
        "lambda",
        "UpdateFunctionConfiguration",
        "lambda:control-plane",
    ),
    op(
        "logs",
        "DeleteRetentionPolicy",
        "logs:DeleteRetentionPolicy",
    ),
    op("logs", "DescribeLogGroups", "logs:DescribeLogGroups"),
    op("logs", "FilterLogEvents", "logs:FilterLogEvents"),
    op("logs", "PutRetentionPolicy", "logs:PutRetentionPolicy"),
    op("logs", "StartLiveTail", "logs:StartLiveTail"),
    op("s3", "CreateBucket", "s3:write"),
    op("s3", "DeleteBucket", "s3:write"),
    op("s3", "DeleteObject", "s3:write"),
    op("s3", "DeleteObjects", "s3:write"),
    op("s3", "GetBucketPolicy", "s3:read"),
    op("s3", "GetObject", "s3:read"),
    op("s3", "GetPublicAccessBlock", "s3:read"),
    op("s3", "HeadBucket", "s3:read"),
    op("s3", "ListObjectVersions", "s3:read"),
    op("s3", "ListObjectsV2", "s3:read"),
    op("s3", "PutObject", "s3:write"),
    op("s3", "PutPublicAccessBlock", "s3:write"),
    op("sqs", "ChangeMessageVisibilityBatch", "sqs:messages"),
    op("sqs", "DeleteMessage", "sqs:messages"),
    op("sqs", "GetQueueAttributes", "sqs:control-plane"),
    op("sqs", "GetQueueUrl", "sqs:control-plane"),
    op("sqs", "ListMessageMoveTasks", "sqs:control-plane"),
    op("sqs", "PurgeQueue", "sqs:control-plane"),
    op("sqs", "ReceiveMessage", "sqs:messages"),
    op("sqs", "SendMessage", "sqs:messages"),
    op("sqs", "SetQueueAttributes", "sqs:control-plane"),
    op("sqs", "StartMessageMoveTask", "sqs:control-plane"),
    op("sts", "GetCallerIdentity", "sts:requests"),
];

/// The family of `service:operation`, when the table has it.
pub fn family_of(service: &str, operation: &str) -> Option<&'static Family> {
    let entry = OPERATIONS
        .iter()
        .find(|o| o.service == service && o.operation == operation)?;
    FAMILIES.iter().find(|f| f.name == entry.family)
}

/// The table as JSON, for the quota simulator of the tests (which enforces AWS's figures, not
/// hover's margin): `{"families": {name: {per_second, burst, published, page, entry}},
/// "operations": {"service:Operation": family}}`, keys sorted.
pub fn table_json() -> Value {
    let families: Map<String, Value> = FAMILIES
        .iter()
        .map(|f| {
            let (published, page, entry) = match f.source {
                Source::Published { page, entry } => (true, page, Some(entry)),
                Source::Unpublished { page } => (false, page, None),
            };
            (
                f.name.to_owned(),
                json!({"per_second": f.per_second, "burst": f.burst, "published": published,
                       "page": page, "entry": entry}),
            )
        })
        .collect();
    let operations: BTreeMap<String, &str> = OPERATIONS
        .iter()
        .map(|o| (format!("{}:{}", o.service, o.operation), o.family))
        .collect();
    json!({"families": families, "operations": operations})
}

/// One token bucket. Calls reserve a token at once (the count may go below zero) and wait until
/// it is theirs, so waiting calls are served in the order they came.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    /// hover's bucket for `family`: [`SPARE`] calls fewer than AWS's (at least one), [`MARGIN`]
    /// of the rate, both scaled by `share`.
    fn for_family(family: &Family, share: f64, now: Instant) -> Self {
        let capacity = (family.burst * share - SPARE).floor().max(1.0);
        Bucket {
            tokens: capacity,
            capacity,
            per_second: family.per_second * share * MARGIN,
            last: now,
        }
    }

    /// Takes a token and says how long to wait before using it.
    fn reserve(&mut self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity) - 1.0;
        if self.tokens >= 0.0 || self.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.per_second)
        }
    }
}

/// hover's limiters, one bucket per family, for the whole process (the quotas are the account's,
/// not one client's).
#[derive(Debug)]
pub struct Limiters {
    buckets: BTreeMap<&'static str, Mutex<Bucket>>,
}

impl Limiters {
    /// Limiters at `share` of every quota (clamped to `(0, 1]`; anything else means 1).
    pub fn new(share: f64) -> Self {
        let share = if share.is_finite() && share > 0.0 && share <= 1.0 {
            share
        } else {
            1.0
        };
        let now = Instant::now();
        Limiters {
            buckets: FAMILIES
                .iter()
                .map(|f| (f.name, Mutex::new(Bucket::for_family(f, share, now))))
                .collect(),
        }
    }

    /// How long a call of `service:operation` made now must wait (zero for an operation the table
    /// does not have). The token is taken.
    pub fn reserve(&self, service: &str, operation: &str) -> Duration {
        let Some(family) = family_of(service, operation) else {
            return Duration::ZERO;
        };
        match self.buckets.get(family.name) {
            Some(bucket) => {
                // A poisoned lock only means another call panicked mid-update: the count is
                // still a number.
                let mut bucket = bucket.lock().unwrap_or_else(|e| e.into_inner());
                bucket.reserve(Instant::now())
            }
            None => Duration::ZERO,
        }
    }

    /// Waits until a call of `service:operation` is within its quota.
    pub async fn acquire(&self, service: &str, operation: &str) {
        let wait = self.reserve(service, operation);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends `call` (an SDK request's `.send()`, which does nothing until awaited) once a token of
    /// `service:operation` is free.
    pub async fn limited<F: std::future::Future>(
        &self,
        service: &str,
        operation: &str,
        call: F,
    ) -> F::Output {
        self.acquire(service, operation).await;
        call.await
    }
}

/// The share of every quota hover uses: `HOVER_API_RATE_SHARE`, default 1.
fn share_from_env() -> f64 {
    std::env::var("HOVER_API_RATE_SHARE")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(1.0)
}

/// The process's limiters.
pub fn limiters() -> &'static Limiters {
    static LIMITERS: OnceLock<Limiters> = OnceLock::new();
    LIMITERS.get_or_init(|| Limiters::new(share_from_env()))
}

/// Waits until a call of `service:operation` is within its quota (see [`Limiters::acquire`]).
pub async fn acquire(service: &str, operation: &str) {
    limiters().acquire(service, operation).await;
}

/// Sends `call` (an SDK request's `.send()`, which does nothing until awaited) once a token of
/// `service:operation` is free: `limited("kms", "CreateKey", kms.create_key().send()).await`.
pub async fn limited<F: std::future::Future>(service: &str, operation: &str, call: F) -> F::Output {
    limiters().limited(service, operation, call).await
}

#[cfg(test)]
#[path = "quota_tests.rs"]
mod tests;
