//! The registry side of the container tool: logging in (the password on standard input only),
//! tagging and pushing, and the registry host of an ECR endpoint.

use super::{Builder, Kind};

impl Builder {
    /// Arguments that log in to `host`; the password comes on standard input.
    pub fn login_args(&self, host: &str, user: &str, insecure: bool) -> Vec<String> {
        let mut args = vec![
            "login".to_string(),
            "--username".into(),
            user.to_string(),
            "--password-stdin".into(),
        ];
        if insecure && self.kind != Kind::Docker {
            args.push("--tls-verify=false".into());
        }
        args.push(host.to_string());
        args
    }

    /// Arguments that give the local image `from` the name `to`.
    pub fn tag_args(&self, from: &str, to: &str) -> Vec<String> {
        vec!["tag".into(), from.to_string(), to.to_string()]
    }

    /// Arguments that push `image` to its registry.
    pub fn push_args(&self, image: &str, insecure: bool) -> Vec<String> {
        let mut args = vec!["push".to_string()];
        if insecure && self.kind != Kind::Docker {
            args.push("--tls-verify=false".into());
        }
        args.push(image.to_string());
        args
    }
}

/// The registry host of an ECR proxy endpoint (`https://123.dkr.ecr.eu-west-1.amazonaws.com` →
/// the host) and whether it speaks plain HTTP (an emulator's local registry).
pub fn registry_host(proxy_endpoint: &str) -> (String, bool) {
    let insecure = proxy_endpoint.starts_with("http://");
    let host = proxy_endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    (host, insecure)
}
