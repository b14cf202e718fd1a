//! `verify --loader-check`: the real loader, in trace mode, against stub libraries made
//! from the ABI database.
//!
//! A C program is compiled now with the system's gcc (linked against the host's glibc
//! 2.36, so it needs `GLIBC_2.34` through `__libc_start_main` and `pthread_create`, and
//! `GLIBC_2.29` through `pow`); its imports (printf, memcpy, pthread_create, pow) can all
//! be lowered. Then:
//!
//! - as built, the loader check at 2.31 reports `GLIBC_2.34` missing, and at 2.17 also
//!   libm's `GLIBC_2.29`, with the undefined symbols;
//! - patched by `elfcompat patch --glibc 2.17`, it passes at 2.17 and at 2.31;
//! - the patched file with its `memcpy@GLIBC_2.14` requirement rewritten by hand to
//!   `GLIBC_2.18` fails at 2.17 (no such version) and at 2.31 (the version exists but
//!   `memcpy@GLIBC_2.18` does not: a symbol-level answer);
//! - the stubs define what the database says (`memcpy@GLIBC_2.2.5` and
//!   `memcpy@@GLIBC_2.14` at 2.17, no `GLIBC_2.14` at 2.12), read back with readelf;
//! - cross-validation: the stubs' version definitions equal those of the real libraries
//!   of Debian 11 (glibc 2.31, `tools/old-glibc.sh`), of this host, and of the Debian
//!   cross libraries in `/usr/<triplet>/lib` (glibc 2.36); the symbols too, up to a
//!   short list of known differences. The comparison is printed (`--nocapture`).
//!
//! Without gcc (or readelf, or the old glibc) the tests concerned are skipped, unless
//! `CI` is set, when they fail.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
mod support_gen;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use elfcompat::abi::{self, GlibcVersion, Target};
use elfcompat::verify::loader::{self, LoaderReport, Problem, RequiredBy};
use elfcompat::verify::stubs;
use support_gen::{say, unavailable};

const TEST: &str = "loader_check";

const PROGRAM: &str = r#"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *worker(void *arg) { return arg; }

int main(int argc, char **argv) {
    size_t n = strlen(argv[0]) + 1;
    char *copy = malloc(n);
    memcpy(copy, argv[0], n);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, copy) != 0) return 1;
    pthread_join(t, NULL);
    printf("%s %.1f\n", copy, pow((double)argc + 1.0, 2.5));
    free(copy);
    return 0;
}
"#;

const CXX_PROGRAM: &str = r#"
#include <iostream>
#include <string>
int main(int argc, char **argv) { std::string s(argv[0]); std::cout << s.size() + argc << std::endl; }
"#;

fn v(s: &str) -> GlibcVersion {
    GlibcVersion::parse(s).unwrap_or_else(|| panic!("version {s}"))
}

fn x86_64() -> Target {
    abi::db().target_by_name("x86_64").expect("x86_64 target")
}

fn tool_works(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The test programs, built once: (directory, original, patched to 2.17).
struct Built {
    _dir: tempfile::TempDir,
    original: PathBuf,
    patched: PathBuf,
}

fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();
    match BUILT.get_or_init(build) {
        Ok(b) => Some(b),
        Err(e) => unavailable(TEST, e),
    }
}

fn build() -> Result<Built, String> {
    if !tool_works("gcc", "--version") {
        return Err("no gcc".into());
    }
    let dir = common::tempdir();
    let src = dir.path().join("prog.c");
    std::fs::write(&src, PROGRAM).map_err(|e| e.to_string())?;
    let original = dir.path().join("prog");
    let out = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&original)
        .arg(&src)
        .args(["-lm", "-lpthread"])
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gcc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let patched = dir.path().join("prog.2.17");
    let run = common::run([
        "patch".as_ref(),
        "--glibc".as_ref(),
        "2.17".as_ref(),
        original.as_os_str(),
        "-o".as_ref(),
        patched.as_os_str(),
    ]);
    if run.code != Some(0) {
        return Err(format!("elfcompat patch failed\n{}", run.describe()));
    }
    Ok(Built {
        _dir: dir,
        original,
        patched,
    })
}

