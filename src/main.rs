//! The `elfcompat` command: parses arguments, calls the library, prints, and maps
//! outcomes to exit codes (0 ok, 1 a baseline is not met, 2 usage or I/O errors).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`elfcompat report ... | head`) is the reader's choice, not an error.
        Err(cli::CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("elfcompat: {e}");
            ExitCode::from(2)
        }
    }
}
