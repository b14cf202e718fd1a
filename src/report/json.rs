//! The JSON report: a versioned, documented schema (see `docs/json-schema.md`).
//!
//! The document is written one file at a time, each file's object rendered on its own
//! (in parallel, while the file is still mapped: [`file_json`]) and framed by
//! [`DocumentWriter`]. Every object's keys come in sorted order, the order the document
//! had when each file was built as a `serde_json::Value` (`report::reference`, which the
//! tests compare against).

use std::io::{self, Write};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{FamilySummary, FileReport, Outcome, RunsOn, VersionGroup};
use crate::versym::ImportedSymbol;

/// The schema identifier of `report --json` and `check --json` output. Bumped on any
/// incompatible change.
pub const SCHEMA: &str = "elfcompat-report/1";

const TOOL: &str = concat!("elfcompat ", env!("CARGO_PKG_VERSION"));

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
    pub fn of(reports: &[FileReport<'_>]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.count(r);
        }
        s
    }

    /// Add another part of the run's counts.
    pub fn merge(&mut self, o: &Summary) {
        self.files += o.files;
        self.elf += o.elf;
        self.not_elf += o.not_elf;
        self.errors += o.errors;
        self.special_skipped += o.special_skipped;
        self.duplicates_skipped += o.duplicates_skipped;
        self.violating += o.violating;
    }

    /// Count one more file.
    pub fn count(&mut self, r: &FileReport<'_>) {
        self.files += 1;
        match &r.outcome {
            Outcome::Elf(a) => {
                self.elf += 1;
                if !a.violations.is_empty() {
                    self.violating += 1;
                }
            }
            Outcome::NotElf => self.not_elf += 1,
            Outcome::Error { .. } => self.errors += 1,
        }
    }
}

/// serde_json's pretty printer (two spaces), starting at a given depth: a file's object is
/// rendered on its own at the depth it has in the document.
struct Pretty {
    depth: usize,
    has_value: bool,
}

fn indent<W: ?Sized + Write>(w: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8] = b"                                ";
    let mut n = 2 * depth;
    while n > 0 {
        let k = n.min(SPACES.len());
        w.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.depth)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.depth)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            indent(w, self.depth)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        indent(w, self.depth)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Write `value` pretty-printed as it appears `depth` levels deep in the document.
fn write_at<W: Write, T: Serialize + ?Sized>(out: W, depth: usize, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        out,
        Pretty {
            depth,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// A small, rarely large value (verdefs, violations) serialized through a
/// `serde_json::Value`, whose map sorts the keys, nested enums' tags included.
struct Sorted<'r, T>(&'r T);

impl<T: Serialize> Serialize for Sorted<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// What the per-version and per-symbol objects have in common: written with their keys
/// sorted, without a copy of any name.
trait SortedObject {
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

struct One<'r, T>(&'r T);

impl<T: SortedObject> Serialize for One<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write(s)
    }
}

/// A list of such objects.
struct List<'r, T>(&'r [T]);

impl<T: SortedObject> Serialize for List<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&One(item))?;
        }
        seq.end()
    }
}

impl SortedObject for VersionGroup<'_> {
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("libraries", &self.libraries)?;
        m.serialize_entry("symbols", &self.symbols)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("weak", &self.weak)?;
        m.end()
    }
}

impl SortedObject for FamilySummary<'_> {
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("family", &self.family)?;
        m.serialize_entry("minimum", &self.minimum)?;
        m.serialize_entry("versions", &List(&self.versions))?;
        m.end()
    }
}

impl SortedObject for RunsOn {
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("display", self.display)?;
        m.serialize_entry("family", self.family)?;
        m.serialize_entry("glibc", &self.glibc)?;
        m.serialize_entry("name", self.name)?;
        m.end()
    }
}

impl SortedObject for ImportedSymbol<'_> {
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("binding", &self.binding)?;
        m.serialize_entry("copy_relocated", &self.copy_relocated)?;
        m.serialize_entry("dynsym_index", &self.dynsym_index)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("library", &self.library)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("versym", &self.versym)?;
        m.end()
    }
}

/// One file's object: the `FileReport` with its outcome's fields beside the path, keys
/// sorted; `symbols` keeps the per-symbol table, `violations` the violation list (check).
struct FileJson<'r, 'a> {
    report: &'r FileReport<'a>,
    symbols: bool,
    violations: bool,
}

impl Serialize for FileJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let path = &self.report.path;
        let mut m = s.serialize_map(None)?;
        match &self.report.outcome {
            Outcome::NotElf => {
                m.serialize_entry("path", path)?;
                m.serialize_entry("status", "not-elf")?;
            }
            Outcome::Error { error } => {
                m.serialize_entry("error", error)?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("status", "error")?;
            }
            Outcome::Elf(a) => {
                m.serialize_entry("byte_order", a.byte_order)?;
                m.serialize_entry("class", a.class)?;
                m.serialize_entry("defines", &Sorted(&a.defines))?;
                m.serialize_entry("exported_symbols", &a.exported_symbols)?;
                m.serialize_entry("interpreter", &a.interpreter)?;
                m.serialize_entry("linkage", &a.linkage)?;
                m.serialize_entry("machine", a.machine)?;
                m.serialize_entry("needed", &a.needed)?;
                if !a.notes.is_empty() {
                    m.serialize_entry("notes", &a.notes)?;
                }
                m.serialize_entry("other_versions", &List(&a.other_versions))?;
                m.serialize_entry("path", path)?;
                m.serialize_entry("polyfillable", &a.polyfillable)?;
                m.serialize_entry("requires", &List(&a.requires))?;
                m.serialize_entry("runs_on", &List(&a.runs_on))?;
                m.serialize_entry("soname", &a.soname)?;
                m.serialize_entry("status", "elf")?;
                if self.symbols {
                    m.serialize_entry("symbols", &List(&a.symbols))?;
                }
                m.serialize_entry("target", &a.target)?;
                if self.violations {
                    m.serialize_entry("violations", &Sorted(&a.violations))?;
                }
                m.serialize_entry("warnings", &a.warnings)?;
            }
        }
        m.end()
    }
}

