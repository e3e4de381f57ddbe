//! Reading a stage file: finding `.hover/<stage>.yml`, refusing what is too large or not UTF-8,
//! and [`parse`], which runs every check over the YAML tree and gathers their problems and
//! warnings before any AWS call.

use super::check::Checker;
use super::environment::secret_values;
use super::error::{ManifestError, Problem, Problems};
use super::yaml::{self, Kind};
use super::Manifest;
use std::path::Path;

/// Reads `<dir>/.hover/<stage>.yml` (or `.yaml`) and parses it with [`parse`].
///
/// # Errors
/// [`ManifestError::NotFound`] (listing the stages that exist), [`ManifestError::Ambiguous`] when
/// both extensions exist, [`ManifestError::BadStageName`], [`ManifestError::Unreadable`], or
/// [`ManifestError::Invalid`] with every problem of the file.
pub fn load(dir: &Path, stage: &str) -> Result<Manifest, ManifestError> {
    let stage_ok = !stage.is_empty()
        && !stage.starts_with('.')
        && stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !stage_ok {
        return Err(ManifestError::BadStageName {
            stage: stage.to_string(),
        });
    }
    let hover = dir.join(".hover");
    let yml = hover.join(format!("{stage}.yml"));
    let yaml_path = hover.join(format!("{stage}.yaml"));
    let path = match (yml.is_file(), yaml_path.is_file()) {
        (true, true) => {
            return Err(ManifestError::Ambiguous {
                first: yml,
                second: yaml_path,
            })
        }
        (true, false) => yml,
        (false, true) => yaml_path,
        (false, false) => {
            return Err(ManifestError::NotFound {
                path: yml,
                stages: existing_stages(&hover),
            })
        }
    };
    let file = path.display().to_string();
    let size = std::fs::metadata(&path)
        .map_err(|source| ManifestError::Unreadable {
            path: path.clone(),
            source,
        })?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(too_large(&file, size));
    }
    let bytes = std::fs::read(&path).map_err(|source| ManifestError::Unreadable {
        path: path.clone(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => parse(&file, &text),
        Err(e) => Err(not_utf8(&file, e.as_bytes(), e.utf8_error().valid_up_to())),
    }
}

/// A problem of the whole stage found once it loaded (a limit of the stack it makes), as a
/// manifest error located at the top-level key `key` of the stage file `file` (its first line when
/// the key is not there). Secret values are hidden as in every manifest error.
pub fn problem_at_key(file: &str, key: &str, message: &str, help: &str) -> ManifestError {
    let text = std::fs::metadata(file)
        .ok()
        .filter(|m| m.is_file() && m.len() <= MAX_FILE_BYTES as u64)
        .and_then(|_| std::fs::read_to_string(file).ok())
        .unwrap_or_default();
    let doc = yaml::parse(&text);
    let node = match doc.root.as_ref().map(|r| &r.kind) {
        Some(Kind::Map(entries)) => entries
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(k, _)| k),
        _ => None,
    };
    let (position, span) = node.map_or(((1, 1), (0, 0)), |n| {
        ((n.line, n.col), (n.span.offset, n.span.len))
    });
    let problem = Problem::new(
        file,
        position,
        span,
        if node.is_some() { key } else { "" },
        message,
        Some(help.to_string()),
    );
    ManifestError::Invalid(Problems::new(
        file,
        &text,
        vec![problem],
        &secret_values(doc.root.as_ref(), &text),
    ))
}

/// Largest stage file read: a stage file is a few kilobytes of settings.
pub const MAX_FILE_BYTES: usize = 1 << 20;

fn too_large(file: &str, size: u64) -> ManifestError {
    let problem = Problem::new(
        file,
        (1, 1),
        (0, 0),
        "",
        format!(
            "the stage file is {size} bytes; a stage file is at most {} KiB",
            MAX_FILE_BYTES >> 10
        ),
        Some("a stage file holds settings of a few kilobytes; is this the right file?".into()),
    );
    ManifestError::Invalid(Problems::new(file, "", vec![problem], &[]))
}

/// A file that is not UTF-8: located at its first invalid byte.
fn not_utf8(file: &str, bytes: &[u8], valid_up_to: usize) -> ManifestError {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (line, col) = yaml::locate(&text, valid_up_to);
    let byte = bytes.get(valid_up_to).copied().unwrap_or_default();
    let problem = Problem::new(
        file,
        (line, col),
        (valid_up_to, '\u{fffd}'.len_utf8()),
        "",
        format!("the stage file is not UTF-8 text: byte 0x{byte:02x} cannot start or continue a character here"),
        Some("save the file as UTF-8".into()),
    );
    ManifestError::Invalid(Problems::new(file, &text, vec![problem], &[]))
}

