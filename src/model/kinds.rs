//! One description per resource type hover manages: the handle that names it ([`ResourceKind`],
//! one variant per type, serialized as its CloudFormation type), what the plan calls it, whether
//! hover makes it through the service's own API, which drift `apply` puts back through which
//! call, which attributes follow from its name, and how the plan compares it (policy documents,
//! the version releases move, messages it holds). A type met in AWS that hover may not manage (in
//! a stack, a template, CloudFormation's resource list) is a [`ResourceType`]: the handle, or the
//! type as written. `live`, `plan` and `direct` all read this table.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`ResourceKind`] with one variant per CloudFormation type, written once here.
macro_rules! resource_kinds {
    ($($(#[$doc:meta])* $variant:ident = $cfn:literal,)*) => {
        /// A resource type hover manages: a handle to its entry in [`KINDS`]. Serialized as its
        /// CloudFormation type (`AWS::Lambda::Function`), so plans and JSON output keep the type's
        /// name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum ResourceKind {
            $($(#[$doc])* $variant,)*
        }

        impl ResourceKind {
            /// Every kind, in the order of [`KINDS`].
            pub const ALL: [ResourceKind; [$(ResourceKind::$variant),*].len()] =
                [$(ResourceKind::$variant),*];

            /// Its CloudFormation type, e.g. `AWS::Lambda::Function`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ResourceKind::$variant => $cfn,)*
                }
            }

            /// The kind whose CloudFormation type is `resource_type`; `None` for a type hover
            /// does not manage.
            pub fn parse(resource_type: &str) -> Option<ResourceKind> {
                match resource_type {
                    $($cfn => Some(ResourceKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

resource_kinds! {
    Function = "AWS::Lambda::Function",
    Alias = "AWS::Lambda::Alias",
    EventSourceMapping = "AWS::Lambda::EventSourceMapping",
    /// Lets API Gateway or EventBridge invoke a function; read from the stack's record only.
    Permission = "AWS::Lambda::Permission",
    LogGroup = "AWS::Logs::LogGroup",
    Queue = "AWS::SQS::Queue",
    Rule = "AWS::Events::Rule",
    Api = "AWS::ApiGatewayV2::Api",
    Integration = "AWS::ApiGatewayV2::Integration",
    Route = "AWS::ApiGatewayV2::Route",
    /// An HTTP API's stage (not a hover stage).
    ApiStage = "AWS::ApiGatewayV2::Stage",
    Distribution = "AWS::CloudFront::Distribution",
    OriginAccessControl = "AWS::CloudFront::OriginAccessControl",
    BucketPolicy = "AWS::S3::BucketPolicy",
    Bucket = "AWS::S3::Bucket",
    Repository = "AWS::ECR::Repository",
    Key = "AWS::KMS::Key",
    Role = "AWS::IAM::Role",
}

use ResourceKind as K;

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ResourceKind> for &'static str {
    fn from(kind: ResourceKind) -> &'static str {
        kind.as_str()
    }
}

/// A CloudFormation type hover does not manage, where only a managed one is accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a resource type hover manages")]
pub struct UnknownType(pub String);

impl TryFrom<String> for ResourceKind {
    type Error = UnknownType;
    fn try_from(resource_type: String) -> Result<Self, UnknownType> {
        ResourceKind::parse(&resource_type).ok_or(UnknownType(resource_type))
    }
}

/// A CloudFormation type as met in AWS (a stack's resources, a template, CloudFormation's
/// resource list): one hover manages, or another kept as written, to be shown. Serialized as the
/// type's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum ResourceType {
    Managed(ResourceKind),
    /// A type hover does not manage, as written.
    Foreign(String),
}

impl ResourceType {
    /// The type named `resource_type`: its kind when hover manages it.
    pub fn parse(resource_type: &str) -> ResourceType {
        match ResourceKind::parse(resource_type) {
            Some(kind) => ResourceType::Managed(kind),
            None => ResourceType::Foreign(resource_type.to_owned()),
        }
    }

    /// Its kind; `None` for a type hover does not manage.
    pub fn kind(&self) -> Option<ResourceKind> {
        match self {
            ResourceType::Managed(kind) => Some(*kind),
            ResourceType::Foreign(_) => None,
        }
    }

    /// The CloudFormation type.
    pub fn as_str(&self) -> &str {
        match self {
            ResourceType::Managed(kind) => kind.as_str(),
            ResourceType::Foreign(name) => name,
        }
    }
}

impl Default for ResourceType {
    /// No type at all (a record that names none).
    fn default() -> Self {
        ResourceType::Foreign(String::new())
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ResourceKind> for ResourceType {
    fn from(kind: ResourceKind) -> Self {
        ResourceType::Managed(kind)
    }
}

impl From<&str> for ResourceType {
    fn from(resource_type: &str) -> Self {
        ResourceType::parse(resource_type)
    }
}

impl From<String> for ResourceType {
    fn from(resource_type: String) -> Self {
        match ResourceKind::parse(&resource_type) {
            Some(kind) => ResourceType::Managed(kind),
            None => ResourceType::Foreign(resource_type),
        }
    }
}

impl From<ResourceType> for String {
    fn from(resource_type: ResourceType) -> String {
        match resource_type {
            ResourceType::Managed(kind) => kind.as_str().to_owned(),
            ResourceType::Foreign(name) => name,
        }
    }
}

impl PartialEq<ResourceKind> for ResourceType {
    fn eq(&self, kind: &ResourceKind) -> bool {
        self.kind() == Some(*kind)
    }
}

/// A resource hover creates and updates through the service's own API, before the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provision {
    Repository,
    Bucket,
    Key,
}

/// A service call `apply` makes to put drift back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    LambdaConfiguration,
    LambdaConcurrency,
    LambdaCode,
    LogRetention,
    QueueAttributes,
    RulePut,
    RuleTargets,
    EventSourceMapping,
    DistributionConfig,
    RoleTrust,
    RolePolicies,
    RoleManagedPolicies,
}

/// One way drift is put back: the top-level properties one call writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fix {
    pub call: Call,
    pub properties: &'static [&'static str],
    /// The call writes a whole document: it is skipped while any desired value in it is unknown,
    /// since writing it then would break it.
    pub needs_known: bool,
}

/// An attribute AWS derives from a resource's name alone, so it is known before the resource
/// exists: `pattern` with `{name}` (the value of the type's naming property), `{function}` (the
/// function an alias belongs to, by name), `{region}`, `{account}`, and the region's
/// `{partition}` and `{url_suffix}` ([`super::Partition`]) filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    pub attribute: &'static str,
    pub pattern: &'static str,
}

/// How a type is named and what follows from the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Naming {
    /// The property holding its name.
    pub property: &'static str,
    pub derived: &'static [Derived],
}

const fn derived(attribute: &'static str, pattern: &'static str) -> Derived {
    Derived { attribute, pattern }
}

/// What hover knows of one resource type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The handle this entry describes (its index in [`KINDS`]).
    pub kind: ResourceKind,
    /// What the plan calls a resource of this type once the manifest no longer has it.
    pub noun: &'static str,
    /// `Some` when hover makes it through the service's API rather than the stack.
    pub provision: Option<Provision>,
    /// Drift `apply` puts back, grouped by the call that does it.
    pub fixes: &'static [Fix],
    /// Properties holding policy documents: compared in one canonical shape, every statement
    /// key counting.
    pub policies: &'static [&'static str],
    /// A property releases move outside the template (deploy, apply and rollback publish a
    /// version and point the alias at it): a version number and `$LATEST` are the same to the
    /// plan.
    pub release_version: Option<&'static str>,
    /// It holds messages, which deleting or replacing it destroys.
    pub holds_messages: bool,
    /// The attributes known from its name before it exists.
    pub naming: Option<Naming>,
}

