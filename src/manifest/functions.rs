//! The `http` and `cli` sections, and the settings every function shares: memory, timeout and
//! reserved concurrency, with the zeros the original Hover gave another meaning.

use super::check::{join, Checker, Fields, NULL};
use super::domains::Cdn;
use super::yaml::{Kind, Node};
use super::{defaults, Cli, Http};

const HTTP_KEYS: &[&str] = &[
    "memory",
    "timeout",
    "concurrency",
    "warm",
    "domains",
    "certificate",
];
const CLI_KEYS: &[&str] = &["memory", "timeout", "concurrency"];

/// Longest function timeout Lambda allows, in seconds.
const TIMEOUT_MAX: i64 = 900;
/// Longest HTTP function timeout: API Gateway's HTTP API ends every request after 30 s.
const HTTP_TIMEOUT_MAX: i64 = 30;

impl Checker<'_> {
    pub(super) fn memory(&mut self, f: &Fields<'_>, path: &str, default: u32) -> u32 {
        f.value("memory")
            .and_then(|v| {
                let p = join(path, "memory");
                if self.original_zero(v, &p, "Lambda's default of 128 MB", format!("write `memory: 128` to keep what runs now, or remove the key for hover's default of {default} MB")) {
                    return None;
                }
                self.ranged(v, &p, 128, 10_240, "memory (MB)")
            })
            .unwrap_or(default)
    }

    /// A function timeout in seconds, within what Lambda allows.
    pub(super) fn timeout(&mut self, node: &Node, path: &str, default: u32) -> Option<u32> {
        if self.zero_timeout(node, path, default) {
            return None;
        }
        self.ranged(node, path, 1, TIMEOUT_MAX, "timeout (seconds)")
    }

    /// A timeout of `0`, which the original read as Lambda's default: reported, true when it is.
    fn zero_timeout(&mut self, node: &Node, path: &str, default: u32) -> bool {
        self.original_zero(
            node,
            path,
            "Lambda's default timeout of 3 seconds",
            format!("write `timeout: 3` to keep what runs now, or remove the key for hover's default of {default} s"),
        )
    }

    /// Reserved concurrency; `0` means none, as it did in the original Hover (a reservation of
    /// zero would stop the function).
    pub(super) fn concurrency(&mut self, f: &Fields<'_>, path: &str) -> Option<u32> {
        f.value("concurrency")
            .and_then(|v| {
                self.ranged(
                    v,
                    &join(path, "concurrency"),
                    0,
                    1000,
                    "reserved concurrency",
                )
            })
            .filter(|c| *c > 0)
    }

    /// `0`, which the original Hover read as "leave it to Lambda": a located error saying what
    /// changed. True when reported.
    pub(super) fn original_zero(
        &mut self,
        node: &Node,
        path: &str,
        meant: &str,
        help: String,
    ) -> bool {
        if !matches!(&node.kind, Kind::Scalar { value, plain: true } if value == "0") {
            return false;
        }
        self.report(
            node,
            path,
            &format!("`0` meant {meant} in the original Hover; hover does not read it that way"),
            Some(help),
        );
        true
    }

    pub(super) fn http(&mut self, node: Option<&Node>, account: Option<&str>) -> Http {
        let f = self.fields(node.unwrap_or(&NULL), "http", HTTP_KEYS);
        let memory = self.memory(&f, "http", defaults::HTTP_MEMORY);
        let timeout = f
            .value("timeout")
            .and_then(|v| self.http_timeout(v))
            .unwrap_or(defaults::HTTP_TIMEOUT);
        let concurrency = self.concurrency(&f, "http");
        let warm = f
            .value("warm")
            .and_then(|v| self.ranged(v, "http.warm", 0, 100, "warm containers"))
            .unwrap_or(defaults::HTTP_WARM);
        let Cdn {
            domains,
            certificate,
        } = self.cdn(&f, account);
        Http {
            memory,
            timeout,
            concurrency,
            warm,
            domains,
            certificate,
        }
    }

    /// The HTTP function's timeout: at most what API Gateway waits.
    fn http_timeout(&mut self, node: &Node) -> Option<u32> {
        let path = "http.timeout";
        if self.zero_timeout(node, path, defaults::HTTP_TIMEOUT) {
            return None;
        }
        let n = self.int(node, path)?;
        if n > HTTP_TIMEOUT_MAX {
            self.report(
                node,
                path,
                &format!("the HTTP function's timeout is at most {HTTP_TIMEOUT_MAX} seconds, found {n}"),
                Some(format!("API Gateway's HTTP API ends every request after {HTTP_TIMEOUT_MAX} s; move longer work to a queue worker")),
            );
            return None;
        }
        self.ranged(node, path, 1, HTTP_TIMEOUT_MAX, "timeout (seconds)")
    }

    pub(super) fn cli(&mut self, node: Option<&Node>) -> Cli {
        let f = self.fields(node.unwrap_or(&NULL), "cli", CLI_KEYS);
        Cli {
            memory: self.memory(&f, "cli", defaults::CLI_MEMORY),
            timeout: f
                .value("timeout")
                .and_then(|v| self.timeout(v, "cli.timeout", defaults::CLI_TIMEOUT))
                .unwrap_or(defaults::CLI_TIMEOUT),
            concurrency: self.concurrency(&f, "cli"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{minimal, problems};
    use pretty_assertions::assert_eq;

    #[test]
    fn zero_concurrency_means_no_reservation_as_in_the_original() {
        let m = minimal("http:\n  concurrency: 0\ncli:\n  concurrency: 0\nqueue:\n  default:\n    concurrency: 0\n");
        assert_eq!(m.http.concurrency, None);
        assert_eq!(m.cli.concurrency, None);
        assert_eq!(m.queue["default"].concurrency, None);
        assert_eq!(
            minimal("http:\n  concurrency: 3\n").http.concurrency,
            Some(3)
        );
    }

    #[test]
    fn zeros_the_original_read_as_lambda_defaults_are_located_errors_saying_what_changed() {
        let p = problems("name: shop\nregion: us-east-1\nhttp:\n  memory: 0\n  timeout: 0\ncli:\n  timeout: 0\nqueue:\n  default:\n    tries: 0\n");
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[0].starts_with(".hover/dev.yml:4:11: http.memory: `0` meant Lambda's default of 128 MB in the original Hover"), "{}", p[0]);
        assert!(
            p[0].contains("help: write `memory: 128` to keep what runs now"),
            "{}",
            p[0]
        );
        assert!(p[1].starts_with(".hover/dev.yml:5:12: http.timeout: `0` meant Lambda's default timeout of 3 seconds"), "{}", p[1]);
        assert!(
            p[2].starts_with(".hover/dev.yml:7:12: cli.timeout:"),
            "{}",
            p[2]
        );
        assert!(
            p[3].starts_with(
                ".hover/dev.yml:10:12: queue.default.tries: `0` meant unlimited retries"
            ),
            "{}",
            p[3]
        );
    }
}
