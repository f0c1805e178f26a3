//! The input cache: a warm read returns exactly what a cold read returns, any change to
//! an input's bytes or to the reading settings is a miss, a damaged entry is a miss with
//! the right result, and the CLI's `--no-cache`, `cache info` and `cache clear` do what
//! they say. Every test uses its own cache folder, never the user's.

// Test helpers outside #[test] fns fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use chanmix::data::{CacheUse, InputCache, InputData, InputsSpec, read_inputs};
use chanmix::value::Value;

use crate::support::command::{Chanmix, Ran};
use crate::support::{DIRTY_OPPORTUNITIES, fixture_data, repo, spec};

/// The dirty fixtures together: errors with kinds, blanks, booleans, dates, repaired
/// cells, a split sheet with a header below a title, a European CSV, an `any` column,
/// and a data-quality log with entries and counts.
fn dirty() -> InputsSpec {
    spec(&format!(
        r#"{DIRTY_OPPORTUNITIES}
    [tables.Leads]
    file = "dirty_leads_split.xlsx"
    sheet_pattern = "Leads*"
    header_row = 3
    key = "lead_id"
    columns = {{ lead_id = "text", channel = "text", created_date = "date", stage_reached = "any" }}
    [tables.Costs]
    file = "dirty_costs_eu.csv"
    columns = {{ month = "date", channel = "text", amount = "number" }}
"#
    ))
}

/// Asserts two reads returned the same tables, log and file identities.
fn assert_same(warm: &InputData, cold: &InputData) {
    assert_eq!(warm.tables, cold.tables);
    assert_eq!(warm.quality, cold.quality);
    assert_eq!(warm.files, cold.files);
    // `Value`'s equality compares error kinds only: the origins must survive too.
    for (w, c) in warm.tables.iter().zip(&cold.tables) {
        for (wc, cc) in w.columns.iter().zip(&c.columns) {
            assert_eq!(wc.ty, cc.ty);
            for (wv, cv) in wc.values().iter().zip(cc.values().iter()) {
                if let (Value::Error(we), Value::Error(ce)) = (wv, cv) {
                    assert_eq!(we.origin, ce.origin);
                }
            }
        }
    }
}

fn cached(cache: &InputCache, spec: &InputsSpec, dir: &Path) -> (InputData, CacheUse) {
    cache.read_inputs(spec, dir, None).unwrap()
}

#[test]
fn a_warm_read_equals_a_cold_read() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(cache_dir.path());
    let spec = dirty();
    let cold = read_inputs(&spec, &fixture_data(), None).unwrap();
    // The fixtures hold what the format must carry.
    let values: Vec<Value> = cold
        .tables
        .iter()
        .flat_map(|t| &t.columns)
        .flat_map(|c| c.values().into_owned())
        .collect();
    assert!(values.iter().any(|v| v.is_error()));
    assert!(values.iter().any(|v| v.is_blank()));
    assert!(values.iter().any(|v| matches!(v, Value::Bool(_))));
    assert!(values.iter().any(|v| matches!(v, Value::Date(_))));
    assert!(!cold.quality.entries.is_empty());
    assert_eq!(cold.files.len(), 3);

    let (first, used) = cached(&cache, &spec, &fixture_data());
    assert_eq!(used, CacheUse::Stored);
    assert_same(&first, &cold);
    let (warm, used) = cached(&cache, &spec, &fixture_data());
    assert_eq!(used, CacheUse::Hit);
    assert_same(&warm, &cold);
}

#[test]
fn a_warm_read_of_the_shipped_sample_through_the_rules_equals_a_cold_read() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(cache_dir.path());
    let prepared = chanmix::pipeline::prepare(&repo().join("scenarios/base.toml")).unwrap();
    let request = &prepared.request;
    let cold = read_inputs(&request.spec, Path::new("."), Some(&request.wanted)).unwrap();
    assert!(cold.tables.iter().any(|t| t.row_count >= 2000));
    for expected in [CacheUse::Stored, CacheUse::Hit] {
        let (data, used) = cache
            .read_inputs(&request.spec, Path::new("."), Some(&request.wanted))
            .unwrap();
        assert_eq!(used, expected);
        assert_same(&data, &cold);
    }
    // Fewer wanted columns is another entry, not the same one.
    let mut fewer = request.wanted.clone();
    fewer.values_mut().for_each(|columns| {
        let first = columns.iter().next().cloned();
        columns.retain(|c| Some(c) == first.as_ref());
    });
    let (data, used) = cache
        .read_inputs(&request.spec, Path::new("."), Some(&fewer))
        .unwrap();
    assert_eq!(used, CacheUse::Stored);
    assert!(data.tables.iter().all(|t| t.columns.len() <= 2));
}

