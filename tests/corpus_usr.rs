//! Robustness over the real world: every ELF file under /usr (regular files, hard links
//! counted once, symlinks not followed), in parallel, through the library:
//!
//! - the report: `elfcompat::report::analyze_path`;
//! - the patch, in memory: `elfcompat::patch::patch_bytes` to glibc 2.17 and to 2.31,
//!   with `allow_blockers` false and true (polyfills on, the default);
//! - every successfully patched output is verified: with `allow_blockers` false,
//!   `elfcompat::verify::verify` must find nothing; with true, `patch::verify_output`
//!   (which leaves out the plan's blockers) must find nothing.
//!
//! Each call runs inside `std::panic::catch_unwind`. The test prints how many files were
//! read, patched (per baseline and mode, by method), refused (by reason, top 10), and it
//! FAILS on any panic, any tool error and any verification failure. A tool error is a
//! `PatchError` other than `Blocked` and `Refused` (the named refusals) and `Plan` (static
//! or no dynamic section: nothing to patch). One exception, listed by name: `Elf`
//! (malformed input) on a file the loader would never load — not ET_EXEC/ET_DYN (object
//! files, core dumps), or without a PT_LOAD (separate debug info, firmware images). A
//! malformed-input error on a loadable file is a tool error.
//!
//! Budget: CI runs it on 2 cores in under 3 minutes. A watchdog aborts the test (naming
//! the files in flight) after `ELFCOMPAT_CORPUS_DEADLINE` seconds (default 900), so a hang
//! cannot stall CI. `ELFCOMPAT_CORPUS_ROOT` replaces /usr. Without /usr the test is
//! skipped, unless `CI` is set. `every_committed_fixture` runs the same checks over
//! `testdata/bin/` (all nine fixture architectures), whatever the machine has in /usr.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod support_gen;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::elf::ElfFile;
use elfcompat::patch::{self, Method, Options, PatchError};
use elfcompat::report::{analyze_path, Outcome};
use rayon::prelude::*;
use support_gen::*;

const TEST: &str = "corpus_usr";
const BASELINES: [&str; 2] = ["2.17", "2.31"];

/// One file found by the walk.
struct Candidate {
    path: PathBuf,
    size: u64,
}

/// Walk `root` without following symlinks; regular files of 4 bytes or more, one per
/// (device, inode). Returns (candidates, regular files seen, hard links skipped,
/// unreadable directories).
fn walk(root: &Path) -> (Vec<Candidate>, usize, usize, usize) {
    let mut out = Vec::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let (mut files, mut links, mut unreadable) = (0, 0, 0);
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            unreadable += 1;
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                let Ok(m) = e.metadata() else { continue };
                files += 1;
                if !seen.insert((m.dev(), m.ino())) {
                    links += 1;
                    continue;
                }
                if m.len() >= 4 {
                    out.push(Candidate {
                        path: e.path(),
                        size: m.len(),
                    });
                }
            }
        }
    }
    (out, files, links, unreadable)
}

