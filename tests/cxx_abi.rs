//! The embedded libstdc++ / libgcc_s data (`data/cxx-abi.txt`) against real libraries:
//!
//! - every (symbol, version) exported by the host's libstdc++.so.6 and libgcc_s.so.1 is
//!   in the data for x86_64;
//! - for bullseye's copies (`tools/old-glibc.sh bullseye amd64|arm64`), every exported
//!   (symbol, version) is in the data, the data's versions of each symbol in that suite
//!   (`cxx::versions_in_suite`) are exactly the file's, and every symbol the data gives
//!   bullseye a version of is in the file.
//!
//! The libraries are read with `readelf -W --dyn-syms`. Nothing is skipped: readelf and
//! bullseye's runtime are required.

#![cfg(target_os = "linux")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use elfcompat::abi::cxx::{self, CxxLib};
use elfcompat::abi::Target;
use elfcompat::versym::VersionName;

/// {symbol: versions} of the defined, versioned dynamic symbols of `file`.
fn exports(file: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new("readelf")
        .args(["-W", "--dyn-syms"])
        .arg(file)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("readelf: {e}"));
    assert!(out.status.success(), "readelf {} failed", file.display());
    let mut syms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f: Vec<&str> = line.split_whitespace().collect();
        if f.last()
            .is_some_and(|l| l.starts_with('(') && l.ends_with(')'))
        {
            f.pop();
        }
        if f.len() < 8 || !f[0].ends_with(':') || f[f.len() - 2] == "UND" {
            continue;
        }
        let name = f[f.len() - 1];
        let (sym, ver) = match name.split_once("@@") {
            Some(p) => p,
            None => match name.rsplit_once('@') {
                Some(p) => p,
                None => continue,
            },
        };
        syms.entry(sym.to_string())
            .or_default()
            .insert(ver.to_string());
    }
    assert!(syms.len() > 100, "{}: too few symbols read", file.display());
    syms
}

fn target(name: &str) -> Target {
    elfcompat::abi::db()
        .target_by_name(name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

fn find(root: &Path, soname: &str) -> PathBuf {
    for dir in ["usr/lib", "lib"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path().join(soname);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("no {soname} under {}", root.display())
}

/// Every exported (symbol, version) of `file` is in the data for `t`; the failures, listed.
fn missing_from_data(t: Target, lib: CxxLib, file: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    for (sym, vers) in exports(file) {
        let data: BTreeSet<String> = cxx::versions(t, lib, &sym).map(|v| v.to_string()).collect();
        for v in vers {
            if !data.contains(&v) {
                missing.push(format!("{sym}@{v}"));
            }
        }
    }
    missing
}

#[test]
fn host_libraries_are_in_the_data() {
    let t = target("x86_64");
    for (lib, path) in [
        (
            CxxLib::Libstdcxx,
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        ),
        (CxxLib::LibgccS, "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"),
    ] {
        let path = Path::new(path);
        assert!(path.exists(), "{} is required", path.display());
        let missing = missing_from_data(t, lib, path);
        assert!(
            missing.is_empty(),
            "{}: not in the data: {missing:?}",
            path.display()
        );
    }
}

#[test]
fn bullseye_libraries_match_the_data_exactly() {
    for (arch, triple) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
        let rt = common::fetch_old_runtime("bullseye", arch)
            .unwrap_or_else(|e| panic!("bullseye's runtime is required: {e}"));
        let t = target(triple);
        for lib in CxxLib::ALL {
            let path = find(&rt.root, lib.soname());
            let missing = missing_from_data(t, lib, &path);
            assert!(
                missing.is_empty(),
                "{}: not in the data: {missing:?}",
                path.display()
            );
            let in_bullseye = |sym: &str| -> BTreeSet<String> {
                cxx::versions_in_suite(t, lib, sym, "bullseye")
                    .unwrap_or_else(|| panic!("no bullseye data for {arch}"))
                    .iter()
                    .map(VersionName::to_string)
                    .collect()
            };
            let file = exports(&path);
            let mut wrong = Vec::new();
            for (sym, vers) in &file {
                let data = in_bullseye(sym);
                if &data != vers {
                    wrong.push(format!("{sym}: file {vers:?}, data {data:?}"));
                }
            }
            for (sym, _) in cxx::symbols(t, lib) {
                if !in_bullseye(sym).is_empty() && !file.contains_key(sym) {
                    wrong.push(format!("{sym}: in the data for bullseye, not in the file"));
                }
            }
            assert!(
                wrong.is_empty(),
                "{} ({arch}): {} mismatches: {:?}",
                path.display(),
                wrong.len(),
                &wrong[..wrong.len().min(20)]
            );
        }
    }
}
