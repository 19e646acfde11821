//! Severity from CVSS vectors and database-specific labels.
//!
//! CVSS 3.0/3.1 and 2.0 base scores are computed from the vector with the formulas of the
//! FIRST specifications. CVSS 4.0 vectors are validated and kept, but their score (which
//! needs the specification's macro-vector table) is not computed here: a record with only a
//! 4.0 vector falls back to its database-specific label when it has one.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A qualitative severity level (CVSS 3.x rating scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Score 0.0 or an explicit "none"/"negligible".
    None,
    /// 0.1–3.9
    Low,
    /// 4.0–6.9 (GHSA "MODERATE")
    Medium,
    /// 7.0–8.9
    High,
    /// 9.0–10.0
    Critical,
}

impl Level {
    /// The level of a CVSS 3.x/4.0 base score.
    pub fn from_score(score: f64) -> Level {
        if score >= 9.0 {
            Level::Critical
        } else if score >= 7.0 {
            Level::High
        } else if score >= 4.0 {
            Level::Medium
        } else if score > 0.0 {
            Level::Low
        } else {
            Level::None
        }
    }

    /// Parses a label as databases write it (`CRITICAL`, `HIGH`, `MODERATE`, `medium`,
    /// `LOW`, `negligible`...), case-insensitively.
    pub fn from_label(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Level::Critical,
            "high" | "important" => Level::High,
            "moderate" | "medium" => Level::Medium,
            "low" => Level::Low,
            "none" | "negligible" | "unimportant" => Level::None,
            _ => return None,
        })
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a CVSS vector was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvssError(pub String);

impl fmt::Display for CvssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid CVSS vector: {}", self.0)
    }
}

impl std::error::Error for CvssError {}

fn metrics(parts: &[&str]) -> Result<HashMap<String, String>, CvssError> {
    let mut m = HashMap::new();
    for p in parts {
        let (k, v) = p
            .split_once(':')
            .ok_or_else(|| CvssError(format!("metric {p:?} has no value")))?;
        if m.insert(k.to_string(), v.to_string()).is_some() {
            return Err(CvssError(format!("metric {k} repeated")));
        }
    }
    Ok(m)
}

fn get<'a>(m: &'a HashMap<String, String>, k: &str) -> Result<&'a str, CvssError> {
    m.get(k)
        .map(String::as_str)
        .ok_or_else(|| CvssError(format!("missing base metric {k}")))
}

fn bad(k: &str, v: &str) -> CvssError {
    CvssError(format!("unknown value {v:?} for {k}"))
}

