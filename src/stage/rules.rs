//! The stage's schedule rules (the Laravel scheduler every minute on the cli function; the
//! warmer every five minutes on the http function when asked for), each with its permission.

use super::{Builder, ALIAS};
use crate::manifest::Manifest;
use crate::model::ResourceKind;
use crate::naming;
use crate::stage::ids::{Part, Rule};
use crate::stage::Scheme;
use crate::template::intrinsics::{get_att, reference};
use serde_json::json;

/// One schedule rule: what it is, when it fires and what it sends to which function.
struct Schedule<'a> {
    rule: Rule,
    /// Human role prefix: `scheduler`, `warmer`.
    role: &'a str,
    schedule: &'a str,
    part: Part<'a>,
    /// The function's short name (`cli`, `http`), also the target's id.
    target: &'a str,
    input: String,
}

impl Builder {
    /// The scheduler rule, and the warmer's when the manifest keeps containers warm.
    pub(super) fn rules(&mut self, manifest: &Manifest) {
        self.rule(Schedule {
            rule: Rule::Scheduler,
            role: "scheduler",
            schedule: "rate(1 minute)",
            part: Part::Cli,
            target: "cli",
            input: json!({ "command": "schedule:run" }).to_string(),
        });
        if manifest.http.warm > 0 {
            self.rule(Schedule {
                rule: Rule::Warmer,
                role: "warmer",
                schedule: "rate(5 minutes)",
                part: Part::Http,
                target: "http",
                input: json!({ "warmer": true, "containers": manifest.http.warm }).to_string(),
            });
        }
    }

    fn rule(&mut self, s: Schedule<'_>) {
        let n = self.n.clone();
        let name = naming::rule(&n, s.rule);
        let rule_id = self.ids.rule(s.rule);
        let alias = self.ids.alias(s.part);
        let permission = self.ids.rule_permission(s.rule);
        self.stack(
            &rule_id,
            &format!("{} rule", s.role),
            ResourceKind::Rule,
            &name,
            json!({
                "Name": name,
                "ScheduleExpression": s.schedule,
                "State": "ENABLED",
                "Targets": [{ "Id": s.target, "Arn": reference(&alias), "Input": s.input }],
            }),
        );
        let function = self.permission_target(s.part);
        self.stack(
            &permission,
            &format!("{} permission", s.role),
            ResourceKind::Permission,
            &format!("events -> {}:{ALIAS}", naming::function(&n, s.part)),
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": function,
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(&rule_id, "Arn"),
            }),
        );
        // The original made its warmer permission (not its scheduler's) wait for the alias; the
        // same dependencies leave the permission unchanged.
        if self.ids == Scheme::Hover || s.rule == Rule::Warmer {
            self.depend(&permission, &alias);
        }
    }
}
