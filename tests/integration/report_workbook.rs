//! The run workbook built from a small rule program over hand-made tables, read back
//! with calamine and the xlsx parts; every expected number was worked out by hand.

use calamine::{CellErrorType, Data};
use chanmix::report::{FileHash, ReportError, build_run_workbook, write_run_workbook};

use crate::support;
use crate::support::fixture::{RULES, compile, provenance, quality, report, run};
use crate::support::libreoffice::recalc_and_compare;
use crate::support::xlsx::{
    at, find_row, formulas, headers, number_or_date, part, part_names, values,
};

fn build() -> Vec<u8> {
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    build_run_workbook(&report(&plan, &result, &quality)).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn sheets_come_in_reading_order() {
    let bytes = build();
    let book = support::xlsx::open(&bytes);
    use calamine::Reader;
    assert_eq!(
        book.sheet_names(),
        vec![
            "Dashboard",
            "Recommendations",
            "Channels",
            "Metrics",
            "Assumptions",
            "Data Quality",
            "Provenance"
        ]
    );
}

#[test]
fn channel_values_match_hand_computation() {
    let bytes = build();
    let sheet = values(&bytes, "Channels");
    // Header row, then channels in key order: Direct, Online, partner.
    let header: Vec<String> = (0..14).map(|c| at(&sheet, 0, c).to_string()).collect();
    assert_eq!(
        header,
        [
            "channel",
            "deals",
            "won",
            "closed",
            "win_rate",
            "revenue",
            "avg_won",
            "cycle",
            "cost",
            "roi",
            "share",
            "on_target",
            "last_close",
            "tier"
        ]
    );
    assert_eq!(at(&sheet, 1, 0), Data::String("Direct".into()));
    assert_eq!(at(&sheet, 2, 0), Data::String("Online".into()));
    assert_eq!(at(&sheet, 3, 0), Data::String("partner".into()));
    let col = |c: u32| -> Vec<Data> { (1..=3).map(|r| at(&sheet, r, c)).collect() };
    assert_eq!(
        col(1).iter().map(number_or_date).collect::<Vec<_>>(),
        [3.0, 2.0, 3.0]
    );
    assert_eq!(
        col(2).iter().map(number_or_date).collect::<Vec<_>>(),
        [1.0, 0.0, 2.0]
    );
    // win rate: Direct 1 of 2 closed, Online 0 of 2, partner 2 of 3.
    let win = col(4).iter().map(number_or_date).collect::<Vec<_>>();
    assert!(
        close(win[0], 0.5) && close(win[1], 0.0) && close(win[2], 2.0 / 3.0),
        "{win:?}"
    );
    assert_eq!(
        col(5).iter().map(number_or_date).collect::<Vec<_>>(),
        [100.0, 0.0, 500.0]
    );
    // avg_won: Online won nothing → #DIV/0! stored as a real Excel error.
    assert_eq!(at(&sheet, 2, 6), Data::Error(CellErrorType::Div0));
    assert!(close(number_or_date(&at(&sheet, 3, 6)), 250.0));
    // cycle (a group aggregate, written as a value): Direct 30 days; partner (60 + 20) / 2.
    assert!(close(number_or_date(&at(&sheet, 1, 7)), 30.0));
    assert_eq!(at(&sheet, 2, 7), Data::Error(CellErrorType::Div0));
    assert!(close(number_or_date(&at(&sheet, 3, 7)), 40.0));
    // roi = (revenue * 50% - cost) / cost: Direct (50 - 60) / 60; Online has no cost.
    assert!(close(number_or_date(&at(&sheet, 1, 9)), -10.0 / 60.0));
    assert_eq!(at(&sheet, 2, 9), Data::Error(CellErrorType::Div0));
    assert!(close(number_or_date(&at(&sheet, 3, 9)), 1.5));
    assert!(close(number_or_date(&at(&sheet, 3, 10)), 500.0 / 600.0));
    assert_eq!(
        col(11),
        [Data::Bool(true), Data::Bool(false), Data::Bool(true)]
    );
    // last close: Direct 2026-02-04 = serial 46057 (2026-01-01 is 46023).
    assert!(close(number_or_date(&at(&sheet, 1, 12)), 46023.0 + 34.0));
    assert_eq!(
        col(13),
        [
            Data::String("B".into()),
            Data::String("B".into()),
            Data::String("A".into())
        ]
    );
}

#[test]
fn same_row_formulas_are_live_and_group_aggregates_are_values() {
    let bytes = build();
    let f = formulas(&bytes, "Channels");
    let cell = |row: u32, column: u32| f.get_value((row, column)).cloned().unwrap_or_default();
    assert_eq!(cell(1, 4), "IFERROR(C2/D2,0)");
    assert_eq!(cell(2, 6), "F3/C3");
    // margin is the first listed param: Assumptions row 5; target_win_rate (a default) row 6.
    assert_eq!(cell(1, 9), "(F2*'Assumptions'!$B$5-I2)/I2");
    assert_eq!(cell(3, 10), "F4/SUM($F$2:$F$4)");
    assert_eq!(cell(1, 11), "AND(E2>='Assumptions'!$B$6,C2>0)");
    assert_eq!(cell(3, 13), "IF(F4>200,\"A\",\"B\")");
    // Aggregates over the source rows cannot be recomputed from this sheet.
    assert_eq!(cell(1, 1), "");
    assert_eq!(cell(1, 7), "");
    let metrics = formulas(&bytes, "Metrics");
    let m = |row: u32| metrics.get_value((row, 1)).cloned().unwrap_or_default();
    assert_eq!(m(4), "SUM('Channels'!$F$2:$F$4)");
    assert_eq!(
        m(6),
        "('Metrics'!$B$5*'Assumptions'!$B$5-'Metrics'!$B$6)/'Metrics'!$B$6"
    );
    let metric_values = values(&bytes, "Metrics");
    assert!(close(number_or_date(&at(&metric_values, 4, 1)), 600.0));
    assert!(close(
        number_or_date(&at(&metric_values, 6, 1)),
        (300.0 - 160.0) / 160.0
    ));
}

#[test]
fn assumptions_recommendations_quality_and_provenance_are_listed() {
    let bytes = build();
    let assumptions = values(&bytes, "Assumptions");
    assert_eq!(at(&assumptions, 4, 0), Data::String("margin".into()));
    assert!(close(number_or_date(&at(&assumptions, 4, 1)), 0.5));
    assert_eq!(
        at(&assumptions, 4, 2),
        Data::String("scenarios/base.toml".into())
    );
    assert_eq!(
        at(&assumptions, 5, 0),
        Data::String("target_win_rate".into())
    );
    assert_eq!(at(&assumptions, 5, 2), Data::String("default".into()));

    // Only Online's win rate (0 of 2) is below half.
    let recommendations = values(&bytes, "Recommendations");
    assert_eq!(at(&recommendations, 4, 2), Data::String("Online".into()));
    assert_eq!(
        at(&recommendations, 4, 3),
        Data::String("Online: win rate 0% is below half — tighten qualification".into())
    );
    assert_eq!(at(&recommendations, 5, 2), Data::Empty);
    // The subject links to Online's row (the second channel, row 3) on Channels.
    let xml = part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(
        xml.contains("<hyperlink ref=\"C5\" location=\"'Channels'!A3\""),
        "{xml}"
    );

    let quality = values(&bytes, "Data Quality");
    let row = find_row(&quality, 0, "Opportunities").unwrap();
    assert_eq!(number_or_date(&at(&quality, row, 1)), 9.0);
    assert_eq!(number_or_date(&at(&quality, row, 3)), 1.0);
    let cell_row = find_row(&quality, 2, "Opportunities!H9").unwrap();
    assert_eq!(at(&quality, cell_row, 4), Data::String("$1,234".into()));

    let provenance = values(&bytes, "Provenance");
    let row = find_row(&provenance, 1, "rules/test.rules").unwrap();
    assert_eq!(at(&provenance, row, 2), Data::String("ab".repeat(32)));
    assert_eq!(number_or_date(&at(&provenance, row, 3)), 1234.0);
    let as_of = find_row(&provenance, 0, "As of").unwrap();
    assert_eq!(at(&provenance, as_of, 1), Data::String("2026-06-30".into()));
}

#[test]
fn dashboard_has_kpi_tiles_and_native_charts() {
    let bytes = build();
    let dashboard = values(&bytes, "Dashboard");
    assert_eq!(
        at(&dashboard, 0, 1),
        Data::String("Channel performance".into())
    );
    // Tiles: label row 5, value row 6 (one-based), three columns each from B.
    assert_eq!(at(&dashboard, 4, 1), Data::String("Total revenue".into()));
    assert!(close(number_or_date(&at(&dashboard, 5, 1)), 600.0));
    assert_eq!(at(&dashboard, 4, 4), Data::String("Portfolio ROI".into()));
    assert!(close(number_or_date(&at(&dashboard, 5, 4)), 0.875));
    let links = formulas(&bytes, "Dashboard");
    assert_eq!(
        links.get_value((5, 1)).cloned().unwrap_or_default(),
        "'Metrics'!$B$5"
    );
    // Under the revenue tile, its change against total cost (kpi_comparisons):
    // 600 / 160 − 1 = 2.75, a live formula over the two Metrics cells.
    assert!(close(number_or_date(&at(&dashboard, 6, 1)), 2.75));
    let comparison = links.get_value((6, 1)).cloned().unwrap_or_default();
    assert!(
        comparison.contains("'Metrics'!$B$5/'Metrics'!$B$6-1"),
        "{comparison}"
    );
    // The ROI tile has no comparison.
    assert_eq!(at(&dashboard, 6, 4), Data::Empty);

    let parts = part_names(&bytes);
    assert!(
        parts.contains(&"xl/charts/chart1.xml".to_string()),
        "{parts:?}"
    );
    assert!(
        parts.contains(&"xl/charts/chart2.xml".to_string()),
        "{parts:?}"
    );
    assert!(!parts.contains(&"xl/charts/chart3.xml".to_string()));
    let combo = part(&bytes, "xl/charts/chart1.xml");
    assert!(
        combo.contains("<c:barChart>") && combo.contains("<c:lineChart>"),
        "column + secondary line"
    );
    assert!(
        combo.contains("'Channels'!$F$2:$F$4") || combo.contains("Channels!$F$2:$F$4"),
        "revenue values"
    );
    assert!(combo.contains("Channels!$J$2:$J$4"), "roi values");
    assert!(part(&bytes, "xl/charts/chart2.xml").contains("<c:pieChart>"));
}

#[test]
fn number_formats_filters_panes_and_conditional_formats_are_present() {
    let bytes = build();
    let styles = part(&bytes, "xl/styles.xml");
    for code in ["0.0%", "$#,##0", "#,##0", "#,##0.00", "yyyy-mm-dd"] {
        assert!(
            styles.contains(&format!("formatCode=\"{code}\"")),
            "missing number format {code}"
        );
    }
    // Channels is the third sheet.
    let sheet = part(&bytes, "xl/worksheets/sheet3.xml");
    assert!(
        sheet.contains("<autoFilter ref=\"A1:N4\""),
        "autofilter over header and 3 rows"
    );
    assert!(sheet.contains("state=\"frozen\""));
    assert!(sheet.contains("<dataBar>"), "data bars on currency columns");
    // Colour scales only where the rules say which end is good: green high for
    // win_rate and roi, green low for cycle; none on share (a neutral percent).
    let scales: Vec<&str> = sheet
        .split("<colorScale>")
        .skip(1)
        .map(|s| s.split("</colorScale>").next().unwrap())
        .collect();
    let first_colors: Vec<&str> = scales
        .iter()
        .map(|s| &s[s.find("<color rgb=\"").unwrap() + 12..][..8])
        .collect();
    let mut first_colors = first_colors;
    first_colors.sort_unstable();
    assert_eq!(
        first_colors,
        ["FF63BE7B", "FFF8696B", "FFF8696B"],
        "{scales:?}"
    );
    assert_eq!(
        sheet.matches("<iconSet iconSet=\"3Arrows\"").count(),
        1,
        "arrows on roi"
    );
}

#[test]
fn same_inputs_give_identical_bytes() {
    assert_eq!(build(), build());
}

#[test]
fn libreoffice_recomputes_every_formula_to_our_cached_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.xlsx");
    std::fs::write(&path, build()).unwrap();
    let report = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if report.skipped.is_none() {
        // 6 translated Channels columns × 3 rows, the #DIV/0! written into the cycle
        // column, 3 metrics, 2 KPI tiles and the revenue tile's comparison.
        assert_eq!(report.formulas_checked, 6 * 3 + 1 + 3 + 2 + 1, "{report:?}");
        // Online's avg_won, cycle and roi.
        assert_eq!(report.intended_errors, 3, "{report:?}");
    }
}

