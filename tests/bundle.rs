//! `elfcompat bundle` ships whole programs to Debian 11: built here (glibc 2.36, GCC 12),
//! bundled with `--target debian11`, and run INSIDE A CHROOT that holds only bullseye's
//! `libc6`, `libstdc++6` and `libgcc-s1` (`tests/common/chroot.rs`; nothing of the host's
//! /lib or /usr/lib is visible there; `LD_BIND_NOW=1`), natively for amd64 and under
//! qemu-user with bullseye's arm64 packages for arm64. `tests/chroot_harness.rs` shows the
//! same programs fail there unbundled. The programs (`testdata/bundle/`):
//!
//! - `cxx20`: C++20 (threads, condition_variable, jthread, exceptions, iostream,
//!   to_chars, filesystem): needs GLIBCXX_3.4.30, so libstdc++ must be shipped;
//! - `zssl` + its own `libgreet.so.1` (RUNPATH to its build directory), zlib and OpenSSL;
//! - `host`, a C program that dlopens the C++ plugin `libplugin.so` (given as an input).
//!
//! Each must exit and print exactly as on the build machine. Also: plans as snapshots,
//! byte-identical trees from two runs, a failure that leaves nothing behind, inputs never
//! modified, and `check --closure`.
//!
//! Needs root, `unshare`, the compilers and `qemu-user-static` (`.ci/run` installs them);
//! without them the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::chroot::{build_bundle_programs, chroot_available, chroot_root, run_in_chroot};
use common::{run_in, Run};

const TEST: &str = "bundle";

/// Skip (outside CI) or fail (in CI) when the harness cannot work here.
fn unavailable(what: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{TEST}: {what} (required when CI is set)");
    }
    eprintln!("{TEST}: SKIPPED: {what}");
    None
}

fn bullseye_root(arch: &str) -> Option<PathBuf> {
    if let Err(e) = chroot_available(arch) {
        return unavailable(&e);
    }
    let tools: &[&str] = match arch {
        "arm64" => &[
            "aarch64-linux-gnu-gcc",
            "aarch64-linux-gnu-g++",
            "qemu-aarch64",
        ],
        _ => &["gcc", "g++"],
    };
    for tool in tools {
        if !common::have_tool(tool) {
            return unavailable(&format!("{tool} not found"));
        }
    }
    match chroot_root("bullseye", arch) {
        Ok(root) => Some(root),
        Err(e) => unavailable(&format!("cannot get bullseye {arch}: {e}")),
    }
}

/// A program of `testdata/bundle/`, what `bundle` is given for it, and how it ends.
struct Program {
    name: &'static str,
    /// The inputs, relative to the build directory.
    inputs: &'static [&'static str],
    code: i32,
    /// Files the bundle must hold (besides `bin/NAME`).
    ships: &'static [&'static str],
}

const PROGRAMS: &[Program] = &[
    Program {
        name: "cxx20",
        inputs: &["cxx20"],
        code: 7,
        ships: &["lib/libstdc++.so.6"],
    },
    Program {
        name: "zssl",
        inputs: &["zssl"],
        code: 3,
        ships: &[
            "lib/libgreet.so.1",
            "lib/libz.so.1",
            "lib/libssl.so.3",
            "lib/libcrypto.so.3",
        ],
    },
    Program {
        name: "host",
        inputs: &["host", "libplugin.so"],
        code: 5,
        ships: &["lib/libplugin.so", "lib/libstdc++.so.6"],
    },
];

/// Where the arm64 cross toolchain's libraries (libstdc++, libgcc_s) are on this machine:
/// the build machine's libraries for arm64 programs.
const ARM64_LIBS: &str = "/usr/aarch64-linux-gnu/lib";

fn bundle_args(arch: &str, p: &Program, build: &Path, out: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec!["bundle".into(), "--target".into(), "debian11".into()];
    if arch == "arm64" {
        args.extend(["--library-path".into(), ARM64_LIBS.into()]);
    }
    args.extend(p.inputs.iter().map(|i| build.join(i).display().to_string()));
    args.extend(["-o".into(), out.display().to_string()]);
    args
}

