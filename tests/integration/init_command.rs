//! `chanmix init --from EXPORT` (#17): a new user's first scenario from their own
//! export in one command. Each case copies the shipped rule library into a temp
//! folder (the default `--library` is ./rules), runs `init` there, and checks what it
//! printed and wrote, that `chanmix check` accepts the result, and that it runs.

use std::path::Path;

use crate::support::command::Chanmix;
use crate::support::repo;

/// A temp folder with a copy of the shipped library in `rules/`.
fn with_library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    // The rules and the scripts they load (`rules/plans/*.rhai`).
    for folder in ["rules", "rules/plans"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_file() {
                continue;
            }
            std::fs::copy(
                &path,
                dir.path().join(folder).join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The row of `run --json`'s Channels table whose channel the test picks.
fn channel_row(json: &serde_json::Value, pick: impl Fn(&str) -> bool) -> serde_json::Value {
    json["tables"]["Channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"].as_str().is_some_and(&pick))
        .unwrap()
        .clone()
}

fn copy_new_user_export(dir: &Path) {
    for name in ["sales_pipeline.csv", "products.csv", "sales_teams.csv"] {
        let from = repo().join("tests/fixtures/new_user/export").join(name);
        write(
            dir,
            &format!("export/{name}"),
            &std::fs::read_to_string(from).unwrap(),
        );
    }
}

#[test]
fn init_maps_a_folder_of_csvs_and_reports_what_it_could_not() {
    let dir = with_library();
    copy_new_user_export(dir.path());
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from", "export", "--out", "proj"])
        .success();
    // sales_pipeline.csv is the library's Opportunities (its name, and 7 of its 10
    // columns under usual CRM spellings); products.csv and sales_teams.csv are tables of
    // their own. The library's other tables are written as empty CSV files to fill, and
    // the text columns the export lacks are filled with one value, so every rule file
    // runs; the stage is Won/Lost, so the won and lost stage params are set.
    insta::assert_snapshot!("init_csv_folder_output", ran.stdout);
    let scenario = std::fs::read_to_string(dir.path().join("proj/scenario.toml")).unwrap();
    let inputs = std::fs::read_to_string(dir.path().join("proj/inputs.rules")).unwrap();
    insta::assert_snapshot!("init_csv_folder_scenario", scenario);
    insta::assert_snapshot!("init_csv_folder_inputs", inputs);
    let checked = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "proj/scenario.toml"])
        .success();
    assert!(
        checked.stderr.contains("no problems found"),
        "{}",
        checked.stderr
    );
    assert!(
        std::fs::read_to_string(dir.path().join("proj/Costs.csv")).unwrap()
            == "month,channel,cost_type,amount\n"
    );
    // It runs, and says what went wrong in the data: D005's "N/A" amount.
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache", "--json"])
        .success();
    assert!(
        ran.stderr
            .contains("problem: Opportunities.amount: 1 cell could not be read as a number"),
        "{}",
        ran.stderr
    );
    // By hand: as_of is the export's latest date, 2017-04-02, so the period is April
    // 2016 – March 2017. Direct ("direct " trimmed, one group whatever the case) won
    // D001 (4800) and D004 (550) and lost D002 in it: 2 of 3, 5350 booked. No costs in
    // the export: its cost figures are blank, not 0.
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let direct = channel_row(&json, |c| c.eq_ignore_ascii_case("direct"));
    assert!((direct["win_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(direct["revenue"].as_f64().unwrap(), 5350.0);
    for column in ["direct_cost", "cac_new_customer", "roi", "payback_months"] {
        assert_eq!(direct[column], "", "{column}");
    }
    assert_eq!(json["scalars"]["total_cost"], "");
}

#[test]
fn init_picks_the_library_files_that_run_and_names_values_the_rules_never_see() {
    let dir = with_library();
    write(
        dir.path(),
        "crm/Opportunities.csv",
        "Opportunity ID,Account Name,Sales Channel,Deal Stage,Amount,Created Date,Close Date\n\
         O-1,Acme,Direct,Won,1000,2026-01-05,2026-02-01\n\
         O-2,Beta,Partner,Lost,500,2026-01-10,2026-03-01\n\
         O-3,Acme,Direct,Open,700,2026-02-01,\n",
    );
    write(
        dir.path(),
        "crm/Costs.csv",
        "Month,Channel,Cost Type,Amount\n2026-01-01,Direct,Programs,300\n2026-01-01,Partner,Programs,200\n",
    );
    write(
        dir.path(),
        "crm/Renewals.csv",
        "Account ID,Channel,Renewal Date,ARR,Renewed\nAcme,Direct,2026-02-01,1000,yes\n",
    );
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from", "crm", "--out", "proj"])
        .success();
    // The library's stage params say "Closed Won" and "Closed Lost"; this export says
    // Won, Lost and Open: init sets the params to its spelling, and says so.
    insta::assert_snapshot!("init_library_files_output", ran.stdout);
    let scenario = std::fs::read_to_string(dir.path().join("proj/scenario.toml")).unwrap();
    let scenario: toml::Table = scenario.parse().unwrap();
    assert_eq!(scenario["params"]["won_stage"].as_str(), Some("Won"));
    assert_eq!(scenario["params"]["lost_stage"].as_str(), Some("Lost"));
    Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "proj/scenario.toml"])
        .success();
    // By hand: as_of 2026-03-01 (the latest date) is not a month end, so the period
    // ends 2026-02-28 and starts 2025-03-01. Direct won O-1 (1000) in it; O-2's loss
    // (2026-03-01) is after it. Direct's cost in the period: 300 (January); Acme is a
    // new customer (first win 2026-02-01): CAC 300. Partner won and lost nothing in it.
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache", "--json"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let row = |channel: &str| {
        json["tables"]["Channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == channel)
            .unwrap()
            .clone()
    };
    let direct = row("Direct");
    assert_eq!(direct["won"].as_f64(), Some(1.0));
    assert_eq!(direct["lost"].as_f64(), Some(0.0));
    assert_eq!(direct["win_rate"].as_f64(), Some(1.0));
    assert_eq!(direct["revenue"].as_f64(), Some(1000.0));
    assert_eq!(direct["direct_cost"].as_f64(), Some(300.0));
    assert_eq!(direct["cac_new_customer"].as_f64(), Some(300.0));
    let partner = row("Partner");
    assert_eq!(partner["win_rate"], "");
    assert_eq!(partner["direct_cost"].as_f64(), Some(200.0));
}