fn is_elf(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

/// Would the loader ever map this file? Read from the raw header, independently of the
/// code under test: ET_EXEC or ET_DYN, and at least one PT_LOAD in a program header table
/// that lies inside the file.
fn loadable(data: &[u8]) -> Result<(), String> {
    if data.len() < 52 {
        return Err("shorter than an ELF header".into());
    }
    let is64 = match data[4] {
        1 => false,
        2 => true,
        c => return Err(format!("EI_CLASS {c}")),
    };
    let le = match data[5] {
        1 => true,
        2 => false,
        d => return Err(format!("EI_DATA {d}")),
    };
    let u16at = |o: usize| -> Option<u64> {
        let b: [u8; 2] = data.get(o..o + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        } as u64)
    };
    let u32at = |o: usize| -> Option<u64> {
        let b: [u8; 4] = data.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        } as u64)
    };
    let u64at = |o: usize| -> Option<u64> {
        let b: [u8; 8] = data.get(o..o + 8)?.try_into().ok()?;
        Some(if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let e_type = u16at(16).unwrap_or(0);
    match e_type {
        2 | 3 => {}
        1 => return Err("ET_REL (object file)".into()),
        4 => return Err("ET_CORE (core dump)".into()),
        t => return Err(format!("e_type {t:#x}")),
    }
    let (phoff, phentsize, phnum) = if is64 {
        (u64at(32), u16at(54), u16at(56))
    } else {
        (u32at(28), u16at(42), u16at(44))
    };
    let (Some(phoff), Some(phentsize), Some(phnum)) = (phoff, phentsize, phnum) else {
        return Err("truncated header".into());
    };
    if phnum == 0 {
        return Err("no program headers".into());
    }
    let end = phoff.checked_add(phentsize.saturating_mul(phnum));
    if phentsize == 0 || end.is_none_or(|e| e > data.len() as u64) {
        return Err("program header table outside the file".into());
    }
    let loads = (0..phnum)
        .filter(|i| u32at((phoff + i * phentsize) as usize) == Some(1))
        .count();
    if loads == 0 {
        return Err("no PT_LOAD (debug info or firmware image)".into());
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    elf_files: usize,
    bytes: u64,
    report: BTreeMap<String, usize>,
    /// "2.31 allow=false" -> outcome -> count.
    patch: BTreeMap<String, BTreeMap<String, usize>>,
    /// "2.31 allow=false" -> reason -> count.
    refused: BTreeMap<String, BTreeMap<String, usize>>,
    /// reason -> one file refused for it.
    example: HashMap<String, String>,
    /// Malformed input on files the loader never loads: (path, why not loadable, error).
    malformed_unloadable: Vec<(String, String, String)>,
    tool_errors: Vec<String>,
    panics: Vec<String>,
    verify_failures: Vec<String>,
    slowest: Vec<(Duration, String, u64)>,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-string panic payload)".into())
}

/// Group refusal texts: hexadecimal numbers and decimal numbers of three or more digits
/// (addresses, offsets, sizes) replaced, so that one reason is one line; versions stay.
fn reason_key(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '0'
            && c.get(i + 1) == Some(&'x')
            && c.get(i + 2).is_some_and(|d| d.is_ascii_hexdigit())
        {
            i += 2;
            while i < c.len() && c[i].is_ascii_hexdigit() {
                i += 1;
            }
            out.push_str("0x?");
        } else if c[i].is_ascii_digit() && (i == 0 || !c[i - 1].is_ascii_alphanumeric()) {
            let j = (i..c.len())
                .find(|&j| !c[j].is_ascii_digit())
                .unwrap_or(c.len());
            if j - i >= 3 {
                out.push('N');
            } else {
                out.extend(&c[i..j]);
            }
            i = j;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out.chars().take(160).collect()
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Unchanged => "unchanged",
        Method::InPlace => "patched in place",
        Method::Rewrite => "patched by rewrite",
    }
}

fn file_check(path: &Path, tally: &Mutex<Tally>) {
    let shown = path.display().to_string();
    let started = Instant::now();
    let mut report_key = String::new();
    let mut patch_results: Vec<(String, String)> = Vec::new();
    let mut refusals: Vec<(String, String)> = Vec::new();
    let mut malformed: Vec<(String, String, String)> = Vec::new();
    let mut tool_errors = Vec::new();
    let mut panics = Vec::new();
    let mut verify_failures = Vec::new();

    // The report, from the path (mmap).
    match std::panic::catch_unwind(|| analyze_path(path, None)) {
        Ok(r) => {
            report_key = match r.outcome {
                Outcome::Elf(_) => "analysed".into(),
                Outcome::NotElf => "not ELF (changed since the walk?)".into(),
                Outcome::Error { error } => {
                    // Judged with the bytes below.
                    format!("error: {error}")
                }
            }
        }
        Err(p) => panics.push(format!("{shown}: analyze_path panicked: {}", panic_text(p))),
    }
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            tool_errors.push(format!("{shown}: cannot read: {e}"));
            return finish(
                tally,
                path,
                0,
                started,
                report_key,
                patch_results,
                refusals,
                malformed,
                tool_errors,
                panics,
                verify_failures,
            );
        }
    };
    let not_loadable = loadable(&data).err();
    if let Some(err) = report_key.strip_prefix("error: ").map(str::to_string) {
        match &not_loadable {
            Some(why) => {
                malformed.push((shown.clone(), why.clone(), format!("report: {err}")));
                report_key = "malformed, not loadable".into();
            }
            None => {
                tool_errors.push(format!("{shown}: analyze_path: {err}"));
                report_key = "ERROR".into();
            }
        }
    }
    for base in BASELINES {
        let bl = Baseline::glibc(GlibcVersion::parse(base).unwrap());
        for allow in [false, true] {
            let label = format!("{base} allow_blockers={allow}");
            let opts = Options {
                allow_blockers: allow,
                ..Options::default()
            };
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                patch::patch_bytes(&data, &bl, &opts)
            }));
            let outcome = match r {
                Err(p) => {
                    panics.push(format!(
                        "{shown}: patch_bytes({label}) panicked: {}",
                        panic_text(p)
                    ));
                    "PANIC".to_string()
                }
                Ok(Ok(p)) if p.method == Method::Unchanged => {
                    if p.bytes() != data {
                        verify_failures.push(format!(
                            "{shown}: {label}: Method::Unchanged but the bytes differ"
                        ));
                    }
                    method_name(p.method).to_string()
                }
                Ok(Ok(p)) => {
                    // Every patched output verifies.
                    let v = std::panic::catch_unwind(AssertUnwindSafe(
                        || -> Result<Vec<String>, String> {
                            if allow {
                                patch::verify_output(&p.bytes(), &bl, &p.plan)
                                    .map(|f| {
                                        f.into_iter()
                                            .map(|f| format!("[{}] {}", f.check, f.message))
                                            .collect()
                                    })
                                    .map_err(|e| e.to_string())
                            } else {
                                let bytes = p.bytes();
                                let f = ElfFile::parse(&bytes).map_err(|e| e.to_string())?;
                                Ok(elfcompat::verify::verify(&f, &bl)
                                    .into_iter()
                                    .map(|f| format!("[{}] {}", f.check, f.message))
                                    .collect())
                            }
                        },
                    ));
                    match v {
                        Ok(Ok(f)) if f.is_empty() => {}
                        Ok(Ok(f)) => verify_failures.push(format!(
                            "{shown}: {label}: {} output does not verify: {}",
                            method_name(p.method),
                            f.join("; ")
                        )),
                        Ok(Err(e)) => verify_failures.push(format!(
                            "{shown}: {label}: {} output does not parse: {e}",
                            method_name(p.method)
                        )),
                        Err(pn) => panics.push(format!(
                            "{shown}: verifying the {label} output panicked: {}",
                            panic_text(pn)
                        )),
                    }
                    method_name(p.method).to_string()
                }
                Ok(Err(PatchError::Blocked(bs))) => {
                    for b in &bs {
                        refusals.push((
                            label.clone(),
                            format!(
                                "blocker {}@{}",
                                b.symbol.as_deref().unwrap_or("-"),
                                b.version
                            ),
                        ));
                    }
                    "refused: blockers".into()
                }
                Ok(Err(PatchError::Refused(why))) => {
                    refusals.push((label.clone(), format!("refused: {}", reason_key(&why))));
                    "refused: rewrite not possible".into()
                }
                Ok(Err(PatchError::Plan(e))) => format!("nothing to patch: {e}"),
                Ok(Err(PatchError::Elf(e))) => match &not_loadable {
                    Some(why) => {
                        if !malformed.iter().any(|m| m.2 == format!("patch: {e}")) {
                            malformed.push((shown.clone(), why.clone(), format!("patch: {e}")));
                        }
                        "malformed, not loadable".into()
                    }
                    None => {
                        tool_errors.push(format!(
                            "{shown}: {label}: malformed-input error on a loadable file: {e}"
                        ));
                        "ERROR Elf".into()
                    }
                },
                Ok(Err(e)) => {
                    let kind = match &e {
                        PatchError::Rewrite(_) => "Rewrite",
                        PatchError::Verification(_) => "Verification",
                        PatchError::Internal(_) => "Internal",
                        PatchError::Io(_) => "Io",
                        _ => "other",
                    };
                    tool_errors.push(format!("{shown}: {label}: {kind} error: {e}"));
                    format!("ERROR {kind}")
                }
            };
            patch_results.push((label, outcome));
        }
    }
    finish(
        tally,
        path,
        data.len() as u64,
        started,
        report_key,
        patch_results,
        refusals,
        malformed,
        tool_errors,
        panics,
        verify_failures,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    tally: &Mutex<Tally>,
    path: &Path,
    size: u64,
    started: Instant,
    report_key: String,
    patch_results: Vec<(String, String)>,
    refusals: Vec<(String, String)>,
    malformed: Vec<(String, String, String)>,
    tool_errors: Vec<String>,
    panics: Vec<String>,
    verify_failures: Vec<String>,
) {
    let took = started.elapsed();
    let mut t = tally.lock().unwrap();
    t.elf_files += 1;
    t.bytes += size;
    if !report_key.is_empty() {
        *t.report.entry(report_key).or_default() += 1;
    }
    for (label, o) in patch_results {
        *t.patch.entry(label).or_default().entry(o).or_default() += 1;
    }
    for (label, r) in refusals {
        t.example
            .entry(r.clone())
            .or_insert_with(|| path.display().to_string());
        *t.refused.entry(label).or_default().entry(r).or_default() += 1;
    }
    t.malformed_unloadable.extend(malformed);
    t.tool_errors.extend(tool_errors);
    t.panics.extend(panics);
    t.verify_failures.extend(verify_failures);
    t.slowest.push((took, path.display().to_string(), size));
    if t.slowest.len() > 50 {
        t.slowest.sort_by_key(|x| std::cmp::Reverse(x.0));
        t.slowest.truncate(10);
    }
}

