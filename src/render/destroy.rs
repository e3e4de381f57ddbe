//! The destroy plan as human text: every deletion, with the data that goes with it counted.

use super::Style;
use crate::plan::destroy::{DestroyPlan, DestroyStep, StackItem};
use std::io::{self, Write};

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Writes the destroy plan; `manifest` names the stage file that stays.
pub fn write_destroy_plan(
    out: &mut dyn Write,
    plan: &DestroyPlan,
    manifest: &str,
    style: Style,
) -> io::Result<()> {
    if let Some((alias, key_id, date)) = &plan.key_already_scheduled {
        writeln!(
            out,
            "The secrets key {alias} ({key_id}) is already scheduled for deletion{}.\n",
            date.as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        )?;
    }
    if plan.is_empty() {
        writeln!(
            out,
            "Nothing of the stage `{}` is left to destroy. The manifest {manifest} stays.",
            plan.name
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "hover will destroy the stage `{}`:\n",
        style.bold(&plan.name)
    )?;
    let minus = style.red("-");
    for step in &plan.steps {
        write_step(out, step, &minus)?;
    }
    let (messages, objects, images) = plan.data_counts();
    writeln!(
        out,
        "\n{} {}, {} and {} will be lost. The manifest {manifest} stays.",
        style.bold("Destroy:"),
        plural(messages, "message", "messages"),
        plural(objects, "object", "objects"),
        plural(images, "image", "images"),
    )
}

/// One deletion of the plan (`minus`: the styled `-`).
fn write_step(out: &mut dyn Write, step: &DestroyStep, minus: &str) -> io::Result<()> {
    match step {
        DestroyStep::DeleteStack {
            name,
            status,
            resources,
        } => write_stack(out, name, status, resources, minus),
        DestroyStep::EmptyAndDeleteBucket { name, objects } => writeln!(
            out,
            "  {minus} assets bucket {name}: {}, emptied, then the bucket deleted",
            plural(*objects, "object", "objects")
        ),
        DestroyStep::DeleteRepository { name, images } => writeln!(
            out,
            "  {minus} image repository {name}, with its {}",
            plural(*images, "image", "images")
        ),
        DestroyStep::ScheduleKeyDeletion {
            alias,
            key_id,
            pending_days,
        } => writeln!(
            out,
            "  {minus} secrets key {alias} ({key_id}): scheduled for deletion after {pending_days} days \
             (until then `aws kms cancel-key-deletion --key-id {key_id}` keeps it); its alias removed"
        ),
    }
}

/// The stack's deletion, with each of its resources in aligned columns and the messages its
/// queues hold.
fn write_stack(
    out: &mut dyn Write,
    name: &str,
    status: &dyn std::fmt::Display,
    resources: &[StackItem],
    minus: &str,
) -> io::Result<()> {
    writeln!(
        out,
        "  {minus} stack {name} ({status}), deleted with its {}:",
        plural(resources.len() as u64, "resource", "resources")
    )?;
    let width = resources
        .iter()
        .map(|r| r.logical_id.len())
        .max()
        .unwrap_or(0);
    for r in resources {
        let data = r
            .messages
            .map(|n| format!("  ({})", plural(n, "message", "messages")))
            .unwrap_or_default();
        writeln!(
            out,
            "      {minus} {:width$}  {} {}{data}",
            r.logical_id, r.resource_type, r.physical_id
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::destroy::{destroy_plan, Inventory, KeyInfo};

    #[test]
    fn counts_every_kind_of_data_lost() {
        let inv = Inventory {
            stack: None,
            queue_messages: Default::default(),
            bucket: Some(("shop-assets".into(), 1)),
            repository: Some(("shop".into(), 2)),
            key: Some(KeyInfo {
                alias: "alias/shop-secrets-key".into(),
                key_id: "k1".into(),
                state: "Enabled".into(),
                deletion_date: None,
            }),
        };
        let mut out = Vec::new();
        write_destroy_plan(
            &mut out,
            &destroy_plan("shop", &inv),
            ".hover/dev.yml",
            Style::PLAIN,
        )
        .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("  - assets bucket shop-assets: 1 object, emptied"),
            "{text}"
        );
        assert!(
            text.contains("  - image repository shop, with its 2 images"),
            "{text}"
        );
        assert!(text.contains("after 30 days"), "{text}");
        assert!(text.ends_with("Destroy: 0 messages, 1 object and 2 images will be lost. The manifest .hover/dev.yml stays.\n"), "{text}");
    }
}
