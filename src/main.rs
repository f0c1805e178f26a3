//! The `chanmix` command line: parses arguments, calls the library, prints results
//! and maps outcomes to exit codes (0 ok, 1 bad inputs or rules, 2 usage).

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
        /// Rule files or folders of .rules files (default: ./rules).
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
    /// List the built-in spreadsheet functions.
    Functions,
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
    },
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

fn main() -> ExitCode {
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
        Command::Functions => cli::functions(),
        Command::SampleData { rows, seed, out } => cli::sample_data(rows, seed, &out),
    };
    finish(outcome)
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