#[test]
fn writing_refuses_to_overwrite_an_input_and_writes_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crm.xlsx");
    std::fs::write(&input, b"original input").unwrap();
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    let mut report = report(&plan, &result, &quality);
    report.provenance = provenance(vec![FileHash::of_file(&input).unwrap()]);
    // `printf 'original input' | sha256sum`
    assert_eq!(
        report.provenance.input_files[0].sha256,
        "f8fd1168a69398d64b6108eca26054bbf7e721235fadf996524a980fa947bbf1"
    );
    assert_eq!(report.provenance.input_files[0].bytes, 14);

    let sneaky = dir.path().join("sub").join("..").join("crm.xlsx");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let err = write_run_workbook(&report, &sneaky).unwrap_err();
    assert!(
        matches!(err, ReportError::WouldOverwriteInput { .. }),
        "{err}"
    );
    assert_eq!(std::fs::read(&input).unwrap(), b"original input");

    let out = dir.path().join("out.xlsx");
    write_run_workbook(&report, &out).unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        build_run_workbook(&report).unwrap()
    );
}

#[test]
fn unknown_dashboard_names_are_reported_with_a_suggestion() {
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    let mut bad = report(&plan, &result, &quality);
    bad.dashboard.kpis = vec!["total_revenu".into()];
    let err = build_run_workbook(&bad).unwrap_err().to_string();
    assert!(err.contains("did you mean `total_revenue`"), "{err}");
    let mut bad = report(&plan, &result, &quality);
    bad.dashboard.charts[0].series = vec!["revenu".into()];
    let err = build_run_workbook(&bad).unwrap_err().to_string();
    assert!(
        err.contains("no column `revenu`") && err.contains("`revenue`"),
        "{err}"
    );
}

