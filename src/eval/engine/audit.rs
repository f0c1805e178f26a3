//! What a run noticed about its data beyond the values it computed: lookups that found
//! nothing (which value, in which list, how many rows), rows of other tables that no
//! group reached, and group keys that look like slips (blank, stray spaces, an error,
//! the same word spelled in two cases). The console summary and the Data Quality sheet
//! report them; nothing here changes a value except that a lookup's miss carries its
//! origin.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::source::Span;
use crate::eval::grouping::NO_GROUP;
use crate::eval::vector::Operand;
use crate::functions::FunctionSpec;
use crate::functions::args::{is_not_found, not_found, value_error};
use crate::lang::plan::*;
use crate::table::intern::FastBuildHasher;
use crate::value::datetime::ymd_from_serial;
use crate::value::{ErrorKind, ErrorOrigin, ExcelError, Value, ValueType, format_general};

use super::{EvaluatedArg, Evaluation, Scope, Values};

/// At most this many distinct values are kept per finding (the most frequent).
const SHOWN_VALUES: usize = 10;

/// Everything the audit found in one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataAudit {
    pub lookup_misses: Vec<LookupMiss>,
    pub unreached: Vec<UnreachedRows>,
    pub suspicious_keys: Vec<SuspiciousKey>,
}

impl DataAudit {
    pub fn is_empty(&self) -> bool {
        self.lookup_misses.is_empty()
            && self.unreached.is_empty()
            && self.suspicious_keys.is_empty()
    }
}

/// One value a lookup did not find, at one place in the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupMiss {
    /// The definition whose formula holds the lookup, e.g. `Pipeline.list_price`.
    pub rule: String,
    /// XLOOKUP, MATCH, VLOOKUP …
    pub function: String,
    /// The list searched, e.g. `Products.product`.
    pub list: String,
    /// The table whose rows were looked up (`None` for a single lookup).
    pub table: Option<String>,
    /// The value as a formula would write it: `"GTXPro"`, `42`, `(blank)`.
    pub value: String,
    /// Rows where it missed.
    pub rows: usize,
    /// The first such row of `table`, zero-based.
    pub first_row: Option<usize>,
    /// XLOOKUP's `if_not_found` answered instead of `#N/A`.
    pub fallback: bool,
}

/// Rows of a table matched to a grouped table by its keys that found no group: their
/// values are in no group's aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnreachedRows {
    /// The grouped table, e.g. `Channels`.
    pub grouped: String,
    /// The table whose rows went unmatched, e.g. `Costs`.
    pub table: String,
    /// The key columns matched on.
    pub keys: Vec<String>,
    pub rows: usize,
    /// Their key values (joined with " / " for several keys) and rows, most frequent
    /// first, at most ten.
    pub values: Vec<(String, usize)>,
    /// How many distinct key values went unmatched.
    pub distinct: usize,
}

/// What looks wrong with a group key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyProblem {
    /// Rows whose key is blank form a group of their own.
    Blank,
    /// Rows whose key is an error value form a group of their own.
    Error,
    /// Keys with spaces before or after the text form groups apart from the same
    /// text without them.
    Spaces,
    /// One key spelled in different cases: grouped together (as Excel compares text),
    /// but likely a typing slip in the export.
    CaseVariants,
}

/// A group key column whose values look like slips.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuspiciousKey {
    /// The table grouped, e.g. `Pipeline`.
    pub table: String,
    /// Its key column, e.g. `channel`.
    pub column: String,
    /// The grouped tables built on that key.
    pub grouped: Vec<String>,
    pub problem: KeyProblem,
    /// The values involved (as shown in formulas) with their rows.
    pub values: Vec<(String, usize)>,
    /// Rows involved.
    pub rows: usize,
}

/// A lookup call being evaluated: the function, its arguments as compiled, which one
/// it searches, and where it is written.
pub(super) struct LookupSite<'a> {
    pub function: &'a FunctionSpec,
    pub args: &'a [ArgNode],
    pub searched: usize,
    pub span: Span,
}

/// Misses recorded at one call site, evaluated over one table's rows in one step.
#[derive(Debug, Clone)]
pub(super) struct SiteMisses {
    rule: Arc<str>,
    function: String,
    list: String,
    table: Option<TableId>,
    fallback: bool,
    /// Per value (as shown): rows and first row.
    values: Vec<(String, usize, Option<usize>)>,
}

