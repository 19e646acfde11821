//! Severity from CVSS vectors and database-specific labels.
//!
//! CVSS 3.0/3.1 and 2.0 base scores are computed from the vector with the formulas of the
//! FIRST specifications; CVSS 4.0 scores with the specification's macro vectors, their score
//! table and the severity distance refinement ([`cvss4_score`]).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// A qualitative severity level (CVSS 3.x rating scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CvssLevel {
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

impl CvssLevel {
    /// The level of a CVSS 3.x/4.0 base score.
    pub fn from_score(score: f64) -> CvssLevel {
        if score >= 9.0 {
            CvssLevel::Critical
        } else if score >= 7.0 {
            CvssLevel::High
        } else if score >= 4.0 {
            CvssLevel::Medium
        } else if score > 0.0 {
            CvssLevel::Low
        } else {
            CvssLevel::None
        }
    }

    /// Parses a label as databases write it (`CRITICAL`, `HIGH`, `MODERATE`, `medium`,
    /// `LOW`, `negligible`...), case-insensitively.
    pub fn from_label(s: &str) -> Option<CvssLevel> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => CvssLevel::Critical,
            "high" | "important" => CvssLevel::High,
            "moderate" | "medium" => CvssLevel::Medium,
            "low" => CvssLevel::Low,
            "none" | "negligible" | "unimportant" => CvssLevel::None,
            _ => return None,
        })
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            CvssLevel::None => "none",
            CvssLevel::Low => "low",
            CvssLevel::Medium => "medium",
            CvssLevel::High => "high",
            CvssLevel::Critical => "critical",
        }
    }
}

