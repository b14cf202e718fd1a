//! elfcompat: read, check and lower the glibc symbol-version requirements of ELF binaries.
#![deny(missing_docs)]

pub mod abi;
pub mod elf;
pub mod report;
pub mod versym;
pub mod baseline;
pub mod check;
pub mod scan;
pub mod patch;
pub mod verify;
