//! The `chanmix` command line: parses arguments, calls the library, prints results
//! and maps outcomes to exit codes (0 ok, 1 bad inputs or rules, 2 usage).
// No unwrap/expect/panic in the product: bad input gets an error, never a crash.
// (Tests may use them; integration tests are separate crates and unaffected.)
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use chanmix::cli;

#[derive(Parser)]
#[command(
    name = "chanmix",
    version,
    about = "Rules and scenarios for a sales channel portfolio"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check rule files without reading any data.
    Check {
        /// Rule files, folders of .rules files, or scenario .toml files (default: ./rules).
        paths: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Colour the output (default: when stderr is a terminal).
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Rewrite rule files in the canonical layout.
    Fmt {
        /// Rule files or folders of .rules files (default: ./rules).
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if any file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Evaluate a scenario and write its workbook.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// The workbook to write (default: the scenario's `[output] workbook`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also print the computed tables, values and flags as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Read the input files even when the input cache has them, and store nothing.
        #[arg(long)]
        no_cache: bool,
        /// Exit 1 when the data has problems (unreadable cells, lookups that missed,
        /// rows no group reached, suspicious group keys); the workbook is still written.
        #[arg(long)]
        strict: bool,
        /// Replace an output file that chanmix did not write (never a link or a device).
        #[arg(long)]
        force: bool,
    },
    /// Evaluate several scenarios and write them side by side in one workbook.
    Compare {
        /// Two or more scenario files; the first is the baseline for deltas.
        #[arg(required = true, num_args = 2..)]
        scenarios: Vec<PathBuf>,
        /// The workbook to write.
        #[arg(short, long, required_unless_present = "json")]
        output: Option<PathBuf>,
        /// Print the comparison as JSON on stdout: key figures with their changes, the
        /// findings each scenario raises and clears, and the table columns that change.
        #[arg(long)]
        json: bool,
        /// Read the input files even when the input cache has them, and store nothing.
        #[arg(long)]
        no_cache: bool,
        /// Replace an output file that chanmix did not write (never a link or a device).
        #[arg(long)]
        force: bool,
    },
    /// Write a scenario and input declarations for your own CRM export.
    Init {
        /// The export: a workbook, a CSV file, or a folder of CSV files.
        #[arg(long)]
        from: PathBuf,
        /// Where to write scenario.toml and inputs.rules (default: the current folder).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// The rule library to map onto (default: ./rules when it exists).
        #[arg(long)]
        library: Option<PathBuf>,
        /// Replace scenario.toml and inputs.rules if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Show or clear the cache of read input tables (see `cache info`).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// List the built-in spreadsheet functions.
    Functions,
    /// List the analyses rule files can run (`table T = <analysis> Source (…)`).
    Analyses,
    /// Write a deterministic, realistic CRM sample workbook.
    SampleData {
        /// Number of opportunities.
        #[arg(long, default_value_t = 2000)]
        rows: usize,
        /// Random seed: the same rows and seed give the same file, byte for byte.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the .xlsx workbook.
        #[arg(long)]
        out: PathBuf,
        /// Replace a file that chanmix did not write (never a link or a device).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum CacheAction {
    /// Where the cache is, how many entries it holds, and their size.
    Info,
    /// Remove every cache entry (the next run reads the input files again).
    Clear,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

// The process's allocator: big blocks on huge pages (see `cli::memory`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: chanmix::cli::memory::HugePageAllocator = chanmix::cli::memory::HugePageAllocator;

fn main() -> ExitCode {
    chanmix::cli::memory::return_big_buffers_to_the_system();
    let args = Args::parse();
    let outcome = match args.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            color,
        } => {
            let color = match color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
            };
            cli::check(&cli::CheckOptions {
                paths: default_rules_path(paths),
                json: matches!(format, OutputFormat::Json),
                deny_warnings,
                color,
            })
        }
        Command::Fmt { paths, check } => cli::fmt(&default_rules_path(paths), check),
        Command::Run {
            scenario,
            output,
            json,
            no_cache,
            strict,
            force,
        } => cli::run(
            &scenario,
            cli::RunOptions {
                output: output.as_deref(),
                json,
                force,
                strict,
            },
            stderr_color(),
            !no_cache,
        ),
        Command::Compare {
            scenarios,
            output,
            json,
            no_cache,
            force,
        } => cli::compare(
            &scenarios,
            chanmix::cli::CompareOutput {
                workbook: output.as_deref(),
                json,
                force,
            },
            stderr_color(),
            !no_cache,
        ),
        Command::Init {
            from,
            out,
            library,
            force,
        } => cli::init(
            &cli::InitOptions {
                from,
                out,
                library,
                force,
            },
            stderr_color(),
        ),
        Command::Cache { action } => match action {
            CacheAction::Info => cli::cache_info(),
            CacheAction::Clear => cli::cache_clear(),
        },
        Command::Functions => cli::functions(),
        Command::Analyses => cli::analyses(),
        Command::SampleData {
            rows,
            seed,
            out,
            force,
        } => cli::sample_data(rows, seed, &out, force),
    };
    finish(outcome)
}

fn stderr_color() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

fn default_rules_path(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("rules")]
    } else {
        paths
    }
}

/// Prints the command's output; a closed pipe (e.g. `| head`) is not an error.
fn finish(outcome: cli::Outcome) -> ExitCode {
    let outcome = outcome.printable();
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(outcome.stdout.as_bytes())
        .and_then(|()| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return ExitCode::from(1);
    }
    if !outcome.stderr.is_empty() {
        let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    }
    ExitCode::from(outcome.code)
}
