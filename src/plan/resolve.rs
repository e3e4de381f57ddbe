//! Resolution of CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
//! `Fn::Select`, `Fn::Split`, pseudo parameters) to concrete values, or to the known-after-apply
//! marker when a value cannot be known yet. hover writes only the first three; the others appear
//! in templates the original Hover applied, which the plan reads as what was last applied.

use crate::model::{Partition, Resource, ResourceKind};
use crate::template::intrinsics::{is_pseudo, sub_variables};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Stands in for a value only known after apply while the plan resolves and compares values.
/// It never leaves `plan`: the plan's model carries [`super::marked::Mark::Unknown`] instead,
/// and what apply writes carries the property in [`crate::model::Resolved::unknown`].
pub(super) const UNKNOWN: &str = "\u{1}(known after apply)";

/// Attribute values (`Ref`, `Arn`, ...) per logical id.
pub type Attributes = BTreeMap<String, BTreeMap<String, String>>;

/// Resolves intrinsics against known attributes and the stage's pseudo parameters.
pub struct Resolver<'a> {
    pub account: Option<&'a str>,
    pub region: &'a str,
    pub stack_name: &'a str,
    pub attributes: &'a Attributes,
}

impl Resolver<'_> {
    fn pseudo(&self, name: &str) -> Option<String> {
        match name {
            "AWS::Region" => Some(self.region.to_string()),
            "AWS::AccountId" => self.account.map(str::to_string),
            "AWS::Partition" => Some(Partition::of(self.region).id().into()),
            "AWS::URLSuffix" => Some(Partition::of(self.region).url_suffix().into()),
            "AWS::StackName" => Some(self.stack_name.to_string()),
            _ => None,
        }
    }

    fn attribute(&self, id: &str, attribute: &str) -> Option<String> {
        if is_pseudo(id) {
            return self.pseudo(id);
        }
        self.attributes.get(id)?.get(attribute).cloned()
    }

    /// `value` with every intrinsic replaced by its value or the known-after-apply marker.
    pub fn resolve(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let Some((key, inner)) = map.iter().next() else {
                    return value.clone();
                };
                match (key.as_str(), inner) {
                    ("Ref", Value::String(id)) => self.known(self.attribute(id, "Ref")),
                    ("Fn::GetAtt", Value::Array(parts)) => match (parts.first(), parts.get(1)) {
                        (Some(Value::String(id)), Some(Value::String(attr))) => {
                            self.known(self.attribute(id, attr))
                        }
                        _ => Value::String(UNKNOWN.into()),
                    },
                    ("Fn::Sub", Value::String(text)) => self.known(self.substitute(text)),
                    ("Fn::Sub", Value::Array(parts)) => self.sub_with_variables(parts),
                    ("Fn::Join", Value::Array(parts)) => self.join(parts),
                    ("Fn::Select", Value::Array(parts)) => self.select(parts),
                    ("Fn::Split", Value::Array(parts)) => self.split(parts),
                    _ => {
                        let mut out = Map::new();
                        out.insert(key.clone(), self.resolve(inner));
                        Value::Object(out)
                    }
                }
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v)).collect()),
            other => other.clone(),
        }
    }

    /// Resolved properties of a resource.
    pub fn resolve_map(&self, props: &Map<String, Value>) -> Map<String, Value> {
        props
            .iter()
            .map(|(k, v)| (k.clone(), self.resolve(v)))
            .collect()
    }

    fn known(&self, v: Option<String>) -> Value {
        Value::String(v.unwrap_or_else(|| UNKNOWN.to_string()))
    }

    /// A resolved value as text, when it is a known string or number.
    fn text_of(value: &Value) -> Option<String> {
        match value {
            Value::String(s) if s != UNKNOWN => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// `Fn::Join: [delimiter, [items]]`.
    fn join(&self, parts: &[Value]) -> Value {
        let (Some(Value::String(delimiter)), Some(items)) = (parts.first(), parts.get(1)) else {
            return Value::String(UNKNOWN.into());
        };
        let joined = match self.resolve(items) {
            Value::Array(items) => items
                .iter()
                .map(Self::text_of)
                .collect::<Option<Vec<_>>>()
                .map(|texts| texts.join(delimiter)),
            _ => None,
        };
        self.known(joined)
    }

    /// `Fn::Select: [index, [items]]`.
    fn select(&self, parts: &[Value]) -> Value {
        let index = parts
            .first()
            .map(|i| self.resolve(i))
            .and_then(|i| Self::text_of(&i))
            .and_then(|i| i.parse::<usize>().ok());
        match (index, parts.get(1).map(|items| self.resolve(items))) {
            (Some(i), Some(Value::Array(items))) => items
                .get(i)
                .cloned()
                .unwrap_or_else(|| Value::String(UNKNOWN.into())),
            _ => Value::String(UNKNOWN.into()),
        }
    }

    /// `Fn::Split: [delimiter, text]`.
    fn split(&self, parts: &[Value]) -> Value {
        let (Some(Value::String(delimiter)), Some(text)) = (parts.first(), parts.get(1)) else {
            return Value::String(UNKNOWN.into());
        };
        match Self::text_of(&self.resolve(text)) {
            Some(text) if !delimiter.is_empty() => Value::Array(
                text.split(delimiter.as_str())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
            _ => Value::String(UNKNOWN.into()),
        }
    }

    /// `Fn::Sub: [text, {name: value}]`: the named values first, then references.
    fn sub_with_variables(&self, parts: &[Value]) -> Value {
        let Some(Value::String(text)) = parts.first() else {
            return Value::String(UNKNOWN.into());
        };
        let mut text = text.clone();
        if let Some(Value::Object(vars)) = parts.get(1) {
            for (name, value) in vars {
                let placeholder = format!("${{{name}}}");
                if !text.contains(&placeholder) {
                    continue;
                }
                match Self::text_of(&self.resolve(value)) {
                    Some(v) => text = text.replace(&placeholder, &v),
                    None => return Value::String(UNKNOWN.into()),
                }
            }
        }
        self.known(self.substitute(&text))
    }

    fn substitute(&self, text: &str) -> Option<String> {
        let mut out = text.to_string();
        for var in sub_variables(text) {
            let value = match var.split_once('.') {
                Some((id, attr)) if !is_pseudo(var) => self.attribute(id, attr)?,
                _ => self.attribute(var, "Ref")?,
            };
            out = out.replacen(&format!("${{{var}}}"), &value, 1);
        }
        Some(out.replace("${!", "${"))
    }
}

/// Attributes AWS derives from a resource's name alone, so they are known before it exists
/// ([`crate::model::kinds::Naming`]). `props` are the resource's properties already resolved.
pub fn deterministic_attributes(
    kind: ResourceKind,
    props: &Map<String, Value>,
    account: Option<&str>,
    region: &str,
) -> BTreeMap<String, String> {
    let known = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| *v != UNKNOWN)
    };
    let naming = kind.info().naming;
    let (Some(account), Some(naming)) = (account, naming) else {
        return BTreeMap::new();
    };
    let Some(name) = known(naming.property) else {
        return BTreeMap::new();
    };
    // An alias names its function by name or by ARN.
    let function = known("FunctionName").map(|f| f.rsplit(':').next().unwrap_or(f));
    let partition = Partition::of(region);
    let mut out = BTreeMap::new();
    for d in naming.derived {
        if d.pattern.contains("{function}") && function.is_none() {
            return BTreeMap::new();
        }
        let value = d
            .pattern
            .replace("{name}", name)
            .replace("{function}", function.unwrap_or_default())
            .replace("{region}", region)
            .replace("{account}", account)
            .replace("{partition}", partition.id())
            .replace("{url_suffix}", partition.url_suffix());
        out.insert(d.attribute.to_string(), value);
    }
    out
}

