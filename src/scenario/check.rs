//! Checking a scenario against a compiled rule plan: params exist and fit their types,
//! every input table is mapped, column types agree with the rules, the dashboard names real things.

use crate::data::spec::DeclaredType;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::Span;
use crate::lang::plan::{ColumnOrigin, Plan, TableKind, TablePlan};
use crate::suggest::Suggestion;
use crate::value::ValueType;
use crate::value::{Value, parse_numeric_text};

use super::model::{ParamSetting, Scenario};
use crate::diagnostic::Code;

/// Checks the scenario against a compiled plan: every param named exists (did-you-mean over
/// the plan's params), its TOML type fits the param's type, every input table the plan
/// declares is mapped (or defaults to a sheet of the same name), declared column types in
/// the scenario don't contradict the rules' `input` declarations, and the dashboard's
/// tables, columns and KPIs exist.
///
/// Secondary labels point at the rule files; they render correctly when the plan was
/// compiled from the same `SourceMap` the scenario was loaded into (see
/// [`load_scenario_rules`](super::load_scenario_rules)).
pub fn check_against_plan(scenario: &Scenario, plan: &Plan) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for setting in &scenario.params {
        check_param(setting, plan, &mut out);
    }
    check_inputs(scenario, plan, &mut out);
    check_dashboard(scenario, plan, &mut out);
    out.extend(super::texts::check_long_texts(scenario));
    check_omitted(scenario, plan, &mut out);
    out
}

/// `[output] omit_tables`: each a table the rules build, and none the dashboard draws
/// (its chart reads the table's sheet).
fn check_omitted(scenario: &Scenario, plan: &Plan, out: &mut Vec<Diagnostic>) {
    for (i, name) in scenario.output.omit_tables.iter().enumerate() {
        let at = scenario.locations.best(&format!("output.omit_tables[{i}]"));
        let built = plan
            .tables
            .iter()
            .find(|t| *t.name == **name && t.is_built());
        if built.is_none() {
            let d = Diagnostic::error(
                Code::OmitTable,
                format!("`{name}` is not a table the rules build"),
                at,
            )
            .with_label("no such table")
            .with_suggestion(Suggestion::closest(
                name,
                plan.tables
                    .iter()
                    .filter(|t| t.is_built())
                    .map(|t| &*t.name),
            ))
            .with_hint("omit_tables lists grouped or analysis tables the workbook leaves out");
            out.push(d);
            continue;
        }
        if let Some(chart) = scenario.dashboard.charts.iter().find(|c| c.table == *name) {
            out.push(
                Diagnostic::error(
                    Code::OmitTable,
                    format!(
                        "`{name}` is drawn by the dashboard chart \"{}\", so its sheet must be written",
                        chart.title.as_deref().unwrap_or(&chart.table)
                    ),
                    at,
                )
                .with_label("drawn by the dashboard")
                .with_hint("remove it from omit_tables, or remove the chart"),
            );
        }
    }
}

fn check_param(setting: &ParamSetting, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let Some(param) = plan.params.iter().find(|p| *p.name == *setting.name) else {
        let mut d = Diagnostic::error(
            Code::UnknownParam,
            format!("the rules have no param `{}`", setting.name),
            setting.span,
        )
        .with_label("set here");
        d = d.with_suggestion(Suggestion::closest(
            &setting.name,
            plan.params.iter().map(|p| &*p.name),
        ));
        let mut names: Vec<&str> = plan.params.iter().map(|p| &*p.name).collect();
        names.sort_unstable();
        let listing = if names.is_empty() {
            "the rules declare no params".to_string()
        } else {
            format!("params of the rules: {}", names.join(", "))
        };
        out.push(d.with_hint(listing));
        return;
    };
    if fits(&setting.value, param.ty) {
        return;
    }
    let found = describe_value(&setting.value);
    let mut d = Diagnostic::error(
        Code::ParamType,
        format!(
            "param `{}` takes {}, but the scenario gives {found}",
            setting.name,
            param.ty.describe()
        ),
        setting.span,
    )
    .with_label(format!("{found} here"))
    .with_secondary(
        param.span,
        format!("declared here with default {}", show_value(&param.default)),
    );
    if let Some(hint) = type_hint(&setting.value, param.ty) {
        d = d.with_hint(hint);
    }
    out.push(d);
}

