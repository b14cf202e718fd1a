//! The closure resolver against the loader itself: for every dynamically linked x86-64
//! executable of this machine's /usr/bin, /usr/sbin, /usr/libexec and the directories
//! one and two levels below /usr/lib (executable files only), `LD_TRACE_LOADED_OBJECTS=1 ld.so BIN` (what
//! ldd runs) names the same libraries at the same paths as `Resolver::closure`
//! (linux-vdso ignored), and names the same ones "not found". Then the same with a `--library-path` directory that holds some
//! libraries and a glibc-hwcaps subdirectory, against `ld.so --library-path`.
//! Run with `cargo test --release --test closure_loader -- --nocapture` for the counts.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::collections::HashSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

mod closure_support;

use closure_support::{loader_listing, resolver_listing, Listing};
use elfcompat::closure::{Resolver, Via};
use elfcompat::elf::{Class, ElfFile};
use rayon::prelude::*;

use closure_support::LOADER;

/// Dynamically linked x86-64 executables (with PT_INTERP) of the corpus directories,
/// each file once, by canonical path.
fn corpus() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/usr/bin"),
        PathBuf::from("/usr/sbin"),
        PathBuf::from("/usr/libexec"),
    ];
    // Helper programs one and two levels below /usr/lib (/usr/lib/openssh,
    // /usr/lib/x86_64-linux-gnu/<pkg>, ...).
    let mut level = vec![PathBuf::from("/usr/lib")];
    for _ in 0..2 {
        let mut next = Vec::new();
        for d in &level {
            let Ok(rd) = std::fs::read_dir(d) else {
                continue;
            };
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(e.path());
                }
            }
        }
        next.sort();
        dirs.extend(next.iter().cloned());
        level = next;
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
                continue;
            }
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let Ok(Some(map)) = elfcompat::elf::open_if_elf(&p) else {
                continue;
            };
            let Ok(elf) = ElfFile::parse(map.bytes()) else {
                continue;
            };
            if elf.interp.is_some()
                && elf.machine == object_em_x86_64()
                && elf.class == Class::Elf64
                && elf.dynamic.is_some()
            {
                out.push(std::fs::canonicalize(&p).unwrap_or(p));
            }
        }
    }
    out
}

fn object_em_x86_64() -> u16 {
    62
}

struct Tally {
    agree: usize,
    /// Loader listings that name a path under the library path's glibc-hwcaps directory.
    hwcaps_hits: usize,
    /// Closures with a library found through DT_RPATH or DT_RUNPATH.
    via_rpath_or_runpath: usize,
    /// Closures with a library not found.
    with_missing: usize,
    /// Loader listings that name a path under the library path.
    library_path_hits: usize,
    differ: Vec<String>,
    loader_failed: Vec<PathBuf>,
}

fn compare_all(bins: &[PathBuf], resolver: &Resolver, library_path: Option<&Path>) -> Tally {
    type Row = (PathBuf, Option<Listing>, Result<(Listing, bool), String>);
    let results: Vec<Row> = bins
        .par_iter()
        .map(|bin| {
            let loader = loader_listing(bin, library_path);
            let ours = resolver
                .closure(std::slice::from_ref(bin))
                .map(|c| {
                    let paths = c
                        .objects
                        .iter()
                        .flat_map(|o| &o.needed)
                        .any(|n| matches!(n.via, Via::Rpath | Via::Runpath));
                    (resolver_listing(&c), paths)
                })
                .map_err(|e| e.to_string());
            (bin.clone(), loader, ours)
        })
        .collect();
    let mut tally = Tally {
        agree: 0,
        hwcaps_hits: 0,
        via_rpath_or_runpath: 0,
        with_missing: 0,
        library_path_hits: 0,
        differ: Vec::new(),
        loader_failed: Vec::new(),
    };
    for (bin, loader, ours) in results {
        let ours = ours.map(|(listing, paths)| {
            tally.via_rpath_or_runpath += usize::from(paths);
            tally.with_missing += usize::from(listing.iter().any(|(_, p)| p == "not found"));
            listing
        });
        if let (Some(l), Some(lp)) = (&loader, library_path) {
            let lp = lp.to_string_lossy();
            let under = |marker: &str| l.iter().any(|(_, p)| p.starts_with(marker));
            tally.library_path_hits += usize::from(under(&lp));
            tally.hwcaps_hits += usize::from(under(&format!("{lp}/glibc-hwcaps/")));
        }
        match (loader, ours) {
            (None, _) => tally.loader_failed.push(bin),
            (Some(l), Ok(o)) if l == o => tally.agree += 1,
            (Some(l), Ok(o)) => {
                let only_loader: Vec<_> = l.difference(&o).collect();
                let only_ours: Vec<_> = o.difference(&l).collect();
                tally.differ.push(format!(
                    "{}:\n    loader only:   {only_loader:?}\n    resolver only: {only_ours:?}",
                    bin.display()
                ));
            }
            (Some(_), Err(e)) => tally
                .differ
                .push(format!("{}: resolver error: {e}", bin.display())),
        }
    }
    tally
}

fn report(what: &str, t: &Tally, total: usize) {
    eprintln!(
        "closure_loader {what}: {total} executables: {} agree, {} differ, {} loader failed",
        t.agree,
        t.differ.len(),
        t.loader_failed.len()
    );
    eprintln!(
        "  {} with a library found through RPATH/RUNPATH, {} with a library not found",
        t.via_rpath_or_runpath, t.with_missing
    );
    for f in &t.loader_failed {
        eprintln!("  loader failed: {}", f.display());
    }
}

