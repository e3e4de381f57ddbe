//! Where a stage's traffic is: which version (and which build) each function's `live` alias
//! points at, and whether they are all on one release. A stage whose functions are on different
//! builds is split: the plan names it, whatever the stack's changes. Pure.

use crate::model::{ObservedStage, ResourceKind, RELEASE_BUILD};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One function's `live`: the version it points at and the build that version was published for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiveAlias {
    pub function: String,
    /// A version number, or `$LATEST`.
    pub version: String,
    /// The version's build id (empty for `$LATEST` or a version published without one).
    pub build: String,
}

/// A stage whose functions' `live` aliases are on different builds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficSplit {
    /// Every function's `live`, by function name.
    pub functions: Vec<LiveAlias>,
}

impl TrafficSplit {
    /// The distinct builds the functions are on (`$LATEST` for unpublished code), sorted.
    pub fn builds(&self) -> Vec<String> {
        self.functions
            .iter()
            .map(build_label)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

/// How a function's build is named in a split: the build id, `$LATEST`, or the bare version.
pub fn build_label(a: &LiveAlias) -> String {
    if a.version == "$LATEST" {
        "$LATEST".to_string()
    } else if a.build.is_empty() {
        format!("version {} (no build id)", a.version)
    } else {
        a.build.clone()
    }
}

/// Every `live` alias the observed stage holds, sorted by function name.
pub fn live_aliases(observed: &ObservedStage) -> Vec<LiveAlias> {
    let mut out: Vec<LiveAlias> = observed
        .resources
        .values()
        .filter(|r| r.resource_type == ResourceKind::Alias)
        .filter(|r| r.properties.get("Name").and_then(|n| n.as_str()) == Some(crate::stage::ALIAS))
        .filter_map(|r| {
            let function = r.properties.get("FunctionName")?.as_str()?.to_string();
            let version = r
                .properties
                .get("FunctionVersion")
                .and_then(|v| v.as_str())
                .unwrap_or("$LATEST")
                .to_string();
            let build = r.attributes.get(RELEASE_BUILD).cloned().unwrap_or_default();
            Some(LiveAlias {
                function,
                version,
                build,
            })
        })
        .collect();
    out.sort();
    out
}

/// The split, when the functions' `live` aliases are on more than one build.
pub fn split(observed: &ObservedStage) -> Option<TrafficSplit> {
    let functions = live_aliases(observed);
    let builds: BTreeSet<String> = functions.iter().map(build_label).collect();
    (builds.len() > 1).then_some(TrafficSplit { functions })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LiveResource;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn alias(function: &str, version: &str, build: &str) -> (String, LiveResource) {
        let props = json!({"FunctionName": function, "Name": "live", "FunctionVersion": version});
        (
            format!("{function}Alias"),
            LiveResource {
                resource_type: ResourceKind::Alias.into(),
                physical_id: format!("arn:{function}:live"),
                attributes: BTreeMap::from([(RELEASE_BUILD.to_string(), build.to_string())]),
                properties: props.as_object().unwrap().clone(),
            },
        )
    }

    fn stage(aliases: Vec<(String, LiveResource)>) -> ObservedStage {
        ObservedStage {
            account: None,
            stack: None,
            resources: aliases.into_iter().collect(),
            maintenance: None,
        }
    }

    #[test]
    fn one_build_everywhere_is_not_a_split() {
        let s = stage(vec![alias("s-http", "4", "b2"), alias("s-cli", "3", "b2")]);
        assert_eq!(split(&s), None);
        let s = stage(vec![
            alias("s-http", "$LATEST", ""),
            alias("s-cli", "$LATEST", ""),
        ]);
        assert_eq!(split(&s), None);
        assert_eq!(split(&stage(vec![])), None);
    }

    #[test]
    fn functions_on_different_builds_are_named() {
        let s = stage(vec![
            alias("s-http", "4", "b1"),
            alias("s-cli", "5", "b2"),
            alias("s-default-queue", "4", "b1"),
        ]);
        let split = split(&s).expect("a split");
        assert_eq!(split.builds(), ["b1", "b2"]);
        assert_eq!(split.functions[0].function, "s-cli");
        assert_eq!(split.functions[0].build, "b2");
        let s = stage(vec![
            alias("s-http", "4", "b1"),
            alias("s-cli", "$LATEST", ""),
        ]);
        assert_eq!(super::split(&s).unwrap().builds(), ["$LATEST", "b1"]);
    }
}