/// Whether a scenario value may replace a param of this type.
fn fits(value: &Value, ty: ValueType) -> bool {
    matches!(
        (ty, value),
        (ValueType::Any, _)
            | (ValueType::Number, Value::Number(_))
            | (ValueType::Text, Value::Text(_))
            | (ValueType::Bool, Value::Bool(_))
            | (ValueType::Date, Value::Date(_))
    )
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("the number {}", show_number(*n)),
        Value::Text(t) => format!("the text \"{t}\""),
        Value::Bool(b) => format!("the boolean {}", if *b { "true" } else { "false" }),
        Value::Date(_) => "a date".to_string(),
        Value::Blank => "nothing".to_string(),
        Value::Error(e) => format!("the error {}", e.kind),
    }
}

fn show_number(n: f64) -> String {
    crate::value::format_general(n)
}

fn show_value(value: &Value) -> String {
    match value {
        Value::Number(n) => show_number(*n),
        Value::Text(t) => format!("\"{t}\""),
        Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Date(serial) => crate::value::datetime::date_from_serial(*serial)
            .map_or_else(|| show_number(*serial), |d| d.to_string()),
        Value::Blank => "blank".to_string(),
        Value::Error(e) => e.kind.to_string(),
    }
}

fn type_hint(value: &Value, ty: ValueType) -> Option<String> {
    match (ty, value) {
        (ValueType::Number, Value::Text(t)) if parse_numeric_text(t).is_some() => Some(
            "remove the quotes to give a number (0.7, or \"70%\" with the percent sign)".into(),
        ),
        (ValueType::Number, Value::Text(_)) => {
            Some("give a number like 0.7, or a percentage like \"70%\"".into())
        }
        (ValueType::Date, Value::Text(t))
            if chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok() =>
        {
            Some(format!("remove the quotes to give a date: {t}"))
        }
        (ValueType::Date, _) => Some("give a date like 2026-06-30 (no quotes)".into()),
        (ValueType::Text, Value::Number(_)) => Some(
            "put the value in quotes to give text (quoted percentages like \"72%\" are read \
             as numbers)"
                .into(),
        ),
        (ValueType::Text, _) => Some("put the value in quotes to give text".into()),
        (ValueType::Bool, _) => Some("give true or false (no quotes)".into()),
        _ => None,
    }
}

fn input_tables(plan: &Plan) -> impl Iterator<Item = &TablePlan> {
    plan.tables
        .iter()
        .filter(|t| matches!(t.kind, TableKind::Input))
}

fn check_inputs(scenario: &Scenario, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let inputs = &scenario.inputs;
    let locations = &scenario.locations;
    let inputs_span = locations
        .key("inputs")
        .unwrap_or_else(|| locations.file_start());
    for table in input_tables(plan) {
        let name = &*table.name;
        match inputs.tables.get(name) {
            Some(spec) => {
                if spec.file.is_none() && inputs.workbook.is_none() {
                    out.push(
                        Diagnostic::error(
                            Code::InputUnmapped,
                            format!(
                                "input table `{name}` has no file to read: [inputs.tables.{name}] \
                                 gives no `file` and [inputs] no `workbook`"
                            ),
                            locations.best(&format!("inputs.tables.{name}")),
                        )
                        .with_label("no file for this table")
                        .with_hint(
                            "add `workbook = \"../data/crm.xlsx\"` under [inputs], or \
                             `file = \"…\"` to this table",
                        ),
                    );
                }
                check_columns(scenario, name, spec, table, out);
            }
            None if inputs.workbook.is_some() => {} // read from the sheet named like the table
            None => out.push(
                Diagnostic::error(
                    Code::InputUnmapped,
                    format!(
                        "the rules read input table `{name}`, but the scenario says nowhere \
                         to read it from"
                    ),
                    inputs_span,
                )
                .with_label(format!("no workbook and no [inputs.tables.{name}]"))
                .with_secondary(table.span, "declared here")
                .with_hint(format!(
                    "add `workbook = \"../data/crm.xlsx\"` under [inputs] (the sheet named \
                     {name} is read), or an [inputs.tables.{name}] section with its `file`"
                )),
            ),
        }
    }
    let known: Vec<&str> = input_tables(plan).map(|t| &*t.name).collect();
    for name in inputs.tables.keys() {
        if known.contains(&name.as_str()) {
            continue;
        }
        let mut d = Diagnostic::warning(
            Code::InputUnused,
            format!("the rules never read input table `{name}`"),
            locations
                .key(&format!("inputs.tables.{name}"))
                .unwrap_or(inputs_span),
        )
        .with_label("not an input of the rules");
        if let Some(s) = Suggestion::closest(name, known.iter().copied()) {
            d = d.with_suggestion(Some(s));
        } else if !known.is_empty() {
            d = d.with_hint(format!("input tables of the rules: {}", known.join(", ")));
        }
        out.push(d);
    }
}

