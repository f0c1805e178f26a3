//! What went wrong in the data, gathered once for the console summary and the Data
//! Quality sheet: cells the readers repaired or could not read, renames that matched
//! no header, lookups that missed, rows no group reached, suspicious group keys. Each
//! issue is one row of the sheet's "Problems in the data" table, and the console line
//! names that row.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::quality::{EntryKind, QualityEntry, QualityLog};
use crate::eval::engine::{DataAudit, KeyProblem, LookupMiss, SuspiciousKey, UnreachedRows};
use crate::report::text::plural;

/// Whether an issue makes the results doubtful (`--strict` fails on it) or only says
/// what was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Problem,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Problem => "problem",
            Severity::Note => "note",
        }
    }
}

/// One thing worth knowing about the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataIssue {
    pub severity: Severity,
    /// What happened, in a few words: "unreadable cells", "lookup missed" …
    pub kind: &'static str,
    /// Where: a column (`Pipeline.close_value`), a rule (`Pipeline.list_price`) or a
    /// grouped table (`Channels`).
    pub place: String,
    /// The value(s) involved, as a formula would write them.
    pub value: String,
    /// Cells or rows involved.
    pub count: usize,
    /// The whole story in one sentence, for the console and the sheet.
    pub message: String,
}

/// Everything worth knowing about one run's data, problems first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataIssues {
    pub issues: Vec<DataIssue>,
}

impl DataIssues {
    /// The readers' log and the evaluation's audit as issues: problems first, then
    /// notes, each in the order found (tables, then rules in plan order).
    pub fn gather(audit: &DataAudit, quality: &QualityLog) -> DataIssues {
        let mut issues = from_quality_log(quality);
        issues.extend(
            audit
                .lookup_misses
                .iter()
                .filter(|m| !m.fallback)
                .map(lookup_miss),
        );
        issues.extend(expected_misses(&audit.lookup_misses));
        issues.extend(audit.unreached.iter().map(unreached));
        issues.extend(audit.suspicious_keys.iter().map(suspicious_key));
        // A stable sort keeps the order found within each severity.
        issues.sort_by_key(|i| i.severity);
        DataIssues { issues }
    }

    /// Issues that make results doubtful.
    pub fn problems(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Problem)
            .count()
    }

    pub fn notes(&self) -> usize {
        self.issues.len() - self.problems()
    }

    pub fn is_empty(&self) -> bool {
        self.issues.is_empty()
    }
}

/// Table, column and what was done: the entries one issue stands for.
type EntryGroupKey = (String, String, EntryKind);

/// The quality log's entries, grouped by table, column and what was done.
fn from_quality_log(quality: &QualityLog) -> Vec<DataIssue> {
    let mut groups: Vec<(EntryGroupKey, Vec<&QualityEntry>)> = Vec::new();
    for entry in &quality.entries {
        let key = (entry.table.clone(), entry.column.clone(), entry.kind());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(entry),
            None => groups.push((key, vec![entry])),
        }
    }
    groups
        .into_iter()
        .filter_map(|((table, column, kind), entries)| {
            let first = entries.first()?;
            let place = format!("{table}.{column}");
            let count = match kind {
                // "12 more cells in this column not listed (see counts)"
                EntryKind::NotListed => entries
                    .iter()
                    .filter_map(|e| e.action.split(' ').next()?.parse::<usize>().ok())
                    .sum(),
                _ => entries.len(),
            };
            let at = format!("'{}' at {}", first.raw, first.cell);
            let cells = plural(count, "cell");
            let (severity, what, message) = match kind {
                EntryKind::KeptAsError if first.raw.starts_with('#') => (
                    Severity::Problem,
                    "error values in the export",
                    format!("{cells} hold an error value in the export, kept as is (first: {at})"),
                ),
                EntryKind::KeptAsError => (
                    Severity::Problem,
                    "unreadable cells",
                    format!(
                        "{cells} could not be read as {}, kept as #VALUE! (first: {at})",
                        first.expected
                    ),
                ),
                EntryKind::KeptBlank => (
                    Severity::Problem,
                    "blank required cells",
                    format!("{cells} are blank where a value is required (first at {})", first.cell),
                ),
                EntryKind::RowRejected => (
                    Severity::Problem,
                    "rows rejected",
                    format!(
                        "{} rejected for cells that are not {} (first: {at})",
                        plural(count, "row"),
                        first.expected
                    ),
                ),
                EntryKind::NotListed => (
                    Severity::Problem,
                    "more cells",
                    format!("{cells} more needed care, counted but not listed one by one"),
                ),
                EntryKind::RenameUnused => (
                    Severity::Problem,
                    "rename not applied",
                    format!(
                        "rename \"{}\" = \"{column}\" does nothing: {} has no header '{}'{}",
                        first.raw,
                        first.file.display(),
                        first.raw,
                        // " (did you mean …)" when a header is close.
                        first.action.split_once("in this sheet").map_or("", |(_, hint)| hint)
                    ),
                ),
                EntryKind::Repaired if first.action.starts_with("repaired: trimmed") => (
                    Severity::Note,
                    "spaces trimmed from keys",
                    format!(
                        "{cells} of this key column had spaces around the text, trimmed (first: {at})"
                    ),
                ),
                EntryKind::Repaired => (
                    Severity::Note,
                    "repaired cells",
                    format!(
                        "{cells} repaired (first at {}: {})",
                        first.cell,
                        first.action.trim_start_matches("repaired: ")
                    ),
                ),
                EntryKind::Filled => (
                    Severity::Note,
                    "filled column",
                    format!(
                        "not in the export: every row is \"{}\" (the scenario's `fill`)",
                        first.raw
                    ),
                ),
                EntryKind::RowNumbered => (
                    Severity::Note,
                    "numbered column",
                    "not in the export: row n of the table is \"n\" (the scenario's `row_numbers`), so its rows stay apart".to_string(),
                ),
                EntryKind::DateLayout => (
                    Severity::Note,
                    "date layout",
                    format!(
                        "dates read as {} ('{}' at {})",
                        first
                            .action
                            .split(' ')
                            .nth(2)
                            .unwrap_or("day/month/year"),
                        first.raw,
                        first.cell
                    ),
                ),
            };
            Some(DataIssue {
                severity,
                kind: what,
                place,
                value: first.raw.clone(),
                count,
                message,
            })
        })
        .collect()
}