/// Where one lookup call was evaluated: its place in the rules, the rows it ran over
/// and the step (a named list or LET binding inlined in two rules is two sites).
pub(super) type SiteKey = (Span, Option<TableId>, Option<Step>);

/// A value as a formula would write it, for messages.
pub fn shown_value(value: &Value) -> String {
    match value {
        Value::Blank => "(blank)".to_string(),
        Value::Text(t) => format!("\"{}\"", t.replace('"', "\"\"")),
        Value::Number(n) => format_general(*n),
        Value::Date(serial) => match ymd_from_serial(*serial) {
            Some((y, m, d)) => format!("{y:04}-{m:02}-{d:02}"),
            None => format_general(*serial),
        },
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Error(e) => e.kind.as_str().to_string(),
    }
}

/// The value an evaluated argument has at `row`; `None` for a list.
fn arg_at<'a>(arg: &'a EvaluatedArg<'_>, row: usize) -> Option<&'a Value> {
    static BLANK: Value = Value::Blank;
    match arg {
        EvaluatedArg::One(v) => Some(v),
        EvaluatedArg::PerRow(values) => Some(values.get(row).unwrap_or(&BLANK)),
        EvaluatedArg::PerRowCoded { codes, dictionary } => Some(
            codes
                .get(row)
                .and_then(|c| dictionary.get(*c as usize))
                .unwrap_or(&BLANK),
        ),
        EvaluatedArg::List(_) | EvaluatedArg::PerRowList { .. } => None,
    }
}

