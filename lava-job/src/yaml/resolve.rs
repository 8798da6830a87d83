//! How a YAML 1.1 reader (PyYAML's `SafeLoader`, used by LAVA) types a plain
//! scalar, and what a YAML 1.2 reader would make of the same text.

/// The type a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plain {
    Null,
    Bool(bool),
    Int(Option<i64>),
    Float(f64),
    Timestamp,
    /// `<<`: a merge key.
    Merge,
    /// `=`: YAML 1.1's value key, which a safe loader refuses.
    ValueKey,
    Str,
}

/// Resolves a plain scalar the way PyYAML does.
pub(crate) fn plain(s: &str) -> Plain {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Plain::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Plain::Bool(false);
        }
        "<<" => return Plain::Merge,
        "=" => return Plain::ValueKey,
        _ => {}
    }
    if is_int(s) {
        return Plain::Int(int_value(s));
    }
    if is_float(s) {
        return Plain::Float(float_value(s));
    }
    if is_timestamp(s) {
        return Plain::Timestamp;
    }
    Plain::Str
}

/// Whether a string written plain could be read as something other than the
/// same string by a YAML 1.1 or 1.2 reader, so that it must be quoted.
pub(crate) fn ambiguous(s: &str) -> bool {
    if plain(s) != Plain::Str {
        return true;
    }
    // YAML 1.1 spells booleans y/n too (PyYAML does not, other readers do).
    if matches!(s, "y" | "Y" | "n" | "N") {
        return true;
    }
    yaml12_number(s)
}

fn sign_split(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

fn digits_(s: &str) -> bool {
    all(s, |b| is_digit(b) || b == b'_')
}

/// `(?::[0-5]?[0-9])+` over the part after the first colon-free head.
fn sexagesimal_tail(parts: &[&str]) -> bool {
    !parts.is_empty()
        && parts.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => is_digit(b[0]),
                2 => (b'0'..=b'5').contains(&b[0]) && is_digit(b[1]),
                _ => false,
            }
        })
}

fn is_int(s: &str) -> bool {
    let (_, body) = sign_split(s);
    if let Some(rest) = body.strip_prefix("0b") {
        return !rest.is_empty() && all(rest, |b| b == b'0' || b == b'1' || b == b'_');
    }
    if let Some(rest) = body.strip_prefix("0x") {
        return !rest.is_empty() && all(rest, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if body == "0" {
        return true;
    }
    if let Some(rest) = body.strip_prefix('0') {
        return !rest.is_empty() && all(rest, |b| (b'0'..=b'7').contains(&b) || b == b'_');
    }
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
        && digits_(head);
    let tail: Vec<&str> = parts.collect();
    head_ok && (tail.is_empty() || sexagesimal_tail(&tail))
}

fn int_value(s: &str) -> Option<i64> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    let (negative, body) = sign_split(&cleaned);
    let magnitude: Option<i128> = if body == "0" {
        Some(0)
    } else if let Some(rest) = body.strip_prefix("0b") {
        i128::from_str_radix(rest, 2).ok()
    } else if let Some(rest) = body.strip_prefix("0x") {
        i128::from_str_radix(rest, 16).ok()
    } else if body.starts_with('0') {
        i128::from_str_radix(body, 8).ok()
    } else if body.contains(':') {
        sexagesimal(body.split(':').map(|p| p.parse::<i128>().ok()))
    } else {
        body.parse().ok()
    };
    let value = magnitude.map(|m| if negative { -m } else { m })?;
    i64::try_from(value).ok()
}

fn sexagesimal(parts: impl DoubleEndedIterator<Item = Option<i128>>) -> Option<i128> {
    let mut total: i128 = 0;
    let mut base: i128 = 1;
    for part in parts.rev() {
        total = total.checked_add(part?.checked_mul(base)?)?;
        base = base.checked_mul(60)?;
    }
    Some(total)
}

fn exponent_ok(e: &str) -> bool {
    // `[eE][-+][0-9]+`: YAML 1.1 wants the sign.
    let b = e.as_bytes();
    b.len() >= 3
        && matches!(b[0], b'e' | b'E')
        && matches!(b[1], b'-' | b'+')
        && all(&e[2..], is_digit)
}

fn mantissa_and_exponent(s: &str) -> (&str, Option<&str>) {
    match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at..])),
        None => (s, None),
    }
}

fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (_, body) = sign_split(s);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if body.contains(':') {
        // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        let Some(dot) = body.rfind('.') else {
            return false;
        };
        let (whole, frac) = (&body[..dot], &body[dot + 1..]);
        let mut parts = whole.split(':');
        let head = parts.next().unwrap_or("");
        let tail: Vec<&str> = parts.collect();
        return head.as_bytes().first().is_some_and(|b| is_digit(*b))
            && digits_(head)
            && sexagesimal_tail(&tail)
            && digits_(frac);
    }
    let (mantissa, exponent) = mantissa_and_exponent(body);
    if exponent.is_some_and(|e| !exponent_ok(e)) {
        return false;
    }
    let Some(dot) = mantissa.find('.') else {
        return false;
    };
    let (whole, frac) = (&mantissa[..dot], &mantissa[dot + 1..]);
    if whole.is_empty() {
        // \.[0-9][0-9_]*: no sign allowed before a bare dot.
        return s == body && frac.as_bytes().first().is_some_and(|b| is_digit(*b)) && digits_(frac);
    }
    whole.as_bytes().first().is_some_and(|b| is_digit(*b)) && digits_(whole) && digits_(frac)
}

fn float_value(s: &str) -> f64 {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_lowercase();
    let (negative, body) = sign_split(&cleaned);
    let sign = if negative { -1.0 } else { 1.0 };
    if body == ".inf" {
        return sign * f64::INFINITY;
    }
    if body == ".nan" {
        return f64::NAN;
    }
    if body.contains(':') {
        let mut total = 0.0;
        let mut base = 1.0;
        for part in body.split(':').rev() {
            total += part.parse::<f64>().unwrap_or(0.0) * base;
            base *= 60.0;
        }
        return sign * total;
    }
    let (mantissa, exponent) = mantissa_and_exponent(body);
    let mut text = mantissa.to_string();
    if text.ends_with('.') {
        text.push('0');
    }
    if text.starts_with('.') {
        text.insert(0, '0');
    }
    if let Some(e) = exponent {
        text.push_str(e);
    }
    sign * text.parse::<f64>().unwrap_or(f64::NAN)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(|c| is_digit(*c));
    if b.len() == 10
        && (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
    {
        return true;
    }
    timestamp_with_time(s)
}

/// `YYYY-M?M-D?D(T|t|[ \t]+)H?H:MM:SS(.f*)?([ \t]*(Z|[-+]H?H(:MM)?))?`
fn timestamp_with_time(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && *i - start < max && is_digit(b[*i]) {
            *i += 1;
        }
        *i - start >= min
    };
    let byte = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(digits(&mut i, 4, 4) && byte(&mut i, b'-') && digits(&mut i, 1, 2) && byte(&mut i, b'-')) {
        return false;
    }
    if !digits(&mut i, 1, 2) {
        return false;
    }
    if !(byte(&mut i, b'T') || byte(&mut i, b't')) {
        let start = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(digits(&mut i, 1, 2)
        && byte(&mut i, b':')
        && digits(&mut i, 2, 2)
        && byte(&mut i, b':')
        && digits(&mut i, 2, 2))
    {
        return false;
    }
    if byte(&mut i, b'.') {
        while i < b.len() && is_digit(b[i]) {
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if byte(&mut i, b'Z') {
        return i == b.len();
    }
    if !(byte(&mut i, b'-') || byte(&mut i, b'+')) || !digits(&mut i, 1, 2) {
        return false;
    }
    if byte(&mut i, b':') && !digits(&mut i, 2, 2) {
        return false;
    }
    i == b.len()
}

/// Numbers in YAML 1.2's core schema: `0o17`, `1e5`, `+.5`, `.inf` and the like.
fn yaml12_number(s: &str) -> bool {
    let (_, body) = sign_split(s);
    if matches!(body, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(rest) = body.strip_prefix("0o") {
        return !rest.is_empty() && all(rest, |b| (b'0'..=b'7').contains(&b));
    }
    let (mantissa, exponent) = mantissa_and_exponent(body);
    let mantissa_ok = {
        let (whole, frac) = match mantissa.find('.') {
            Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
            None => (mantissa, ""),
        };
        (!whole.is_empty() || !frac.is_empty()) && all(whole, is_digit) && all(frac, is_digit)
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = &e[1..];
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all(e, is_digit)
    });
    mantissa_ok && exponent_ok
}
