//! `elfcompat bundle` of Python wheels: `auditwheel repair` plus lowering. Two wheels are
//! built here with pip (`testdata/wheels/`, setuptools from PyPI in a venv of Debian's
//! python3, the venv `.ci/run` makes):
//!
//! - `zcrc`: a C extension on the limited API (abi3) that links the host's zlib and calls
//!   `arc4random_uniform` (glibc 2.36, polyfilled below 2.36);
//! - `cxxdemo`: a C++ extension, abi3 too (std::string, an exception turned into ValueError, and
//!   `std::string::reserve()`, GLIBCXX_3.4.29 with no older version: the build machine's
//!   libstdc++ must ship inside the wheel).
//!
//! Each is bundled for manylinux_2_17 and manylinux_2_31 and the new wheel checked: its
//! file name's platform tags and `WHEEL`'s `Tag:` lines, every RECORD line recomputed,
//! the `.libs/` names unique with the file's hash, DT_NEEDED/SONAME/RUNPATH rewritten,
//! the input untouched, a second bundle of the same input and a bundle of the bundled
//! wheel byte-identical; `auditwheel show` (from PyPI, in the same venv) agrees with the
//! tag written, also where the wheel carries its own libstdc++ (or zlib): the copy's
//! version names are private to it (`GLIBCXX-<hash>_3.4.29`), and goblin reads every
//! member's version tables as consistent (`check_version_links`: hashes, every
//! requirement of a bundled library defined by it); and the wheel installed with
//! `pip install --no-index` into a fresh venv of the host's python gives the same results
//! as the unbundled build, and installed with `pip install --target` and imported by
//! Debian 11's own python3.9 inside a bullseye chroot (`tools/old-python.sh`,
//! `tests/common/chroot.rs`) with the same results — where the unbundled C extension fails.
//!
//! Needs /usr/bin/python3 with venv and headers, gcc/g++, zlib's headers and the chroot
//! harness (root; `.ci/run` installs the rest); without them the test is skipped, unless
//! `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::chroot::{run_in_chroot_with, ChrootOptions};
use common::wheels::{
    auditwheel_tag, bullseye_python, check_version_links, elf_members, file_name, must, wheel_venv,
    wheels_in,
};
use common::{run_command, run_in, Run};

/// pip builds and installs may take a while on a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(300);

const TEST: &str = "bundle_wheel";
const PYTHON: &str = "/usr/bin/python3";

/// What the extensions print, on any system they run on.
const SCRIPT: &str = "
import zcrc, cxxdemo
print(zcrc.crc32(b'hello'), zcrc.random_below(1), all(0 <= zcrc.random_below(7) < 7 for _ in range(100)))
print(cxxdemo.greet('world'), cxxdemo.squares_sum(1000))
try:
    cxxdemo.greet('')
except ValueError as e:
    print('ValueError:', e)
";

fn unavailable(what: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{TEST}: {what} (required when CI is set)");
    }
    eprintln!("{TEST}: SKIPPED: {what}");
    None
}

/// The build venv: setuptools, wheel and auditwheel from PyPI (made by `.ci/run`; made
/// here when missing).
fn build_venv() -> Option<PathBuf> {
    if !Path::new(PYTHON).is_file() {
        return unavailable(&format!("{PYTHON} not found"));
    }
    for tool in ["gcc", "g++"] {
        if !common::have_tool(tool) {
            return unavailable(&format!("{tool} not found"));
        }
    }
    let venv = wheel_venv();
    if !venv.join("bin/auditwheel").is_file() {
        let mut c = Command::new(PYTHON);
        c.args(["-m", "venv"]).arg(&venv);
        let r = run_command(c, Duration::from_secs(120));
        if r.code != Some(0) {
            return unavailable(&format!("cannot make a venv: {}", r.describe()));
        }
        let mut c = Command::new(venv.join("bin/pip"));
        c.args(["install", "-q", "setuptools", "wheel", "auditwheel"]);
        let r = run_command(c, Duration::from_secs(300));
        if r.code != Some(0) {
            return unavailable(&format!(
                "cannot install setuptools/auditwheel: {}",
                r.describe()
            ));
        }
    }
    Some(venv)
}

