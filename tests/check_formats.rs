//! `check --format github|junit`: what CI systems read. The annotations and the XML are
//! compared with `check --json` on the same files, and the XML is read back with a real
//! XML parser (roxmltree), file names full of markup and separators included.

mod common;

use std::path::Path;

use common::{copy_fixture, json_of, run_in, tempdir, Run};

/// A tree whose names need escaping in both formats:
///
/// ```text
/// app                      ELF, one violation (re-point)
/// a<b>&'"q.so              ELF (hello), many violations, markup in its name
/// x,y:z%                   ELF (hello-nopie), separators GitHub escapes in properties
/// ok.so                    ELF within 2.17
/// notes.txt                not ELF: no test case, no annotation
/// broken                   ELF magic, malformed: an error
/// ```
fn ci_tree(root: &Path, with_broken: bool) {
    copy_fixture("x86_64/uselib", root, "app");
    copy_fixture("x86_64/hello", root, "a<b>&'\"q.so");
    copy_fixture("x86_64/hello-nopie", root, "x,y:z%");
    copy_fixture("x86_64/libverdef.so", root, "ok.so");
    std::fs::write(root.join("notes.txt"), b"release notes\n").unwrap();
    if with_broken {
        let mut b = b"\x7fELF\x02\x01\x01".to_vec();
        b.resize(64, 0xff);
        std::fs::write(root.join("broken"), b).unwrap();
    }
}

