//! `report` and `check` stream each file's analysis, with its names borrowed from the
//! mapped file, rendered while the file is mapped (issue #15). This test runs the real
//! binary over /usr/bin and /usr/lib/x86_64-linux-gnu and compares its output, byte for
//! byte, with the straightforward implementation it replaced, kept as
//! `elfcompat::report::reference` and run here in the same test: owned strings, the full
//! model with exports, each file's JSON built as a `serde_json::Value`.
//!
//! The JSON of the whole /usr tree (`report --json` and `check --glibc 2.17 --json` of
//! every file under /usr) is compared the same way: the tree differs per machine, so the
//! reference runs on the same machine, in the same test.
//!
//! Another session may install packages while the test runs: the reference is made before
//! and after the binary runs, and a run during which the tree changed is tried again.
//! Without those directories the test is skipped, unless `CI` is set.

mod common;

use std::path::PathBuf;

use elfcompat::abi::GlibcVersion;
use elfcompat::archive;
use elfcompat::baseline::Baseline;
use elfcompat::report::{json, reference, text, FileReport, Outcome};
use elfcompat::scan;
use rayon::prelude::*;

/// What the reference implementation makes of `paths`: the files of the same walk,
/// analysed the old way, with the same summary.
fn reference_reports(
    paths: &[PathBuf],
    baseline: Option<&Baseline>,
) -> (Vec<FileReport<'static>>, json::Summary) {
    let walk = scan::walk(paths);
    // An archive (a regular file named like one) is its members' reports, in its place.
    let items: Vec<(Vec<FileReport<'static>>, usize, usize)> = walk
        .files
        .par_iter()
        .map(|p| match archive::format_of(p) {
            Some(format) if std::fs::metadata(p).is_ok_and(|m| m.is_file()) => {
                reference::analyze_archive(p, format, baseline)
            }
            _ => (vec![reference::analyze_path(p, baseline)], 0, 0),
        })
        .collect();
    let (mut links, mut special) = (0, 0);
    let mut reports: Vec<FileReport<'static>> = Vec::new();
    for (r, l, s) in items {
        reports.extend(r);
        links += l;
        special += s;
    }
    for (path, e) in &walk.errors {
        reports.push(FileReport {
            path: path.display().to_string(),
            outcome: Outcome::Error {
                error: format!("{}: {e}", path.display()),
            },
        });
    }
    let mut summary = json::Summary::of(&reports);
    summary.special_skipped = walk.special + special;
    summary.duplicates_skipped = walk.duplicates + links;
    (reports, summary)
}

/// The document `--json` printed before the change (pretty JSON and a newline).
fn reference_json(paths: &[PathBuf], baseline: Option<&Baseline>, symbols: bool) -> String {
    let (reports, summary) = reference_reports(paths, baseline);
    let doc = reference::document(&reports, &summary, baseline.map(|b| b.describe()), symbols);
    let mut text = serde_json::to_string_pretty(&doc).expect("json");
    text.push('\n');
    text
}

/// The text `report` printed before the change, from the reference's analyses.
fn reference_text(paths: &[PathBuf]) -> String {
    let (reports, summary) = reference_reports(paths, None);
    let style = text::Style { color: false };
    let mut out = String::new();
    for r in &reports {
        if matches!(r.outcome, Outcome::NotElf | Outcome::Error { .. }) {
            continue;
        }
        out.push_str(&text::render_file(r, &style, false));
    }
    out.push_str(&format!(
        "{} files: {} ELF, {} not ELF, {} unreadable; {} special files and {} duplicate links skipped\n",
        summary.files,
        summary.elf,
        summary.not_elf,
        summary.errors,
        summary.special_skipped,
        summary.duplicates_skipped
    ));
    out
}

/// The binary's output for `args`, compared with `reference` made before and after it;
/// tried again (up to three times) while the tree changes under the run.
fn same_as_reference(args: &[&str], paths: &[PathBuf], reference: impl Fn() -> String) {
    for attempt in 1..=3 {
        let before = reference();
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(paths.iter().map(|p| p.display().to_string()));
        let run = common::run(&all);
        let after = reference();
        if before != after {
            eprintln!("attempt {attempt}: the tree changed during the run; again");
            continue;
        }
        let (code, stdout, _) = run.triple();
        assert!(code == 0 || code == 1, "{}", run.describe());
        if stdout != after {
            let line = stdout
                .lines()
                .zip(after.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(stdout.lines().count().min(after.lines().count()));
            let show = |t: &str| {
                t.lines()
                    .skip(line.saturating_sub(3))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "elfcompat {args:?} differs from the reference at line {}:\n--- elfcompat\n{}\n--- reference\n{}",
                line + 1,
                show(stdout),
                show(&after)
            );
        }
        assert!(
            stdout.len() > 100_000,
            "only {} bytes of output: nothing compared",
            stdout.len()
        );
        return;
    }
    panic!("the tree kept changing during three runs");
}

fn trees() -> Option<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = ["/usr/bin", "/usr/lib/x86_64-linux-gnu"]
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    if paths.len() < 2 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs /usr/bin and /usr/lib/x86_64-linux-gnu"
        );
        eprintln!("skipped: no /usr/bin or /usr/lib/x86_64-linux-gnu");
        return None;
    }
    Some(paths)
}

#[test]
fn report_json_of_the_usr_tree_is_the_reference_s() {
    let Some(paths) = trees() else { return };
    same_as_reference(&["report", "--json"], &paths, || {
        reference_json(&paths, None, false)
    });
}

#[test]
fn report_json_symbols_of_usr_bin_is_the_reference_s() {
    let Some(paths) = trees() else { return };
    let bin = [paths[0].clone()];
    same_as_reference(&["report", "--json", "--symbols"], &bin, || {
        reference_json(&bin, None, true)
    });
}

#[test]
fn check_json_of_the_usr_tree_is_the_reference_s() {
    let Some(paths) = trees() else { return };
    let b = Baseline::glibc(GlibcVersion::new(2, 17, 0));
    same_as_reference(&["check", "--glibc", "2.17", "--json"], &paths, || {
        reference_json(&paths, Some(&b), false)
    });
}

#[test]
fn report_text_of_the_usr_tree_is_the_reference_s() {
    let Some(paths) = trees() else { return };
    same_as_reference(&["--color", "never", "report"], &paths, || {
        reference_text(&paths)
    });
}

/// All of /usr, one path.
fn whole_usr() -> Option<Vec<PathBuf>> {
    trees()?;
    Some(vec![PathBuf::from("/usr")])
}

#[test]
fn report_json_of_all_of_usr_is_the_reference_s() {
    let Some(paths) = whole_usr() else { return };
    same_as_reference(&["report", "--json"], &paths, || {
        reference_json(&paths, None, false)
    });
}

#[test]
fn check_json_of_all_of_usr_is_the_reference_s() {
    let Some(paths) = whole_usr() else { return };
    let b = Baseline::glibc(GlibcVersion::new(2, 17, 0));
    same_as_reference(&["check", "--glibc", "2.17", "--json"], &paths, || {
        reference_json(&paths, Some(&b), false)
    });
}