impl fmt::Display for CvssLevel {
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

/// The metrics a CVSS 4.0 vector may carry and their values: the base metrics (required),
/// then the threat, environmental and supplemental ones (optional, `X` is "not defined").
const CVSS4_METRICS: [(&str, &[&str]); 32] = [
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
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// Parses a CVSS 4.0 vector: every base metric present, every metric known, every value one
/// its metric allows.
fn cvss4_metrics(vector: &str) -> Result<HashMap<String, String>, CvssError> {
    let mut parts: Vec<&str> = vector.trim().split('/').collect();
    if parts.first() != Some(&"CVSS:4.0") {
        return Err(CvssError("expected a CVSS:4.0 prefix".into()));
    }
    parts.remove(0);
    let m = metrics(&parts)?;
    for (k, vals) in &CVSS4_METRICS[..11] {
        let v = get(&m, k)?;
        if !vals.contains(&v) {
            return Err(bad(k, v));
        }
    }
    for (k, v) in &m {
        match CVSS4_METRICS.iter().find(|(name, _)| name == k) {
            Some((_, vals)) if vals.contains(&v.as_str()) => {}
            Some(_) => return Err(bad(k, v)),
            None => return Err(CvssError(format!("unknown metric {k}"))),
        }
    }
    Ok(m)
}

/// Checks that a CVSS 4.0 vector has all base metrics, and only known metrics with known
/// values.
pub fn cvss4_validate(vector: &str) -> Result<(), CvssError> {
    cvss4_metrics(vector).map(|_| ())
}

/// CVSS 4.0 scores by macro vector, in tenths (255: no such macro vector), indexed by
/// [`macro_index`]. These are the values of the CVSS v4.0 specification (FIRST), section 8.
#[rustfmt::skip]
const CVSS4_LOOKUP: [u8; 324] = [
    100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68,
    98, 95, 95, 92, 90, 84, 93, 92, 89, 81, 81, 65, 88, 80, 78, 70, 69, 48,
    255, 92, 255, 82, 255, 72, 255, 79, 255, 69, 255, 50, 255, 69, 255, 55, 255, 27,
    99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71, 92, 81, 82, 71, 72, 53,
    95, 93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52, 50, 30,
    255, 86, 255, 75, 255, 52, 255, 71, 255, 52, 255, 29, 255, 63, 255, 29, 255, 17,
    98, 95, 94, 87, 91, 81, 94, 89, 86, 74, 77, 64, 87, 75, 74, 63, 63, 49,
    94, 89, 88, 77, 76, 67, 86, 76, 74, 58, 59, 50, 72, 57, 57, 52, 52, 25,
    255, 83, 255, 70, 255, 54, 255, 65, 255, 58, 255, 26, 255, 53, 255, 21, 255, 13,
    95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66, 68, 59, 52, 30,
    89, 78, 76, 67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    255, 71, 255, 59, 255, 30, 255, 58, 255, 26, 255, 15, 255, 23, 255, 13, 255, 6,
    93, 87, 86, 72, 75, 58, 86, 74, 74, 61, 56, 34, 70, 54, 52, 40, 40, 22,
    85, 75, 74, 55, 62, 51, 72, 57, 55, 41, 46, 19, 53, 36, 34, 19, 19, 8,
    255, 64, 255, 51, 255, 20, 255, 47, 255, 21, 255, 11, 255, 24, 255, 9, 255, 4,
    88, 75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22, 20, 11,
    75, 55, 58, 45, 40, 21, 61, 51, 48, 18, 20, 9, 46, 18, 17, 7, 8, 2,
    255, 53, 255, 24, 255, 14, 255, 24, 255, 12, 255, 5, 255, 10, 255, 3, 255, 1,
];

/// The index in [`CVSS4_LOOKUP`] of the macro vector `eq` (EQ1..EQ6, with 3, 2, 3, 3, 3 and
/// 2 levels), `None` outside the table.
fn macro_index(eq: [u8; 6]) -> Option<usize> {
    let sizes = [3u8, 2, 3, 3, 3, 2];
    let mut i = 0usize;
    for (v, n) in eq.iter().zip(sizes) {
        if *v >= n {
            return None;
        }
        i = i * n as usize + *v as usize;
    }
    Some(i)
}

fn cvss4_lookup(eq: [u8; 6]) -> Option<f64> {
    let t = *CVSS4_LOOKUP.get(macro_index(eq)?)?;
    (t != 255).then(|| f64::from(t) / 10.0)
}

/// The highest-severity vectors of each macro vector level (specification, section 8.2),
/// as `metric:value` lists: EQ1, EQ2, EQ3 with EQ6, EQ4, EQ5.
const CVSS4_MAX_EQ1: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const CVSS4_MAX_EQ2: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
/// Indexed by EQ3 then EQ6.
const CVSS4_MAX_EQ3EQ6: [[&[&str]; 2]; 3] = [
    [
        &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
    ],
    [
        &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
    ],
    [&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
];
const CVSS4_MAX_EQ4: [&[&str]; 3] = [
    &["SC:H/SI:S/SA:S"],
    &["SC:H/SI:H/SA:H"],
    &["SC:L/SI:L/SA:L"],
];
/// The depth (maximal severity distance, plus one) of each level, in steps of 0.1.
const CVSS4_DEPTH_EQ1: [u8; 3] = [1, 4, 5];
const CVSS4_DEPTH_EQ2: [u8; 2] = [1, 2];
const CVSS4_DEPTH_EQ3EQ6: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const CVSS4_DEPTH_EQ4: [u8; 3] = [6, 5, 4];

/// The severity level of a metric value within its metric (0.0 is the most severe), as the
/// specification's severity distances count them.
fn cvss4_level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA" | "CR" | "IR" | "AR", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") | ("CR" | "IR" | "AR", "M") => 0.1,
        ("VC" | "VI" | "VA", "N") | ("CR" | "IR" | "AR", "L") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        _ => f64::NAN,
    }
}