/// Stage names of the `.yml`/`.yaml` files in `hover_dir`, sorted and deduplicated.
fn existing_stages(hover_dir: &Path) -> Vec<String> {
    let mut stages: Vec<String> = std::fs::read_dir(hover_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yml")
                .or_else(|| name.strip_suffix(".yaml"))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .collect();
    stages.sort();
    stages.dedup();
    stages
}

/// Parses and validates the text of a stage file. `file` names it in messages.
///
/// # Errors
/// [`ManifestError::Invalid`] holding every problem found (YAML syntax, duplicate keys, unknown
/// keys, wrong types, values AWS would refuse), sorted by position.
pub fn parse(file: &str, text: &str) -> Result<Manifest, ManifestError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(file, text.len() as u64));
    }
    let doc = yaml::parse(text);
    let mut c = Checker {
        file,
        text,
        lines: yaml::Lines::new(text),
        problems: Vec::new(),
        warnings: Vec::new(),
        partition: crate::model::Partition::Aws,
    };
    for p in &doc.problems {
        c.at(
            p.span.offset,
            p.span.len,
            &p.path,
            &p.message,
            p.help.clone(),
        );
    }
    let manifest = match &doc.root {
        Some(root) if !matches!(root.kind, Kind::Null) => Some(c.manifest(root)),
        _ if !doc.problems.is_empty() => None,
        _ => {
            c.at(
                0,
                0,
                "",
                "the stage file is empty",
                Some(
                    "a stage file needs at least `name: <stage name>` and `region: <aws region>`"
                        .into(),
                ),
            );
            None
        }
    };
    match manifest {
        Some(mut m) if c.problems.is_empty() => {
            c.warnings
                .sort_by_key(|w| (w.line(), w.column(), w.path().to_string()));
            m.warnings = c.warnings;
            Ok(m)
        }
        _ => Err(ManifestError::Invalid(Problems::new(
            file,
            text,
            c.problems,
            &secret_values(doc.root.as_ref(), text),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::error;
    use super::*;

    #[test]
    fn thousands_of_problems_render_fifty_and_count_the_rest_by_kind() {
        let mut text = String::from("name: app\nregion: us-east-1\nhttp:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  unknown{i}: 1\n"));
        }
        text.push_str("environment:\n");
        for _ in 0..5_000 {
            text.push_str("  APP_KEY: secretvalue1\n");
        }
        let started = std::time::Instant::now();
        let err = parse("dev.yml", &text).expect_err("invalid");
        assert_eq!(err.problems().len(), error::PROBLEMS_SHOWN);
        let rendered = format!("{:?}", miette::Report::new(err));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        assert!(rendered.len() < 64 * 1024, "{} bytes", rendered.len());
        assert!(
            rendered.contains("problems in the stage manifest"),
            "{rendered}"
        );
        let flat = rendered.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(
                "and 24949 more problems not shown: 19950 × unknown key, 4999 × duplicate"
            ),
            "{flat}"
        );
        assert!(
            !rendered.contains("secretvalue1"),
            "a secret is never shown"
        );
    }

    #[test]
    fn all_problems_are_collected_in_order() {
        let err = parse(
            "dev.yml",
            "name: App\nregion: us-est-1\nhttp:\n  memroy: 1\ncli:\n  timeout: 0\n",
        )
        .expect_err("invalid");
        let got: Vec<(usize, &str)> = err
            .problems()
            .iter()
            .map(|p| (p.line(), p.path()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "name"),
                (2, "region"),
                (4, "http.memroy"),
                (6, "cli.timeout")
            ]
        );
    }

    #[test]
    fn load_reads_yml_and_yaml_and_lists_stages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hover = dir.path().join(".hover");
        std::fs::create_dir(&hover).expect("mkdir");
        std::fs::write(hover.join("dev.yml"), "name: app-dev\nregion: us-east-1\n").expect("write");
        std::fs::write(
            hover.join("prod.yaml"),
            "name: app-prod\nregion: us-east-1\n",
        )
        .expect("write");
        std::fs::write(hover.join("dev-secrets.env"), "x").expect("write");
        assert_eq!(load(dir.path(), "dev").expect("dev").name, "app-dev");
        assert_eq!(load(dir.path(), "prod").expect("prod").name, "app-prod");
        match load(dir.path(), "staging") {
            Err(ManifestError::NotFound { path, stages }) => {
                assert!(path.ends_with(".hover/staging.yml"));
                assert_eq!(stages, vec!["dev", "prod"]);
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert!(matches!(
            load(dir.path(), "../dev"),
            Err(ManifestError::BadStageName { .. })
        ));
        std::fs::write(hover.join("dev.yaml"), "name: x\n").expect("write");
        assert!(matches!(
            load(dir.path(), "dev"),
            Err(ManifestError::Ambiguous { .. })
        ));
    }
}
