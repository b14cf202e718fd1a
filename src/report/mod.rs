//! Reports: what one file needs, by family and version, and which systems it runs on;
//! rendered as text for people and as versioned JSON for machines.

mod analysis;
pub mod ci;
pub mod json;
#[doc(hidden)]
pub mod reference;
pub mod stream;
pub mod text;

pub use analysis::{
    analyze_bytes, analyze_path, runs_on, target_of_file, with_file_report, Analysis,
    FamilySummary, FileReport, Outcome, RunsOn, VersionGroup,
};