/// Computes the score of a CVSS 4.0 vector (`CVSS:4.0/AV:N/AC:L/AT:N/...`): CVSS-B for a
/// vector of base metrics, CVSS-BT / BE / BTE when threat or environmental metrics are given.
///
/// As the specification's section 8 defines it: the vector's macro vector (the levels of its
/// six equivalence sets) gives a score from the specification's table; the score then goes
/// down by the mean, over the equivalence sets that have a lower macro vector, of the score
/// gap to that lower macro vector times the vector's severity distance from the highest
/// vector of its macro vector, relative to the macro vector's depth. Rounded to one decimal.
pub fn cvss4_score(vector: &str) -> Result<f64, CvssError> {
    let map = cvss4_metrics(vector)?;
    // The effective value of a metric: modified metrics override base ones; undefined threat
    // and security requirement metrics count as their worst case.
    let m = |k: &str| -> &str {
        let v = map.get(k).map(String::as_str).unwrap_or("X");
        match (k, v) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        match map.get(&format!("M{k}")).map(String::as_str) {
            Some(mv) if mv != "X" => mv,
            _ => v,
        }
    };
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| m(k) == "N")
    {
        return Ok(0.0);
    }
    let (av, pr, ui) = (m("AV"), m("PR"), m("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = if m("AC") == "L" && m("AT") == "N" {
        0
    } else {
        1
    };
    let (vc, vi, va) = (m("VC"), m("VI"), m("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let eq4 = if m("MSI") == "S" || m("MSA") == "S" {
        0
    } else if m("SC") == "H" || m("SI") == "H" || m("SA") == "H" {
        1
    } else {
        2
    };
    let eq5 = match m("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = if (m("CR") == "H" && vc == "H")
        || (m("IR") == "H" && vi == "H")
        || (m("AR") == "H" && va == "H")
    {
        0
    } else {
        1
    };
    let eq = [eq1, eq2, eq3, eq4, eq5, eq6];
    let value =
        cvss4_lookup(eq).ok_or_else(|| CvssError("no score for its macro vector".into()))?;
    let with = |i: usize, d: u8| {
        let mut e = eq;
        e[i] += d;
        cvss4_lookup(e)
    };
    // the next lower macro vector of each equivalence set (EQ3 and EQ6 move together)
    let lower_eq1 = with(0, 1);
    let lower_eq2 = with(1, 1);
    let lower_eq3eq6 = match (eq3, eq6) {
        (0, 0) => {
            let (left, right) = (with(5, 1), with(2, 1));
            match (left, right) {
                (Some(l), Some(r)) if l > r => Some(l),
                _ => right,
            }
        }
        (0, 1) | (1, 1) => with(2, 1),
        (1, 0) => with(5, 1),
        _ => None,
    };
    let lower_eq4 = with(3, 1);
    let lower_eq5 = with(4, 1);

    // severity distances from the first highest vector of the macro vector that the vector
    // does not exceed in any metric
    const DIST: [&str; 14] = [
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ];
    let mut d = [0.0f64; 14];
    'max: for e1 in CVSS4_MAX_EQ1[eq1 as usize] {
        for e2 in CVSS4_MAX_EQ2[eq2 as usize] {
            for e36 in CVSS4_MAX_EQ3EQ6[eq3 as usize][eq6 as usize] {
                for e4 in CVSS4_MAX_EQ4[eq4 as usize] {
                    let max = [*e1, *e2, *e36, *e4];
                    let max_value = |k: &str| {
                        max.iter()
                            .flat_map(|s| s.split('/'))
                            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix(':'))
                            .unwrap_or("")
                    };
                    for (i, k) in DIST.iter().enumerate() {
                        d[i] = cvss4_level(k, m(k)) - cvss4_level(k, max_value(k));
                    }
                    if d.iter().all(|x| *x >= 0.0) {
                        break 'max;
                    }
                }
            }
        }
    }
    let current_eq1 = d[0] + d[1] + d[2];
    let current_eq2 = d[3] + d[4];
    let current_eq3eq6 = d[5] + d[6] + d[7] + d[11] + d[12] + d[13];
    let current_eq4 = d[8] + d[9] + d[10];
    let step = 0.1;
    let parts = [
        (
            lower_eq1,
            current_eq1,
            f64::from(CVSS4_DEPTH_EQ1[eq1 as usize]) * step,
        ),
        (
            lower_eq2,
            current_eq2,
            f64::from(CVSS4_DEPTH_EQ2[eq2 as usize]) * step,
        ),
        (
            lower_eq3eq6,
            current_eq3eq6,
            f64::from(CVSS4_DEPTH_EQ3EQ6[eq3 as usize][eq6 as usize]) * step,
        ),
        (
            lower_eq4,
            current_eq4,
            f64::from(CVSS4_DEPTH_EQ4[eq4 as usize]) * step,
        ),
    ];
    let mut n = 0u32;
    let mut sum = 0.0f64;
    for (lower, current, depth) in parts {
        if let Some(lower) = lower {
            n += 1;
            sum += (value - lower) * (current / depth);
        }
    }
    if lower_eq5.is_some() {
        // EQ5's distance within its macro vector is always 0
        n += 1;
    }
    let mean = if n == 0 { 0.0 } else { sum / f64::from(n) };
    let score = (value - mean).clamp(0.0, 10.0);
    Ok((score * 10.0 + 0.5).floor() / 10.0)
}