impl Kind {
    /// The fix that puts `property` back, if any.
    pub fn fix_for(&self, property: &str) -> Option<&'static Fix> {
        self.fixes.iter().find(|f| f.properties.contains(&property))
    }
}

const fn fix(call: Call, properties: &'static [&'static str]) -> Fix {
    Fix {
        call,
        properties,
        needs_known: false,
    }
}

const fn whole(call: Call, properties: &'static [&'static str]) -> Fix {
    Fix {
        call,
        properties,
        needs_known: true,
    }
}

const fn kind(kind: ResourceKind, noun: &'static str) -> Kind {
    Kind {
        kind,
        noun,
        provision: None,
        fixes: &[],
        policies: &[],
        release_version: None,
        holds_messages: false,
        naming: None,
    }
}

/// Every resource type hover manages, in the order of [`ResourceKind`] (checked when compiled).
pub const KINDS: &[Kind] = &[
    Kind {
        fixes: &[
            fix(
                Call::LambdaConfiguration,
                &["MemorySize", "Timeout", "Role", "Environment", "VpcConfig"],
            ),
            fix(Call::LambdaConcurrency, &["ReservedConcurrentExecutions"]),
            fix(Call::LambdaCode, &["Code"]),
        ],
        naming: Some(Naming {
            property: "FunctionName",
            derived: &[
                derived("Ref", "{name}"),
                derived(
                    "Arn",
                    "arn:{partition}:lambda:{region}:{account}:function:{name}",
                ),
            ],
        }),
        ..kind(K::Function, "function")
    },
    Kind {
        release_version: Some("FunctionVersion"),
        naming: Some(Naming {
            property: "Name",
            derived: &[
                derived(
                    "Ref",
                    "arn:{partition}:lambda:{region}:{account}:function:{function}:{name}",
                ),
                derived(
                    "AliasArn",
                    "arn:{partition}:lambda:{region}:{account}:function:{function}:{name}",
                ),
            ],
        }),
        ..kind(K::Alias, "alias")
    },
    Kind {
        fixes: &[fix(
            Call::EventSourceMapping,
            &["BatchSize", "Enabled", "FunctionResponseTypes"],
        )],
        ..kind(K::EventSourceMapping, "eventsourcemapping")
    },
    kind(K::Permission, "permission"),
    Kind {
        fixes: &[fix(Call::LogRetention, &["RetentionInDays"])],
        naming: Some(Naming {
            property: "LogGroupName",
            derived: &[
                derived("Ref", "{name}"),
                derived(
                    "Arn",
                    "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
                ),
            ],
        }),
        ..kind(K::LogGroup, "loggroup")
    },
    Kind {
        fixes: &[fix(
            Call::QueueAttributes,
            &[
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "RedrivePolicy",
            ],
        )],
        holds_messages: true,
        naming: Some(Naming {
            property: "QueueName",
            derived: &[
                derived("Arn", "arn:{partition}:sqs:{region}:{account}:{name}"),
                derived("QueueName", "{name}"),
            ],
        }),
        ..kind(K::Queue, "queue")
    },
    Kind {
        fixes: &[
            fix(Call::RulePut, &["ScheduleExpression", "State"]),
            fix(Call::RuleTargets, &["Targets"]),
        ],
        naming: Some(Naming {
            property: "Name",
            derived: &[
                derived("Ref", "{name}"),
                derived(
                    "Arn",
                    "arn:{partition}:events:{region}:{account}:rule/{name}",
                ),
            ],
        }),
        ..kind(K::Rule, "rule")
    },
    kind(K::Api, "api"),
    kind(K::Integration, "integration"),
    kind(K::Route, "route"),
    kind(K::ApiStage, "stage"),
    Kind {
        fixes: &[whole(Call::DistributionConfig, &["DistributionConfig"])],
        ..kind(K::Distribution, "distribution")
    },
    kind(K::OriginAccessControl, "originaccesscontrol"),
    kind(K::BucketPolicy, "bucketpolicy"),
    Kind {
        provision: Some(Provision::Bucket),
        naming: Some(Naming {
            property: "BucketName",
            derived: &[
                derived("Ref", "{name}"),
                derived("Arn", "arn:{partition}:s3:::{name}"),
                derived("RegionalDomainName", "{name}.s3.{region}.{url_suffix}"),
            ],
        }),
        ..kind(K::Bucket, "bucket")
    },
    Kind {
        provision: Some(Provision::Repository),
        naming: Some(Naming {
            property: "RepositoryName",
            derived: &[
                derived("Ref", "{name}"),
                derived(
                    "Arn",
                    "arn:{partition}:ecr:{region}:{account}:repository/{name}",
                ),
                derived(
                    "RepositoryUri",
                    "{account}.dkr.ecr.{region}.{url_suffix}/{name}",
                ),
            ],
        }),
        ..kind(K::Repository, "repository")
    },
    Kind {
        provision: Some(Provision::Key),
        ..kind(K::Key, "key")
    },
    Kind {
        fixes: &[
            whole(Call::RoleTrust, &["AssumeRolePolicyDocument"]),
            whole(Call::RolePolicies, &["Policies"]),
            whole(Call::RoleManagedPolicies, &["ManagedPolicyArns"]),
        ],
        policies: &["AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"],
        ..kind(K::Role, "role")
    },
];