fn check_columns(
    scenario: &Scenario,
    name: &str,
    spec: &crate::data::spec::TableSpec,
    table: &TablePlan,
    out: &mut Vec<Diagnostic>,
) {
    check_renames(scenario, name, spec, table, out);
    for (column, written) in &spec.columns {
        let Some(decl) = DeclaredType::parse(written) else {
            continue; // reported when loading
        };
        let Some(rule_column) = table
            .columns
            .iter()
            .find(|c| *c.name == **column && matches!(c.origin, ColumnOrigin::Input))
        else {
            continue;
        };
        // Columns known only from outside the rule files have no rule span to contradict.
        if rule_column.span == Span::default() {
            continue;
        }
        let rule_ty = rule_column.ty;
        if decl.ty == rule_ty || decl.ty == ValueType::Any || rule_ty == ValueType::Any {
            continue;
        }
        out.push(
            Diagnostic::error(
                Code::ColumnTypeConflict,
                format!(
                    "column `{name}.{column}` is {} here, but the rules read it as {}",
                    decl.ty.as_str(),
                    rule_ty.as_str()
                ),
                scenario
                    .locations
                    .best(&format!("inputs.tables.{name}.columns.{column}")),
            )
            .with_label(format!("declared {} here", decl.ty.as_str()))
            .with_secondary(
                rule_column.span,
                format!("the rules declare {}", rule_ty.as_str()),
            )
            .with_hint(format!(
                "use \"{}\" here (or drop the entry: the rules' declaration is used)",
                rule_ty.as_str()
            )),
        );
    }
}

/// Column names in `rename`, `columns` and `key` that the rules never read are probably
/// misspelt: the rules' column would then be missing when the data is read. A rename target
/// is always reported (it has no other use); a declared column or the key only when it is
/// one typo away from a column of the rules (other extra columns are legitimate).
fn check_renames(
    scenario: &Scenario,
    name: &str,
    spec: &crate::data::spec::TableSpec,
    table: &TablePlan,
    out: &mut Vec<Diagnostic>,
) {
    let rule_columns = || {
        table
            .columns
            .iter()
            .filter(|c| matches!(c.origin, ColumnOrigin::Input))
            .map(|c| &*c.name)
    };
    let read_by_rules = |column: &str| rule_columns().any(|c| c == column);
    let renamed_to = |column: &str| spec.rename.values().any(|t| t == column);
    let locations = &scenario.locations;
    let warn = |message: String, span: Span, suggestion: Option<Suggestion>| {
        let d = Diagnostic::warning(Code::ColumnUnknown, message, span)
            .with_label("not a column of the rules");
        d.with_suggestion(suggestion)
    };
    for (header, target) in &spec.rename {
        if read_by_rules(target) || spec.columns.contains_key(target) {
            continue;
        }
        out.push(warn(
            format!(
                "`{header}` is renamed to `{target}`, which the rules never read from `{name}`"
            ),
            locations.best(&format!("inputs.tables.{name}.rename.{header}")),
            Suggestion::closest(target, rule_columns()),
        ));
    }
    for column in spec.columns.keys() {
        if read_by_rules(column) || renamed_to(column) {
            continue;
        }
        if let Some(s) = Suggestion::closest(column, rule_columns()) {
            out.push(warn(
                format!("column `{column}` is declared for `{name}`, but the rules never read it"),
                locations
                    .key(&format!("inputs.tables.{name}.columns.{column}"))
                    .unwrap_or_else(|| locations.best(&format!("inputs.tables.{name}"))),
                Some(s),
            ));
        }
    }
    if let Some(key) = &spec.key
        && !read_by_rules(key)
        && !renamed_to(key)
        && !spec.columns.contains_key(key)
        && let Some(s) = Suggestion::closest(key, rule_columns())
    {
        out.push(warn(
            format!("key column `{key}` of `{name}` is not a column the rules read"),
            locations.best(&format!("inputs.tables.{name}.key")),
            Some(s),
        ));
    }
}

