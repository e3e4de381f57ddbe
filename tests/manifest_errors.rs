//! Bad stage manifests and the located problems they must produce: one table row per mistake,
//! each checked for line, column, key path and message, plus how a report renders.

use hover::manifest::{parse, ManifestError};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// The two required keys, on lines 1 and 2 of most rows.
const H: &str = "name: app\nregion: eu-west-1\n";
const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";

/// One bad manifest and the single problem it must yield.
struct Case {
    what: &'static str,
    yaml: String,
    line: usize,
    col: usize,
    path: String,
    message: &'static str,
    help: Option<&'static str>,
}

fn case(
    what: &'static str,
    yaml: impl Into<String>,
    (line, col): (usize, usize),
    path: impl Into<String>,
    message: &'static str,
) -> Case {
    Case {
        what,
        yaml: yaml.into(),
        line,
        col,
        path: path.into(),
        message,
        help: None,
    }
}

impl Case {
    fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }
}

fn h(rest: &str) -> String {
    format!("{H}{rest}")
}

fn cases() -> Vec<Case> {
    vec![
        // YAML itself
        case("syntax error", "name: app\nregion: eu-west-1: x\n", (2, 18), "", "invalid YAML")
            .help("followed by `: `"),
        case("unclosed flow list", h("http:\n  domains: [a.com\n"), (5, 1), "", "invalid YAML"),
        case("tab indentation", h("http:\n\tmemory: 512\n"), (4, 1), "", "tab").help("spaces"),
        case("bad indentation", h("http:\n    memory: 512\n  timeout: 10\n"), (5, 3), "", "did not find expected key")
            .help("indentation"),
        case("duplicate key", h("http:\n  memory: 512\n  memory: 1024\n"), (5, 3), "http.memory",
            "duplicate key `memory` (first defined on line 4)"),
        case("duplicate top-level key", "name: app\nregion: eu-west-1\nname: other\n", (3, 1), "name",
            "first defined on line 1"),
        case("two documents", h("---\nname: other\n"), (3, 1), "", "one YAML document"),
        case("unknown alias", h("http: *base\n"), (3, 7), "", "unknown anchor"),
        case("unsupported tag", h("http:\n  memory: !big 512\n"), (4, 11), "http.memory", "tag `!big` is not supported"),
        case("empty file", "", (1, 1), "", "the stage file is empty"),
        case("comment-only file", "# nothing yet\n", (1, 1), "", "the stage file is empty"),
        case("top-level list", "- name: app\n", (1, 1), "", "a stage file must be a mapping"),
        // keys
        case("unknown key with suggestion", h("http:\n  memroy: 512\n"), (4, 3), "http.memroy", "unknown key `memroy`")
            .help("did you mean `memory`?"),
        case("unknown top-level key", h("aws_profile: work\n"), (3, 1), "aws_profile", "unknown key")
            .help("did you mean `aws-profile`?"),
        case("unknown key without suggestion", h("cli:\n  colour: red\n"), (4, 3), "cli.colour", "unknown key `colour`")
            .help("allowed keys: memory, timeout, concurrency"),
        case("unknown worker key", h("queue:\n  mail-sender:\n    timeot: 10\n"), (5, 5),
            "queue.mail-sender.timeot", "unknown key").help("did you mean `timeout`?"),
        case("missing name", "region: eu-west-1\n", (1, 1), "name", "missing required key `name`"),
        case("missing region", "name: app\n", (1, 1), "region", "missing required key `region`"),
        case("list where a mapping is expected", h("http:\n  - memory: 512\n"), (4, 3), "http",
            "expected a mapping, found a list"),
        case("scalar where a mapping is expected", h("queue: default\n"), (3, 8), "queue",
            "expected a mapping of workers, found a string"),
        // types
        case("quoted number", h("http:\n  memory: \"512\"\n"), (4, 11), "http.memory", "expected a number, found a string")
            .help("remove the quotes: `memory: 512`"),
        case("word where a number is expected", h("http:\n  memory: lots\n"), (4, 11), "http.memory",
            "expected a number, found a string"),
        case("float where an integer is expected", h("cli:\n  timeout: 1.5\n"), (4, 12), "cli.timeout",
            "expected a whole number, found `1.5`"),
        case("boolean where a number is expected", h("http:\n  warm: true\n"), (4, 9), "http.warm",
            "expected a number, found a boolean"),
        case("null where a number is expected", h("http:\n  memory:\n  warm: 1\n"), (4, 9), "http.memory",
            "expected a number, found nothing"),
        case("huge number", h("http:\n  memory: 99999999999999999999\n"), (4, 11), "http.memory", "too large"),
        case("environment value is a list", h("environment:\n  HOSTS: [a, b]\n"), (4, 10), "environment.HOSTS",
            "expected a string, number or boolean, found a list"),
        case("environment name invalid", h("environment:\n  APP-ENV: x\n"), (4, 3), "environment.APP-ENV",
            "not a valid environment variable name"),
        case("deploy-commands is a string", h("deploy-commands: migrate\n"), (3, 18), "deploy-commands",
            "expected a list, found a string"),
        case("deploy command is only the prefix", h("deploy-commands:\n  - migrate\n  - php artisan\n"), (5, 5),
            "deploy-commands[1]", "empty command"),
        // ranges
        case("negative concurrency", h("http:\n  concurrency: -1\n"), (4, 16), "http.concurrency", "-1 is out of range")
            .help("allowed: 0–1000"),
        case("memory too small", h("http:\n  memory: 64\n"), (4, 11), "http.memory", "64 is out of range for memory (MB)")
            .help("allowed: 128–10240"),
        case("worker memory too large", h("queue:\n  default:\n    memory: 20480\n"), (5, 13),
            "queue.default.memory", "out of range").help("allowed: 128–10240"),
        case("http timeout over API Gateway's limit", h("http:\n  timeout: 60\n"), (4, 12), "http.timeout",
            "at most 30 seconds").help("API Gateway"),
        case("cli timeout over Lambda's limit", h("cli:\n  timeout: 901\n"), (4, 12), "cli.timeout", "901 is out of range")
            .help("allowed: 1–900"),
        case("zero timeout (the original's Lambda default)", h("queue:\n  default:\n    timeout: 0\n"), (5, 14), "queue.default.timeout",
            "`0` meant Lambda's default timeout of 3 seconds in the original Hover").help("write `timeout: 3` to keep what runs now"),
        case("negative timeout", h("queue:\n  default:\n    timeout: -1\n"), (5, 14), "queue.default.timeout", "out of range"),
        case("too many warm containers", h("http:\n  warm: 101\n"), (4, 9), "http.warm", "out of range")
            .help("allowed: 0–100"),
        case("zero tries (the original's unlimited)", h("queue:\n  default:\n    tries: 0\n"), (5, 12), "queue.default.tries",
            "`0` meant unlimited retries in the original Hover").help("dead-letter queue"),
        case("too many tries", h("queue:\n  default:\n    tries: 1001\n"), (5, 12), "queue.default.tries", "1001 is out of range")
            .help("allowed: 1–1000"),
        case("zero memory (the original's Lambda default)", h("cli:\n  memory: 0\n"), (4, 11), "cli.memory",
            "`0` meant Lambda's default of 128 MB in the original Hover").help("write `memory: 128`"),
        case("reserved Lambda variable", h("environment:\n  AWS_DEFAULT_REGION: eu-west-1\n"), (4, 3), "environment.AWS_DEFAULT_REGION",
            "is reserved by Lambda").help("stage's region"),
        case("visibility timeout shorter than timeout", h("queue:\n  default:\n    timeout: 120\n    visibility-timeout: 60\n"),
            (6, 25), "queue.default.visibility-timeout", "shorter than the worker's timeout 120"),
        case("visibility timeout over SQS's limit", h("queue:\n  default:\n    visibility-timeout: 50000\n"), (5, 25),
            "queue.default.visibility-timeout", "out of range").help("allowed: 0–43200"),
        case("log retention not allowed", h("log-retention: 10\n"), (3, 16), "log-retention",
            "10 days is not a retention CloudWatch Logs accepts").help("allowed: 1, 3, 5, 7, 14, 30"),
        case("malformed backoff", h("queue:\n  default:\n    backoff: \"5, x\"\n"), (5, 14), "queue.default.backoff",
            "malformed backoff `5, x`"),
        case("backoff over the limit", h("queue:\n  default:\n    backoff: 5, 50000\n"), (5, 14), "queue.default.backoff",
            "malformed backoff"),
        case("negative backoff in a list", h("queue:\n  default:\n    backoff: [5, -1]\n"), (5, 18),
            "queue.default.backoff[1]", "out of range"),
        // names
        case("name with uppercase", "name: App\nregion: eu-west-1\n", (1, 7), "name", "uppercase")
            .help("write `app`"),
        case("name starting with a digit", "name: 1app\nregion: eu-west-1\n", (1, 7), "name", "must start with a letter"),
        case("name with a trailing hyphen", "name: app-\nregion: eu-west-1\n", (1, 7), "name", "must not end with `-`"),
        case("name with an underscore", "name: my_app\nregion: eu-west-1\n", (1, 7), "name",
            "only hold lowercase letters, digits and `-`"),
        case("name too long for the bucket", format!("name: {}\nregion: eu-west-1\n", "a".repeat(57)), (1, 7), "name",
            "the assets bucket `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-assets` would have 64 characters, S3 allows 63")
            .help("at most 54 characters"),
        case("name too long for the scheduler rule", format!("name: {}\nregion: eu-west-1\n", "b".repeat(55)), (1, 7),
            "name", "would have 65 characters, EventBridge allows 64"),
        case("region typo", "name: app\nregion: us-est-1\n", (2, 9), "region", "`us-est-1` is not an AWS region")
            .help("did you mean `us-east-1`?"),
        case("account too short", h("account: 12345678901\n"), (3, 10), "account", "not an AWS account id")
            .help("exactly 12 digits"),
        // auth and vpc
        case("stack role not an ARN", h("auth:\n  stack-role: deployer\n"), (4, 15), "auth.stack-role", "not an IAM role ARN"),
        case("lambda role of another account",
            h("account: \"111111111111\"\nauth:\n  lambda-role: arn:aws:iam::222222222222:role/app\n"), (5, 16),
            "auth.lambda-role", "belongs to account 222222222222"),
        case("vpc without security groups", h("vpc:\n  subnets: [subnet-0123abcd]\n"), (3, 1), "vpc.security-groups",
            "missing `security-groups`"),
        case("vpc with an empty list", h("vpc:\n  subnets: []\n  security-groups: [sg-0123abcd]\n"), (4, 12),
            "vpc.subnets", "must not be empty"),
        case("bad subnet id", h("vpc:\n  subnets: [subnet-0123abcd, subnet-xyz]\n  security-groups: [sg-0123abcd]\n"),
            (4, 30), "vpc.subnets[1]", "`subnet-xyz` is not a subnet-… id"),
        // http domains and certificate
        case("domains without certificate", h("http:\n  domains: app.example.com\n"), (4, 3), "http.domains",
            "`http.certificate` is missing"),
        case("certificate without domains", h(&format!("http:\n  certificate: {CERT}\n")), (4, 3), "http.certificate",
            "certificate without `http.domains`"),
        case("certificate outside us-east-1",
            h("http:\n  domains: [a.com]\n  certificate: arn:aws:acm:eu-west-1:123456789012:certificate/abc-123\n"),
            (5, 16), "http.certificate", "CloudFront only accepts ACM certificates from us-east-1"),
        case("certificate not an ACM ARN", h("http:\n  domains: [a.com]\n  certificate: my-cert\n"), (5, 16),
            "http.certificate", "not an ACM certificate ARN"),
        case("uppercase domain in a list", h(&format!("http:\n  domains:\n    - a.com\n    - WWW.a.com\n  certificate: {CERT}\n")),
            (6, 7), "http.domains[1]", "uppercase").help("`www.a.com`"),
        case("duplicate domain in a comma string", h(&format!("http:\n  domains: \"a.com, b.com, a.com\"\n  certificate: {CERT}\n")),
            (4, 27), "http.domains[2]", "listed twice (also http.domains[0])"),
        case("invalid domain label", h(&format!("http:\n  domains: [-a.com]\n  certificate: {CERT}\n")), (4, 13),
            "http.domains[0]", "not a valid domain name"),
        // workers and queues
        case("worker key with a dot", h("queue:\n  mail.sender:\n"), (4, 3), "queue.mail.sender",
            "may only hold letters, digits, `-` and `_`"),
        case("worker keys that collide", h("queue:\n  mail-sender:\n  mail_sender:\n"), (5, 3), "queue.mail_sender",
            "`mail-sender` (line 4) and `mail_sender` differ only by `-`, `_` or case"),
        case("worker keys that differ by case", h("queue:\n  Mail:\n    queues: [a]\n  mail:\n    queues: [b]\n"), (6, 3),
            "queue.mail", "differ only by"),
        case("queue names that collide", h("queue:\n  a:\n    queues: [mail-out]\n  b:\n    queues: [Mail_Out]\n"), (7, 14),
            "queue.b.queues[0]", "`mail-out` (line 5) and `Mail_Out` would collide"),
        case("fifo and standard queue of one base", h("queue:\n  a:\n    queues: [orders, orders.fifo]\n"), (5, 22),
            "queue.a.queues[1]", "would collide as CloudFormation logical ids"),
        case("queue whose ids clash with another's dead-letter queue",
            h("queue:\n  a:\n    queues: [jobs, jobs-dead-letter]\n"), (5, 20), "queue.a.queues[1]", "would collide"),
        case("worker key the original would name like the HTTP function", h("queue:\n  HTTP:\n    queues: [web]\n"), (4, 3),
            "queue.HTTP", "worker key `HTTP` would take the CloudFormation logical id `HTTPLambdaLiveAlias` of the HTTP function in a stage the original Hover deployed")
            .help("rename the worker"),
        case("queue whose original id is another queue's hover id", h("queue:\n  a:\n    queues: [QueueX, x-Queue]\n"), (5, 22),
            "queue.a.queues[1]", "queue name `x-Queue` would take the CloudFormation logical id `QueueXQueue` of queue `QueueX` in a stage the original Hover deployed"),
        case("queue consumed by two workers", h("queue:\n  a:\n    queues: [shared]\n  b:\n    queues: [shared, own]\n"),
            (7, 14), "queue.b.queues[0]", "consumed by workers `a` and `b`"),
        case("implicit queue consumed twice", h("queue:\n  default:\n  other:\n    queues: [default]\n"), (6, 14),
            "queue.other.queues[0]", "consumed by workers `default` and `other`"),
        case("queue listed twice in a worker", h("queue:\n  a:\n    queues:\n      - x\n      - x\n"), (7, 9),
            "queue.a.queues[1]", "listed twice in worker `a`"),
        case("queue name with a space", h("queue:\n  a:\n    queues: [\"my queue\"]\n"), (5, 14), "queue.a.queues[0]",
            "may only hold letters"),
        case("queue name too long", h(&format!("queue:\n  a:\n    queues: [{}]\n", "q".repeat(73))), (5, 14),
            "queue.a.queues[0]", "dead-letter queue `qqq").help("at most 72 characters"),
        case("worker key too long", h(&format!("queue:\n  {}:\n", "w".repeat(55))), (4, 3), format!("queue.{}", "w".repeat(55)),
            "function `app-wwww").help("at most 54"),
        case("empty queue list", h("queue:\n  a:\n    queues: []\n"), (5, 5), "queue.a.queues", "at least one queue"),
    ]
}