#[test]
fn init_from_the_sample_workbook_gives_the_base_scenarios_numbers() {
    let dir = with_library();
    let sample = repo().join("scenarios/data/crm_sample.xlsx");
    Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from"])
        .arg(&sample)
        .args(["--out", "proj"])
        .success();
    // The base scenario's params (a reporting period, overhead) join the mapped one, so
    // both run the same plan on the same data.
    let base_text = std::fs::read_to_string(repo().join("scenarios/base.toml")).unwrap();
    let base_toml: toml::Table = base_text.parse().unwrap();
    let params = toml::Table::from_iter([("params".to_string(), base_toml["params"].clone())]);
    let scenario = dir.path().join("proj/scenario.toml");
    let mut mapped_text = std::fs::read_to_string(&scenario).unwrap();
    mapped_text.push_str(&format!("\n{}", toml::to_string(&params).unwrap()));
    std::fs::write(&scenario, mapped_text).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--json", "--no-cache"])
        .success();
    assert!(
        // Notes (lookups the rules answer with their own fallback) may be printed;
        // a problem of the data may not.
        !ran.stderr.contains("  problem: "),
        "{}",
        ran.stderr
    );
    let mapped: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    // The hand-written base scenario maps the same sample onto the same library (with
    // its params, and its as_of is the sample's last day, which init takes as the
    // export's latest date): the numbers must be the same.
    let base = Chanmix::new()
        .args(["run", "scenarios/base.toml", "--json", "--no-cache", "-o"])
        .arg(dir.path().join("base.xlsx"))
        .success();
    let base: serde_json::Value = serde_json::from_str(&base.stdout).unwrap();
    assert_eq!(mapped["scalars"], base["scalars"]);
    assert_eq!(mapped["tables"]["Channels"], base["tables"]["Channels"]);
}

#[test]
fn init_refuses_to_guess_dates_that_read_both_ways() {
    let dir = with_library();
    write(
        dir.path(),
        "export/deals.csv",
        "id,closed,amount\nA,03/01/2026,10\nB,04/02/2026,20\n",
    );
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from", "export/deals.csv", "--out", "proj"])
        .success();
    let line = ran
        .stdout
        .lines()
        .find(|l| l.contains("not settled"))
        .unwrap_or_default();
    insta::assert_snapshot!("init_ambiguous_dates_line", line);
    let scenario = std::fs::read_to_string(dir.path().join("proj/scenario.toml")).unwrap();
    assert!(
        scenario.contains("# date_formats = { close_date = \"%d/%m/%Y\" }"),
        "{scenario}"
    );
    // `check` accepts it (it reads no data); `run` stops at the table's line until the
    // layout is said.
    Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "proj/scenario.toml"])
        .success();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache"])
        .status(1);
    assert!(ran.stderr.contains("[S0031]"), "{}", ran.stderr);
    assert!(ran.stderr.contains("read both ways"), "{}", ran.stderr);
}

#[test]
fn init_does_not_overwrite_a_scenario_without_force() {
    let dir = with_library();
    copy_new_user_export(dir.path());
    let init = || {
        Chanmix::new()
            .current_dir(dir.path())
            .args(["init", "--from", "export", "--out", "proj"])
    };
    init().success();
    let ran = init().status(1);
    insta::assert_snapshot!("init_would_overwrite", ran.stderr);
    init().arg("--force").success();
}