fn expected_output(name: &str) -> String {
    std::fs::read_to_string(
        common::crate_root().join(format!("testdata/bundle/expected/{name}.out")),
    )
    .expect("expected output")
}

/// Every regular file under `dir` with its bytes (links as their targets).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                todo.push(p);
            } else if t.is_symlink() {
                out.insert(
                    rel,
                    std::fs::read_link(&p)
                        .unwrap()
                        .display()
                        .to_string()
                        .into_bytes(),
                );
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn run_arch(arch: &str) {
    let Some(root) = bullseye_root(arch) else {
        return;
    };
    let work = common::tempdir();
    let build = work.path().join("build");
    build_bundle_programs(arch, &build).unwrap_or_else(|e| panic!("{e}"));
    let before = tree(&build);
    let mut failures = Vec::new();
    for p in PROGRAMS {
        let out = work.path().join(format!("out-{}", p.name));
        let r = run_in(work.path(), bundle_args(arch, p, &build, &out));
        if r.code != Some(0) {
            failures.push(format!(
                "{arch} {}: bundle failed\n{}",
                p.name,
                r.describe()
            ));
            continue;
        }
        assert!(
            r.stdout.contains("pass the loader check"),
            "{arch} {}: no loader check\n{}",
            p.name,
            r.describe()
        );
        for f in p
            .ships
            .iter()
            .chain(std::iter::once(&&*format!("bin/{}", p.name)))
        {
            assert!(
                out.join(f).is_file(),
                "{arch} {}: {f} not in the bundle\n{}",
                p.name,
                r.describe()
            );
        }
        // Nothing of glibc is ever copied.
        for f in tree(&out).keys() {
            let name = f.rsplit('/').next().unwrap_or(f);
            assert!(
                !elfcompat::bundle::policy::is_glibc(name),
                "{arch} {}: glibc's {f} was bundled",
                p.name
            );
        }
        let guest = format!("/bundle/bin/{}", p.name);
        let ran: Run = run_in_chroot(&root, &[(&out, "/bundle")], &[&guest]);
        let want = expected_output(p.name);
        if ran.code != Some(p.code) || ran.stdout != want {
            failures.push(format!(
                "{arch} {}: in the bullseye chroot, exit {:?} (want {}), stdout {}\n{}\n--- want\n{want}",
                p.name,
                ran.code,
                p.code,
                if ran.stdout == want { "same" } else { "differs" },
                ran.describe()
            ));
        } else {
            println!("{TEST}: {arch} {}: bundled, ran in bullseye's chroot: exit {}, output as on the host", p.name, p.code);
        }
    }
    assert!(tree(&build) == before, "{arch}: bundle modified its inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn programs_run_in_a_debian11_chroot_amd64() {
    run_arch("amd64");
}

#[test]
fn programs_run_in_a_debian11_chroot_arm64() {
    run_arch("arm64");
}

/// Build the amd64 programs once per test that needs them (no chroot needed).
fn built() -> Option<(tempfile::TempDir, PathBuf)> {
    for tool in ["gcc", "g++"] {
        if !common::have_tool(tool) {
            unavailable(&format!("{tool} not found"));
            return None;
        }
    }
    let work = common::tempdir();
    let build = work.path().join("build");
    build_bundle_programs("amd64", &build).unwrap_or_else(|e| panic!("{e}"));
    Some((work, build))
}

/// Two runs give byte-identical trees; a second run into the same directory replaces
/// the earlier bundle and gives the same tree again.
#[test]
fn bundles_are_reproducible() {
    let Some((work, build)) = built() else { return };
    let p = &PROGRAMS[1];
    let a = work.path().join("a");
    let b = work.path().join("b");
    for out in [&a, &b, &a] {
        run_in(work.path(), bundle_args("amd64", p, &build, out)).assert_code(0);
    }
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        if k == ".elfcompat-bundle.json" {
            // It names its own directory.
            continue;
        }
        assert!(tb[k] == *v, "{k} differs between two bundles");
    }
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".elfcompat"))
        .collect();
    assert!(leftovers.is_empty(), "temporary trees left: {leftovers:?}");
}

