//! The `elfcompat` command: parses arguments, calls the library, prints, and maps
//! outcomes to exit codes (0 ok, 1 a baseline is not met, 2 usage or I/O errors).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("elfcompat: {e}");
            ExitCode::from(2)
        }
    }
}
