//! Build ids: what one can be, and a new one from the time and the commit.

/// Whether `id` can be a build id: an image tag, an S3 key segment and a version description at
/// once (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`).
pub fn valid_build_id(id: &str) -> bool {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first_ok
        && id.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A new build id: the UTC time to the millisecond (so ids sort by time), then the short commit
/// when the project is a git work tree, marked `-dirty` when the tree has uncommitted changes.
/// `unix_ms` is milliseconds since the Unix epoch.
pub fn new_build_id(unix_ms: u128, commit: Option<(&str, bool)>) -> String {
    let secs = (unix_ms / 1000) as i64;
    let millis = (unix_ms % 1000) as u32;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (h, mi, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let mut id = format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}-{millis:03}");
    if let Some((sha, dirty)) = commit {
        let short: String = sha.chars().take(7).collect();
        if !short.is_empty() {
            id.push('-');
            id.push_str(&short);
            if dirty {
                id.push_str("-dirty");
            }
        }
    }
    id
}

/// Days since 1970-01-01 to a (year, month, day) of the proleptic Gregorian calendar (Howard
/// Hinnant's algorithm); every date hover writes goes through it.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
