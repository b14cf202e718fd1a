//! The version model: what a binary requires, per library and per symbol, and how version
//! names order (`GLIBC_2.2.5 < GLIBC_2.17 < GLIBC_2.34`).

mod name;
mod requirements;

pub use name::{Family, VersionName};
pub use requirements::{
    elf_hash, DefinedVersion, ExportedSymbol, ImportedSymbol, LibraryRequirement, Requirements,
    SymbolBinding, SymbolKind, VersionRequirement,
};
