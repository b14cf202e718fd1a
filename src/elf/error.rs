//! Errors of the ELF reader: each names the structure that is broken.

use std::path::PathBuf;

/// What is wrong with the bytes of an ELF file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// The file does not start with the ELF magic.
    #[error("not an ELF file")]
    NotElf,
    /// The identification bytes name a class or data encoding that does not exist.
    #[error("unsupported ELF identification: {0}")]
    BadIdent(&'static str),
    /// A structure lies (partly) outside the file, or has an impossible size or count.
    #[error("malformed {structure}: {problem}")]
    Malformed {
        /// The ELF structure concerned, e.g. "program header table", "DT_VERNEED chain".
        structure: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl ElfError {
    pub(crate) fn malformed(structure: &'static str, problem: impl Into<String>) -> Self {
        ElfError::Malformed {
            structure,
            problem: problem.into(),
        }
    }
}

/// An error concerning one file on disk.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened, mapped or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The path is not a regular file (directory, FIFO, device, socket).
    #[error("{}: not a regular file ({kind})", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file's bytes are not a valid ELF file.
    #[error("{}: {source}", path.display())]
    Elf {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: ElfError,
    },
}

impl FileError {
    /// The path the error concerns.
    pub fn path(&self) -> &std::path::Path {
        match self {
            FileError::Io { path, .. }
            | FileError::NotRegular { path, .. }
            | FileError::Elf { path, .. } => path,
        }
    }
}
