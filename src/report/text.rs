//! Words for people, shared by every sheet: rule names as labels (`win_rate` → `Win
//! rate`), the tool's name with its version, counts with their noun.

/// `win_rate` → `Win rate`, `ltv_to_cac` → `LTV to CAC`.
pub fn humanize(name: &str) -> String {
    const ACRONYMS: &[&str] = &[
        "roi", "ltv", "cac", "cpa", "cpl", "kpi", "mdf", "arr", "mrr", "yoy", "qoq", "mql", "sql",
        "sal", "nps",
    ];
    let words: Vec<String> = name
        .split('_')
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, word)| {
            if ACRONYMS.contains(&word.to_lowercase().as_str()) {
                word.to_uppercase()
            } else if i == 0 {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            } else {
                word.to_string()
            }
        })
        .collect();
    words.join(" ")
}

/// `chanmix 0.1.0`, whether the version was given with the tool's name or without.
pub fn tool_name(version: &str) -> String {
    if version.starts_with("chanmix") {
        version.to_string()
    } else {
        format!("chanmix {version}")
    }
}

/// `1 error`, `3 warnings`: a count with its noun, plural when it is not one.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_like_labels() {
        assert_eq!(humanize("win_rate"), "Win rate");
        assert_eq!(humanize("ltv_to_cac"), "LTV to CAC");
        assert_eq!(humanize("portfolio_roi"), "Portfolio ROI");
        assert_eq!(humanize("total"), "Total");
        assert_eq!(humanize("mql"), "MQL");
    }

    #[test]
    fn counts_carry_their_noun() {
        assert_eq!(plural(1, "flag"), "1 flag");
        assert_eq!(plural(0, "error"), "0 errors");
        assert_eq!(plural(14, "flag"), "14 flags");
    }
}
