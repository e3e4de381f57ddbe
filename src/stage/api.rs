//! The stage's HTTP API: an API Gateway HTTP API whose default route proxies every request to the
//! http function's `live` alias, with the permission that lets it invoke the function.

use super::{Builder, ALIAS};
use crate::manifest::Manifest;
use crate::model::ResourceKind;
use crate::naming;
use crate::stage::ids::Part;
use crate::stage::Scheme;
use crate::template::intrinsics::{reference, sub};
use serde_json::json;

impl Builder {
    /// The API, its integration, route, stage and permission; returns the API's logical id.
    pub(super) fn api(&mut self, manifest: &Manifest) -> String {
        let n = self.n.clone();
        let api = self.ids.api();
        let integration = self.ids.api_integration();
        let http_alias = self.ids.alias(Part::Http);
        self.stack(
            &api,
            "http api",
            ResourceKind::Api,
            &naming::api(&n),
            json!({ "Name": naming::api(&n), "ProtocolType": "HTTP" }),
        );
        self.stack(
            &integration,
            "http api integration",
            ResourceKind::Integration,
            &format!(
                "{} -> {}:{ALIAS}",
                naming::api(&n),
                naming::function(&n, Part::Http)
            ),
            json!({
                "ApiId": reference(&api),
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": reference(&http_alias),
                "PayloadFormatVersion": "2.0",
                "TimeoutInMillis": (manifest.http.timeout * 1000).min(30_000),
            }),
        );
        self.stack(
            &self.ids.api_route(),
            "http api route",
            ResourceKind::Route,
            "$default",
            json!({
                "ApiId": reference(&api),
                "RouteKey": "$default",
                "Target": sub(&format!("integrations/${{{integration}}}")),
            }),
        );
        self.stack(
            &self.ids.api_stage(),
            "http api stage",
            ResourceKind::ApiStage,
            "$default",
            json!({ "ApiId": reference(&api), "StageName": "$default", "AutoDeploy": true }),
        );
        self.api_permission(&api, &http_alias);
        api
    }

    /// The permission that lets API Gateway invoke the http function's alias.
    fn api_permission(&mut self, api: &str, http_alias: &str) {
        let n = self.n.clone();
        let permission = self.ids.api_permission();
        let source = match self.ids {
            Scheme::Hover => sub(&format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api}}}/*")),
            // As the original wrote it: a permission cannot change in place.
            Scheme::Original => json!({ "Fn::Join": ["", [
                format!("{}execute-api:", self.partition.arn_prefix()), reference("AWS::Region"), ":", reference("AWS::AccountId"), ":",
                reference(api), "/*",
            ]] }),
        };
        self.stack(
            &permission,
            "http api permission",
            ResourceKind::Permission,
            &format!("apigateway -> {}:{ALIAS}", naming::function(&n, Part::Http)),
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": self.permission_target(Part::Http),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": source,
            }),
        );
        self.depend(&permission, http_alias);
    }
}
