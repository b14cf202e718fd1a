//! Real Debian 12 programs on i386 and armhf: the executables of coreutils, bash, grep, sed,
//! tar, gzip, xz-utils, findutils, diffutils and python3.11-minimal (bookworm's packages,
//! fetched with `tools/debian-fetch.sh`), patched to glibc 2.31 and run with `--version`
//! under qemu-user on bullseye's libc6 of the architecture (2.31), against the unpatched
//! program on bookworm's libc6 (2.36). The libraries they load (libtinfo, libpcre2,
//! libselinux, liblzma, ...) are bookworm's in both runs, lowered to 2.31 by elfcompat for
//! the bullseye run (bullseye's own copies are older releases, which print other versions
//! and lack symbols the programs use), so the runs differ in glibc alone. Exit code, stdout
//! and stderr (the program's directory replaced) must be the same for every executable that
//! was patched; the counts are printed: patched, refused (each with its reason), ran the
//! same, differ.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::cross::{debian_packages as fetch, LIBRARIES, PROGRAMS};

/// The library directories of an extracted package tree, `:`-separated.
fn lib_dirs(root: &Path, triplet: &str) -> String {
    [format!("lib/{triplet}"), format!("usr/lib/{triplet}")]
        .iter()
        .map(|d| root.join(d).display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// A copy of the library tree `from` at `to` (symbolic links kept), each shared library in
/// it patched to 2.31; every one must be.
fn lower_libraries(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let st = Command::new("cp")
        .arg("-a")
        .arg(from.join("."))
        .arg(to)
        .status()
        .expect("cp");
    assert!(st.success());
    let mut todo = vec![to.to_path_buf()];
    let mut lowered = 0;
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).expect("metadata");
            if meta.is_dir() {
                todo.push(p);
                continue;
            }
            let is_library = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".so"));
            if !meta.is_file() || !is_library {
                continue;
            }
            let out = p.with_extension("lowered");
            let o = Command::new(common::bin())
                .args(["patch", "--glibc", "2.31"])
                .arg(&p)
                .arg("-o")
                .arg(&out)
                .output()
                .expect("elfcompat");
            assert!(
                o.status.success(),
                "{} cannot be lowered to 2.31: {}{}",
                p.display(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            std::fs::rename(&out, &p).expect("rename");
            lowered += 1;
        }
    }
    assert!(
        lowered >= LIBRARIES.len(),
        "only {lowered} libraries lowered"
    );
}

/// The dynamically linked ELF executables (with PT_INTERP) under the tree's bin and sbin
/// directories, symbolic links left out.
fn executables(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in ["bin", "sbin", "usr/bin", "usr/sbin"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let Ok(data) = std::fs::read(&p) else {
                continue;
            };
            let Ok(file) = elfcompat::elf::ElfFile::parse(&data) else {
                continue;
            };
            if file.interp.is_some() {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

struct Target {
    debian: &'static str,
    triplet: &'static str,
    qemu: &'static str,
}

/// `prog --version` under qemu with a runtime's loader and `libs` searched after its glibc.
fn version(
    t: &Target,
    rt: &common::OldRuntime,
    libs: &str,
    prog: &Path,
) -> (Option<i32>, String, String) {
    let mut c = Command::new(t.qemu);
    c.args(["-E", "LD_BIND_NOW=1", "-E", "LC_ALL=C"])
        .arg(&rt.loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(format!("{}:{libs}", rt.libpath))
        .arg(prog)
        .arg("--version");
    let r = common::run_command(c, Duration::from_secs(60));
    let dir = prog
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    (
        r.code,
        r.stdout.replace(&dir, "DIR"),
        r.stderr.replace(&dir, "DIR"),
    )
}

fn packages_run_the_same(t: &Target) {
    let tools = [t.qemu];
    if !common::polyfill::tools(&tools, "qemu-user") {
        return;
    }
    let progs = fetch("bookworm", t.debian, "progs", PROGRAMS);
    let libs = fetch("bookworm", t.debian, "libs", LIBRARIES);
    let new_libs = lib_dirs(&libs, t.triplet);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lowered = tmp.path().join("libs");
    lower_libraries(&libs, &lowered);
    let old_libs = lib_dirs(&lowered, t.triplet);
    let runtime =
        |suite: &str| common::fetch_old_runtime(suite, t.debian).unwrap_or_else(|e| panic!("{e}"));
    let (new, old) = (runtime("bookworm"), runtime("bullseye"));
    assert_eq!(old.glibc_version, "2.31");
    let exes = executables(&progs);
    assert!(
        exes.len() > 100,
        "{}: only {} executables",
        t.debian,
        exes.len()
    );

    let (orig_dir, patched_dir) = (tmp.path().join("orig"), tmp.path().join("patched"));
    std::fs::create_dir_all(&orig_dir).expect("mkdir");
    std::fs::create_dir_all(&patched_dir).expect("mkdir");
    let (mut patched, mut same, mut succeeded) = (0, 0, 0);
    let mut refused = Vec::new();
    let mut differ = Vec::new();
    for exe in &exes {
        let name = exe.file_name().expect("name");
        let orig = orig_dir.join(name);
        std::fs::copy(exe, &orig).expect("copy");
        let out = patched_dir.join(name);
        let o = Command::new(common::bin())
            .args(["patch", "--glibc", "2.31"])
            .arg(&orig)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("elfcompat");
        if !o.status.success() {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            let reasons: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("BLOCKER") || l.starts_with("elfcompat:"))
                .collect();
            refused.push(format!(
                "{}: {}",
                name.to_string_lossy(),
                reasons.join(" / ")
            ));
            continue;
        }
        patched += 1;
        let want = version(t, &new, &new_libs, &orig);
        let got = version(t, &old, &old_libs, &out);
        if got == want {
            same += 1;
            // Same, and a real run: exit 0 and a version printed (not the same failure twice).
            if got.0 == Some(0) && !got.1.is_empty() {
                succeeded += 1;
            }
        } else {
            differ.push(format!(
                "{}: unpatched on 2.36 {:?}\npatched on 2.31 {:?}",
                name.to_string_lossy(),
                want,
                got
            ));
        }
    }
    println!(
        "arch32_packages: {}: {} executables, {patched} patched, {} refused, {same} ran the same on 2.31 as unpatched on 2.36 ({succeeded} of them exit 0 with a version printed), {} differ",
        t.debian,
        exes.len(),
        refused.len(),
        differ.len()
    );
    for r in &refused {
        println!("  refused {r}");
    }
    assert!(differ.is_empty(), "{}: {}", t.debian, differ.join("\n"));
    assert!(patched > 0, "{}: nothing patched", t.debian);
    // Every GNU program answers --version; the few that do not (`[`) still must not make
    // the comparison an empty one.
    assert!(
        succeeded * 10 >= patched * 9,
        "{}: only {succeeded} of {patched} ran and printed a version",
        t.debian
    );
}

#[test]
fn i386_packages_run_the_same() {
    packages_run_the_same(&Target {
        debian: "i386",
        triplet: "i386-linux-gnu",
        qemu: "qemu-i386",
    });
}

#[test]
fn armhf_packages_run_the_same() {
    packages_run_the_same(&Target {
        debian: "armhf",
        triplet: "arm-linux-gnueabihf",
        qemu: "qemu-arm",
    });
}
