//! The API server's limits on warnings: an item over 256 characters may be truncated and,
//! once all warnings of a request pass 4,096 characters, the rest are dropped (Kubernetes
//! "Admission webhook warnings"). The webhook keeps within them itself, so what it says is
//! what the client sees: warnings are kept whole while they fit; past the total, each is cut
//! to 256 characters, and those that still do not fit are counted in a last line.

/// Characters of one warning the API server always keeps.
pub const MAX_ITEM_CHARS: usize = 256;
/// Characters of all warnings of one request.
pub const MAX_TOTAL_CHARS: usize = 4096;
/// Warnings per response (the API server has no count limit, a client reading them does).
pub const MAX_COUNT: usize = 64;

/// Warnings within the API server's limits.
pub fn bound(warnings: Vec<String>) -> Vec<String> {
    let mut warnings: Vec<String> = warnings.into_iter().filter(|w| !w.is_empty()).collect();
    warnings.dedup();
    let chars = |w: &String| w.chars().count();
    let total: usize = warnings.iter().map(chars).sum();
    if total <= MAX_TOTAL_CHARS && warnings.len() <= MAX_COUNT {
        return warnings;
    }
    let mut out = Vec::new();
    let mut used = 0;
    let mut dropped = 0;
    // room for the last line that counts what was left out
    let budget = MAX_TOTAL_CHARS - 64;
    for w in warnings {
        let w = truncate(w, MAX_ITEM_CHARS);
        let n = chars(&w);
        if dropped == 0 && used + n <= budget && out.len() < MAX_COUNT - 1 {
            used += n;
            out.push(w);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        out.push(format!(
            "kubeward: {dropped} more warnings not shown (API server limit)"
        ));
    }
    out
}

/// The first `max` characters, the last of them `…` when cut.
pub fn truncate(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some(_) => {
            let cut = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            let mut t = s[..cut].to_string();
            t.push('…');
            t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_warnings_are_kept_whole() {
        let w = vec!["a".repeat(1000), "b".repeat(1000)];
        assert_eq!(bound(w.clone()), w);
    }

    #[test]
    fn long_lists_fit_the_api_server_limits() {
        let w: Vec<String> = (0..40)
            .map(|i| format!("{i}:{}", "é".repeat(500)))
            .collect();
        let out = bound(w);
        let total: usize = out.iter().map(|w| w.chars().count()).sum();
        assert!(total <= MAX_TOTAL_CHARS, "{total}");
        assert!(out.iter().all(|w| w.chars().count() <= MAX_ITEM_CHARS));
        assert!(out[0].starts_with("0:é") && out[0].ends_with('…'));
        assert!(
            out.last().unwrap().contains("more warnings not shown"),
            "{out:?}"
        );
        let many: Vec<String> = (0..500).map(|i| format!("w{i}")).collect();
        let out = bound(many);
        assert_eq!(out.len(), MAX_COUNT);
        assert_eq!(
            out.last().unwrap(),
            "kubeward: 437 more warnings not shown (API server limit)"
        );
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("ééé".into(), 2), "é…");
        assert_eq!(truncate("ab".into(), 2), "ab");
    }
}
