//! Coverage: for every glibc symbol a release after the baseline exports, what the planner
//! does with a reference to it. Each symbol becomes a synthetic one-import requirement
//! (its newest version, from the library that holds it) and goes through
//! [`plan_requirements`], the code `check`, `report` and `patch` ask: the table cannot
//! disagree with what the tool does, and `docs/coverage.md` is this module's output.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::abi::{self, GlibcVersion, Lib, Target};
use crate::baseline::Baseline;
use crate::elf::Linkage;
use crate::versym::{
    elf_hash, ImportedSymbol, LibraryRequirement, Requirements, SymbolBinding, SymbolKind,
    VersionName, VersionRequirement,
};

use super::limits::Limits;
use super::plan::{plan_requirements, How};

/// What the planner does with one symbol.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The symbol.
    pub symbol: String,
    /// The library that exports its newest version.
    pub library: &'static str,
    /// Its newest version (what a new link references).
    pub version: String,
    /// `function`, `object` or `tls`.
    pub kind: &'static str,
    /// No version at or below the baseline: the symbols the headline counts.
    pub new: bool,
    /// How the planner lowers it; `None` is a blocker.
    pub how: Option<How>,
    /// For a re-point, move or rename: what the reference becomes (`strtol@GLIBC_2.2.5`).
    pub to: String,
    /// The blocker's reason, the rename's equivalence, or the polyfill's observable
    /// difference from glibc's own function (empty when there is none).
    pub note: String,
}

/// The coverage of one architecture at one baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    /// The ABI database target.
    pub target: &'static str,
    /// The baseline.
    pub baseline: String,
    /// The newest release in the database.
    pub through: String,
    /// One row per symbol name with a version above the baseline, by version then name.
    pub rows: Vec<Row>,
}

/// Counts of the rows of one kind (new names, or newer versions of old names).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Rows counted.
    pub total: usize,
    /// Re-pointed to an older version of the same library.
    pub repoint: usize,
    /// Moved to the library that held the symbol at the baseline.
    pub move_library: usize,
    /// Renamed to an equivalent older symbol.
    pub rename: usize,
    /// Supplied by a polyfill.
    pub polyfill: usize,
    /// Blockers.
    pub blocker: usize,
}

impl Counts {
    /// Rows that the planner lowers.
    pub fn handled(&self) -> usize {
        self.total - self.blocker
    }

    /// The handled share, in percent.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            100.0 * self.handled() as f64 / self.total as f64
        }
    }
}

impl Coverage {
    /// The counts over the rows with (`new`) or without an older version.
    pub fn counts(&self, new: bool) -> Counts {
        let mut c = Counts::default();
        for r in self.rows.iter().filter(|r| r.new == new) {
            c.total += 1;
            match r.how {
                Some(How::Repoint) => c.repoint += 1,
                Some(How::MoveLibrary) => c.move_library += 1,
                Some(How::Rename) => c.rename += 1,
                Some(How::Polyfill) => c.polyfill += 1,
                Some(How::Unversion) | Some(How::Wrap) | None => c.blocker += 1,
            }
        }
        c
    }
}

fn kind_of(k: abi::SymbolKind) -> (SymbolKind, &'static str) {
    match k {
        abi::SymbolKind::Function => (SymbolKind::Function, "function"),
        abi::SymbolKind::Object => (SymbolKind::Object, "object"),
        abi::SymbolKind::Tls => (SymbolKind::Tls, "tls"),
    }
}

