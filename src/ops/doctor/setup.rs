//! The checks of what a deploy needs before the stage: the manifest, the credentials and their
//! account, the region, the container tool, the registry login, and the runtime a build stages.

use super::{help_of, Check, Status};
use crate::error::HoverError;
use crate::live::{self, Clients};
use crate::manifest::{self, Manifest, ManifestError};
use crate::ops;
use std::path::Path;

pub(super) fn manifest_check(dir: &Path, stage: &str) -> (Check, Option<Manifest>) {
    match manifest::load(dir, stage) {
        Ok(m) => {
            let queues: usize = m.queue.values().map(|w| w.queues.len()).sum();
            let file = Path::new(&m.file);
            let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
            let found = format!(
                "{shown}: stage `{}` in {}, {} functions, {} queues",
                m.name,
                m.region,
                2 + m.queue.len(),
                queues
            );
            let warnings: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
            let check = if warnings.is_empty() {
                Check::new("manifest", Status::Pass, found)
            } else {
                Check::new("manifest", Status::Warn, found)
                    .remedy("see each warning's help; `hover plan` shows them at their lines")
                    .details(warnings)
            };
            (check, Some(m))
        }
        Err(e) => (manifest_failure(&e), None),
    }
}

pub(super) fn manifest_failure(e: &ManifestError) -> Check {
    let problems: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
    let remedy = if problems.is_empty() {
        help_of(e).unwrap_or_else(|| "fix the stage file".into())
    } else {
        "fix every problem listed (`hover plan` shows each at its line, with the code around it)"
            .into()
    };
    Check::new("manifest", Status::Fail, e.to_string())
        .remedy(remedy)
        .details(problems)
}

/// Where the credentials come from, as the SDK's chain decides.
pub(super) fn credentials_source(profile: Option<&str>) -> String {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(p) = profile.filter(|p| !p.is_empty()) {
        return format!("the profile `{p}` (the manifest's `aws-profile`)");
    }
    if env("AWS_ACCESS_KEY_ID").is_some() {
        return "the environment (AWS_ACCESS_KEY_ID)".into();
    }
    if let Some(file) = env("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return format!("a web identity token ({file}: an OpenID Connect role)");
    }
    if let Some(p) = env("AWS_PROFILE") {
        return format!("the profile `{p}` (AWS_PROFILE)");
    }
    if env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
        || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
    {
        return "the container's role".into();
    }
    "the default chain (the `default` profile, or the instance's role)".into()
}

/// Whether the stage's credentials work, and for which account; with the clients built from them
/// and the account they resolve to when they do.
pub(super) async fn credentials_check(manifest: &Manifest) -> (Check, Option<(Clients, String)>) {
    let source = credentials_source(manifest.aws_profile.as_deref());
    let config = match live::load_config(manifest.aws_profile.as_deref(), &manifest.region).await {
        Ok(c) => c,
        Err(e) => {
            let check = Check::new("credentials", Status::Fail, e.to_string()).remedy(
                    help_of(&e).unwrap_or_else(|| {
                        "define the profile (`aws configure --profile NAME`) or remove `aws-profile` from the manifest".into()
                    }),
                );
            return (check, None);
        }
    };
    let clients = Clients::new(&config);
    let identity = match live::account::caller_identity(&clients).await {
        Ok(i) => i,
        Err(e) => {
            let check = Check::new(
                "credentials",
                Status::Fail,
                format!("from {source}: AWS gave no identity"),
            )
            .details(vec![short_error(&e.to_string())])
            .remedy(help_of(&e).unwrap_or_else(|| {
                "give hover credentials: `aws configure`, `aws sso login`, AWS_PROFILE, or the CI's OpenID Connect role (README, \"Continuous integration\")".into()
            }));
            return (check, None);
        }
    };
    let who = format!(
        "from {source}: {} (account {})",
        identity.arn, identity.account
    );
    let check = match &manifest.account {
        Some(expected) if expected != &identity.account => {
            let err = HoverError::WrongAccount {
                stage: manifest.name.clone(),
                expected: expected.clone(),
                actual: identity.account.clone(),
            };
            Check::new("credentials", Status::Fail, format!("{who}: {err}"))
                .remedy(help_of(&err).unwrap_or_default())
        }
        Some(_) => Check::new(
            "credentials",
            Status::Pass,
            format!("{who}, the manifest's `account`"),
        ),
        None => Check::new("credentials", Status::Pass, who).details(vec![format!(
            "the manifest pins no `account`: `account: \"{}\"` makes hover refuse any other",
            identity.account
        )]),
    };
    (check, Some((clients, identity.account)))
}

