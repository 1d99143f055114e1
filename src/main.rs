//! The `keyguard` binary: parses arguments, runs the command, and decides the exit
//! status in this one place: 0 clean, 1 secrets found, 2 error.

use clap::Parser;

// zlib-rs's 64-byte-aligned blocks, one per object a history scan reads, fragment the
// system heap when allocated with `posix_memalign` (see `keyguard::alloc`).
#[global_allocator]
static ALLOCATOR: keyguard::alloc::Allocator = keyguard::alloc::Allocator;

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
