//! A bundled libstdc++ carries version names private to it, and everything that loads it
//! requires those names: the evidence, without pip, a venv or a chroot.
//!
//! `testdata/wheels/private/greet.cpp` (iostream, std::string, an exception thrown and
//! caught inside, `string::reserve()` at GLIBCXX_3.4.29) is built here into a plugin and
//! packed by hand into a wheel; `bundle --target manylinux_2_17` must ship the build
//! machine's libstdc++ under `libstdc++-<hash>.so.6`. Read back by goblin (a parser
//! independent of elfcompat's):
//! - every requirement the plugin had of `libstdc++.so.6` is now one of the copy, under
//!   the same name with the copy's hash after its family (`GLIBCXX_3.4.29` →
//!   `GLIBCXX-<hash>_3.4.29`), no more and no fewer, with the same flags, and every
//!   dynamic symbol that was bound to one of them is bound to its renamed version (hidden
//!   bit kept; the index may change, as the lowering drops and adds glibc's versions);
//! - `check_version_links`: ELF hashes, the copy's VER_FLG_BASE definition is its soname,
//!   every requirement of the copy is one it defines, none of its definitions is named
//!   like the system's.
//!
//! The host program (`testdata/wheels/private/host.c`) dlopens the plugin from the unpacked
//! bundled wheel with RTLD_NOW and calls it under LD_BIND_NOW: every symbol binds through
//! the renamed versions at load time, and the output is the unbundled plugin's. A bundle of
//! the bundled wheel is the same bytes.
//!
//! Needs gcc and g++ (skipped without them, unless `CI` is set).

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::wheels::{check_version_links, elf_members, file_name, must, wheels_in};

const TEST: &str = "bundle_private_versions";
const TIMEOUT: Duration = Duration::from_secs(300);

/// Requirements of one file, by goblin: (needed file, version name, flags, index).
fn requirements(bytes: &[u8]) -> Vec<(String, String, u16, u16)> {
    let elf = goblin::elf::Elf::parse(bytes).unwrap();
    let mut out = Vec::new();
    if let Some(vn) = &elf.verneed {
        for need in vn.iter() {
            let file = elf.dynstrtab.get_at(need.vn_file).unwrap().to_string();
            for aux in need.iter() {
                let name = elf.dynstrtab.get_at(aux.vna_name).unwrap().to_string();
                out.push((file.clone(), name, aux.vna_flags, aux.vna_other));
            }
        }
    }
    out
}

/// The dynamic symbols bound to a required version of `file`, by goblin: (symbol,
/// version name, hidden).
fn bound_to(bytes: &[u8], file: &str) -> BTreeSet<(String, String, bool)> {
    let elf = goblin::elf::Elf::parse(bytes).unwrap();
    let Some(versym) = &elf.versym else {
        return BTreeSet::new();
    };
    let names: Vec<(u16, String)> = requirements(bytes)
        .into_iter()
        .filter(|(f, ..)| f == file)
        .map(|(_, n, _, ix)| (ix, n))
        .collect();
    elf.dynsyms
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let sym = elf.dynstrtab.get_at(s.st_name)?;
            let v = versym.get_at(i)?.vs_val;
            let (_, version) = names.iter().find(|(ix, _)| *ix == v & 0x7fff)?;
            Some((sym.to_string(), version.clone(), v & 0x8000 != 0))
        })
        .collect()
}

