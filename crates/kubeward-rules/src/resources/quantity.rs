//! Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1G`, `1e3`, `2Ki`) as exact
//! integers of milli-units, the way the API server's `resource.Quantity` reads them.
//!
//! Grammar (k8s.io/apimachinery `resource.ParseQuantity`): an optional sign, a decimal number
//! (digits with at most one `.`), then one suffix: a binary SI suffix (`Ki Mi Gi Ti Pi Ei`), a
//! decimal SI suffix (`n u m` (none) `k M G T P E`) or a decimal exponent (`e3`, `E-2`).
//! Values are rounded up to the next milli-unit, as `Quantity.MilliValue` does for CPU.
//! Anything else (units the API server rejects, overflow beyond `i128`) is `None`.

/// A quantity in thousandths of its unit (CPU: millicores; memory: milli-bytes, so `1Mi`
/// is 1,048,576,000).
pub type Milli = i128;

/// Parses a quantity into milli-units, rounding up; `None` when it is not a quantity.
pub fn parse_milli(text: &str) -> Option<Milli> {
    let s = text.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let (neg, s) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // number part: digits and at most one '.'
    let num_end = s
        .bytes()
        .position(|c| !(c.is_ascii_digit() || c == b'.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(num_end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
    // mantissa as an integer with `scale` decimal digits after the point
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let scale = frac_part.len() as i32;
    // (multiplier as power of 2, power of 10)
    let (pow2, pow10): (u32, i32) = match suffix {
        "" => (0, 0),
        "Ki" => (10, 0),
        "Mi" => (20, 0),
        "Gi" => (30, 0),
        "Ti" => (40, 0),
        "Pi" => (50, 0),
        "Ei" => (60, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        e if e.starts_with(['e', 'E']) && e.len() > 1 => {
            let exp: i32 = e[1..].parse().ok()?;
            if !(-40..=40).contains(&exp) {
                return None;
            }
            (0, exp)
        }
        _ => return None,
    };
    // value = mantissa * 2^pow2 * 10^(pow10 - scale); in milli: * 10^3
    let v = mantissa.checked_mul(1i128.checked_shl(pow2)?)?;
    let exp10 = pow10 - scale + 3;
    let milli = if exp10 >= 0 {
        v.checked_mul(10i128.checked_pow(exp10 as u32)?)?
    } else {
        let d = 10i128.checked_pow((-exp10) as u32)?;
        // round up (away from zero for positive values, as MilliValue does)
        v / d + i128::from(v % d != 0)
    };
    Some(if neg { -milli } else { milli })
}

/// The milli-value of a quantity node (a string, or a plain YAML number such as `cpu: 2`).
pub fn node_milli(n: &kubeward_model::Node) -> Option<Milli> {
    match &n.value {
        kubeward_model::Value::Str(s) => parse_milli(s),
        kubeward_model::Value::Int(i) => i128::from(*i).checked_mul(1000),
        kubeward_model::Value::Float(f) => parse_milli(&format!("{f}")),
        _ => None,
    }
}

/// `2.5` CPUs, `500m`: CPU for messages and tables.
pub fn show_cpu(m: Milli) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else if m >= 10_000 {
        format!("{:.1}", m as f64 / 1000.0)
    } else {
        format!("{m}m")
    }
}

/// `512Mi`, `12.5Gi`: memory for messages and tables (binary units).
pub fn show_memory(m: Milli) -> String {
    let bytes = m / 1000 + i128::from(m % 1000 != 0);
    const UNITS: [(&str, i128); 5] = [
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    for (u, size) in UNITS {
        if bytes >= size {
            if bytes % size == 0 {
                return format!("{}{u}", bytes / size);
            }
            return format!("{:.1}{u}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_suffix_exactly() {
        let cases: &[(&str, Milli)] = &[
            ("500m", 500),
            ("1", 1000),
            ("0.5", 500),
            ("1.5", 1500),
            (".1", 100),
            ("2", 2000),
            ("100u", 1), // 0.0001 rounds up to one milli
            ("1n", 1),   // likewise
            ("1k", 1_000_000),
            ("1M", 1_000_000_000),
            ("1G", 1_000_000_000_000),
            ("1Ki", 1_024_000),
            ("128Mi", 128 * 1_048_576 * 1000),
            ("1.5Gi", 3 * (1 << 29) * 1000),
            ("1e3", 1_000_000),
            ("1E3", 1_000_000),
            ("5e-1", 500),
            ("+2", 2000),
            ("-1", -1000),
            ("0", 0),
            ("1Ei", (1i128 << 60) * 1000),
        ];
        for (text, want) in cases {
            assert_eq!(parse_milli(text), Some(*want), "{text}");
        }
        for bad in [
            "", "m", "1.2.3", "1Kb", "abc", "1 Gi", "Gi", "1e", "1e999", "1mi",
        ] {
            assert_eq!(parse_milli(bad), None, "{bad}");
        }
    }

    #[test]
    fn shows_readable_units() {
        assert_eq!(show_cpu(500), "500m");
        assert_eq!(show_cpu(2000), "2");
        assert_eq!(show_cpu(25_500), "25.5");
        assert_eq!(show_memory(parse_milli("512Mi").unwrap()), "512Mi");
        assert_eq!(show_memory(parse_milli("1.5Gi").unwrap()), "1.5Gi");
        assert_eq!(show_memory(parse_milli("100").unwrap()), "100");
    }
}
