//! Logical ids of a stage's resources, in one of two schemes: hover's own, and the original
//! Hover's, kept for a stage the original deployed so that taking it over replaces nothing (in
//! CloudFormation a new logical id is a delete and a create). The original used worker keys and
//! queue names verbatim, so it could only express letters and digits; any other name, and every
//! resource the original never had (dead-letter queues, role, origin access control, bucket
//! policy), takes hover's id in both schemes.

use serde::{Deserialize, Serialize};

/// Which logical ids a stage uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// hover's own ids (`HttpFunction`, `QueueDefault`, `Distribution`…).
    #[default]
    Hover,
    /// The original Hover's ids (`HTTPLambda`, `defaultQueue`, `CFDistribution`…).
    Original,
}

/// One of the stage's functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    Http,
    Cli,
    /// A queue worker, by its manifest key.
    Worker(&'a str),
}

/// One of the stage's schedule rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Scheduler,
    Warmer,
}

/// Logical ids the original Hover always had: one of them in a stack marks the stack as its.
pub(crate) const ORIGINAL_MARKERS: &[&str] =
    &["HTTPLambda", "CliLambda", "CFDistribution", "ApiGateway"];

/// Outputs of the original Hover's template; hover's own are `ApiEndpoint` and `CdnDomain`.
pub(crate) const ORIGINAL_OUTPUTS: &[&str] = &[
    "Signature",
    "StageName",
    "BuildId",
    "CDNDomain",
    "ApiGatewayUri",
    "AssetsDomain",
];

/// What hover appends to a queue's id for its dead-letter queue and for its mapping
/// (`QueueEmailsDeadLetter`, `QueueEmailsMapping`).
pub const DEAD_LETTER_SUFFIX: &str = "DeadLetter";
pub const MAPPING_SUFFIX: &str = "Mapping";

