//! `report` and `check` read the ELF members of wheels and release archives without
//! unpacking them (issue #13), and `check --target manylinux_*` gives a wheel's verdict
//! on every manylinux policy.
//!
//! The archives are built here, from the committed fixtures, with the same crates the
//! reader uses and in every format it reads; each ELF member must be reported exactly as
//! the fixture file itself is. The wheels of the last tests are built by pip from C
//! extensions written here, in the venv `.ci/run` makes (`$ELFCOMPAT_INTEROP_VENV`,
//! default `~/.cache/elfcompat/interop-venv`, with setuptools, wheel and auditwheel), and
//! elfcompat's verdict is compared with `auditwheel show`'s. Without that venv (or a C
//! compiler and Python's headers) those tests skip, except under `CI`, where they fail.

mod common;

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{crate_root, fixture, json_of, run, run_in, tempdir};
use serde_json::Value;

/// The tree packed into every archive: (member name, fixture or None for text).
const MEMBERS: &[(&str, Option<&str>)] = &[
    ("tool-1.0/bin/hello", Some("x86_64/hello")),
    ("tool-1.0/README.txt", None),
    (
        "tool-1.0/lib/deep/er/libverdef.so",
        Some("x86_64/libverdef.so"),
    ),
    ("tool-1.0/bin/cxx-arm64", Some("aarch64/cxx")),
];
/// A symlink member: (name, target).
const LINK: (&str, &str) = ("tool-1.0/lib/libverdef.so.1", "deep/er/libverdef.so");

fn member_bytes(fixture_name: Option<&str>) -> Vec<u8> {
    match fixture_name {
        Some(f) => common::fixture_bytes(f),
        None => b"not an ELF file\n".to_vec(),
    }
}

fn tar_bytes() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, f) in MEMBERS {
        let data = member_bytes(*f);
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("./{name}"), data.as_slice())
            .expect("tar member");
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    b.append_link(&mut h, LINK.0, LINK.1).expect("tar link");
    b.into_inner().expect("tar")
}

fn zip_bytes(extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.add_directory("tool-1.0/", opts).expect("dir");
    for (name, f) in MEMBERS {
        z.start_file(*name, opts).expect("member");
        z.write_all(&member_bytes(*f)).expect("write");
    }
    z.add_symlink(LINK.0, LINK.1, opts).expect("link");
    for (name, data) in extra {
        z.start_file(*name, opts).expect("member");
        z.write_all(data).expect("write");
    }
    z.finish().expect("zip").into_inner()
}

/// Every archive format, written into `dir`: (file name, bytes).
fn archives() -> Vec<(&'static str, Vec<u8>)> {
    let tar = tar_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("gz");
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&tar).expect("xz");
    vec![
        ("tool-1.0.tar.gz", gz.finish().expect("gz")),
        ("tool-1.0.tgz", {
            let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            g.write_all(&tar).expect("gz");
            g.finish().expect("gz")
        }),
        ("tool-1.0.tar.xz", xz.finish().expect("xz")),
        (
            "tool-1.0.tar.zst",
            zstd::stream::encode_all(tar.as_slice(), 3).expect("zstd"),
        ),
        ("tool-1.0.zip", zip_bytes(&[])),
    ]
}

/// `report --json` of one path, its `files` array.
fn files_of(args: &[&str], dir: &Path) -> Vec<Value> {
    let r = run_in(dir, args);
    let doc = json_of(&r);
    doc["files"].as_array().cloned().unwrap_or_default()
}

