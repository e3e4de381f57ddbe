//! Names of a stage's resources, written once: the AWS names derived from the manifest's `name`
//! and the limits AWS puts on them, the logical ids of both schemes ([`ids`]), and the rule by
//! which two manifest names would collide as logical ids. The manifest checks and the stage
//! builder both read them here, so a manifest the checks accept is one the builder can name.

pub mod ids;

pub use ids::{pascal, queue_key, Part, Rule, Scheme};

use std::collections::BTreeMap;

/// Longest Lambda function name.
pub const FUNCTION_NAME_MAX: usize = 64;
/// Longest S3 bucket name.
pub const BUCKET_NAME_MAX: usize = 63;
/// Longest EventBridge rule name.
pub const RULE_NAME_MAX: usize = 64;
/// Longest CloudFormation stack name.
pub const STACK_NAME_MAX: usize = 128;
/// Longest SQS queue name (`.fifo` included).
pub const QUEUE_NAME_MAX: usize = 80;

/// The stack's name, and the image repository's: the stage's name itself.
pub fn stack(stage: &str) -> String {
    stage.to_string()
}

/// `<stage>-assets`: the bucket of the stage's static assets.
pub fn bucket(stage: &str) -> String {
    format!("{stage}-assets")
}

/// The key of the stage's maintenance state in its bucket (`hover down` writes it, `hover up`
/// deletes it, every function's runtime reads it).
pub const MAINTENANCE_KEY: &str = "hover/maintenance.json";

/// `alias/<stage>-secrets-key`: the KMS alias of the key the stage's secrets are sealed with.
pub fn secrets_key_alias(stage: &str) -> String {
    format!("alias/{stage}-secrets-key")
}

/// `<stage>-api`: the HTTP API in front of the HTTP function.
pub fn api(stage: &str) -> String {
    format!("{stage}-api")
}

/// `<stage>-http`, `<stage>-cli`, `<stage>-<worker>-queue`.
pub fn function(stage: &str, part: Part<'_>) -> String {
    match part {
        Part::Http => format!("{stage}-http"),
        Part::Cli => format!("{stage}-cli"),
        Part::Worker(key) => format!("{stage}-{key}-queue"),
    }
}

/// `<stage>-scheduler`, `<stage>-warmer`.
pub fn rule(stage: &str, rule: Rule) -> String {
    match rule {
        Rule::Scheduler => format!("{stage}-scheduler"),
        Rule::Warmer => format!("{stage}-warmer"),
    }
}

/// The SQS names of one manifest queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueNames {
    /// `<queue>-<stage>`, or `<base>-<stage>.fifo`: `.fifo` stays last.
    pub queue: String,
    /// `<queue>-<stage>-dlq`, or `<base>-<stage>-dlq.fifo`.
    pub dead_letter: String,
    /// Whether both are FIFO queues (the manifest queue ends in `.fifo`).
    pub fifo: bool,
}

/// The SQS names of manifest queue `queue` in stage `stage`.
pub fn queue(stage: &str, queue: &str) -> QueueNames {
    match queue.strip_suffix(".fifo") {
        Some(base) => QueueNames {
            queue: format!("{base}-{stage}.fifo"),
            dead_letter: format!("{base}-{stage}-dlq.fifo"),
            fifo: true,
        },
        None => QueueNames {
            queue: format!("{queue}-{stage}"),
            dead_letter: format!("{queue}-{stage}-dlq"),
            fifo: false,
        },
    }
}

/// A name derived from the stage's name (and maybe a manifest key), with the AWS limit on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limited {
    /// What it names, for messages (`assets bucket`).
    pub what: &'static str,
    pub name: String,
    /// Most characters the service accepts.
    pub limit: usize,
    /// The service that sets the limit (`S3`).
    pub service: &'static str,
}

impl Limited {
    /// Whether the name is longer than the service accepts.
    pub fn too_long(&self) -> bool {
        self.name.len() > self.limit
    }

    /// Most characters the part of the name written in the manifest may have, given that it is
    /// `part` characters long now.
    pub fn room(&self, part: usize) -> usize {
        (self.limit + part).saturating_sub(self.name.len())
    }
}

