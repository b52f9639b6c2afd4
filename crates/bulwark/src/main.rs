//! `bulwark`: the security office of a small or mid-size organisation, in one program.

mod cli;
mod identity;
mod import;
mod risk;

use clap::Parser;

/// mimalloc instead of the system allocator: under load the server spent about a third of its
/// time in glibc malloc (docs/BENCHMARKS.md). Its `override` feature also serves the C code's
/// `malloc` (the bundled SQLite allocates for every value it hands over).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