#[test]
fn members_are_reported_like_the_files_themselves() {
    let dir = tempdir();
    // What report says of each fixture on its own, path aside.
    let alone = |f: &str| {
        let mut v = files_of(
            &[
                "report",
                "--json",
                "--symbols",
                &crate_root().join(fixture(f)).display().to_string(),
            ],
            dir.path(),
        )
        .remove(0);
        v["path"] = Value::Null;
        v
    };
    for (name, bytes) in archives() {
        std::fs::write(dir.path().join(name), &bytes).expect("write archive");
        let files = files_of(&["report", "--json", "--symbols", name], dir.path());
        let paths: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
        let want: Vec<String> = MEMBERS
            .iter()
            .map(|(m, _)| format!("{name}!/{m}"))
            .collect();
        assert_eq!(paths, want, "{name}");
        for ((_, f), got) in MEMBERS.iter().zip(&files) {
            match f {
                Some(f) => {
                    let mut got = got.clone();
                    got["path"] = Value::Null;
                    assert_eq!(got, alone(f), "{name}: {f}");
                }
                None => assert_eq!(got["status"], "not-elf", "{name}"),
            }
        }
        let doc = json_of(&run_in(dir.path(), ["report", "--json", name]));
        let s = &doc["summary"];
        assert_eq!(
            (
                &s["files"],
                &s["elf"],
                &s["not_elf"],
                &s["errors"],
                &s["duplicates_skipped"]
            ),
            (
                &Value::from(4),
                &Value::from(3),
                &Value::from(1),
                &Value::from(0),
                &Value::from(1)
            ),
            "{name}: {s}"
        );

        // Text: one block per ELF member, the non-ELF one counted, the summary line.
        let r = run_in(dir.path(), ["report", name]);
        r.assert_code(0);
        assert!(
            r.stdout
                .contains(&format!("{name}!/tool-1.0/bin/hello: ELF64 x86_64")),
            "{}",
            r.describe()
        );
        assert!(!r.stdout.contains("README.txt"), "{}", r.describe());
        assert!(
            r.stdout.ends_with(
                "4 files: 3 ELF, 1 not ELF, 0 unreadable; 0 special files and 1 duplicate links skipped\n"
            ),
            "{}",
            r.describe()
        );

        // check: the members' findings, named inside the archive.
        let r = run_in(dir.path(), ["check", "--glibc", "2.2.5", name]);
        let alone = run(["check", "--glibc", "2.2.5", "testdata/bin/x86_64/hello"]);
        assert_eq!(r.code(), alone.code(), "{}", r.describe());
        assert!(
            r.stdout
                .contains(&format!("{name}!/tool-1.0/bin/hello: FAIL"))
                == alone.stdout.contains("FAIL"),
            "{}",
            r.describe()
        );
    }
}

#[test]
fn archives_in_a_walked_tree_and_broken_archives() {
    let dir = tempdir();
    let tree = dir.path().join("dist");
    std::fs::create_dir_all(tree.join("sub")).expect("mkdir");
    for (name, bytes) in archives() {
        std::fs::write(tree.join("sub").join(name), &bytes).expect("write");
    }
    common::copy_fixture("x86_64/hello", &tree, "hello");
    let files = files_of(&["report", "--json", "dist"], dir.path());
    assert_eq!(files.len(), 1 + 5 * MEMBERS.len());
    assert_eq!(files[0]["path"], "dist/hello");
    assert_eq!(
        files[1]["path"],
        "dist/sub/tool-1.0.tar.gz!/tool-1.0/bin/hello"
    );

    // A corrupt archive is an error of that archive (exit 2), the others still reported.
    let gz = &archives()[0].1;
    std::fs::write(tree.join("sub/cut.tar.gz"), &gz[..gz.len() / 2]).expect("write");
    std::fs::write(tree.join("sub/garbage.zip"), b"PK\x03\x04 this is no zip").expect("write");
    std::fs::write(tree.join("sub/empty.tar.xz"), b"").expect("write");
    for args in [
        vec!["report", "dist"],
        vec!["report", "--json", "dist"],
        vec!["check", "--glibc", "2.17", "dist"],
        vec!["check", "--target", "manylinux2014", "--json", "dist"],
    ] {
        let r = run_in(dir.path(), &args);
        assert_eq!(r.code(), 2, "{args:?}\n{}", r.describe());
        for broken in ["cut.tar.gz", "garbage.zip", "empty.tar.xz"] {
            let path = format!("dist/sub/{broken}");
            // Text names the archive on stderr; JSON gives it an error entry.
            let named = if args.contains(&"--json") {
                json_of(&r)["files"].as_array().is_some_and(|f| {
                    f.iter().any(|e| {
                        e["path"] == path.as_str()
                            && e["status"] == "error"
                            && e["error"].as_str().is_some_and(|m| m.starts_with(&path))
                    })
                })
            } else {
                r.stderr.contains(&format!("{path}: "))
            };
            assert!(named, "{args:?}: {broken}\n{}", r.describe());
        }
        assert!(!r.stderr.contains("panicked"), "{}", r.describe());
    }
    let doc = json_of(&run_in(dir.path(), ["report", "--json", "dist"]));
    assert_eq!(doc["summary"]["errors"], 3, "{}", doc["summary"]);
    // The members of cut.tar.gz before the damage are reported too.
    assert!(
        doc["summary"]["elf"].as_u64() >= Some(1 + 5 * 3),
        "{}",
        doc["summary"]
    );
}

