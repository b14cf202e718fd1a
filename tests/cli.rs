//! The command line as users meet it: exit codes (0 ok, 1 baseline not met, 2 usage or
//! I/O error), walking real trees (links, loops, FIFOs, junk), presets, colors, help,
//! the `abi` and `targets` questions, and the JSON schema marker.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use common::{copy_fixture, fixture, json_of, run, run_in, tempdir};

const SCHEMA: &str = "elfcompat-report/1";

fn hello() -> String {
    fixture("x86_64/hello").to_string_lossy().into_owned()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("running mkfifo");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// A tree with everything a release directory can hold, and some things it should not:
///
/// ```text
/// hello                 ELF (x86_64 PIE)
/// hello-link -> hello   a second name for a file already listed: reported once
/// empty                 a zero-byte file: not ELF
/// notes.txt             text: not ELF
/// loop-a -> loop-b      a symlink loop: skipped as special
/// loop-b -> loop-a
/// fifo                  a FIFO: skipped as special without being opened
/// sub/libverdef.so      ELF (x86_64 shared library)
/// sub/up -> ..          a directory loop: walked once
/// ```
fn mixed_tree() -> tempfile::TempDir {
    let dir = tempdir();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    copy_fixture("x86_64/hello", root, "hello");
    copy_fixture("x86_64/libverdef.so", &root.join("sub"), "libverdef.so");
    symlink("hello", root.join("hello-link")).unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::write(root.join("notes.txt"), b"release notes\n").unwrap();
    symlink("loop-b", root.join("loop-a")).unwrap();
    symlink("loop-a", root.join("loop-b")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    mkfifo(&root.join("fifo"));
    dir
}

// ---------------------------------------------------------------- report on trees

#[test]
fn report_walks_a_mixed_tree_once_without_blocking() {
    let dir = mixed_tree();
    let r = run_in(dir.path(), ["report", "--color", "never", "."]);
    r.assert_code(0);
    assert!(r.stderr.is_empty(), "{}", r.describe());
    // Each ELF file once, under the name the walk reached first.
    assert_eq!(
        r.stdout
            .matches("./hello: ELF64 x86_64 PIE executable")
            .count(),
        1,
        "{}",
        r.describe()
    );
    assert_eq!(
        r.stdout
            .matches("./sub/libverdef.so: ELF64 x86_64 shared library, soname libverdef.so")
            .count(),
        1,
        "{}",
        r.describe()
    );
    assert!(!r.stdout.contains("hello-link"), "{}", r.describe());
    assert!(!r.stdout.contains("sub/up"), "{}", r.describe());
    // Several files: non-ELF ones are counted, not printed.
    assert!(!r.stdout.contains("notes.txt"), "{}", r.describe());
    assert!(
        r.stdout.ends_with(
            "4 files: 2 ELF, 2 not ELF, 0 unreadable; 3 special files and 1 duplicate links skipped\n"
        ),
        "{}",
        r.describe()
    );
}

#[test]
fn report_json_on_a_mixed_tree() {
    let dir = mixed_tree();
    let r = run_in(dir.path(), ["report", "--json", "."]);
    r.assert_code(0);
    let v = json_of(&r);
    assert_eq!(v["schema"], SCHEMA);
    assert_eq!(v["baseline"], serde_json::Value::Null);
    let files: Vec<(String, String)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |p: &str, s: &str| (p.to_string(), s.to_string());
    assert_eq!(
        files,
        vec![
            expect("./empty", "not-elf"),
            expect("./hello", "elf"),
            expect("./notes.txt", "not-elf"),
            expect("./sub/libverdef.so", "elf"),
        ]
    );
    let s = &v["summary"];
    assert_eq!(
        (
            s["files"].as_u64(),
            s["elf"].as_u64(),
            s["not_elf"].as_u64(),
            s["errors"].as_u64()
        ),
        (Some(4), Some(2), Some(2), Some(0))
    );
    assert_eq!(s["special_skipped"], 3);
    assert_eq!(s["duplicates_skipped"], 1);
    assert_eq!(s["violating"], 0);
}

#[test]
fn report_on_an_explicit_directory_and_files() {
    let dir = mixed_tree();
    // A directory named explicitly is walked; a file inside it named again is a duplicate.
    let r = run_in(dir.path(), ["report", "--json", "sub", "sub/libverdef.so"]);
    r.assert_code(0);
    let v = json_of(&r);
    // sub/up -> .. leads back to the root, so the walk reaches hello through it.
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "sub/libverdef.so",
            "sub/up/empty",
            "sub/up/hello",
            "sub/up/notes.txt"
        ]
    );
    assert_eq!(
        v["summary"]["duplicates_skipped"], 2,
        "hello-link and the explicit sub/libverdef.so"
    );

    // A single non-ELF file is reported as such, and that is not an error.
    let r = run_in(dir.path(), ["report", "--color", "never", "notes.txt"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "notes.txt: not an ELF file (skipped)\n");
    let r = run_in(dir.path(), ["report", "--color", "never", "empty"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "empty: not an ELF file (skipped)\n");
}

/// Whether a text report is of one file or of many is known once a second report comes,
/// or, with fewer, from the walk: a directory or a path list that holds one file reports
/// it alone (a non-ELF file named, no closing counts), an archive of one member is many
/// (the counts close it), and the first report waits for the second without being lost or
/// reordered.
#[test]
fn one_report_or_many_decided_as_the_reports_come() {
    let dir = tempdir();
    let root = dir.path();
    std::fs::create_dir(root.join("one")).unwrap();
    std::fs::write(root.join("one/notes.txt"), b"release notes\n").unwrap();
    let r = run_in(root, ["report", "--color", "never", "one"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "one/notes.txt: not an ELF file (skipped)\n");
    let r = run_in(root, ["report", "--color", "never", "one", "one/notes.txt"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "one/notes.txt: not an ELF file (skipped)\n");
    let r = run_in(root, ["report", "--color", "never", "--quiet", "one"]);
    r.assert_code(0);
    assert_eq!(r.stdout, "");

    let mut tar = tar::Builder::new(Vec::new());
    let data = b"release notes\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, "notes.txt", data.as_slice())
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    std::fs::write(root.join("one.tar.gz"), gz.finish().unwrap()).unwrap();
    let r = run_in(root, ["report", "--color", "never", "one.tar.gz"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout,
        "1 files: 0 ELF, 1 not ELF, 0 unreadable; 0 special files and 0 duplicate links skipped\n",
        "{}",
        r.describe()
    );

    // Two reports: the ELF file first, then the missing path's error, then the counts.
    copy_fixture("x86_64/hello", root, "hello");
    let r = run_in(
        root,
        ["report", "--color", "never", "hello", "missing", "one"],
    );
    r.assert_code(2);
    assert!(
        r.stdout.starts_with("hello: ELF64 x86_64"),
        "{}",
        r.describe()
    );
    assert!(!r.stdout.contains("notes.txt"), "{}", r.describe());
    assert!(
        r.stdout.ends_with(
            "3 files: 1 ELF, 1 not ELF, 1 unreadable; 0 special files and 0 duplicate links skipped\n"
        ),
        "{}",
        r.describe()
    );
    assert!(
        r.stderr.starts_with("elfcompat: missing: "),
        "{}",
        r.describe()
    );
}

#[test]
fn explicit_fifo_is_an_error_not_a_hang() {
    let dir = mixed_tree();
    let r = run_in(dir.path(), ["report", "fifo"]);
    r.assert_code(2);
    assert_eq!(
        r.stderr,
        "elfcompat: fifo: not a regular file (FIFO)\n",
        "{}",
        r.describe()
    );
    let r = run_in(dir.path(), ["check", "--glibc", "2.17", "fifo"]);
    r.assert_code(2);
}

#[test]
fn explicit_symlink_loop_is_an_error() {
    let dir = mixed_tree();
    let r = run_in(dir.path(), ["report", "loop-a"]);
    r.assert_code(2);
    assert!(
        r.stderr.starts_with("elfcompat: loop-a: "),
        "{}",
        r.describe()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.describe());
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let r = run(["report", "testdata/bin/x86_64/no-such-file"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("testdata/bin/x86_64/no-such-file"),
        "{}",
        r.describe()
    );
    let r = run(["check", "--glibc", "2.17", "no-such-dir/"]);
    r.assert_code(2);
    assert!(r.stderr.contains("no-such-dir"), "{}", r.describe());
    // And no path at all is a usage error.
    run(["report"]).assert_code(2);
    run(["check", "--glibc", "2.17"]).assert_code(2);
}

#[test]
fn malformed_file_is_exit_2_with_one_line_naming_file_and_structure() {
    let dir = tempdir();
    let data = common::fixture_bytes("x86_64/hello");
    // The ELF header survives; the program header table (e_phoff 64) does not.
    std::fs::write(dir.path().join("cut"), &data[..100]).unwrap();
    let r = run_in(dir.path(), ["report", "cut"]);
    r.assert_code(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.describe());
    assert!(
        r.stderr
            .starts_with("elfcompat: cut: malformed program header table"),
        "{}",
        r.describe()
    );

    // In JSON the error is a file entry, and the run still ends with 2.
    let r = run_in(dir.path(), ["report", "--json", "cut"]);
    r.assert_code(2);
    let v = json_of(&r);
    assert_eq!(v["files"][0]["status"], "error");
    assert!(v["files"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("cut: malformed program header table"));
    assert_eq!(v["summary"]["errors"], 1);

    // An error wins over a violation: a tree with a bad file and a violating one is 2.
    copy_fixture("x86_64/hello", dir.path(), "hello");
    run_in(dir.path(), ["check", "--glibc", "2.17", "."]).assert_code(2);
}

#[test]
fn unreadable_file_is_exit_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let path = copy_fixture("x86_64/hello", dir.path(), "secret");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&path).is_ok() {
        // Running as root (or with CAP_DAC_OVERRIDE): permissions do not stop reading.
        eprintln!("skipped: this user can read a mode 000 file");
        return;
    }
    let r = run_in(dir.path(), ["report", "secret"]);
    r.assert_code(2);
    assert!(r.stderr.contains("secret"), "{}", r.describe());
    run_in(dir.path(), ["check", "--glibc", "2.36", "secret"]).assert_code(2);
}

// ---------------------------------------------------------------- check

#[test]
fn check_exit_codes() {
    let h = hello();
    let r = run(["check", "--color", "never", "--glibc", "2.36", &h]);
    r.assert_code(0);
    assert!(
        r.stdout
            .starts_with("OK: 0 of 1 ELF files exceed glibc 2.36;"),
        "{}",
        r.describe()
    );

    let r = run(["check", "--color", "never", "--glibc", "2.34", &h]);
    r.assert_code(0);

    let r = run(["check", "--color", "never", "--glibc", "2.33", &h]);
    r.assert_code(1);
    assert!(r.stdout.contains("__libc_start_main"), "{}", r.describe());

    let r = run(["check", "--color", "never", "--glibc", "2.17", &h]);
    r.assert_code(1);
    assert!(
        r.stdout.starts_with(
            "testdata/bin/x86_64/hello: FAIL: 15 symbol requirement(s) above glibc 2.17"
        ),
        "{}",
        r.describe()
    );
    assert!(r.stdout.ends_with(
        "FAIL: 1 of 1 ELF files exceed glibc 2.17; 1 files: 1 ELF, 0 not ELF, 0 unreadable; 0 special files and 0 duplicate links skipped\n"
    ));

    // A tree: one file violates, one does not.
    let dir = tempdir();
    copy_fixture("x86_64/hello", dir.path(), "hello");
    copy_fixture("x86_64/libverdef.so", dir.path(), "libverdef.so");
    let r = run_in(dir.path(), ["check", "--json", "--glibc", "2.17", "."]);
    r.assert_code(1);
    let v = json_of(&r);
    assert_eq!(v["schema"], SCHEMA);
    assert_eq!(v["summary"]["violating"], 1);
    assert_eq!(v["summary"]["elf"], 2);
    let r = run_in(dir.path(), ["check", "--glibc", "2.34", "."]);
    r.assert_code(0);
}

#[test]
fn check_usage_errors_are_exit_2() {
    let h = hello();
    for bad in ["abc", "2", "2.x", "", "-1.0", "2.17.1.1.1"] {
        let r = run(["check", "--glibc", bad, &h]);
        r.assert_code(2);
        assert!(!r.stderr.is_empty(), "{}", r.describe());
        assert!(r.stdout.is_empty(), "{}", r.describe());
    }
    let r = run(["check", "--glibc", "abc", &h]);
    assert!(
        r.stderr.contains("'abc' is not a glibc version"),
        "{}",
        r.describe()
    );

    let r = run(["check", "--target", "windows95", &h]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("unknown target 'windows95'"),
        "{}",
        r.describe()
    );

    // Neither or both of --glibc / --target.
    run(["check", &h]).assert_code(2);
    run(["check", "--glibc", "2.17", "--target", "rhel8", &h]).assert_code(2);
    // Unknown options, commands and values.
    run(["check", "--glibc", "2.17", "--frobnicate", &h]).assert_code(2);
    run(["frobnicate"]).assert_code(2);
    run(["report", "--color", "sometimes", &h]).assert_code(2);
    run(["check", "--glibc", "2.17", "--glibcxx", "banana", &h]).assert_code(2);
}

#[test]
fn check_with_targets() {
    let h = hello();
    let cxx = fixture("x86_64/cxx");
    let cxx = cxx.to_str().unwrap();
    let lib = fixture("x86_64/libverdef.so");
    let lib = lib.to_str().unwrap();

    let r = run(["check", "--color", "never", "--target", "manylinux2014", &h]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("above manylinux2014 (glibc 2.17, GLIBCXX_3.4.19"),
        "{}",
        r.describe()
    );
    run(["check", "--target", "manylinux2014", lib]).assert_code(0);
    // Aliases name the same preset.
    run(["check", "--target", "manylinux_2_17", lib]).assert_code(0);

    let r = run(["check", "--color", "never", "--target", "rhel8", cxx]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("above rhel8 (glibc 2.28, GLIBCXX_3.4.25"),
        "{}",
        r.describe()
    );
    // RHEL 8's libstdc++ is new enough for cxx; only glibc is not.
    assert!(!r.stdout.contains("GLIBCXX_3.4.21 "), "{}", r.describe());
    assert!(r.stdout.contains("__libc_start_main"), "{}", r.describe());
    run(["check", "--target", "rhel9", cxx]).assert_code(0);
    run(["check", "--target", "el8", lib]).assert_code(0);

    let r = run(["check", "--color", "never", "--target", "debian11", &h]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("above debian11 (glibc 2.31"),
        "{}",
        r.describe()
    );
    // Exactly the 2.32, 2.33 and 2.34 users fail on bullseye.
    let failing: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut failing_sorted = failing.clone();
    failing_sorted.sort();
    assert_eq!(
        failing_sorted,
        [
            "__libc_single_threaded",
            "__libc_start_main",
            "dlclose",
            "dlopen",
            "dlsym",
            "fstat",
            "pthread_create",
            "pthread_join",
            "stat"
        ],
        "{}",
        r.describe()
    );
    run(["check", "--target", "bullseye", lib]).assert_code(0);
    run(["check", "--target", "debian12", &h]).assert_code(0);

    // --glibcxx tightens a preset: cxx needs GLIBCXX_3.4.21.
    run(["check", "--target", "rhel9", "--glibcxx", "3.4.20", cxx]).assert_code(1);
    run([
        "check",
        "--target",
        "rhel9",
        "--glibcxx",
        "GLIBCXX_3.4.21",
        cxx,
    ])
    .assert_code(0);
}

/// Every system `report` says a file runs on must pass `check --target` for it, and
/// every preset that passes must be at or after the family's entry in `runs_on`.
/// (relr is excluded here: see `relr_does_not_run_before_glibc_2_36`.)
#[test]
fn runs_on_agrees_with_check() {
    let presets = json_of(&run(["targets", "--json"]));
    for name in [
        "x86_64/hello",
        "x86_64/cxx",
        "x86_64/libverdef.so",
        "x86_64/uselib",
        "i686/hello",
        "armhf/cxx",
        "riscv64/hello",
        "ppc64/cxx",
    ] {
        let path = fixture(name);
        let path = path.to_str().unwrap();
        let report = json_of(&run(["report", "--json", path]));
        let runs_on = report["files"][0]["runs_on"].as_array().unwrap().clone();
        for p in presets.as_array().unwrap() {
            let preset = p["name"].as_str().unwrap();
            let passes = run(["check", "--target", preset, path]).code() == 0;
            let family_entry = runs_on.iter().find(|r| r["family"] == p["family"]);
            let listed_at_or_before = family_entry.is_some_and(|r| {
                version_key(r["glibc"].as_str().unwrap())
                    <= version_key(p["glibc"].as_str().unwrap())
            });
            assert_eq!(
                passes, listed_at_or_before,
                "{name}: check --target {preset} passes={passes}, but runs_on says {family_entry:?}"
            );
        }
    }
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|n| n.parse().unwrap()).collect()
}

/// Regression (was a bug in `runs_on` and `min_glibc`): the `GLIBC_ABI_DT_RELR`
/// requirement that DT_RELR binaries carry exists only from glibc 2.36 on (ld.so refuses
/// the file before that), and `check` knows it (`check --target rhel9 relr` exits 1 with
/// "expand DT_RELR"). But `report` ignores it: "glibc >= 2.34" and "runs on: RHEL 9 (2.34),
/// Ubuntu 22.04 (2.35), Amazon Linux 2023 (2.34), manylinux_2_34 (2.34)", all wrong.
/// Repro: `elfcompat report testdata/bin/x86_64/relr` vs
/// `elfcompat check --target rhel9 testdata/bin/x86_64/relr`.
#[test]
fn relr_does_not_run_before_glibc_2_36() {
    for arch in ["x86_64", "i686", "aarch64", "ppc64le"] {
        let path = fixture(&format!("{arch}/relr"));
        let path = path.to_str().unwrap();
        let report = json_of(&run(["report", "--json", path]));
        for r in report["files"][0]["runs_on"].as_array().unwrap() {
            let name = r["name"].as_str().unwrap();
            assert!(
                version_key(r["glibc"].as_str().unwrap()) >= vec![2, 36],
                "{arch}/relr: runs_on lists {name} (glibc {}), which has no GLIBC_ABI_DT_RELR",
                r["glibc"]
            );
            run(["check", "--target", name, path]).assert_code(0);
        }
    }
}

// ---------------------------------------------------------------- presentation

#[test]
fn help_has_examples_and_exit_codes() {
    let r = run(["--help"]);
    r.assert_code(0);
    assert!(r.stdout.contains("Examples:"), "{}", r.describe());
    assert!(
        r.stdout.contains("elfcompat check --target manylinux2014"),
        "{}",
        r.describe()
    );
    assert!(r
        .stdout
        .contains("Exit codes: 0 ok, 1 a baseline is not met, 2 usage or I/O error."));
    for cmd in ["report", "check", "abi"] {
        let r = run([cmd, "--help"]);
        r.assert_code(0);
        assert!(
            r.stdout.contains("Examples:"),
            "{cmd} --help\n{}",
            r.describe()
        );
        assert!(
            r.stdout.contains(&format!("elfcompat {cmd}")),
            "{cmd} --help\n{}",
            r.describe()
        );
    }
    run(["targets", "--help"]).assert_code(0);
}

#[test]
fn version_flag() {
    let r = run(["--version"]);
    r.assert_code(0);
    assert_eq!(
        r.stdout,
        concat!("elfcompat ", env!("CARGO_PKG_VERSION"), "\n")
    );
}

#[test]
fn color_always_and_never() {
    let h = hello();
    let r = run(["report", "--color", "always", &h]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("\x1b[1mtestdata/bin/x86_64/hello\x1b[0m"),
        "{}",
        r.describe()
    );
    let r = run(["report", "--color", "never", &h]);
    assert!(!r.stdout.contains('\x1b'), "{}", r.describe());
    // auto: the output is a pipe here, so no colors.
    let r = run(["report", &h]);
    assert!(!r.stdout.contains('\x1b'), "{}", r.describe());
    // --color is global: accepted before the subcommand too.
    let r = run(["--color", "always", "report", &h]);
    assert!(r.stdout.contains('\x1b'), "{}", r.describe());
    // JSON is never colored.
    let r = run(["report", "--color", "always", "--json", &h]);
    assert!(!r.stdout.contains('\x1b'), "{}", r.describe());
    let r = run(["check", "--color", "never", "--glibc", "2.17", &h]);
    assert!(!r.stdout.contains('\x1b'), "{}", r.describe());
}

/// Regression (was a bug in `check`): the human check output ignored `--color always`
/// (`style_ok` discards its style; violations and fixes are printed unstyled), while
/// `report` colors. Repro: `elfcompat check --color always --glibc 2.17
/// testdata/bin/x86_64/hello | cat -v` shows no `^[[`.
#[test]
fn check_color_always() {
    let r = run(["check", "--color", "always", "--glibc", "2.17", &hello()]);
    r.assert_code(1);
    assert!(r.stdout.contains('\x1b'), "{}", r.describe());
}

// ---------------------------------------------------------------- abi and targets

#[test]
fn abi_pthread_create_at_2_17_is_in_libpthread() {
    let r = run(["abi", "pthread_create", "--glibc", "2.17"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("in glibc 2.17: pthread_create@GLIBC_2.2.5 from libpthread.so.0"),
        "{}",
        r.describe()
    );
    let v = json_of(&run(["abi", "pthread_create", "--glibc", "2.17", "--json"]));
    assert_eq!(v["available"], true);
    assert_eq!(v["newest_at_or_below"]["library"], "libpthread.so.0");
    assert_eq!(v["newest_at_or_below"]["version"], "GLIBC_2.2.5");
    // On i386 the 2.17 default is the 2.1 version (pthread_create@@GLIBC_2.1).
    let r = run(["abi", "pthread_create", "--arch", "i386", "--glibc", "2.17"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("pthread_create@GLIBC_2.1 from libpthread.so.0"),
        "{}",
        r.describe()
    );
}

#[test]
fn abi_stat_is_not_available_in_2_31() {
    let r = run(["abi", "stat", "--glibc", "2.31"]);
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("in glibc 2.31: not available (first in 2.33)"),
        "{}",
        r.describe()
    );
    let r = run(["abi", "stat", "--glibc", "2.33"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("in glibc 2.33: stat@GLIBC_2.33 from libc.so.6"),
        "{}",
        r.describe()
    );
}

#[test]
fn abi_memcpy() {
    // memcpy@@GLIBC_2.14 is the default from 2.14 on, so that is what 2.17 has; the old
    // memmove-compatible memcpy@GLIBC_2.2.5 is the newest only before 2.14.
    let r = run(["abi", "memcpy", "--glibc", "2.17"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("in glibc 2.17: memcpy@GLIBC_2.14 from libc.so.6"),
        "{}",
        r.describe()
    );
    let r = run(["abi", "memcpy", "--glibc", "2.13"]);
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("in glibc 2.13: memcpy@GLIBC_2.2.5 from libc.so.6"),
        "{}",
        r.describe()
    );
    let r = run(["abi", "memcpy"]);
    r.assert_code(0);
    assert!(
        r.stdout.contains("GLIBC_2.2.5") && r.stdout.contains("GLIBC_2.14"),
        "{}",
        r.describe()
    );
}

#[test]
fn abi_lists_what_a_release_added() {
    let r = run(["abi", "--glibc", "2.34"]);
    r.assert_code(0);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("glibc 2.34 on x86_64-linux-gnu: "),
        "{}",
        r.describe()
    );
    assert!(
        first.ends_with(" symbol version(s) added"),
        "{}",
        r.describe()
    );
    let added: Vec<(&str, &str)> = r
        .stdout
        .lines()
        .skip(1)
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap(), w.next().unwrap())
        })
        .collect();
    let count: usize = first
        .split(": ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(added.len(), count);
    for expected in [
        ("libc.so.6", "__libc_start_main"),
        ("libc.so.6", "pthread_create"),
        ("libc.so.6", "dlopen"),
        ("libc.so.6", "_Fork"),
    ] {
        assert!(
            added.contains(&expected),
            "{expected:?} missing\n{}",
            r.describe()
        );
    }
    let v = json_of(&run(["abi", "--glibc", "2.34", "--json"]));
    assert_eq!(v["release"], "2.34");
    assert_eq!(v["added"].as_array().unwrap().len(), count);

    // Not a release / not a version / nothing asked.
    run(["abi", "--glibc", "2.99"]).assert_code(2);
    run(["abi", "--glibc", "two"]).assert_code(2);
    run(["abi"]).assert_code(2);
    run(["abi", "memcpy", "--arch", "vax"]).assert_code(2);
    // Not a glibc symbol at all.
    let r = run(["abi", "no_such_symbol_anywhere"]);
    r.assert_code(1);
    assert!(r.stdout.contains("not a glibc symbol"), "{}", r.describe());
}

#[test]
fn targets_lists_presets() {
    let r = run(["targets"]);
    r.assert_code(0);
    for name in [
        "rhel7",
        "rhel8",
        "debian11",
        "ubuntu-20.04",
        "manylinux2014",
        "manylinux_2_28",
        "amazonlinux2",
    ] {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing\n{}",
            r.describe()
        );
    }
    let v = json_of(&run(["targets", "--json"]));
    let list = v.as_array().unwrap();
    let rhel7 = list.iter().find(|p| p["name"] == "rhel7").unwrap();
    assert_eq!(rhel7["glibc"], "2.17");
    assert_eq!(rhel7["glibcxx"], "GLIBCXX_3.4.19");
    assert!(rhel7["aliases"]
        .as_array()
        .unwrap()
        .contains(&"centos7".into()));
    // Every preset is usable with check --target, under its name and its aliases.
    let lib = fixture("x86_64/libverdef.so");
    for p in list {
        let name = p["name"].as_str().unwrap();
        let code = run(["check", "--target", name, lib.to_str().unwrap()]).code();
        assert!(
            code == 0 || code == 1,
            "check --target {name} exited {code}"
        );
        for alias in p["aliases"].as_array().unwrap() {
            let alias = alias.as_str().unwrap();
            assert_eq!(
                run(["check", "--target", alias, lib.to_str().unwrap()]).code(),
                code,
                "alias {alias} of {name}"
            );
        }
    }
}

#[test]
fn json_outputs_name_the_schema() {
    let h = hello();
    for args in [
        vec!["report", "--json", h.as_str()],
        vec!["report", "--json", "--symbols", h.as_str()],
        vec!["check", "--json", "--glibc", "2.17", h.as_str()],
        vec!["check", "--json", "--target", "rhel8", h.as_str()],
    ] {
        let r = run(&args);
        let v = json_of(&r);
        assert_eq!(v["schema"], SCHEMA, "{args:?}");
        assert_eq!(v["tool"], concat!("elfcompat ", env!("CARGO_PKG_VERSION")));
        assert!(
            v["files"].is_array() && v["summary"].is_object(),
            "{args:?}"
        );
    }
    // symbols only with --symbols, violations only in check.
    let v = json_of(&run(["report", "--json", &h]));
    assert!(v["files"][0].get("symbols").is_none());
    assert!(v["files"][0].get("violations").is_none());
    let v = json_of(&run(["report", "--json", "--symbols", &h]));
    assert_eq!(v["files"][0]["symbols"].as_array().unwrap().len(), 29);
    let v = json_of(&run(["check", "--json", "--target", "rhel8", &h]));
    assert_eq!(
        v["baseline"],
        "rhel8 (glibc 2.28, GLIBCXX_3.4.25, CXXABI_1.3.11, GCC_7.0.0)"
    );
    assert!(!v["files"][0]["violations"].as_array().unwrap().is_empty());
}

/// `ELFCOMPAT_TIMINGS=1` makes `patch` name each phase on stderr as it ends, in order,
/// through to the rename; without it, stderr has no timing lines.
#[test]
fn patch_timings_name_each_phase() {
    let dir = tempdir();
    let out = dir.path().join("hello-2.17");
    let run = |timings: bool| {
        let _ = std::fs::remove_file(&out);
        let mut cmd = Command::new(common::bin());
        cmd.current_dir(common::crate_root())
            .args(["patch", "--glibc", "2.17"])
            .arg(fixture("x86_64/hello"))
            .arg("-o")
            .arg(&out);
        if timings {
            cmd.env("ELFCOMPAT_TIMINGS", "1");
        } else {
            cmd.env_remove("ELFCOMPAT_TIMINGS");
        }
        let r = common::run_command(cmd, std::time::Duration::from_secs(60));
        r.assert_code(0);
        r
    };
    let quiet = run(false);
    assert!(!quiet.stderr.contains("timing"), "{}", quiet.stderr);
    let timed = run(true);
    // "elfcompat: timing   12.34 ms  THREAD     PHASE"
    let phases: Vec<String> = timed
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("elfcompat: timing "))
        .map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" "))
        .collect();
    let main: Vec<&str> = phases
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "copy")
        .collect();
    assert_eq!(
        main,
        [
            "start",
            "parse",
            "check and plan",
            "rewrite: read",
            "rewrite: edit",
            "rewrite: lay out",
            "rewrite: link and fix up",
            "rewrite: write",
            "changed pages written",
            "read back: parse",
            "read back: verify",
            "read back",
            "fsync",
            "renamed",
        ],
        "{}",
        timed.stderr
    );
    assert!(phases.iter().any(|p| p == "copy"), "{}", timed.stderr);
}