impl Evaluation<'_> {
    /// Calls a lookup and gives each miss its origin: the value that missed and the
    /// list it was looked up in (`"GTXPro" not found in Products.product`), recorded
    /// for the run's summary. XLOOKUP's `if_not_found` is set aside while the lookup
    /// runs, so a miss is counted even where the formula supplies an answer for it.
    pub(super) fn call_lookup<'s>(
        &self,
        site: &LookupSite<'_>,
        mut evaluated: Vec<EvaluatedArg<'s>>,
        scope: Scope,
    ) -> Values<'s> {
        let fallback = site
            .function
            .fallback_argument()
            .and_then(|i| evaluated.get_mut(i))
            .map(|slot| std::mem::replace(slot, EvaluatedArg::One(not_found())));
        let result = self.call_evaluated(site.function, &mut evaluated, scope);
        let missed = match &result {
            Values::One(v) => is_not_found(v),
            Values::Many(values) => values.iter().any(is_not_found),
            Values::Coded { dictionary, .. } => dictionary.iter().any(is_not_found),
        };
        if !missed {
            return result;
        }
        let needle = evaluated.first();
        let shown_at = |row: usize| {
            needle
                .and_then(|n| arg_at(n, row))
                .map_or_else(|| "(a list)".to_string(), shown_value)
        };
        let one = matches!(result, Values::One(_));
        let mut values = result.into_vec(if one { 1 } else { scope.rows });
        // Per value missed: rows and first row, in order of first appearance.
        let mut tally: Vec<(String, usize, Option<usize>)> = Vec::new();
        let mut position: HashMap<String, usize, FastBuildHasher> = HashMap::default();
        // A text needle's allocation names its string while `evaluated` lives, so each
        // distinct interned needle is shown (formatted) once, not once per row.
        let mut by_address: HashMap<usize, usize, FastBuildHasher> = HashMap::default();
        let mut missed_as: Vec<(usize, usize)> = Vec::new();
        // Inside an IF branch, rows that do not take it are not misses: their value
        // is never used.
        let taken = scope.taken.and_then(|slot| self.taken_rows(slot));
        let mut unused: Vec<usize> = Vec::new();
        for (row, value) in values.iter().enumerate() {
            if !is_not_found(value) {
                continue;
            }
            if !one && taken.as_ref().is_some_and(|t| t.get(row) == Some(&false)) {
                unused.push(row);
                continue;
            }
            let address = match needle.and_then(|n| arg_at(n, row)) {
                Some(Value::Text(t)) => Some(t.as_ptr() as usize),
                _ => None,
            };
            let known = address.and_then(|a| by_address.get(&a).copied());
            let index = match known {
                Some(index) => index,
                None => {
                    let shown = shown_at(row);
                    let index = *position.entry(shown.clone()).or_insert_with(|| {
                        tally.push((shown, 0, (!one).then_some(row)));
                        tally.len() - 1
                    });
                    if let Some(address) = address {
                        by_address.insert(address, index);
                    }
                    index
                }
            };
            if let Some(entry) = tally.get_mut(index) {
                entry.1 += 1;
            }
            missed_as.push((row, index));
        }
        let list = self.describe_list(site.args.get(site.searched));
        let rule: Arc<str> = Arc::from(
            scope
                .step
                .map_or_else(|| "formula".to_string(), |s| self.plan.step_name(s))
                .as_str(),
        );
        // The step's own rows are named by the origin's row; rows of a list inside an
        // aggregate are named in the reason (the aggregate keeps only the first error).
        let own_rows = !one && scope.table.is_some() && self.step_table(scope.step) == scope.table;
        let table_name = scope
            .table
            .and_then(|t| self.plan.tables.get(t))
            .map(|t| Arc::clone(&t.name));
        // The reasons go into the error values of misses without a fallback only.
        let reasons: Vec<Arc<str>> = tally
            .iter()
            .take(if fallback.is_some() { 0 } else { tally.len() })
            .map(|(shown, rows, first)| {
                let mut reason = format!("{shown} not found in {list}");
                if let (false, Some(table), Some(first)) = (own_rows, &table_name, first) {
                    reason.push_str(&format!(" ({table} row {}", first + 1));
                    if *rows > 1 {
                        reason.push_str(&format!(", and {} more", rows - 1));
                    }
                    reason.push(')');
                }
                Arc::from(reason.as_str())
            })
            .collect();
        for (row, index) in missed_as {
            let replacement = match &fallback {
                Some(arg) => arg_at(arg, row).cloned().unwrap_or_else(value_error),
                None => Value::Error(Arc::new(ExcelError {
                    kind: ErrorKind::NA,
                    origin: Some(ErrorOrigin {
                        rule: Arc::clone(&rule),
                        row: own_rows.then_some(row),
                        reason: reasons.get(index).cloned().unwrap_or_default(),
                    }),
                })),
            };
            if let Some(slot) = values.get_mut(row) {
                *slot = replacement;
            }
        }
        for row in unused {
            let replacement = match &fallback {
                Some(arg) => arg_at(arg, row).cloned().unwrap_or_else(value_error),
                None => Value::error(ErrorKind::NA),
            };
            if let Some(slot) = values.get_mut(row) {
                *slot = replacement;
            }
        }
        if tally.is_empty() {
            return Values::Many(std::borrow::Cow::Owned(values));
        }
        let record = SiteMisses {
            rule,
            function: site.function.name.to_string(),
            list,
            table: if one { None } else { scope.table },
            fallback: fallback.is_some(),
            values: tally,
        };
        if let Ok(mut misses) = self.misses.lock() {
            misses.insert((site.span, scope.table, scope.step), record);
        }
        if one {
            Values::One(values.pop().unwrap_or_default())
        } else {
            Values::Many(std::borrow::Cow::Owned(values))
        }
    }

    /// The table whose rows a step's formulas are evaluated over.
    fn step_table(&self, step: Option<Step>) -> Option<TableId> {
        match step? {
            Step::Column(table, _) => Some(table),
            Step::Flag(id) => self.plan.flags.get(id).map(|f| f.table),
            Step::Group(table) => match self.plan.tables.get(table)?.kind {
                TableKind::Grouped { source, .. } => Some(source),
                _ => None,
            },
            Step::Analysis(table) => match &self.plan.tables.get(table)?.kind {
                TableKind::Analysis(analysis) => Some(analysis.source),
                _ => None,
            },
            Step::Scalar(_) => None,
        }
    }

    /// A lookup's searched list as the user wrote it: `Products.product`.
    fn describe_list(&self, arg: Option<&ArgNode>) -> String {
        let Some(ArgNode::List(list)) = arg else {
            return "a single value".to_string();
        };
        let table = match list.domain {
            ListDomain::Table(t) | ListDomain::Group { table: t } => self.plan.tables.get(t),
            ListDomain::Array => return "an array constant".to_string(),
        };
        let Some(table) = table else {
            return "a list".to_string();
        };
        let mut text = match &list.expr {
            Node::Column(c) => match table.columns.get(*c) {
                Some(column) => format!("{}.{}", table.name, column.name),
                None => format!("a list of {}", table.name),
            },
            _ => format!("a formula over {}'s rows", table.name),
        };
        if list.filter.is_some() {
            text.push_str(" (filtered)");
        }
        text
    }

    /// What the audit found, once every step has run.
    pub(super) fn audit(&self) -> DataAudit {
        DataAudit {
            lookup_misses: self.lookup_misses(),
            unreached: self.unreached_rows(),
            suspicious_keys: self.suspicious_keys(),
        }
    }

    /// After grouped table `table` was put in its `order by`: the first rows of the
    /// misses its order's lookups recorded, in the new numbering.
    pub(super) fn renumber_misses(&mut self, table: TableId, new_id: &[u32]) {
        let misses = match self.misses.get_mut() {
            Ok(misses) => misses,
            Err(poisoned) => poisoned.into_inner(),
        };
        for ((_, site_table, step), site) in misses.iter_mut() {
            if *site_table == Some(table) && *step == Some(Step::Group(table)) {
                for (_, _, first) in site.values.iter_mut() {
                    *first = first.and_then(|r| new_id.get(r).map(|id| *id as usize));
                }
            }
        }
    }

    /// Every recorded miss, by rule (in plan order), then most rows first.
    fn lookup_misses(&self) -> Vec<LookupMiss> {
        let Ok(misses) = self.misses.lock() else {
            return Vec::new();
        };
        // A column written into its table's `order by` runs its lookups twice: the
        // column's own site is the one reported.
        let reported_by_column = |key: &SiteKey| {
            matches!(key.2, Some(Step::Group(t)) if key.1 == Some(t))
                && misses.keys().any(|other| {
                    other.0 == key.0
                        && other.1 == key.1
                        && matches!(other.2, Some(Step::Column(..)))
                })
        };
        let mut sites: Vec<(&SiteKey, &SiteMisses)> = misses
            .iter()
            .filter(|(key, _)| !reported_by_column(key))
            .collect();
        sites.sort_by_key(|(key, _)| (key.2, key.0.file, key.0.start, key.1));
        let mut out = Vec::new();
        for (_, site) in sites {
            let mut values = site.values.clone();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let table = site
                .table
                .and_then(|t| self.plan.tables.get(t))
                .map(|t| t.name.to_string());
            out.extend(
                values
                    .into_iter()
                    .map(|(value, rows, first_row)| LookupMiss {
                        rule: site.rule.to_string(),
                        function: site.function.clone(),
                        list: site.list.clone(),
                        table: table.clone(),
                        value,
                        rows,
                        first_row,
                        fallback: site.fallback,
                    }),
            );
        }
        out
    }

    /// Rows of tables matched to grouped tables by key that reached no group.
    fn unreached_rows(&self) -> Vec<UnreachedRows> {
        let mut pairs: Vec<(&(TableId, TableId), &Vec<u32>)> = self.matched.iter().collect();
        pairs.sort_by_key(|(key, _)| **key);
        let mut out = Vec::new();
        for (&(grouped, other), ids) in pairs {
            let missing: Vec<usize> = ids
                .iter()
                .enumerate()
                .filter(|(_, g)| **g == NO_GROUP)
                .map(|(row, _)| row)
                .collect();
            // A grouped table with no rows at all (its source table is empty: an export
            // without costs) leaves every row unreached; the rules' own data checks say
            // what is missing, and listing every row here would bury them.
            let no_groups = self.tables.get(grouped).is_none_or(|t| t.rows == 0);
            if missing.is_empty() || no_groups {
                continue;
            }
            let (Some(grouped_plan), Some(other_plan)) =
                (self.plan.tables.get(grouped), self.plan.tables.get(other))
            else {
                continue;
            };
            let keys: Vec<String> = grouped_plan.columns[..grouped_plan.key_count()]
                .iter()
                .map(|k| k.name.to_string())
                .collect();
            let views: Vec<Option<Operand<'_>>> = keys
                .iter()
                .map(|k| {
                    other_plan
                        .column_id(k)
                        .and_then(|c| self.column_view(other, c))
                })
                .collect();
            // A row whose keys are all blank belongs to no group on purpose (a direct
            // deal has no partner): suspicious blank keys are reported on their own.
            let missing: Vec<usize> = missing
                .into_iter()
                .filter(|row| {
                    !views.iter().all(|v| {
                        v.is_some_and(|v| match v.get(*row) {
                            Value::Blank => true,
                            Value::Text(t) => t.trim().is_empty(),
                            _ => false,
                        })
                    })
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for row in &missing {
                let shown: Vec<String> = views
                    .iter()
                    .map(|v| v.map_or_else(|| "(none)".to_string(), |v| shown_value(v.get(*row))))
                    .collect();
                *counts.entry(shown.join(" / ")).or_default() += 1;
            }
            let distinct = counts.len();
            out.push(UnreachedRows {
                grouped: grouped_plan.name.to_string(),
                table: other_plan.name.to_string(),
                keys,
                rows: missing.len(),
                values: most_frequent(counts),
                distinct,
            });
        }
        out
    }

    /// Group keys that look like slips, per source column (grouped tables on the same
    /// column are listed together).
    fn suspicious_keys(&self) -> Vec<SuspiciousKey> {
        let mut found: Vec<SuspiciousKey> = Vec::new();
        // A coded key column's entries worth a look, found once per column however many
        // groupings use it.
        let mut entries_of: HashMap<(TableId, ColumnId), Vec<u32>, FastBuildHasher> =
            HashMap::default();
        for (id, table_plan) in self.plan.tables.iter().enumerate() {
            let TableKind::Grouped {
                source,
                ref source_keys,
                ..
            } = table_plan.kind
            else {
                continue;
            };
            let Some(grouping) = self.tables.get(id).and_then(|t| t.grouping.as_ref()) else {
                continue;
            };
            let (Some(source_plan), rows) = (
                self.plan.tables.get(source),
                self.tables.get(source).map_or(0, |t| t.rows),
            ) else {
                continue;
            };
            for &column in source_keys {
                // A number or date column without errors has nothing to find (its
                // blanks, such as an open deal's close month, are meant).
                if let Some(crate::table::column::ColumnValues::Floats { extras, .. }) =
                    self.stored(source, column)
                    && !extras.iter().any(Value::is_error)
                {
                    continue;
                }
                let Some(view) = self.column_view(source, column) else {
                    continue;
                };
                let Some(column_plan) = source_plan.columns.get(column) else {
                    continue;
                };
                let text_key = !matches!(
                    column_plan.ty,
                    ValueType::Number | ValueType::Date | ValueType::Bool
                );
                let column_name = column_plan.name.to_string();
                let entries = match view {
                    Operand::Coded { dictionary, .. } => Some(
                        &*entries_of
                            .entry((source, column))
                            .or_insert_with(|| entries_worth_a_look(dictionary)),
                    ),
                    Operand::Many(_) | Operand::One(_) => None,
                };
                for mut finding in
                    key_findings(view, entries.map(Vec::as_slice), &grouping.row_groups, rows)
                {
                    // Blanks in a number or date key (an open deal's close month,
                    // written `IF(is_closed, …, "")`) are meant.
                    if finding.problem == KeyProblem::Blank && !(text_key && holds_text(view)) {
                        continue;
                    }
                    finding.table = source_plan.name.to_string();
                    finding.column.clone_from(&column_name);
                    match found.iter_mut().find(|f| {
                        f.table == finding.table
                            && f.column == finding.column
                            && f.problem == finding.problem
                            && f.values == finding.values
                    }) {
                        Some(same) => same.grouped.push(table_plan.name.to_string()),
                        None => {
                            finding.grouped = vec![table_plan.name.to_string()];
                            found.push(finding);
                        }
                    }
                }
            }
        }
        found
    }
}

/// Whether any value of the column is text other than "" (the rules' blank).
fn holds_text(view: Operand<'_>) -> bool {
    let is_text = |v: &Value| matches!(v, Value::Text(t) if !t.is_empty());
    match view {
        Operand::One(value) => is_text(value),
        Operand::Many(values) => values.iter().any(is_text),
        Operand::Coded { dictionary, .. } => dictionary.iter().any(is_text),
    }
}

/// The most frequent values first (ties by value), at most [`SHOWN_VALUES`].
fn most_frequent(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut values: Vec<(String, usize)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(SHOWN_VALUES);
    values
}

/// The entries of a coded key column's dictionary that can take part in a finding:
/// blanks (and text of spaces only), errors, text with spaces around it, and texts
/// whose lowercase form another, different text shares. Any other entry is a text no
/// finding can name, whichever rows a grouping keeps.
fn entries_worth_a_look(dictionary: &[Value]) -> Vec<u32> {
    let mut worth = Vec::new();
    // Lowercase form → the first text with it, and whether another text has it too.
    let mut spellings: HashMap<String, (&str, bool), FastBuildHasher> = HashMap::default();
    let mut lowered: Vec<(u32, String)> = Vec::new();
    for (entry, value) in dictionary.iter().enumerate() {
        let entry = entry as u32;
        match value {
            Value::Text(t) if !t.trim().is_empty() => {
                if t.trim() != t.as_str() {
                    worth.push(entry);
                }
                let lower = if t.is_ascii() {
                    t.to_ascii_lowercase()
                } else {
                    t.to_lowercase()
                };
                let seen = spellings
                    .entry(lower.clone())
                    .or_insert((t.as_str(), false));
                if seen.0 != t.as_str() {
                    seen.1 = true;
                }
                lowered.push((entry, lower));
            }
            Value::Number(_) | Value::Date(_) | Value::Bool(_) => {}
            Value::Blank | Value::Text(_) | Value::Error(_) => worth.push(entry),
        }
    }
    worth.extend(
        lowered
            .into_iter()
            .filter(|(_, lower)| spellings.get(lower).is_some_and(|s| s.1))
            .map(|(entry, _)| entry),
    );
    worth.sort_unstable();
    worth.dedup();
    worth
}

/// Blank keys, error keys, keys with stray spaces and keys spelled in several cases
/// among the rows that belong to a group (`row_groups` not [`NO_GROUP`]). Numbers,
/// dates and booleans are never suspicious; a coded column is read once per entry, and
/// given `entries` ([`entries_worth_a_look`]) only those entries are tallied.
fn key_findings(
    view: Operand<'_>,
    entries: Option<&[u32]>,
    row_groups: &[u32],
    rows: usize,
) -> Vec<SuspiciousKey> {
    let mut tally = KeyTally::default();
    match view {
        Operand::Coded { codes, dictionary } => {
            let mut counts = vec![0usize; dictionary.len()];
            for (code, group) in codes.iter().zip(row_groups) {
                if *group != NO_GROUP
                    && let Some(n) = counts.get_mut(*code as usize)
                {
                    *n += 1;
                }
            }
            match entries {
                Some(entries) => {
                    for entry in entries {
                        let entry = *entry as usize;
                        if let (Some(value), Some(&n)) = (dictionary.get(entry), counts.get(entry))
                            && n > 0
                        {
                            tally.add(value, n);
                        }
                    }
                }
                None => {
                    for (value, n) in dictionary.iter().zip(counts) {
                        if n > 0 {
                            tally.add(value, n);
                        }
                    }
                }
            }
        }
        Operand::Many(_) | Operand::One(_) => {
            for (row, group) in row_groups.iter().enumerate().take(rows) {
                if *group != NO_GROUP {
                    tally.add(view.get(row), 1);
                }
            }
        }
    }
    tally.findings()
}

/// Key values worth a look, counted by rows.
#[derive(Default)]
struct KeyTally<'a> {
    blank: usize,
    errors: BTreeMap<String, usize>,
    texts: HashMap<&'a str, usize, FastBuildHasher>,
    /// Rows by the text's allocation first (interned keys repeat one), folded into
    /// `texts` once per allocation.
    by_address: HashMap<usize, (&'a str, usize), FastBuildHasher>,
}

impl<'a> KeyTally<'a> {
    fn add(&mut self, value: &'a Value, rows: usize) {
        match value {
            Value::Blank => self.blank += rows,
            Value::Text(t) if t.trim().is_empty() => self.blank += rows,
            Value::Text(t) => {
                self.by_address
                    .entry(t.as_ptr() as usize)
                    .or_insert((t.as_str(), 0))
                    .1 += rows;
            }
            Value::Error(e) => *self.errors.entry(e.kind.as_str().to_string()).or_default() += rows,
            Value::Number(_) | Value::Date(_) | Value::Bool(_) => {}
        }
    }

    fn findings(mut self) -> Vec<SuspiciousKey> {
        for (text, rows) in std::mem::take(&mut self.by_address).into_values() {
            *self.texts.entry(text).or_default() += rows;
        }
        let finding = |problem, values: Vec<(String, usize)>| SuspiciousKey {
            table: String::new(),
            column: String::new(),
            grouped: Vec::new(),
            problem,
            rows: values.iter().map(|(_, n)| n).sum(),
            values,
        };
        let mut findings = Vec::new();
        if self.blank > 0 {
            findings.push(finding(
                KeyProblem::Blank,
                vec![("(blank)".to_string(), self.blank)],
            ));
        }
        if !self.errors.is_empty() {
            findings.push(finding(KeyProblem::Error, most_frequent(self.errors)));
        }
        let spaced: BTreeMap<String, usize> = self
            .texts
            .iter()
            .filter(|(t, _)| t.trim() != **t)
            .map(|(t, n)| (shown_value(&Value::text(t)), *n))
            .collect();
        if !spaced.is_empty() {
            findings.push(finding(KeyProblem::Spaces, most_frequent(spaced)));
        }
        // Spellings that group together (equal ignoring case) but differ.
        // (Hashed first; only the few lowercase forms with several spellings are sorted.)
        let mut by_lower: HashMap<String, Vec<(&str, usize)>, FastBuildHasher> = HashMap::default();
        for (text, n) in &self.texts {
            let lower = if text.is_ascii() {
                text.to_ascii_lowercase()
            } else {
                text.to_lowercase()
            };
            by_lower.entry(lower).or_default().push((text, *n));
        }
        let mut variants: Vec<(String, Vec<(&str, usize)>)> = by_lower
            .into_iter()
            .filter(|(_, spellings)| spellings.len() > 1)
            .collect();
        variants.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, spellings) in variants {
            let counts = spellings
                .into_iter()
                .map(|(t, n)| (shown_value(&Value::text(t)), n))
                .collect();
            findings.push(finding(KeyProblem::CaseVariants, most_frequent(counts)));
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_random::Lcg;

    /// Key values as exports have them: case variants, stray spaces, blanks, errors,
    /// numbers, the same text held twice.
    fn random_entry(rng: &mut Lcg) -> Value {
        const WORDS: [&str; 9] = [
            "acme", "ACME", "Acme ", "beta", "  ", "", "Émile", "ÉMILE", "gamma",
        ];
        match rng.next(8) {
            0 => Value::Blank,
            1 => Value::Number(rng.next(3) as f64),
            2 => Value::error(ErrorKind::NA),
            _ => Value::text(WORDS[rng.next(WORDS.len() as u64) as usize]),
        }
    }

    #[test]
    fn looking_only_at_the_entries_worth_a_look_finds_the_same() {
        let mut rng = Lcg(3);
        for round in 0..300 {
            let dictionary: Vec<Value> = (0..1 + rng.next(12))
                .map(|_| random_entry(&mut rng))
                .collect();
            let rows = rng.next(40) as usize;
            let codes: Vec<u32> = (0..rows)
                .map(|_| rng.next(dictionary.len() as u64) as u32)
                .collect();
            let row_groups: Vec<u32> = (0..rows)
                .map(|_| if rng.next(4) == 0 { NO_GROUP } else { 0 })
                .collect();
            let view = Operand::Coded {
                codes: &codes,
                dictionary: &dictionary,
            };
            let entries = entries_worth_a_look(&dictionary);
            // Every entry read, and the values read one row at a time.
            let all = key_findings(view, None, &row_groups, rows);
            let values: Vec<Value> = codes
                .iter()
                .map(|c| dictionary[*c as usize].clone())
                .collect();
            let plain = key_findings(Operand::Many(&values), None, &row_groups, rows);
            let found = key_findings(view, Some(&entries), &row_groups, rows);
            assert_eq!(found, all, "round {round}");
            assert_eq!(found, plain, "round {round}");
        }
    }
}