/// The ELF machine of a target the planner knows, for the synthetic requirement.
fn machine_of(target: Target) -> (u16, bool) {
    match target.name() {
        "x86_64-linux-gnu" => (object::elf::EM_X86_64.0, true),
        "aarch64-linux-gnu" | "aarch64_be-linux-gnu" => (object::elf::EM_AARCH64.0, true),
        n if n.starts_with("x86_64") => (object::elf::EM_X86_64.0, false),
        n if n.starts_with("i") && n.contains("86") => (object::elf::EM_386.0, false),
        n if n.starts_with("arm") => (object::elf::EM_ARM.0, false),
        n if n.starts_with("powerpc64") => (object::elf::EM_PPC64.0, true),
        n if n.starts_with("powerpc") => (object::elf::EM_PPC.0, false),
        n if n.starts_with("s390x") => (object::elf::EM_S390.0, true),
        n if n.starts_with("riscv64") => (object::elf::EM_RISCV.0, true),
        n if n.starts_with("riscv32") => (object::elf::EM_RISCV.0, false),
        n if n.starts_with("loongarch64") => (object::elf::EM_LOONGARCH.0, true),
        n if n.starts_with("mips64") => (object::elf::EM_MIPS.0, true),
        n if n.starts_with("sparc64") => (object::elf::EM_SPARCV9.0, true),
        _ => (0, true),
    }
}

/// What the planner does, on `target`, with a reference to `symbol` at its newest version.
fn row(target: Target, baseline: &Baseline, symbol: &str) -> Option<Row> {
    let db = abi::db();
    let versions: Vec<abi::SymbolVersion> = db
        .symbol(target, symbol)
        .into_iter()
        .filter(|v| !v.unversioned)
        .collect();
    let newest = versions.iter().map(|v| v.version).max()?;
    if newest <= baseline.glibc {
        return None;
    }
    let sv = versions.iter().find(|v| v.version == newest)?;
    let soname = sv.lib.soname(target);
    let tag = sv.version.tag();
    let name = VersionName::parse(&tag);
    let (kind, kind_name) = kind_of(sv.kind);
    let req = Requirements {
        libraries: vec![LibraryRequirement {
            soname: soname.to_string().into(),
            in_dt_needed: true,
            versions: vec![VersionRequirement {
                name: name.clone(),
                index: 2,
                weak: false,
                hash: elf_hash(tag.as_bytes()),
                hash_ok: true,
                used_by: 1,
            }],
        }],
        imports: vec![ImportedSymbol {
            name: symbol.to_string().into(),
            library: Some(soname.to_string().into()),
            version: Some(name),
            versym: 2,
            binding: SymbolBinding::Global,
            kind,
            copy_relocated: false,
            dynsym_index: 1,
        }],
        ..Requirements::default()
    };
    let arch = crate::polyfill::Arch::of_target(target);
    let (machine, is_64) = machine_of(target);
    let plan = plan_requirements(
        &req,
        Some(target),
        is_64,
        Linkage::Pie,
        machine,
        baseline,
        arch,
        &[],
        &Limits::none(arch),
    );
    let change = plan.changes.iter().find(|c| c.dynsym_index == 1);
    let (how, to) = match change {
        Some(c) => {
            let to = match c.how {
                How::Repoint | How::Rename => format!("{}@{}", c.to_symbol, c.to_version),
                How::MoveLibrary => format!("{}@{} ({})", c.to_symbol, c.to_version, c.to_library),
                _ => String::new(),
            };
            (Some(c.how.clone()), to)
        }
        None => (None, String::new()),
    };
    let note = match how {
        None => plan
            .blockers
            .iter()
            .map(|b| b.reason.clone())
            .collect::<Vec<_>>()
            .join("; "),
        Some(_) => plan.notes.join("; "),
    };
    Some(Row {
        symbol: symbol.to_string(),
        library: soname,
        version: tag,
        kind: kind_name,
        new: !db.exists_at(target, symbol, baseline.glibc),
        how,
        to,
        note,
    })
}

/// The coverage of `target` at `baseline`: every symbol with a version above it.
pub fn coverage(target: Target, baseline: GlibcVersion) -> Coverage {
    let db = abi::db();
    let newest = db.newest_release();
    let names: BTreeSet<String> = Lib::ALL
        .iter()
        .flat_map(|lib| db.library_symbols(target, *lib, newest))
        .map(|(n, _)| n)
        .collect();
    let b = Baseline::glibc(baseline);
    let mut rows: Vec<Row> = names.iter().filter_map(|n| row(target, &b, n)).collect();
    rows.sort_by(|a, b| {
        let v = |r: &Row| VersionName::parse(&r.version).glibc_triple();
        (v(a), &a.symbol).cmp(&(v(b), &b.symbol))
    });
    Coverage {
        target: target.name(),
        baseline: baseline.to_string(),
        through: newest.to_string(),
        rows,
    }
}