#[test]
fn every_bad_manifest_yields_its_located_problem() {
    let mut failures = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 30);
    for c in &cases {
        let problems = match parse(".hover/dev.yml", &c.yaml) {
            Ok(_) => {
                failures.push(format!("{}: parsed without error", c.what));
                continue;
            }
            Err(err) => err.problems().into_iter().cloned().collect::<Vec<_>>(),
        };
        let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
        if problems.len() != 1 {
            failures.push(format!(
                "{}: expected one problem, got:\n{}",
                c.what,
                rendered.join("\n")
            ));
            continue;
        }
        let p = &problems[0];
        let ok = p.line() == c.line
            && p.column() == c.col
            && p.path() == c.path
            && p.message().contains(c.message)
            && c.help
                .is_none_or(|h| p.help().is_some_and(|got| got.contains(h)))
            && p.file() == ".hover/dev.yml";
        if !ok {
            failures.push(format!(
                "{}: expected {}:{} `{}` ~ {:?} (help ~ {:?}), got:\n{}",
                c.what, c.line, c.col, c.path, c.message, c.help, rendered[0]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn display_of_a_problem_is_file_line_col_path_message_then_help() {
    let err = parse(".hover/dev.yml", &h("http:\n  memroy: 512\n")).expect_err("unknown key");
    assert_eq!(
        err.problems()[0].to_string(),
        ".hover/dev.yml:4:3: http.memroy: unknown key `memroy`\n  help: did you mean `memory`?"
    );
    assert_eq!(
        err.to_string(),
        ".hover/dev.yml:4:3: http.memroy: unknown key `memroy`"
    );
}

#[test]
fn every_problem_is_reported_in_one_pass_sorted_by_position() {
    let text = "\
region: mars-1
http:
  memory: \"1024\"
  timeout: 31
queue:
  a:
    tries: 0
    backoff: soon
  b:
    queues: [a]
name: App
";
    let err = parse("dev.yml", text).expect_err("many problems");
    let got: Vec<(usize, usize, &str)> = err
        .problems()
        .iter()
        .map(|p| (p.line(), p.column(), p.path()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 9, "region"),
            (3, 11, "http.memory"),
            (4, 12, "http.timeout"),
            (7, 12, "queue.a.tries"),
            (8, 14, "queue.a.backoff"),
            (10, 14, "queue.b.queues[0]"),
            (11, 7, "name"),
        ]
    );
    assert_eq!(err.to_string(), "dev.yml: 7 problems in the stage manifest");
    assert_eq!(
        err.to_text()
            .lines()
            .filter(|l| l.starts_with("dev.yml:"))
            .count(),
        7
    );
}

fn render(err: &ManifestError) -> String {
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, err)
        .expect("render");
    out
}

#[test]
fn report_renders_a_code_frame_at_the_problem() {
    let text = h("http:\n  memory: 512\n  timeout: 60\n");
    let err = parse(".hover/dev.yml", &text).expect_err("timeout too long");
    let out = render(&err);
    assert!(out.contains("[.hover/dev.yml:5:12]"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let code = lines
        .iter()
        .position(|l| l.contains("5 │   timeout: 60"))
        .unwrap_or_else(|| panic!("no code line in\n{out}"));
    // The label underlines `60` on the next line: same column as the value.
    let marker = lines[code + 1];
    let value_at = lines[code].find("60").expect("value");
    let underline_at = marker.find(['─', '┬', '^']).expect("underline");
    assert_eq!(
        lines[code][..value_at].chars().count(),
        marker[..underline_at].chars().count(),
        "{out}"
    );
    assert!(out.contains("help: API Gateway"), "{out}");
}

#[test]
fn report_of_many_problems_frames_each_one() {
    let err = parse(
        ".hover/dev.yml",
        &h("http:\n  memroy: 512\ncli:\n  timeout: 901\n"),
    )
    .expect_err("two problems");
    let out = render(&err);
    assert!(
        out.contains(".hover/dev.yml: 2 problems in the stage manifest"),
        "{out}"
    );
    assert!(out.contains("[.hover/dev.yml:4:3]"), "{out}");
    assert!(out.contains("[.hover/dev.yml:6:12]"), "{out}");
    assert!(out.contains("did you mean `memory`?"), "{out}");
    assert!(out.contains("allowed: 1–900"), "{out}");
}

#[test]
fn missing_stage_file_names_the_path_and_the_existing_stages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hover = dir.path().join(".hover");
    std::fs::create_dir(&hover).expect("mkdir");
    std::fs::write(hover.join("production.yml"), h("")).expect("write");
    std::fs::write(hover.join("staging.yaml"), h("")).expect("write");
    let err = hover::manifest::load(dir.path(), "prod").expect_err("missing");
    assert!(err.to_string().contains(".hover/prod.yml"), "{err}");
    let out = render(&err);
    assert!(
        out.contains("stages in .hover/: production, staging"),
        "{out}"
    );
    assert!(err.problems().is_empty());
}

#[test]
fn load_reports_problems_against_the_file_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hover = dir.path().join(".hover");
    std::fs::create_dir(&hover).expect("mkdir");
    std::fs::write(hover.join("dev.yml"), "name: app\n").expect("write");
    let err = hover::manifest::load(dir.path(), "dev").expect_err("no region");
    let p = err.problems()[0];
    assert!(p.file().ends_with(".hover/dev.yml"), "{}", p.file());
    assert_eq!(p.path(), "region");
}