/// An export with no deal or account identifier (a HubSpot-style deals list without
/// "Record ID" or "Associated Company"): `init` numbers them row by row, never one
/// text for every row (which would make every deal one deal of one customer), and
/// warns what that means for the figures.
#[test]
fn init_numbers_the_identifiers_an_export_lacks() {
    let dir = with_library();
    write(
        dir.path(),
        "export/deals.csv",
        "Deal Name,Deal Stage,Amount,Create Date,Close Date,Sales Channel,Region\n\
         Acme,closedwon,1000,2025-01-10,2025-02-10,Direct,EMEA\n\
         Beta,closedwon,2000,2025-01-15,2025-03-01,Partner,EMEA\n\
         Gamma,closedlost,500,2025-02-01,2025-03-15,Direct,NA\n\
         Delta,closedwon,1500,2025-02-20,2025-03-20,Direct,NA\n\
         Epsilon,appointmentscheduled,800,2025-04-05,,Partner,NA\n",
    );
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from", "export", "--out", "proj"])
        .success();
    for column in ["opp_id", "account_id"] {
        assert!(
            ran.stdout.contains(&format!(
                "warning: Opportunities.{column} is not in the export: row n reads \"n\""
            )),
            "{}",
            ran.stdout
        );
    }
    let scenario = std::fs::read_to_string(dir.path().join("proj/scenario.toml")).unwrap();
    assert!(
        scenario.contains("row_numbers = [\"opp_id\", \"account_id\"]"),
        "{scenario}"
    );
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache", "--json"])
        .success();
    assert!(
        ran.stderr
            .contains("Opportunities.account_id: not in the export: row n of the table is \"n\""),
        "{}",
        ran.stderr
    );
    // By hand: as_of is the latest date, 2025-04-05, so the period is April 2024 –
    // March 2025. Direct won Acme and Delta and lost Gamma; Partner won Beta. Each deal
    // is an account of its own, so Direct has 2 new customers and Partner 1 (one text
    // for every row would have made them one customer, first won by Direct), and no
    // account is worked by two channels.
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let channel = |name: &str| channel_row(&json, |c| c == name);
    assert_eq!(channel("Direct")["new_customers"], 2.0);
    assert_eq!(channel("Partner")["new_customers"], 1.0);
    assert!((channel("Direct")["win_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(json["scalars"]["multi_channel_accounts"], 0.0);
}

/// A Pipedrive-style export: `Deal - Stage` is the pipeline step and `Deal - Status`
/// says won or lost. `init` maps `stage` onto the header whose values hold what the
/// rules look for (the won and lost stages), keeps the other under its own name, and
/// sets the params to the export's spelling.
#[test]
fn init_maps_stage_onto_the_column_that_says_won_or_lost() {
    let dir = with_library();
    write(
        dir.path(),
        "export/deals.csv",
        "Deal - ID,Deal - Title,Deal - Value,Deal - Organization,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Deal closed on,Deal - Channel\n\
         1,Acme,1000,Acme Ltd,Negotiation,won,2025-01-10,2025-02-10,Direct\n\
         2,Beta,2000,Beta Inc,Proposal,won,2025-01-15,2025-03-01,Partner\n\
         3,Gamma,500,Acme Ltd,Qualified,lost,2025-02-01,2025-03-15,Partner\n\
         4,Delta,1500,Delta Co,Negotiation,won,2025-02-20,2025-03-20,Direct\n\
         5,Eps,800,Beta Inc,Qualified,open,2025-04-05,,Direct\n",
    );
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["init", "--from", "export", "--out", "proj"])
        .success();
    assert!(
        ran.stdout.contains(
            "Opportunities.stage: took 'Deal - Status', not 'Deal - Stage': its values say what the rules look for"
        ),
        "{}",
        ran.stdout
    );
    let scenario = std::fs::read_to_string(dir.path().join("proj/scenario.toml")).unwrap();
    for line in [
        "\"Deal - Status\" = \"stage\"",
        "\"Deal - Stage\" = \"deal_stage\"",
        "won_stage = \"won\"",
        "lost_stage = \"lost\"",
    ] {
        assert!(scenario.contains(line), "{line}: {scenario}");
    }
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache", "--json"])
        .success();
    // By hand: as_of 2025-04-05, period April 2024 – March 2025. Direct won deals 1
    // and 4 (2500) and lost none; Partner won 2 and lost 3. Acme Ltd (Direct, Partner)
    // and Beta Inc (Partner, Direct) are each worked by two channels.
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let channel = |name: &str| channel_row(&json, |c| c == name);
    assert_eq!(channel("Direct")["win_rate"], 1.0);
    assert_eq!(channel("Direct")["revenue"], 2500.0);
    assert_eq!(channel("Partner")["win_rate"], 0.5);
    assert_eq!(json["scalars"]["multi_channel_accounts"], 2.0);
}
