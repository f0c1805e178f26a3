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
    // their own. No library rule file runs without a Costs table.
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
    // It runs, and says what went wrong in the data: D005's "N/A" amount.
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "proj/scenario.toml", "--no-cache"])
        .success();
    assert!(
        ran.stderr
            .contains("problem: Opportunities.amount: 1 cell could not be read as a number"),
        "{}",
        ran.stderr
    );
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
    // The library compares stage with "Closed Won" and "Closed Lost"; this export says
    // Won, Lost and Open, so those rules would count nothing: said, not left silent.
    insta::assert_snapshot!("init_library_files_output", ran.stdout);
    Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "proj/scenario.toml"])
        .success();
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