/// A library that cannot be found stops the bundle with its name and who needs it, and
/// leaves nothing behind; an output directory that is not a bundle is never replaced.
#[test]
fn failures_leave_nothing_behind() {
    let Some((work, build)) = built() else { return };
    // zssl without its libgreet.so.1.
    let moved = work.path().join("elsewhere");
    std::fs::create_dir(&moved).unwrap();
    std::fs::rename(build.join("libgreet.so.1"), moved.join("libgreet.so.1")).unwrap();
    let out = work.path().join("out");
    let r = run_in(
        work.path(),
        bundle_args("amd64", &PROGRAMS[1], &build, &out),
    );
    r.assert_code(2);
    assert!(
        r.stderr.contains("libgreet.so.1 (needed by") && r.stderr.contains("zssl"),
        "{}",
        r.describe()
    );
    assert!(!out.exists(), "an output was written");
    // With --library-path it is found again.
    let mut args = bundle_args("amd64", &PROGRAMS[1], &build, &out);
    args.insert(3, "--library-path".into());
    args.insert(4, moved.display().to_string());
    run_in(work.path(), &args).assert_code(0);
    assert!(out.join("lib/libgreet.so.1").is_file());

    // An existing directory that elfcompat did not write.
    let mine = work.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("keep.txt"), "mine").unwrap();
    let r = run_in(
        work.path(),
        bundle_args("amd64", &PROGRAMS[0], &build, &mine),
    );
    r.assert_code(2);
    assert!(
        r.stderr.contains("not a bundle elfcompat wrote"),
        "{}",
        r.describe()
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("keep.txt")).unwrap(),
        "mine"
    );
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".elfcompat"))
        .collect();
    assert!(leftovers.is_empty(), "temporary trees left: {leftovers:?}");
}

/// The plans, as people read them (`--dry-run`), with this run's build directory and the
/// sizes (which depend on the compiler's exact output) taken out. Also `--exclude`.
#[test]
fn plans() {
    let Some((work, build)) = built() else { return };
    let mut all = String::new();
    let mut cases: Vec<(String, Vec<String>)> = PROGRAMS
        .iter()
        .map(|p| {
            (
                p.name.to_string(),
                bundle_args("amd64", p, &build, Path::new("dist")),
            )
        })
        .collect();
    let mut excl = bundle_args("amd64", &PROGRAMS[1], &build, Path::new("dist"));
    excl.splice(3..3, ["--exclude".to_string(), "libssl.so.*".to_string()]);
    cases.push(("zssl --exclude libssl.so.*".into(), excl));
    for (name, mut args) in cases {
        args.insert(1, "--dry-run".into());
        let r = run_in(work.path(), &args);
        r.assert_code(0);
        all.push_str(&format!("## {name}\n{}\n", normalize(&r.stdout, &build)));
    }
    insta::assert_snapshot!(all);
}

