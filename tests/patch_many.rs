//! `patch` on several files and whole trees, as a release step runs it: a tree patched into
//! a mirror directory (every file there, patched outputs verified by `elfcompat verify`),
//! several files patched in place, JSON Lines records, `--dry-run`, and the exit code of
//! the worst file.

mod common;

use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;

use common::{copy_fixture, run, run_in, tempdir, Run};

/// A release tree:
///
/// ```text
/// bin/hello               ELF, needs GLIBC_2.34 and polyfills at 2.17: patched
/// bin/uselib              ELF, needs __libc_start_main@GLIBC_2.34: patched
/// bin/hello-again         a hard link to bin/hello
/// lib/libverdef.so        ELF within 2.17 already: copied unchanged
/// lib/libverdef.so.1 -> libverdef.so
/// lib/static              a static binary: copied unchanged
/// share/notes.txt         text: copied unchanged
/// share/empty             zero bytes: copied unchanged
/// ```
fn release_tree(root: &Path) {
    for d in ["bin", "lib", "share"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    copy_fixture("x86_64/hello", &root.join("bin"), "hello");
    copy_fixture("x86_64/uselib", &root.join("bin"), "uselib");
    std::fs::hard_link(root.join("bin/hello"), root.join("bin/hello-again")).unwrap();
    copy_fixture("x86_64/libverdef.so", &root.join("lib"), "libverdef.so");
    symlink("libverdef.so", root.join("lib/libverdef.so.1")).unwrap();
    copy_fixture("x86_64/static", &root.join("lib"), "static");
    std::fs::write(root.join("share/notes.txt"), b"release notes\n").unwrap();
    std::fs::write(root.join("share/empty"), b"").unwrap();
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// The JSON Lines of a run: every line one JSON object.
#[track_caller]
fn json_lines(r: &Run) -> Vec<serde_json::Value> {
    r.stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", r.describe()))
        })
        .collect()
}

/// Every file under `root`, relative, sorted, with its type (`f`, `l`, `d`).
fn listing(root: &Path) -> Vec<(String, char)> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<(String, char)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let t = std::fs::symlink_metadata(&p).unwrap().file_type();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if t.is_symlink() {
                out.push((rel, 'l'));
            } else if t.is_dir() {
                out.push((rel, 'd'));
                visit(root, &p, out);
            } else {
                out.push((rel, 'f'));
            }
        }
    }
    let mut v = Vec::new();
    visit(root, root, &mut v);
    v.sort();
    v
}

#[test]
fn a_tree_patched_into_a_mirror_directory() {
    let dir = tempdir();
    let input = dir.path().join("dist");
    release_tree(&input);
    let before = listing(&input);
    let r = run_in(
        dir.path(),
        ["patch", "--glibc", "2.17", "dist", "-o", "dist-el7"],
    );
    r.assert_code(0);
    assert!(r.stderr.is_empty(), "{}", r.describe());
    assert!(
        r.stdout.ends_with(
            "6 files: 2 patched, 2 unchanged, 0 refused (blockers), 0 errors, 2 not ELF (copied); 2 links made again, 0 special files skipped\n"
        ),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout
            .contains("dist-el7/bin/hello: verified and written ("),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout.contains("dist/lib/static: statically linked: nothing for the loader to check, nothing to patch; copied to dist-el7/lib/static\n"),
        "{}",
        r.describe()
    );
    // The output tree is the input tree, file for file; the input is as it was.
    let out = dir.path().join("dist-el7");
    assert_eq!(listing(&out), before);
    assert_eq!(listing(&input), before);
    assert_eq!(
        bytes(&input.join("bin/hello")),
        common::fixture_bytes("x86_64/hello")
    );
    for same in [
        "lib/libverdef.so",
        "lib/static",
        "share/notes.txt",
        "share/empty",
    ] {
        assert_eq!(
            bytes(&out.join(same)),
            bytes(&input.join(same)),
            "{same} should be copied unchanged"
        );
    }
    for changed in ["bin/hello", "bin/uselib"] {
        assert_ne!(bytes(&out.join(changed)), bytes(&input.join(changed)));
    }
    // Links are links again: the symlink with its target, the hard link to the patched file.
    assert_eq!(
        std::fs::read_link(out.join("lib/libverdef.so.1")).unwrap(),
        Path::new("libverdef.so")
    );
    let ino = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
    assert_eq!(ino("bin/hello"), ino("bin/hello-again"));
    // Executables stay executable.
    let mode = std::fs::metadata(out.join("bin/uselib")).unwrap().mode();
    assert_eq!(mode & 0o111, 0o111, "mode {mode:o}");
    // What was written meets the baseline, read back by the same reader `verify` uses.
    let v = run_in(
        dir.path(),
        [
            "verify",
            "--glibc",
            "2.17",
            "dist-el7/bin/hello",
            "dist-el7/bin/uselib",
            "dist-el7/bin/hello-again",
            "dist-el7/lib/libverdef.so",
        ],
    );
    v.assert_code(0);
    assert_eq!(
        v.stdout.matches(": OK for glibc 2.17\n").count(),
        4,
        "{}",
        v.describe()
    );
    // No temp files are left behind.
    assert!(
        !listing(&out)
            .iter()
            .any(|(p, _)| p.contains(".elfcompat-tmp-")),
        "{:?}",
        listing(&out)
    );
}