/// A wheel of fixtures: `pkg/_ext.so` is `ext`, and `pkg.libs/libverdef.so` a library
/// it may need from inside the wheel.
fn fixture_wheel(dir: &Path, name: &str, ext: &str) -> PathBuf {
    let path = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    let opts = zip::write::SimpleFileOptions::default();
    for (member, data) in [
        ("pkg/__init__.py", b"".to_vec()),
        ("pkg/_ext.so", common::fixture_bytes(ext)),
        ("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n".to_vec()),
    ] {
        z.start_file(member, opts).expect("member");
        z.write_all(&data).expect("write");
    }
    z.finish().expect("zip");
    path
}

#[test]
fn check_gives_a_wheels_manylinux_verdict() {
    let dir = tempdir();
    // hello needs GLIBC_2.34 (__libc_start_main) on x86_64: manylinux_2_34 and newer.
    let min = {
        let doc = json_of(&run(["report", "--json", "testdata/bin/x86_64/hello"]));
        doc["files"][0]["requires"]
            .as_array()
            .and_then(|r| r.iter().find(|f| f["family"] == "glibc"))
            .and_then(|f| f["minimum"].as_str())
            .expect("glibc minimum")
            .trim_start_matches("GLIBC_")
            .to_string()
    };
    let glibc_key =
        |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let wheel = fixture_wheel(
        dir.path(),
        "pkg-1.0-cp39-abi3-linux_x86_64.whl",
        "x86_64/hello",
    );
    let name = wheel.file_name().and_then(|n| n.to_str()).expect("name");
    let r = run_in(
        dir.path(),
        ["check", "--target", "manylinux_2_17", "--json", name],
    );
    let doc = json_of(&r);
    let w = &doc["wheels"][0];
    assert_eq!(w["path"], name);
    assert_eq!(w["arch"], "x86_64");
    assert_eq!(w["requested"], "manylinux2014");
    let policies = w["policies"].as_array().expect("policies");
    assert!(policies.len() >= 15, "{w}");
    let mut oldest = None;
    for p in policies {
        let glibc = p["glibc"].as_str().expect("glibc");
        let ok = glibc_key(glibc) >= glibc_key(&min);
        assert_eq!(p["qualifies"], ok, "{}: {p}", p["policy"]);
        if ok {
            oldest = p["policy"].as_str();
        } else {
            assert!(!p["too_new"].as_array().expect("too_new").is_empty(), "{p}");
        }
    }
    assert_eq!(w["best"].as_str(), oldest, "{w}");
    assert_eq!(w["qualifies"], false);
    assert_eq!(r.code(), 1, "{}", r.describe());
    assert_eq!(doc["files"][1]["path"], format!("{name}!/pkg/_ext.so"));

    // Text: the per-file findings, then the verdict, newest policy first.
    let r = run_in(dir.path(), ["check", "--target", "manylinux2014", name]);
    assert_eq!(r.code(), 1, "{}", r.describe());
    assert!(
        r.stdout.contains(&format!(
            "{name}: FAIL: does not qualify for manylinux2014 (x86_64)"
        )),
        "{}",
        r.describe()
    );
    let at = |s: &str| {
        r.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s}\n{}", r.describe()))
    };
    assert!(at(&format!("{name}!/pkg/_ext.so: FAIL")) < at("  manylinux_2_41"));
    assert!(at("  manylinux_2_41") < at("  manylinux_2_17 (manylinux2014)"));
    assert!(at("  manylinux_2_17 (manylinux2014)") < at("  manylinux_2_5 (manylinux1)"));

    // JUnit: the wheel is a test case of its own, failed.
    let r = run_in(
        dir.path(),
        [
            "check",
            "--target",
            "manylinux2014",
            "--format",
            "junit",
            name,
        ],
    );
    assert_eq!(r.code(), 1, "{}", r.describe());
    let xml = roxmltree::Document::parse(&r.stdout).expect("JUnit XML");
    let case = xml
        .descendants()
        .find(|n| n.attribute("classname") == Some("elfcompat.manylinux"))
        .expect("the wheel's test case");
    assert_eq!(case.attribute("name"), Some(name));
    assert!(
        case.children().any(|c| c.has_tag_name("failure")),
        "{}",
        r.stdout
    );

    // The newest policy: qualifies, exit 0; a plain --glibc gives no verdict.
    let r = run_in(dir.path(), ["check", "--target", "manylinux_2_41", name]);
    assert_eq!(r.code(), 0, "{}", r.describe());
    assert!(r
        .stdout
        .contains(&format!("{name}: OK: qualifies for manylinux_2_41")));
    let r = run_in(dir.path(), ["check", "--glibc", "2.41", "--json", name]);
    assert!(json_of(&r).get("wheels").is_none());

    // A library outside the policy and not in the wheel disqualifies: uselib needs
    // libverdef.so, which this wheel lacks.
    let uselib = fixture_wheel(
        dir.path(),
        "u-1.0-py3-none-linux_x86_64.whl",
        "x86_64/uselib",
    );
    let needed = json_of(&run(["report", "--json", "testdata/bin/x86_64/uselib"]))["files"][0]
        ["needed"]
        .clone();
    let outside: Vec<&str> = needed
        .as_array()
        .expect("needed")
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| !n.starts_with("libc.so") && !n.starts_with("libm.so"))
        .collect();
    assert!(!outside.is_empty(), "{needed}");
    let r = run_in(
        dir.path(),
        [
            "check",
            "--target",
            "manylinux_2_41",
            "--json",
            uselib.to_str().expect("utf-8"),
        ],
    );
    let w = &json_of(&r)["wheels"][0];
    assert_eq!(w["qualifies"], false, "{w}");
    assert_eq!(w["best"], Value::Null, "{w}");
    for p in w["policies"].as_array().expect("policies") {
        assert_eq!(p["external"], serde_json::json!(outside), "{p}");
        assert_eq!(p["qualifies"], false);
    }
    assert_eq!(r.code(), 1);
}

