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

/// The whole document, serialized one file at a time (a tree's report can be hundreds of
/// megabytes: it is never built as one value). The output is the same as
/// `serde_json::to_writer_pretty(out, &document(...))`.
pub fn write_document<W: std::io::Write>(
    out: W,
    reports: &[FileReport],
    summary: &Summary,
    baseline: Option<String>,
    symbols: bool,
) -> serde_json::Result<()> {
    struct Files<'a> {
        reports: &'a [FileReport],
        symbols: bool,
        violations: bool,
    }
    impl serde::Serialize for Files<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let mut seq = s.serialize_seq(Some(self.reports.len()))?;
            for r in self.reports {
                seq.serialize_element(&file_value(r, self.symbols, self.violations))?;
            }
            seq.end()
        }
    }
    // Keys in the order serde_json's map gives them (sorted), as `document` has them.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        baseline: Option<String>,
        files: Files<'a>,
        schema: &'static str,
        summary: Value,
        tool: &'static str,
    }
    let violations = baseline.is_some();
    let doc = Doc {
        baseline,
        files: Files {
            reports,
            symbols,
            violations,
        },
        schema: SCHEMA,
        // As a value, so its keys come sorted like the rest of the document.
        summary: serde_json::to_value(summary)?,
        tool: concat!("elfcompat ", env!("CARGO_PKG_VERSION")),
    };
    serde_json::to_writer_pretty(out, &doc)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::analyze_path;

    /// The streamed document is byte for byte the one built as a value.
    #[test]
    fn streamed_equals_built() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/x86_64");
        let mut reports: Vec<FileReport> = std::fs::read_dir(&root)
            .expect("testdata")
            .filter_map(|e| e.ok())
            .map(|e| analyze_path(&e.path(), None))
            .collect();
        reports.sort_by(|a, b| a.path.cmp(&b.path));
        let summary = Summary::of(&reports);
        for (baseline, symbols) in [
            (None, false),
            (None, true),
            (Some("glibc 2.17".to_string()), false),
        ] {
            let mut streamed = Vec::new();
            write_document(&mut streamed, &reports, &summary, baseline.clone(), symbols)
                .expect("write");
            let built = serde_json::to_vec_pretty(&document(&reports, &summary, baseline, symbols))
                .expect("json");
            assert_eq!(
                String::from_utf8_lossy(&streamed),
                String::from_utf8_lossy(&built)
            );
        }
    }
}