/// The text plan without the run's build directory and the size column.
fn normalize(text: &str, build: &Path) -> String {
    let b = build.display().to_string();
    text.lines()
        .map(|l| {
            let l = l.replace(&b, "[BUILD]");
            // "  dest   origin   12.3 KiB  detail": the size is the 3rd and 4th field
            // (or "-" for system libraries).
            let fields: Vec<&str> = l.split_whitespace().collect();
            if fields.len() > 4 && matches!(fields[1], "input" | "bundled") {
                let size = format!("{} {}", fields[2], fields[3]);
                let rest = l.split_once(&size).map_or("", |(_, r)| r.trim_start());
                format!("  {:<34} {:<8} [SIZE]  {rest}", fields[0], fields[1])
            } else if l.starts_with("total:") {
                "total: [SIZES]".to_string()
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `check --closure` judges what ships: the program and its libraries, not glibc.
#[test]
fn check_closure_judges_the_libraries_too() {
    let Some((work, build)) = built() else { return };
    let zssl = build.join("zssl");
    let judged = |closure: bool| {
        let mut args = vec!["check", "--target", "debian11", "--json"];
        if closure {
            args.push("--closure");
        }
        args.push(zssl.to_str().unwrap());
        let r = run_in(work.path(), &args);
        r.assert_code(1);
        let doc = common::json_of(&r);
        let names: Vec<String> = doc["files"]
            .as_array()
            .unwrap_or_else(|| panic!("no files\n{}", r.describe()))
            .iter()
            .filter_map(|f| f["path"].as_str())
            .map(|p| p.rsplit('/').next().unwrap_or_default().to_string())
            .collect();
        names
    };
    let with = judged(true);
    for lib in [
        "zssl",
        "libgreet.so.1",
        "libz.so.1",
        "libssl.so.3",
        "libcrypto.so.3",
    ] {
        assert!(with.iter().any(|n| n == lib), "{lib} not judged: {with:?}");
    }
    assert!(
        !with.iter().any(|n| n == "libc.so.6"),
        "glibc judged: {with:?}"
    );
    assert_eq!(judged(false), vec!["zssl".to_string()]);
}

/// A release tree (a directory input) keeps its layout: its own library stays where the
/// program's `$ORIGIN` RUNPATH finds it, links and data files are copied as they are, and
/// what it loads from the build machine goes to `lib/`. The result runs in the chroot.
#[test]
fn a_release_tree_keeps_its_layout() {
    let Some(root) = bullseye_root("amd64") else {
        return;
    };
    let work = common::tempdir();
    let t = work.path().join("tree");
    for d in ["bin", "lib/app", "share/app"] {
        std::fs::create_dir_all(t.join(d)).unwrap();
    }
    let src = work.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("foo.c"),
        "#include <zlib.h>\nunsigned long foo(const char *s) { return crc32(0, (const unsigned char *)s, 5); }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("app.c"),
        "#include <stdio.h>\n#include <threads.h>\nunsigned long foo(const char *);\nstatic int body(void *a) { printf(\"crc %lx\\n\", foo((const char *)a)); return 4; }\nint main(void) { thrd_t t; int r; thrd_create(&t, body, \"hello\"); thrd_join(t, &r); return r; }\n",
    )
    .unwrap();
    let cc = |args: &[&str]| {
        let st = std::process::Command::new("gcc")
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "gcc {args:?}");
    };
    let lib = t.join("lib/app/libfoo.so.1");
    cc(&[
        "-shared",
        "-fPIC",
        "-Wl,-soname,libfoo.so.1",
        "-o",
        lib.to_str().unwrap(),
        src.join("foo.c").to_str().unwrap(),
        "-lz",
    ]);
    std::os::unix::fs::symlink("libfoo.so.1", t.join("lib/app/libfoo.so")).unwrap();
    let app = t.join("bin/app");
    cc(&[
        "-O2",
        "-o",
        app.to_str().unwrap(),
        src.join("app.c").to_str().unwrap(),
        "-L",
        t.join("lib/app").to_str().unwrap(),
        "-lfoo",
        "-Wl,-rpath,$ORIGIN/../lib/app",
    ]);
    std::os::unix::fs::symlink("app", t.join("bin/app-link")).unwrap();
    std::fs::write(t.join("share/app/data.txt"), "data\n").unwrap();
    let host = std::process::Command::new(&app).output().unwrap();
    assert_eq!(host.status.code(), Some(4));

    let out = work.path().join("out");
    let r = run_in(
        work.path(),
        [
            "bundle",
            "--target",
            "debian11",
            t.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    r.assert_code(0);
    assert_eq!(
        std::fs::read_link(out.join("bin/app-link")).unwrap(),
        Path::new("app")
    );
    assert_eq!(
        std::fs::read_link(out.join("lib/app/libfoo.so")).unwrap(),
        Path::new("libfoo.so.1")
    );
    assert_eq!(
        std::fs::read_to_string(out.join("share/app/data.txt")).unwrap(),
        "data\n"
    );
    assert!(out.join("lib/libz.so.1").is_file(), "{}", r.describe());
    let ran = run_in_chroot(&root, &[(&out, "/opt/app")], &["/opt/app/bin/app"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(4), String::from_utf8_lossy(&host.stdout).as_ref()),
        "{}",
        ran.describe()
    );
    let ran = run_in_chroot(&root, &[(&out, "/opt/app")], &["/opt/app/bin/app-link"]);
    assert_eq!(ran.code, Some(4), "{}", ran.describe());
}
