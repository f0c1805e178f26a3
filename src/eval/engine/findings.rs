//! Findings in the order a reader acts on them: most severe first, then the largest
//! value at stake, then rule order; one finding per row and topic; repeats once.

use std::collections::HashSet;
use std::sync::Arc;

use crate::lang::ast::BinaryOp;
use crate::lang::plan::FlagReason;
use crate::value::Value;

use super::{FlagHit, display_value};

/// Orders the hits (given in rule order) by severity, then value at stake (largest
/// first; findings without one after those with one), then rule order. Of the
/// findings that share a row and a topic only the first in that order is kept (it
/// counts the others in `superseded`), and a finding with the same table, subject and
/// message as an earlier one is dropped.
pub(super) fn rank(hits: Vec<FlagHit>) -> Vec<FlagHit> {
    let mut ordered: Vec<(usize, FlagHit)> = hits.into_iter().enumerate().collect();
    ordered.sort_by(|(ia, a), (ib, b)| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| match (a.stake, b.stake) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| ia.cmp(ib))
    });
    let mut kept: Vec<FlagHit> = Vec::with_capacity(ordered.len());
    let mut topics: HashSet<(Arc<str>, usize, Arc<str>)> = HashSet::new();
    let mut seen: HashSet<(Arc<str>, String, String)> = HashSet::new();
    for (_, hit) in ordered {
        if let Some(topic) = &hit.topic {
            let key = (Arc::clone(&hit.table), hit.row, Arc::clone(topic));
            if topics.contains(&key) {
                if let Some(first) = kept.iter_mut().find(|k| {
                    k.table == hit.table && k.row == hit.row && k.topic.as_ref() == Some(topic)
                }) {
                    first.superseded += 1;
                }
                continue;
            }
            topics.insert(key);
        }
        if !seen.insert((
            Arc::clone(&hit.table),
            hit.subject.clone(),
            hit.message.clone(),
        )) {
            continue;
        }
        kept.push(hit);
    }
    kept
}

/// One comparison with the row's values: `roi -21.0% < 0`, or
/// `won + lost 84 >= min_deals_for_flags 20`; a literal side is shown once.
pub(super) fn fired_text(left: &Value, right: &Value, reason: &FlagReason) -> String {
    let side = |text: &str, value: &Value| {
        let shown = display_value(value, reason.format.as_deref());
        if is_literal(text) {
            text.to_string()
        } else {
            format!("{text} {shown}")
        }
    };
    let op = match reason.op {
        BinaryOp::Ge => "≥",
        BinaryOp::Le => "≤",
        BinaryOp::Ne => "≠",
        other => other.symbol(),
    };
    format!(
        "{} {op} {}",
        side(&reason.left_text, left),
        side(&reason.right_text, right)
    )
}

/// A number or percentage as written (`0`, `25%`, `1.5`): its value is its text.
fn is_literal(text: &str) -> bool {
    let t = text.trim_start_matches('-').trim_end_matches('%');
    !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ast::Severity;

    fn hit(row: usize, severity: Severity, stake: Option<f64>, topic: Option<&str>) -> FlagHit {
        FlagHit {
            table: Arc::from("Channels"),
            row,
            subject: format!("row {row}"),
            message: format!("{severity:?} {stake:?} {topic:?}"),
            flag: 0,
            severity,
            stake,
            fired: String::new(),
            topic: topic.map(Arc::from),
            superseded: 0,
        }
    }

    #[test]
    fn severity_then_stake_then_rule_order() {
        let ranked = rank(vec![
            hit(0, Severity::Warning, None, None),
            hit(1, Severity::Warning, Some(10.0), None),
            hit(2, Severity::Critical, Some(1.0), None),
            hit(3, Severity::Warning, Some(50.0), None),
            hit(4, Severity::Info, Some(1e9), None),
        ]);
        let rows: Vec<usize> = ranked.iter().map(|h| h.row).collect();
        assert_eq!(rows, [2, 3, 1, 0, 4]);
    }

    #[test]
    fn one_finding_per_row_and_topic() {
        let ranked = rank(vec![
            hit(0, Severity::Opportunity, Some(5.0), Some("verdict")),
            hit(0, Severity::Critical, Some(1.0), Some("verdict")),
            hit(1, Severity::Opportunity, Some(5.0), Some("verdict")),
            hit(0, Severity::Warning, Some(1.0), None),
        ]);
        let kept: Vec<(usize, Severity, usize)> = ranked
            .iter()
            .map(|h| (h.row, h.severity, h.superseded))
            .collect();
        assert_eq!(
            kept,
            [
                (0, Severity::Critical, 1),
                (0, Severity::Warning, 0),
                (1, Severity::Opportunity, 0)
            ]
        );
    }

    #[test]
    fn the_same_message_on_the_same_subject_is_listed_once() {
        let mut a = hit(0, Severity::Warning, None, None);
        let mut b = hit(1, Severity::Warning, None, None);
        a.message = "same".into();
        b.message = "same".into();
        b.subject = a.subject.clone();
        assert_eq!(rank(vec![a, b]).len(), 1);
    }
}
