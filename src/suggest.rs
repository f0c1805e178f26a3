//! "Did you mean …?": the closest known name to a misspelt one, and the one way every
//! message shows it.

use std::fmt;

/// A spelling the user probably meant. Every message shows it the same way:
/// ``did you mean `revenue`?``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    spelling: String,
}

impl Suggestion {
    /// The candidate closest to `name`, if it is close enough to be a typo.
    pub fn closest<'a>(
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<Suggestion> {
        did_you_mean(name, candidates).map(|best| Suggestion {
            spelling: best.to_string(),
        })
    }

    /// The suggestion as it must be written, e.g. `@` before a format name or `?`
    /// after an optional column type.
    pub fn written(self, prefix: &str, suffix: &str) -> Suggestion {
        Suggestion {
            spelling: format!("{prefix}{}{suffix}", self.spelling),
        }
    }

    /// The suggested spelling alone.
    pub fn spelling(&self) -> &str {
        &self.spelling
    }
}

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "did you mean `{}`?", self.spelling)
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be
/// a plausible typo (case differences count as small).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let length = name.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let candidate_length = candidate.chars().count();
        let limit = (length.max(candidate_length) / 3).max(1);
        // The distance is at least the difference in length: most candidates stop here.
        if length.abs_diff(candidate_length) > limit {
            continue;
        }
        let distance = edit_distance(&lower, &candidate.to_lowercase());
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance over characters where a swap of two neighbours counts as one edit
/// (optimal string alignment), so `wno` is one edit from `won`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["revenue", "won", "win_rate"];
        assert_eq!(did_you_mean("revnue", names), Some("revenue"));
        assert_eq!(did_you_mean("WON", names), Some("won"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
        assert_eq!(did_you_mean("wno", names), Some("won"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
