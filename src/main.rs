//! The `keyguard` binary: parses arguments, runs the command, and decides the exit
//! status in this one place: 0 clean, 1 secrets found, 2 error.

use clap::Parser;

fn main() {
    let cli = match keyguard::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; usage errors exit 2, as clap does.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match keyguard::app::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            eprintln!("keyguard: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
