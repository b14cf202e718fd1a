//! Cross-check of the embedded glibc ABI database (built from zig's abilists)
//! against glibc's own `*.abilist` files of three real releases, as shipped in
//! Debian's `glibc-source`: 2.31 (bullseye), 2.36 (bookworm), 2.41 (trixie).
//!
//! The abilists are prepared by `tools/fetch-glibc-abilists.sh` in
//! `${ELFCOMPAT_CACHE:-$HOME/.cache/elfcompat}/glibc-source/<version>/`. Without
//! them the test fails when `CI` is set and is skipped otherwise.
//!
//! What must hold, per release R and target (x86_64, aarch64, i386):
//! 1. Every `GLIBC_*` symbol version of libc, libm, libpthread, libdl, librt,
//!    libutil, libresolv, libanl and ld.so in R's abilists is in the database with
//!    the same tag, kind and object size. The library may differ only in one way:
//!    the abilist lists it in libc while the database keeps it under the library
//!    that first exported it (libpthread, librt, libanl, …, merged into libc, most
//!    in 2.34).
//! 2. Every symbol version the database says R provides is in one of R's
//!    abilists with the same tag: in the database's library, or else in libc
//!    (libpthread's, ld.so's and libm's duplicates of libc functions that later
//!    releases dropped from those libraries; the lookup still finds libc's).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use elfcompat::abi::{db, GlibcVersion, Lib, SymbolKind, Target};

/// (abilist file stem, library)
const LIBS: [(&str, Lib); 9] = [
    ("libc", Lib::C),
    ("libm", Lib::M),
    ("libpthread", Lib::Pthread),
    ("libdl", Lib::Dl),
    ("librt", Lib::Rt),
    ("libutil", Lib::Util),
    ("libresolv", Lib::Resolv),
    ("ld", Lib::Ld),
    ("libanl", Lib::Anl),
];

/// (database target, directory under sysdeps/unix/sysv/linux)
const ARCHES: [(&str, &str); 3] = [
    ("x86_64-linux-gnu", "x86_64/64"),
    ("aarch64-linux-gnu", "aarch64"),
    ("x86-linux-gnu", "i386"),
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct AbiLine {
    lib: Lib,
    name: String,
    version: GlibcVersion,
    kind: SymbolKind2,
    size: Option<u64>,
}

/// SymbolKind has no Ord; a local copy for sorting.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SymbolKind2 {
    Function,
    Object,
}

fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("ELFCOMPAT_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache").join("elfcompat")
}

/// Written straight to stderr so the counts show in CI logs even for passing tests.
fn report(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Every `GLIBC_*` version tag a library defines in an abilist, placeholders included.
fn abilist_tags(path: &Path) -> BTreeSet<GlibcVersion> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|tag| *tag != "GLIBC_PRIVATE")
        .filter_map(|tag| tag.strip_prefix("GLIBC_").and_then(GlibcVersion::parse))
        .collect()
}

fn parse_abilist(path: &Path, lib: Lib) -> Vec<AbiLine> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [tag, name, kind, rest @ ..] = fields.as_slice() else {
            panic!("{}:{}: malformed line {line:?}", path.display(), n + 1);
        };
        // GCC_3.0 (i386 libc's unwinder), GLIBC_PRIVATE and the 2.34+ stubs'
        // placeholders are outside the database by design.
        if !tag.starts_with("GLIBC_")
            || *tag == "GLIBC_PRIVATE"
            || name.ends_with("_version_placeholder")
        {
            continue;
        }
        let version = GlibcVersion::parse(tag)
            .unwrap_or_else(|| panic!("{}:{}: bad tag {tag}", path.display(), n + 1));
        let (kind, size) = match (*kind, rest) {
            ("F", []) => (SymbolKind2::Function, None),
            ("D", [size]) => {
                let size = u64::from_str_radix(size.trim_start_matches("0x"), 16)
                    .unwrap_or_else(|_| panic!("{}:{}: bad size {size}", path.display(), n + 1));
                (SymbolKind2::Object, Some(size))
            }
            _ => panic!("{}:{}: unexpected kind in {line:?}", path.display(), n + 1),
        };
        out.push(AbiLine {
            lib,
            name: name.to_string(),
            version,
            kind,
            size,
        });
    }
    out
}

fn kind2(k: SymbolKind) -> SymbolKind2 {
    match k {
        SymbolKind::Function => SymbolKind2::Function,
        SymbolKind::Object | SymbolKind::Tls => SymbolKind2::Object,
    }
}

#[derive(Default)]
struct Counts {
    abilist: usize,
    same_lib: usize,
    in_first_lib: usize,
    db_checked: usize,
    db_elsewhere: usize,
    extra_tags: usize,
}