/// CVSS 3.1 "round up" to one decimal, done on integers to avoid floating-point surprises.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// Computes the base score of a CVSS 3.0 or 3.1 vector (`CVSS:3.1/AV:N/AC:L/...`).
pub fn cvss3_base_score(vector: &str) -> Result<f64, CvssError> {
    let mut parts: Vec<&str> = vector.trim().split('/').collect();
    match parts.first() {
        Some(&"CVSS:3.0") | Some(&"CVSS:3.1") => {
            parts.remove(0);
        }
        _ => return Err(CvssError("expected a CVSS:3.0 or CVSS:3.1 prefix".into())),
    }
    let m = metrics(&parts)?;
    let scope_changed = match get(&m, "S")? {
        "U" => false,
        "C" => true,
        v => return Err(bad("S", v)),
    };
    let av = match get(&m, "AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        v => return Err(bad("AV", v)),
    };
    let ac = match get(&m, "AC")? {
        "L" => 0.77,
        "H" => 0.44,
        v => return Err(bad("AC", v)),
    };
    let pr = match (get(&m, "PR")?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        (v, _) => return Err(bad("PR", v)),
    };
    let ui = match get(&m, "UI")? {
        "N" => 0.85,
        "R" => 0.62,
        v => return Err(bad("UI", v)),
    };
    let cia = |k: &str| -> Result<f64, CvssError> {
        match get(&m, k)? {
            "H" => Ok(0.56),
            "L" => Ok(0.22),
            "N" => Ok(0.0),
            v => Err(bad(k, v)),
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    Ok(if scope_changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

/// Computes the base score of a CVSS 2.0 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`).
pub fn cvss2_base_score(vector: &str) -> Result<f64, CvssError> {
    let v = vector.trim();
    let v = v.strip_prefix('(').unwrap_or(v).trim_end_matches(')');
    let parts: Vec<&str> = v.split('/').collect();
    let m = metrics(&parts)?;
    let av = match get(&m, "AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        x => return Err(bad("AV", x)),
    };
    let ac = match get(&m, "AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        x => return Err(bad("AC", x)),
    };
    let au = match get(&m, "Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        x => return Err(bad("Au", x)),
    };
    let cia = |k: &str| -> Result<f64, CvssError> {
        match get(&m, k)? {
            "N" => Ok(0.0),
            "P" => Ok(0.275),
            "C" => Ok(0.660),
            x => Err(bad(k, x)),
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let score = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    Ok((score * 10.0).round() / 10.0)
}

/// Checks that a CVSS 4.0 vector has all base metrics with known values.
pub fn cvss4_validate(vector: &str) -> Result<(), CvssError> {
    let mut parts: Vec<&str> = vector.trim().split('/').collect();
    if parts.first() != Some(&"CVSS:4.0") {
        return Err(CvssError("expected a CVSS:4.0 prefix".into()));
    }
    parts.remove(0);
    let m = metrics(&parts)?;
    let allowed: [(&str, &[&str]); 11] = [
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("AT", &["N", "P"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "P", "A"]),
        ("VC", &["H", "L", "N"]),
        ("VI", &["H", "L", "N"]),
        ("VA", &["H", "L", "N"]),
        ("SC", &["H", "L", "N"]),
        ("SI", &["H", "L", "N"]),
        ("SA", &["H", "L", "N"]),
    ];
    for (k, vals) in allowed {
        let v = get(&m, k)?;
        if !vals.contains(&v) {
            return Err(bad(k, v));
        }
    }
    Ok(())
}

/// The severity of a match: a level, and the score and vector it came from when known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// The qualitative level.
    pub level: Level,
    /// The base score, when computed from a CVSS vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The vector the score was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// Where the severity came from: `CVSS_V3`, `CVSS_V2`, `database_specific`...
    pub source: String,
}

/// Picks the severity of a record: CVSS 3.x first, then CVSS 2.0, then a
/// `database_specific.severity` label, then a level-only entry (e.g. `Ubuntu`).
/// Invalid vectors are skipped.
pub fn severity_of(
    scores: &[super::model::SeverityScore],
    database_specific: Option<&serde_json::Value>,
) -> Option<Severity> {
    let v3 = scores
        .iter()
        .filter(|s| s.kind == "CVSS_V3")
        .find_map(|s| cvss3_base_score(&s.score).ok().map(|x| (x, s)));
    if let Some((score, s)) = v3 {
        return Some(Severity {
            level: Level::from_score(score),
            score: Some(score),
            vector: Some(s.score.clone()),
            source: s.kind.clone(),
        });
    }
    let label = database_specific
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(Level::from_label);
    let v2 = scores
        .iter()
        .filter(|s| s.kind == "CVSS_V2")
        .find_map(|s| cvss2_base_score(&s.score).ok().map(|x| (x, s)));
    if let Some((score, s)) = v2 {
        // CVSS 2.0 has no "critical"; prefer a database label when there is one.
        return Some(Severity {
            level: label.unwrap_or(if score >= 7.0 {
                Level::High
            } else {
                Level::from_score(score)
            }),
            score: Some(score),
            vector: Some(s.score.clone()),
            source: s.kind.clone(),
        });
    }
    if let Some(level) = label {
        let v4 = scores
            .iter()
            .find(|s| s.kind == "CVSS_V4" && cvss4_validate(&s.score).is_ok());
        return Some(Severity {
            level,
            score: None,
            vector: v4.map(|s| s.score.clone()),
            source: "database_specific".into(),
        });
    }
    scores.iter().find_map(|s| {
        Level::from_label(&s.score).map(|level| Severity {
            level,
            score: None,
            vector: None,
            source: s.kind.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss3_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
            ("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N", 5.3),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (v, want) in cases {
            assert_eq!(cvss3_base_score(v).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn cvss2_scores() {
        assert_eq!(cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap(), 7.5);
        assert_eq!(cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N").unwrap(), 4.3);
        assert_eq!(
            cvss2_base_score("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap(),
            10.0
        );
    }

    #[test]
    fn bad_vectors() {
        assert!(cvss3_base_score("CVSS:3.1/AV:N/AC:L").is_err());
        assert!(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(cvss3_base_score("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(
            cvss4_validate("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
                .is_ok()
        );
        assert!(cvss4_validate("CVSS:4.0/AV:N").is_err());
    }

    #[test]
    fn fallbacks() {
        use super::super::model::SeverityScore;
        let ds = serde_json::json!({"severity": "MODERATE"});
        let s = severity_of(&[], Some(&ds)).unwrap();
        assert_eq!(s.level, Level::Medium);
        assert_eq!(s.source, "database_specific");
        let v4 = SeverityScore {
            kind: "CVSS_V4".into(),
            score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into(),
        };
        let s = severity_of(
            std::slice::from_ref(&v4),
            Some(&serde_json::json!({"severity": "CRITICAL"})),
        )
        .unwrap();
        assert_eq!(s.level, Level::Critical);
        assert!(s.vector.is_some());
        assert_eq!(severity_of(&[v4], None), None);
    }
}
