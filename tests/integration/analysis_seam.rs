//! The analysis seam end to end with a small analysis written here (a running total):
//! `table T = <analysis> Source by key (…)` is checked before data (unknown analysis,
//! unknown/missing/repeated/mistyped arguments, the analysis' own usage checks), runs in
//! dependency order, its table takes formulas and flags like any other, its failure is
//! an error naming it, and compared variants equal full evaluations. Every expected
//! number is worked out by hand from the rows below.

use std::io::Read;
use std::sync::Arc;

use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::eval::engine::{EvalError, evaluate, evaluate_variants};
use chanmix::functions::CallContext;
use chanmix::lang::analysis::{
    Analysis, AnalysisCall, AnalysisError, AnalysisInput, AnalysisResult, ArgValues, ChartRequest,
    ChartShape, OutputColumn, Parameter, UsageProblem,
};
use chanmix::lang::ast::Look;
use chanmix::lang::format::format_rule_file;
use chanmix::lang::parser::parse_rule_file;
use chanmix::lang::plan::Plan;
use chanmix::lang::program::{RuleProgram, check_rule_files};
use chanmix::lang::vocabulary::Vocabulary;
use chanmix::pipeline::json::evaluated_to_json;
use chanmix::report::{RunReport, write_run_workbook};
use chanmix::table::{Column, Table};
use chanmix::value::{Value, ValueType};

/// Running total of `value` in source order, starting at `start` (0 when not given);
/// fails when asked to (`fail = TRUE`), to test how failures reach the user.
#[derive(Debug)]
struct RunningTotal;

const PARAMETERS: &[Parameter] = &[
    Parameter {
        name: "value",
        each_row: true,
        ty: ValueType::Number,
        required: true,
        summary: "the amount added on each row",
    },
    Parameter {
        name: "start",
        each_row: false,
        ty: ValueType::Number,
        required: false,
        summary: "where the total starts",
    },
    Parameter {
        name: "fail",
        each_row: false,
        ty: ValueType::Bool,
        required: false,
        summary: "fail on purpose",
    },
];

const OUTPUTS: &[OutputColumn] = &[
    OutputColumn {
        name: "total",
        ty: ValueType::Number,
        format: None,
        look: Look {
            better: None,
            bar: false,
            icons: false,
            heat: false,
        },
    },
    OutputColumn {
        name: "step",
        ty: ValueType::Number,
        format: None,
        look: Look {
            better: None,
            bar: false,
            icons: false,
            heat: false,
        },
    },
];

impl Analysis for RunningTotal {
    fn name(&self) -> &'static str {
        "running_total"
    }
    fn summary(&self) -> &'static str {
        "a running total in row order"
    }
    fn parameters(&self) -> &'static [Parameter] {
        PARAMETERS
    }
    fn outputs(&self) -> &'static [OutputColumn] {
        OUTPUTS
    }
    fn check(&self, call: &AnalysisCall<'_>) -> Vec<UsageProblem> {
        if call.keys.len() == 1 {
            return Vec::new();
        }
        vec![UsageProblem {
            message: format!("`{}` needs exactly one key column", call.table),
            hint: Some("write `by` and one column".into()),
        }]
    }
    fn run(&self, input: &AnalysisInput<'_>) -> Result<AnalysisResult, AnalysisError> {
        if let Some(ArgValues::Once(Value::Bool(true))) = input.arg(PARAMETERS, "fail") {
            return Err(AnalysisError::new("asked to fail").with_hint("set fail = FALSE"));
        }
        let start = match input.arg(PARAMETERS, "start") {
            Some(values) => values.at(0).as_f64().unwrap_or(0.0),
            None => 0.0,
        };
        let values = input.arg(PARAMETERS, "value").ok_or_else(|| {
            AnalysisError::new("no values") // the checker makes this unreachable
        })?;
        let mut total = start;
        let mut totals = Vec::with_capacity(input.rows);
        let mut steps = Vec::with_capacity(input.rows);
        for row in 0..input.rows {
            total += values.at(row).as_f64().unwrap_or(0.0);
            totals.push(Value::Number(total));
            steps.push(Value::Number((row + 1) as f64));
        }
        Ok(AnalysisResult {
            keys: input.keys.clone(),
            columns: vec![totals, steps],
            notes: vec![format!("{} rows totalled", input.rows)],
            details: Some(serde_json::json!({ "final": total })),
            charts: vec![ChartRequest {
                title: "Running total".into(),
                table: input.table.into(),
                shape: ChartShape::PointsAndLines,
                category: "step".into(),
                series: vec!["total".into(), "after".into()],
                rows_where: None,
            }],
        })
    }
}

fn vocabulary() -> Vocabulary {
    let mut vocabulary = Vocabulary::builtin().clone();
    vocabulary.analyses.push(Arc::new(RunningTotal));
    vocabulary
}

fn check(rules: &str) -> RuleProgram {
    let mut sources = SourceMap::new();
    let id = sources.add("seam.rules", rules);
    check_rule_files(sources, &[id], &[], &vocabulary())
}

