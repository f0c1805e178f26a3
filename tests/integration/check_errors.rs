//! Every kind of checker diagnostic, rendered as a user sees it (`chanmix check`),
//! pinned by snapshot. Each case is a small rule file with one mistake.

use chanmix::diagnostic::render::render_text;
use chanmix::diagnostic::source::SourceMap;
use chanmix::lang::program::check_sources;

const INPUTS: &str = "input Opportunities (opp_id: text, channel: text, stage: text, amount: number, created_date: date, close_date: date?)
input Costs (channel: text, amount: number)
";

/// Checks `rules` (after the shared input declarations) and renders all diagnostics.
fn check(rules: &str) -> String {
    let mut sources = SourceMap::new();
    sources.add("rules/case.rules", format!("{INPUTS}{rules}"));
    let program = check_sources(sources, &[]);
    render_text(&program.diagnostics, &program.sources, false)
}

/// Like `check`, but the rules are split over several files.
fn check_files(files: &[(&str, &str)]) -> String {
    let mut sources = SourceMap::new();
    sources.add("rules/inputs.rules", INPUTS);
    for (path, text) in files {
        sources.add(*path, *text);
    }
    let program = check_sources(sources, &[]);
    render_text(&program.diagnostics, &program.sources, false)
}

macro_rules! case {
    ($name:ident, $rules:expr, $code:literal) => {
        #[test]
        fn $name() {
            let rendered = check($rules);
            assert!(
                rendered.contains($code),
                "expected a {} diagnostic, got:\n{rendered}",
                $code
            );
            insta::assert_snapshot!(stringify!($name), rendered);
        }
    };
}

case!(
    unknown_table_suggests_close_name,
    "Opportunites.big = amount > 1000\n",
    "E0101"
);
case!(
    unknown_table_without_close_name_explains_declaring,
    "table Regions = group Territories by region\n",
    "E0101"
);
case!(
    unknown_column_suggests_close_name,
    "table Channels = group Opportunities by channel\nChannels.revenue = SUM(Opportunities.amuont)\n",
    "E0102"
);
case!(
    unknown_group_key,
    "table Channels = group Opportunities by chanel\n",
    "E0102"
);
case!(
    unknown_name_with_transposed_letters,
    "table Channels = group Opportunities by channel\nChannels.won = COUNT(Opportunities where stage = \"Closed Won\")\nChannels.rate = wno / 2\n",
    "E0103"
);
case!(
    column_of_another_table_used_bare,
    "table Channels = group Opportunities by channel\nChannels.x = amount * 2\n",
    "E0103"
);
case!(
    function_name_used_without_parentheses,
    "total = SUM\n",
    "E0103"
);
case!(
    unknown_function_suggests_excel_name,
    "Opportunities.r = ROUNDD(amount, 2)\n",
    "E0104"
);
case!(
    wrong_number_of_arguments,
    "Opportunities.r = ROUND(amount)\n",
    "E0105"
);
case!(
    too_many_arguments,
    "Opportunities.r = IF(amount > 1, 1, 0, 5)\n",
    "E0105"
);
case!(duplicate_scalar, "total = 1\ntotal = 2\n", "E0106");
case!(
    column_defined_over_an_input_column,
    "Opportunities.amount = 1\n",
    "E0106"
);
case!(
    duplicate_computed_column,
    "Opportunities.big = amount > 1000\nOpportunities.big = amount > 5000\n",
    "E0106"
);
case!(
    cycle_between_three_columns,
    "table Channels = group Opportunities by channel\nChannels.a = b + 1\nChannels.b = c + 1\nChannels.c = a + 1\n",
    "E0107"
);
case!(
    scalar_that_depends_on_itself,
    "total = total + 1\n",
    "E0107"
);
case!(
    text_column_in_arithmetic,
    "Opportunities.x = stage * 2\n",
    "E0108"
);
case!(
    text_literal_in_arithmetic,
    "Opportunities.x = amount + \"abc\"\n",
    "E0108"
);
case!(
    text_as_a_condition,
    "Opportunities.x = stage and amount > 1\n",
    "E0108"
);
case!(
    comparing_number_with_text,
    "Opportunities.x = amount = \"big\"\n",
    "E0109"
);
case!(
    list_where_one_value_needed,
    "table Channels = group Opportunities by channel\nChannels.amounts = Opportunities.amount\n",
    "E0110"
);
case!(
    list_in_a_scalar_function_argument,
    "table Channels = group Opportunities by channel\nChannels.x = ROUND({1, 2}, 0)\n",
    "E0110"
);
case!(
    single_value_where_list_needed,
    "table Channels = group Opportunities by channel\nChannels.revenue = SUM(Opportunities.amount)\nChannels.rank = RANK.EQ(revenue, revenue)\n",
    "E0111"
);
case!(
    lists_from_different_tables_combined,
    "table Channels = group Opportunities by channel\nChannels.x = SUM(Opportunities.amount * Costs.amount)\n",
    "E0112"
);
case!(
    where_outside_a_function,
    "table Channels = group Opportunities by channel\nChannels.x = Opportunities.amount where amount > 1\n",
    "E0007"
);
case!(
    where_on_a_single_value,
    "table Channels = group Opportunities by channel\nChannels.n = COUNT(Opportunities)\nChannels.x = SUM(n where n > 1)\n",
    "E0113"
);
case!(
    param_default_not_a_literal,
    "param margin = 1 + 2\nOpportunities.m = amount * margin\n",
    "E0114"
);
case!(
    group_key_listed_twice,
    "table Channels = group Opportunities by channel, channel\n",
    "E0115"
);
case!(
    row_value_mixed_into_another_tables_list,
    "table Channels = group Opportunities by channel\nChannels.n = COUNT(Opportunities)\nChannels.x = SUM(Opportunities.amount * n)\n",
    "E0116"
);
case!(
    unused_param_warning,
    "param margin = 72%\nOpportunities.big = amount > 1000\n",
    "W0101"
);
case!(
    several_errors_in_one_file_are_all_reported,
    "Opportunities.a = amout + 1\nOpportunities.b = ROUNDD(amount)\nOpportunities.c = stage - 1\n",
    "E0103"
);

