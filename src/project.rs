//! The files of a new stage (`hover stage new`): the manifest with every default spelled out and
//! commented, `.hover/.gitignore`, the four-target `.hover/.Dockerfile` and the empty plain
//! secrets file. Pure text; `ops::stage_new` decides what to write.

use crate::manifest::defaults;

/// Lines `.hover/.gitignore` must hold: the plain secrets and the build output.
pub const GITIGNORE_LINES: &[&str] = &["*-secrets.plain.env", "out/"];

/// Settings of a new stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStage {
    /// The stage (file name): `dev` for `.hover/dev.yml`.
    pub stage: String,
    /// The manifest's `name`: prefix of every AWS name.
    pub name: String,
    pub region: String,
    pub profile: Option<String>,
}

/// A stage name the manifest accepts, made from a project directory and a stage: lowercase
/// letters, digits and single `-`, starting with a letter (`My App` + `dev` → `my-app-dev`).
pub fn default_name(project: &str, stage: &str) -> String {
    let raw = format!("{project}-{stage}").to_ascii_lowercase();
    let mut name = String::new();
    for c in raw.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    let name = name.trim_matches('-').to_string();
    let name: String = name
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take(40)
        .collect();
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        format!("app-{}", stage.to_ascii_lowercase())
    } else {
        name
    }
}

/// `.hover/<stage>.yml`: every key with its default, commented, so the file documents itself.
pub fn manifest(s: &NewStage) -> String {
    use defaults::*;
    let profile = match &s.profile {
        Some(p) => format!("aws-profile: {p}\n"),
        None => "# aws-profile: default           # a shared-config profile; none: the standard AWS environment\n".to_string(),
    };
    format!(
        "\
# The stage `{stage}` of this project, deployed by hover (`hover plan {stage}`, `hover apply {stage}`).
# Every key is shown with its default; see hover's README for what each one allows.

# Prefix of every AWS name (stack, functions, queues, bucket): never change it once deployed.
name: {name}
region: {region}
{profile}# account: \"123456789012\"         # refuse to touch any other account

dockerfile: {DOCKERFILE}             # in .hover/; targets base, assets, tests, final
log-retention: {LOG_RETENTION_DAYS}                   # days

# Non-secret variables of every function. Secrets go in .hover/{stage}-secrets.plain.env,
# then `hover secret encrypt --stage {stage}`.
environment:
  APP_ENV: {stage}

# Artisan commands run on the new version before traffic moves to it.
deploy-commands: []
#  - migrate --force

# auth:
#   stack-role: arn:aws:iam::123456789012:role/cloudformation   # CloudFormation's service role
#   lambda-role: arn:aws:iam::123456789012:role/app             # none: a least-privilege role is made

# vpc:                                # both lists, or neither
#   subnets: [subnet-0123456789abcdef0]
#   security-groups: [sg-0123456789abcdef0]

http:
  memory: {HTTP_MEMORY}                       # MB, 128-10240
  timeout: {HTTP_TIMEOUT}                       # seconds, at most 30 (API Gateway)
  # concurrency: 10                   # reserved concurrency; none (or 0): unreserved
  warm: {HTTP_WARM}                           # containers kept warm; 0 removes the warmer
  domains: []                         # CloudFront aliases; need a certificate
  # certificate: arn:aws:acm:us-east-1:123456789012:certificate/...

cli:
  memory: {CLI_MEMORY}
  timeout: {CLI_TIMEOUT}                      # seconds, at most 900
  # concurrency: 1

# One worker function per key; each consumes its queues (`<queue>-{name}` in SQS).
queue:
  default:
    memory: {QUEUE_MEMORY}
    timeout: {QUEUE_TIMEOUT}
    tries: {QUEUE_TRIES}                        # then the message moves to the dead-letter queue
    backoff: \"\"                       # seconds between tries, e.g. \"5, 10\"
    # visibility-timeout: {visibility}         # default: timeout + {VISIBILITY_MARGIN}
    queues:
      - default
",
        stage = s.stage,
        name = s.name,
        region = s.region,
        visibility = QUEUE_TIMEOUT + VISIBILITY_MARGIN,
    )
}

/// `.hover/.gitignore` with [`GITIGNORE_LINES`] present: the text to write, or `None` when every
/// line is there already. `current` is the file's text, if it exists.
pub fn gitignore(current: Option<&str>) -> Option<String> {
    let current = current.unwrap_or("");
    let missing: Vec<&str> = GITIGNORE_LINES
        .iter()
        .copied()
        .filter(|l| !current.lines().any(|c| c.trim() == *l))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut text = current.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for l in missing {
        text.push_str(l);
        text.push('\n');
    }
    Some(text)
}

/// `.hover/.Dockerfile`: the four targets `hover build` uses, on the official PHP image, with
/// hover's runtime as the entry point.
pub const DOCKERFILE: &str = r#"# The image of every function of this project, in four targets (`hover build`):
#   base    PHP, the extensions Laravel needs and `composer install`
#   assets  the front end, built with ASSET_URL=assets/<build-id>; its filesystem is exactly
#           /public, uploaded to the stage's assets bucket under assets/<build-id>/
#   tests   base plus the development dependencies and the test suite (`vendor/bin/phpunit`)
#   final   the image deployed: base plus hover's runtime and the stage's encrypted secrets
# hover passes --build-arg ASSET_URL=assets/<build-id> --build-arg HOVER_BUILD_ID=<build-id>, and
# writes its runtime into .hover/out/<build-id>/runtime before it builds.