/// The names the stage's name prefixes that come closest to their limits, in the order they are
/// checked: the assets bucket, the HTTP function, the scheduler rule and the stack. Every other
/// stage-wide name is shorter than one of these under the same or a larger limit.
pub fn stage_limits(stage: &str) -> [Limited; 4] {
    [
        Limited {
            what: "assets bucket",
            name: bucket(stage),
            limit: BUCKET_NAME_MAX,
            service: "S3",
        },
        Limited {
            what: "HTTP function",
            name: function(stage, Part::Http),
            limit: FUNCTION_NAME_MAX,
            service: "Lambda",
        },
        Limited {
            what: "scheduler rule",
            name: rule(stage, Rule::Scheduler),
            limit: RULE_NAME_MAX,
            service: "EventBridge",
        },
        Limited {
            what: "stack",
            name: stack(stage),
            limit: STACK_NAME_MAX,
            service: "CloudFormation",
        },
    ]
}

/// A worker's function name and Lambda's limit on it.
pub fn worker_limit(stage: &str, key: &str) -> Limited {
    Limited {
        what: "function",
        name: function(stage, Part::Worker(key)),
        limit: FUNCTION_NAME_MAX,
        service: "Lambda",
    }
}

/// A queue's dead-letter queue name (the longer of its two) and SQS's limit on it.
pub fn dead_letter_limit(stage: &str, manifest_queue: &str) -> Limited {
    Limited {
        what: "dead-letter queue",
        name: queue(stage, manifest_queue).dead_letter,
        limit: QUEUE_NAME_MAX,
        service: "SQS",
    }
}

/// `[A-Za-z0-9_-]+`: what Lambda function names, SQS names and logical-id sources share.
pub fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// A worker key or queue name as logical ids see it: without `.fifo`, `-` and `_`, in any case.
/// Names with the same key are refused as a pair: hover's ids drop the separators and
/// capitalise, so `mail-sender`, `mail_sender` and `MailSender` would share an id.
pub fn collision_key(name: &str) -> String {
    name.strip_suffix(".fifo")
        .unwrap_or(name)
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The collision keys of the queues whose ids `queue`'s own id could equal: its own key, and the
/// key of a queue whose dead-letter or mapping id it would be (`emails-mapping` is the mapping
/// id of `emails`), own key first.
pub fn queue_collision_keys(queue: &str) -> Vec<String> {
    let own = collision_key(queue);
    let mut keys = vec![own.clone()];
    for suffix in [ids::DEAD_LETTER_SUFFIX, ids::MAPPING_SUFFIX] {
        if let Some(base) = own.strip_suffix(suffix.to_ascii_lowercase().as_str()) {
            keys.push(base.to_string());
        }
    }
    keys
}

/// Who holds a logical id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The HTTP or CLI function (its function, log group or alias).
    Function(&'static str),
    /// A queue worker, by its manifest key.
    Worker(String),
    /// A manifest queue.
    Queue(String),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Function(name) => write!(f, "the {name} function"),
            Owner::Worker(key) => write!(f, "worker `{key}`"),
            Owner::Queue(queue) => write!(f, "queue `{queue}`"),
        }
    }
}

/// A logical id two parts of the stage would share, and in which scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub id: String,
    pub scheme: Scheme,
    /// Who holds it already.
    pub owner: Owner,
}

/// The logical ids taken so far, in both schemes: a worker or queue is accepted only when none
/// of its ids is taken, so the builder never gives two resources one id, whichever scheme the
/// stack turns out to use. The HTTP and CLI functions hold theirs from the start.
#[derive(Clone, Debug)]
pub struct TakenIds {
    ids: BTreeMap<(Scheme, String), Owner>,
}

impl Default for TakenIds {
    fn default() -> Self {
        let mut taken = TakenIds {
            ids: BTreeMap::new(),
        };
        for (part, name) in [(Part::Http, "HTTP"), (Part::Cli, "CLI")] {
            taken.take(in_both_schemes(|s| s.part_ids(part)), Owner::Function(name));
        }
        taken
    }
}

impl TakenIds {
    /// Takes the ids of worker `key`, or says which one is taken.
    ///
    /// # Errors
    /// The first of its ids already taken (hover's scheme first).
    pub fn worker(&mut self, key: &str) -> Result<(), Clash> {
        self.claim(|s| s.part_ids(Part::Worker(key)), Owner::Worker(key.into()))
    }

