//! The container tool: which one builds (docker, podman or buildah), the stage's Dockerfile and its
//! targets, building the image and exporting its assets, logging in to the registry (the password
//! on standard input only) and pushing. Child processes stop here: callers get plain data and one
//! line of the tool's output at a time.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// The container tools hover can drive, in the order it looks for them.
pub const BUILDERS: [&str; 3] = ["docker", "podman", "buildah"];

/// How many of a failed step's last output lines its error shows.
const TAIL_LINES: usize = 15;

/// A failure of the container tool or of what it was given.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ImageError {
    #[error("no container tool found: hover builds images with docker, podman or buildah, and none of them is on PATH")]
    #[diagnostic(
        code(hover::build::no_builder),
        help("install one (e.g. `apt-get install buildah`, `apt-get install podman`, or Docker from docs.docker.com), or name one with --builder / HOVER_BUILDER")
    )]
    NoBuilder,

    #[error("the container tool `{0}` (from {1}) is not on PATH")]
    #[diagnostic(
        code(hover::build::builder_missing),
        help("install it, or choose docker, podman or buildah with --builder / HOVER_BUILDER")
    )]
    BuilderMissing(String, &'static str),

    #[error("the container tool `{0}` is not one hover knows: name docker, podman or buildah (a path to one works too)")]
    #[diagnostic(code(hover::build::unknown_builder))]
    UnknownBuilder(String),

    #[error("no container tool can build here:{}", passed.iter().map(|p| format!("\n  - {}: {}", p.name, p.why)).collect::<String>())]
    #[diagnostic(
        code(hover::build::no_usable_builder),
        help("install buildah (`apt-get install buildah`) or podman, which need no daemon; or start Docker's engine with BuildKit (the `docker-buildx-plugin` package)")
    )]
    NoUsableBuilder { passed: Vec<PassedOver> },

    #[error("the container tool `{name}` (from {from}) cannot build here: {why}")]
    #[diagnostic(code(hover::build::builder_unusable), help("{help}"))]
    BuilderUnusable {
        name: String,
        from: &'static str,
        why: String,
        help: String,
    },

    #[error("the stage's Dockerfile {path} does not exist")]
    #[diagnostic(
        code(hover::build::no_dockerfile),
        help("the manifest's `dockerfile` names a file inside .hover/ (default `.Dockerfile`); `hover stage new` writes one")
    )]
    NoDockerfile { path: String },

    #[error("{step} failed: `{command}` exited with {code}{}", tail.iter().map(|l| format!("\n  | {l}")).collect::<String>())]
    #[diagnostic(code(hover::build::step_failed))]
    StepFailed {
        step: String,
        command: String,
        code: String,
        tail: Vec<String>,
    },

    #[error("{step}: could not run `{program}`: {message}")]
    #[diagnostic(code(hover::build::spawn))]
    Spawn {
        step: String,
        program: String,
        message: String,
    },

    #[error("{what} {path}: {message}")]
    #[diagnostic(code(hover::build::io))]
    Io {
        what: &'static str,
        path: String,
        message: String,
    },
}

impl ImageError {
    pub fn io(what: &'static str, path: &Path, e: std::io::Error) -> Self {
        ImageError::Io {
            what,
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Which tool it is: the flags differ a little between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Docker,
    Podman,
    Buildah,
}

/// The container tool a build uses: what to run, which kind it is, and the environment it needs
/// on this machine (e.g. `STORAGE_DRIVER=vfs` where overlay storage cannot work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Builder {
    pub program: PathBuf,
    pub kind: Kind,
    /// Variables set for every run of the tool (on top of the user's environment).
    pub env: Vec<(String, String)>,
}

/// A container tool that was not chosen, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassedOver {
    pub name: String,
    pub why: String,
}

/// The tool chosen for this machine, the tools passed over before it, and the settings hover
/// made for it (each a sentence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub builder: Builder,
    pub passed: Vec<PassedOver>,
    pub settings: Vec<String>,
}

