//! The silent-change scan (`src/silent/arches.rs`) on i386, armhf (Thumb-2 and ARM),
//! s390x and riscv64: `testdata/silent/scan_arches.c`, built by Debian's cross compilers at
//! -O2 (PIE and not, tail calls and calls, a shared library, and on i386 and armhf also with
//! _FILE_OFFSET_BITS=64), calls sysconf(_SC_SIGSTKSZ), sysconf(_SC_MINSIGSTKSZ),
//! nl_langinfo(ALTMON_1) and openat with O_TMPFILE each in a function of its own, and
//! sysconf(_SC_PAGESIZE), computed arguments and a plain openat in others. At 2.17 the scan
//! must see exactly the four uses (three on riscv64, whose first glibc is 2.27, after
//! O_TMPFILE), each at an address inside its function (the symbol table says which), and
//! none of the controls; `check --glibc 2.17 --json` must name exactly those uses.

mod common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;

use common::cross::{self, Arch};
use elfcompat::abi::GlibcVersion;
use elfcompat::elf::ElfFile;
use elfcompat::versym::Requirements;

/// The function of the symbol table whose range holds `addr` (the Thumb bit cleared).
fn function_at(data: &[u8], addr: u64) -> Option<String> {
    let elf = goblin::elf::Elf::parse(data).expect("goblin");
    let addr = addr & !1;
    elf.syms.iter().find_map(|s| {
        let start = s.st_value & !1;
        (s.is_function() && s.st_size > 0 && (start..start + s.st_size).contains(&addr))
            .then(|| elf.strtab.get_at(s.st_name).unwrap_or("").to_string())
    })
}