/// Every manylinux policy name and alias of auditwheel's data is a `--target`.
#[test]
fn every_policy_is_a_target() {
    for p in elfcompat::abi::manylinux::policies() {
        for name in std::iter::once(&p.name).chain(&p.aliases) {
            let r = run(["check", "--target", name, "testdata/bin/x86_64/hello"]);
            assert!(r.code() <= 1, "{name}\n{}", r.describe());
            assert!(
                r.stdout.contains(&format!("glibc {}", p.glibc())),
                "{name}\n{}",
                r.describe()
            );
        }
    }
}

// ---- Wheels built by pip, and auditwheel's verdict --------------------------------------

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v != "false" && !v.is_empty())
}

/// The venv `.ci/run` makes, if it has what these tests need.
fn venv() -> Option<PathBuf> {
    let venv = std::env::var_os("ELFCOMPAT_INTEROP_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/elfcompat/interop-venv"))
        })?;
    let python = venv.join("bin/python3");
    let ok = Command::new(&python)
        .args(["-c", "import setuptools, wheel, auditwheel, sysconfig, os; assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok && common::have_tool("cc") {
        return Some(venv);
    }
    let why = format!(
        "{}: setuptools, wheel, auditwheel and Python.h (python3-dev) are needed",
        venv.display()
    );
    if in_ci() {
        panic!("{why} in CI (.ci/run installs them)");
    }
    eprintln!("archives: skipped: {why}");
    None
}