/// Whether the original could write `name` into a logical id verbatim.
fn expressible(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A worker key or queue name as a logical-id fragment: letters and digits, PascalCased
/// (`mail-sender` and `mail_sender` both give `MailSender`; the manifest rejects such pairs).
pub fn pascal(key: &str) -> String {
    key.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut chars = s.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Logical-id fragment of a manifest queue (`.fifo` does not count).
pub fn queue_key(queue: &str) -> String {
    pascal(queue.strip_suffix(".fifo").unwrap_or(queue))
}

impl Scheme {
    fn original_worker(self, part: Part<'_>) -> Option<String> {
        match (self, part) {
            (Scheme::Original, Part::Http) => Some("HTTP".into()),
            (Scheme::Original, Part::Cli) => Some("Cli".into()),
            (Scheme::Original, Part::Worker(k)) if expressible(k) => Some(k.to_string()),
            _ => None,
        }
    }

    fn hover_prefix(part: Part<'_>) -> String {
        match part {
            Part::Http => "Http".into(),
            Part::Cli => "Cli".into(),
            Part::Worker(k) => format!("Worker{}", pascal(k)),
        }
    }

    /// `HttpFunction` / `HTTPLambda`, `WorkerDefaultFunction` / `defaultQueueLambda`.
    pub fn function(self, part: Part<'_>) -> String {
        match (self.original_worker(part), part) {
            (Some(k), Part::Worker(_)) => format!("{k}QueueLambda"),
            (Some(k), _) => format!("{k}Lambda"),
            (None, _) => format!("{}Function", Self::hover_prefix(part)),
        }
    }

    /// `HttpLogGroup` / `HTTPLambdaLogGroup`.
    pub fn log_group(self, part: Part<'_>) -> String {
        match self.original_worker(part) {
            Some(_) => format!("{}LogGroup", self.function(part)),
            None => format!("{}LogGroup", Self::hover_prefix(part)),
        }
    }

    /// `HttpAlias` / `HTTPLambdaLiveAlias`, `defaultLambdaLiveAlias`.
    pub fn alias(self, part: Part<'_>) -> String {
        match self.original_worker(part) {
            Some(k) => format!("{k}LambdaLiveAlias"),
            None => format!("{}Alias", Self::hover_prefix(part)),
        }
    }

    fn original_queue(self, queue: &str) -> Option<&str> {
        (self == Scheme::Original && expressible(queue)).then_some(queue)
    }

    /// `QueueDefault` / `defaultQueue`.
    pub fn queue(self, queue: &str) -> String {
        match self.original_queue(queue) {
            Some(q) => format!("{q}Queue"),
            None => format!("Queue{}", queue_key(queue)),
        }
    }

    /// `QueueDefaultDeadLetter` in both schemes (the original had none).
    pub fn dead_letter(self, queue: &str) -> String {
        format!("Queue{}{DEAD_LETTER_SUFFIX}", queue_key(queue))
    }

    /// `QueueDefaultMapping` / `defaultQueueQueueSourceMapping`.
    pub fn mapping(self, queue: &str) -> String {
        match self.original_queue(queue) {
            Some(q) => format!("{q}QueueQueueSourceMapping"),
            None => format!("Queue{}{MAPPING_SUFFIX}", queue_key(queue)),
        }
    }

    /// Every id a function of the stage takes: function, log group, alias.
    pub fn part_ids(self, part: Part<'_>) -> [String; 3] {
        [self.function(part), self.log_group(part), self.alias(part)]
    }

    /// Every id a manifest queue takes: queue, dead-letter queue, mapping.
    pub fn queue_ids(self, queue: &str) -> [String; 3] {
        [
            self.queue(queue),
            self.dead_letter(queue),
            self.mapping(queue),
        ]
    }

    /// `SchedulerRule` / `SchedulerEventRule`.
    pub fn rule(self, rule: Rule) -> String {
        match (self, rule) {
            (Scheme::Hover, Rule::Scheduler) => "SchedulerRule",
            (Scheme::Hover, Rule::Warmer) => "WarmerRule",
            (Scheme::Original, Rule::Scheduler) => "SchedulerEventRule",
            (Scheme::Original, Rule::Warmer) => "WarmerEventRule",
        }
        .into()
    }

    /// `SchedulerPermission` / `SchedulerEventRuleInvokePermission`.
    pub fn rule_permission(self, rule: Rule) -> String {
        match (self, rule) {
            (Scheme::Hover, Rule::Scheduler) => "SchedulerPermission",
            (Scheme::Hover, Rule::Warmer) => "WarmerPermission",
            (Scheme::Original, Rule::Scheduler) => "SchedulerEventRuleInvokePermission",
            (Scheme::Original, Rule::Warmer) => "WarmerEventInvokePermission",
        }
        .into()
    }

    fn api_prefix(self) -> &'static str {
        match self {
            Scheme::Hover => "HttpApi",
            Scheme::Original => "ApiGateway",
        }
    }

    /// `HttpApi` / `ApiGateway`.
    pub fn api(self) -> String {
        self.api_prefix().into()
    }

    /// `HttpApiIntegration` / `ApiGatewayLambdaIntegration`.
    pub fn api_integration(self) -> String {
        match self {
            Scheme::Hover => "HttpApiIntegration".into(),
            Scheme::Original => "ApiGatewayLambdaIntegration".into(),
        }
    }

    /// `HttpApiRoute` / `ApiGatewayRoute`.
    pub fn api_route(self) -> String {
        format!("{}Route", self.api_prefix())
    }

    /// `HttpApiStage` / `ApiGatewayStage`.
    pub fn api_stage(self) -> String {
        format!("{}Stage", self.api_prefix())
    }

    /// `HttpApiPermission` / `ApiGatewayInvokePermission`.
    pub fn api_permission(self) -> String {
        match self {
            Scheme::Hover => "HttpApiPermission".into(),
            Scheme::Original => "ApiGatewayInvokePermission".into(),
        }
    }

    /// `Distribution` / `CFDistribution`.
    pub fn distribution(self) -> String {
        match self {
            Scheme::Hover => "Distribution".into(),
            Scheme::Original => "CFDistribution".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_scheme_follows_the_reference_table() {
        let o = Scheme::Original;
        assert_eq!(o.function(Part::Http), "HTTPLambda");
        assert_eq!(o.log_group(Part::Http), "HTTPLambdaLogGroup");
        assert_eq!(o.alias(Part::Http), "HTTPLambdaLiveAlias");
        assert_eq!(o.function(Part::Cli), "CliLambda");
        assert_eq!(o.alias(Part::Cli), "CliLambdaLiveAlias");
        assert_eq!(o.function(Part::Worker("default")), "defaultQueueLambda");
        assert_eq!(
            o.log_group(Part::Worker("default")),
            "defaultQueueLambdaLogGroup"
        );
        assert_eq!(o.alias(Part::Worker("default")), "defaultLambdaLiveAlias");
        assert_eq!(o.queue("emails"), "emailsQueue");
        assert_eq!(o.mapping("emails"), "emailsQueueQueueSourceMapping");
        assert_eq!(o.rule(Rule::Warmer), "WarmerEventRule");
        assert_eq!(
            o.rule_permission(Rule::Scheduler),
            "SchedulerEventRuleInvokePermission"
        );
        assert_eq!(o.api_integration(), "ApiGatewayLambdaIntegration");
        assert_eq!(o.api_permission(), "ApiGatewayInvokePermission");
        assert_eq!(o.distribution(), "CFDistribution");
    }

    #[test]
    fn names_the_original_could_not_express_take_hovers_ids() {
        let o = Scheme::Original;
        assert_eq!(
            o.function(Part::Worker("mail-sender")),
            "WorkerMailSenderFunction"
        );
        assert_eq!(
            o.alias(Part::Worker("mail_sender")),
            "WorkerMailSenderAlias"
        );
        assert_eq!(o.queue("emails-high"), "QueueEmailsHigh");
        assert_eq!(o.queue("orders.fifo"), "QueueOrders");
        assert_eq!(o.dead_letter("emails"), "QueueEmailsDeadLetter");
        assert_eq!(Scheme::Hover.queue("emails"), "QueueEmails");
        assert_eq!(Scheme::Hover.function(Part::Http), "HttpFunction");
    }
}