impl Choice {
    /// Why the tools before this one were passed over, and what hover set for it: `None` when
    /// the first tool was taken as it is.
    pub fn reasons(&self) -> Option<String> {
        let mut why: Vec<String> = self
            .passed
            .iter()
            .map(|p| format!("{} passed over: {}", p.name, p.why))
            .collect();
        why.extend(self.settings.iter().cloned());
        (!why.is_empty()).then(|| why.join("; "))
    }
}

fn kind_of(name: &str) -> Option<Kind> {
    let base = Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(name);
    match base {
        "docker" => Some(Kind::Docker),
        "podman" => Some(Kind::Podman),
        "buildah" => Some(Kind::Buildah),
        _ => None,
    }
}

/// Where `program` is on `path` (a `PATH` value), or the program itself when it is a path to an
/// executable file.
pub fn which(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let as_path = Path::new(program);
    if as_path.components().count() > 1 {
        return is_executable(as_path).then(|| as_path.to_path_buf());
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Chooses the container tool: `chosen` (`--builder`, else `HOVER_BUILDER`) when given, else the
/// first of docker, podman and buildah on `path`.
pub fn find_builder(
    chosen: Option<(&str, &'static str)>,
    path: Option<&std::ffi::OsStr>,
) -> Result<Builder, ImageError> {
    if let Some((name, from)) = chosen.filter(|(n, _)| !n.trim().is_empty()) {
        let kind = kind_of(name).ok_or_else(|| ImageError::UnknownBuilder(name.to_string()))?;
        let program =
            which(name, path).ok_or_else(|| ImageError::BuilderMissing(name.to_string(), from))?;
        return Ok(Builder {
            program,
            kind,
            env: vec![],
        });
    }
    BUILDERS
        .iter()
        .find_map(|name| {
            which(name, path).map(|program| Builder {
                program,
                kind: kind_of(name).unwrap_or(Kind::Docker),
                env: vec![],
            })
        })
        .ok_or(ImageError::NoBuilder)
}

/// What a probe of the machine answers: whether `program args` succeeded with `env` added, and
/// the first line it printed on standard error. Probes are commands such as `docker version`.
pub trait Machine {
    fn run(&self, program: &Path, args: &[&str], env: &[(String, String)]) -> (bool, String);
    /// The variable's value in the user's environment.
    fn var(&self, name: &str) -> Option<String>;
    /// Whether `program` is on `PATH`.
    fn has(&self, program: &str) -> bool;
}

/// This machine: probes run for real, each within ten seconds.
pub struct Host;

impl Machine for Host {
    fn run(&self, program: &Path, args: &[&str], env: &[(String, String)]) -> (bool, String) {
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let Ok(mut child) = command.spawn() else {
            return (false, "it does not start".into());
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let mut err = String::new();
                    if let Some(mut pipe) = child.stderr.take() {
                        use std::io::Read;
                        let _ = pipe.read_to_string(&mut err);
                    }
                    let line = err
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .unwrap_or("")
                        .to_string();
                    return (status.success(), line);
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return (false, "it did not answer within 10 s".into());
                }
            }
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn has(&self, program: &str) -> bool {
        which(program, std::env::var_os("PATH").as_deref()).is_some()
    }
}

/// What a tool needs to build on a machine: the variables hover sets for it, and a sentence for
/// each saying why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fit {
    pub env: Vec<(String, String)>,
    pub settings: Vec<String>,
}

/// Whether `builder` can build on `machine`: the environment it needs there, or why it cannot.
/// docker needs an engine that answers and BuildKit (buildx: the assets stage is exported with
/// `--output`); podman and buildah need a storage that works (overlay, else vfs) and an isolation
/// that works (an OCI runtime, else chroot).
pub fn probe(machine: &dyn Machine, builder: &Builder) -> Result<Fit, String> {
    let program = builder.program.as_path();
    match builder.kind {
        Kind::Docker => {
            let (ok, err) = machine.run(
                program,
                &["version", "--format", "{{.Server.Version}}"],
                &[],
            );
            if !ok {
                return Err(format!("its engine does not answer ({})", or_silent(&err)));
            }
            let (ok, _) = machine.run(program, &["buildx", "version"], &[]);
            if !ok {
                return Err("it has no BuildKit (`docker buildx` is missing), and the legacy builder cannot export the assets stage (`--output`)".into());
            }
            Ok(Fit::default())
        }
        Kind::Podman | Kind::Buildah => {
            let mut env = Vec::new();
            let mut settings = Vec::new();
            let (ok, err) = machine.run(program, &["info"], &[]);
            if !ok {
                if machine.var("STORAGE_DRIVER").is_some() {
                    return Err(format!(
                        "`{} info` fails with the STORAGE_DRIVER you set ({})",
                        builder_name(builder),
                        or_silent(&err)
                    ));
                }
                let vfs = vec![("STORAGE_DRIVER".to_string(), "vfs".to_string())];
                let (ok_vfs, err_vfs) = machine.run(program, &["info"], &vfs);
                if !ok_vfs {
                    return Err(format!(
                        "`{} info` fails ({})",
                        builder_name(builder),
                        or_silent(&err_vfs)
                    ));
                }
                env.extend(vfs);
                settings.push(format!(
                    "its default storage does not work here ({}): hover builds with STORAGE_DRIVER=vfs",
                    or_silent(&err)
                ));
            }
            if machine.var("BUILDAH_ISOLATION").is_none()
                && !machine.has("crun")
                && !machine.has("runc")
            {
                env.push(("BUILDAH_ISOLATION".into(), "chroot".into()));
                settings.push("no OCI runtime (crun or runc) is installed: hover builds with BUILDAH_ISOLATION=chroot".into());
            }
            Ok(Fit { env, settings })
        }
    }
}

fn builder_name(builder: &Builder) -> &'static str {
    match builder.kind {
        Kind::Docker => "docker",
        Kind::Podman => "podman",
        Kind::Buildah => "buildah",
    }
}

fn or_silent(line: &str) -> &str {
    if line.is_empty() {
        "it printed nothing"
    } else {
        line
    }
}

/// What to install or start when `kind` cannot build.
fn setup_help(kind: Kind) -> &'static str {
    match kind {
        Kind::Docker => "start Docker's engine (`sudo systemctl start docker`, or Docker Desktop) and install BuildKit (`docker-buildx-plugin`); or build with buildah or podman, which need no daemon (`--builder buildah`)",
        Kind::Podman => "run `podman info` to see what its set-up lacks (rootless podman needs subuid/subgid ranges: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER`); or build with buildah (`--builder buildah`)",
        Kind::Buildah => "run `buildah info` to see what its set-up lacks; or build with podman (`--builder podman`)",
    }
}