// `order by` (issue #17: tables sorted by a declared order).
case!(
    order_by_unknown_name,
    "table Channels = group Opportunities by channel order by revenu desc\nChannels.revenue = SUM(Opportunities.amount)\n",
    "E0103"
);
case!(
    order_by_the_tables_own_column_as_a_list,
    "table Channels = group Opportunities by channel order by Channels.revenue desc\nChannels.revenue = SUM(Opportunities.amount)\n",
    "E0132"
);
case!(
    order_by_counting_the_tables_own_rows,
    "table Channels = group Opportunities by channel order by COUNT(Channels)\n",
    "E0132"
);
case!(
    order_by_a_whole_column_not_one_value_per_group,
    "table Channels = group Opportunities by channel order by Opportunities.amount desc\n",
    "E0110"
);
case!(
    order_by_text_in_arithmetic,
    "table Channels = group Opportunities by channel order by channel * 2\n",
    "E0108"
);
case!(
    order_by_a_named_value_that_reads_the_table_is_a_cycle,
    "table Channels = group Opportunities by channel order by total\nChannels.revenue = SUM(Opportunities.amount)\ntotal = SUM(Channels.revenue)\n",
    "E0107"
);
case!(
    order_by_a_column_whose_formula_is_wrong_reports_it_once,
    "table Channels = group Opportunities by channel order by revenue desc\nChannels.revenue = SUM(Opportunities.amuont)\n",
    "E0102"
);

#[test]
fn cycle_across_three_files_names_every_file() {
    let rendered = check_files(&[
        (
            "rules/a.rules",
            "table Channels = group Opportunities by channel\nChannels.a = b * 2\n",
        ),
        ("rules/b.rules", "Channels.b = c + 1\n"),
        ("rules/c.rules", "Channels.c = a - 1\n"),
    ]);
    assert!(rendered.contains("E0107"), "{rendered}");
    for file in ["rules/a.rules", "rules/b.rules", "rules/c.rules"] {
        assert!(
            rendered.contains(file),
            "cycle report should point into {file}:\n{rendered}"
        );
    }
    insta::assert_snapshot!("cycle_across_three_files", rendered);
}

#[test]
fn duplicate_across_files_points_at_both() {
    let rendered = check_files(&[
        ("rules/a.rules", "total_cost = SUM(Costs.amount)\n"),
        ("rules/b.rules", "total_cost = 0\n"),
    ]);
    assert!(
        rendered.contains("rules/a.rules") && rendered.contains("rules/b.rules"),
        "{rendered}"
    );
    insta::assert_snapshot!("duplicate_across_files", rendered);
}

#[test]
fn clean_rules_have_no_diagnostics() {
    let rendered = check(
        "param margin = 72%\ntable Channels = group Opportunities by channel\nChannels.revenue = SUM(Opportunities.amount where stage = \"Closed Won\") * margin\n",
    );
    assert_eq!(rendered, "");
}
