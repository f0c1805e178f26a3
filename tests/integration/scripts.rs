//! Rhai scripts loaded by rule files (`script "…"`): the sandbox (every runaway or
//! hostile script ends in an error value or a diagnostic within a second or two, never a
//! hang or a panic), checking (syntax errors at file:line:col, arity, name clashes),
//! values in and out, one call per distinct argument tuple, and the shipped incentive
//! plans on a hand-computed fixture.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chanmix::diagnostic::render::render_text;
use chanmix::eval::engine::evaluate;
use chanmix::functions::{
    Arg, ArgKind, CallContext, Category, ExternalFunction, FunctionSpec, Implementation, ReturnType,
};
use chanmix::lang::program::{RuleProgram, load_rule_files};
use chanmix::lang::vocabulary::Vocabulary;
use chanmix::table::{Column, Table};
use chanmix::value::{ErrorKind, Value, ValueType};

use crate::support::command::Chanmix;

/// The longest any sandbox case may take, whatever the machine's load.
const QUICK: Duration = Duration::from_secs(2);

/// Writes `rules` as `case.rules` and each script beside it, then loads the program.
fn load(dir: &Path, rules: &str, scripts: &[(&str, &str)]) -> RuleProgram {
    for (name, text) in scripts {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = dir.join("case.rules");
    std::fs::write(&path, rules).unwrap();
    load_rule_files(&[path], &[], Vocabulary::builtin()).unwrap()
}

fn rendered(program: &RuleProgram) -> String {
    render_text(&program.diagnostics, &program.sources, false)
}

/// The scalar `x = <call>` computed with `script` loaded as `s.rhai`, and how long the
/// evaluation took.
fn scalar(script: &str, call: &str) -> (Value, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        &format!("script \"s.rhai\"\nx = {call}\n"),
        &[("s.rhai", script)],
    );
    let plan = program
        .plan
        .as_ref()
        .unwrap_or_else(|| panic!("should check:\n{}", rendered(&program)));
    let started = Instant::now();
    let result = evaluate(plan, Vec::new(), &[], &CallContext::default()).unwrap();
    let elapsed = started.elapsed();
    (result.scalar("x").cloned().unwrap(), elapsed)
}

/// The error's kind and its explanation (`#NUM! from f() in …: line 1, …`).
fn error_of(value: &Value) -> (ErrorKind, String) {
    match value {
        Value::Error(error) => (error.kind, error.explain().unwrap_or_default()),
        other => panic!("expected an error value, got {other:?}"),
    }
}

/// A sandbox case: an error of `kind` within [`QUICK`] whose explanation names the
/// function, the script and every one of `words`.
fn sandboxed(script: &str, call: &str, kind: ErrorKind, words: &[&str]) {
    let (value, elapsed) = scalar(script, call);
    assert!(elapsed < QUICK, "took {elapsed:?}");
    let (found, explained) = error_of(&value);
    assert_eq!(found, kind, "{explained}");
    assert!(explained.contains("s.rhai"), "{explained}");
    for word in words {
        assert!(explained.contains(word), "no {word:?} in {explained}");
    }
}

#[test]
fn an_endless_loop_runs_out_of_operations() {
    sandboxed(
        "fn spin(x) {\n    loop { x += 1; }\n}\n",
        "spin(1)",
        ErrorKind::Num,
        &["spin()", "line 1, in fn spin", "operations"],
    );
}

#[test]
fn endless_recursion_hits_the_call_depth() {
    sandboxed(
        "fn down(n) { down(n + 1) }\n",
        "down(1)",
        ErrorKind::Num,
        &["down()", "line 1", "nested deeper"],
    );
}

#[test]
fn a_string_doubling_forever_is_stopped_at_the_size_limit() {
    sandboxed(
        "fn big(x) {\n    let s = x;\n    loop { s += s; }\n}\n",
        "big(\"ab\")",
        ErrorKind::Num,
        &["line 1, in fn big", "string"],
    );
}

