//! YAML 1.2 core-schema scalars: which plain text is a boolean, an integer or a float, and the
//! value of an integer as YAML writes it (`12`, `-3`, `0x1f`, `0o17`).

/// YAML 1.2 core-schema booleans.
pub fn is_bool(s: &str) -> bool {
    matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

/// YAML 1.2 core-schema integers (decimal, `0o` octal, `0x` hex).
pub fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if let Some(oct) = s.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// YAML 1.2 core-schema floats (including `.inf` and `.nan`), excluding integers.
pub fn is_float(s: &str) -> bool {
    if matches!(
        s,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
    ) || matches!(s, ".nan" | ".NaN" | ".NAN")
    {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int_part = parts.next().unwrap_or("");
    let frac_part = parts.next();
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(frac) => {
            digits_ok(int_part) && digits_ok(frac) && !(int_part.is_empty() && frac.is_empty())
        }
        None => !int_part.is_empty() && digits_ok(int_part),
    };
    let exponent_ok = match exponent {
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits_ok(e)
        }
        None => frac_part.is_some(),
    };
    mantissa_ok && exponent_ok
}

/// Parses a YAML core-schema integer (`12`, `-3`, `0x1f`, `0o17`); `None` when it overflows.
pub fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_numbers() {
        for s in ["0", "12", "-3", "+4", "0x1f", "0o17"] {
            assert!(is_int(s), "{s}");
        }
        for s in ["1.5", "-0.5", "1e3", ".5", "2.", ".inf"] {
            assert!(is_float(s) && !is_int(s), "{s}");
        }
        for s in ["", "-", "1,2", "abc", "1.2.3", "e3"] {
            assert!(!is_int(s) && !is_float(s), "{s}");
        }
    }

    #[test]
    fn integers_are_read_in_their_base() {
        assert_eq!(parse_int("0x1f"), Some(31));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("99999999999999999999"), None);
    }
}