#[test]
fn several_files_in_place() {
    let dir = tempdir();
    let names = ["hello", "uselib", "hello-nopie"];
    for n in names {
        copy_fixture(&format!("x86_64/{n}"), dir.path(), n);
    }
    std::fs::write(dir.path().join("README"), b"not a binary\n").unwrap();
    let r = run_in(
        dir.path(),
        [
            "patch",
            "--glibc",
            "2.17",
            "--in-place",
            "hello",
            "uselib",
            "hello-nopie",
            "README",
        ],
    );
    r.assert_code(0);
    assert!(
        r.stdout.ends_with(
            "4 files: 3 patched, 0 unchanged, 0 refused (blockers), 0 errors, 1 not ELF (skipped); 0 special files and 0 duplicate links skipped\n"
        ),
        "{}",
        r.describe()
    );
    for n in names {
        assert_ne!(
            bytes(&dir.path().join(n)),
            common::fixture_bytes(&format!("x86_64/{n}")),
            "{n} was not patched"
        );
    }
    assert_eq!(bytes(&dir.path().join("README")), b"not a binary\n");
    let v = run_in(
        dir.path(),
        [
            "verify",
            "--glibc",
            "2.17",
            "hello",
            "uselib",
            "hello-nopie",
        ],
    );
    v.assert_code(0);
    // A second run finds nothing to do and writes nothing.
    let again = run_in(dir.path(), ["patch", "--glibc", "2.17", "--in-place", "."]);
    again.assert_code(0);
    assert!(
        again
            .stdout
            .contains("./hello: unchanged (already within the baseline)\n"),
        "{}",
        again.describe()
    );
    assert!(
        again.stdout.ends_with(
            "4 files: 0 patched, 3 unchanged, 0 refused (blockers), 0 errors, 1 not ELF (skipped); 0 special files and 0 duplicate links skipped\n"
        ),
        "{}",
        again.describe()
    );
}