/// (path, symbol or "-", version, fix description) of every violation `check --json` finds.
fn violations(dir: &Path) -> Vec<(String, String, String, String)> {
    let r = run_in(dir, ["check", "--glibc", "2.17", "--json", "."]);
    let v = json_of(&r);
    let mut out = Vec::new();
    for f in v["files"].as_array().unwrap() {
        for viol in f["violations"].as_array().into_iter().flatten() {
            out.push((
                f["path"].as_str().unwrap().to_string(),
                viol["symbol"].as_str().unwrap_or("-").to_string(),
                viol["version"].as_str().unwrap().to_string(),
                viol["fix"]["kind"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

/// Undo GitHub's workflow-command escaping.
fn gh_unescape(s: &str) -> String {
    s.replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// (file, title, message) of each `::error` line.
fn annotations(r: &Run) -> Vec<(String, String, String)> {
    r.stdout
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| {
            let rest = l
                .strip_prefix("::error ")
                .unwrap_or_else(|| panic!("not an ::error line: {l}"));
            let (props, message) = rest
                .split_once("::")
                .unwrap_or_else(|| panic!("no message: {l}"));
            let mut file = None;
            let mut title = None;
            // Escaped property values hold no `,` and no `:`.
            for p in props.split(',') {
                let (k, v) = p.split_once('=').unwrap_or_else(|| panic!("property {p}"));
                assert!(!v.contains(':'), "unescaped ':' in {l}");
                match k {
                    "file" => file = Some(gh_unescape(v)),
                    "title" => title = Some(gh_unescape(v)),
                    other => panic!("unexpected property {other} in {l}"),
                }
            }
            (file.unwrap(), title.unwrap(), gh_unescape(message))
        })
        .collect()
}

#[test]
fn github_annotations_one_per_offending_symbol() {
    let dir = tempdir();
    ci_tree(dir.path(), false);
    let r = run_in(
        dir.path(),
        ["check", "--glibc", "2.17", "--format", "github", "."],
    );
    r.assert_code(1);
    let got = annotations(&r);
    let want = violations(dir.path());
    assert!(want.len() > 20, "{want:?}");
    assert_eq!(got.len(), want.len(), "{}", r.describe());
    for ((file, title, message), (path, symbol, version, _)) in got.iter().zip(&want) {
        assert_eq!(file, path);
        assert_eq!(title, &format!("{symbol} needs {version}"));
        assert!(
            message.starts_with(&format!("{symbol}@{version} (")),
            "{message}"
        );
        assert!(message.contains(" is above glibc 2.17: "), "{message}");
    }
    assert!(got.iter().any(|(f, _, _)| f == "./x,y:z%"), "{got:?}");
    assert!(got.iter().any(|(f, t, m)| f == "./app"
        && t == "__libc_start_main needs GLIBC_2.34"
        && m == "__libc_start_main@GLIBC_2.34 (libc.so.6) is above glibc 2.17: fixable: re-point to GLIBC_2.2.5"));
    // The summary is the text format's.
    let text = run_in(
        dir.path(),
        ["check", "--glibc", "2.17", "--color", "never", "."],
    );
    assert_eq!(
        r.stdout.lines().last(),
        text.stdout.lines().last(),
        "{}",
        r.describe()
    );
    assert_eq!(
        r.stdout.lines().last().unwrap(),
        "FAIL: 3 of 4 ELF files exceed glibc 2.17; 5 files: 4 ELF, 1 not ELF, 0 unreadable; 0 special files and 0 duplicate links skipped"
    );
}

#[test]
fn github_annotates_unreadable_files_and_exits_2() {
    let dir = tempdir();
    ci_tree(dir.path(), true);
    let r = run_in(
        dir.path(),
        ["check", "--glibc", "2.17", "--format", "github", "."],
    );
    r.assert_code(2);
    let broken: Vec<_> = annotations(&r)
        .into_iter()
        .filter(|(f, _, _)| f == "./broken")
        .collect();
    assert_eq!(broken.len(), 1, "{}", r.describe());
    assert_eq!(broken[0].1, "elfcompat could not read this file");
    assert!(broken[0].2.starts_with("./broken: "), "{broken:?}");
}

#[test]
fn junit_document_parses_and_lists_each_offending_symbol() {
    let dir = tempdir();
    ci_tree(dir.path(), true);
    let r = run_in(
        dir.path(),
        ["check", "--glibc", "2.17", "--format", "junit", "."],
    );
    r.assert_code(2);
    let doc = roxmltree::Document::parse(&r.stdout)
        .unwrap_or_else(|e| panic!("not XML ({e})\n{}", r.describe()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("5"));
    assert_eq!(root.attribute("failures"), Some("3"));
    assert_eq!(root.attribute("errors"), Some("1"));
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(
        suites[0].attribute("name"),
        Some("elfcompat check: glibc 2.17")
    );
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    // One test case per ELF file (and the unreadable one); none for notes.txt.
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        ["./a<b>&'\"q.so", "./app", "./broken", "./ok.so", "./x,y:z%"]
    );
    let want = violations(dir.path());
    for case in &cases {
        let name = case.attribute("name").unwrap();
        assert_eq!(case.attribute("file"), Some(name));
        let failure = case.children().find(|n| n.has_tag_name("failure"));
        let error = case.children().find(|n| n.has_tag_name("error"));
        let mine: Vec<_> = want.iter().filter(|v| v.0 == name).collect();
        match name {
            "./ok.so" => assert!(failure.is_none() && error.is_none()),
            "./broken" => {
                assert!(failure.is_none());
                let message = error.unwrap().attribute("message").unwrap();
                assert!(message.starts_with("./broken: "), "{message}");
            }
            _ => {
                let failure = failure.unwrap_or_else(|| panic!("{name} has no failure"));
                let message = failure.attribute("message").unwrap();
                assert!(
                    message.starts_with(&format!(
                        "{} symbol requirement(s) above glibc 2.17 (",
                        mine.len()
                    )),
                    "{message}"
                );
                let text = failure.text().unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines.len(), mine.len(), "{text}");
                for (line, (_, symbol, version, kind)) in lines.iter().zip(&mine) {
                    assert!(line.starts_with(&format!("{symbol}@{version} (")), "{line}");
                    let fix = if kind == "blocker" {
                        "blocker: "
                    } else {
                        "fixable: "
                    };
                    assert!(line.contains(fix), "{line}");
                }
            }
        }
    }
}

#[test]
fn json_flag_is_format_json() {
    let dir = tempdir();
    ci_tree(dir.path(), false);
    let a = run_in(dir.path(), ["check", "--glibc", "2.17", "--json", "."]);
    let b = run_in(
        dir.path(),
        ["check", "--glibc", "2.17", "--format", "json", "."],
    );
    a.assert_code(1);
    b.assert_code(1);
    assert_eq!(a.stdout, b.stdout);
    let both = run_in(
        dir.path(),
        [
            "check", "--glibc", "2.17", "--json", "--format", "junit", ".",
        ],
    );
    both.assert_code(2);
}