#[test]
fn a_huge_array_is_stopped_at_the_size_limit() {
    sandboxed(
        "fn many(x) {\n    let a = [];\n    a.pad(100000000, x);\n    a.len()\n}\n",
        "many(1)",
        ErrorKind::Num,
        &["line 1, in fn many", "array"],
    );
}

#[test]
fn files_are_out_of_reach() {
    // Rhai has no file, network or process function unless the host registers one.
    for call in [
        "open_file(path)",
        "read_string(path)",
        "system(path)",
        "http_get(path)",
    ] {
        let script = format!("fn peek(path) {{ {call} }}\n");
        sandboxed(
            &script,
            "peek(\"/etc/passwd\")",
            ErrorKind::Value,
            &["line 1", "not found"],
        );
    }
    // `import` (modules from files) does not even compile.
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\nx = 1\n",
        &[("s.rhai", "import \"/etc/passwd\" as m;\nfn f(x) { x }\n")],
    );
    assert!(program.plan.is_none());
    let text = rendered(&program);
    assert!(
        text.contains("E0121") && text.contains("s.rhai:1:"),
        "{text}"
    );
}

#[test]
fn an_unknown_function_inside_a_script_is_an_error_value() {
    sandboxed(
        "fn f(x) {\n    x + no_such_helper(x)\n}\n",
        "f(1)",
        ErrorKind::Value,
        &["line 2", "no_such_helper"],
    );
}

#[test]
fn an_unknown_function_in_a_formula_is_a_check_error() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\nx = rebate(1)\n",
        &[("s.rhai", "fn rebate_rate(x) { x }\n")],
    );
    assert!(program.plan.is_none());
    let text = rendered(&program);
    assert!(
        text.contains("E0104") && text.contains("case.rules:2:5"),
        "{text}"
    );
}

#[test]
fn eval_is_not_part_of_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\nx = f(1)\n",
        &[("s.rhai", "fn f(x) {\n    eval(\"x + 1\")\n}\n")],
    );
    assert!(program.plan.is_none());
    let text = rendered(&program);
    assert!(
        text.contains("E0121") && text.contains("s.rhai:2:5"),
        "{text}"
    );
}

#[test]
fn scripts_that_would_break_the_host_give_error_values() {
    // Integer overflow, division by zero, out-of-range indexes and shifts, a negative
    // size, an infinite result: each an error value (or a value), never a panic.
    let cases = [
        "let m = -9223372036854775807 - 1; m / -1",
        "let m = -9223372036854775807 - 1; m % -1",
        "let m = -9223372036854775807 - 1; -m",
        "let m = -9223372036854775807 - 1; abs(m)",
        "9223372036854775807 + 1",
        "2 ** 64",
        "1 << 64",
        "1 / 0",
        "[1, 2, 3][10]",
        "\"abc\"[-100]",
        "\"abc\".sub_string(2, -5)",
        "\"x\".pad(-1, \"y\")",
        "range(0, 10, 0).len()",
        "blob(9223372036854775807)",
        "[].pad(9223372036854775807, 0)",
        "x / 0.0",
        "let a = [1]; a.extract(9223372036854775807, 9223372036854775807)",
        "let s = \"abc\"; s.crop(-9223372036854775807 - 1, 9223372036854775807)",
        "parse_int(\"99999999999999999999999\")",
        "to_int(1e300)",
    ];
    for body in cases {
        let script = format!("fn f(x) {{ {body} }}\n");
        let (value, elapsed) = scalar(&script, "f(1)");
        assert!(elapsed < QUICK, "{body}: took {elapsed:?}");
        if let Value::Error(error) = &value {
            let explained = error.explain().unwrap_or_default();
            assert!(explained.contains("f() in"), "{body}: {explained}");
            assert!(explained.contains("line 1"), "{body}: {explained}");
        }
    }
}