#[test]
fn json_lines_carry_the_single_file_fields() {
    let dir = tempdir();
    let input = dir.path().join("dist");
    release_tree(&input);
    let r = run_in(
        dir.path(),
        ["patch", "--glibc", "2.17", "--json", "dist", "-o", "out"],
    );
    r.assert_code(0);
    let lines = json_lines(&r);
    let by_file = |f: &str| {
        lines
            .iter()
            .find(|l| l["file"] == f)
            .unwrap_or_else(|| panic!("no record for {f}\n{}", r.describe()))
    };
    // One record per file of the walk, in walk order, then the summary.
    let files: Vec<&str> = lines.iter().filter_map(|l| l["file"].as_str()).collect();
    assert_eq!(
        files,
        [
            "dist/bin/hello",
            "dist/bin/uselib",
            "dist/lib/libverdef.so",
            "dist/lib/static",
            "dist/share/empty",
            "dist/share/notes.txt"
        ]
    );
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["patched"], 2);
    assert_eq!(summary["unchanged"], 2);
    assert_eq!(summary["not_elf"], 2);
    assert_eq!(summary["blocked"], 0);
    assert_eq!(summary["errors"], 0);
    assert_eq!(summary["links"], 2);
    // A patched file's record has the fields `patch --json` has for one file, with the
    // same plan.
    let hello = by_file("dist/bin/hello");
    let single = run([
        "patch",
        "--glibc",
        "2.17",
        "--json",
        "--dry-run",
        "testdata/bin/x86_64/hello",
    ]);
    single.assert_code(0);
    let single: serde_json::Value = serde_json::from_str(&single.stdout).unwrap();
    assert_eq!(hello["plan"], single["plan"]);
    let out_dir = tempdir();
    let one = run([
        "patch",
        "--glibc",
        "2.17",
        "--json",
        "testdata/bin/x86_64/hello",
        "-o",
        out_dir.path().join("hello").to_str().unwrap(),
    ]);
    one.assert_code(0);
    let one: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<String>>()
    };
    assert_eq!(keys(hello), keys(&one));
    assert_eq!(hello["status"], "patched");
    assert_eq!(hello["method"], "rewrite");
    assert_eq!(hello["output"], "out/bin/hello");
    assert_eq!(hello["size_before"], one["size_before"]);
    assert_eq!(hello["size_after"], one["size_after"]);
    assert_eq!(
        hello["size_after"].as_u64().unwrap(),
        std::fs::metadata(dir.path().join("out/bin/hello"))
            .unwrap()
            .len()
    );
    let verdef = by_file("dist/lib/libverdef.so");
    assert_eq!(verdef["status"], "patched");
    assert_eq!(verdef["method"], "unchanged");
    assert_eq!(by_file("dist/lib/static")["status"], "static");
    assert_eq!(by_file("dist/lib/static")["output"], "out/lib/static");
    assert_eq!(by_file("dist/share/notes.txt")["status"], "not-elf");
    assert_eq!(
        by_file("dist/share/notes.txt")["output"],
        "out/share/notes.txt"
    );
}

/// A file with the ELF magic and nothing sound after it.
fn write_broken_elf(path: &Path) {
    let mut b = b"\x7fELF\x02\x01\x01".to_vec();
    b.resize(64, 0xff);
    std::fs::write(path, b).unwrap();
}

#[test]
fn the_worst_file_decides_the_exit_code() {
    let dir = tempdir();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    // Without polyfills hello has blockers at 2.17 (stat, getrandom, ...); uselib does not.
    copy_fixture("x86_64/hello", &input, "hello");
    copy_fixture("x86_64/uselib", &input, "uselib");
    let args = |out: &str| {
        vec![
            "patch".to_string(),
            "--glibc".into(),
            "2.17".into(),
            "--polyfill".into(),
            "none".into(),
            "in".into(),
            "-o".into(),
            out.into(),
        ]
    };
    let r = run_in(dir.path(), args("out1"));
    r.assert_code(1);
    assert!(
        r.stdout.contains("  BLOCKER   stat@GLIBC_2.33"),
        "{}",
        r.describe()
    );
    assert!(
        r.stderr.contains("elfcompat: in/hello: not patched: "),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout.ends_with(
            "2 files: 1 patched, 0 unchanged, 1 refused (blockers), 0 errors, 0 not ELF (copied); 0 links made again, 0 special files skipped\n"
        ),
        "{}",
        r.describe()
    );
    // All or nothing per file: the refused one is not there, the other one is.
    assert!(!dir.path().join("out1/hello").exists());
    run_in(dir.path(), ["verify", "--glibc", "2.17", "out1/uselib"]).assert_code(0);

    // An error outranks blockers.
    write_broken_elf(&input.join("broken"));
    let r = run_in(dir.path(), args("out2"));
    r.assert_code(2);
    assert!(
        r.stderr.contains("elfcompat: in/broken: "),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout.ends_with(
            "3 files: 1 patched, 0 unchanged, 1 refused (blockers), 1 errors, 0 not ELF (copied); 0 links made again, 0 special files skipped\n"
        ),
        "{}",
        r.describe()
    );
    assert!(!dir.path().join("out2/broken").exists());
    assert!(dir.path().join("out2/uselib").exists());

    // --json says the same, file by file.
    let mut json_args = args("out3");
    json_args.push("--json".into());
    let r = run_in(dir.path(), json_args);
    r.assert_code(2);
    let lines = json_lines(&r);
    let status: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| Some((l["file"].as_str()?, l["status"].as_str()?)))
        .collect();
    assert_eq!(
        status,
        [
            ("in/broken", "error"),
            ("in/hello", "blocked"),
            ("in/uselib", "patched")
        ]
    );
    assert!(lines[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("in/broken: "));
    assert!(!lines[1]["plan"]["blockers"].as_array().unwrap().is_empty());
}

