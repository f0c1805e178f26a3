//! chanmix's integration tests: one test binary (`cargo test --test integration`), one
//! module per area, helpers shared through `support` (run one area with a filter: `cargo
//! test --test integration cli::`). Fixtures live beside this folder in tests/.

mod support;

mod allocation_cases;
mod allocation_fit;
mod allocation_solver;
mod allocation_workbook;
mod analysis_seam;
mod broken_inputs;
mod check_errors;
mod cli;
mod data_coercion_props;
mod data_errors;
mod data_fixtures;
mod data_roundtrip;
mod data_sample_roundtrip;
mod economics;
mod evaluate_rules;
mod evaluate_variants;
mod excel_habits;
mod fmt_properties;
mod forecast_accuracy;
mod forecast_workbook;
mod function_oracle;
mod fuzz_regressions;
mod hostile_files;
mod init_command;
mod input_cache;
mod layers;
mod new_user;
mod overlap;
mod parse_errors;
mod parse_trees;
mod partners;
mod report_compare;
mod report_dashboard;
mod report_matrix;
mod report_workbook;
mod run_workbooks;
mod sample_data;
mod sample_metrics;
mod scenario_errors;
mod scenario_load;
mod scenario_params;
mod scenario_robust;
mod scripts;
mod table_order;
