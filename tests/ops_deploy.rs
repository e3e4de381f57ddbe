//! `ops::deploy` carried out offline over real SDK clients whose responses are mocked
//! (`aws-smithy-mocks`), from a golden plan case read once (the stage context holds it): a deploy
//! of the build the stack already runs publishes and switches without touching the stack, a
//! deploy whose deploy command fails leaves every `live` where it was, and a refused approval
//! makes no call at all.

mod common;

use aws_sdk_lambda::operation::get_alias::GetAliasOutput;
use aws_sdk_lambda::operation::invoke::InvokeOutput;
use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
use aws_sdk_lambda::operation::update_alias::UpdateAliasOutput;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::Client as Lambda;
use aws_sdk_s3::operation::delete_object::DeleteObjectOutput;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client as S3;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_types::retry::RetryConfig;
use common::Mocks;
use hover::error::HoverError;
use hover::events::{Event, Phase, Question, Sink};
use hover::model::ObservedStage;
use hover::ops::deploy::{deploy_planned, DeployOptions, Deployed};
use hover::ops::plan::live_image_tag;
use hover::ops::{PlannedStage, StageContext, Ui};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const LOCK_KEY: &str = "hover/lock/clouder-dev.json";
const HISTORY_KEY: &str = "hover/history/clouder-dev.json";

/// What the deploy reported, and its answer to every question.
struct Recorder {
    events: Vec<Event>,
    questions: Vec<Question>,
    answer: Option<bool>,
}

impl Recorder {
    fn answering(answer: Option<bool>) -> Self {
        Recorder {
            events: Vec::new(),
            questions: Vec::new(),
            answer,
        }
    }

    fn text(&self) -> String {
        hover::render::events::plain_text(&self.events)
    }

    fn has(&self, wanted: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(wanted)
    }
}

impl Sink for Recorder {
    fn emit(&mut self, event: Event) {
        self.events.push(event);
    }
}

impl Ui for Recorder {
    fn approve(&mut self, question: &Question) -> Option<bool> {
        self.questions.push(question.clone());
        self.answer
    }
}

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plans")
        .join(case)
}

fn observed(case: &str) -> ObservedStage {
    let text = std::fs::read_to_string(case_dir(case).join("observed.json")).expect("observed");
    serde_json::from_str(&text).expect("observed state")
}

/// A deploy of `case`'s stage as read, with `commands` as its deploy commands; the build is the image the stage runs now unless `build_id` names another (in the repository
/// already: nothing to push).
fn planned(
    case: &str,
    commands: &[&str],
    clients: hover::live::Clients,
) -> (PlannedStage, Deployed, DeployOptions) {
    let dir = case_dir(case);
    let mut manifest = hover::manifest::load(&dir, "dev").expect("manifest");
    manifest.deploy_commands = commands.iter().map(|c| c.to_string()).collect();
    let observed = observed(case);
    let build_id = live_image_tag(&observed).expect("live image tag");
    let ctx = StageContext::new(&dir, "dev", manifest, clients);
    let planned = PlannedStage::from_observed(ctx, observed, Some(build_id.clone())).expect("plan");
    let opts = DeployOptions {
        dir,
        stage: "dev".into(),
        auto_approve: true,
        build_id: Some(build_id.clone()),
        skip_build: true,
        builder: None,
        allow_data_loss: false,
    };
    let image = Deployed {
        record: None,
        build_id,
    };
    (planned, image, opts)
}

/// The calls a deploy of an unchanged stack makes, the deploy commands answering `exit_code`.
struct Stage {
    published: Rule,
    switched: Rule,
    invoked: Rule,
    lock_written: Rule,
    lock_released: Rule,
    /// The release history as last written.
    history: Arc<Mutex<Option<String>>>,
}