/// Compare one release on one target; returns the mismatches (empty = pass).
fn crosscheck(release: &str, target: Target, dir: &Path) -> (Counts, Vec<String>) {
    let db = db();
    let rel = GlibcVersion::parse(release).unwrap_or_else(|| panic!("bad release {release}"));
    let mut errors = Vec::new();
    let mut c = Counts::default();

    let mut abilist: Vec<AbiLine> = Vec::new();
    for (stem, lib) in LIBS {
        abilist.extend(parse_abilist(&dir.join(format!("{stem}.abilist")), lib));
    }
    // (name, version) -> libraries of R that export it
    let mut holders: BTreeMap<(&str, GlibcVersion), BTreeSet<Lib>> = BTreeMap::new();
    for l in &abilist {
        holders
            .entry((l.name.as_str(), l.version))
            .or_default()
            .insert(l.lib);
    }

    // 1. abilist -> database
    for l in &abilist {
        c.abilist += 1;
        let versions = db.symbol_at(target, &l.name, rel);
        let at_tag: Vec<_> = versions.iter().filter(|s| s.version == l.version).collect();
        if at_tag.is_empty() {
            errors.push(format!(
                "{release} {}: {}@{} ({}) is missing from the database (it has: {})",
                target.name(),
                l.name,
                l.version.tag(),
                l.lib,
                versions
                    .iter()
                    .map(|s| format!("{}@{}", s.lib, s.version))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        for s in &at_tag {
            if kind2(s.kind) != l.kind || s.size != l.size {
                errors.push(format!(
                    "{release} {}: {}@{}: abilist says {:?} size {:?}, database {:?} size {:?}",
                    target.name(),
                    l.name,
                    l.version,
                    l.kind,
                    l.size,
                    s.kind,
                    s.size
                ));
            }
        }
        if at_tag.iter().any(|s| s.lib == l.lib) {
            c.same_lib += 1;
        } else if l.lib == Lib::C {
            c.in_first_lib += 1;
        } else {
            errors.push(format!(
                "{release} {}: {}@{} is in {} but the database puts it in {}",
                target.name(),
                l.name,
                l.version,
                l.lib,
                at_tag
                    .iter()
                    .map(|s| s.lib.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    // 2. database -> abilist
    for (_, lib) in LIBS {
        for (name, s) in db.library_symbols(target, lib, rel) {
            c.db_checked += 1;
            match holders.get(&(name.as_str(), s.version)) {
                Some(libs) if libs.contains(&lib) => {}
                Some(libs) if libs.contains(&Lib::C) => c.db_elsewhere += 1,
                Some(libs) => errors.push(format!(
                    "{release} {}: database has {}@{} in {lib}, glibc {release} in {}",
                    target.name(),
                    name,
                    s.version,
                    libs.iter().map(|l| l.name()).collect::<Vec<_>>().join(", ")
                )),
                None => errors.push(format!(
                    "{release} {}: database has {}@{} in {lib}, glibc {release} does not export it",
                    target.name(),
                    name,
                    s.version
                )),
            }
        }
    }

    // 3. The version tags each library defines (for stub libraries): the
    // database's must all be defined. glibc may define more: tags that only
    // symbols merged into libc use (the database keeps those symbols under their
    // first library) and tags that only hold a `*_version_placeholder`.
    for (stem, lib) in LIBS {
        let defined = abilist_tags(&dir.join(format!("{stem}.abilist")));
        let ours: BTreeSet<GlibcVersion> =
            db.library_versions(target, lib, rel).into_iter().collect();
        for v in ours.difference(&defined) {
            errors.push(format!(
                "{release} {}: database says {lib} defines {}, glibc {release} does not",
                target.name(),
                v.tag()
            ));
        }
        for v in defined.difference(&ours) {
            let real_symbols: Vec<&AbiLine> = abilist
                .iter()
                .filter(|l| l.lib == lib && l.version == *v)
                .collect();
            let explained = real_symbols.iter().all(|l| {
                lib == Lib::C
                    && db
                        .symbol(target, &l.name)
                        .iter()
                        .any(|s| s.version == *v && s.lib != Lib::C)
            });
            if explained {
                c.extra_tags += 1;
            } else {
                errors.push(format!(
                    "{release} {}: glibc {release}'s {lib} defines {}, the database has no {lib} symbol at it",
                    target.name(),
                    v.tag()
                ));
            }
        }
    }
    (c, errors)
}

fn run_release(release: &str) {
    let base = cache_root().join("glibc-source").join(release);
    if !base.join(".complete").exists() {
        let msg = format!(
            "glibc {release} abilists not found in {}: run tools/fetch-glibc-abilists.sh",
            base.display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (required when CI is set)");
        }
        report(&format!("SKIPPED abi_crosscheck {release}: {msg}"));
        return;
    }
    let db = db();
    let mut all_errors = Vec::new();
    for (target_name, subdir) in ARCHES {
        let target = db
            .target_by_name(target_name)
            .unwrap_or_else(|| panic!("no target {target_name}"));
        let dir = base.join("sysdeps/unix/sysv/linux").join(subdir);
        if !dir.join("libc.abilist").exists() {
            panic!(
                "{} has no libc.abilist: rerun tools/fetch-glibc-abilists.sh",
                dir.display()
            );
        }
        let (c, errors) = crosscheck(release, target, &dir);
        report(&format!(
            "abi_crosscheck glibc {release} {target_name}: {} abilist symbol versions compared \
             ({} same library, {} in libc vs. first library in the database); \
             {} database symbol versions checked back ({} found in libc instead); \
             {} version tags defined only for merged or placeholder symbols; {} mismatches",
            c.abilist,
            c.same_lib,
            c.in_first_lib,
            c.db_checked,
            c.db_elsewhere,
            c.extra_tags,
            errors.len()
        ));
        assert!(
            c.abilist > 3000 && c.db_checked > 3000,
            "suspiciously few symbols compared"
        );
        all_errors.extend(errors);
    }
    assert!(
        all_errors.is_empty(),
        "{} mismatches:\n{}",
        all_errors.len(),
        all_errors.join("\n")
    );
}

#[test]
fn glibc_2_31_bullseye() {
    run_release("2.31");
}

#[test]
fn glibc_2_36_bookworm() {
    run_release("2.36");
}

#[test]
fn glibc_2_41_trixie() {
    run_release("2.41");
}