fn check_dashboard(scenario: &Scenario, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let dashboard = &scenario.dashboard;
    let locations = &scenario.locations;
    if let Some(kpis) = &dashboard.kpis {
        for (i, kpi) in kpis.iter().enumerate() {
            if plan.scalars.iter().any(|s| *s.name == **kpi) {
                continue;
            }
            let mut d = Diagnostic::error(
                Code::DashboardKpi,
                format!("KPI `{kpi}` is not a value the rules compute"),
                locations.best(&format!("dashboard.kpis[{i}]")),
            )
            .with_label("no such scalar");
            if let Some(s) = Suggestion::closest(kpi, plan.scalars.iter().map(|s| &*s.name)) {
                d = d.with_suggestion(Some(s));
            } else if plan.params.iter().any(|p| *p.name == **kpi) {
                d = d.with_hint(format!(
                    "`{kpi}` is a param; KPI tiles show computed values (define `{kpi}_shown = {kpi}` to show it)"
                ));
            }
            d = d.with_hint(
                "KPI tiles show single values defined in the rules like `total_revenue = SUM(Channels.revenue)`",
            );
            out.push(d);
        }
    }
    for (kpi, against) in &dashboard.kpi_comparisons {
        let path = format!("dashboard.kpi_comparisons.{kpi}");
        for (name, at) in [
            (kpi, locations.key(&path)),
            (against, locations.value(&path)),
        ] {
            if plan.scalars.iter().any(|s| *s.name == **name) {
                continue;
            }
            let d = Diagnostic::error(
                Code::DashboardKpi,
                format!("`{name}` in [dashboard.kpi_comparisons] is not a value the rules compute"),
                at.unwrap_or_else(|| locations.best(&path)),
            )
            .with_label("no such scalar")
            .with_suggestion(Suggestion::closest(name, plan.scalars.iter().map(|s| &*s.name)))
            .with_hint(
                "each entry pairs a KPI with the value it is compared with, both defined in the rules: `total_bookings = \"prior_bookings\"`",
            );
            out.push(d);
        }
    }
    for (i, chart) in dashboard.charts.iter().enumerate() {
        let at = |suffix: &str| locations.best(&format!("dashboard.charts[{i}]{suffix}"));
        if chart.table.is_empty() {
            continue; // missing `table` was reported when loading
        }
        let Some(table) = plan.tables.iter().find(|t| *t.name == *chart.table) else {
            let mut d = Diagnostic::error(
                Code::DashboardTable,
                format!("chart table `{}` is not a table of the rules", chart.table),
                at(".table"),
            )
            .with_label("no such table");
            d = d.with_suggestion(Suggestion::closest(
                &chart.table,
                plan.tables.iter().map(|t| &*t.name),
            ));
            let grouped: Vec<&str> = plan
                .tables
                .iter()
                .filter(|t| t.is_grouped())
                .map(|t| &*t.name)
                .collect();
            if !grouped.is_empty() {
                d = d.with_hint(format!(
                    "grouped tables of the rules: {}",
                    grouped.join(", ")
                ));
            }
            out.push(d);
            continue;
        };
        let named = chart
            .series
            .iter()
            .enumerate()
            .map(|(j, c)| (c, format!(".series[{j}]"), true))
            .chain(
                chart
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(j, c)| (c, format!(".secondary[{j}]"), true)),
            )
            .chain(
                chart
                    .category
                    .iter()
                    .map(|c| (c, ".category".to_string(), false)),
            );
        for (column, suffix, numeric) in named {
            let span = at(&suffix);
            match table.columns.iter().find(|c| *c.name == **column) {
                None => {
                    let mut d = Diagnostic::error(
                        Code::DashboardColumn,
                        format!("table `{}` has no column `{column}`", table.name),
                        span,
                    )
                    .with_label("no such column");
                    d = d.with_suggestion(Suggestion::closest(
                        column,
                        table.columns.iter().map(|c| &*c.name),
                    ));
                    out.push(d);
                }
                Some(c) if numeric && !(c.ty.is_numeric() || c.ty == ValueType::Any) => {
                    out.push(
                        Diagnostic::error(
                            Code::DashboardColumn,
                            format!(
                                "column `{}.{column}` holds {}; a chart series must be numbers",
                                table.name,
                                c.ty.describe()
                            ),
                            span,
                        )
                        .with_label("not a number column")
                        .with_hint(
                            "use it as the chart's `category` instead, or pick a numeric column",
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    }
}