// Each entry sits at its handle's index, so `info` is a lookup, never a search.
const _: () = {
    assert!(KINDS.len() == ResourceKind::ALL.len());
    let mut i = 0;
    while i < KINDS.len() {
        assert!(KINDS[i].kind as usize == i);
        i += 1;
    }
};

impl ResourceKind {
    /// What hover knows of this type.
    pub const fn info(self) -> &'static Kind {
        &KINDS[self as usize]
    }

    /// What the plan calls a resource of this type the manifest no longer has.
    pub const fn noun(self) -> &'static str {
        self.info().noun
    }

    /// Whether `apply` can put `property` back when it was changed outside hover (through the
    /// service's API); otherwise it must be changed back by hand.
    pub fn repairable(self, property: &str) -> bool {
        self.info().fix_for(property).is_some()
    }

    /// Whether `property` holds policy documents.
    pub fn holds_policies(self, property: &str) -> bool {
        self.info().policies.contains(&property)
    }

    /// Whether `property` is the version releases move.
    pub fn is_release_version(self, property: &str) -> bool {
        self.info().release_version == Some(property)
    }

    /// Whether a resource of this type holds messages.
    pub const fn holds_messages(self) -> bool {
        self.info().holds_messages
    }
}

impl ResourceType {
    /// Whether `apply` can put `property` back: never for a type hover does not manage.
    pub fn repairable(&self, property: &str) -> bool {
        self.kind().is_some_and(|k| k.repairable(property))
    }