/// One file's object as it appears in the document's `files` list (without the
/// separator before it). `symbols` keeps the per-symbol table; `violations` keeps the
/// violation list (check).
pub fn file_json(r: &FileReport<'_>, symbols: bool, violations: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let file = FileJson {
        report: r,
        symbols,
        violations,
    };
    // Writing to a Vec fails only on a serializer error, which none of these types makes.
    if write_at(&mut out, 2, &file).is_err() {
        out.clear();
        out.extend_from_slice(b"null");
    }
    out
}

/// The document around the files: `{"baseline": ..., "files": [` first, each file's
/// object as it comes ([`file_json`]), then the summary and the closing lines.
pub struct DocumentWriter<W: Write> {
    out: W,
    files: usize,
}

impl<W: Write> DocumentWriter<W> {
    /// Start the document (`baseline`: `check`'s description of it, None for `report`).
    pub fn begin(mut out: W, baseline: Option<&str>) -> io::Result<Self> {
        out.write_all(b"{\n  \"baseline\": ")?;
        write_at(&mut out, 1, &baseline)?;
        out.write_all(b",\n  \"files\": [")?;
        Ok(DocumentWriter { out, files: 0 })
    }

    /// Add one file's object, as [`file_json`] rendered it.
    pub fn file(&mut self, object: &[u8]) -> io::Result<()> {
        self.out.write_all(if self.files == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        self.files += 1;
        self.out.write_all(object)
    }

    /// Close the list and the document (no trailing newline), and give the writer back.
    pub fn finish(self, summary: &Summary) -> io::Result<W> {
        self.finish_with_wheels(summary, &[])
    }

    /// [`DocumentWriter::finish`], with the wheels' manylinux verdicts (`check --target
    /// manylinux_*`) as `wheels`, written only when there are any.
    pub fn finish_with_wheels(
        mut self,
        summary: &Summary,
        wheels: &[crate::wheel::WheelVerdict],
    ) -> io::Result<W> {
        self.out
            .write_all(if self.files == 0 { b"]" } else { b"\n  ]" })?;
        self.out.write_all(b",\n  \"schema\": ")?;
        write_at(&mut self.out, 1, SCHEMA)?;
        self.out.write_all(b",\n  \"summary\": ")?;
        // As a value, so its keys come sorted like the rest of the document.
        let summary = serde_json::to_value(summary).map_err(io::Error::from)?;
        write_at(&mut self.out, 1, &summary)?;
        self.out.write_all(b",\n  \"tool\": ")?;
        write_at(&mut self.out, 1, TOOL)?;
        if !wheels.is_empty() {
            self.out.write_all(b",\n  \"wheels\": ")?;
            let wheels = serde_json::to_value(wheels).map_err(io::Error::from)?;
            write_at(&mut self.out, 1, &wheels)?;
        }
        self.out.write_all(b"\n}")?;
        Ok(self.out)
    }
}

/// The whole document for reports already made.
pub fn write_document<W: Write>(
    out: W,
    reports: &[FileReport<'_>],
    summary: &Summary,
    baseline: Option<&str>,
    symbols: bool,
) -> io::Result<()> {
    let mut doc = DocumentWriter::begin(out, baseline)?;
    for r in reports {
        doc.file(&file_json(r, symbols, baseline.is_some()))?;
    }
    doc.finish(summary).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Baseline;
    use crate::report::{analyze_path, reference};

    /// The document written file by file is byte for byte the reference's, built as one
    /// value, for every committed fixture (report, report --symbols, check), and for an
    /// empty run.
    #[test]
    fn written_equals_reference() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for dir in std::fs::read_dir(&root).expect("testdata").flatten() {
            if let Ok(files) = std::fs::read_dir(dir.path()) {
                paths.extend(files.flatten().map(|e| e.path()));
            }
        }
        paths.sort();
        assert!(paths.len() > 20, "{} fixtures", paths.len());
        let b = Baseline::glibc(crate::abi::GlibcVersion::new(2, 17, 0));
        for (baseline, symbols) in [(None, false), (None, true), (Some(&b), false)] {
            let reports: Vec<FileReport<'static>> =
                paths.iter().map(|p| analyze_path(p, baseline)).collect();
            let refs: Vec<FileReport<'static>> = paths
                .iter()
                .map(|p| reference::analyze_path(p, baseline))
                .collect();
            assert_eq!(reports, refs);
            let summary = Summary::of(&reports);
            let described = baseline.map(|b| b.describe());
            for n in [0, reports.len()] {
                let mut written = Vec::new();
                write_document(
                    &mut written,
                    &reports[..n],
                    &summary,
                    described.as_deref(),
                    symbols,
                )
                .expect("write");
                let built = serde_json::to_vec_pretty(&reference::document(
                    &refs[..n],
                    &summary,
                    described.clone(),
                    symbols,
                ))
                .expect("json");
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&built)
                );
            }
        }
    }
}