#[test]
fn the_libreoffice_check_catches_wrong_cached_values_and_unknown_functions() {
    use rust_xlsxwriter::{Formula, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_formula(0, 0, Formula::new("1+1").set_result("3"))
        .unwrap();
    sheet
        .write_formula(1, 0, Formula::new("NOSUCHFUNCTION(1)").set_result("1"))
        .unwrap();
    workbook.save(&path).unwrap();
    match recalc_and_compare(&path) {
        Ok(report) => assert!(
            report.skipped.is_some(),
            "a wrong workbook passed: {report:?}"
        ),
        Err(problems) => {
            assert!(
                problems.contains("(c) Sheet1!A1 =1+1: cached Float(3.0), LibreOffice Float(2.0)"),
                "{problems}"
            );
            assert!(problems.contains("Sheet1!A2"), "{problems}");
        }
    }
}

#[test]
fn a_two_key_table_is_charted_from_a_live_pivot() {
    use chanmix::report::{ChartKind, ChartSpec};
    let rules = format!(
        "{RULES}\ntable StageChannel = group Opportunities by stage, channel\nStageChannel.amount = SUM(Opportunities.amount) @currency\n"
    );
    let plan = compile(&rules);
    let result = run(&plan, &[]);
    let quality = quality();
    let mut report = report(&plan, &result, &quality);
    report.dashboard.charts = vec![ChartSpec {
        title: "Amount by stage and channel".into(),
        table: "StageChannel".into(),
        kind: ChartKind::Column,
        series: vec!["amount".into()],
        secondary: vec![],
        category: None,
    }];
    let bytes = build_run_workbook(&report).unwrap();
    let pivot = values(&bytes, "Chart Data");
    // Channels across in first-seen order (Partner and partner are one), stages down.
    let header = find_row(&pivot, 0, "Stage").unwrap();
    let across: Vec<Data> = (1..=3).map(|c| at(&pivot, header, c)).collect();
    assert_eq!(
        across,
        ["Direct", "Online", "Partner"].map(|s| Data::String(s.into()))
    );
    // Sums of the fixture amounts by hand: lost 50 / 5 + 15 / 10, won 100 / – / 200 + 300,
    // prospecting 70 / – / –.
    let expect = [
        ("Closed Lost", [50.0, 20.0, 10.0]),
        ("Closed Won", [100.0, 0.0, 500.0]),
        ("Prospecting", [70.0, 0.0, 0.0]),
    ];
    for (stage, amounts) in expect {
        let row = find_row(&pivot, 0, stage).unwrap();
        let got: Vec<f64> = (1..=3)
            .map(|c| number_or_date(&at(&pivot, row, c)))
            .collect();
        assert_eq!(got, amounts, "{stage}");
    }
    let won = find_row(&pivot, 0, "Closed Won").unwrap();
    let f = formulas(&bytes, "Chart Data");
    assert_eq!(
        f.get_value((won, 3)).cloned().unwrap_or_default(),
        format!(
            "SUMIFS('StageChannel'!$C$2:$C$7,'StageChannel'!$A$2:$A$7,$A{},'StageChannel'!$B$2:$B$7,D${})",
            won + 1,
            header + 1
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pivot.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn every_computed_number_carries_its_definition() {
    let bytes = build();
    // Header notes on the Channels sheet (the only sheet with notes).
    let notes = part(&bytes, "xl/comments1.xml");
    assert!(
        notes.contains("revenue = SUM(Opportunities.amount where is_won)"),
        "{notes}"
    );
    assert!(
        notes.contains("computed by chanmix from the source rows")
            || notes.contains("Computed by chanmix from the source rows")
    );
    assert!(notes.contains("win_rate = IFERROR(won / closed, 0)"));
    assert!(notes.contains("Each cell is a live Excel formula."));
    assert!(notes.contains("One row per distinct Opportunities.channel."));
    let metrics = values(&bytes, "Metrics");
    assert_eq!(at(&metrics, 3, 2), Data::String("Definition".into()));
    assert_eq!(
        at(&metrics, 6, 2),
        Data::String("(total_revenue * margin - total_cost) / total_cost".into())
    );
}

#[test]
fn a_dashboard_without_chosen_charts_still_shows_one() {
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    let mut report = report(&plan, &result, &quality);
    report.dashboard.charts.clear();
    report.dashboard.kpis.clear();
    let bytes = build_run_workbook(&report).unwrap();
    // The first currency column (revenue) with the first percent column (win_rate).
    let chart = part(&bytes, "xl/charts/chart1.xml");
    assert!(chart.contains("Revenue and win rate by channel"), "{chart}");
    assert!(!part_names(&bytes).contains(&"xl/charts/chart2.xml".to_string()));
    // Without chosen KPIs the tiles show the scalars in rule order.
    let dashboard = values(&bytes, "Dashboard");
    assert_eq!(at(&dashboard, 4, 1), Data::String("Total revenue".into()));
    assert_eq!(at(&dashboard, 4, 4), Data::String("Total cost".into()));
    assert_eq!(at(&dashboard, 4, 7), Data::String("Portfolio ROI".into()));
}

#[cfg(unix)]
#[test]
fn written_workbooks_are_readable_like_any_file() {
    use std::os::unix::fs::PermissionsExt;
    let plan = compile(RULES);
    let result = run(&plan, &[]);
    let quality = quality();
    let report = report(&plan, &result, &quality);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.xlsx");
    write_run_workbook(&report, &out).unwrap();
    let umask = std::process::Command::new("sh")
        .args(["-c", "umask"])
        .output()
        .unwrap();
    let umask = u32::from_str_radix(String::from_utf8_lossy(&umask.stdout).trim(), 8).unwrap();
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644 & !umask);
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn every_excel_error_value_survives_as_an_error_cell() {
    use calamine::CellErrorType as E;
    // Constant errors become live formulas; behind a group aggregate they are values.
    let rules = format!(
        "{RULES}
Channels.e_null  = #NULL!
Channels.e_div   = #DIV/0!
Channels.e_value = #VALUE!
Channels.e_ref   = #REF!
Channels.e_name  = #NAME?
Channels.e_num   = #NUM!
Channels.e_na    = IF(COUNT(Opportunities) > 0, #N/A, 0)
"
    );
    let plan = compile(&rules);
    let result = run(&plan, &[]);
    let quality = quality();
    let bytes = build_run_workbook(&report(&plan, &result, &quality)).unwrap();
    let sheet = values(&bytes, "Channels");
    let expected = [
        ("e_null", E::Null),
        ("e_div", E::Div0),
        ("e_value", E::Value),
        ("e_ref", E::Ref),
        ("e_name", E::Name),
        ("e_num", E::Num),
        ("e_na", E::NA),
    ];
    for (name, kind) in expected {
        let column = (0..40)
            .find(|c| at(&sheet, 0, *c) == Data::String(name.into()))
            .unwrap();
        for row in 1..=3 {
            assert_eq!(
                at(&sheet, row, column),
                Data::Error(kind.clone()),
                "{name} row {row}"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("errors.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let check = recalc_and_compare(&path).unwrap_or_else(|e| panic!("{e}"));
    if check.skipped.is_none() {
        // Online's three from the base rules, plus 7 kinds × 3 channels.
        assert_eq!(check.intended_errors, 3 + 7 * 3, "{check:?}");
    }
}

#[test]
fn readable_headers_are_words_and_the_rule_names_stay_in_the_notes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deals.csv"),
        "region,amount,won\nEast,100,TRUE\nEast,50,FALSE\nWest,80,TRUE\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.rules"),
        "input Deals (region: text, amount: number, won: bool)\n\
         table Regions = group Deals by region\n\
         Regions.won_revenue = SUM(Deals.amount where won)\n\
         Regions.roi = won_revenue / 100 - 1\n",
    )
    .unwrap();
    let scenario = |headers: &str| {
        format!(
            "name = \"h\"\nrules = [\"r.rules\"]\n[inputs.tables.Deals]\nfile = \"deals.csv\"\n\
             [output]\n{headers}\n"
        )
    };
    let header_row = |toml: &str, out: &str| {
        std::fs::write(dir.path().join("h.toml"), toml).unwrap();
        support::command::Chanmix::new()
            .current_dir(dir.path())
            .args(["run", "h.toml", "-o", out])
            .success();
        let bytes = std::fs::read(dir.path().join(out)).unwrap();
        let range = values(&bytes, "Regions");
        let header: Vec<String> = headers(&range);
        let comments = part_names(&bytes)
            .into_iter()
            .filter(|p| p.contains("comments"))
            .map(|p| part(&bytes, &p))
            .collect::<String>();
        (header, comments)
    };
    let (readable, notes) = header_row(&scenario("headers = \"readable\""), "readable.xlsx");
    assert_eq!(readable, ["Region", "Won revenue", "ROI"]);
    for name in ["`region`", "`won_revenue`", "`roi`"] {
        assert!(
            notes.contains(name),
            "{name} missing from the notes: {notes}"
        );
    }
    let (names, _) = header_row(&scenario(""), "names.xlsx");
    assert_eq!(names, ["region", "won_revenue", "roi"]);

    // An unknown style is a scenario error naming the choices.
    std::fs::write(dir.path().join("h.toml"), scenario("headers = \"pretty\"")).unwrap();
    let failed = support::command::Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "h.toml"])
        .output();
    assert_ne!(failed.code(), Some(0));
    assert!(failed.stderr.contains("readable"), "{}", failed.stderr);
}