#[test]
fn a_syntax_error_is_reported_by_check_at_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.rhai"),
        "fn ok(x) { x }\n\nfn broken(x) {\n    let y = x +;\n    y\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("case.rules"),
        "script \"plan.rhai\"\nx = ok(1)\n",
    )
    .unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "case.rules"])
        .status(1);
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(all.contains("E0121"), "{all}");
    // Line 4, column 16: the `;` where an operand should be.
    assert!(all.contains("plan.rhai:4:16"), "{all}");
    assert!(all.contains("let y = x +;"), "the source line: {all}");
    assert!(all.contains("case.rules:1:8"), "where it is loaded: {all}");
}

#[test]
fn a_script_that_is_not_a_regular_rhai_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"plan.txt\"\nx = 1\n",
        &[("plan.txt", "fn f(x) { x }\n")],
    );
    let text = rendered(&program);
    assert!(text.contains("E0121") && text.contains(".rhai"), "{text}");
    let program = load(dir.path(), "script \"missing.rhai\"\nx = 1\n", &[]);
    let text = rendered(&program);
    assert!(
        text.contains("E0121") && text.contains("case.rules:1:8"),
        "{text}"
    );
}

#[test]
fn arity_is_checked_at_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\nx = f(1, 2)\n",
        &[("s.rhai", "fn f(x) { x }\n")],
    );
    let text = rendered(&program);
    assert!(
        text.contains("E0105") && text.contains("case.rules:2:5"),
        "{text}"
    );
}

#[test]
fn a_name_of_a_builtin_or_of_another_script_is_an_error_naming_both_places() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"a.rhai\"\nx = 1\n",
        &[("a.rhai", "fn sum(x) { x }\n")],
    );
    let text = rendered(&program);
    assert!(
        text.contains("E0122") && text.contains("a.rhai:1:4"),
        "{text}"
    );
    let program = load(
        dir.path(),
        "script \"a.rhai\"\nscript \"b.rhai\"\nx = 1\n",
        &[
            ("a.rhai", "fn payout(x) { x }\n"),
            ("b.rhai", "\nfn Payout(x) { x * 2 }\n"),
        ],
    );
    let text = rendered(&program);
    assert!(text.contains("E0122"), "{text}");
    assert!(
        text.contains("b.rhai:2:4") && text.contains("a.rhai"),
        "{text}"
    );
}

#[test]
fn helpers_starting_with_underscore_stay_in_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\nx = _half(1)\n",
        &[(
            "s.rhai",
            "fn _half(x) { x / 2.0 }\nfn half(x) { _half(x) }\n",
        )],
    );
    assert!(rendered(&program).contains("E0104"));
}

