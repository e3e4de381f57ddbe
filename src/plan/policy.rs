//! IAM policy documents compared by meaning: IAM and CloudFormation may hand back a one-element
//! list where a string was written (or the reverse), a lone statement for a list of one, and
//! inline policies in any order. Only shapes IAM treats alike are merged; no order that matters is
//! touched. Pure.

use serde_json::{Map, Value};

/// A policy property's value ([`crate::model::kinds::holds_policies`]) in one canonical shape: documents through
/// [`document`], inline `Policies` sorted by name, `ManagedPolicyArns` sorted (both are sets).
/// Other values are returned unchanged.
pub fn canonical(key: &str, value: &Value) -> Value {
    match (key, value) {
        ("AssumeRolePolicyDocument", doc) => document(doc),
        ("Policies", Value::Array(items)) => {
            let mut items: Vec<Value> = items
                .iter()
                .map(|p| match p {
                    Value::Object(m) => Value::Object(
                        m.iter()
                            .map(|(k, v)| {
                                let v = if k == "PolicyDocument" {
                                    document(v)
                                } else {
                                    v.clone()
                                };
                                (k.clone(), v)
                            })
                            .collect(),
                    ),
                    other => other.clone(),
                })
                .collect();
            items.sort_by_key(|p| p.get("PolicyName").map(Value::to_string));
            Value::Array(items)
        }
        ("ManagedPolicyArns", Value::Array(items)) => {
            let mut items = items.clone();
            items.sort_by_key(Value::to_string);
            items.dedup();
            Value::Array(items)
        }
        (_, other) => other.clone(),
    }
}

/// A policy document in one shape: `Statement` always a list; in each statement `Action`,
/// `NotAction`, `Resource`, `NotResource`, each `Principal`/`NotPrincipal` entry and each
/// condition value a string when it is a one-element list of a string. Anything else (a document
/// that is not an object, unknown keys, list order) is kept as it is.
pub fn document(doc: &Value) -> Value {
    let Value::Object(map) = doc else {
        return doc.clone();
    };
    let mut out = map.clone();
    if let Some(statement) = map.get("Statement") {
        let statements: Option<Vec<Value>> = match statement {
            Value::Array(items) => Some(items.iter().map(self::statement).collect()),
            lone @ Value::Object(_) => Some(vec![self::statement(lone)]),
            _ => None,
        };
        if let Some(statements) = statements {
            out.insert("Statement".to_owned(), Value::Array(statements));
        }
    }
    Value::Object(out)
}

fn statement(s: &Value) -> Value {
    let Value::Object(map) = s else {
        return s.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let v = match k.as_str() {
            "Action" | "NotAction" | "Resource" | "NotResource" => single(v),
            "Principal" | "NotPrincipal" => each_value(v, single),
            "Condition" => each_value(v, |block| each_value(block, single)),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

/// A one-element list of a string as that string.
fn single(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 && items[0].is_string() => items[0].clone(),
        other => other.clone(),
    }
}

/// `f` applied to every value of an object; anything else unchanged.
fn each_value(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff::same;
    use serde_json::json;

    fn same_policies(key: &str, a: &Value, b: &Value) -> bool {
        same(Some(&canonical(key, a)), Some(&canonical(key, b)))
    }

    #[test]
    fn one_element_lists_and_strings_mean_the_same() {
        let written = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        }]});
        let read = json!({"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": ["sts:AssumeRole"],
            "Principal": {"Service": ["lambda.amazonaws.com"]},
            "Condition": {"StringEquals": {"aws:SourceAccount": ["123456789012"]}}
        }});
        assert!(same_policies("AssumeRolePolicyDocument", &written, &read));
        assert!(!same(Some(&written), Some(&read)));
    }

    #[test]
    fn real_differences_and_order_that_matters_stay() {
        let doc = |actions: Value| {
            json!([{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}])
        };
        assert!(same_policies(
            "Policies",
            &doc(json!("sqs:SendMessage")),
            &doc(json!(["sqs:SendMessage"]))
        ));
        assert!(!same_policies(
            "Policies",
            &doc(json!("sqs:SendMessage")),
            &doc(json!(["sqs:SendMessage", "sqs:DeleteMessage"]))
        ));
        // Statement order is kept (and so a reordering still shows).
        let two = |a: &str, b: &str| json!({"Statement": [{"Sid": a}, {"Sid": b}]});
        assert!(!same(
            Some(&document(&two("A", "B"))),
            Some(&document(&two("B", "A")))
        ));
    }

    #[test]
    fn inline_policies_and_managed_arns_are_sets() {
        let a = json!([{"PolicyName": "b", "PolicyDocument": {}}, {"PolicyName": "a", "PolicyDocument": {}}]);
        let b = json!([{"PolicyName": "a", "PolicyDocument": {}}, {"PolicyName": "b", "PolicyDocument": {}}]);
        assert!(same_policies("Policies", &a, &b));
        assert!(same_policies(
            "ManagedPolicyArns",
            &json!(["arn:b", "arn:a"]),
            &json!(["arn:a", "arn:b"])
        ));
    }
}