/// Build the wheel of `testdata/wheels/<name>` into `out` and return its path.
fn build_wheel(venv: &Path, name: &str, work: &Path, out: &Path) -> PathBuf {
    let src = work.join(name);
    copy_tree(
        &common::crate_root().join("testdata/wheels").join(name),
        &src,
    );
    let mut c = Command::new(venv.join("bin/pip"));
    c.args(["wheel", "-q", "--no-deps", "--no-build-isolation", "-w"])
        .arg(out)
        .arg(&src);
    must(c, TIMEOUT);
    let wheels = wheels_in(out);
    let prefix = if name == "cext" { "zcrc-" } else { "cxxdemo-" };
    wheels
        .into_iter()
        .find(|w| file_name(w).starts_with(prefix))
        .unwrap_or_else(|| panic!("pip wrote no {prefix} wheel in {}", out.display()))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A wheel's members, in order: name -> (bytes, unix mode).
fn members(wheel: &Path) -> Vec<(String, Vec<u8>, u32)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut m = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            m.read_to_end(&mut data).unwrap();
            (m.name().to_string(), data, m.unix_mode().unwrap_or(0))
        })
        .collect()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

/// urlsafe base64 without padding, written independently of the crate's.
fn b64(data: &[u8]) -> String {
    let a = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut s = String::new();
    for &b in data {
        bits = (bits << 8) | u32::from(b);
        n += 8;
        while n >= 6 {
            n -= 6;
            s.push(a[((bits >> n) & 63) as usize] as char);
        }
    }
    if n > 0 {
        s.push(a[((bits << (6 - n)) & 63) as usize] as char);
    }
    s
}

/// Bundle `wheel` for `target` into `out`; the run.
fn bundle(wheel: &Path, target: &str, out: &Path) -> Run {
    run_in(
        common::crate_root(),
        [
            "bundle",
            "--target",
            target,
            wheel.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    )
}

/// Everything a bundled wheel must be, whatever it holds. Returns its members by name.
fn check_wheel(
    out_wheel: &Path,
    dist: &str,
    platforms: &[&str],
) -> BTreeMap<String, (Vec<u8>, u32)> {
    let name = file_name(out_wheel);
    let plat = name
        .strip_suffix(".whl")
        .and_then(|s| s.rsplit('-').next())
        .unwrap();
    assert_eq!(plat, platforms.join("."), "{name}");
    let list = members(out_wheel);
    let by_name: BTreeMap<String, (Vec<u8>, u32)> = list
        .iter()
        .map(|(n, d, m)| (n.clone(), (d.clone(), *m)))
        .collect();
    let dist_info = format!("{dist}-1.0.dist-info");
    // WHEEL: one Tag line per (python, abi) and platform.
    let wheel_meta = String::from_utf8(by_name[&format!("{dist_info}/WHEEL")].0.clone()).unwrap();
    let tags: Vec<&str> = wheel_meta
        .lines()
        .filter_map(|l| l.strip_prefix("Tag: "))
        .collect();
    let stem: Vec<&str> = name.strip_suffix(".whl").unwrap().split('-').collect();
    let (py, abi) = (stem[stem.len() - 3], stem[stem.len() - 2]);
    let want: Vec<String> = platforms
        .iter()
        .map(|p| format!("{py}-{abi}-{p}"))
        .collect();
    assert_eq!(tags, want, "{wheel_meta}");
    // RECORD: every member but RECORD with its sha256 and size, RECORD last and empty.
    let record_name = format!("{dist_info}/RECORD");
    assert_eq!(
        list.last().unwrap().0,
        record_name,
        "RECORD is the last member"
    );
    let record = String::from_utf8(by_name[&record_name].0.clone()).unwrap();
    let mut seen = Vec::new();
    for line in record.lines() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 3, "{line}");
        seen.push(f[0].to_string());
        if f[0] == record_name {
            assert_eq!((f[1], f[2]), ("", ""), "{line}");
            continue;
        }
        let data = &by_name
            .get(f[0])
            .unwrap_or_else(|| panic!("RECORD names {} the wheel lacks", f[0]))
            .0;
        assert_eq!(f[1], format!("sha256={}", b64(&sha256(data))), "{line}");
        assert_eq!(f[2], data.len().to_string(), "{line}");
    }
    let mut all: Vec<String> = by_name.keys().cloned().collect();
    all.sort();
    seen.sort();
    assert_eq!(seen, all, "RECORD lists every member once");
    // Deterministic: 1980-01-01 for every member (no SOURCE_DATE_EPOCH here).
    let mut zip = zip::ZipArchive::new(std::fs::File::open(out_wheel).unwrap()).unwrap();
    for i in 0..zip.len() {
        let m = zip.by_index(i).unwrap();
        let t = m.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1), "{}", m.name());
    }
    by_name
}