/// A wheel holding `greet/libgreet.so`, packed by hand as pip would.
fn pack_wheel(dir: &Path, plugin: &Path) -> PathBuf {
    let wheel = dir.join("greet-1.0-py3-none-linux_x86_64.whl");
    let so = std::fs::read(plugin).unwrap();
    let members: Vec<(&str, Vec<u8>)> = vec![
        ("greet/__init__.py", b"".to_vec()),
        ("greet/libgreet.so", so),
        (
            "greet-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n".to_vec(),
        ),
        (
            "greet-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: false\nTag: py3-none-linux_x86_64\n"
                .to_vec(),
        ),
        (
            "greet-1.0.dist-info/RECORD",
            b"greet/__init__.py,,\ngreet/libgreet.so,,\ngreet-1.0.dist-info/METADATA,,\ngreet-1.0.dist-info/WHEEL,,\ngreet-1.0.dist-info/RECORD,,\n"
                .to_vec(),
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
    for (name, data) in members {
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file(name, opts).unwrap();
        zip.write_all(&data).unwrap();
    }
    zip.finish().unwrap();
    wheel
}

/// Unpack a wheel's members into `dir`.
fn unpack(wheel: &Path, dir: &Path) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    z.extract(dir).unwrap();
}

/// The host program on `plugin`, every symbol bound at load time.
fn host_output(host: &Path, plugin: &Path) -> String {
    let mut c = Command::new(host);
    c.arg(plugin).env("LD_BIND_NOW", "1");
    must(c, TIMEOUT).stdout
}

#[test]
fn bundled_libstdcxx_versions_are_private_and_bind() {
    for tool in ["gcc", "g++"] {
        if !common::have_tool(tool) {
            if std::env::var_os("CI").is_some() {
                panic!("{TEST}: {tool} not found (required when CI is set)");
            }
            eprintln!("{TEST}: SKIPPED: {tool} not found");
            return;
        }
    }
    let tmp = common::tempdir();
    let work = tmp.path();
    let src = common::crate_root().join("testdata/wheels/private");
    let plugin = work.join("libgreet.so");
    let host = work.join("host");
    let mut c = Command::new("g++");
    c.args(["-shared", "-fPIC", "-O2"])
        .arg(src.join("greet.cpp"))
        .arg("-o")
        .arg(&plugin);
    must(c, TIMEOUT);
    let mut c = Command::new("gcc");
    c.arg("-O2")
        .arg(src.join("host.c"))
        .arg("-o")
        .arg(&host)
        .arg("-ldl");
    must(c, TIMEOUT);
    let expected = host_output(&host, &plugin);
    assert_eq!(expected, "0 hello, world! (5)\n1 empty name\n");

    let wheel = pack_wheel(work, &plugin);
    let out = work.join("out");
    let r = common::run([
        "bundle",
        "--target",
        "manylinux_2_17",
        wheel.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    r.assert_code(0);
    let w = wheels_in(&out);
    assert_eq!(w.len(), 1, "{}", r.describe());
    let bundled = &w[0];
    assert_eq!(
        file_name(bundled),
        "greet-1.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    );

    let members = elf_members(bundled);
    let links = check_version_links(&members);
    assert_eq!(links.private_copies.len(), 1, "{links:?}");
    let copy = &links.private_copies[0];
    let soname = copy.strip_prefix("greet.libs/").unwrap();
    let tag = soname
        .strip_prefix("libstdc++-")
        .and_then(|s| s.strip_suffix(".so.6"))
        .unwrap_or_else(|| panic!("{copy}"));
    assert_eq!(tag.len(), 8, "{copy}");

    // Every requirement of the system's libstdc++ became one of the copy, renamed by the
    // rule (family, then -tag, then the rest), with its flags and index.
    let private = |name: &str| match name.split_once('_') {
        Some((family, rest)) => format!("{family}-{tag}_{rest}"),
        None => format!("{name}-{tag}"),
    };
    let before_bytes = std::fs::read(&plugin).unwrap();
    let after_bytes = &members
        .iter()
        .find(|(n, _)| n == "greet/libgreet.so")
        .unwrap()
        .1;
    let before: BTreeSet<(String, u16)> = requirements(&before_bytes)
        .into_iter()
        .filter(|(f, ..)| f == "libstdc++.so.6")
        .map(|(_, n, fl, _)| (private(&n), fl))
        .collect();
    let after: BTreeSet<(String, u16)> = requirements(after_bytes)
        .into_iter()
        .filter(|(f, ..)| f == soname)
        .map(|(_, n, fl, _)| (n, fl))
        .collect();
    assert!(
        before
            .iter()
            .any(|(n, _)| *n == format!("GLIBCXX-{tag}_3.4.29")),
        "{before:?}"
    );
    assert_eq!(after, before);
    assert_eq!(links.private_requirements, after.len());
    assert!(
        !requirements(after_bytes)
            .iter()
            .any(|(f, ..)| f == "libstdc++.so.6"),
        "the plugin still requires the system's libstdc++"
    );
    // Each symbol that was bound to a version of the system's libstdc++ is bound to the
    // same version of the copy, under its private name.
    let symbols_before: BTreeSet<(String, String, bool)> =
        bound_to(&before_bytes, "libstdc++.so.6")
            .into_iter()
            .map(|(sym, v, hidden)| (sym, private(&v), hidden))
            .collect();
    assert!(symbols_before.len() > 10, "{symbols_before:?}");
    assert_eq!(bound_to(after_bytes, soname), symbols_before);

    // Loaded and called from the unpacked wheel: binds through the private names.
    let site = work.join("site");
    unpack(bundled, &site);
    assert_eq!(
        host_output(&host, &site.join("greet/libgreet.so")),
        expected
    );

    // A bundle of the bundled wheel changes nothing.
    let again = work.join("again");
    common::run([
        "bundle",
        "--target",
        "manylinux_2_17",
        bundled.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ])
    .assert_code(0);
    assert!(
        std::fs::read(again.join(file_name(bundled))).unwrap() == std::fs::read(bundled).unwrap(),
        "a bundle of the bundled wheel differs"
    );
    println!(
        "{TEST}: {} requirements of {soname} under private names; the plugin runs the same",
        after.len()
    );
}
