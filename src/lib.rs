//! elfcompat: read, check and lower the glibc symbol-version requirements of ELF binaries.
#![deny(missing_docs)]

pub mod abi;
pub mod archive;
pub mod baseline;
pub mod bundle;
pub mod check;
pub mod closure;
pub mod elf;
pub mod patch;
pub mod polyfill;
pub mod report;
pub mod scan;
pub mod silent;
pub mod timing;
pub mod verify;
pub mod versym;
pub mod wheel;