#[test]
fn every_elf_file_under_usr() {
    let root = std::env::var_os("ELFCOMPAT_CORPUS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr"));
    if !root.is_dir() {
        unavailable::<()>(TEST, &format!("{} is not a directory", root.display()));
        return;
    }
    check_tree(&root);
}

/// The same over the committed fixtures (nine architectures), so that what the corpus
/// finds on a machine with cross toolchains is also caught where /usr has only x86_64.
#[test]
fn every_committed_fixture() {
    check_tree(&Path::new(MANIFEST_DIR).join("testdata/bin"));
}

fn check_tree(root: &Path) {
    let start = Instant::now();
    let (cands, files, links, unreadable) = walk(root);
    let walked = start.elapsed();
    let mut elfs: Vec<Candidate> = cands.into_par_iter().filter(|c| is_elf(&c.path)).collect();
    // Largest first: the big files do not end up last on one core.
    elfs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let found = start.elapsed();
    say(&format!(
        "{TEST}: {}: {files} regular files ({links} hard links counted once, {unreadable} unreadable directories), {} ELF files, {:.1} MiB; walk {walked:.1?}, magic {:.1?}",
        root.display(),
        elfs.len(),
        elfs.iter().map(|c| c.size).sum::<u64>() as f64 / (1 << 20) as f64,
        found - walked
    ));
    assert!(!elfs.is_empty(), "no ELF files under {}", root.display());

    // Watchdog: name the files in flight and abort after the deadline.
    let in_flight: &'static Mutex<HashMap<usize, (String, Instant)>> =
        Box::leak(Box::new(Mutex::new(HashMap::new())));
    let deadline = Duration::from_secs(env_num("ELFCOMPAT_CORPUS_DEADLINE", 900));
    let done = &*Box::leak(Box::new(AtomicUsize::new(0)));
    let total = elfs.len();
    std::thread::spawn(move || {
        let t0 = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if done.load(Ordering::Relaxed) >= total {
                return;
            }
            if t0.elapsed() > deadline {
                let fl = in_flight.lock().unwrap();
                say(&format!("{TEST}: DEADLINE {deadline:?} passed with {} of {total} files done; in flight:", done.load(Ordering::Relaxed)));
                for (p, since) in fl.values() {
                    say(&format!("  {p} (for {:.1?})", since.elapsed()));
                }
                std::process::abort();
            }
        }
    });

    let tally = Mutex::new(Tally::default());
    let seq = AtomicUsize::new(0);
    elfs.par_iter().for_each(|c| {
        let id = seq.fetch_add(1, Ordering::Relaxed);
        in_flight
            .lock()
            .unwrap()
            .insert(id, (c.path.display().to_string(), Instant::now()));
        file_check(&c.path, &tally);
        in_flight.lock().unwrap().remove(&id);
        done.fetch_add(1, Ordering::Relaxed);
    });
    let mut t = tally.into_inner().unwrap();
    let elapsed = start.elapsed();

    say(&format!(
        "{TEST}: {} ELF files read ({:.1} MiB) in {elapsed:.1?} on {} threads",
        t.elf_files,
        t.bytes as f64 / (1 << 20) as f64,
        rayon::current_num_threads()
    ));
    say(&format!("{TEST}: report (analyze_path):"));
    for (k, v) in &t.report {
        say(&format!("  {v:>6}  {k}"));
    }
    for (label, outcomes) in &t.patch {
        say(&format!("{TEST}: patch to {label}:"));
        for (k, v) in outcomes {
            say(&format!("  {v:>6}  {k}"));
        }
        if let Some(r) = t.refused.get(label) {
            let mut top: Vec<(&String, &usize)> = r.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            say(&format!("    refused, top 10 of {} reasons (a file with several blockers counts once per blocker):", top.len()));
            for (k, v) in top.iter().take(10) {
                say(&format!(
                    "    {v:>6}  {k}  (e.g. {})",
                    t.example.get(*k).map(String::as_str).unwrap_or("?")
                ));
            }
        }
    }
    t.malformed_unloadable.sort();
    say(&format!(
        "{TEST}: malformed input on files the loader never loads (explicitly not tool errors): {}",
        t.malformed_unloadable.len()
    ));
    for (p, why, e) in &t.malformed_unloadable {
        say(&format!("  {p}: {why}: {e}"));
    }
    t.slowest.sort_by_key(|x| std::cmp::Reverse(x.0));
    say(&format!(
        "{TEST}: slowest files (report + 4 patches + verifies):"
    ));
    for (d, p, s) in t.slowest.iter().take(5) {
        say(&format!(
            "  {d:>9.2?}  {:>7.1} MiB  {p}",
            *s as f64 / (1 << 20) as f64
        ));
    }
    say(&format!(
        "{TEST}: tool errors {}, panics {}, verification failures {}",
        t.tool_errors.len(),
        t.panics.len(),
        t.verify_failures.len()
    ));
    let mut problems = Vec::new();
    for (what, v) in [
        ("TOOL ERRORS", &t.tool_errors),
        ("PANICS", &t.panics),
        ("VERIFICATION FAILURES", &t.verify_failures),
    ] {
        if !v.is_empty() {
            let mut v = v.clone();
            v.sort();
            problems.push(format!(
                "{what} ({}):\n  {}",
                v.len(),
                v.iter().take(60).cloned().collect::<Vec<_>>().join("\n  ")
            ));
        }
    }
    for p in &problems {
        say(p);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
