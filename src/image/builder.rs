//! Building with the container tool: the Dockerfile's named stages, the arguments that build the
//! image or export a stage's files, and running the tool with its output passed on line by line.

use super::{Builder, ImageError, Kind};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// How many of a failed step's last output lines its error shows.
const TAIL_LINES: usize = 15;

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
