//! Matrix sheets (a two-key table with `@heat` columns drawn first key down, second
//! across) and `[output] omit_tables` (working tables computed but not written), on the
//! hand-made eight-deal fixture; expected grids worked out by hand from it.

// Test helpers outside #[test] fns panic on purpose to fail the test with a message.
#![allow(clippy::panic, clippy::unwrap_used)]

use calamine::{Data, Reader, Xlsx};

use chanmix::diagnostic::source::SourceMap;
use chanmix::report::write_run_workbook;
use chanmix::scenario::{check_against_plan, load_scenario, load_scenario_rules};

use crate::support::fixture::{compile, quality, report, run};
use crate::support::libreoffice::recalc_and_compare;

const RULES: &str = r#"
input Opportunities (channel: text, stage: text, amount: number, created_date: date, close_date: date?)
input Costs (channel: text, amount: number)

param margin = 50%  @percent

table ChannelStages = group Opportunities by channel, stage
ChannelStages.deals  = COUNT(Opportunities)        @integer @heat
ChannelStages.amount = SUM(Opportunities.amount)   @currency @heat
ChannelStages.plain  = COUNT(Opportunities) * 2    @integer

table Work = group Opportunities by channel
Work.deals = COUNT(Opportunities)  @integer

total_deals = SUM(Work.deals)  @integer
"#;

/// The cell right of `label` in column A within rows `from..` of `range`.
fn row_of(range: &calamine::Range<Data>, label: &str, from: u32) -> u32 {
    (from..range.height() as u32)
        .find(|&r| matches!(range.get_value((r, 0)), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("no row {label:?} below row {from}"))
}

fn column_of(range: &calamine::Range<Data>, header_row: u32, label: &str) -> u32 {
    (1..range.width() as u32)
        .find(|&c| matches!(range.get_value((header_row, c)), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("no column {label:?} on row {header_row}"))
}

fn cell(range: &calamine::Range<Data>, row: u32, column: u32) -> Data {
    range
        .get_value((row, column))
        .cloned()
        .unwrap_or(Data::Empty)
}

#[test]
fn a_two_key_heat_table_gets_a_matrix_and_omitted_tables_get_no_sheet() {
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    let mut report = report(&plan, &result, &quality);
    report.dashboard.kpis = vec!["total_deals".into()];
    report.dashboard.charts.clear();
    report.omitted_tables = vec!["Work".into()];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrix.xlsx");
    write_run_workbook(&report, &path).unwrap();

    let mut workbook: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let names = workbook.sheet_names();
    assert!(!names.iter().any(|n| n == "Work"), "{names:?}");
    let at = names.iter().position(|n| n == "ChannelStages").unwrap();
    assert_eq!(names[at + 1], "ChannelStages Matrix", "{names:?}");
    // The omitted table still feeds the figure that aggregates it: 8 deals.
    let metrics = workbook.worksheet_range("Metrics").unwrap();
    let total = (0..metrics.height() as u32)
        .find(|&r| matches!(metrics.get_value((r, 0)), Some(Data::String(s)) if s == "total_deals"))
        .map(|r| cell(&metrics, r, 1))
        .unwrap();
    assert_eq!(total, Data::Float(8.0));

    let matrix = workbook.worksheet_range("ChannelStages Matrix").unwrap();
    // By hand from the fixture: Direct won 100, lost 50, prospecting 70; Partner (two
    // spellings, one channel) won 200 + 300, lost 10; Online lost 5 + 15.
    let deals_expected = [
        ("Direct", [Some(1.0), Some(1.0), Some(1.0)]),
        ("Partner", [Some(1.0), Some(2.0), None]),
        ("Online", [Some(2.0), None, None]),
    ];
    let amount_expected = [
        ("Direct", [Some(50.0), Some(100.0), Some(70.0)]),
        ("Partner", [Some(10.0), Some(500.0), None]),
        ("Online", [Some(20.0), None, None]),
    ];
    let mut from = 0;
    for (block, expected) in [("Deals", deals_expected), ("Amount", amount_expected)] {
        let title = row_of(&matrix, block, from);
        let header = title + 1;
        // Across: the stages sorted as Excel sorts text.
        let across: Vec<u32> = ["Closed Lost", "Closed Won", "Prospecting"]
            .iter()
            .map(|s| column_of(&matrix, header, s))
            .collect();
        assert!(across.windows(2).all(|w| w[0] < w[1]), "{across:?}");
        for (channel, values) in expected {
            let row = (header + 1..header + 4)
                .find(|&r| match matrix.get_value((r, 0)) {
                    Some(Data::String(s)) => s.eq_ignore_ascii_case(channel),
                    _ => false,
                })
                .unwrap_or_else(|| panic!("{block}: no row {channel}"));
            for (column, want) in across.iter().zip(values) {
                let got = cell(&matrix, row, *column);
                match want {
                    Some(v) => assert_eq!(got, Data::Float(v), "{block} {channel}"),
                    None => assert_eq!(got, Data::Empty, "{block} {channel}: no row, no value"),
                }
            }
        }
        from = header + 4;
    }
    // The column without @heat is not drawn.
    assert!(
        (0..matrix.height() as u32)
            .all(|r| !matches!(matrix.get_value((r, 0)), Some(Data::String(s)) if s == "Plain"))
    );
    // Each cell is a live reference to the table's row; LibreOffice recomputes them.
    let formulas = workbook.worksheet_formula("ChannelStages Matrix").unwrap();
    assert!(
        formulas
            .used_cells()
            .any(|(_, _, f)| f.contains("ChannelStages")),
        "matrix cells should reference the table sheet"
    );
    let checked = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if let Some(reason) = checked.skipped {
        eprintln!("SKIPPED LibreOffice recalculation: {reason}");
    } else {
        assert!(checked.formulas_checked >= 15, "{checked:?}");
    }
}

#[test]
fn omit_tables_must_name_a_built_table_not_drawn_by_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.rules"), RULES).unwrap();
    let scenario = r#"
name  = "Omit"
rules = ["m.rules"]

[inputs.tables.Opportunities]
file = "crm.xlsx"

[inputs.tables.Costs]
file = "crm.xlsx"

[output]
omit_tables = ["Work", "ChanelStages", "Opportunities"]

[[dashboard.charts]]
table  = "Work"
series = ["deals"]
"#;
    let path = dir.path().join("s.toml");
    std::fs::write(&path, scenario).unwrap();
    let mut sources = SourceMap::new();
    let scenario = load_scenario(&path, &mut sources).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(
        scenario.output.omit_tables,
        ["Work", "ChanelStages", "Opportunities"]
    );
    let program = load_scenario_rules(&scenario, sources, &[], &chanmix::analysis::vocabulary());
    let plan = program.plan.as_ref().unwrap();
    let diagnostics: Vec<_> = check_against_plan(&scenario, plan)
        .into_iter()
        .filter(|d| d.code.as_str() == "S0021")
        .collect();
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].contains("`Work` is drawn by the dashboard"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("`ChanelStages` is not a table"),
        "{messages:?}"
    );
    assert!(
        format!("{:?}", diagnostics[1]).contains("ChannelStages"),
        "suggests the closest table: {:?}",
        diagnostics[1]
    );
    // An input is not a built table: nothing of the rules to leave out.
    assert!(
        messages[2].contains("`Opportunities` is not a table"),
        "{messages:?}"
    );
}
