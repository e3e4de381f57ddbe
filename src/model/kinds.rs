//! One description per resource type hover manages: what the plan calls it, how `live` reads it,
//! whether hover makes it through the service's own API, which drift `apply` puts back through
//! which call, which attributes follow from its name, and how the plan compares it (policy
//! documents, the version releases move, messages it holds). `live`, `plan` and `direct` all read
//! this table.

/// How `live` finds one resource of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    Function,
    Alias,
    EventSourceMapping,
    LogGroup,
    Queue,
    Rule,
    Api,
    Integration,
    Route,
    ApiStage,
    Distribution,
    OriginAccessControl,
    BucketPolicy,
    Bucket,
    Repository,
    Key,
    Role,
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
    /// CloudFormation type, e.g. `AWS::Lambda::Function`.
    pub resource_type: &'static str,
    /// What the plan calls a resource of this type once the manifest no longer has it.
    pub noun: &'static str,
    pub read: Read,
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

const fn kind(resource_type: &'static str, noun: &'static str, read: Read) -> Kind {
    Kind {
        resource_type,
        noun,
        read,
        provision: None,
        fixes: &[],
        policies: &[],
        release_version: None,
        holds_messages: false,
        naming: None,
    }
}

/// Every resource type hover manages.
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
        ..kind("AWS::Lambda::Function", "function", Read::Function)
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
        ..kind("AWS::Lambda::Alias", "alias", Read::Alias)
    },
    Kind {
        fixes: &[fix(
            Call::EventSourceMapping,
            &["BatchSize", "Enabled", "FunctionResponseTypes"],
        )],
        ..kind(
            "AWS::Lambda::EventSourceMapping",
            "eventsourcemapping",
            Read::EventSourceMapping,
        )
    },
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
        ..kind("AWS::Logs::LogGroup", "loggroup", Read::LogGroup)
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
        ..kind("AWS::SQS::Queue", "queue", Read::Queue)
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
        ..kind("AWS::Events::Rule", "rule", Read::Rule)
    },
    kind("AWS::ApiGatewayV2::Api", "api", Read::Api),
    kind(
        "AWS::ApiGatewayV2::Integration",
        "integration",
        Read::Integration,
    ),
    kind("AWS::ApiGatewayV2::Route", "route", Read::Route),
    kind("AWS::ApiGatewayV2::Stage", "stage", Read::ApiStage),
    Kind {
        fixes: &[whole(Call::DistributionConfig, &["DistributionConfig"])],
        ..kind(
            "AWS::CloudFront::Distribution",
            "distribution",
            Read::Distribution,
        )
    },
    kind(
        "AWS::CloudFront::OriginAccessControl",
        "originaccesscontrol",
        Read::OriginAccessControl,
    ),
    kind("AWS::S3::BucketPolicy", "bucketpolicy", Read::BucketPolicy),
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
        ..kind("AWS::S3::Bucket", "bucket", Read::Bucket)
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
        ..kind("AWS::ECR::Repository", "repository", Read::Repository)
    },
    Kind {
        provision: Some(Provision::Key),
        ..kind("AWS::KMS::Key", "key", Read::Key)
    },
    Kind {
        fixes: &[
            whole(Call::RoleTrust, &["AssumeRolePolicyDocument"]),
            whole(Call::RolePolicies, &["Policies"]),
            whole(Call::RoleManagedPolicies, &["ManagedPolicyArns"]),
        ],
        policies: &["AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"],
        ..kind("AWS::IAM::Role", "role", Read::Role)
    },
];

/// What hover knows of `resource_type`; `None` for a type it does not manage.
pub fn of(resource_type: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.resource_type == resource_type)
}

/// Whether `apply` can put `property` of a `resource_type` back when it was changed outside hover
/// (through the service's API); otherwise it must be changed back by hand.
pub fn repairable(resource_type: &str, property: &str) -> bool {
    of(resource_type).is_some_and(|k| k.fix_for(property).is_some())
}

/// Whether `property` of a `resource_type` holds policy documents.
pub fn holds_policies(resource_type: &str, property: &str) -> bool {
    of(resource_type).is_some_and(|k| k.policies.contains(&property))
}