#[test]
fn values_cross_both_ways() {
    let script = r#"
fn kind(x) { type_of(x) }
fn twice(x) { x * 2 }
fn int_result(x) { 7 }
fn join(a, b) { a + "-" + b }
fn flip(b) { !b }
fn nothing(x) { () }
fn list(x) { [x, x] }
fn inf(x) { x / 0.0 }
"#;
    let text = |v: Value| match v {
        Value::Text(t) => t.as_str().to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(text(scalar(script, "kind(1)").0), "f64");
    assert_eq!(text(scalar(script, "kind(\"a\")").0), "string");
    assert_eq!(text(scalar(script, "kind(TRUE)").0), "bool");
    assert_eq!(text(scalar(script, "kind(DATE(2026, 1, 1))").0), "f64");
    assert_eq!(text(scalar(script, "kind(\"\" & \"\")").0), "string");
    assert_eq!(scalar(script, "twice(21)").0.as_f64(), Some(42.0));
    assert_eq!(scalar(script, "int_result(1)").0.as_f64(), Some(7.0));
    assert_eq!(text(scalar(script, "join(\"a\", \"b\")").0), "a-b");
    assert!(matches!(scalar(script, "flip(FALSE)").0, Value::Bool(true)));
    assert!(matches!(scalar(script, "nothing(1)").0, Value::Blank));
    let (kind, explained) = error_of(&scalar(script, "list(1)").0);
    assert_eq!(kind, ErrorKind::Value);
    assert!(explained.contains("array"), "{explained}");
    let (kind, explained) = error_of(&scalar(script, "inf(1)").0);
    assert_eq!(kind, ErrorKind::Num);
    assert!(explained.contains("finite"), "{explained}");
    // An error argument is passed through without running the script.
    let (kind, _) = error_of(&scalar(script, "twice(1 / 0)").0);
    assert_eq!(kind, ErrorKind::Div0);
}

/// Counts its calls; gives the sum of its arguments.
struct Counting(Arc<AtomicUsize>);

impl ExternalFunction for Counting {
    fn call(&self, args: &[Arg<'_>], _: &CallContext) -> Value {
        self.0.fetch_add(1, Ordering::Relaxed);
        let mut sum = 0.0;
        for arg in args {
            if let Arg::Value(v) = arg {
                sum += v.as_f64().unwrap_or(0.0);
            }
        }
        Value::Number(sum)
    }
}

#[test]
fn a_registered_function_runs_once_per_distinct_argument_tuple() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut vocabulary = Vocabulary::builtin().clone();
    vocabulary
        .functions
        .register(FunctionSpec {
            name: "counted".into(),
            category: Category::Script,
            min_args: 2,
            max_args: Some(2),
            arg_kinds: vec![ArgKind::Scalar; 2].into(),
            repeat_from: 0,
            returns: ReturnType::Any,
            future: false,
            implementation: Implementation::External(Arc::new(Counting(Arc::clone(&calls)))),
            kernel: None,
            summary: "counts".into(),
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.rules");
    std::fs::write(
        &path,
        "input Rows (a: number, b: text)\nRows.c = counted(a, b)\n",
    )
    .unwrap();
    let program = load_rule_files(&[path], &[], &vocabulary).unwrap();
    let plan = program.plan.unwrap();
    // 10,000 rows over 5 × 3 = 15 distinct (a, b) tuples.
    let rows = 10_000;
    let mut table = Table::new("Rows", rows);
    table.set_column(Column::new(
        "a",
        ValueType::Number,
        (0..rows).map(|r| Value::Number((r % 5) as f64)).collect(),
    ));
    let letters = [Value::text("x"), Value::text("y"), Value::text("z")];
    table.set_column(Column::new(
        "b",
        ValueType::Text,
        (0..rows).map(|r| letters[r % 3].clone()).collect(),
    ));
    let result = evaluate(&plan, vec![table], &[], &CallContext::default()).unwrap();
    assert_eq!(calls.load(Ordering::Relaxed), 15);
    let c = result.table("Rows").unwrap().column("c").unwrap().values();
    for (row, value) in c.iter().enumerate() {
        assert_eq!(value.as_f64(), Some((row % 5) as f64), "row {row}");
    }
}

#[test]
fn a_runaway_script_over_many_rows_is_stopped_not_hung() {
    // A thousand distinct arguments, each an endless loop: after a few calls run out of
    // operations the function is stopped and every other call is that error at once.
    let dir = tempfile::tempdir().unwrap();
    let program = load(
        dir.path(),
        "script \"s.rhai\"\ninput Rows (a: number)\nRows.b = spin(a)\n",
        &[("s.rhai", "fn spin(x) { loop { x += 1; } }\n")],
    );
    let plan = program.plan.unwrap();
    let rows = 1_000;
    let mut table = Table::new("Rows", rows);
    table.set_column(Column::new(
        "a",
        ValueType::Number,
        (0..rows).map(|r| Value::Number(r as f64)).collect(),
    ));
    let started = Instant::now();
    let result = evaluate(&plan, vec![table], &[], &CallContext::default()).unwrap();
    assert!(
        started.elapsed() < QUICK * 2,
        "took {:?}",
        started.elapsed()
    );
    let b = result.table("Rows").unwrap().column("b").unwrap().values();
    assert!(b.iter().all(|v| v.error_kind() == Some(ErrorKind::Num)));
    let (_, last) = error_of(b.last().unwrap());
    assert!(last.contains("stopped for the rest of the run"), "{last}");
    assert!(program.scripts.iter().any(|f| !f.failures().is_empty()));
}

/// A partner's plan arguments: tier, won, target, new logos, MDF spent, churned.
type Partner = (&'static str, f64, f64, f64, f64, f64);

/// The shipped plans' payout, worked by hand from their headers.
/// Current: rebate 0 / 3% / 5% of won below 50% / 50–100% / from 100% attainment;
/// accelerator 4 points (Platinum) or 3 on revenue above target; $500 per new logo;
/// half the MDF spent; minus 3% of churned revenue.
/// Proposed: rebate 0 / 4% / 6% below 70% / 70–100% / from 100%; accelerator 6 points
/// (Platinum) or 5 from 100% to 150% of target and twice that beyond; $1,000 per new
/// logo; all MDF spent for Platinum and Gold, half otherwise; minus 4% of churned.
#[test]
fn the_shipped_plans_pay_what_their_rules_say() {
    let plans = crate::support::repo().join("rules/plans");
    let dir = tempfile::tempdir().unwrap();
    let rules = format!(
        "script \"{}\"\nscript \"{}\"\n\
         input P (tier: text, won: number, target: number, logos: number, mdf: number, churned: number)\n\
         P.current = current_plan_payout(tier, won, target, logos, mdf, churned)\n\
         P.proposed = proposed_plan_payout(tier, won, target, logos, mdf, churned)\n",
        plans.join("current_incentives.rhai").display(),
        plans.join("proposed_incentives.rhai").display()
    );
    let path = dir.path().join("case.rules");
    std::fs::write(&path, rules).unwrap();
    let program = load_rule_files(&[path], &[], Vocabulary::builtin()).unwrap();
    let plan = program
        .plan
        .as_ref()
        .unwrap_or_else(|| panic!("{}", rendered(&program)));
    // (tier, won, target, new logos, mdf spent, churned)
    let partners: [Partner; 5] = [
        ("Platinum", 200_000.0, 100_000.0, 2.0, 10_000.0, 5_000.0),
        ("Gold", 80_000.0, 100_000.0, 1.0, 4_000.0, 0.0),
        ("Silver", 40_000.0, 100_000.0, 0.0, 2_000.0, 1_000.0),
        ("Registered", 60_000.0, 0.0, 3.0, 0.0, 0.0),
        ("Gold", 130_000.0, 100_000.0, 0.0, 0.0, 0.0),
    ];
    // By hand:
    // 1. current: 5% × 200,000 = 10,000; 4% × 100,000 = 4,000; 1,000; 5,000; −150 → 19,850.
    //    proposed: 6% × 200,000 = 12,000; 6% × 50,000 + 12% × 50,000 = 9,000; 2,000;
    //    10,000; −200 → 32,800.
    // 2. current: 80% → 3% × 80,000 = 2,400; 500; 2,000 → 4,900.
    //    proposed: 80% → 4% × 80,000 = 3,200; 1,000; 4,000 → 8,200.
    // 3. current: 40% → 0; 1,000; −30 → 970. proposed: 0; 1,000; −40 → 960.
    // 4. no target: no rebate, no accelerator. current 1,500; proposed 3,000.
    // 5. current: 5% × 130,000 = 6,500; 3% × 30,000 = 900 → 7,400.
    //    proposed: 6% × 130,000 = 7,800; 5% × 30,000 = 1,500 → 9,300.
    let expected = [
        (19_850.0, 32_800.0),
        (4_900.0, 8_200.0),
        (970.0, 960.0),
        (1_500.0, 3_000.0),
        (7_400.0, 9_300.0),
    ];
    let mut table = Table::new("P", partners.len());
    table.set_column(Column::new(
        "tier",
        ValueType::Text,
        partners.iter().map(|p| Value::text(p.0)).collect(),
    ));
    for (index, name) in ["won", "target", "logos", "mdf", "churned"]
        .into_iter()
        .enumerate()
    {
        table.set_column(Column::new(
            name,
            ValueType::Number,
            partners
                .iter()
                .map(|p| Value::Number([p.1, p.2, p.3, p.4, p.5][index]))
                .collect(),
        ));
    }
    let result = evaluate(plan, vec![table], &[], &CallContext::default()).unwrap();
    let p = result.table("P").unwrap();
    let current = p.column("current").unwrap().values();
    let proposed = p.column("proposed").unwrap().values();
    for (row, (c, q)) in expected.iter().enumerate() {
        let got_c = current[row].as_f64().unwrap();
        let got_q = proposed[row].as_f64().unwrap();
        assert!((got_c - c).abs() < 1e-6, "row {row}: current {got_c} ≠ {c}");
        assert!(
            (got_q - q).abs() < 1e-6,
            "row {row}: proposed {got_q} ≠ {q}"
        );
    }
}

#[test]
fn fmt_keeps_the_script_statement() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.rhai"), "fn f(x) { x }\n").unwrap();
    let path = dir.path().join("case.rules");
    std::fs::write(&path, "SCRIPT   \"s.rhai\"\nx = f( 1 )\n").unwrap();
    Chanmix::new()
        .current_dir(dir.path())
        .args(["fmt", "case.rules"])
        .status(0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("script \"s.rhai\"\n"), "{text}");
    Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "case.rules"])
        .status(0);
}

#[test]
fn a_failing_plan_is_named_on_the_console_and_compare_shows_the_plans_apart() {
    // The shipped library and sample in a scratch copy, the current plan broken for
    // Gold partners only.
    let repo = crate::support::repo();
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    for entry in std::fs::read_dir(repo.join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            copy(
                &path,
                &dir.path().join("rules").join(path.file_name().unwrap()),
            );
        }
    }
    for name in ["current_incentives.rhai", "proposed_incentives.rhai"] {
        copy(
            &repo.join("rules/plans").join(name),
            &dir.path().join("rules/plans").join(name),
        );
    }
    for name in [
        "base.toml",
        "incentive_proposed.toml",
        "data/crm_sample.xlsx",
    ] {
        copy(
            &repo.join("scenarios").join(name),
            &dir.path().join("scenarios").join(name),
        );
    }
    let plan = dir.path().join("rules/plans/current_incentives.rhai");
    let text = std::fs::read_to_string(&plan).unwrap();
    let broken = text.replace(
        "    rebate + accelerator + spif + mdf_match - clawback\n",
        "    if tier == \"Gold\" { no_such_rate(won) } else { rebate + accelerator + spif + mdf_match - clawback }\n",
    );
    assert_ne!(text, broken);
    std::fs::write(&plan, broken).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenarios/base.toml", "-o", "out.xlsx"])
        .status(0);
    assert!(
        ran.stderr.contains(
            "script error: current_plan_payout() in rules/plans/current_incentives.rhai: line 25"
        ) && ran.stderr.contains("no_such_rate"),
        "{}",
        ran.stderr
    );
    // compare: one workbook with both scenarios and the differing plan param.
    Chanmix::new()
        .current_dir(dir.path())
        .args([
            "compare",
            "scenarios/base.toml",
            "scenarios/incentive_proposed.toml",
            "-o",
            "compare.xlsx",
        ])
        .status(0);
    let bytes = std::fs::read(dir.path().join("compare.xlsx")).unwrap();
    let summary = crate::support::xlsx::values(&bytes, "Summary");
    let row = crate::support::xlsx::find_row(&summary, 0, "incentive_plan").unwrap();
    assert_eq!(
        crate::support::xlsx::at(&summary, row, 2).to_string(),
        "proposed"
    );
    assert!(crate::support::xlsx::find_row(&summary, 0, "Program cost").is_some());
}