    /// Whether `property` holds policy documents: never for a type hover does not manage.
    pub fn holds_policies(&self, property: &str) -> bool {
        self.kind().is_some_and(|k| k.holds_policies(property))
    }

    /// Whether a resource of this type holds messages: never for a type hover does not manage.
    pub fn holds_messages(&self) -> bool {
        self.kind().is_some_and(ResourceKind::holds_messages)
    }

    /// What the plan calls a resource of this type the manifest no longer has: the kind's noun,
    /// or the type's last segment in lower case for a type hover does not manage.
    pub fn noun(&self) -> String {
        match self {
            ResourceType::Managed(k) => k.noun().to_string(),
            ResourceType::Foreign(t) => t.rsplit("::").next().unwrap_or(t).to_ascii_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_type_and_each_repaired_property_is_described_once() {
        let types: BTreeSet<&str> = ResourceKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(types.len(), KINDS.len());
        for k in KINDS {
            let props: Vec<&str> = k.fixes.iter().flat_map(|f| f.properties).copied().collect();
            let unique: BTreeSet<&&str> = props.iter().collect();
            assert_eq!(unique.len(), props.len(), "{}", k.kind);
            // The noun is the type's last segment, as the plan has always called it.
            let last = k.kind.as_str().rsplit("::").next().unwrap_or_default();
            assert_eq!(k.noun, last.to_ascii_lowercase());
        }
        let calls: BTreeSet<Call> = KINDS.iter().flat_map(|k| k.fixes).map(|f| f.call).collect();
        assert_eq!(calls.len(), 12, "each call belongs to one fix");
    }

    #[test]
    fn a_type_parses_to_its_handle_and_back_and_any_other_is_kept_as_written() {
        for k in ResourceKind::ALL {
            assert_eq!(ResourceKind::parse(k.as_str()), Some(k));
            assert_eq!(k.info().kind, k);
            let json = serde_json::to_string(&k).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<ResourceKind>(&json).ok(), Some(k));
            assert_eq!(ResourceType::parse(k.as_str()), ResourceType::Managed(k));
        }
        assert_eq!(ResourceKind::parse("AWS::Lambda::function"), None);
        let unknown = serde_json::from_str::<ResourceKind>("\"AWS::SNS::Topic\"");
        let message = unknown.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("AWS::SNS::Topic"), "{message}");
        let topic = ResourceType::parse("AWS::SNS::Topic");
        assert_eq!(topic, ResourceType::Foreign("AWS::SNS::Topic".into()));
        assert_eq!((topic.kind(), topic.as_str()), (None, "AWS::SNS::Topic"));
        assert_eq!(
            serde_json::to_string(&topic).ok().as_deref(),
            Some("\"AWS::SNS::Topic\"")
        );
        let back: Option<ResourceType> = serde_json::from_str("\"AWS::SQS::Queue\"").ok();
        assert_eq!(back, Some(ResourceType::Managed(ResourceKind::Queue)));
        assert!(ResourceType::from("AWS::SQS::Queue") == ResourceKind::Queue);
        assert!(topic != ResourceKind::Queue);
        assert_eq!(ResourceKind::Queue.to_string(), "AWS::SQS::Queue");
    }

