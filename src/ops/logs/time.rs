//! The times `hover logs` takes (`--since`, `--until`): a duration back from now (`30s`, `10m`,
//! `2h`, `1d`, `1w`, or a sum such as `1h30m`) or a point in time in ISO 8601 / RFC 3339
//! (`2026-12-06T16:00:00Z`, with an offset, fractions of a second; without a zone, or a date
//! alone, it is UTC).

use aws_smithy_types::date_time::{DateTime, Format};

/// The forms accepted, for error messages and the help.
pub const ACCEPTED: &str = "a duration back from now (30s, 10m, 2h, 1d, 1w, 1h30m) or an ISO 8601 time (2026-12-06T16:00:00Z, 2026-12-06T17:00:00+01:00, 2026-12-06T16:00 or 2026-12-06, both UTC)";

/// A moment given on the command line, resolved against the clock once the command starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// This many milliseconds before now.
    Ago(i64),
    /// This moment, milliseconds since the epoch.
    At(i64),
}

impl When {
    /// The moment in milliseconds since the epoch, `now` being the command's start.
    pub fn at(self, now: i64) -> i64 {
        match self {
            When::Ago(ms) => now.saturating_sub(ms),
            When::At(ms) => ms,
        }
    }
}

/// A `--since`/`--until` value that is neither a duration nor a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration or a time ({reason}); expected {ACCEPTED}")]
pub struct TimeError {
    pub input: String,
    pub reason: String,
}

/// Parses a `--since`/`--until` value (see the module's doc).
pub fn parse_when(input: &str) -> Result<When, TimeError> {
    let text = input.trim();
    let error = |reason: &str| TimeError {
        input: input.to_owned(),
        reason: reason.to_owned(),
    };
    if text.is_empty() {
        return Err(error("it is empty"));
    }
    if text.as_bytes()[0].is_ascii_digit() && text.len() >= 10 && text.as_bytes()[4] == b'-' {
        return parse_time(text).map(When::At).map_err(|r| error(&r));
    }
    parse_duration(text).map(When::Ago).map_err(|r| error(&r))
}

/// `30s`, `10m`, `2h`, `1d`, `1w` and sums of them (`1h30m`), in milliseconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 604_800_000,
            _ => return Err(format!("`{c}` is not a unit: use s, m, h, d or w")),
        };
        if digits.is_empty() {
            return Err(format!("`{c}` has no number before it"));
        }
        let n: i64 = digits.parse().map_err(|_| "the number is too large")?;
        total = n
            .checked_mul(unit)
            .and_then(|ms| total.checked_add(ms))
            .ok_or("the duration is too long")?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{digits}` has no unit: write {digits}m, {digits}h..."
        ));
    }
    Ok(total)
}

/// An ISO 8601 time in milliseconds since the epoch; without a zone it is UTC.
fn parse_time(text: &str) -> Result<i64, String> {
    let text = text.replacen(' ', "T", 1);
    let time_part = text.get(10..).unwrap_or_default();
    let zoned = time_part.ends_with(['Z', 'z']) || time_part.contains(['+', '-']);
    let full = match (time_part.len(), zoned) {
        (0, _) => format!("{text}T00:00:00Z"),
        // `THH:MM`
        (6, false) => format!("{text}:00Z"),
        (_, false) => format!("{text}Z"),
        (_, true) => text.clone(),
    };
    let parsed = DateTime::from_str(&full, Format::DateTimeWithOffset)
        .map_err(|e| format!("not a valid ISO 8601 time: {e}"))?;
    parsed
        .to_millis()
        .map_err(|_| "the time is out of range".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_796_572_800_000; // 2026-12-06T16:00:00Z

    #[test]
    fn durations_count_back_from_now() {
        let cases = [
            ("30s", 30_000),
            ("10m", 600_000),
            ("2h", 7_200_000),
            ("1d", 86_400_000),
            ("1w", 604_800_000),
            ("1h30m", 5_400_000),
            (" 0m ", 0),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_when(text), Ok(When::Ago(ms)), "{text}");
        }
        assert_eq!(parse_when("10m").map(|w| w.at(T)), Ok(T - 600_000));
    }

    #[test]
    fn times_in_iso_8601_with_or_without_a_zone() {
        let cases = [
            ("2026-12-06T16:00:00Z", T),
            ("2026-12-06T16:00:00.250Z", T + 250),
            ("2026-12-06T17:00:00+01:00", T),
            ("2026-12-06T11:00:00-05:00", T),
            ("2026-12-06T16:00:00", T),
            ("2026-12-06 16:00:00", T),
            ("2026-12-06T16:00", T),
            ("2026-12-06", T - 16 * 3_600_000),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_when(text), Ok(When::At(ms)), "{text}");
            assert_eq!(parse_when(text).map(|w| w.at(0)), Ok(ms), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused_saying_what_is_accepted() {
        for text in [
            "",
            "10",
            "10x",
            "m",
            "ten minutes",
            "2026-13-06",
            "2026-12-06T25:00",
            "1h 30m",
            "99999999999999999999s",
            "2026-12-06Tnoon",
        ] {
            let err = parse_when(text).expect_err(text);
            assert_eq!(err.input, text);
            let shown = err.to_string();
            assert!(
                shown.contains("30s, 10m, 2h") && shown.contains("2026-12-06T16:00:00Z"),
                "{shown}"
            );
        }
        assert!(parse_when("10").unwrap_err().reason.contains("no unit"));
        assert!(parse_when("10x")
            .unwrap_err()
            .reason
            .contains("`x` is not a unit"));
    }
}