const DEALS_CSV: &str = "id,channel,amount\nD-1,Direct,100\nD-2,Partner,250\nD-3,Direct,75\n";

const DEALS: &str = r#"
    [tables.Deals]
    file = "deals.csv"
    key = "id"
    columns = { id = "text", channel = "text", amount = "number" }
"#;

fn amounts(data: &InputData) -> Vec<Value> {
    data.tables[0]
        .column("amount")
        .unwrap()
        .values()
        .into_owned()
}

#[test]
fn one_changed_byte_in_an_input_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(dir.path().join("cache"));
    let csv = dir.path().join("deals.csv");
    std::fs::write(&csv, DEALS_CSV).unwrap();
    let spec = spec(DEALS);
    assert_eq!(cached(&cache, &spec, dir.path()).1, CacheUse::Stored);
    assert_eq!(cached(&cache, &spec, dir.path()).1, CacheUse::Hit);

    // Same size, same modification time: only the content differs ("250" → "251").
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    std::fs::write(&csv, DEALS_CSV.replace("250", "251")).unwrap();
    std::fs::File::options()
        .append(true)
        .open(&csv)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let (data, used) = cached(&cache, &spec, dir.path());
    assert_eq!(used, CacheUse::Stored);
    assert_eq!(amounts(&data)[1], Value::Number(251.0));
    assert_same(&data, &read_inputs(&spec, dir.path(), None).unwrap());
}

#[test]
fn a_changed_rename_type_key_or_bad_cell_policy_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(dir.path().join("cache"));
    std::fs::write(
        dir.path().join("deals.csv"),
        DEALS_CSV.replace("amount", "Amount").replace("75", "n/a"),
    )
    .unwrap();
    let base = format!("{DEALS}\nrename = {{ \"Amount\" = \"amount\" }}\n");
    let variants = [
        base.clone(),
        base.replace("\"Amount\" = \"amount\"", "\"amount\" = \"amount\""),
        base.replace("amount = \"number\"", "amount = \"text\""),
        base.replace("amount = \"number\"", "amount = \"number?\""),
        base.replace("key = \"id\"\n", ""),
        format!("{base}on_bad_cell = \"reject-row\"\n"),
        base.replace("[tables.Deals]", "[tables.Deals]\nheader_row = 1"),
    ];
    for (i, text) in variants.iter().enumerate() {
        let spec = spec(text);
        let cold = read_inputs(&spec, dir.path(), None);
        let warm = cache.read_inputs(&spec, dir.path(), None);
        match (cold, warm) {
            (Ok(cold), Ok((warm, used))) => {
                assert_eq!(used, CacheUse::Stored, "variant {i} must be a miss: {text}");
                assert_same(&warm, &cold);
            }
            (Err(cold), Err(warm)) => assert_eq!(cold.to_string(), warm.to_string()),
            (cold, warm) => panic!("variant {i}: {cold:?} but {warm:?}"),
        }
    }
    // Each stored variant is a hit the second time, with its own result.
    let (rejected, used) = cache
        .read_inputs(&spec(&variants[5]), dir.path(), None)
        .unwrap();
    assert_eq!(used, CacheUse::Hit);
    assert_eq!(rejected.tables[0].row_count, 2);
    let (kept, used) = cache
        .read_inputs(&spec(&variants[0]), dir.path(), None)
        .unwrap();
    assert_eq!(used, CacheUse::Hit);
    assert_eq!(kept.tables[0].row_count, 3);
}

