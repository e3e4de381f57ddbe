//! What is generated from the clap definitions themselves, so it never drifts from them: shell
//! completion scripts (`hover completions SHELL`) and the manual (`hover man`).

use super::Cli;
use crate::error::HoverError;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// The command tree as clap builds it (help subcommand off: it is not a command of hover's).
pub fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every command a user can type, as its words after `hover` (`["stage", "new"]`), depth first,
/// hidden ones left out.
pub fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&command(), &[], &mut out);
    out
}

/// The completion script of `shell`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "hover", &mut out);
    out
}

/// `hover completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<i32, HoverError> {
    let mut out = std::io::stdout().lock();
    out.write_all(&completion_script(shell))?;
    out.flush()?;
    Ok(0)
}

/// The manual page of `cmd` (title `HOVER` or `HOVER-PLAN`...).
fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .manual("hover manual")
        .source(format!("hover {}", super::VERSION))
}

/// hover(1): the top page, then for every command (nested ones too) a section with its
/// synopsis, description and options, so that one page holds the whole manual.
pub fn manual() -> std::io::Result<Vec<u8>> {
    let cmd = command();
    let mut out = Vec::new();
    page(cmd.clone()).render(&mut out)?;
    fn sections(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub
                .get_display_name()
                .unwrap_or_else(|| sub.get_name())
                .replace('-', " ");
            writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
            let man = page(sub.clone());
            let mut part = Vec::new();
            man.render_synopsis_section(&mut part)?;
            man.render_description_section(&mut part)?;
            if sub.get_arguments().any(|a| !a.is_hide_set()) {
                man.render_options_section(&mut part)?;
            }
            // Each part's own headings become subsections of the command's section.
            let text = String::from_utf8_lossy(&part).replace("\n.SH ", "\n.SS ");
            let text = text
                .strip_prefix(".SH ")
                .map_or(text.clone(), |t| format!(".SS {t}"));
            out.extend_from_slice(text.as_bytes());
            sections(sub, out)?;
        }
        Ok(())
    }
    sections(&cmd, &mut out)?;
    Ok(out)
}

/// `hover man [--out-dir DIR]`.
pub fn man(out_dir: Option<&Path>) -> Result<i32, HoverError> {
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(Cli::command(), dir)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&manual()?)?;
            out.flush()?;
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_known_to_the_tree() {
        let paths: Vec<String> = command_paths().iter().map(|p| p.join(" ")).collect();
        for expected in [
            "plan",
            "apply",
            "deploy",
            "destroy",
            "doctor",
            "completions",
            "man",
            "command run",
            "secret encrypt",
            "stage new",
            "stage purge",
        ] {
            assert!(paths.iter().any(|p| p == expected), "{expected}: {paths:?}");
        }
        assert!(
            !paths.iter().any(|p| p == "observe" || p == "help"),
            "{paths:?}"
        );
    }

    #[test]
    fn every_completion_script_offers_every_command() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let script = String::from_utf8(completion_script(shell)).unwrap_or_default();
            for path in command_paths() {
                // Every shell's script offers each command under its parent: bash and zsh
                // name a function per command (`hover__subcmd__stage__subcmd__new`), powershell
                // and elvish a case (`'hover;stage;new'`), fish a condition on the parent.
                let nested = match shell {
                    clap_complete::Shell::Bash | clap_complete::Shell::Zsh => vec![format!(
                        "hover__subcmd__{}",
                        path.join("__subcmd__")
                    )],
                    clap_complete::Shell::Fish => match path.as_slice() {
                        [only] => vec![format!("__fish_hover_needs_command\" -f -a \"{only}\"")],
                        [parent, child] => vec![
                            format!("__fish_hover_using_subcommand {parent}; and not __fish_seen_subcommand_from"),
                            // `-f` too, unless the parent takes a positional first (`queue <stage>`).
                            format!("-a \"{child}\""),
                        ],
                        _ => vec![],
                    },
                    _ => vec![format!("'hover;{}'", path.join(";"))],
                };
                assert!(!nested.is_empty(), "{path:?}");
                for n in nested {
                    assert!(
                        script.contains(n.as_str()),
                        "{shell:?}: `{}` is not offered ({n})",
                        path.join(" ")
                    );
                }
            }
        }
    }

    #[test]
    fn the_manual_has_a_section_for_every_command() {
        let page = String::from_utf8(manual().unwrap_or_default()).unwrap_or_default();
        assert!(
            page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH hover 1"),
            "{}",
            &page[..200.min(page.len())]
        );
        for path in command_paths() {
            let heading = format!(".SH \"HOVER {}\"", path.join(" ").to_uppercase());
            assert!(page.contains(&heading), "{heading} missing");
        }
        assert!(
            page.contains("\\-\\-detailed\\-exitcode"),
            "plan's options are listed"
        );
    }
}
