//! The JSON report: a versioned, documented schema (see `docs/json-schema.md`).
//!
//! The document is written one file at a time, each file's object rendered on its own
//! (in parallel, while the file is still mapped: [`file_json`]) and framed by
//! [`DocumentWriter`]. Every object's keys come in sorted order, the order the document
//! had when each file was built as a `serde_json::Value` (`report::reference`, which the
//! tests compare against).

use std::io::{self, Write};

use serde::Serialize;

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

/// A value serialized through a `serde_json::Value`, whose map sorts the keys, nested
/// enums' tags included: what the direct writers of verdefs and violations must equal.
#[cfg(test)]
struct Sorted<'r, T>(&'r T);

#[cfg(test)]
impl<T: Serialize> Serialize for Sorted<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_json::to_value(self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// JSON text written directly, byte for byte as serde_json's pretty printer with
/// [`Pretty`] writes it: what every file's object is made of. The names, which are most
/// of the text, are copied whole when nothing in them needs an escape (serde_json looks
/// up every byte in its escape table), and through serde_json when something does.
#[inline]
fn string(w: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if needs_escape(b) {
        // Writing to a Vec fails only on a serializer error, which a str does not make.
        let _ = serde_json::to_writer(&mut *w, s);
    } else {
        w.reserve(b.len() + 2);
        w.push(b'"');
        w.extend_from_slice(b);
        w.push(b'"');
    }
}

/// Whether a JSON string of these bytes needs an escape: a control character, '"' or
/// '\\'. Eight bytes at a time (names are short: a vector loop would not start).
fn needs_escape(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte of `x` that is zero (exact once the bytes are ORed together).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = b.chunks_exact(8);
    let mut found = 0u64;
    for c in &mut chunks {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        // Bytes below 0x20: (x & !0x1f..) is zero in them; '"' and '\\' are zero after an XOR.
        found |= zero(x & !(0x1f * ONES))
            | zero(x ^ (u64::from(b'"') * ONES))
            | zero(x ^ (u64::from(b'\\') * ONES));
    }
    found != 0
        || chunks
            .remainder()
            .iter()
            .any(|&c| c < 0x20 || c == b'"' || c == b'\\')
}

/// An object or array being written at `depth` (its members one level deeper).
struct Nest<'w> {
    w: &'w mut Vec<u8>,
    depth: usize,
    first: bool,
    close: u8,
}

impl<'w> Nest<'w> {
    fn object(w: &'w mut Vec<u8>, depth: usize) -> Self {
        w.push(b'{');
        Nest {
            w,
            depth: depth + 1,
            first: true,
            close: b'}',
        }
    }

    fn array(w: &'w mut Vec<u8>, depth: usize) -> Self {
        w.push(b'[');
        Nest {
            w,
            depth: depth + 1,
            first: true,
            close: b']',
        }
    }

    /// Start the next member (for an object, `key` is written): the writer and the depth
    /// to write its value at.
    fn next(&mut self, key: Option<&str>) -> (&mut Vec<u8>, usize) {
        self.w
            .extend_from_slice(if self.first { b"\n" } else { b",\n" });
        self.first = false;
        indent(self.w, self.depth).ok();
        if let Some(key) = key {
            string(self.w, key);
            self.w.extend_from_slice(b": ");
        }
        (self.w, self.depth)
    }

    fn key(&mut self, key: &str) -> (&mut Vec<u8>, usize) {
        self.next(Some(key))
    }

    /// A member that is a string.
    fn str(&mut self, key: &str, value: &str) {
        string(self.key(key).0, value);
    }

    /// A member through serde (rare or small values: enums, numbers, sorted values).
    fn serde<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        let (w, depth) = self.key(key);
        write_at(w, depth, value)
    }

    fn end(self) {
        if !self.first {
            self.w.push(b'\n');
            indent(self.w, self.depth - 1).ok();
        }
        self.w.push(self.close);
    }
}

fn opt_string(w: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(w, s),
        None => w.extend_from_slice(b"null"),
    }
}

fn strings<S: AsRef<str>>(w: &mut Vec<u8>, depth: usize, items: &[S]) {
    let mut a = Nest::array(w, depth);
    for s in items {
        string(a.next(None).0, s.as_ref());
    }
    a.end();
}

