//! The stage's functions (http, cli, one per queue worker), each with its log group and `live`
//! alias, all running one image; and that image's tag set on a stage already built.

use super::{Builder, ALIAS};
use crate::manifest::Manifest;
use crate::model::{DesiredStage, ResourceKind};
use crate::naming;
use crate::stage::ids::Part;
use crate::stage::Scheme;
use crate::template::intrinsics::{reference, sub};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One Lambda function of the stage and the names derived from it.
struct Function<'a> {
    part: Part<'a>,
    /// Human role prefix: `http`, `cli`, `worker default`.
    role: String,
    name: String,
    memory: u32,
    timeout: u32,
    concurrency: Option<u32>,
    extra_env: Vec<(&'a str, String)>,
}

/// The functions the manifest asks for: http, cli, then one per worker.
fn functions(manifest: &Manifest) -> Vec<Function<'_>> {
    let n = &manifest.name;
    let mut functions = vec![
        Function {
            part: Part::Http,
            role: "http".into(),
            name: naming::function(n, Part::Http),
            memory: manifest.http.memory,
            timeout: manifest.http.timeout,
            concurrency: manifest.http.concurrency,
            extra_env: vec![],
        },
        Function {
            part: Part::Cli,
            role: "cli".into(),
            name: naming::function(n, Part::Cli),
            memory: manifest.cli.memory,
            timeout: manifest.cli.timeout,
            concurrency: manifest.cli.concurrency,
            extra_env: vec![],
        },
    ];
    for (worker, settings) in &manifest.queue {
        let backoff: Vec<String> = settings.backoff.iter().map(u32::to_string).collect();
        functions.push(Function {
            part: Part::Worker(worker),
            role: format!("worker {worker}"),
            name: naming::function(n, Part::Worker(worker)),
            memory: settings.memory,
            timeout: settings.timeout,
            concurrency: settings.concurrency,
            extra_env: vec![
                ("QUEUE_TRIES", settings.tries.to_string()),
                ("QUEUE_BACKOFF", backoff.join(",")),
            ],
        });
    }
    functions
}

/// `Code.ImageUri` of stage `n`'s functions running `image_tag`.
fn image_uri(n: &str, image_tag: &str) -> Value {
    sub(&format!(
        "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{n}:{image_tag}"
    ))
}

/// `ASSET_URL` of functions running `image_tag`: the assets uploaded with that image.
fn asset_url(image_tag: &str) -> Value {
    json!(format!("/assets/{image_tag}"))
}

/// Sets the image every function of `stage` runs to `image_tag`: the stage is then what
/// [`super::desired_with`] builds with that tag.
pub fn set_image_tag(stage: &mut DesiredStage, image_tag: &str) {
    for r in stage.resources.values_mut() {
        if r.kind != ResourceKind::Function {
            continue;
        }
        r.properties.insert(
            "Code".into(),
            json!({ "ImageUri": image_uri(&stage.name, image_tag) }),
        );
        if let Some(Value::Object(vars)) = r
            .properties
            .get_mut("Environment")
            .and_then(|e| e.get_mut("Variables"))
        {
            vars.insert("ASSET_URL".into(), asset_url(image_tag));
        }
    }
    stage.image_tag = image_tag.to_string();
}

impl Builder {
    /// Every function of the manifest, run by `role`, with its log group and alias.
    pub(super) fn functions(&mut self, manifest: &Manifest, role: &Value, image_tag: &str) {
        for f in &functions(manifest) {
            self.function(manifest, f, role, image_tag);
        }
    }

    fn function(&mut self, manifest: &Manifest, f: &Function<'_>, role: &Value, image_tag: &str) {
        let log_id = self.ids.log_group(f.part);
        let fn_id = self.ids.function(f.part);
        self.log_group(manifest, f, &log_id, &fn_id);
        let mut props = json!({
            "FunctionName": f.name,
            "PackageType": "Image",
            "Code": { "ImageUri": image_uri(&self.n, image_tag) },
            "Role": role,
            "MemorySize": f.memory,
            "Timeout": f.timeout,
            "Environment": { "Variables": self.environment(manifest, f, image_tag) },
        });
        if let Some(c) = f.concurrency {
            props["ReservedConcurrentExecutions"] = json!(c);
        }
        if let Some(vpc) = &manifest.vpc {
            let mut subnets = vpc.subnets.clone();
            subnets.sort();
            let mut groups = vpc.security_groups.clone();
            groups.sort();
            props["VpcConfig"] = json!({ "SubnetIds": subnets, "SecurityGroupIds": groups });
        }
        self.stack(
            &fn_id,
            &format!("{} function", f.role),
            ResourceKind::Function,
            &f.name,
            props,
        );
        if self.ids == Scheme::Hover {
            self.depend(&fn_id, &log_id);
        }
        self.depend(&fn_id, "EcrRepository");
        self.stack(&self.ids.alias(f.part), &format!("{} alias", f.role), ResourceKind::Alias,
            &format!("{}:{ALIAS}", f.name),
            json!({ "FunctionName": reference(&fn_id), "Name": ALIAS, "FunctionVersion": "$LATEST" }));
    }

    /// The function's log group.
    fn log_group(&mut self, manifest: &Manifest, f: &Function<'_>, log_id: &str, fn_id: &str) {
        let log_name = format!("/aws/lambda/{}", f.name);
        // The original named the log group after its function's `Ref`; the same expression
        // keeps CloudFormation from seeing a change of a name that cannot change in place.
        let log_value = match self.ids {
            Scheme::Hover => json!(log_name),
            Scheme::Original => json!({ "Fn::Join": ["/", ["/aws/lambda", reference(fn_id)]] }),
        };
        self.stack(
            log_id,
            &format!("{} log group", f.role),
            ResourceKind::LogGroup,
            &log_name,
            json!({ "LogGroupName": log_value, "RetentionInDays": manifest.log_retention_days }),
        );
    }

    /// The manifest's environment, then hover's own variables, then the function's.
    fn environment(
        &self,
        manifest: &Manifest,
        f: &Function<'_>,
        image_tag: &str,
    ) -> BTreeMap<String, Value> {
        let n = &self.n;
        let mut env: BTreeMap<String, Value> = manifest
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let hover_env = [
            (
                "SQS_PREFIX",
                sub("https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}"),
            ),
            ("SQS_SUFFIX", json!(format!("-{n}"))),
            ("ASSET_URL", asset_url(image_tag)),
            ("CACHE_PREFIX", json!(n)),
            // Where the runtime reads the stage's maintenance state (`hover down`).
            ("HOVER_MAINTENANCE_BUCKET", json!(naming::bucket(n))),
            (
                "APP_CONFIG_CACHE",
                json!("/tmp/storage/bootstrap/cache/config.php"),
            ),
        ];
        for (k, v) in hover_env {
            env.insert(k.to_string(), v);
        }
        for (k, v) in &f.extra_env {
            env.insert(k.to_string(), json!(v));
        }
        env
    }
}
