//! CloudFormation facts per resource type, from the resource provider schemas bundled with
//! cfn-lint (`tools/schema_facts.py` regenerates `schema/facts.json`; CI checks it is current).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Property paths of one resource type, relative to `Properties`, `/`-separated.
#[derive(Debug, Default, Deserialize)]
pub struct TypeFacts {
    /// A change to any of these replaces the resource.
    pub create_only: Vec<String>,
    /// Assigned by AWS, known after apply.
    pub read_only: Vec<String>,
    /// Accepted on write, never returned on read.
    pub write_only: Vec<String>,
}

fn all() -> &'static BTreeMap<String, TypeFacts> {
    static FACTS: OnceLock<BTreeMap<String, TypeFacts>> = OnceLock::new();
    FACTS
        .get_or_init(|| serde_json::from_str(include_str!("schema/facts.json")).unwrap_or_default())
}

/// Facts of a resource type; an unknown type has none (no create-only property).
pub fn facts(resource_type: &str) -> Option<&'static TypeFacts> {
    all().get(resource_type)
}

/// Whether changing the property at `path` (top-level name or `A/B` nested path) forces replacement.
pub fn forces_replacement(resource_type: &str, path: &str) -> bool {
    facts(resource_type).is_some_and(|f| {
        f.create_only
            .iter()
            .any(|p| p == path || path.starts_with(&format!("{p}/")))
    })
}

/// Every resource type hover provisions, for checks.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    all().keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_load_and_name_create_only_properties() {
        assert!(known_types().count() >= 18);
        assert!(forces_replacement("AWS::SQS::Queue", "QueueName"));
        assert!(forces_replacement("AWS::SQS::Queue", "FifoQueue"));
        assert!(!forces_replacement("AWS::SQS::Queue", "VisibilityTimeout"));
        assert!(forces_replacement(
            "AWS::Lambda::EventSourceMapping",
            "EventSourceArn"
        ));
        assert!(!forces_replacement(
            "AWS::CloudFront::Distribution",
            "DistributionConfig"
        ));
        assert!(!forces_replacement("AWS::Nope::Nope", "X"));
    }
}