fn plan(rules: &str) -> Plan {
    let program = check(rules);
    match program.plan {
        Some(plan) => plan,
        None => panic!(
            "rules should check:\n{}",
            render_text(&program.diagnostics, &program.sources, false)
        ),
    }
}

fn errors(rules: &str) -> (Vec<&'static str>, String) {
    let program = check(rules);
    let codes = program
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    (
        codes,
        render_text(&program.diagnostics, &program.sources, false),
    )
}

/// Deals: d1 10, d2 -4, d3 7 (in this order).
fn deals() -> Vec<Table> {
    let mut table = Table::new("Deals", 3);
    table.set_column(Column::new(
        "id",
        ValueType::Text,
        vec![Value::text("d1"), Value::text("d2"), Value::text("d3")],
    ));
    table.set_column(Column::new(
        "amount",
        ValueType::Number,
        vec![Value::Number(10.0), Value::Number(-4.0), Value::Number(7.0)],
    ));
    vec![table]
}

const RULES: &str = r#"
input Deals (id: text, amount: number)
param base = 100
param fail = FALSE
table Totals = running_total Deals by id (value = amount * 2,
    start = base, fail = fail)
Totals.after = total - base
biggest = MAX(Totals.total)
flag Totals when after > 10: "{id} passes 10: {after}"
"#;

fn numbers(table: &Table, column: &str) -> Vec<f64> {
    table
        .column(column)
        .unwrap()
        .values()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

#[test]
fn an_analysis_table_runs_in_order_and_takes_formulas_and_flags() {
    let plan = plan(RULES);
    let result = evaluate(&plan, deals(), &[], &CallContext::default()).unwrap();
    let totals = result.table("Totals").unwrap();
    // 100 + 20 = 120, 120 - 8 = 112, 112 + 14 = 126
    assert_eq!(numbers(totals, "total"), [120.0, 112.0, 126.0]);
    assert_eq!(numbers(totals, "step"), [1.0, 2.0, 3.0]);
    assert_eq!(numbers(totals, "after"), [20.0, 12.0, 26.0]);
    let ids: Vec<Value> = totals.column("id").unwrap().values().to_vec();
    assert_eq!(
        ids,
        [Value::text("d1"), Value::text("d2"), Value::text("d3")]
    );
    assert_eq!(result.scalar("biggest"), Some(&Value::Number(126.0)));
    let messages: Vec<&str> = result.flags.iter().map(|f| &*f.message).collect();
    assert_eq!(
        messages,
        ["d1 passes 10: 20", "d2 passes 10: 12", "d3 passes 10: 26"]
    );
    let [report] = result.analyses.as_slice() else {
        panic!("one analysis report: {:?}", result.analyses)
    };
    assert_eq!(report.analysis, "running_total");
    assert_eq!(report.notes, ["3 rows totalled"]);
    assert_eq!(report.details, Some(serde_json::json!({ "final": 126.0 })));
}

#[test]
fn a_failing_analysis_stops_the_run_with_its_reason() {
    let plan = plan(RULES);
    let failed = evaluate(
        &plan,
        deals(),
        &[("fail".into(), Value::Bool(true))],
        &CallContext::default(),
    );
    match failed {
        Err(EvalError::Analysis {
            name,
            message,
            hint,
            table,
        }) => {
            assert_eq!(name, "Totals");
            assert_eq!(message, "asked to fail");
            assert_eq!(hint.as_deref(), Some("set fail = FALSE"));
            assert_eq!(&*plan.tables[table].name, "Totals");
        }
        other => panic!("expected the analysis to fail, got {other:?}"),
    }
}

#[test]
fn variants_through_an_analysis_equal_full_evaluations() {
    let plan = plan(RULES);
    let overrides = vec![
        vec![],
        vec![("base".to_string(), Value::Number(0.0))],
        vec![("base".to_string(), Value::Number(-50.0))],
    ];
    let requests: Vec<(Vec<(String, Value)>, CallContext)> = overrides
        .iter()
        .map(|o| (o.clone(), CallContext::default()))
        .collect();
    let variants = evaluate_variants(&plan, deals(), &requests).unwrap();
    for (variant, params) in variants.iter().zip(&overrides) {
        let full = evaluate(&plan, deals(), params, &CallContext::default()).unwrap();
        for name in ["total", "after"] {
            assert_eq!(
                numbers(variant.table("Totals").unwrap(), name),
                numbers(full.table("Totals").unwrap(), name),
                "{params:?} {name}"
            );
        }
        assert_eq!(variant.scalar("biggest"), full.scalar("biggest"));
        assert_eq!(variant.flags, full.flags);
    }
}

#[test]
fn misuse_is_reported_before_any_data_is_read() {
    let (codes, text) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = runing_total Deals by id (value = amount)\n",
    );
    assert_eq!(codes, ["E0117"]);
    assert!(text.contains("did you mean `running_total`?"), "{text}");

    let (codes, text) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = running_total Deals by id (valeu = amount, start = 1, start = 2)\n",
    );
    assert_eq!(codes, ["E0118", "E0118", "E0118"], "{text}");
    assert!(
        text.contains("`running_total` has no argument `valeu`"),
        "{text}"
    );
    assert!(text.contains("did you mean `value`?"), "{text}");
    assert!(text.contains("`start` is given twice"), "{text}");
    assert!(
        text.contains("`running_total` needs the argument `value`"),
        "{text}"
    );

    let (codes, text) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = running_total Deals by id (value = id)\n",
    );
    assert_eq!(codes, ["E0118"], "{text}");
    assert!(
        text.contains("`value` must be a number, this is text"),
        "{text}"
    );

    // A per-row column where one value is wanted.
    let (codes, _) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = running_total Deals by id (value = amount, start = Deals.amount)\n",
    );
    assert_eq!(codes, ["E0110"]);

    let (codes, text) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = running_total Deals (value = amount)\n\
         A.x = A.nope\n",
    );
    assert_eq!(codes, ["E0119", "E0102"], "{text}");
    assert!(text.contains("`A` needs exactly one key column"), "{text}");

    let (codes, text) = errors(
        "input Deals (id: text, amount: number)\n\
         table A = running_total Deals by id (value = amount)\n\
         A.x = nope\n",
    );
    assert_eq!(codes, ["E0103"], "{text}");
}