/// The bundled libraries in `<dist>.libs/`: each `stem-<8 hex>.so...` whose hash is the
/// first 8 hex digits of the sha256 of the library on the build machine, with the same
/// SONAME; returns (original soname, unique name).
fn check_libs(
    by_name: &BTreeMap<String, (Vec<u8>, u32)>,
    dist: &str,
    originals: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (soname, path) in originals {
        let data = std::fs::read(std::fs::canonicalize(path).unwrap()).unwrap();
        let hex: String = sha256(&data)[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (stem, ext) = soname.split_once(".so").unwrap();
        let unique = format!("{stem}-{hex}.so{ext}");
        let member = format!("{dist}.libs/{unique}");
        let (bytes, _) = by_name
            .get(&member)
            .unwrap_or_else(|| panic!("no {member} in {:?}", by_name.keys()));
        let elf = goblin::elf::Elf::parse(bytes).unwrap();
        assert_eq!(elf.soname, Some(unique.as_str()), "{member}");
        out.push((soname.to_string(), unique));
    }
    let libs: Vec<&String> = by_name
        .keys()
        .filter(|k| k.starts_with(&format!("{dist}.libs/")))
        .collect();
    assert_eq!(libs.len(), originals.len(), "{libs:?}");
    out
}

/// The extension's links: every bundled library needed under its unique name (in
/// DT_NEEDED and in the verneed entries), none under its old one, RUNPATH to `.libs`.
fn check_extension(bytes: &[u8], renamed: &[(String, String)], runpath: &str) {
    let elf = goblin::elf::Elf::parse(bytes).unwrap();
    for (old, new) in renamed {
        assert!(elf.libraries.contains(&new.as_str()), "{:?}", elf.libraries);
        assert!(
            !elf.libraries.contains(&old.as_str()),
            "{:?}",
            elf.libraries
        );
        if let Some(vn) = &elf.verneed {
            for need in vn.iter() {
                let file = elf.dynstrtab.get_at(need.vn_file).unwrap_or("");
                assert_ne!(file, old, "verneed still names {old}");
            }
        }
    }
    assert_eq!(elf.runpaths, vec![runpath]);
}

/// `wheels` installed on the host with pip into a plain directory (`--target`), imported
/// and called by bullseye's python3.9 inside the chroot.
fn run_in_bullseye(
    py_root: &Path,
    venv: &Path,
    work: &Path,
    label: &str,
    wheels: &[PathBuf],
) -> Run {
    let site = work.join(format!("site-{label}"));
    let mut c = Command::new(venv.join("bin/pip"));
    c.args(["install", "-q", "--no-index", "--no-deps", "--target"])
        .arg(&site)
        .args(wheels);
    must(c, TIMEOUT);
    let script = work.join("script.py");
    std::fs::write(&script, SCRIPT).unwrap();
    run_in_chroot_with(
        py_root,
        &ChrootOptions {
            binds: &[(&site, "/site"), (&script, "/script.py")],
            env: &[("PYTHONPATH", "/site")],
            ..Default::default()
        },
        &["/usr/bin/python3.9", "/script.py"],
    )
}

/// A fresh venv of the host's python with `wheels` installed by pip, offline; the script's
/// output there.
fn run_installed(work: &Path, label: &str, wheels: &[PathBuf]) -> String {
    let venv = work.join(format!("venv-{label}"));
    let mut c = Command::new(PYTHON);
    c.args(["-m", "venv"]).arg(&venv);
    must(c, TIMEOUT);
    let mut c = Command::new(venv.join("bin/pip"));
    c.args(["install", "-q", "--no-index", "--no-deps"])
        .args(wheels);
    must(c, TIMEOUT);
    let mut c = Command::new(venv.join("bin/python"));
    // Away from the sources, so the installed packages are what is imported.
    c.current_dir(work)
        .env("LD_BIND_NOW", "1")
        .args(["-c", SCRIPT]);
    must(c, TIMEOUT).stdout
}

#[test]
fn wheels_bundled_for_manylinux() {
    let Some(venv) = build_venv() else {
        return;
    };
    let py_root = match bullseye_python() {
        Ok(root) => root,
        Err(e) => {
            unavailable(&e);
            return;
        }
    };
    let tmp = common::tempdir();
    let work = tmp.path();
    let built = work.join("built");
    let zcrc = build_wheel(&venv, "cext", work, &built);
    let cxx = build_wheel(&venv, "cxxext", work, &built);
    assert!(
        file_name(&zcrc).ends_with("-cp37-abi3-linux_x86_64.whl"),
        "{zcrc:?}"
    );
    let before: Vec<Vec<u8>> = [&zcrc, &cxx]
        .iter()
        .map(|w| std::fs::read(w).unwrap())
        .collect();
    let expected = run_installed(work, "unbundled", &[zcrc.clone(), cxx.clone()]);
    assert!(expected.contains("hello, world!"), "{expected}");
    // Unbundled, the C extension cannot load on Debian 11 (arc4random is glibc 2.36).
    let ran = run_in_bullseye(
        &py_root,
        &venv,
        work,
        "unbundled",
        &[zcrc.clone(), cxx.clone()],
    );
    assert!(
        ran.code != Some(0) && ran.stderr.contains("GLIBC_2.36"),
        "{}",
        ran.describe()
    );

    let libz = "/usr/lib/x86_64-linux-gnu/libz.so.1";
    let libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
    for target in ["manylinux_2_17", "manylinux_2_31"] {
        let out = work.join(format!("out-{target}"));
        // zcrc: zlib bundled, arc4random polyfilled; the files meet manylinux2014 (zlib's
        // memcpy@GLIBC_2.14) whichever of the two was asked for.
        let r = bundle(&zcrc, target, &out);
        r.assert_code(0);
        let w = wheels_in(&out);
        assert_eq!(w.len(), 1, "{w:?}\n{}", r.describe());
        let zw = w[0].clone();
        let m = check_wheel(
            &zw,
            "zcrc",
            &["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
        );
        let renamed = check_libs(&m, "zcrc", &[("libz.so.1", libz)]);
        check_extension(&m["zcrc/_zcrc.abi3.so"].0, &renamed, "$ORIGIN/../zcrc.libs");
        assert_eq!(m["zcrc/_zcrc.abi3.so"].1 & 0o111, 0o111, "mode kept");
        let (tag, said) = auditwheel_tag(&venv, &zw);
        assert_eq!(tag, "manylinux_2_17_x86_64", "{said}");
        // zlib's ZLIB_ versions are a family auditwheel caps: the copy's are private.
        let links = check_version_links(&elf_members(&zw));
        assert_eq!(
            links.private_copies,
            [format!("zcrc.libs/{}", renamed[0].1)],
            "{links:?}"
        );

        // cxxdemo: libstdc++ bundled under a unique soname. Its GCC 12 copy needs
        // __cxa_thread_atexit_impl (glibc 2.18, no older version): below 2.18 the
        // polyfill is linked into the copy (tests/polyfill_hard.rs tests it).
        let r = bundle(&cxx, target, &out);
        {
            r.assert_code(0);
            let cw = wheels_in(&out)
                .into_iter()
                .find(|p| file_name(p).starts_with("cxxdemo-"))
                .unwrap();
            // Once libstdc++ is inside, the files need of the system: for 2_31, glibc
            // 2.25 and GCC_4.2.0 (the oldest policy of auditwheel's data with glibc 2.25 is
            // manylinux_2_26); for 2_17, everything lowered to 2.17.
            let platforms: &[&str] = if target == "manylinux_2_17" {
                &["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
            } else {
                &["manylinux_2_26_x86_64"]
            };
            let m = check_wheel(&cw, "cxxdemo", platforms);
            let renamed = check_libs(&m, "cxxdemo", &[("libstdc++.so.6", libstdcxx)]);
            let ext = m
                .keys()
                .find(|k| k.starts_with("cxxdemo/_cxxdemo."))
                .unwrap();
            check_extension(&m[ext].0, &renamed, "$ORIGIN/../cxxdemo.libs");
            // auditwheel judges every required version by its family, whichever library
            // it is required from: the copy's private names are none of the system's, so
            // it agrees with the tag written.
            let (tag, said) = auditwheel_tag(&venv, &cw);
            assert_eq!(tag, platforms[0], "{said}");
            let hash = renamed[0]
                .1
                .split_once(".so")
                .unwrap()
                .0
                .rsplit_once('-')
                .unwrap()
                .1;
            assert!(
                said.contains(&format!("{} with versions", renamed[0].1))
                    && said.contains(&format!("'GLIBCXX-{hash}_3.4.29'"))
                    && !said.contains("'GLIBCXX_"),
                "{said}"
            );
            let links = check_version_links(&elf_members(&cw));
            assert_eq!(
                links.private_copies,
                [format!("cxxdemo.libs/{}", renamed[0].1)],
                "{links:?}"
            );
            // The extension's GLIBCXX and CXXABI requirements, all on the copy.
            assert!(links.private_requirements >= 4, "{links:?}");
            assert_eq!(
                run_installed(work, target, &[zw.clone(), cw.clone()]),
                expected
            );
            // The evidence: Debian 11's own Python imports and calls both.
            let ran = run_in_bullseye(&py_root, &venv, work, target, &[zw.clone(), cw.clone()]);
            assert_eq!(
                (ran.code, ran.stdout.as_str()),
                (Some(0), expected.as_str()),
                "{}",
                ran.describe()
            );
            rebundle_is_identical(&cxx, &cw, target, work);
        }
        rebundle_is_identical(&zcrc, &zw, target, work);
    }
    for (w, b) in [&zcrc, &cxx].iter().zip(&before) {
        assert_eq!(
            &std::fs::read(w).unwrap(),
            b,
            "{} was modified",
            w.display()
        );
    }
}

/// A second bundle of the input, and a bundle of the bundled wheel, are the same bytes.
fn rebundle_is_identical(input: &Path, bundled: &Path, target: &str, work: &Path) {
    let want = std::fs::read(bundled).unwrap();
    for (i, from) in [input, bundled].iter().enumerate() {
        let out = work.join(format!("again-{target}-{i}-{}", file_name(input)));
        bundle(from, target, &out).assert_code(0);
        let again = out.join(file_name(bundled));
        assert!(
            std::fs::read(&again).unwrap() == want,
            "{} differs from {}",
            again.display(),
            bundled.display()
        );
    }
}

#[test]
fn not_a_wheel_name() {
    let tmp = common::tempdir();
    let bad = tmp.path().join("x.whl");
    std::fs::write(&bad, b"PK").unwrap();
    let r = run_in(
        tmp.path(),
        ["bundle", "--target", "manylinux2014", "x.whl", "-o", "out"],
    );
    r.assert_code(2);
    assert!(
        r.stderr.contains("not a wheel's file name"),
        "{}",
        r.describe()
    );
}