#[test]
fn dry_run_on_a_tree_writes_nothing() {
    let dir = tempdir();
    let input = dir.path().join("dist");
    release_tree(&input);
    let before: Vec<(String, Vec<u8>)> = listing(&input)
        .into_iter()
        .filter(|(_, t)| *t == 'f')
        .map(|(p, _)| {
            let b = bytes(&input.join(&p));
            (p, b)
        })
        .collect();
    let r = run_in(
        dir.path(),
        ["patch", "--glibc", "2.17", "--dry-run", "dist"],
    );
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("dist/bin/hello: plan for glibc 2.17 on x86_64-linux-gnu\n"),
        "{}",
        r.describe()
    );
    assert!(
        r.stdout.ends_with(
            "6 files: 2 to patch, 2 unchanged, 0 refused (blockers), 0 errors, 2 not ELF (skipped); 0 special files and 2 duplicate links skipped\n"
        ),
        "{}",
        r.describe()
    );
    let after: Vec<(String, Vec<u8>)> = before
        .iter()
        .map(|(p, _)| (p.clone(), bytes(&input.join(p))))
        .collect();
    assert_eq!(before, after);
    // Blockers make a dry run exit 1, as for one file.
    let r = run_in(
        dir.path(),
        [
            "patch",
            "--glibc",
            "2.17",
            "--polyfill",
            "none",
            "--dry-run",
            "--json",
            "dist/bin",
        ],
    );
    r.assert_code(1);
    let lines = json_lines(&r);
    assert_eq!(lines[0]["status"], "planned");
    assert_eq!(lines.last().unwrap()["summary"]["blocked"], 1);
}

#[test]
fn outputs_that_would_clash_or_nest_are_refused_before_writing() {
    let dir = tempdir();
    for d in ["a", "b"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
        copy_fixture("x86_64/uselib", &dir.path().join(d), "app");
    }
    let r = run_in(
        dir.path(),
        ["patch", "--glibc", "2.17", "a/app", "b/app", "-o", "out"],
    );
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("a/app and b/app would both be written to out/app"),
        "{}",
        r.describe()
    );
    assert!(!dir.path().join("out/app").exists());
    let r = run_in(dir.path(), ["patch", "--glibc", "2.17", "a", "-o", "a/out"]);
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("the output directory is inside the input a"),
        "{}",
        r.describe()
    );
    assert!(!dir.path().join("a/out").exists(), "refused, yet made");
    let r = run_in(dir.path(), ["patch", "--glibc", "2.17", "a", "b"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("patch needs -o DIR or --in-place"),
        "{}",
        r.describe()
    );
}

#[test]
fn one_file_into_an_existing_directory_keeps_its_name() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let r = run([
        "patch",
        "--glibc",
        "2.17",
        "testdata/bin/x86_64/uselib",
        "-o",
        dir.path().join("out").to_str().unwrap(),
    ]);
    r.assert_code(0);
    run([
        "verify",
        "--glibc",
        "2.17",
        dir.path().join("out/uselib").to_str().unwrap(),
    ])
    .assert_code(0);
}