#[test]
fn resolver_agrees_with_the_loader_on_every_system_executable() {
    let bins = corpus();
    assert!(
        bins.len() > 100,
        "expected a real /usr/bin corpus, found {} executables",
        bins.len()
    );
    let resolver = Resolver::new(Path::new("/"), Vec::new()).unwrap();
    assert!(resolver.has_cache(), "this machine has an /etc/ld.so.cache");
    let t = compare_all(&bins, &resolver, None);
    report("(no library path)", &t, bins.len());
    assert!(
        t.differ.is_empty(),
        "{} disagreements:\n{}",
        t.differ.len(),
        t.differ.join("\n")
    );
    // The loader fails only on files it cannot run here; a handful at most.
    assert!(t.loader_failed.len() * 20 < bins.len());
}

/// A library path with libz and libstdc++ (links to the system's) and libm only in a
/// glibc-hwcaps subdirectory of the best level this CPU supports.
#[test]
fn library_path_agrees_with_the_loader() {
    let tmp = tempfile::tempdir().unwrap();
    let lp = tmp.path().join("lp");
    std::fs::create_dir_all(&lp).unwrap();
    for lib in ["libz.so.1", "libstdc++.so.6"] {
        let real = Path::new("/lib/x86_64-linux-gnu").join(lib);
        if real.exists() {
            std::os::unix::fs::symlink(&real, lp.join(lib)).unwrap();
        }
    }
    let resolver = Resolver::new(Path::new("/"), vec![lp.clone()]).unwrap();
    let dirs = resolver.target_dirs(62, true, 0);
    if let Some(level) = dirs.glibc_hwcaps.first() {
        let d = lp.join("glibc-hwcaps").join(level);
        std::fs::create_dir_all(&d).unwrap();
        std::os::unix::fs::symlink("/lib/x86_64-linux-gnu/libm.so.6", d.join("libm.so.6")).unwrap();
    }
    let bins: Vec<PathBuf> = corpus();
    let t = compare_all(&bins, &resolver, Some(&lp));
    report("(--library-path)", &t, bins.len());
    eprintln!(
        "  {} listings use the library path, {} its glibc-hwcaps subdirectory",
        t.library_path_hits, t.hwcaps_hits
    );
    assert!(
        t.library_path_hits > 10,
        "the library path was not exercised"
    );
    if !dirs.glibc_hwcaps.is_empty() {
        assert!(
            t.hwcaps_hits > 10,
            "the glibc-hwcaps subdirectory was not exercised"
        );
    }
    assert!(
        t.differ.is_empty(),
        "{} disagreements:\n{}",
        t.differ.len(),
        t.differ.join("\n")
    );
}

/// The order of the subdirectories under a search directory is the loader's: its
/// `LD_DEBUG=libs` trace prints the search path it builds from LD_LIBRARY_PATH.
#[test]
fn subdirectory_order_matches_the_loader_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(LOADER)
        .arg("--list")
        .arg("/bin/true")
        .env("LD_DEBUG", "libs")
        .env("LD_LIBRARY_PATH", tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .find(|l| l.contains("search path=") && l.contains("(LD_LIBRARY_PATH)"))
        .expect("LD_DEBUG=libs prints the LD_LIBRARY_PATH search path");
    let list = line
        .split("search path=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let resolver = Resolver::new(Path::new("/"), Vec::new()).unwrap();
    let base = tmp.path().to_string_lossy();
    let ours: Vec<String> = resolver
        .target_dirs(62, true, 0)
        .subdirs()
        .iter()
        .map(|s| {
            if s.is_empty() {
                base.to_string()
            } else {
                format!("{base}/{s}")
            }
        })
        .collect();
    assert_eq!(list.split(':').collect::<Vec<_>>(), ours);
}

/// The hwcaps subdirectories the resolver derives from /proc/cpuinfo are the ones the
/// loader says it searches (`ld.so --help`).
#[test]
fn hwcaps_subdirectories_match_ld_so_help() {
    let out = Command::new(LOADER).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut hw = Vec::new();
    let mut legacy = Vec::new();
    let mut section = 0;
    for line in text.lines() {
        if line.starts_with("Subdirectories of glibc-hwcaps") {
            section = 1;
        } else if line.starts_with("Legacy HWCAP subdirectories") {
            section = 2;
        } else if !line.starts_with("  ") {
            section = 0;
        } else if line.contains("searched") {
            let name = line.split_whitespace().next().unwrap().to_string();
            match section {
                1 => hw.push(name),
                2 => legacy.push(name),
                _ => {}
            }
        }
    }
    let resolver = Resolver::new(Path::new("/"), Vec::new()).unwrap();
    let dirs = resolver.target_dirs(62, true, 0);
    assert_eq!(dirs.glibc_hwcaps, hw, "glibc-hwcaps subdirectories");
    let mut ours = dirs.legacy_hwcaps.clone();
    ours.sort();
    legacy.sort();
    assert_eq!(ours, legacy, "legacy hwcaps subdirectories");
    assert_eq!(
        dirs.default_dirs,
        [
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib",
            "/usr/lib"
        ]
    );
}