/// The one entry file in a cache folder (beside it: the folder's secret key).
fn only_entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "secret.key")
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn a_truncated_damaged_or_garbage_entry_is_a_miss_with_the_right_result() {
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(cache_dir.path());
    let spec = dirty();
    let cold = read_inputs(&spec, &fixture_data(), None).unwrap();
    assert_eq!(cached(&cache, &spec, &fixture_data()).1, CacheUse::Stored);
    let entry = only_entry(cache_dir.path());
    let good = std::fs::read(&entry).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let mut longer = good.clone();
    longer.extend_from_slice(b"appended");
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated header", good[..20].to_vec()),
        ("truncated payload", good[..good.len() - 1].to_vec()),
        ("one flipped bit", flipped),
        ("appended bytes", longer),
        ("garbage", b"not a cache entry at all".repeat(100)),
    ];
    for (what, bytes) in damages {
        std::fs::write(&entry, &bytes).unwrap();
        let (data, used) = cached(&cache, &spec, &fixture_data());
        assert_eq!(
            used,
            CacheUse::Stored,
            "{what}: a miss, and the entry replaced"
        );
        assert_same(&data, &cold);
        assert_eq!(std::fs::read(&entry).unwrap(), good, "{what}");
        assert_eq!(
            cached(&cache, &spec, &fixture_data()).1,
            CacheUse::Hit,
            "{what}"
        );
    }
}

#[test]
fn an_unwritable_cache_folder_warns_and_reads_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a file");
    std::fs::write(&file, "not a folder").unwrap();
    let cache = InputCache::at(file.join("cache"));
    let (data, used) = cached(&cache, &dirty(), &fixture_data());
    assert_eq!(used, CacheUse::NotStored);
    assert_same(
        &data,
        &read_inputs(&dirty(), &fixture_data(), None).unwrap(),
    );
    let warning = cache.take_warning().unwrap();
    assert!(warning.starts_with("warning: input cache off for this run: cannot create"));
    assert!(!warning.contains('\n'));
}

// ------------------------------------------------------------------ the binary

/// `chanmix ARGS` in the repository with the input cache in `cache`.
fn chanmix(cache: &Path, args: &[&str]) -> Chanmix {
    Chanmix::new().cache_dir(cache).args(args)
}

/// Entries (`*.chanmix-cache`) in a cache folder.
fn entry_count(dir: &Path) -> usize {
    match std::fs::read_dir(dir) {
        Ok(listing) => listing
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".chanmix-cache")
            })
            .count(),
        Err(_) => 0,
    }
}

#[test]
fn a_warm_run_writes_the_same_workbook_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    chanmix(
        &cache,
        &["run", "scenarios/base.toml", "-o", &out("cold.xlsx")],
    )
    .success();
    assert_eq!(entry_count(&cache), 1);
    chanmix(
        &cache,
        &["run", "scenarios/base.toml", "-o", &out("warm.xlsx")],
    )
    .success();
    chanmix(
        &cache,
        &[
            "run",
            "scenarios/base.toml",
            "--no-cache",
            "-o",
            &out("uncached.xlsx"),
        ],
    )
    .success();
    let cold = std::fs::read(out("cold.xlsx")).unwrap();
    assert_eq!(std::fs::read(out("warm.xlsx")).unwrap(), cold);
    assert_eq!(std::fs::read(out("uncached.xlsx")).unwrap(), cold);
    assert_eq!(entry_count(&cache), 1);
}

#[test]
fn no_cache_leaves_the_cache_folder_empty() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = dir.path().join("out.xlsx");
    let out = out.to_str().unwrap();
    chanmix(
        &cache,
        &["run", "scenarios/base.toml", "--no-cache", "-o", out],
    )
    .success();
    chanmix(
        &cache,
        &[
            "compare",
            "scenarios/base.toml",
            "scenarios/partner_push.toml",
            "--no-cache",
            "-o",
            out,
        ],
    )
    .success();
    assert!(
        !cache.exists(),
        "--no-cache must not even create the folder"
    );
}

#[test]
fn compare_reads_through_the_cache_and_writes_the_same_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let out = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let compare = |name: &str, extra: &[&str]| {
        let target = out(name);
        let mut args = vec![
            "compare",
            "scenarios/base.toml",
            "scenarios/partner_push.toml",
            "scenarios/cost_cutting.toml",
            "-o",
            &target,
        ];
        args.extend_from_slice(extra);
        chanmix(&cache, &args).success();
        std::fs::read(&target).unwrap()
    };
    let uncached = compare("uncached.xlsx", &["--no-cache"]);
    let cold = compare("cold.xlsx", &[]);
    let entries = entry_count(&cache);
    assert!(entries >= 1);
    let warm = compare("warm.xlsx", &[]);
    assert_eq!(cold, uncached);
    assert_eq!(warm, uncached);
    assert_eq!(
        entry_count(&cache),
        entries,
        "the warm compare stored nothing new"
    );
}