/// The severity of a match: a level, and the score and vector it came from when known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// The qualitative level.
    pub level: CvssLevel,
    /// The base score, when computed from a CVSS vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The vector the score was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// Where the severity came from: `CVSS_V3`, `CVSS_V2`, `database_specific`...
    pub source: String,
}

/// Picks the severity of a record: CVSS 3.x first, then CVSS 4.0, then CVSS 2.0, then a
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
            level: CvssLevel::from_score(score),
            score: Some(score),
            vector: Some(s.score.clone()),
            source: s.kind.clone(),
        });
    }
    let v4 = scores
        .iter()
        .filter(|s| s.kind == "CVSS_V4")
        .find_map(|s| cvss4_score(&s.score).ok().map(|x| (x, s)));
    if let Some((score, s)) = v4 {
        return Some(Severity {
            level: CvssLevel::from_score(score),
            score: Some(score),
            vector: Some(s.score.clone()),
            source: s.kind.clone(),
        });
    }
    let label = database_specific
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(CvssLevel::from_label);
    let v2 = scores
        .iter()
        .filter(|s| s.kind == "CVSS_V2")
        .find_map(|s| cvss2_base_score(&s.score).ok().map(|x| (x, s)));
    if let Some((score, s)) = v2 {
        // CVSS 2.0 has no "critical"; prefer a database label when there is one.
        return Some(Severity {
            level: label.unwrap_or(if score >= 7.0 {
                CvssLevel::High
            } else {
                CvssLevel::from_score(score)
            }),
            score: Some(score),
            vector: Some(s.score.clone()),
            source: s.kind.clone(),
        });
    }
    if let Some(level) = label {
        return Some(Severity {
            level,
            score: None,
            vector: None,
            source: "database_specific".into(),
        });
    }
    scores.iter().find_map(|s| {
        CvssLevel::from_label(&s.score).map(|level| Severity {
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
        assert_eq!(s.level, CvssLevel::Medium);
        assert_eq!(s.source, "database_specific");
        let v4 = SeverityScore {
            kind: "CVSS_V4".into(),
            score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N".into(),
        };
        // a 4.0 vector is scored, before a label
        let s = severity_of(
            std::slice::from_ref(&v4),
            Some(&serde_json::json!({"severity": "CRITICAL"})),
        )
        .unwrap();
        assert_eq!((s.level, s.score), (CvssLevel::Medium, Some(6.9)));
        assert_eq!(s.source, "CVSS_V4");
        assert_eq!(s.vector.as_deref(), Some(v4.score.as_str()));
        // a 3.x vector first
        let v3 = SeverityScore {
            kind: "CVSS_V3".into(),
            score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
        };
        assert_eq!(severity_of(&[v4, v3], None).unwrap().score, Some(9.8));
        let bad = SeverityScore {
            kind: "CVSS_V4".into(),
            score: "CVSS:4.0/AV:N".into(),
        };
        assert_eq!(severity_of(&[bad], None), None);
    }

    #[test]
    fn cvss4_scores() {
        // scores as FIRST's CVSS v4.0 calculator gives them
        let cases = [
            // the specification's highest vector; Log4Shell-like
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3),
            // Heartbleed-like: confidentiality only
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 6.9),
            ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.3),
            ("CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 2.0),
            ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L", 1.0),
            ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H", 6.4),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 8.1),
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/CR:L/IR:M/AR:L", 7.9),
            ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:N/MSI:S", 10.0),
            // no impact at all
            ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0),
        ];
        for (v, want) in cases {
            assert_eq!(cvss4_score(v).unwrap(), want, "{v}");
        }
        assert!(cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N").is_err());
        assert!(
            cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q")
                .is_err()
        );
        assert!(cvss4_score(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:X"
        )
        .is_err());
        assert!(cvss4_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
    }

    #[test]
    fn cvss4_every_base_vector_scores_within_range() {
        let vals: [(&str, &[&str]); 11] = [
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
        let total: usize = vals.iter().map(|(_, v)| v.len()).product();
        let mut seen = 0;
        for mut i in 0..total {
            let mut v = String::from("CVSS:4.0");
            for (k, vs) in vals {
                v.push_str(&format!("/{k}:{}", vs[i % vs.len()]));
                i /= vs.len();
            }
            let s = cvss4_score(&v).unwrap();
            assert!((0.0..=10.0).contains(&s), "{v}: {s}");
            seen += 1;
        }
        assert_eq!(seen, 104_976);
    }
}