    #[test]
    fn repairable_lists_the_properties_apply_puts_back() {
        use ResourceKind as K;
        for (k, prop) in [
            (K::Function, "MemorySize"),
            (K::Function, "ReservedConcurrentExecutions"),
            (K::Function, "Code"),
            (K::LogGroup, "RetentionInDays"),
            (K::Queue, "RedrivePolicy"),
            (K::Rule, "Targets"),
            (K::EventSourceMapping, "FunctionResponseTypes"),
            (K::Distribution, "DistributionConfig"),
            (K::Role, "Policies"),
            (K::Role, "ManagedPolicyArns"),
            (K::Role, "AssumeRolePolicyDocument"),
        ] {
            assert!(k.repairable(prop), "{k} {prop}");
        }
        for (k, prop) in [
            (K::Function, "FunctionName"),
            (K::Function, "PackageType"),
            (K::Queue, "QueueName"),
            (K::Alias, "Name"),
            (K::Alias, "FunctionVersion"),
            (K::Role, "RoleName"),
            (K::Role, "Path"),
            (K::OriginAccessControl, "OriginAccessControlConfig"),
            (K::Api, "Name"),
            (K::LogGroup, "MemorySize"),
            (K::BucketPolicy, "PolicyDocument"),
            (K::Permission, "Action"),
        ] {
            assert!(!k.repairable(prop), "{k} {prop}");
        }
        assert_eq!(K::Queue.noun(), "queue");
        assert!(K::Role.holds_policies("Policies"));
        assert!(!K::Role.holds_policies("Path"));
        assert!(!K::BucketPolicy.holds_policies("Policies"));
        assert!(K::Alias.is_release_version("FunctionVersion"));
        assert!(!K::Function.is_release_version("FunctionVersion"));
        assert!(K::Queue.holds_messages() && !K::Function.holds_messages());
        let topic = ResourceType::parse("AWS::SNS::Topic");
        assert_eq!(topic.noun(), "topic");
        assert!(!topic.repairable("TopicName") && !topic.holds_messages());
        assert!(ResourceType::from(K::Queue).holds_messages());
        assert!(!ResourceType::from(K::Role).repairable("Path"));
        assert!(ResourceType::from(K::Role).holds_policies("Policies"));
    }
}