    /// Takes the ids of manifest queue `queue`, or says which one is taken.
    ///
    /// # Errors
    /// The first of its ids already taken (hover's scheme first).
    pub fn queue(&mut self, queue: &str) -> Result<(), Clash> {
        self.claim(|s| s.queue_ids(queue), Owner::Queue(queue.into()))
    }

    fn claim(&mut self, ids: impl Fn(Scheme) -> [String; 3], owner: Owner) -> Result<(), Clash> {
        let wanted = in_both_schemes(ids);
        let held = wanted
            .iter()
            .find_map(|k| self.ids.get_key_value(k))
            .filter(|(_, held)| **held != owner);
        if let Some(((scheme, id), held)) = held {
            return Err(Clash {
                id: id.clone(),
                scheme: *scheme,
                owner: held.clone(),
            });
        }
        self.take(wanted, owner);
        Ok(())
    }

    fn take(&mut self, ids: Vec<(Scheme, String)>, owner: Owner) {
        for key in ids {
            self.ids.insert(key, owner.clone());
        }
    }
}

/// The ids `ids` gives in hover's scheme, then in the original's.
fn in_both_schemes(ids: impl Fn(Scheme) -> [String; 3]) -> Vec<(Scheme, String)> {
    [Scheme::Hover, Scheme::Original]
        .into_iter()
        .flat_map(|s| ids(s).into_iter().map(move |id| (s, id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse;
    use crate::stage::desired_with;

    #[test]
    fn names_follow_the_stage_name() {
        assert_eq!(bucket("shop"), "shop-assets");
        assert_eq!(secrets_key_alias("shop"), "alias/shop-secrets-key");
        assert_eq!(
            function("shop", Part::Worker("mail-out")),
            "shop-mail-out-queue"
        );
        assert_eq!(rule("shop", Rule::Warmer), "shop-warmer");
        assert_eq!(
            queue("shop", "orders.fifo"),
            QueueNames {
                queue: "orders-shop.fifo".into(),
                dead_letter: "orders-shop-dlq.fifo".into(),
                fifo: true,
            }
        );
        assert_eq!(queue("shop", "emails").dead_letter, "emails-shop-dlq");
    }

    #[test]
    fn limits_say_how_much_room_the_manifest_part_has() {
        let w = worker_limit(&"s".repeat(50), "abcdefgh");
        assert_eq!(w.name.len(), 65);
        assert!(w.too_long());
        assert_eq!(w.room("abcdefgh".len()), 7);
        let d = dead_letter_limit("shop", "orders.fifo");
        assert!(!d.too_long());
        assert_eq!(d.room("orders.fifo".len()), 80 - "-shop-dlq".len());
        // The scheduler rule is the tightest of the stage-wide names.
        let tightest = stage_limits("s")
            .iter()
            .map(|l| l.room(1))
            .min()
            .unwrap_or(0);
        assert_eq!(tightest, 64 - "-scheduler".len());
    }

    #[test]
    fn collision_keys_join_what_hovers_ids_join() {
        for (a, b) in [
            ("mail-sender", "mail_sender"),
            ("mail-sender", "MailSender"),
            ("orders", "orders.fifo"),
            ("a-b-c", "A_b_C"),
        ] {
            assert_eq!(collision_key(a), collision_key(b), "{a} / {b}");
            assert_eq!(queue_key(a), queue_key(b), "{a} / {b}");
        }
        assert_eq!(
            queue_collision_keys("emails-dead_letter"),
            vec!["emailsdeadletter".to_string(), "emails".to_string()]
        );
        assert_eq!(
            Scheme::Hover.dead_letter("emails"),
            Scheme::Hover.queue("emails-dead_letter")
        );
        assert_eq!(queue_collision_keys("mapping"), vec!["mapping", ""]);
    }

    #[test]
    fn taken_ids_refuse_what_would_collide_in_either_scheme() {
        let mut taken = TakenIds::default();
        // The original named a worker's alias `<key>LambdaLiveAlias`, as it named the HTTP one.
        let clash = taken.worker("HTTP").expect_err("HTTP alias");
        assert_eq!(clash.id, "HTTPLambdaLiveAlias");
        assert_eq!(clash.scheme, Scheme::Original);
        assert_eq!(clash.owner.to_string(), "the HTTP function");
        assert!(taken.worker("Cli").is_err());
        assert!(taken.worker("http").is_ok());
        assert!(
            taken.worker("http").is_ok(),
            "a worker's own ids are its own"
        );
        // hover gives `http` and `Http` one id.
        assert!(taken.worker("Http").is_err());
        // `QueueX` verbatim in the original is `QueueXQueue`, which hover gives `x-Queue`.
        assert!(taken.queue("QueueX").is_ok());
        let clash = taken.queue("x-Queue").expect_err("QueueXQueue");
        assert_eq!(clash.owner, Owner::Queue("QueueX".into()));
        assert!(taken.queue("emails").is_ok());
        assert!(taken.queue("emails-mapping").is_err());
        assert!(taken.queue("emails-dead-letter").is_err());
    }

    /// The names a checker must get right: separators, case, `.fifo`, hover's id suffixes, the
    /// original's verbatim ids and the fixed parts' names.
    const TRICKY: &[&str] = &[
        "default",
        "Default",
        "mail-sender",
        "mail_sender",
        "mailSender",
        "MailSender",
        "mailsender",
        "orders",
        "orders.fifo",
        "emails",
        "emails-mapping",
        "emailsMapping",
        "emails-dead-letter",
        "emailsDeadLetter",
        "emailsQueue",
        "emails-queue",
        "QueueEmails",
        "x-Queue",
        "QueueX",
        "HTTP",
        "Cli",
        "http",
        "cli",
        "Worker",
        "a",
        "A",
        "a-b",
        "ab",
        "AB",
    ];

    /// Resources of the stage `text` lists under `queue:`, when the checker accepts it.
    fn built(queue: &str, scheme: Scheme) -> Option<usize> {
        let text = format!("name: shop\nregion: us-east-1\nqueue:\n{queue}");
        let m = parse(".hover/t.yml", &text).ok()?;
        Some(desired_with(&m, "v1", scheme).resources.len())
    }

    /// Every pair of tricky names the checker accepts, as queues or as worker keys, builds a
    /// stage with one resource per id in both schemes: the checker never accepts what the
    /// builder would give one id twice.
    #[test]
    fn what_the_checker_accepts_the_builder_names_without_collisions() {
        for scheme in [Scheme::Hover, Scheme::Original] {
            let none = built("", scheme).unwrap_or(0);
            let two = built("  w:\n    queues: [q]\n  v:\n    queues: [r]\n", scheme).unwrap_or(0);
            let mut accepted = 0;
            for (i, a) in TRICKY.iter().enumerate() {
                for b in &TRICKY[i + 1..] {
                    let as_queues =
                        format!("  w:\n    queues: [\"{a}\"]\n  v:\n    queues: [\"{b}\"]\n");
                    if let Some(n) = built(&as_queues, scheme) {
                        accepted += 1;
                        assert_eq!(n, two, "queues {a} / {b} in {scheme:?}");
                    }
                    let (a, b) = (a.replace('.', "-"), b.replace('.', "-"));
                    let as_workers =
                        format!("  {a}:\n    queues: [q1]\n  {b}:\n    queues: [q2]\n");
                    if let Some(n) = built(&as_workers, scheme) {
                        accepted += 1;
                        assert_eq!(n, two, "workers {a} / {b} in {scheme:?}");
                    }
                }
            }
            assert!(two > none && accepted > 300, "{accepted} pairs accepted");
        }
    }

    /// The checker's own rule, collision keys, refuses every pair whose hover ids collide.
    #[test]
    fn collision_keys_cover_every_clash_of_hovers_ids() {
        for a in TRICKY {
            for b in TRICKY {
                if a == b {
                    continue;
                }
                let ids_a = Scheme::Hover.queue_ids(a);
                let ids_b = Scheme::Hover.queue_ids(b);
                if ids_a.iter().any(|id| ids_b.contains(id)) {
                    let keys_b = queue_collision_keys(b);
                    let keys_a = queue_collision_keys(a);
                    assert!(
                        keys_b.contains(&collision_key(a)) || keys_a.contains(&collision_key(b)),
                        "{a} / {b}"
                    );
                }
            }
        }
    }
}