fn s3_rules(history: Arc<Mutex<Option<String>>>) -> (Vec<Rule>, Rule, Rule) {
    let lock_body = Arc::new(Mutex::new(Vec::new()));
    let written = lock_body.clone();
    let lock_written = mock!(S3::put_object)
        .match_requests(move |r| {
            let ours = r.key() == Some(LOCK_KEY) && r.if_none_match() == Some("*");
            if ours {
                *written.lock().expect("lock") = r.body().bytes().unwrap_or_default().to_vec();
            }
            ours
        })
        .then_output(|| PutObjectOutput::builder().build());
    let read = lock_body.clone();
    let lock_read = mock!(S3::get_object)
        .match_requests(|r| r.key() == Some(LOCK_KEY))
        .then_output(move || {
            GetObjectOutput::builder()
                .e_tag("\"lock-etag\"")
                .body(ByteStream::from(read.lock().expect("lock").clone()))
                .build()
        });
    let lock_released = mock!(S3::delete_object)
        .match_requests(|r| r.key() == Some(LOCK_KEY) && r.if_match() == Some("\"lock-etag\""))
        .then_output(|| DeleteObjectOutput::builder().build());
    let no_history = mock!(S3::get_object)
        .match_requests(|r| r.key() == Some(HISTORY_KEY))
        .then_error(|| {
            GetObjectError::NoSuchKey(aws_sdk_s3::types::error::NoSuchKey::builder().build())
        });
    let history_written = mock!(S3::put_object)
        .match_requests(move |r| {
            let ours = r.key() == Some(HISTORY_KEY);
            if ours {
                let body = r.body().bytes().unwrap_or_default();
                *history.lock().expect("history") = Some(String::from_utf8_lossy(body).into());
            }
            ours
        })
        .then_output(|| PutObjectOutput::builder().build());
    let rules = vec![
        lock_written.clone(),
        lock_read,
        lock_released.clone(),
        no_history,
        history_written,
    ];
    (rules, lock_written, lock_released)
}

/// The stage's functions are on version 1; publishing answers `published` (`1` again: the build
/// live already).
fn unchanged_stage(exit_code: i64, published: &'static str) -> (hover::live::Clients, Stage) {
    let history = Arc::new(Mutex::new(None));
    let (s3, lock_written, lock_released) = s3_rules(history.clone());
    let live = mock!(Lambda::get_alias).then_output(|| {
        GetAliasOutput::builder()
            .name("live")
            .function_version("1")
            .build()
    });
    let published = mock!(Lambda::publish_version)
        .then_output(move || PublishVersionOutput::builder().version(published).build());
    let switched = mock!(Lambda::update_alias).then_output(|| UpdateAliasOutput::builder().build());
    let answer = format!(r#"{{"output": "bWlncmF0ZWQ=", "exit_code": {exit_code}}}"#);
    let invoked = mock!(Lambda::invoke)
        .match_requests(|r| r.function_name() == Some("clouder-dev-cli"))
        .then_output(move || {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new(answer.clone()))
                .build()
        });
    let warmed = mock!(Lambda::invoke)
        .match_requests(|r| r.function_name() == Some("clouder-dev-http"))
        .then_output(|| {
            InvokeOutput::builder()
                .status_code(200)
                .payload(Blob::new("{}"))
                .build()
        });
    let image = mock!(aws_sdk_ecr::Client::describe_images).then_output(|| {
        aws_sdk_ecr::operation::describe_images::DescribeImagesOutput::builder()
            .image_details(aws_sdk_ecr::types::ImageDetail::builder().build())
            .build()
    });
    let clients = Mocks {
        lambda: vec![
            live,
            published.clone(),
            switched.clone(),
            invoked.clone(),
            warmed,
        ],
        s3,
        ecr: vec![image],
        ..Default::default()
    }
    .clients("us-east-1", RetryConfig::disabled());
    let stage = Stage {
        published,
        switched,
        invoked,
        lock_written,
        lock_released,
        history,
    };
    (clients, stage)
}