/// A project with one C extension on the limited API (abi3), built into a wheel by pip.
fn pip_wheel(venv: &Path, dir: &Path, name: &str, body: &str, libraries: &[&str]) -> PathBuf {
    let src = dir.join(format!("src-{name}"));
    std::fs::create_dir_all(src.join(name)).expect("mkdir");
    std::fs::write(
        src.join(name).join("__init__.py"),
        format!("from .{name}_ext import *\n"),
    )
    .expect("write");
    std::fs::write(
        src.join(format!("{name}_ext.c")),
        format!(
            "#define Py_LIMITED_API 0x03070000\n#include <Python.h>\n#include <stdlib.h>\n#include <unistd.h>\n{body}\n\
             static PyMethodDef methods[] = {{{{\"value\", value, METH_NOARGS, NULL}}, {{NULL, NULL, 0, NULL}}}};\n\
             static struct PyModuleDef mod = {{PyModuleDef_HEAD_INIT, \"{name}_ext\", NULL, -1, methods}};\n\
             PyMODINIT_FUNC PyInit_{name}_ext(void) {{ return getpid() > 0 ? PyModule_Create(&mod) : NULL; }}\n"
        ),
    )
    .expect("write");
    std::fs::write(
        src.join("setup.py"),
        format!(
            "from setuptools import setup, Extension\n\
             setup(name='{name}', version='1.0', packages=['{name}'],\n\
                   ext_modules=[Extension('{name}.{name}_ext', ['{name}_ext.c'], libraries={libraries:?},\n\
                                          py_limited_api=True)],\n\
                   options={{'bdist_wheel': {{'py_limited_api': 'cp37'}}}})\n"
        ),
    )
    .expect("write");
    let out = dir.join("wheelhouse");
    let r = Command::new(venv.join("bin/python3"))
        .args([
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
        ])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("pip");
    assert!(
        r.status.success(),
        "pip wheel {name}: {}\n{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    std::fs::read_dir(&out)
        .expect("wheelhouse")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{name}-1.0-")) && n.ends_with(".whl"))
        })
        .expect("the wheel pip wrote")
}

/// `auditwheel show --json`: the overall tag without its architecture, `manylinux_2_17`
/// or `linux`.
fn auditwheel_tag(venv: &Path, wheel: &Path) -> String {
    let r = Command::new(venv.join("bin/auditwheel"))
        .args(["show", "--json"])
        .arg(wheel)
        .output()
        .expect("auditwheel");
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "auditwheel show --json: {e}\n{}\n{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        )
    });
    let tag = doc["overall_tag"]
        .as_str()
        .expect("overall_tag")
        .to_string();
    let arch = std::env::consts::ARCH;
    tag.strip_suffix(&format!("_{arch}"))
        .unwrap_or(&tag)
        .to_string()
}

