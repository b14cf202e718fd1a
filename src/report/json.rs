//! The JSON report: a versioned, documented schema (see `docs/json-schema.md`).

use serde_json::{json, Value};

use super::{FileReport, Outcome};

/// The schema identifier of `report --json` and `check --json` output. Bumped on any
/// incompatible change.
pub const SCHEMA: &str = "elfcompat-report/1";

/// Counts over a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Paths analysed (after the walk).
    pub files: usize,
    /// ELF files analysed.
    pub elf: usize,
    /// Files skipped because they are not ELF.
    pub not_elf: usize,
    /// Files that could not be read or are malformed.
    pub errors: usize,
    /// Special files (FIFOs, sockets, devices, dangling links) skipped during the walk.
    pub special_skipped: usize,
    /// Files reached twice through links, analysed once.
    pub duplicates_skipped: usize,
    /// ELF files that violate the baseline (check only).
    pub violating: usize,
}

impl Summary {
    /// Count outcomes.
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        for r in reports {
            match &r.outcome {
                Outcome::Elf(a) => {
                    s.elf += 1;
                    if !a.violations.is_empty() {
                        s.violating += 1;
                    }
                }
                Outcome::NotElf => s.not_elf += 1,
                Outcome::Error { .. } => s.errors += 1,
            }
        }
        s
    }
}

/// Render one file's report as a JSON value. `symbols` keeps the per-symbol table;
/// `violations` keeps the violation list (check).
pub fn file_value(r: &FileReport, symbols: bool, violations: bool) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        if !symbols {
            obj.remove("symbols");
        }
        if !violations {
            obj.remove("violations");
        }
    }
    v
}

/// The whole document.
pub fn document(
    reports: &[FileReport],
    summary: &Summary,
    baseline: Option<String>,
    symbols: bool,
) -> Value {
    let files: Vec<Value> = reports
        .iter()
        .map(|r| file_value(r, symbols, baseline.is_some()))
        .collect();
    json!({
        "schema": SCHEMA,
        "tool": concat!("elfcompat ", env!("CARGO_PKG_VERSION")),
        "baseline": baseline,
        "files": files,
        "summary": summary,
    })
}
