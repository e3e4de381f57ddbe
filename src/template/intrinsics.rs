//! CloudFormation intrinsic functions as JSON: building them (`Ref`, `Fn::GetAtt`, `Fn::Sub`) and
//! reading which logical ids a value refers to through them.

use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `{"Ref": id}`.
pub fn reference(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `{"Fn::Sub": text}`.
pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// Pseudo parameters (`AWS::Region`…) are not resources.
pub fn is_pseudo(name: &str) -> bool {
    name.starts_with("AWS::")
}

/// The logical id `value` names when it is a `Ref` to a resource or an `Fn::GetAtt`.
pub fn referenced_id(value: &Value) -> Option<&str> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    match map.iter().next()? {
        (k, Value::String(id)) if k == "Ref" && !is_pseudo(id) => Some(id),
        (k, Value::Array(parts)) if k == "Fn::GetAtt" => parts.first()?.as_str(),
        _ => None,
    }
}

/// Logical ids referenced by `Ref`, `Fn::GetAtt` and `Fn::Sub` anywhere inside `value`.
pub fn collect_references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let Some((k, v)) = map.iter().next() else {
                return;
            };
            match (k.as_str(), v) {
                ("Ref", Value::String(id)) if !is_pseudo(id) => {
                    out.insert(id.clone());
                }
                ("Fn::GetAtt", Value::Array(parts)) => {
                    if let Some(Value::String(id)) = parts.first() {
                        out.insert(id.clone());
                    }
                }
                ("Fn::Sub", Value::String(text)) => {
                    for var in sub_variables(text) {
                        let id = var.split('.').next().unwrap_or(var);
                        if !is_pseudo(id) {
                            out.insert(id.to_string());
                        }
                    }
                }
                _ => collect_references(v, out),
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect_references(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

/// The `${...}` variables of an `Fn::Sub` string (`${!Literal}` excluded).
pub fn sub_variables(text: &str) -> Vec<&str> {
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let var = &after[..end];
                if !var.starts_with('!') {
                    vars.push(var);
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_come_from_ref_getatt_and_sub_but_not_pseudo_parameters() {
        let value = json!({
            "A": reference("Queue"),
            "B": [get_att("Role", "Arn"), reference("AWS::Region")],
            "C": sub("arn:${AWS::Partition}:x:${Api}/${Stage.Name}/${!Literal}"),
        });
        let mut out = BTreeSet::new();
        collect_references(&value, &mut out);
        let found: Vec<&str> = out.iter().map(String::as_str).collect();
        assert_eq!(found, ["Api", "Queue", "Role", "Stage"]);
        assert_eq!(referenced_id(&reference("Queue")), Some("Queue"));
        assert_eq!(referenced_id(&get_att("Role", "Arn")), Some("Role"));
        assert_eq!(referenced_id(&reference("AWS::Region")), None);
        assert_eq!(referenced_id(&sub("${Api}")), None);
    }
}
