//! The fuzz targets' code paths in the ordinary test suite (stable toolchain, no fuzzer):
//! every file in `testdata/fuzz-regressions/` (inputs the fuzzers found, minimised) and
//! every seed of the committed fuzz corpus (`fuzz/corpus/*/seed-*`, the small ones) goes
//! through `reader` and `patch` of `fuzz/harness.rs`, the very functions the libFuzzer
//! targets call, and must come out without a panic, an abort, a hang or an allocation out
//! of proportion to the file.
//!
//! Each file runs in a child process (this test binary again, running only
//! `child_runs_one_input`), with its address space limited to 1 GiB and a time limit, so
//! an abort (an allocation that fails) or a hang fails that file alone, and every broken
//! file is reported in one run, with the child's panic message or abort.
//!
//! A regression file added here fails until the bug is fixed: that is the point. See
//! `testdata/fuzz-regressions/README.md` for what each one is.

mod common;
#[path = "../fuzz/harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Set in the child: the file to run.
const CHILD_ENV: &str = "ELFCOMPAT_FUZZ_REGRESSION_INPUT";
/// The child's address-space limit (`ulimit -v`, KiB): far above what a 100 KiB input
/// needs, far below the gigabytes of the bugs this catches.
const MEM_LIMIT_KIB: u64 = 1 << 20;
/// The child's time limit (debug builds are slow; a hang is far slower).
const TIME_LIMIT: Duration = Duration::from_secs(180);
/// Seeds above this size are left to the fuzzer.
const SMALL_SEED: u64 = 256 * 1024;

/// The child: one file through both targets. Does nothing in an ordinary run.
#[test]
fn child_runs_one_input() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let data = std::fs::read(&path).expect("read the input");
    harness::reader(&data);
    harness::patch(&data);
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How one file went in its child: `None` when fine, else what went wrong.
fn run_child(file: &Path) -> Option<String> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = if cfg!(target_os = "linux") {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("ulimit -v {MEM_LIMIT_KIB} && exec \"$0\" \"$@\""))
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    cmd.args([
        "--exact",
        "child_runs_one_input",
        "--test-threads=1",
        "--nocapture",
    ])
    .env(CHILD_ENV, file)
    .env("RUST_BACKTRACE", "1");
    let run = common::run_command(cmd, TIME_LIMIT);
    let text = format!("{}{}", run.stdout, run.stderr);
    let hung = run.stderr.contains("[test harness: killed after");
    let tail = || summarize(&text);
    match run.code {
        _ if hung => Some(format!("hang: no answer in {TIME_LIMIT:?}\n    {}", tail())),
        Some(0) if text.contains("1 passed") => None,
        Some(c) => Some(format!("exit status {c}\n    {}", tail())),
        None => Some(format!("killed by a signal\n    {}", tail())),
    }
}

/// The child's output, cut to what tells the bug: the panic or abort message and the
/// backtrace frames of elfcompat, object and the harness.
fn summarize(text: &str) -> String {
    let mut keep = Vec::new();
    let mut frame_kept = false;
    for line in text.lines() {
        let t = line.trim();
        let t = t
            .strip_prefix("test child_runs_one_input ... ")
            .unwrap_or(t);
        let is_frame = t
            .split_once(": ")
            .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
        if is_frame {
            frame_kept = ["elfcompat", "object::", "harness::"]
                .iter()
                .any(|k| t.contains(k));
            if frame_kept {
                keep.push(t.to_string());
            }
        } else if t.starts_with("at ") {
            if frame_kept {
                keep.push(format!("  {t}"));
            }
        } else if !(t.is_empty()
            || t.starts_with("running ")
            || t.starts_with("failures:")
            || t == "child_runs_one_input"
            || t.starts_with("test result:")
            || t.starts_with("note:")
            || t == "stack backtrace:")
        {
            frame_kept = false;
            keep.push(t.to_string());
        }
    }
    keep.join("\n    ")
}

/// Run every file, two children at a time; one failure line per broken file.
fn run_all(files: &[PathBuf]) -> Vec<String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                if let Some(why) = run_child(file) {
                    let name = file.strip_prefix(root()).unwrap_or(file);
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{}: {why}", name.display()));
                }
            });
        }
    });
    let mut f = failures.into_inner().unwrap();
    f.sort();
    f
}

fn report(what: &str, files: &[PathBuf], failures: &[String]) {
    println!("{what}: {} files, {} failed", files.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} {what} fail the fuzz targets' checks:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn fuzz_regressions_do_not_crash() {
    let dir = root().join("testdata/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/fuzz-regressions")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no files in {}", dir.display());
    let failures = run_all(&files);
    report("fuzz regression files", &files, &failures);
}

#[test]
fn fuzz_seed_corpus_does_not_crash() {
    // Both targets start from the same seeds: each distinct name once.
    let mut seeds: BTreeMap<String, PathBuf> = BTreeMap::new();
    for target in std::fs::read_dir(root().join("fuzz/corpus")).expect("fuzz/corpus") {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue;
        }
        for e in std::fs::read_dir(&target).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("seed-") && p.metadata().is_ok_and(|m| m.len() <= SMALL_SEED) {
                seeds.entry(name).or_insert(p);
            }
        }
    }
    let files: Vec<PathBuf> = seeds.into_values().collect();
    assert!(files.len() >= 10, "only {} seeds found", files.len());
    let failures = run_all(&files);
    report("seed corpus files", &files, &failures);
}
