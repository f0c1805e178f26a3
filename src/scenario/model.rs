//! What a loaded scenario is: its name, the rule files, inputs, param overrides, outputs
//! and dashboard, with every path resolved and every value traceable to its file and span.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::data::spec::InputsSpec;
use crate::diagnostic::source::{FileId, Span};
use crate::value::Value;

/// A scenario file with everything it `extends` merged in.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `name`, or the file's stem when the file sets none. Not inherited through `extends`:
    /// a name (and a description) describes the file that writes it.
    pub name: String,
    pub description: Option<String>,
    /// The scenario file itself.
    pub path: PathBuf,
    /// This file, then the file it extends, and so on; the outermost base is last.
    pub chain: Vec<PathBuf>,
    /// Rule files and folders, each resolved against the file that named it (folders
    /// stay folders; `lang::program::expand_rule_paths` expands them).
    pub rules: Vec<PathBuf>,
    /// The reference date for TODAY() and windows.
    pub as_of: Option<chrono::NaiveDate>,
    /// `strict = true`: `run` exits 1 when the data has problems (as `--strict` does).
    pub strict: bool,
    /// `[inputs]`, with `workbook` and every table's `file` resolved against the file that set it.
    pub inputs: InputsSpec,
    /// `[params]` overrides, sorted by name.
    pub params: Vec<ParamSetting>,
    pub output: OutputSpec,
    pub dashboard: DashboardSpec,
    /// Reserved sections kept as written (after merging): `allocation`, `forecast`.
    pub sections: BTreeMap<String, toml::Value>,
    /// Where each value was written, for diagnostics about it (see [`Locations`]).
    pub locations: Locations,
}

/// One `[params]` override.
#[derive(Debug, Clone)]
pub struct ParamSetting {
    pub name: String,
    /// TOML integer or float → Number; string → Text, except a percentage string like
    /// `"72%"` → Number 0.72 (rule files write `72%`, analysts copy that); bool → Bool;
    /// a date (`2026-06-30`, no quotes) → Date (Excel serial).
    pub value: Value,
    /// The scenario file that set the value (this file or one it extends).
    pub source: PathBuf,
    /// The value's text in that file.
    pub span: Span,
}

/// `[output]`: where `run` writes, resolved against the file that set each path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputSpec {
    pub workbook: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// Tables of the rules the workbook leaves out: working steps (per-account or
    /// per-pair tables) other tables aggregate. They are still computed and in `--json`.
    pub omit_tables: Vec<String>,
    /// `headers = "readable"`: table sheets head their columns with words ("Won revenue")
    /// instead of the rule names (`won_revenue`), which stay in each header's note.
    pub readable_headers: bool,
}

/// `[dashboard]`: the run workbook's first sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardSpec {
    pub title: Option<String>,
    /// Scalar names shown as KPI tiles, in this order; `None` means every scalar.
    pub kpis: Option<Vec<String>>,
    /// A KPI tile → the value it is compared with (`total_bookings = "prior_bookings"`):
    /// the tile shows its change against that value.
    pub kpi_comparisons: BTreeMap<String, String>,
    pub charts: Vec<ChartSpec>,
}

/// One `[[dashboard.charts]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: Option<String>,
    /// A table of the rules (usually a grouped one) whose rows are the chart's points.
    pub table: String,
    pub kind: ChartKind,
    /// Columns of `table` plotted on the primary axis.
    pub series: Vec<String>,
    /// Columns plotted as lines on a secondary axis.
    pub secondary: Vec<String>,
    /// Column giving the category labels; `None` means the table's first key column.
    pub category: Option<String>,
}

/// The chart types a dashboard can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Column,
    StackedColumn,
    Bar,
    StackedBar,
    Line,
    Area,
    Pie,
    Doughnut,
    /// Stages as horizontal bars, widest first (drawn as a bar chart).
    Funnel,
}

impl ChartKind {
    pub const ALL: [ChartKind; 9] = [
        ChartKind::Column,
        ChartKind::StackedColumn,
        ChartKind::Bar,
        ChartKind::StackedBar,
        ChartKind::Line,
        ChartKind::Area,
        ChartKind::Pie,
        ChartKind::Doughnut,
        ChartKind::Funnel,
    ];

    /// The spelling used in scenario files.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChartKind::Column => "column",
            ChartKind::StackedColumn => "stacked-column",
            ChartKind::Bar => "bar",
            ChartKind::StackedBar => "stacked-bar",
            ChartKind::Line => "line",
            ChartKind::Area => "area",
            ChartKind::Pie => "pie",
            ChartKind::Doughnut => "doughnut",
            ChartKind::Funnel => "funnel",
        }
    }

    pub fn parse(text: &str) -> Option<ChartKind> {
        ChartKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Spans of the values a scenario was built from (after merging, so each points into
/// the file that wrote it), by dotted path: `rules[0]`, `params.gross_margin`,
/// `inputs.tables.Opportunities.columns.amount`, `dashboard.charts[1].series[0]`.
/// Tables are recorded too (`inputs.tables.Leads`). Keys are joined as written, dots
/// and spaces included.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// The scenario file's id in the SourceMap it was loaded into.
    pub file: FileId,
    values: BTreeMap<String, Span>,
    keys: BTreeMap<String, Span>,
}

impl Locations {
    pub(crate) fn new(file: FileId) -> Self {
        Locations {
            file,
            ..Locations::default()
        }
    }

    pub(crate) fn record(&mut self, path: String, key: Span, value: Span) {
        self.keys.insert(path.clone(), key);
        self.values.insert(path, value);
    }

    /// Span of the value at `path`.
    pub fn value(&self, path: &str) -> Option<Span> {
        self.values.get(path).copied()
    }

    /// Span of the key that introduced `path`.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.keys.get(path).copied()
    }

    /// The value's span, else the key's, else the start of the scenario file.
    pub fn best(&self, path: &str) -> Span {
        self.value(path)
            .or_else(|| self.key(path))
            .unwrap_or(Span::new(self.file, 0, 0))
    }

    /// The start of the scenario file (for problems that have no better place).
    pub fn file_start(&self) -> Span {
        Span::new(self.file, 0, 0)
    }
}