/// Chooses the container tool that can build on `machine`: `chosen` (`--builder` or
/// `HOVER_BUILDER`) when given, else the first of docker, podman and buildah that is installed and
/// passes its probe.
pub fn choose_builder(
    machine: &dyn Machine,
    chosen: Option<(&str, &'static str)>,
    path: Option<&std::ffi::OsStr>,
) -> Result<Choice, ImageError> {
    if let Some((name, from)) = chosen.filter(|(n, _)| !n.trim().is_empty()) {
        let mut builder = find_builder(Some((name, from)), path)?;
        return match probe(machine, &builder) {
            Ok(fit) => {
                builder.env = fit.env;
                Ok(Choice {
                    builder,
                    passed: vec![],
                    settings: fit.settings,
                })
            }
            Err(why) => Err(ImageError::BuilderUnusable {
                name: name.to_string(),
                from,
                why,
                help: setup_help(builder.kind).to_string(),
            }),
        };
    }
    let mut passed = Vec::new();
    for name in BUILDERS {
        let Some(program) = which(name, path) else {
            passed.push(PassedOver {
                name: name.to_string(),
                why: "not installed".into(),
            });
            continue;
        };
        let mut builder = Builder {
            program,
            kind: kind_of(name).unwrap_or(Kind::Docker),
            env: vec![],
        };
        match probe(machine, &builder) {
            Ok(fit) => {
                builder.env = fit.env;
                return Ok(Choice {
                    builder,
                    passed,
                    settings: fit.settings,
                });
            }
            Err(why) => passed.push(PassedOver {
                name: name.to_string(),
                why,
            }),
        }
    }
    Err(ImageError::NoUsableBuilder { passed })
}

/// The named stages of a Dockerfile (`FROM image AS name`), in order, lower-cased.
pub fn stages(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in dockerfile.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
        {
            if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
                if let Some(name) = words.get(i + 1) {
                    out.push(name.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// What one build is asked to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSpec {
    pub dockerfile: PathBuf,
    pub context: PathBuf,
    /// `KEY=VALUE` build arguments, in order.
    pub build_args: Vec<(String, String)>,
    /// Stage built as the image (`None`: the Dockerfile's last stage).
    pub target: Option<String>,
}

impl Builder {
    fn build_verb(&self) -> &'static str {
        match self.kind {
            Kind::Buildah => "bud",
            Kind::Docker | Kind::Podman => "build",
        }
    }

    fn common(&self, spec: &BuildSpec, target: Option<&str>) -> Vec<String> {
        let mut args = vec![
            self.build_verb().to_string(),
            "-f".into(),
            spec.dockerfile.display().to_string(),
        ];
        if let Some(t) = target {
            args.push("--target".into());
            args.push(t.to_string());
        }
        for (k, v) in &spec.build_args {
            args.push("--build-arg".into());
            args.push(format!("{k}={v}"));
        }
        args
    }

    /// Arguments that build `spec` into the local image `tag`.
    pub fn build_image_args(&self, spec: &BuildSpec, tag: &str) -> Vec<String> {
        let mut args = self.common(spec, spec.target.as_deref());
        args.push("-t".into());
        args.push(tag.to_string());
        args.push(spec.context.display().to_string());
        args
    }

    /// Arguments that build stage `stage` of `spec` and write its file system to `dest`.
    pub fn export_stage_args(&self, spec: &BuildSpec, stage: &str, dest: &Path) -> Vec<String> {
        let mut args = self.common(spec, Some(stage));
        args.push("--output".into());
        args.push(format!("type=local,dest={}", dest.display()));
        args.push(spec.context.display().to_string());
        args
    }

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

    /// Runs the tool with `args` for `step`, passing each output line (stdout and stderr) to
    /// `on_line` and `stdin` (when given) on standard input. A non-zero exit is an error naming the
    /// step, the command and the exit code, with the last lines of output.
    pub async fn run(
        &self,
        step: &str,
        args: &[String],
        stdin: Option<&[u8]>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), ImageError> {
        let program = self.program.display().to_string();
        let mut child = Command::new(&self.program)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ImageError::Spawn {
                step: step.to_string(),
                program: program.clone(),
                message: e.to_string(),
            })?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes).await.map_err(|e| ImageError::Spawn {
                step: step.to_string(),
                program: program.clone(),
                message: format!("could not write to its standard input: {e}"),
            })?;
            drop(pipe);
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(forward(BufReader::new(out), tx.clone())));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(forward(BufReader::new(err), tx.clone())));
        }
        drop(tx);
        let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        while let Some(line) = rx.recv().await {
            on_line(&line);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        for r in readers {
            let _ = r.await;
        }
        let status = child.wait().await.map_err(|e| ImageError::Spawn {
            step: step.to_string(),
            program: program.clone(),
            message: e.to_string(),
        })?;
        if status.success() {
            return Ok(());
        }
        let code = match status.code() {
            Some(c) => format!("exit code {c}"),
            None => "a signal".to_string(),
        };
        let shown: Vec<&str> = args.iter().take(1).map(String::as_str).collect();
        Err(ImageError::StepFailed {
            step: step.to_string(),
            command: format!("{program} {}", shown.join(" ")),
            code,
            tail: tail.into_iter().collect(),
        })
    }
}