#[test]
fn pip_wheels_agree_with_auditwheel_show() {
    let Some(venv) = venv() else { return };
    let dir = tempdir();
    let cases = [
        // Old glibc only: the widest policy. (Every module calls getpid: an extension
        // that needs nothing from libc makes auditwheel fail, "couldn't detect libc".)
        ("plain", "#include <unistd.h>\nstatic PyObject *value(PyObject *s, PyObject *a) { return PyLong_FromLong(getpid() > 0); }", vec![]),
        // arc4random is glibc 2.36's.
        ("newglibc", "static PyObject *value(PyObject *s, PyObject *a) { return PyLong_FromUnsignedLong(arc4random() & 1); }", vec![]),
        // zlib is on every policy's whitelist.
        ("zlibext", "#include <zlib.h>\nstatic PyObject *value(PyObject *s, PyObject *a) { return PyLong_FromUnsignedLong(crc32(0, (const Bytef *)\"a\", 1)); }", vec!["z"]),
        // libcrypto is on none: no manylinux tag until bundled.
        ("cryptoext", "#include <openssl/crypto.h>\nstatic PyObject *value(PyObject *s, PyObject *a) { return PyLong_FromUnsignedLong(OpenSSL_version_num()); }", vec!["crypto"]),
    ];
    for (name, body, libs) in cases {
        let wheel = pip_wheel(&venv, dir.path(), name, body, &libs);
        let file = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        assert!(file.contains("-abi3-"), "{file}");
        let theirs = auditwheel_tag(&venv, &wheel);
        let r = run_in(
            wheel.parent().expect("dir"),
            ["check", "--target", "manylinux_2_17", "--json", &file],
        );
        let doc = json_of(&r);
        let w = &doc["wheels"][0];
        let ours = w["best"].as_str().unwrap_or("linux");
        assert_eq!(
            ours, theirs,
            "{name}: elfcompat and auditwheel disagree\n{w}"
        );
        // The verdict holds for every policy at least as new as the tag, none older.
        let best_glibc = w["policies"]
            .as_array()
            .expect("policies")
            .iter()
            .find(|p| p["policy"] == ours)
            .map(|p| p["glibc"].clone());
        for p in w["policies"].as_array().expect("policies") {
            if let Some(Value::String(b)) = &best_glibc {
                let key = |v: &str| -> Vec<u32> {
                    v.split('.').map(|x| x.parse().unwrap_or(0)).collect()
                };
                let newer = key(p["glibc"].as_str().unwrap_or("0")) >= key(b);
                assert_eq!(p["qualifies"], newer, "{name}: {p}");
            }
        }
        let qualifies = w["qualifies"].as_bool().expect("qualifies");
        assert_eq!(r.code(), if qualifies { 0 } else { 1 }, "{}", r.describe());
        match name {
            "plain" | "zlibext" => assert!(qualifies, "{name}: {w}"),
            "newglibc" => {
                assert_eq!(ours, "manylinux_2_36", "{w}");
                let p = &w["policies"]
                    .as_array()
                    .expect("p")
                    .iter()
                    .find(|p| p["policy"] == "manylinux_2_17")
                    .cloned()
                    .expect("2_17");
                assert_eq!(p["too_new"][0]["version"], "GLIBC_2.36", "{p}");
            }
            "cryptoext" => {
                assert!(!qualifies);
                for p in w["policies"].as_array().expect("p") {
                    assert_eq!(p["external"], serde_json::json!(["libcrypto.so.3"]), "{p}");
                }
            }
            _ => {}
        }
        let member = format!("{file}!/{name}/{name}_ext.abi3.so");
        assert!(
            doc["files"].as_array().is_some_and(|f| f
                .iter()
                .any(|e| e["path"] == member.as_str() && e["status"] == "elf")),
            "{member}\n{}",
            r.describe()
        );
    }
}

/// Memory follows the largest member, not the archive: eight ELF members of 128 MiB
/// each (a fixture padded with zeros; 1 GiB in all) are reported under a 768 MiB
/// address-space limit.
#[test]
fn memory_is_bounded_by_the_largest_member() {
    const MEMBER: u64 = 128 << 20;
    let dir = tempdir();
    let path = dir.path().join("big.tar.zst");
    let elf = common::fixture_bytes("x86_64/hello");
    let file = std::fs::File::create(&path).expect("create");
    let mut b = tar::Builder::new(zstd::stream::Encoder::new(file, 1).expect("zstd"));
    for i in 0..8 {
        let mut h = tar::Header::new_gnu();
        h.set_size(MEMBER);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        let data = elf.as_slice().chain(std::io::repeat(0)).take(MEMBER);
        b.append_data(&mut h, format!("big/bin/prog{i}"), data)
            .expect("member");
    }
    b.into_inner()
        .expect("tar")
        .finish()
        .expect("zstd")
        .sync_all()
        .expect("sync");
    let r = common::run_limited(
        ["report".as_ref(), "--json".as_ref(), path.as_os_str()],
        768 * 1024,
        std::time::Duration::from_secs(120),
    );
    r.assert_code(0);
    assert_eq!(json_of(&r)["summary"]["elf"], 8, "{}", r.describe());
}