#[test]
fn an_analysis_named_nowhere_says_what_exists() {
    let mut sources = SourceMap::new();
    let id = sources.add(
        "seam.rules",
        "input Deals (id: text)\ntable A = optimize Deals (x = 1)\n",
    );
    let program = check_rule_files(sources, &[id], &[], Vocabulary::builtin());
    let text = render_text(&program.diagnostics, &program.sources, false);
    assert!(text.contains("`optimize` is not an analysis"), "{text}");
    assert!(text.contains("no analyses are available here"), "{text}");
}

#[test]
fn fmt_writes_an_analysis_table_on_one_line_and_keeps_its_meaning() {
    let mut sources = SourceMap::new();
    let id = sources.add(
        "seam.rules",
        "input Deals (id: text, amount: number)\n\
         table T = Running_Total Deals BY id (value = amount*2,\n   start = 1)\n",
    );
    let file = parse_rule_file(&sources, id).unwrap();
    let text = format_rule_file(&file, &sources);
    assert_eq!(
        text,
        "input Deals (id: text, amount: number)\n\
         table T = running_total Deals by id (value = amount * 2, start = 1)\n"
    );
}

#[test]
fn the_report_and_json_write_what_an_analysis_returns_with_no_code_of_its_own() {
    let plan = plan(RULES);
    let result = evaluate(&plan, deals(), &[], &CallContext::default()).unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&evaluated_to_json("seam", &plan, &result)).unwrap();
    assert_eq!(
        json["running_total"]["Totals"],
        serde_json::json!({ "final": 126.0, "notes": ["3 rows totalled"] })
    );
    assert_eq!(json["tables"]["Totals"][2]["total"], 126.0);

    let quality = chanmix::data::QualityLog::default();
    let report = RunReport {
        title: "Seam".into(),
        description: None,
        plan: &plan,
        result: &result,
        params: Vec::new(),
        quality: &quality,
        provenance: crate::support::fixture::provenance(vec![]),
        dashboard: chanmix::report::DashboardSpec {
            title: "Seam".into(),
            kpis: vec!["biggest".into()],
            kpi_comparisons: Vec::new(),
            charts: vec![],
        },
        omitted_tables: Vec::new(),
        readable_headers: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seam.xlsx");
    write_run_workbook(&report, &path).unwrap();

    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let totals = workbook.worksheet_range("Totals").unwrap();
    let header: Vec<String> = crate::support::xlsx::headers(&totals);
    assert_eq!(header, ["id", "total", "step", "after"]);
    assert_eq!(
        totals.get_value((3, 1)),
        Some(&calamine::Data::Float(126.0))
    );
    let recommendations = workbook.worksheet_range("Recommendations").unwrap();
    let text: Vec<String> = recommendations
        .rows()
        .flatten()
        .map(|c| c.to_string())
        .collect();
    assert!(text.iter().any(|t| t == "3 rows totalled"), "{text:?}");

    // The chart sits on the Totals sheet and draws its columns from it.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut chart = String::new();
    zip.by_name("xl/charts/chart1.xml")
        .unwrap()
        .read_to_string(&mut chart)
        .unwrap();
    assert!(chart.contains("<c:scatterChart>"), "{chart}");
    assert!(chart.contains("Totals!$C$2:$C$4"), "{chart}");
    assert!(chart.contains("Totals!$B$2:$B$4"), "{chart}");
    assert!(chart.contains("Totals!$D$2:$D$4"), "{chart}");
    assert!(crate::support::libreoffice::recalc_and_compare(&path).is_ok());
}