async fn forward<R: tokio::io::AsyncRead + Unpin>(
    reader: BufReader<R>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim_end().to_string();
        if !line.is_empty() && tx.send(line).is_err() {
            break;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BuildSpec {
        BuildSpec {
            dockerfile: PathBuf::from("/app/.hover/.Dockerfile"),
            context: PathBuf::from("/app"),
            build_args: vec![("ASSET_URL".into(), "assets/b1".into())],
            target: Some("final".into()),
        }
    }

    #[test]
    fn dockerfile_stages_are_found() {
        let df = "FROM php:8.3 AS base\nRUN x\nfrom node:20 as Assets\nFROM base AS final\nFROM scratch\n";
        assert_eq!(stages(df), ["base", "assets", "final"]);
        assert!(stages("FROM scratch\nCOPY . /\n").is_empty());
    }

    #[test]
    fn each_tool_gets_its_own_flags() {
        let b = Builder {
            program: "buildah".into(),
            kind: Kind::Buildah,
            env: vec![],
        };
        assert_eq!(
            b.build_image_args(&spec(), "app:b1").join(" "),
            "bud -f /app/.hover/.Dockerfile --target final --build-arg ASSET_URL=assets/b1 -t app:b1 /app"
        );
        assert_eq!(
            b.export_stage_args(&spec(), "assets", Path::new("/o")).join(" "),
            "bud -f /app/.hover/.Dockerfile --target assets --build-arg ASSET_URL=assets/b1 --output type=local,dest=/o /app"
        );
        assert_eq!(
            b.login_args("127.0.0.1:5000", "AWS", true).join(" "),
            "login --username AWS --password-stdin --tls-verify=false 127.0.0.1:5000"
        );
        assert_eq!(
            b.push_args("h/app:b1", true).join(" "),
            "push --tls-verify=false h/app:b1"
        );
        let d = Builder {
            program: "docker".into(),
            kind: Kind::Docker,
            env: vec![],
        };
        assert_eq!(d.build_image_args(&spec(), "app:b1")[0], "build");
        assert_eq!(
            d.login_args("h", "AWS", false).join(" "),
            "login --username AWS --password-stdin h"
        );
        for args in [
            b.login_args("h", "AWS", true),
            d.login_args("h", "AWS", false),
        ] {
            assert!(args.iter().all(|a| !a.contains("secret")), "{args:?}");
        }
    }

    #[test]
    fn the_builder_is_chosen_in_order_or_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            use std::os::unix::fs::PermissionsExt;
            let p = dir.path().join(name);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        let path = dir.path().as_os_str().to_owned();
        assert!(matches!(
            find_builder(None, Some(&path)),
            Err(ImageError::NoBuilder)
        ));
        make("buildah");
        assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Buildah);
        make("podman");
        assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Podman);
        make("docker");
        assert_eq!(find_builder(None, Some(&path)).unwrap().kind, Kind::Docker);
        let chosen = find_builder(Some(("buildah", "--builder")), Some(&path)).unwrap();
        assert_eq!(chosen.kind, Kind::Buildah);
        assert!(matches!(
            find_builder(Some(("kaniko", "--builder")), Some(&path)),
            Err(ImageError::UnknownBuilder(_))
        ));
        std::fs::remove_file(dir.path().join("podman")).unwrap();
        assert!(matches!(
            find_builder(Some(("podman", "HOVER_BUILDER")), Some(&path)),
            Err(ImageError::BuilderMissing(_, "HOVER_BUILDER"))
        ));
        let by_path = dir.path().join("buildah");
        let chosen = find_builder(Some((by_path.to_str().unwrap(), "--builder")), None).unwrap();
        assert_eq!(chosen.program, by_path);
    }

    /// A machine whose probes answer from a table: (program base name, first argument, env
    /// holds STORAGE_DRIVER=vfs) → (success, stderr line).
    struct FakeMachine {
        answers: Vec<(&'static str, &'static str, bool, bool, &'static str)>,
        vars: Vec<(&'static str, &'static str)>,
        programs: Vec<&'static str>,
    }

    impl Machine for FakeMachine {
        fn run(&self, program: &Path, args: &[&str], env: &[(String, String)]) -> (bool, String) {
            let name = program.file_name().unwrap().to_str().unwrap();
            let vfs = env.iter().any(|(k, v)| k == "STORAGE_DRIVER" && v == "vfs");
            self.answers
                .iter()
                .find(|(p, a, v, _, _)| *p == name && *a == args[0] && *v == vfs)
                .map(|(_, _, _, ok, err)| (*ok, err.to_string()))
                .unwrap_or((true, String::new()))
        }
        fn var(&self, name: &str) -> Option<String> {
            self.vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
        fn has(&self, program: &str) -> bool {
            self.programs.contains(&program)
        }
    }

    fn tools(names: &[&str]) -> (tempfile::TempDir, std::ffi::OsString) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            let p = dir.path().join(name);
            std::fs::write(&p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = dir.path().as_os_str().to_owned();
        (dir, path)
    }

    const NO_ENGINE: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

    #[test]
    fn docker_without_an_engine_or_buildkit_is_passed_over_for_buildah() {
        let (_dir, path) = tools(&["docker", "buildah"]);
        let machine = FakeMachine {
            answers: vec![("docker", "version", false, false, NO_ENGINE)],
            vars: vec![],
            programs: vec!["crun"],
        };
        let choice = choose_builder(&machine, None, Some(&path)).unwrap();
        assert_eq!(choice.builder.kind, Kind::Buildah);
        assert!(choice.builder.env.is_empty());
        assert_eq!(
            choice.passed,
            vec![
                PassedOver {
                    name: "docker".into(),
                    why: format!("its engine does not answer ({NO_ENGINE})")
                },
                PassedOver {
                    name: "podman".into(),
                    why: "not installed".into()
                },
            ]
        );
        let line = choice.reasons().unwrap();
        assert!(
            line.starts_with("docker passed over: its engine does not answer"),
            "{line}"
        );
        assert!(
            line.ends_with("podman passed over: not installed"),
            "{line}"
        );

        // An engine without buildx is the legacy builder: passed over too.
        let machine = FakeMachine {
            answers: vec![(
                "docker",
                "buildx",
                false,
                false,
                "docker: unknown command: docker buildx",
            )],
            vars: vec![],
            programs: vec!["crun"],
        };
        let choice = choose_builder(&machine, None, Some(&path)).unwrap();
        assert_eq!(choice.builder.kind, Kind::Buildah);
        assert!(
            choice.passed[0].why.contains("no BuildKit"),
            "{:?}",
            choice.passed
        );

        // An engine with BuildKit is chosen first.
        let machine = FakeMachine {
            answers: vec![],
            vars: vec![],
            programs: vec![],
        };
        let choice = choose_builder(&machine, None, Some(&path)).unwrap();
        assert_eq!(choice.builder.kind, Kind::Docker);
        assert_eq!(choice.reasons(), None);
    }

    #[test]
    fn buildah_gets_vfs_storage_and_chroot_isolation_where_the_defaults_cannot_work() {
        let (_dir, path) = tools(&["buildah"]);
        let overlay =
            "kernel does not support overlay fs: 'overlay' is not supported over overlayfs";
        let machine = FakeMachine {
            answers: vec![("buildah", "info", false, false, overlay)],
            vars: vec![],
            programs: vec![],
        };
        let choice = choose_builder(&machine, None, Some(&path)).unwrap();
        assert_eq!(
            choice.builder.env,
            vec![
                ("STORAGE_DRIVER".to_string(), "vfs".to_string()),
                ("BUILDAH_ISOLATION".to_string(), "chroot".to_string())
            ]
        );
        assert!(
            choice.settings[0].contains(overlay),
            "{:?}",
            choice.settings
        );
        let line = choice.reasons().unwrap();
        assert!(
            line.contains("STORAGE_DRIVER=vfs") && line.contains("BUILDAH_ISOLATION=chroot"),
            "{line}"
        );

        // The user's own settings are kept, and a storage that fails with them is the user's to mend.
        let machine = FakeMachine {
            answers: vec![("buildah", "info", false, false, overlay)],
            vars: vec![("STORAGE_DRIVER", "overlay"), ("BUILDAH_ISOLATION", "oci")],
            programs: vec![],
        };
        let err =
            choose_builder(&machine, Some(("buildah", "--builder")), Some(&path)).unwrap_err();
        match &err {
            ImageError::BuilderUnusable { why, help, .. } => {
                assert!(why.contains("STORAGE_DRIVER you set"), "{why}");
                assert!(help.contains("buildah info"), "{help}");
            }
            other => panic!("{other:?}"),
        }
        // Nothing works: every tool is named with its reason, and what to install is said.
        let machine = FakeMachine {
            answers: vec![
                ("buildah", "info", false, false, overlay),
                ("buildah", "info", true, false, "no space left"),
            ],
            vars: vec![],
            programs: vec!["runc"],
        };
        let err = choose_builder(&machine, None, Some(&path)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("docker: not installed"), "{text}");
        assert!(
            text.contains("buildah: `buildah info` fails (no space left)"),
            "{text}"
        );
    }

    #[test]
    fn a_named_docker_without_an_engine_says_what_to_start() {
        let (_dir, path) = tools(&["docker", "buildah"]);
        let machine = FakeMachine {
            answers: vec![("docker", "version", false, false, NO_ENGINE)],
            vars: vec![],
            programs: vec![],
        };
        let err =
            choose_builder(&machine, Some(("docker", "HOVER_BUILDER")), Some(&path)).unwrap_err();
        match err {
            ImageError::BuilderUnusable {
                name,
                from,
                why,
                help,
            } => {
                assert_eq!((name.as_str(), from), ("docker", "HOVER_BUILDER"));
                assert!(why.contains(NO_ENGINE));
                assert!(
                    help.contains("start Docker's engine") && help.contains("--builder buildah")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registry_hosts_from_endpoints() {
        assert_eq!(
            registry_host("https://123.dkr.ecr.eu-west-1.amazonaws.com"),
            ("123.dkr.ecr.eu-west-1.amazonaws.com".into(), false)
        );
        assert_eq!(
            registry_host("http://127.0.0.1:5000/"),
            ("127.0.0.1:5000".into(), true)
        );
    }

    #[tokio::test]
    async fn a_failed_step_names_itself_and_its_exit_code() {
        let b = Builder {
            program: "sh".into(),
            kind: Kind::Buildah,
            env: vec![("HOVER_PROBE".into(), "set".into())],
        };
        let mut seen = Vec::new();
        let args: Vec<String> = [
            "-c",
            "echo one; echo two >&2; read x; echo got $x $HOVER_PROBE; exit 3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let err = b
            .run("image build", &args, Some(b"hidden\n"), &mut |l: &str| {
                seen.push(l.to_string())
            })
            .await
            .unwrap_err();
        seen.sort();
        assert_eq!(seen, ["got hidden set", "one", "two"]);
        match err {
            ImageError::StepFailed {
                step, code, tail, ..
            } => {
                assert_eq!(step, "image build");
                assert_eq!(code, "exit code 3");
                assert_eq!(tail.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }
}