fn how_word(how: &Option<How>) -> &'static str {
    match how {
        Some(How::Repoint) => "re-point",
        Some(How::MoveLibrary) => "move",
        Some(How::Rename) => "rename",
        Some(How::Polyfill) => "polyfill",
        Some(How::Unversion) => "unversion",
        Some(How::Wrap) => "wrap",
        None => "**blocker**",
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One line of counts: `918 of 1013 (90.6%): 300 renames, ...`.
pub fn summary(c: &Counts) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (c.repoint, "re-point"),
        (c.move_library, "move"),
        (c.rename, "rename"),
        (c.polyfill, "polyfill"),
        (c.blocker, "blocker"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!(
        "{} of {} handled ({:.1}%): {}",
        c.handled(),
        c.total,
        c.percent(),
        parts.join(", ")
    )
}

/// The coverage of one architecture as Markdown (a level-2 heading, counts, the table).
pub fn markdown(cov: &Coverage) -> String {
    let mut s = String::new();
    let new = cov.counts(true);
    let old = cov.counts(false);
    let _ = writeln!(s, "## {} at glibc {}\n", cov.target, cov.baseline);
    let _ = writeln!(
        s,
        "- Symbols glibc added after {} (through {}), with no version at or below it: {}.",
        cov.baseline,
        cov.through,
        summary(&new)
    );
    let _ = writeln!(
        s,
        "- Symbols with a newer version and an older one at or below {}: {}.\n",
        cov.baseline,
        summary(&old)
    );
    let _ = writeln!(
        s,
        "| symbol | newest version | library | handled | becomes / why |"
    );
    let _ = writeln!(s, "| --- | --- | --- | --- | --- |");
    for r in &cov.rows {
        let why = match (r.to.is_empty(), r.note.is_empty()) {
            (true, _) => cell(&r.note),
            (false, true) => format!("`{}`", r.to),
            (false, false) => format!("`{}`: {}", r.to, cell(&r.note)),
        };
        let sym = if r.kind == "function" {
            format!("`{}`", r.symbol)
        } else {
            format!("`{}` ({})", r.symbol, r.kind)
        };
        let _ = writeln!(
            s,
            "| {sym} | {} | {} | {} | {why} |",
            r.version,
            r.library,
            how_word(&r.how)
        );
    }
    s
}

/// `docs/coverage.md`: the coverage of the architectures with polyfills at `baseline`.
pub fn document(baseline: GlibcVersion) -> String {
    let db = abi::db();
    let covs: Vec<Coverage> = ["x86_64", "aarch64"]
        .iter()
        .filter_map(|a| db.target_by_name(a))
        .map(|t| coverage(t, baseline))
        .collect();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Coverage: glibc symbols newer than {baseline}\n\n\
         Generated by `elfcompat generate coverage` (any baseline and architecture: \
         `elfcompat abi --coverage --glibc X --arch A`); `tests/coverage.rs` regenerates it \
         and compares, so it cannot drift from the planner. Every symbol glibc exports with \
         a version above {baseline} in libc, libm, libpthread, libdl, librt, libutil, \
         libresolv, libanl and ld.so (the ABI database: libcrypt, libnsl and libmvec are \
         not in it) is planned as a binary importing it at its newest version would be: \
         re-pointed to an older version, moved to the library that held it before the \
         2.34 merge, renamed to an older symbol glibc itself defines as the same function \
         (the equivalence is given), supplied by a polyfill (any difference from glibc's \
         own function is given), or a blocker with its reason.\n"
    );
    for c in &covs {
        let n = c.counts(true);
        let _ = writeln!(s, "- {}: {}", c.target, summary(&n));
    }
    let _ = writeln!(s);
    for c in &covs {
        s.push_str(&markdown(c));
        s.push('\n');
    }
    s
}