fn check(bin: &Path, release: &str) -> LoaderReport {
    loader::loader_check(bin, x86_64(), v(release))
        .unwrap_or_else(|e| panic!("loader check of {} at {release}: {e}", bin.display()))
}

/// "libc.so.6 GLIBC_2.34" for each missing version the binary itself has.
fn missing_versions(r: &LoaderReport) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.required_by == RequiredBy::Binary)
        .filter_map(|f| match &f.problem {
            Problem::MissingVersion { library, version } => Some(format!("{library} {version}")),
            _ => None,
        })
        .collect()
}

fn undefined(r: &LoaderReport) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.required_by == RequiredBy::Binary)
        .filter_map(|f| match &f.problem {
            Problem::UndefinedSymbol { symbol, version } => {
                Some(format!("{symbol}@{}", version.as_deref().unwrap_or("")))
            }
            _ => None,
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn unpatched_program_fails_on_2_31_and_2_17() {
    let Some(b) = built() else { return };
    let r = check(&b.original, "2.31");
    say(&format!("loader_check: as built, at 2.31:\n{}", r.output));
    assert!(!r.ok());
    assert_eq!(
        missing_versions(&r),
        set(&["libc.so.6 GLIBC_2.34"]),
        "{r:#?}"
    );
    assert!(
        undefined(&r).contains("__libc_start_main@GLIBC_2.34"),
        "{r:#?}"
    );
    assert!(r.loaded.iter().any(|o| o.stub && o.name == "libc.so.6"));

    let r = check(&b.original, "2.17");
    assert_eq!(
        missing_versions(&r),
        set(&["libc.so.6 GLIBC_2.34", "libm.so.6 GLIBC_2.29"]),
        "{r:#?}"
    );
    let u = undefined(&r);
    for s in [
        "pow@GLIBC_2.29",
        "pthread_create@GLIBC_2.34",
        "__libc_start_main@GLIBC_2.34",
    ] {
        assert!(u.contains(s), "{s} not in {u:?}");
    }

    // The CLI: the loader's findings join verify's, and the exit code.
    let run = common::run([
        "verify".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        "--loader-check".as_ref(),
        b.original.as_os_str(),
    ]);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("[loader] libc.so.6: version GLIBC_2.34 not found"),
        "{}",
        run.describe()
    );
}

#[test]
fn patched_program_passes_on_2_17_and_2_31() {
    let Some(b) = built() else { return };
    for release in ["2.17", "2.31"] {
        let r = check(&b.patched, release);
        say(&format!(
            "loader_check: patched to 2.17, at {release}: {} finding(s), loaded {:?}",
            r.findings.len(),
            r.loaded.iter().map(|o| o.name.as_str()).collect::<Vec<_>>()
        ));
        assert!(r.ok() && r.findings.is_empty(), "{r:#?}\n{}", r.output);
        // The patch moved pthread_create to libpthread.so.0: the stub must be loaded.
        assert!(r
            .loaded
            .iter()
            .any(|o| o.stub && o.name == "libpthread.so.0"));
        let run = common::run([
            "verify".as_ref(),
            "--glibc".as_ref(),
            release.as_ref(),
            "--loader-check".as_ref(),
            b.patched.as_os_str(),
        ]);
        run.assert_code(0);
    }
    // The caller's loader environment does not reach the traced loader.
    let mut cmd = Command::new(common::bin());
    cmd.args(["verify", "--glibc", "2.17", "--loader-check"])
        .arg(&b.patched)
        .env("LD_LIBRARY_PATH", "/lib/x86_64-linux-gnu")
        .env("LD_PRELOAD", "/nonexistent/libnothing.so");
    let run = common::run_command(cmd, common::DEFAULT_TIMEOUT);
    run.assert_code(0);
}

#[test]
fn hand_corrupted_requirement_fails() {
    let Some(b) = built() else { return };
    // The original for 2.17 fails listing every version it needs above 2.17.
    let run = common::run([
        "verify".as_ref(),
        "--glibc".as_ref(),
        "2.17".as_ref(),
        "--loader-check".as_ref(),
        "--json".as_ref(),
        b.original.as_os_str(),
    ]);
    run.assert_code(1);
    let json = common::json_of(&run);
    let file = &json["files"][0];
    assert_eq!(file["ok"], false);
    let versions: BTreeSet<String> = file["loader"]["findings"]
        .as_array()
        .expect("loader findings")
        .iter()
        .filter(|f| f["problem"]["kind"] == "missing-version")
        .map(|f| {
            format!(
                "{} {}",
                f["problem"]["library"].as_str().unwrap_or(""),
                f["problem"]["version"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        versions,
        set(&["libc.so.6 GLIBC_2.34", "libm.so.6 GLIBC_2.29"])
    );

    // memcpy@GLIBC_2.14 rewritten to GLIBC_2.18 (same length; vna_hash fixed too).
    let mut bytes = std::fs::read(&b.patched).expect("patched file");
    {
        let file = elfcompat::elf::ElfFile::parse(&bytes).expect("parse");
        let dynamic = file.dynamic.as_ref().expect("dynamic");
        let strtab = dynamic.layout.strtab.expect("strtab").offset as usize;
        let aux = dynamic
            .verneed
            .iter()
            .flat_map(|vn| vn.aux.iter())
            .find(|a| a.name == "GLIBC_2.14")
            .expect("a GLIBC_2.14 requirement (memcpy)")
            .clone();
        let at = aux.offset as usize;
        let vna_name = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
        let name_at = strtab + vna_name as usize;
        drop(file);
        assert_eq!(&bytes[name_at..name_at + 10], b"GLIBC_2.14");
        bytes[name_at..name_at + 10].copy_from_slice(b"GLIBC_2.18");
        let hash = object::elf::hash(b"GLIBC_2.18");
        bytes[at..at + 4].copy_from_slice(&hash.to_le_bytes());
    }
    let dir = common::tempdir();
    let corrupt = dir.path().join("prog.corrupt");
    std::fs::write(&corrupt, &bytes).expect("write");

    let r = check(&corrupt, "2.17");
    assert_eq!(
        missing_versions(&r),
        set(&["libc.so.6 GLIBC_2.18"]),
        "{r:#?}"
    );
    assert!(undefined(&r).contains("memcpy@GLIBC_2.18"), "{r:#?}");
    // 2.31 defines GLIBC_2.18, but not memcpy at it: only the symbol is missing.
    let r = check(&corrupt, "2.31");
    assert!(missing_versions(&r).is_empty(), "{r:#?}");
    assert_eq!(undefined(&r), set(&["memcpy@GLIBC_2.18"]), "{r:#?}");
    say(&format!("loader_check: corrupted, at 2.31:\n{}", r.output));
}

#[test]
fn host_libraries_are_notes_not_failures() {
    let Some(_) = built() else { return };
    if !tool_works("g++", "--version") {
        unavailable::<()>(TEST, "no g++");
        return;
    }
    let dir = common::tempdir();
    let src = dir.path().join("cxx.cc");
    std::fs::write(&src, CXX_PROGRAM).expect("write");
    let bin = dir.path().join("cxx");
    let out = Command::new("g++")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("g++");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = check(&bin, "2.17");
    // The binary needs GLIBC_2.34 itself (that counts) …
    assert!(missing_versions(&r).contains("libc.so.6 GLIBC_2.34"));
    // … and this machine's libstdc++ needs more, which is only a note.
    let host: Vec<_> = r
        .findings
        .iter()
        .filter(|f| {
            matches!(&f.required_by, RequiredBy::Dependency { path, bundled: false } if path.contains("libstdc++"))
        })
        .collect();
    assert!(!host.is_empty(), "{r:#?}");
    assert!(host.iter().all(|f| !f.counts()));
    let notes = r.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("libstdc++.so.6") && n.contains("not of the target system")),
        "{notes:#?}"
    );
    assert!(r
        .verify_findings()
        .iter()
        .all(|f| f.check == "loader" && !f.message.contains("libstdc++")));
}

#[test]
fn static_binary_is_skipped() {
    let Some(_) = built() else { return };
    let dir = common::tempdir();
    let src = dir.path().join("s.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write");
    let bin = dir.path().join("s");
    let out = Command::new("gcc")
        .args(["-static", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("gcc");
    if !out.status.success() {
        unavailable::<()>(TEST, "no static libc");
        return;
    }
    let r = check(&bin, "2.17");
    assert!(r.skipped.is_some() && r.findings.is_empty(), "{r:#?}");
}

// ---------------------------------------------------------------------------------------
// The stubs themselves, read back with readelf, and compared with real glibc libraries.

fn readelf(args: &[&str], file: &Path) -> String {
    let out = Command::new("readelf")
        .args(args)
        .arg(file)
        .output()
        .expect("readelf");
    assert!(out.status.success(), "readelf {args:?} {}", file.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The version definitions, in order, as readelf -V names them (base first).
fn verdefs(file: &Path) -> Vec<String> {
    let text = readelf(&["-V", "-W"], file);
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("Version definition section") {
            inside = true;
        } else if line.starts_with("Version ") {
            inside = false;
        } else if inside && line.contains("Rev:") {
            if let Some((_, name)) = line.split_once("Name: ") {
                out.push(name.trim().to_string());
            }
        }
    }
    out
}

/// Defined, versioned dynamic symbols as `name@VERSION` (`@@` folded to `@`).
fn defined_symbols(file: &Path) -> BTreeSet<String> {
    readelf(&["--dyn-syms", "-W"], file)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Num: Value Size Type Bind Vis [ppc64le: [<localentry>: 8]] Ndx Name
            if f.len() < 8 || !f[0].ends_with(':') {
                return None;
            }
            let (ndx, name) = (f[f.len() - 2], f[f.len() - 1]);
            if ndx == "UND" || ndx == "ABS" || f[4] == "LOCAL" {
                return None;
            }
            let name = name.replace("@@", "@");
            name.contains('@').then_some(name)
        })
        .collect()
}

fn stub_dir(target: Target, release: GlibcVersion) -> tempfile::TempDir {
    let dir = common::tempdir();
    stubs::write_stubs(target, release, dir.path()).expect("write stubs");
    dir
}

#[test]
fn stub_libc_defines_what_the_database_says() {
    if !tool_works("readelf", "--version") {
        unavailable::<()>(TEST, "no readelf");
        return;
    }
    let dir = stub_dir(x86_64(), v("2.17"));
    let libc = dir.path().join("libc.so.6");
    let syms = readelf(&["--dyn-syms", "-W"], &libc);
    assert!(syms.contains(" memcpy@GLIBC_2.2.5"), "hidden old memcpy");
    assert!(syms.contains(" memcpy@@GLIBC_2.14"), "default memcpy");
    let defs = verdefs(&libc);
    assert_eq!(defs.first().map(String::as_str), Some("libc.so.6"));
    assert!(defs.iter().any(|d| d == "GLIBC_2.14"));
    assert_eq!(defs.last().map(String::as_str), Some("GLIBC_2.17"));
    let dynamic = readelf(&["-d", "-W"], &libc);
    assert!(dynamic.contains("Library soname: [libc.so.6]"));
    assert!(dynamic.contains("(GNU_HASH)") && dynamic.contains("(HASH)"));
    assert!(!dir.path().join("ld-linux-x86-64.so.2").exists());

    let dir = stub_dir(x86_64(), v("2.12"));
    let libc = dir.path().join("libc.so.6");
    assert!(!verdefs(&libc).iter().any(|d| d == "GLIBC_2.14"));
    let syms = defined_symbols(&libc);
    assert!(syms.contains("memcpy@GLIBC_2.2.5"));
    assert!(!syms.contains("memcpy@GLIBC_2.14"));
    // At 2.12 memcpy@GLIBC_2.2.5 is the default version.
    assert!(readelf(&["--dyn-syms", "-W"], &libc).contains(" memcpy@@GLIBC_2.2.5"));
}

const LIBS: [&str; 8] = [
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libanl.so.1",
];

/// Real-only symbols the stubs may lack: the merged libraries' placeholders.
fn known_missing(sym: &str) -> bool {
    let name = sym.split('@').next().unwrap_or(sym);
    (name.starts_with("__lib") && name.ends_with("_version_placeholder"))
        || sym.ends_with("@GCC_3.0")
}

/// Compare the stubs of `release` with real libraries in `real_dir`; returns the report
/// lines and the list of disagreements (empty when they agree).
fn compare(target: Target, release: GlibcVersion, real_dir: &Path) -> (Vec<String>, Vec<String>) {
    let stubs = stub_dir(target, release);
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    let mut real_union = BTreeSet::new();
    let mut stub_union = BTreeSet::new();
    for lib in LIBS {
        let real = real_dir.join(lib);
        let stub = stubs.path().join(lib);
        if !real.exists() {
            continue;
        }
        let real_defs: Vec<String> = verdefs(&real)
            .into_iter()
            .filter(|d| d != "GLIBC_PRIVATE" && d != "GCC_3.0")
            .collect();
        let stub_defs = verdefs(&stub);
        if real_defs == stub_defs {
            lines.push(format!(
                "  {lib:<16} version definitions equal ({} incl. base)",
                real_defs.len()
            ));
        } else {
            let r: BTreeSet<_> = real_defs.iter().collect();
            let s: BTreeSet<_> = stub_defs.iter().collect();
            let msg = format!(
                "  {lib:<16} version definitions DIFFER: only real {:?}, only stub {:?}",
                r.difference(&s).collect::<Vec<_>>(),
                s.difference(&r).collect::<Vec<_>>()
            );
            lines.push(msg.clone());
            bad.push(msg);
        }
        let real_syms: BTreeSet<String> = defined_symbols(&real)
            .into_iter()
            .filter(|s| !s.ends_with("@GLIBC_PRIVATE"))
            .collect();
        let stub_syms = defined_symbols(&stub);
        lines.push(format!(
            "  {lib:<16} symbols: real {}, stub {}, only real {}, only stub {}",
            real_syms.len(),
            stub_syms.len(),
            real_syms.difference(&stub_syms).count(),
            stub_syms.difference(&real_syms).count()
        ));
        real_union.extend(real_syms);
        stub_union.extend(stub_syms);
    }
    // Lookups do not care which loaded library defines name@version: what matters is the
    // union over the libraries.
    let missing: Vec<&String> = real_union
        .difference(&stub_union)
        .filter(|s| !known_missing(s))
        .collect();
    let known: Vec<&String> = real_union
        .difference(&stub_union)
        .filter(|s| known_missing(s))
        .collect();
    let placeholders = known.iter().filter(|s| s.contains("_placeholder@")).count();
    let listed: Vec<&&String> = known
        .iter()
        .filter(|s| !s.contains("_placeholder@"))
        .collect();
    lines.push(format!(
        "  all libraries: real {} name@version, stubs {}; only in the real ones: \
         {placeholders} version placeholder(s) and {listed:?}",
        real_union.len(),
        stub_union.len(),
    ));
    if !missing.is_empty() {
        let msg = format!("  symbols of the real libraries no stub defines: {missing:?}");
        lines.push(msg.clone());
        bad.push(msg);
    }
    (lines, bad)
}

fn bullseye_libdir() -> Result<PathBuf, String> {
    let rt = common::fetch_old_runtime("bullseye", "amd64")?;
    let dir = rt.root.join("lib/x86_64-linux-gnu");
    if dir.join("libc.so.6").exists() {
        Ok(dir)
    } else {
        Err(format!("no libc.so.6 in {}", dir.display()))
    }
}

#[test]
fn stubs_match_debian_11_glibc_2_31() {
    if !tool_works("readelf", "--version") {
        unavailable::<()>(TEST, "no readelf");
        return;
    }
    let dir = match bullseye_libdir() {
        Ok(d) => d,
        Err(e) => {
            unavailable::<()>(TEST, &format!("no glibc 2.31: {e}"));
            return;
        }
    };
    let (lines, bad) = compare(x86_64(), v("2.31"), &dir);
    say(&format!(
        "loader_check: stubs at 2.31 vs Debian 11 {}:\n{}",
        dir.display(),
        lines.join("\n")
    ));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The host's glibc and the Debian cross libraries (`/usr/<triplet>/lib`, from the
/// `libc6-*-cross` packages), at their release.
#[test]
fn stubs_match_this_machines_glibc_and_cross_libraries() {
    if !tool_works("readelf", "--version") {
        unavailable::<()>(TEST, "no readelf");
        return;
    }
    let db = abi::db();
    let getconf = Command::new("getconf").arg("GNU_LIBC_VERSION").output();
    let host_release = getconf
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .nth(1)
                .and_then(GlibcVersion::parse)
        })
        .filter(|r| *r <= db.newest_release());
    let Some(release) = host_release else {
        unavailable::<()>(TEST, "the host's glibc version");
        return;
    };
    let mut dirs = vec![(x86_64(), PathBuf::from("/lib/x86_64-linux-gnu"))];
    for (name, triplet) in [
        ("aarch64", "aarch64-linux-gnu"),
        ("armhf", "arm-linux-gnueabihf"),
        ("i686", "i686-linux-gnu"),
        ("ppc64", "powerpc64-linux-gnu"),
        ("ppc64le", "powerpc64le-linux-gnu"),
        ("riscv64", "riscv64-linux-gnu"),
        ("s390x", "s390x-linux-gnu"),
        ("mips64el", "mips64el-linux-gnuabi64"),
    ] {
        let dir = Path::new("/usr").join(triplet).join("lib");
        if let (Some(t), true) = (db.target_by_name(name), dir.join("libc.so.6").exists()) {
            dirs.push((t, dir));
        }
    }
    let mut all_bad = Vec::new();
    for (target, dir) in dirs {
        let (lines, bad) = compare(target, release, &dir);
        say(&format!(
            "loader_check: stubs of {} at {release} vs {}:\n{}",
            target.name(),
            dir.display(),
            lines.join("\n")
        ));
        all_bad.extend(bad.into_iter().map(|b| format!("{}: {b}", target.name())));
    }
    assert!(all_bad.is_empty(), "{}", all_bad.join("\n"));
}

/// Another architecture through qemu-user and Debian's cross loader, when installed.
#[test]
fn aarch64_through_qemu() {
    let bin = common::crate_root().join(common::fixture("aarch64/hello"));
    let Some(target) = abi::db().target_by_name("aarch64") else {
        return;
    };
    let r = match loader::loader_check(&bin, target, v("2.31")) {
        Ok(r) => r,
        Err(loader::LoaderError::UnsupportedArch { reason, .. }) => {
            say(&format!("loader_check: SKIPPED aarch64: {reason}"));
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(r.runner.is_some());
    assert!(
        missing_versions(&r).contains("libc.so.6 GLIBC_2.34"),
        "{r:#?}"
    );
    // The fixture was linked against 2.36: everything is there at 2.36.
    let r = loader::loader_check(&bin, target, v("2.36")).expect("2.36");
    assert!(r.ok(), "{r:#?}\n{}", r.output);
}