/// Misses a rule answers with its own if_not_found value, one note per rule and list:
/// the rule expects them (a contract without a renewal row has ended), so their values
/// one by one would bury the problems.
fn expected_misses(misses: &[LookupMiss]) -> Vec<DataIssue> {
    let mut sites: Vec<(&LookupMiss, usize, usize)> = Vec::new();
    for miss in misses.iter().filter(|m| m.fallback) {
        match sites
            .iter_mut()
            .find(|(first, _, _)| first.rule == miss.rule && first.list == miss.list)
        {
            Some((_, rows, values)) => {
                *rows += miss.rows;
                *values += 1;
            }
            None => sites.push((miss, miss.rows, 1)),
        }
    }
    sites
        .into_iter()
        .map(|(first, rows, values)| DataIssue {
            severity: Severity::Note,
            kind: "lookup fell back",
            place: first.rule.clone(),
            value: first.value.clone(),
            count: rows,
            message: format!(
                "{} ({} distinct) not found in {} ({}); the rule's if_not_found value was used (first: {})",
                plural(rows, "row"),
                values,
                first.list,
                first.function,
                first.value
            ),
        })
        .collect()
}

fn lookup_miss(miss: &LookupMiss) -> DataIssue {
    let rows = plural(miss.rows, "row");
    let mut message = format!(
        "{}: {rows} not found in {} ({})",
        miss.value, miss.list, miss.function
    );
    if let (Some(table), Some(first)) = (&miss.table, miss.first_row) {
        message.push_str(&format!(", first at {table} row {}", first + 1));
    }
    DataIssue {
        severity: Severity::Problem,
        kind: "lookup missed",
        place: miss.rule.clone(),
        value: miss.value.clone(),
        count: miss.rows,
        message,
    }
}

/// `"Events": 12 rows, "Web": 3 rows`.
fn values_text(values: &[(String, usize)]) -> String {
    values
        .iter()
        .map(|(v, n)| format!("{v}: {}", plural(*n, "row")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unreached(rows: &UnreachedRows) -> DataIssue {
    let mut shown = values_text(&rows.values);
    if rows.distinct > rows.values.len() {
        shown.push_str(&format!(
            ", and {} more values",
            rows.distinct - rows.values.len()
        ));
    }
    DataIssue {
        severity: Severity::Problem,
        kind: "rows in no group",
        place: rows.table.clone(),
        value: rows
            .values
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        count: rows.rows,
        message: format!(
            "{} of {} match no {} group by {} ({shown}); {} in no {} total",
            plural(rows.rows, "row"),
            rows.table,
            rows.grouped,
            rows.keys.join(", "),
            if rows.rows == 1 { "it is" } else { "they are" },
            rows.grouped
        ),
    }
}

fn suspicious_key(key: &SuspiciousKey) -> DataIssue {
    let grouped = key.grouped.join(", ");
    let rows = format!("{} of {}", plural(key.rows, "row"), key.table);
    let (severity, kind, message) = match key.problem {
        KeyProblem::Blank => (
            Severity::Problem,
            "blank group key",
            format!(
                "{rows} {} a blank {} and {} in {grouped}",
                if key.rows == 1 { "has" } else { "have" },
                key.column,
                own_group(key.rows)
            ),
        ),
        KeyProblem::Error => (
            Severity::Problem,
            "error as group key",
            format!(
                "{rows} {} an error as {} ({}) and {} in {grouped}",
                if key.rows == 1 { "has" } else { "have" },
                key.column,
                values_text(&key.values),
                own_group(key.rows)
            ),
        ),
        KeyProblem::Spaces => (
            Severity::Problem,
            "spaces in group key",
            format!(
                "{} values with spaces around them form groups of their own in {grouped}: {}",
                key.column,
                values_text(&key.values)
            ),
        ),
        KeyProblem::CaseVariants => (
            Severity::Note,
            "key spelled in two cases",
            format!(
                "{} are one {} group in {grouped} (text keys ignore case, as in Excel)",
                values_text(&key.values),
                key.column
            ),
        ),
    };
    DataIssue {
        severity,
        kind,
        place: format!("{}.{}", key.table, key.column),
        value: key
            .values
            .iter()
            .map(|(v, _)| v.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        count: key.rows,
        message,
    }
}

fn own_group(rows: usize) -> &'static str {
    if rows == 1 {
        "forms a group of its own"
    } else {
        "form a group of their own"
    }
}

/// Issues per severity, for a one-line count: "3 problems, 2 notes".
pub fn counts_text(issues: &DataIssues) -> String {
    let mut by: BTreeMap<Severity, usize> = BTreeMap::new();
    for issue in &issues.issues {
        *by.entry(issue.severity).or_default() += 1;
    }
    by.into_iter()
        .map(|(s, n)| plural(n, s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