/// Whether `property` of a `resource_type` is the version releases move.
pub fn is_release_version(resource_type: &str, property: &str) -> bool {
    of(resource_type).is_some_and(|k| k.release_version == Some(property))
}

/// Whether a resource of `resource_type` holds messages.
pub fn holds_messages(resource_type: &str) -> bool {
    of(resource_type).is_some_and(|k| k.holds_messages)
}

/// What the plan calls a resource of `resource_type` the manifest no longer has.
pub fn noun(resource_type: &str) -> String {
    match of(resource_type) {
        Some(k) => k.noun.to_string(),
        None => resource_type
            .rsplit("::")
            .next()
            .unwrap_or(resource_type)
            .to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_type_and_each_repaired_property_is_described_once() {
        let types: BTreeSet<&str> = KINDS.iter().map(|k| k.resource_type).collect();
        assert_eq!(types.len(), KINDS.len());
        for k in KINDS {
            let props: Vec<&str> = k.fixes.iter().flat_map(|f| f.properties).copied().collect();
            let unique: BTreeSet<&&str> = props.iter().collect();
            assert_eq!(unique.len(), props.len(), "{}", k.resource_type);
            // The noun is the type's last segment, as the plan has always called it.
            let last = k.resource_type.rsplit("::").next().unwrap_or_default();
            assert_eq!(k.noun, last.to_ascii_lowercase());
        }
        let calls: BTreeSet<Call> = KINDS.iter().flat_map(|k| k.fixes).map(|f| f.call).collect();
        assert_eq!(calls.len(), 12, "each call belongs to one fix");
    }

    #[test]
    fn repairable_lists_the_properties_apply_puts_back() {
        for (ty, prop) in [
            ("AWS::Lambda::Function", "MemorySize"),
            ("AWS::Lambda::Function", "ReservedConcurrentExecutions"),
            ("AWS::Lambda::Function", "Code"),
            ("AWS::Logs::LogGroup", "RetentionInDays"),
            ("AWS::SQS::Queue", "RedrivePolicy"),
            ("AWS::Events::Rule", "Targets"),
            ("AWS::Lambda::EventSourceMapping", "FunctionResponseTypes"),
            ("AWS::CloudFront::Distribution", "DistributionConfig"),
            ("AWS::IAM::Role", "Policies"),
            ("AWS::IAM::Role", "ManagedPolicyArns"),
            ("AWS::IAM::Role", "AssumeRolePolicyDocument"),
        ] {
            assert!(repairable(ty, prop), "{ty} {prop}");
        }
        for (ty, prop) in [
            ("AWS::Lambda::Function", "FunctionName"),
            ("AWS::Lambda::Function", "PackageType"),
            ("AWS::SQS::Queue", "QueueName"),
            ("AWS::Lambda::Alias", "Name"),
            ("AWS::Lambda::Alias", "FunctionVersion"),
            ("AWS::IAM::Role", "RoleName"),
            ("AWS::IAM::Role", "Path"),
            (
                "AWS::CloudFront::OriginAccessControl",
                "OriginAccessControlConfig",
            ),
            ("AWS::ApiGatewayV2::Api", "Name"),
            ("AWS::Logs::LogGroup", "MemorySize"),
            ("AWS::S3::BucketPolicy", "PolicyDocument"),
        ] {
            assert!(!repairable(ty, prop), "{ty} {prop}");
        }
        assert_eq!(noun("AWS::SQS::Queue"), "queue");
        assert!(holds_policies("AWS::IAM::Role", "Policies"));
        assert!(!holds_policies("AWS::IAM::Role", "Path"));
        assert!(!holds_policies("AWS::S3::BucketPolicy", "Policies"));
        assert!(is_release_version("AWS::Lambda::Alias", "FunctionVersion"));
        assert!(!is_release_version(
            "AWS::Lambda::Function",
            "FunctionVersion"
        ));
        assert!(holds_messages("AWS::SQS::Queue") && !holds_messages("AWS::Lambda::Function"));
        assert_eq!(noun("AWS::SNS::Topic"), "topic");
    }
}