/// Deterministic attributes of every resource, resolving references between them (an alias names
/// its function by `Ref`) until nothing new is learned. A resource of a type hover does not
/// manage (`None`) has none.
pub fn deterministic_table<'r>(
    resources: impl Iterator<Item = (&'r str, Option<ResourceKind>, &'r Map<String, Value>)> + Clone,
    base: &Attributes,
    account: Option<&str>,
    region: &str,
    stack_name: &str,
) -> Attributes {
    let mut table = base.clone();
    for _ in 0..3 {
        let mut next = table.clone();
        let resolver = Resolver {
            account,
            region,
            stack_name,
            attributes: &table,
        };
        for (id, kind, props) in resources.clone() {
            let det = kind
                .map(|k| deterministic_attributes(k, &resolver.resolve_map(props), account, region))
                .unwrap_or_default();
            next.entry(id.to_string()).or_default().extend(det);
        }
        if next == table {
            break;
        }
        table = next;
    }
    table
}

/// Convenience: deterministic attributes for desired resources.
pub fn desired_iter(
    resources: &BTreeMap<String, Resource>,
) -> impl Iterator<Item = (&str, Option<ResourceKind>, &Map<String, Value>)> + Clone {
    resources
        .values()
        .map(|r| (r.logical_id.as_str(), Some(r.kind), &r.properties))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_refs_getatts_subs_and_marks_unknowns() {
        let attributes = Attributes::from([(
            "Api".to_string(),
            BTreeMap::from([("Ref".to_string(), "abc123".to_string())]),
        )]);
        let r = Resolver {
            account: Some("123456789012"),
            region: "eu-west-1",
            stack_name: "s",
            attributes: &attributes,
        };
        assert_eq!(r.resolve(&json!({"Ref": "Api"})), json!("abc123"));
        assert_eq!(r.resolve(&json!({"Ref": "Missing"})), json!(UNKNOWN));
        assert_eq!(
            r.resolve(&json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"})),
            json!("arn:aws:execute-api:eu-west-1:123456789012:abc123/*")
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Sub": "${Other.Arn}"})),
            json!(UNKNOWN)
        );
        assert_eq!(
            r.resolve(&json!({"Fn::GetAtt": ["Api", "ApiEndpoint"]})),
            json!(UNKNOWN)
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Sub": "a${!Literal}"})),
            json!("a${Literal}")
        );
    }

    #[test]
    fn pseudo_parameters_and_names_take_the_regions_partition() {
        let attributes = Attributes::new();
        for (region, arn, suffix) in [
            ("cn-north-1", "arn:aws-cn:", "amazonaws.com.cn"),
            ("us-gov-west-1", "arn:aws-us-gov:", "amazonaws.com"),
            ("eu-west-1", "arn:aws:", "amazonaws.com"),
        ] {
            let r = Resolver {
                account: Some("123456789012"),
                region,
                stack_name: "s",
                attributes: &attributes,
            };
            assert_eq!(
                r.resolve(&json!({"Fn::Sub": "arn:${AWS::Partition}:x/${AWS::URLSuffix}"})),
                json!(format!("{arn}x/{suffix}"))
            );
            let q = json!({"QueueName": "jobs"});
            let q = q.as_object().cloned().unwrap_or_default();
            let d = deterministic_attributes(ResourceKind::Queue, &q, Some("123456789012"), region);
            assert_eq!(d["Arn"], format!("{arn}sqs:{region}:123456789012:jobs"));
            let b = json!({"BucketName": "assets"});
            let b = b.as_object().cloned().unwrap_or_default();
            let d =
                deterministic_attributes(ResourceKind::Bucket, &b, Some("123456789012"), region);
            assert_eq!(d["Arn"], format!("{arn}s3:::assets"));
            assert_eq!(
                d["RegionalDomainName"],
                format!("assets.s3.{region}.{suffix}")
            );
        }
    }

    #[test]
    fn resolves_the_original_tools_join_select_split_and_sub_with_variables() {
        let attributes = Attributes::from([(
            "Api".to_string(),
            BTreeMap::from([
                ("Ref".to_string(), "abc123".to_string()),
                (
                    "ApiEndpoint".to_string(),
                    "https://abc123.execute-api.eu-west-1.amazonaws.com".to_string(),
                ),
            ]),
        )]);
        let r = Resolver {
            account: Some("123456789012"),
            region: "eu-west-1",
            stack_name: "s",
            attributes: &attributes,
        };
        assert_eq!(
            r.resolve(&json!({"Fn::Join": [":", [{"Ref": "Api"}, "live"]]})),
            json!("abc123:live")
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Join": ["", ["a", {"Ref": "Missing"}]]})),
            json!(UNKNOWN)
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Select": ["1", {"Fn::Split": ["//", {"Fn::GetAtt": ["Api", "ApiEndpoint"]}]}]})),
            json!("abc123.execute-api.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Sub": ["x/${v}:live/${AWS::Region}", {"v": {"Ref": "Api"}}]})),
            json!("x/abc123:live/eu-west-1")
        );
        assert_eq!(
            r.resolve(&json!({"Fn::Select": ["5", ["a"]]})),
            json!(UNKNOWN)
        );
    }

    #[test]
    fn deterministic_attributes_follow_references() {
        let f = json!({"FunctionName": "s-http"});
        let a = json!({"FunctionName": {"Ref": "F"}, "Name": "live"});
        let (f, a) = (
            f.as_object().cloned().unwrap_or_default(),
            a.as_object().cloned().unwrap_or_default(),
        );
        let items = vec![
            ("F", Some(ResourceKind::Function), &f),
            ("A", Some(ResourceKind::Alias), &a),
        ];
        let t = deterministic_table(
            items.into_iter(),
            &Attributes::new(),
            Some("123456789012"),
            "us-east-1",
            "s",
        );
        assert_eq!(
            t["A"]["Ref"],
            "arn:aws:lambda:us-east-1:123456789012:function:s-http:live"
        );
    }
}