/// An SDK error's first part: the chain of causes, without the debug dump of the response the
/// SDK appends.
pub(super) fn short_error(text: &str) -> String {
    // An answer the SDK cannot read at all (an endpoint that does not know the operation).
    if let Some(at) = text.find("service error: unhandled error") {
        return format!(
            "{}the endpoint gave no answer the SDK can read",
            &text[..at]
        );
    }
    let cut = [
        " (DispatchFailure(",
        " (ServiceError(",
        " (ResponseError(",
        " (TimeoutError(",
        " (ConstructionFailure(",
    ]
    .iter()
    .filter_map(|m| text.find(m))
    .min()
    .unwrap_or(text.len());
    let text = &text[..cut];
    if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text.to_string()
    }
}

pub(super) fn region_check(manifest: &Manifest) -> Check {
    let mut details = live::environment_notes(manifest.aws_profile.as_deref(), &manifest.region);
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        if !url.trim().is_empty() {
            details.push(format!(
                "AWS_ENDPOINT_URL={url}: every call goes to this endpoint"
            ));
        }
    }
    Check::new(
        "region",
        Status::Pass,
        format!(
            "{} (the manifest's `region`, used for every call and name)",
            manifest.region
        ),
    )
    .details(details)
}

pub(super) fn builder_check(chosen: Option<&str>) -> Check {
    match ops::build::builder(chosen) {
        Ok(choice) => {
            let b = &choice.builder;
            let can = match b.kind {
                crate::image::Kind::Docker => "its engine answers and it has BuildKit",
                crate::image::Kind::Podman | crate::image::Kind::Buildah => {
                    "it builds without a daemon"
                }
            };
            let how = match chosen {
                Some(_) => "named by --builder",
                None if std::env::var("HOVER_BUILDER").is_ok_and(|v| !v.trim().is_empty()) => {
                    "named by HOVER_BUILDER"
                }
                None => "the first that can build here",
            };
            let mut details: Vec<String> = choice
                .passed
                .iter()
                .map(|p| format!("{} passed over: {}", p.name, p.why))
                .collect();
            details.extend(choice.settings.iter().cloned());
            Check::new(
                "container tool",
                Status::Pass,
                format!("{} ({how}): {can}", b.program.display()),
            )
            .details(details)
        }
        Err(e) => Check::new("container tool", Status::Fail, e.to_string()).remedy(
            help_of(&e).unwrap_or_else(|| {
                "install buildah or podman, or start Docker's engine with BuildKit".into()
            }),
        ),
    }
}

pub(super) async fn registry_check(clients: &Clients) -> Check {
    match crate::release::aws::registry_login(clients).await {
        Ok(login) => Check::new(
            "registry",
            Status::Pass,
            format!(
                "ECR gives a login for {} (user `{}`)",
                login.endpoint, login.user
            ),
        ),
        Err(e) => Check::new("registry", Status::Fail, e.to_string()).remedy(
            "the credentials need ecr:GetAuthorizationToken (and the push actions): see examples/ci/policy-deploy.json",
        ),
    }
}

pub(super) fn runtime_check(dir: &Path, manifest: Option<&Manifest>) -> Check {
    let name = "runtime";
    let files = crate::runtime::FILES;
    let bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    let entry = files.iter().find(|f| f.path == crate::runtime::ENTRY_POINT);
    let found = format!(
        "{} files ({} KB) embedded in hover, entry point `{}`; `hover build` writes them to .hover/out/<build-id>/runtime/",
        files.len(),
        bytes.div_ceil(1024),
        crate::runtime::ENTRY_POINT
    );
    let details: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "{} ({} bytes{})",
                f.path,
                f.bytes.len(),
                if f.executable { ", executable" } else { "" }
            )
        })
        .collect();
    if !entry.is_some_and(|f| f.executable) {
        return Check::new(name, Status::Fail, found)
            .remedy("this hover was built without its runtime's entry point: reinstall hover")
            .details(details);
    }
    let Some(manifest) = manifest else {
        return Check::new(name, Status::Pass, found).details(details);
    };
    let dockerfile = dir.join(".hover").join(&manifest.dockerfile);
    let shown = format!(".hover/{}", manifest.dockerfile);
    match std::fs::read_to_string(&dockerfile) {
        Err(_) => Check::new(name, Status::Fail, format!("{found}; the stage's Dockerfile {shown} does not exist"))
            .remedy("the manifest's `dockerfile` names a file in .hover/ (default `.Dockerfile`); `hover stage new` writes one")
            .details(details),
        Ok(text) if !crate::runtime::copied_by(&text) => Check::new(
            name,
            Status::Warn,
            format!("{found}; {shown} does not copy them"),
        )
        .remedy("add `COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover` (and `ENTRYPOINT [\"/opt/hover/bootstrap\"]`) to the image's stage, as `hover stage new` writes it")
        .details(details),
        Ok(_) => Check::new(name, Status::Pass, format!("{found}; {shown} copies them"))
            .details(details),
    }
}