#[tokio::test]
async fn a_deploy_of_the_build_the_stack_runs_publishes_and_switches_without_a_stack_change() {
    // No CloudFormation rule: a call to the stack would fail the deploy.
    let (clients, stage) = unchanged_stage(0, "2");
    let (planned, image, opts) = planned("no-changes", &["migrate --force"], clients);
    assert!(!planned.plan.has_changes());
    let mut ui = Recorder::answering(None);
    let summary = deploy_planned(planned, image.clone(), &opts, &mut ui)
        .await
        .unwrap_or_else(|e| panic!("the deploy must succeed: {e}\n{}", ui.text()));

    assert_eq!(summary.build_id, image.build_id);
    assert_eq!(summary.moves.len(), 4, "{:?}", summary.moves);
    assert!(summary.moves.iter().all(|m| m.from == "1" && m.to == "2"));
    let phases: Vec<Phase> = summary.phases.iter().map(|p| p.phase).collect();
    assert_eq!(
        phases,
        [
            Phase::Plan,
            Phase::PreStack,
            Phase::Push,
            Phase::Assets,
            Phase::Apply,
            Phase::Publish,
            Phase::Warm,
            Phase::DeployCommands,
            Phase::Switch
        ]
    );
    assert_eq!(stage.published.num_calls(), 4);
    assert_eq!(stage.invoked.num_calls(), 1);
    assert_eq!(stage.switched.num_calls(), 4);
    assert_eq!(
        (
            stage.lock_written.num_calls(),
            stage.lock_released.num_calls()
        ),
        (1, 1)
    );
    assert!(ui.questions.is_empty(), "auto-approved");
    assert!(ui.has(|e| matches!(e, Event::StackRunsBuild)));
    let history = stage
        .history
        .lock()
        .expect("history")
        .clone()
        .expect("history written");
    assert!(history.contains(&image.build_id), "{history}");
    let text = ui.text();
    for line in [
        "\n==> Plan\n",
        "    the stack already runs this build\n",
        "    $ php artisan migrate --force\nmigrated\n",
        "    clouder-dev-http: live 1 -> 2\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[tokio::test]
async fn a_deploy_of_the_release_already_live_moves_no_alias_and_says_each_stays() {
    let (clients, stage) = unchanged_stage(0, "1");
    let (planned, image, opts) = planned("no-changes", &[], clients);
    let mut ui = Recorder::answering(None);
    let summary = deploy_planned(planned, image, &opts, &mut ui)
        .await
        .unwrap_or_else(|e| panic!("the deploy must succeed: {e}\n{}", ui.text()));
    assert!(
        summary.moves.iter().all(|m| !m.changes()),
        "{:?}",
        summary.moves
    );
    assert_eq!(
        stage.switched.num_calls(),
        0,
        "no UpdateAlias for a `live` already there"
    );
    assert!(!ui.has(|e| matches!(e, Event::AliasMoved { .. })));
    let kept = ui
        .events
        .iter()
        .filter(|e| matches!(e, Event::AliasKept { version, .. } if version == "1"))
        .count();
    assert_eq!(kept, 4);
    let text = ui.text();
    assert!(
        text.contains("==> Switch\n    clouder-dev-cli: live stays on 1\n"),
        "{text}"
    );
    assert!(!text.contains("live 1 -> 1"), "{text}");
}

#[tokio::test]
async fn a_failed_deploy_command_leaves_traffic_where_it_was() {
    let (clients, stage) = unchanged_stage(1, "2");
    let (planned, image, opts) = planned("no-changes", &["migrate --force"], clients);
    let mut ui = Recorder::answering(None);
    let outcome = deploy_planned(planned, image, &opts, &mut ui).await;
    match outcome {
        Err(HoverError::DeployCommandFailed { command, outcome }) => {
            assert_eq!(command, "migrate --force");
            assert_eq!(outcome, "exited with 1");
        }
        other => panic!("the deploy command's failure must fail the deploy: {other:?}"),
    }
    assert_eq!(stage.published.num_calls(), 4, "the versions are published");
    assert_eq!(stage.switched.num_calls(), 0, "no `live` moved");
    assert!(!ui.has(|e| matches!(
        e,
        Event::PhaseStarted {
            phase: Phase::Switch
        }
    )));
    assert_eq!(stage.lock_released.num_calls(), 1, "the lock is given back");
    let history = stage
        .history
        .lock()
        .expect("history")
        .clone()
        .expect("history written");
    assert!(
        history.contains("deploy commands"),
        "the failure is recorded: {history}"
    );
}

#[tokio::test]
async fn a_refused_approval_makes_no_call_at_all() {
    // No rule at all: any call would fail the deploy with an error other than Cancelled.
    let clients = Mocks::default().clients("us-east-1", RetryConfig::disabled());
    let (planned, image, mut opts) = planned("domains-added", &[], clients);
    assert!(planned.plan.has_changes());
    opts.auto_approve = false;
    let mut ui = Recorder::answering(Some(false));
    let outcome = deploy_planned(planned, image, &opts, &mut ui).await;
    assert!(
        matches!(outcome, Err(HoverError::Cancelled)),
        "{outcome:?}\n{}",
        ui.text()
    );
    assert_eq!(ui.questions, [Question::Apply]);
    // The plan was shown, and nothing after it: no phase that writes, no lock.
    assert!(ui.has(|e| matches!(e, Event::Planned { .. })));
    assert!(!ui.has(|e| matches!(
        e,
        Event::PhaseStarted { phase } if *phase != Phase::Plan
    )));
    assert!(!ui.has(|e| matches!(e, Event::LockTaken { .. })));
}