fn version_groups(w: &mut Vec<u8>, depth: usize, groups: &[VersionGroup<'_>]) {
    let mut a = Nest::array(w, depth);
    for g in groups {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        let (w, d) = o.key("libraries");
        strings(w, d, &g.libraries);
        let (w, d) = o.key("symbols");
        strings(w, d, &g.symbols);
        o.str("version", g.version.as_str());
        o.key("weak")
            .0
            .extend_from_slice(if g.weak { b"true" } else { b"false" });
        o.end();
    }
    a.end();
}

/// The file's violations, keys in sorted order (as serde writes them through a
/// `serde_json::Value`).
fn violations_json(w: &mut Vec<u8>, depth: usize, violations: &[crate::check::Violation]) {
    use crate::check::Fix;
    let mut a = Nest::array(w, depth);
    for v in violations {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        o.str("family", v.family.as_str());
        let (w, d) = o.key("fix");
        let mut f = Nest::object(w, d);
        let kind = |f: &mut Nest<'_>, kind: &str| f.str("kind", kind);
        match &v.fix {
            Fix::Repoint { version } => {
                kind(&mut f, "repoint");
                f.str("version", version);
            }
            Fix::MoveLibrary { library, version } => {
                kind(&mut f, "move-library");
                f.str("library", library);
                f.str("version", version);
            }
            Fix::DropUnused => kind(&mut f, "drop-unused"),
            Fix::ExpandRelr => kind(&mut f, "expand-relr"),
            Fix::Polyfill => kind(&mut f, "polyfill"),
            Fix::Unversion => kind(&mut f, "unversion"),
            Fix::Rename { to, version } => {
                kind(&mut f, "rename");
                f.str("to", to);
                f.str("version", version);
            }
            Fix::Wrap { what, since } => {
                kind(&mut f, "wrap");
                f.str("since", since);
                f.str("what", what);
            }
            Fix::Bundle { library, reason } => {
                kind(&mut f, "bundle");
                f.str("library", library);
                f.str("reason", reason);
            }
            Fix::Blocker { reason } => {
                kind(&mut f, "blocker");
                f.str("reason", reason);
            }
        }
        f.end();
        o.str("library", &v.library);
        opt_string(o.key("symbol").0, v.symbol.as_deref());
        o.str("version", v.version.as_str());
        o.end();
    }
    a.end();
}

/// The file's version definitions, keys in sorted order.
fn defined_versions(w: &mut Vec<u8>, depth: usize, defs: &[crate::versym::DefinedVersion]) {
    let mut a = Nest::array(w, depth);
    for v in defs {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        o.key("base")
            .0
            .extend_from_slice(if v.base { b"true" } else { b"false" });
        // A number: nothing to escape.
        let _ = write!(o.key("index").0, "{}", v.index);
        o.str("name", v.name.as_str());
        let (w, d) = o.key("parents");
        strings(w, d, &v.parents);
        o.end();
    }
    a.end();
}

fn family_summaries(w: &mut Vec<u8>, depth: usize, families: &[FamilySummary<'_>]) {
    let mut a = Nest::array(w, depth);
    for f in families {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        o.str("family", f.family.as_str());
        o.str("minimum", f.minimum.as_str());
        let (w, d) = o.key("versions");
        version_groups(w, d, &f.versions);
        o.end();
    }
    a.end();
}

fn runs_on(w: &mut Vec<u8>, depth: usize, systems: &[RunsOn]) {
    let mut a = Nest::array(w, depth);
    for r in systems {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        o.str("display", r.display);
        o.str("family", r.family);
        // A release number: digits and dots, nothing to escape.
        let _ = write!(o.key("glibc").0, "\"{}\"", r.glibc);
        o.str("name", r.name);
        o.end();
    }
    a.end();
}

fn imported_symbols(
    w: &mut Vec<u8>,
    depth: usize,
    symbols: &[ImportedSymbol<'_>],
) -> io::Result<()> {
    let mut a = Nest::array(w, depth);
    for sym in symbols {
        let (w, depth) = a.next(None);
        let mut o = Nest::object(w, depth);
        o.serde("binding", &sym.binding)?;
        o.serde("copy_relocated", &sym.copy_relocated)?;
        o.serde("dynsym_index", &sym.dynsym_index)?;
        o.serde("kind", &sym.kind)?;
        opt_string(o.key("library").0, sym.library.as_deref());
        o.str("name", &sym.name);
        opt_string(o.key("version").0, sym.version.as_ref().map(|v| v.as_str()));
        o.serde("versym", &sym.versym)?;
        o.end();
    }
    a.end();
    Ok(())
}

/// One file's object at `depth`: the `FileReport` with its outcome's fields beside the
/// path, keys sorted; `symbols` keeps the per-symbol table, `violations` the violation
/// list (check).
fn write_file(
    w: &mut Vec<u8>,
    depth: usize,
    report: &FileReport<'_>,
    symbols: bool,
    violations: bool,
) -> io::Result<()> {
    let path = &report.path;
    let mut m = Nest::object(w, depth);
    match &report.outcome {
        Outcome::NotElf => {
            m.str("path", path);
            m.str("status", "not-elf");
        }
        Outcome::Error { error } => {
            m.str("error", error);
            m.str("path", path);
            m.str("status", "error");
        }
        Outcome::Elf(a) => {
            m.str("byte_order", a.byte_order);
            m.str("class", a.class);
            let (w, d) = m.key("defines");
            defined_versions(w, d, &a.defines);
            m.serde("exported_symbols", &a.exported_symbols)?;
            opt_string(m.key("interpreter").0, a.interpreter.as_deref());
            m.serde("linkage", &a.linkage)?;
            m.str("machine", a.machine);
            let (w, d) = m.key("needed");
            strings(w, d, &a.needed);
            if !a.notes.is_empty() {
                let (w, d) = m.key("notes");
                strings(w, d, &a.notes);
            }
            let (w, d) = m.key("other_versions");
            version_groups(w, d, &a.other_versions);
            m.str("path", path);
            let (w, d) = m.key("polyfillable");
            strings(w, d, &a.polyfillable);
            let (w, d) = m.key("requires");
            family_summaries(w, d, &a.requires);
            let (w, d) = m.key("runs_on");
            runs_on(w, d, &a.runs_on);
            opt_string(m.key("soname").0, a.soname.as_deref());
            m.str("status", "elf");
            if symbols {
                let (w, d) = m.key("symbols");
                imported_symbols(w, d, &a.symbols)?;
            }
            opt_string(m.key("target").0, a.target);
            if violations {
                let (w, d) = m.key("violations");
                violations_json(w, d, &a.violations);
            }
            let (w, d) = m.key("warnings");
            strings(w, d, &a.warnings);
        }
    }
    m.end();
    Ok(())
}

/// One file's object as it appears in the document's `files` list (without the
/// separator before it). `symbols` keeps the per-symbol table; `violations` keeps the
/// violation list (check).
pub fn file_json(r: &FileReport<'_>, symbols: bool, violations: bool) -> Vec<u8> {
    // A library's object is a few KiB: room for it up front, not grown step by step.
    let mut out = Vec::with_capacity(8192);
    // Writing to a Vec fails only on a serializer error, which none of these types makes.
    if write_file(&mut out, 2, r, symbols, violations).is_err() {
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

    /// Violations written directly are what serde writes of them through a
    /// `serde_json::Value` (keys sorted), for every kind of fix, with and without a symbol.
    #[test]
    fn violations_written_as_serde_sorts_them() {
        use crate::check::{Fix, Violation};
        use crate::versym::{Family, VersionName};
        let s = |t: &str| t.to_string();
        let fixes = [
            Fix::Repoint {
                version: s("GLIBC_2.2.5"),
            },
            Fix::MoveLibrary {
                library: s("libpthread.so.0"),
                version: s("GLIBC_2.3.2"),
            },
            Fix::DropUnused,
            Fix::ExpandRelr,
            Fix::Polyfill,
            Fix::Unversion,
            Fix::Rename {
                to: s("fcntl"),
                version: s("GLIBC_2.2.5"),
            },
            Fix::Wrap {
                what: s("sysconf(_SC_SIGSTKSZ)"),
                since: s("2.34"),
            },
            Fix::Bundle {
                library: s("libstdc++.so.6"),
                reason: s("needs \"GLIBCXX_3.4.30\""),
            },
            Fix::Blocker {
                reason: s("no older version"),
            },
        ];
        let violations: Vec<Violation> = fixes
            .into_iter()
            .enumerate()
            .map(|(i, fix)| Violation {
                symbol: (i % 3 != 0).then(|| format!("sym{i}")),
                library: s("libc.so.6"),
                version: VersionName::parse("GLIBC_2.34"),
                family: if i % 2 == 0 {
                    Family::Glibc
                } else {
                    Family::Glibcxx
                },
                fix,
            })
            .collect();
        for n in [0, 1, violations.len()] {
            let mut direct = Vec::new();
            violations_json(&mut direct, 3, &violations[..n]);
            let mut through_serde = Vec::new();
            write_at(&mut through_serde, 3, &Sorted(&violations[..n].to_vec())).expect("json");
            assert_eq!(
                String::from_utf8_lossy(&direct),
                String::from_utf8_lossy(&through_serde)
            );
        }
    }

    /// The eight-at-a-time test says what a byte-by-byte one says, for every byte at every
    /// place of strings of 1 to 24 bytes, and the strings are written as serde_json writes
    /// them.
    #[test]
    fn escape_test_matches_bytewise() {
        for len in 1..=24usize {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    let bytewise = b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
                    assert_eq!(needs_escape(&b), bytewise, "byte {c:#x} at {at} of {len}");
                    if let Ok(text) = std::str::from_utf8(&b) {
                        let mut w = Vec::new();
                        string(&mut w, text);
                        assert_eq!(w, serde_json::to_vec(text).expect("a str"));
                    }
                }
            }
        }
    }

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