#[test]
fn cache_info_and_clear_report_and_remove_only_cache_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let info = chanmix(&cache, &["cache", "info"]).success();
    assert!(info.stdout.contains("entries:     0"), "{}", info.stdout);

    let out = dir.path().join("out.xlsx");
    chanmix(
        &cache,
        &["run", "scenarios/base.toml", "-o", out.to_str().unwrap()],
    )
    .success();
    std::fs::write(cache.join("notes.txt"), "not ours").unwrap();
    let size: u64 = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".chanmix-cache"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    let info = chanmix(&cache, &["cache", "info"]).output().stdout;
    assert!(
        info.starts_with(&format!("input cache: {}\n", cache.display())),
        "{info}"
    );
    assert!(info.contains("entries:     1\n"), "{info}");
    assert!(
        size > 1024 && size < 1024 * 1024,
        "{size} bytes: not shown in KiB"
    );
    let kib = format!("{:.1} KiB", size as f64 / 1024.0);
    assert!(info.contains(&kib), "{info} should say {kib}");

    let cleared = chanmix(&cache, &["cache", "clear"]).success();
    assert_eq!(
        cleared.stdout,
        format!("removed 1 entry ({kib}) from {}\n", cache.display())
    );
    assert_eq!(entry_count(&cache), 0);
    assert!(
        cache.join("notes.txt").exists(),
        "other files are left alone"
    );
    let again = chanmix(&cache, &["cache", "clear"]).output().stdout;
    assert_eq!(
        again,
        format!("removed 0 entries (0 B) from {}\n", cache.display())
    );
}

#[test]
fn two_runs_started_at_once_both_succeed_with_identical_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let outputs: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("out{i}.xlsx")))
        .collect();
    let children: Vec<_> = outputs
        .iter()
        .map(|out| {
            chanmix(
                &cache,
                &["run", "scenarios/base.toml", "-o", out.to_str().unwrap()],
            )
            .spawn()
        })
        .collect();
    for child in children {
        child.wait().expect_code(0);
    }
    let first = std::fs::read(&outputs[0]).unwrap();
    for out in &outputs[1..] {
        assert_eq!(std::fs::read(out).unwrap(), first);
    }
    // One complete entry, one key, and no temporary file left behind.
    let mut names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].ends_with(".chanmix-cache"), "{names:?}");
    assert_eq!(names[1], "secret.key");
    // It reads back (a hit gives the same workbook).
    let warm = dir.path().join("warm.xlsx");
    chanmix(
        &cache,
        &["run", "scenarios/base.toml", "-o", warm.to_str().unwrap()],
    )
    .success();
    assert_eq!(std::fs::read(&warm).unwrap(), first);
}

#[test]
fn a_cache_folder_that_cannot_be_created_warns_once_and_the_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = dir.path().join("out.xlsx");
    let stderr = chanmix(
        &file.join("cache"),
        &["run", "scenarios/base.toml", "-o", out.to_str().unwrap()],
    )
    .success()
    .stderr;
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("input cache"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].starts_with("warning: "), "{stderr}");
    assert!(out.exists());
}

#[test]
fn the_default_location_follows_the_environment() {
    // Checked through `cache info`, so no test changes this process's environment.
    let info = |vars: &[(&str, &str)]| {
        let command = Chanmix::new()
            .args(["cache", "info"])
            .env_remove("CHANMIX_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("HOME");
        let ran: Ran = vars.iter().fold(command, |c, (k, v)| c.env(k, v)).output();
        (ran.code(), ran.stdout)
    };
    let first_line =
        |(_, text): (Option<i32>, String)| text.lines().next().unwrap_or("").to_string();
    assert_eq!(
        first_line(info(&[
            ("CHANMIX_CACHE_DIR", "/x/c"),
            ("XDG_CACHE_HOME", "/y"),
            ("HOME", "/h")
        ])),
        "input cache: /x/c"
    );
    assert_eq!(
        first_line(info(&[("XDG_CACHE_HOME", "/y"), ("HOME", "/h")])),
        "input cache: /y/chanmix"
    );
    assert_eq!(
        first_line(info(&[("HOME", "/h")])),
        "input cache: /h/.cache/chanmix"
    );
    let (code, _) = info(&[]);
    assert_eq!(code, Some(1));
}