/// Every "what" of a seen use in `check --json`'s output: the wrap fixes and the notes
/// with "(seen at".
fn check_whats(prog: &Path, glibc: &str) -> BTreeSet<String> {
    let o = cross::elfcompat(&[
        OsStr::new("check"),
        OsStr::new("--glibc"),
        OsStr::new(glibc),
        OsStr::new("--json"),
        prog.as_os_str(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("check --json: {e}: {}", cross::text(&o)));
    let mut out = BTreeSet::new();
    fn visit(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let (Some(w), Some(_)) = (m.get("what"), m.get("since")) {
                    out.insert(w.as_str().unwrap_or("").to_string());
                }
                if let Some(serde_json::Value::Array(notes)) = m.get("notes") {
                    for n in notes.iter().filter_map(|n| n.as_str()) {
                        if let Some(i) = n.find(" (seen at ") {
                            out.insert(n[..i].to_string());
                        }
                    }
                }
                m.values().for_each(|x| visit(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| visit(x, out)),
            _ => {}
        }
    }
    visit(&v, &mut out);
    out
}

/// Build the source for `arch` with `flags`, scan it at 2.17 and compare with the uses.
fn scan(arch: &Arch, dir: &Path, name: &str, flags: &[&str], tmpfile: bool) -> usize {
    let out = dir.join(name);
    let src = cross::testdata().join("silent/scan_arches.c");
    let mut args: Vec<&OsStr> = vec!["-O2".as_ref(), "-Wall".as_ref(), "-Werror".as_ref()];
    args.extend(flags.iter().map(OsStr::new));
    args.extend([src.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    cross::compile(&arch.cc(), &args);

    let data = std::fs::read(&out).expect("read");
    let file = ElfFile::parse(&data).expect("parse");
    let req = Requirements::of(&file);
    let seen = elfcompat::silent::seen_uses(&file, &req, GlibcVersion::new(2, 17, 0));
    let got: BTreeSet<(String, String)> = seen
        .iter()
        .map(|u| {
            let f = function_at(&data, u.address)
                .unwrap_or_else(|| panic!("{name}: {} at {:#x} in no function", u.what, u.address));
            (u.what.clone(), f)
        })
        .collect();
    let open = if flags.contains(&"-D_FILE_OFFSET_BITS=64") {
        "openat64"
    } else {
        "openat"
    };
    let mut want: BTreeSet<(String, String)> = [
        ("sysconf(_SC_SIGSTKSZ)", "use_sigstksz"),
        ("sysconf(_SC_MINSIGSTKSZ)", "use_minsigstksz"),
        ("nl_langinfo(ALTMON_n)", "use_altmon"),
    ]
    .iter()
    .map(|(w, f)| (w.to_string(), f.to_string()))
    .collect();
    if tmpfile {
        want.insert((format!("{open} with O_TMPFILE"), "use_tmpfile".into()));
    }
    assert_eq!(got, want, "{} {name} {flags:?}: {seen:#?}", arch.debian);
    assert_eq!(seen.len(), want.len(), "{name}: {seen:#?}");
    // riscv64's first glibc is 2.27: `check` is asked at 2.27 there, which ALTMON_n
    // (2.27) does not concern.
    let glibc = if tmpfile { "2.17" } else { "2.27" };
    let whats: BTreeSet<String> = want
        .iter()
        .map(|(w, _)| w.clone())
        .filter(|w| tmpfile || !w.starts_with("nl_langinfo"))
        .collect();
    assert_eq!(
        check_whats(&out, glibc),
        whats,
        "{} {name}: check --json",
        arch.debian
    );
    eprintln!(
        "{} {name}: {} uses seen at {:x?}",
        arch.debian,
        seen.len(),
        seen.iter().map(|u| u.address).collect::<Vec<_>>()
    );
    seen.len()
}

const NO_PIE: &[&str] = &["-no-pie", "-fno-pie"];

/// The builds of every architecture: (name, flags).
fn variants(extra: &[(&'static str, &'static [&'static str])]) -> Vec<(String, Vec<&'static str>)> {
    let mut v: Vec<(String, Vec<&'static str>)> = Vec::new();
    let base: [(&str, &[&str]); 5] = [
        ("pie-tail", &[]),
        ("pie-call", &["-DCALL"]),
        ("nopie-tail", NO_PIE),
        ("nopie-call", &["-DCALL", "-no-pie", "-fno-pie"]),
        ("lib.so", &["-DLIB", "-DCALL", "-shared", "-fPIC"]),
    ];
    for (n, f) in base.iter().chain(extra) {
        v.push((n.to_string(), f.to_vec()));
    }
    v
}

fn arch_scans(arch: &Arch, extra: &[(&'static str, &'static [&'static str])], tmpfile: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut total = 0;
    let vs = variants(extra);
    for (name, flags) in &vs {
        total += scan(arch, dir.path(), name, flags, tmpfile);
    }
    eprintln!("{}: {} builds, {total} uses seen", arch.debian, vs.len());
}

#[test]
fn i386_uses_are_seen() {
    arch_scans(
        &cross::I386,
        &[
            ("lfs-call", &["-DCALL", "-D_FILE_OFFSET_BITS=64"]),
            (
                "lfs-lib.so",
                &["-DLIB", "-shared", "-fPIC", "-D_FILE_OFFSET_BITS=64"],
            ),
        ],
        true,
    );
}

#[test]
fn armhf_uses_are_seen_in_thumb_and_arm_code() {
    arch_scans(
        &cross::ARMHF,
        &[
            ("arm-tail", &["-marm"]),
            ("arm-call", &["-marm", "-DCALL"]),
            ("arm-lib.so", &["-marm", "-DLIB", "-shared", "-fPIC"]),
            ("lfs-call", &["-DCALL", "-D_FILE_OFFSET_BITS=64"]),
        ],
        true,
    );
}

#[test]
fn ppc64el_uses_are_seen() {
    arch_scans(&cross::PPC64EL, &[], true);
}

#[test]
fn s390x_uses_are_seen() {
    arch_scans(&cross::S390X, &[], true);
}

#[test]
fn riscv64_uses_are_seen() {
    arch_scans(&cross::RISCV64, &[], false);
}

/// Every ELF file under `dir`, symbolic links left out.
fn elf_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            elf_files(&p, out);
        } else if meta.is_file() && std::fs::read(&p).is_ok_and(|d| d.starts_with(b"\x7fELF")) {
            out.push(p);
        }
    }
}

/// Debian 12's coreutils, bash, grep, sed, tar, gzip, xz-utils, findutils, diffutils and
/// python3.11-minimal (the programs of tests/arch32_packages.rs) and the libraries they
/// load: at 2.17 the scan sees one use in them all, python3.11's faulthandler stack
/// (`sysconf(_SC_SIGSTKSZ)`, `push $0xfa` / `movs r0, #250` before the call, twice), and
/// nothing else.
fn debian_packages(arch: &str) {
    let mut files = Vec::new();
    elf_files(
        &cross::debian_packages("bookworm", arch, "progs", cross::PROGRAMS),
        &mut files,
    );
    elf_files(
        &cross::debian_packages("bookworm", arch, "libs", cross::LIBRARIES),
        &mut files,
    );
    files.sort();
    let mut seen = Vec::new();
    for p in &files {
        let data = std::fs::read(p).expect("read");
        let Ok(file) = ElfFile::parse(&data) else {
            continue;
        };
        let req = Requirements::of(&file);
        for u in elfcompat::silent::seen_uses(&file, &req, GlibcVersion::new(2, 17, 0)) {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            seen.push((name, u.what, u.address));
        }
    }
    eprintln!("{arch}: {} ELF files, seen: {seen:x?}", files.len());
    assert!(files.len() > 100, "{arch}: {} ELF files", files.len());
    let what: Vec<(&str, &str)> = seen
        .iter()
        .map(|(n, w, _)| (n.as_str(), w.as_str()))
        .collect();
    assert_eq!(what, [("python3.11", "sysconf(_SC_SIGSTKSZ)")], "{arch}");
}

#[test]
fn i386_debian_packages_show_only_pythons_sigstksz() {
    debian_packages("i386");
}

#[test]
fn armhf_debian_packages_show_only_pythons_sigstksz() {
    debian_packages("armhf");
}
