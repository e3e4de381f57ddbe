//! The digest of an observed stage, over its state with every secret masked: printed in the JSON
//! plan and kept with saved plans to tell whether the stage changed since.

use super::mask;
use crate::model::ObservedStage;
use crate::template;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Digest of an observed state (stable across runs for the same state), over the state with secret
/// values masked: it is printed in the JSON plan and saved with plans, so it must not let anyone
/// test guesses of a secret.
pub fn observed_digest(observed: &ObservedStage) -> String {
    // The JSON of the masked state, serialised straight into the hash and one resource at a
    // time: the same bytes as the whole masked copy would give, never held at once.
    struct Masked<'a>(&'a ObservedStage);
    impl Serialize for Masked<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let stack = self.0.stack.as_ref().map(|s| crate::model::StackState {
                template: s.template.as_ref().map(template::masked),
                name: s.name.clone(),
                stack_id: s.stack_id.clone(),
                status: s.status.clone(),
                status_reason: s.status_reason.clone(),
                resources: s.resources.clone(),
                outputs: s.outputs.clone(),
                // Left out: the digests of stages read before it was read stay as they were.
                last_updated: None,
            });
            let resources = MaskedResources(&self.0.resources);
            let mut st = serializer.serialize_struct("ObservedStage", 4)?;
            st.serialize_field("account", &self.0.account)?;
            st.serialize_field("stack", &stack)?;
            st.serialize_field("resources", &resources)?;
            // Only a stage that is down has the field (the digests of others stay as they were);
            // the bypass secret is masked like every secret.
            if let Some(m) = &self.0.maintenance {
                let masked = crate::model::Maintenance {
                    secret: m.secret.as_ref().map(|_| "(sensitive)".to_string()),
                    ..m.clone()
                };
                st.serialize_field("maintenance", &masked)?;
            }
            st.end()
        }
    }
    struct MaskedResources<'a>(&'a BTreeMap<String, crate::model::LiveResource>);
    impl Serialize for MaskedResources<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(id, r)| {
                let mut r = r.clone();
                mask::mask_properties(&mut r.properties);
                for momentary in crate::model::MOMENTARY_ATTRIBUTES {
                    r.attributes.remove(momentary);
                }
                (id, r)
            }))
        }
    }
    let mut hasher = Sha256::new();
    let _ = serde_json::to_writer(&mut hasher, &Masked(observed));
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LiveResource;
    use serde_json::{Map, Value};

    #[test]
    fn the_observed_digest_is_that_of_the_masked_copy() {
        // The streamed digest hashes exactly the JSON of the whole masked copy.
        let mut observed = ObservedStage {
            account: Some("123456789012".into()),
            ..Default::default()
        };
        let props: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "Environment": {"Variables": {"APP_KEY": "base64:secret", "APP_ENV": "dev"}},
            "MemorySize": 512
        }))
        .unwrap_or_default();
        observed.resources.insert(
            "HttpFunction".into(),
            LiveResource {
                resource_type: "AWS::Lambda::Function".into(),
                physical_id: "f".into(),
                attributes: BTreeMap::from([(crate::model::MESSAGES_HELD.to_string(), "3".into())]),
                properties: props.clone(),
            },
        );
        observed.stack = Some(crate::model::StackState {
            name: "s".into(),
            stack_id: "id".into(),
            status: "UPDATE_COMPLETE".into(),
            status_reason: None,
            last_updated: None,
            template: Some(serde_json::json!({"Resources": {"HttpFunction": {
            "Type": "AWS::Lambda::Function", "Properties": props}}})),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        });
        let mut masked = observed.clone();
        mask::mask_observed(&mut masked);
        for r in masked.resources.values_mut() {
            r.attributes.remove(crate::model::MESSAGES_HELD);
        }
        let text = serde_json::to_string(&masked).unwrap_or_default();
        assert!(!text.contains("base64:secret"), "{text}");
        let expected = hex::encode(Sha256::digest(text.as_bytes()));
        assert_eq!(observed_digest(&observed), expected);
    }
}
