//! What `live` must look up for one resource ([`LiveTarget`]): how to find it by its AWS name,
//! with the keys its kind's reader needs, one variant per kind ([`Lookup`]), so a key that is
//! misspelt or missing does not compile.

use super::kinds::{ResourceKind, ResourceType};

/// What `live` must look up for one resource: its logical id and type, how to find it by name
/// (when it has one) and the physical id the stack records (when it records one).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LiveTarget {
    pub logical_id: String,
    pub resource_type: ResourceType,
    /// How to find it by its AWS name; `None` for a resource only known through the stack.
    pub lookup: Option<Lookup>,
    /// Physical id recorded by the stack, when it has one.
    pub physical_id: Option<String>,
}

impl LiveTarget {
    /// A resource found through `lookup` (its type is the lookup's kind).
    pub fn by(logical_id: &str, lookup: Lookup, physical_id: Option<String>) -> Self {
        LiveTarget {
            logical_id: logical_id.to_owned(),
            resource_type: lookup.kind().into(),
            lookup: Some(lookup),
            physical_id,
        }
    }

    /// A resource known only through the stack's record of it.
    pub fn recorded(logical_id: &str, resource_type: ResourceType, physical_id: &str) -> Self {
        LiveTarget {
            logical_id: logical_id.to_owned(),
            resource_type,
            lookup: None,
            physical_id: Some(physical_id.to_owned()),
        }
    }

    /// The physical id the stack records, unless empty.
    pub fn recorded_id(&self) -> Option<&str> {
        self.physical_id.as_deref().filter(|p| !p.is_empty())
    }
}

/// How `live` finds a resource of each kind it reads, with every key already resolved from the
/// resources it references: `name` is the resource's AWS name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lookup {
    Function {
        name: String,
    },
    /// The alias `name` of the function named `function`.
    Alias {
        function: String,
        name: String,
    },
    EventSourceMapping(MappingKeys),
    LogGroup {
        name: String,
    },
    Queue {
        name: String,
    },
    Rule {
        name: String,
    },
    Api {
        name: String,
    },
    /// The integration of the API named `api_name`.
    Integration {
        api_name: String,
    },
    /// The route `route_key` of the API named `api_name`.
    Route {
        api_name: String,
        route_key: String,
    },
    /// The stage `stage_name` of the API named `api_name`.
    ApiStage {
        api_name: String,
        stage_name: String,
    },
    /// The distribution whose comment is `comment`.
    Distribution {
        comment: String,
    },
    OriginAccessControl {
        name: String,
    },
    /// The policy of the bucket named `bucket`.
    BucketPolicy {
        bucket: String,
    },
    Bucket {
        name: String,
    },
    Repository {
        name: String,
    },
    /// The key by its alias name.
    Key {
        name: String,
    },
    /// The role by the name the stack records.
    Role {
        name: String,
    },
}

/// How `live` finds an event source mapping: the mapping from the queue `queue_arn` to the
/// function named `function`, preferably through its alias `qualifier` (may be empty).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MappingKeys {
    pub function: String,
    pub qualifier: String,
    pub queue_arn: String,
}

impl Lookup {
    /// The kind of resource it finds.
    pub fn kind(&self) -> ResourceKind {
        use ResourceKind as K;
        match self {
            Lookup::Function { .. } => K::Function,
            Lookup::Alias { .. } => K::Alias,
            Lookup::EventSourceMapping(_) => K::EventSourceMapping,
            Lookup::LogGroup { .. } => K::LogGroup,
            Lookup::Queue { .. } => K::Queue,
            Lookup::Rule { .. } => K::Rule,
            Lookup::Api { .. } => K::Api,
            Lookup::Integration { .. } => K::Integration,
            Lookup::Route { .. } => K::Route,
            Lookup::ApiStage { .. } => K::ApiStage,
            Lookup::Distribution { .. } => K::Distribution,
            Lookup::OriginAccessControl { .. } => K::OriginAccessControl,
            Lookup::BucketPolicy { .. } => K::BucketPolicy,
            Lookup::Bucket { .. } => K::Bucket,
            Lookup::Repository { .. } => K::Repository,
            Lookup::Key { .. } => K::Key,
            Lookup::Role { .. } => K::Role,
        }
    }
}
