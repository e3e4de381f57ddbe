//! Which container tool builds on this machine: the one named or the first on PATH that works
//! here, each passed over with why, and the settings it needs (its storage and isolation).

use super::{Builder, ImageError, Kind, BUILDERS};
use std::path::{Path, PathBuf};
use std::process::Stdio;

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