# Any official `php:8.1-fpm` to `php:8.4-fpm` image works, Debian or Alpine (adapt the package
# step); hover's runtime finds PHP at /usr/local/bin/php and /usr/local/sbin/php-fpm.
ARG PHP_IMAGE=php:8.3-fpm

FROM ${PHP_IMAGE} AS php
RUN apt-get update \
 && apt-get install -y --no-install-recommends libicu-dev libzip-dev unzip \
 && docker-php-ext-install -j"$(nproc)" bcmath intl opcache pcntl pdo_mysql zip \
 && rm -rf /var/lib/apt/lists/*
COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
ENV LAMBDA_TASK_ROOT=/var/task COMPOSER_ALLOW_SUPERUSER=1
WORKDIR /var/task

FROM php AS base
COPY composer.json composer.lock ./
RUN composer install --no-dev --no-scripts --no-autoloader --prefer-dist --no-interaction
COPY . .
RUN composer dump-autoload --no-dev --optimize --classmap-authoritative \
 && php artisan package:discover --ansi

FROM node:20-alpine AS assets-build
ARG ASSET_URL
ENV ASSET_URL=${ASSET_URL}
WORKDIR /app
COPY package.json package-lock.json* ./
RUN npm ci
COPY . .
RUN npm run build

FROM scratch AS assets
COPY --from=assets-build /app/public /public

FROM php AS tests
COPY composer.json composer.lock ./
RUN composer install --no-scripts --no-autoloader --prefer-dist --no-interaction
COPY . .
RUN composer dump-autoload && vendor/bin/phpunit

FROM base AS final
ARG ASSET_URL
ENV ASSET_URL=${ASSET_URL}
ARG HOVER_BUILD_ID
# hover's runtime (`hover build` writes it, versioned with hover): the Lambda Runtime API loop,
# php-fpm for HTTP, artisan for commands and the scheduler, Laravel's worker for queue jobs.
COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover
# The stage's encrypted secrets (`hover secret encrypt`; an empty file when the stage has none):
# the runtime decrypts them with KMS at cold start.
COPY .hover/out/${HOVER_BUILD_ID}/secrets.env /var/task/.hover/secrets.env
ENTRYPOINT ["/opt/hover/bootstrap"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_parses_with_the_documented_defaults() {
        let text = manifest(&NewStage {
            stage: "dev".into(),
            name: "shop-dev".into(),
            region: "eu-west-1".into(),
            profile: Some("shop".into()),
        });
        let m = crate::manifest::parse(".hover/dev.yml", &text)
            .unwrap_or_else(|e| panic!("{}\n{text}", e.to_text()));
        assert_eq!(m.name, "shop-dev");
        assert_eq!(m.region, "eu-west-1");
        assert_eq!(m.aws_profile.as_deref(), Some("shop"));
        assert_eq!(m.http.memory, defaults::HTTP_MEMORY);
        assert_eq!(m.http.timeout, defaults::HTTP_TIMEOUT);
        assert_eq!(m.cli.timeout, defaults::CLI_TIMEOUT);
        assert_eq!(m.queue["default"].tries, defaults::QUEUE_TRIES);
        assert_eq!(m.queue["default"].visibility_timeout, 70);
        assert!(m.warnings.is_empty());
        let bare = manifest(&NewStage {
            stage: "dev".into(),
            name: "shop-dev".into(),
            region: "us-east-1".into(),
            profile: None,
        });
        assert_eq!(
            crate::manifest::parse(".hover/dev.yml", &bare)
                .map(|m| m.aws_profile)
                .ok(),
            Some(None)
        );
    }

    #[test]
    fn default_names_are_valid_stage_names() {
        assert_eq!(default_name("My App", "dev"), "my-app-dev");
        assert_eq!(default_name("2048_game", "prod"), "game-prod");
        assert_eq!(default_name("---", "dev"), "dev");
        assert_eq!(default_name("", "dev"), "dev");
    }

    #[test]
    fn the_dockerfile_has_the_four_targets_and_copies_the_build_secrets() {
        for target in [
            "AS base",
            "AS assets",
            "AS tests",
            "AS final",
            "ARG ASSET_URL",
            "ARG HOVER_BUILD_ID",
        ] {
            assert!(DOCKERFILE.contains(target), "{target}");
        }
        assert!(DOCKERFILE.contains("COPY .hover/out/${HOVER_BUILD_ID}/secrets.env"));
        assert_eq!(
            crate::image::stages(DOCKERFILE),
            ["php", "base", "assets-build", "assets", "tests", "final"]
        );
        // The official PHP image, hover's runtime as the entry point of the final stage.
        assert!(DOCKERFILE.contains("ARG PHP_IMAGE=php:8.3-fpm"));
        let final_stage = DOCKERFILE.split("AS final").nth(1).unwrap();
        assert!(final_stage.contains("COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover"));
        assert!(final_stage
            .trim_end()
            .ends_with(r#"ENTRYPOINT ["/opt/hover/bootstrap"]"#));
        assert!(!DOCKERFILE.contains("config:cache"));
    }

    #[test]
    fn gitignore_lines_are_added_once() {
        assert_eq!(
            gitignore(None).as_deref(),
            Some("*-secrets.plain.env\nout/\n")
        );
        assert_eq!(
            gitignore(Some("*-secrets.plain.env")).as_deref(),
            Some("*-secrets.plain.env\nout/\n")
        );
        assert_eq!(gitignore(Some("out/\n*-secrets.plain.env\n")), None);
    }
}
