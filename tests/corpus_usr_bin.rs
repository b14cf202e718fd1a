//! The real-world corpus: every ELF executable in /usr/bin that needs glibc > 2.31.
//!
//! For each one (symlinks and hard links to the same file counted once), the test
//! 1. patches it with `elfcompat patch --glibc 2.31 --json` into
//!    `target/tmp/corpus_usr_bin/run-XXXXXX/bin/` (exit 1 = refused with blockers: counted by
//!    blocker; exit 2 with "refused:" = a rewrite the layout does not allow: counted);
//! 2. runs the original on the host with `--version` (or `--help` when `--version` does
//!    not exit 0), and the patched copy with the same argument under Debian 11's glibc
//!    2.31 through its loader, with `LD_BIND_NOW=1`, stdin from /dev/null, a 5 s limit,
//!    and the library path = the 2.31 runtime, then the directories of the binary's
//!    `$ORIGIN` rpaths, then the host's /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu
//!    (so libraries glibc does not ship are found);
//! 3. compares exit code and stdout, with the program's path normalised.
//!
//! Many binaries need host libraries that themselves need glibc > 2.31 (libselinux,
//! libtinfo, libLLVM ...): the old loader then names that library ("version `GLIBC_2.33'
//! not found (required by /lib/x86_64-linux-gnu/libselinux.so.1)"). Those are counted as
//! "a dependency library needs a newer glibc", not as elfcompat's failure; so are
//! binaries whose own GLIBCXX/CXXABI/GCC requirement is newer than bullseye's
//! libstdc++/libgcc_s (a `--glibc` baseline does not lower those). Everything else that
//! was patched but did not behave the same fails the test, listed with the commands that
//! reproduce it.
//!
//! The run's directory (patched copies, and every run's stdout and stderr in `out/`) is
//! removed when the test passes and kept when it fails (or with
//! `ELFCOMPAT_KEEP_TEST_FILES`). Without the old glibc or /usr/bin the test is skipped,
//! unless `CI` is set.
//! Run with `cargo test --release --test corpus_usr_bin -- --nocapture` for the counts.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
mod support_gen;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::elf::Linkage;
use elfcompat::report::{analyze_path, Outcome};
use elfcompat::versym::Family;
use rayon::prelude::*;

use common::OldRuntime;
use support_gen::{say, unavailable};

const TEST: &str = "corpus_usr_bin";
const ELFCOMPAT: &str = env!("CARGO_BIN_EXE_elfcompat");
const CORPUS: &str = "/usr/bin";
const BASELINE: &str = "2.31";
const HOST_LIBS: [&str; 2] = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"];
/// Per run of a corpus program.
const RUN_TIMEOUT: Duration = Duration::from_secs(5);
/// Per elfcompat run (generous: a 100 MB binary in a debug build).
const PATCH_TIMEOUT: Duration = Duration::from_secs(120);
/// A program writing more than this is stopped (and compared on what it wrote).
const OUTPUT_CAP: u64 = 8 << 20;
/// Extra runs of both when only stdout differs (output that varies from run to run).
const RETRIES: usize = 3;
/// Programs run at once: most of the time is process start-up and waiting.
const PARALLEL: usize = 8;

// ---------------------------------------------------------------------------------------
// The old glibc.

/// Bullseye's glibc, which must be the baseline's.
fn fetch_runtime() -> Result<OldRuntime, String> {
    let rt = common::fetch_old_runtime("bullseye", "amd64")?;
    if rt.glibc_version != BASELINE {
        return Err(format!("{}: not glibc {BASELINE}", rt.env_file().display()));
    }
    Ok(rt)
}

// ---------------------------------------------------------------------------------------
// Running programs: files for output, a process group per run, a deadline.

#[derive(Debug, Clone)]
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    command: String,
}

impl Run {
    fn status(&self) -> String {
        if self.timed_out {
            "timed out".into()
        } else if let Some(s) = self.signal {
            format!("signal {s}")
        } else {
            format!("exit {}", self.code.unwrap_or(-1))
        }
    }
}

fn read_capped(path: &Path) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(OUTPUT_CAP).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Run `cmd` in a process group of its own with stdout and stderr going to
/// `stem.out` / `stem.err`; at the deadline (or past the output cap) that group — the
/// child and whatever it started — is killed, before the child is reaped.
fn run(mut cmd: Command, stem: &Path, timeout: Duration) -> Run {
    let command = common::command_line(true, &cmd);
    let with_suffix = |suffix: &str| {
        let mut s = stem.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    let out_path = with_suffix(".out");
    let err_path = with_suffix(".err");
    let out = std::fs::File::create(&out_path).unwrap();
    let err = std::fs::File::create(&err_path).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Run {
                code: None,
                signal: None,
                timed_out: false,
                stdout: String::new(),
                stderr: format!("cannot start: {e}"),
                command,
            }
        }
    };
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        let too_big = || {
            [&out_path, &err_path]
                .iter()
                .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > OUTPUT_CAP))
        };
        if start.elapsed() > timeout || too_big() {
            timed_out = start.elapsed() > timeout;
            // The child is not reaped yet, so its id still names its group.
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: read_capped(&out_path),
        stderr: read_capped(&err_path),
        command,
    }
}

/// The same environment for the host run and the 2.31 run.
fn program_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .env("TERM", "dumb")
        .env("COLUMNS", "80")
        .env("LD_BIND_NOW", "1");
}

// ---------------------------------------------------------------------------------------
// Loader messages.

#[derive(Debug, Default)]
struct LoaderErrors {
    /// (version, required by)
    versions: Vec<(String, String)>,
    /// (object, symbol) from "symbol lookup error" / "relocation error"
    symbols: Vec<(String, String)>,
    /// libraries not found
    missing: Vec<String>,
}

fn loader_errors(stderr: &str) -> LoaderErrors {
    let mut e = LoaderErrors::default();
    for line in stderr.lines() {
        if let Some(i) = line.find("version `") {
            let rest = &line[i + 9..];
            let Some(end) = rest.find('\'') else { continue };
            let version = rest[..end].to_string();
            if let Some(j) = rest.find("(required by ") {
                let by = rest[j + 13..].trim_end_matches(')').to_string();
                e.versions.push((version, by));
            }
        } else if let Some(i) = line.find("symbol lookup error: ") {
            let rest = &line[i + 21..];
            let (obj, sym) = rest
                .split_once(": undefined symbol: ")
                .unwrap_or((rest, ""));
            e.symbols.push((obj.to_string(), sym.to_string()));
        } else if let Some(i) = line.find("relocation error: ") {
            let rest = &line[i + 18..];
            let (obj, sym) = rest.split_once(": symbol ").unwrap_or((rest, ""));
            e.symbols.push((obj.to_string(), sym.to_string()));
        } else if line.contains("cannot open shared object file") {
            if let Some(i) = line.find("error while loading shared libraries: ") {
                let rest = &line[i + 38..];
                e.missing
                    .push(rest.split(':').next().unwrap_or(rest).to_string());
            }
        }
    }
    e
}

// ---------------------------------------------------------------------------------------
// One binary.

#[derive(Debug)]
enum Verdict {
    /// Patched, and ran the same: the argument, the exit code, whether stdout had text.
    /// `unordered`: the output varies between host runs and matched up to line order.
    Same {
        arg: &'static str,
        code: Option<i32>,
        output: bool,
        unordered: bool,
    },
    /// The original's stdout varies between two host runs beyond line order.
    HostVaries,
    /// exit 1: blockers (symbol@version, reason).
    Refused(Vec<(String, String)>),
    /// exit 2 with "refused:": a rewrite the layout does not allow.
    LayoutRefused(String),
    /// A dependency library needs a newer glibc (the libraries).
    DependencyNeedsNewerGlibc(BTreeSet<String>),
    /// The binary's own GLIBCXX/CXXABI/GCC requirement is newer than bullseye's.
    CxxRuntimeTooOld(BTreeSet<String>),
    /// The original does not finish within the limit on the host either.
    HostTimeout,
    /// The program finds its own files, or its name, relative to where it lives (gcc-ar
    /// and its plugin; gprofng's tools print the name they were installed under): an
    /// unpatched copy next to the patched one, on the host, behaves exactly like the
    /// patched one on 2.31.
    LocationDependent,
    /// elfcompat failed otherwise (verification, rewrite, crash): a failure.
    PatchFailed(String),
    /// Patched, but anything else happened: elfcompat's failure (or a test to look at).
    Failed(String),
}

struct Candidate {
    /// The /usr/bin path.
    path: PathBuf,
    /// Its name there (and of the patched copy).
    name: String,
    /// The resolved file.
    real: PathBuf,
    /// The newest glibc it needs.
    needs: String,
}

struct Ctx<'a> {
    rt: &'a OldRuntime,
    bin_dir: PathBuf,
    out_dir: PathBuf,
    /// This machine's shared libraries, patched to the baseline too: a program is only
    /// as portable as what it loads, so the old loader gets these before the originals.
    lib_dir: PathBuf,
    home: PathBuf,
}

/// `$ORIGIN` rpath entries of the original, resolved against its real directory: the
/// patched copy lives elsewhere, so the old loader gets them on its library path.
fn origin_dirs(real: &Path) -> Vec<String> {
    let Ok(data) = std::fs::read(real) else {
        return Vec::new();
    };
    let Ok(elf) = goblin::elf::Elf::parse(&data) else {
        return Vec::new();
    };
    let origin = real
        .parent()
        .unwrap_or(Path::new("/"))
        .display()
        .to_string();
    elf.rpaths
        .iter()
        .chain(elf.runpaths.iter())
        .flat_map(|s| s.split(':'))
        .filter(|s| s.contains("ORIGIN"))
        .map(|s| s.replace("${ORIGIN}", &origin).replace("$ORIGIN", &origin))
        .collect()
}

fn normalise(text: &str, replacements: &[(&str, &str)]) -> String {
    let mut t = text.to_string();
    for (from, to) in replacements {
        if !from.is_empty() {
            t = t.replace(from, to);
        }
    }
    t
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: host {:?} / 2.31 {:?}", i + 1, x, y);
        }
    }
    format!(
        "{} lines on the host, {} under 2.31",
        a.lines().count(),
        b.lines().count()
    )
}

fn check_one(c: &Candidate, ctx: &Ctx<'_>) -> (Verdict, Vec<String>) {
    let patched = ctx.bin_dir.join(&c.name);
    let stem = |what: &str| ctx.out_dir.join(format!("{}.{what}", c.name));
    let mut cmd = Command::new(ELFCOMPAT);
    cmd.args(["patch", "--glibc", BASELINE, "--json"])
        .arg(&c.path)
        .arg("-o")
        .arg(&patched);
    let p = run(cmd, &stem("patch"), PATCH_TIMEOUT);
    let repro_patch = p.command.clone();
    match p.code {
        Some(0) => {}
        Some(1) => {
            let json: serde_json::Value = serde_json::from_str(&p.stdout).unwrap_or_default();
            let blockers = json
                .pointer("/plan/blockers")
                .and_then(|b| b.as_array())
                .map(|list| {
                    list.iter()
                        .map(|b| {
                            let s = |k: &str| {
                                b.get(k).and_then(|v| v.as_str()).unwrap_or("-").to_string()
                            };
                            (format!("{}@{}", s("symbol"), s("version")), s("reason"))
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if blockers.is_empty() {
                return (
                    Verdict::PatchFailed(format!(
                        "exit 1 without named blockers: {}",
                        p.stderr.trim()
                    )),
                    vec![repro_patch],
                );
            }
            return (Verdict::Refused(blockers), vec![repro_patch]);
        }
        Some(2) if p.stderr.contains("refused:") => {
            let reason = p.stderr.trim().lines().last().unwrap_or("").to_string();
            return (Verdict::LayoutRefused(reason), vec![repro_patch]);
        }
        _ => {
            return (
                Verdict::PatchFailed(format!("patch {}: {}", p.status(), p.stderr.trim())),
                vec![repro_patch],
            );
        }
    }

    // The original, on the host.
    let host_run = |arg: &str, tag: &str| {
        let mut cmd = Command::new(&c.path);
        program_env(&mut cmd, &ctx.home);
        cmd.arg(arg);
        run(cmd, &stem(&format!("host{tag}{arg}")), RUN_TIMEOUT)
    };
    let version = host_run("--version", "");
    let (arg, host) = if version.code == Some(0) {
        ("--version", version)
    } else {
        let help = host_run("--help", "");
        if help.code == Some(0) || version.timed_out {
            ("--help", help)
        } else {
            ("--version", version)
        }
    };
    if host.timed_out {
        return (Verdict::HostTimeout, vec![host.command]);
    }

    // The patched copy, under 2.31.
    let mut libpath = vec![ctx.rt.libpath.clone()];
    libpath.extend(origin_dirs(&c.real));
    libpath.push(ctx.lib_dir.display().to_string());
    libpath.extend(HOST_LIBS.iter().map(|s| s.to_string()));
    let libpath = libpath.join(":");
    let old_run = |tag: &str| {
        let mut cmd = Command::new(&ctx.rt.loader);
        program_env(&mut cmd, &ctx.home);
        cmd.arg("--inhibit-cache")
            .arg("--library-path")
            .arg(&libpath)
            .arg(&patched)
            .arg(arg);
        run(cmd, &stem(&format!("old{tag}{arg}")), RUN_TIMEOUT)
    };
    let old = old_run("");
    let repro = vec![repro_patch, host.command.clone(), old.command.clone()];

    let patched_s = patched.display().to_string();
    let path_s = c.path.display().to_string();
    let real_s = c.real.display().to_string();
    let norm = [
        (patched_s.as_str(), "<PROG>"),
        (real_s.as_str(), "<PROG>"),
        (path_s.as_str(), "<PROG>"),
    ];
    let host_out = normalise(&host.stdout, &norm);
    let old_out = normalise(&old.stdout, &norm);
    let same = |unordered: bool| Verdict::Same {
        arg,
        code: host.code,
        output: !host_out.trim().is_empty(),
        unordered,
    };
    if host.code == old.code && host.signal == old.signal && host_out == old_out && !old.timed_out {
        return (same(false), repro);
    }

    // Same exit, other stdout: some programs' output varies from run to run (groff
    // --version prints its subprocesses' lines in whatever order they finish). Run both
    // again a few times: any identical pair counts; else a difference in line order only
    // counts as the same (listed); else, if the host's own output varies, it is skipped.
    if host.code == old.code && host.signal == old.signal && !old.timed_out {
        let mut host_outs = BTreeSet::from([host_out.clone()]);
        let mut old_outs = BTreeSet::from([old_out.clone()]);
        for round in 1..=RETRIES {
            let h = host_run(arg, &format!("-again{round}"));
            let o = old_run(&format!("-again{round}"));
            if h.code == host.code && !h.timed_out {
                host_outs.insert(normalise(&h.stdout, &norm));
            }
            if o.code == old.code && !o.timed_out {
                old_outs.insert(normalise(&o.stdout, &norm));
            }
            if !host_outs.is_disjoint(&old_outs) {
                return (same(false), repro);
            }
        }
        let sorted = |t: &str| {
            let mut v: Vec<&str> = t.lines().collect();
            v.sort_unstable();
            v.join("\n")
        };
        if sorted(&host_out) == sorted(&old_out) {
            return (same(true), repro);
        }
        if host_outs.len() > 1 {
            return (Verdict::HostVaries, repro);
        }
    }

    // Does the program look for files relative to its own location? Then the fair
    // reference is an unpatched copy beside the patched one.
    let copy_dir = ctx.bin_dir.join("unpatched");
    let _ = std::fs::create_dir_all(&copy_dir);
    let copy = copy_dir.join(patched.file_name().unwrap_or_default());
    if std::fs::copy(&c.real, &copy).is_ok() {
        // A fresh copy can be briefly "busy" for exec while another test thread's fork
        // still holds the descriptor it was written through: retry that.
        let mut here = None;
        for attempt in 0..20 {
            let mut cmd = Command::new(&copy);
            program_env(&mut cmd, &ctx.home);
            cmd.arg(arg);
            let r = run(cmd, &stem(&format!("copy{attempt}{arg}")), RUN_TIMEOUT);
            let busy = r.code.is_none() && r.stderr.contains("busy");
            here = Some(r);
            if !busy {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let here = here.expect("ran");
        let copy_s = copy.display().to_string();
        let norm2 = [(copy_s.as_str(), "<PROG>"), (patched_s.as_str(), "<PROG>")];
        let here_out = normalise(&here.stdout, &norm2);
        if here.code == old.code
            && here_out == normalise(&old.stdout, &norm2)
            && (here.code != host.code || here_out != host_out)
        {
            return (Verdict::LocationDependent, repro);
        }
    }

    // Why not? The loader's messages tell a dependency's problem from ours.
    let e = loader_errors(&old.stderr);
    let is_self = |by: &str| by == patched_s;
    let own_glibc: Vec<String> = e
        .versions
        .iter()
        .filter(|(v, by)| is_self(by) && v.starts_with("GLIBC_"))
        .map(|(v, _)| v.clone())
        .chain(
            e.symbols
                .iter()
                .filter(|(obj, _)| is_self(obj))
                .map(|(_, s)| s.clone()),
        )
        .collect();
    if !own_glibc.is_empty() {
        return (
            Verdict::Failed(format!(
                "the patched binary itself still needs what glibc 2.31 lacks: {}",
                own_glibc.join(", ")
            )),
            repro,
        );
    }
    let deps: BTreeSet<String> = e
        .versions
        .iter()
        .filter(|(_, by)| !is_self(by))
        .map(|(_, by)| by.clone())
        .chain(
            e.symbols
                .iter()
                .filter(|(obj, _)| !is_self(obj))
                .map(|(o, _)| o.clone()),
        )
        .collect();
    if !deps.is_empty() {
        return (Verdict::DependencyNeedsNewerGlibc(deps), repro);
    }
    let own_other: BTreeSet<String> = e
        .versions
        .iter()
        .filter(|(v, by)| is_self(by) && !v.starts_with("GLIBC_"))
        .map(|(v, _)| v.clone())
        .collect();
    if !own_other.is_empty() {
        return (Verdict::CxxRuntimeTooOld(own_other), repro);
    }
    let why = if !e.missing.is_empty() {
        format!("libraries not found under 2.31: {}", e.missing.join(", "))
    } else if old.code != host.code || old.signal != host.signal || old.timed_out {
        format!(
            "{arg}: host {}, 2.31 {}; 2.31 stderr: {}",
            host.status(),
            old.status(),
            old.stderr
                .trim()
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ")
        )
    } else {
        format!(
            "{arg}: stdout differs: {}",
            first_difference(&host_out, &old_out)
        )
    };
    (Verdict::Failed(why), repro)
}

// ---------------------------------------------------------------------------------------

#[test]
fn usr_bin_patched_to_glibc_2_31_runs_the_same() {
    let started = Instant::now();
    if !Path::new(CORPUS).is_dir() {
        unavailable::<()>(TEST, &format!("no {CORPUS}"));
        return;
    }
    let rt = match fetch_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            unavailable::<()>(TEST, &format!("cannot get glibc {BASELINE}: {e}"));
            return;
        }
    };
    // Unique to this run: other test runs may share the target directory.
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus_usr_bin");
    std::fs::create_dir_all(&root).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&root)
        .unwrap();
    let work = tmp.path().to_path_buf();
    let ctx = Ctx {
        rt: &rt,
        bin_dir: work.join("bin"),
        out_dir: work.join("out"),
        lib_dir: work.join("lib"),
        home: work.join("home"),
    };
    for d in [&ctx.bin_dir, &ctx.out_dir, &ctx.home, &ctx.lib_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let libs = patch_host_libraries(&ctx.lib_dir);

    // The files: executables, each file once (symlinks and hard links).
    let mut entries: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for path in &entries {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        files.push((path.clone(), real));
    }
    let baseline = Baseline::glibc(GlibcVersion::parse(BASELINE).unwrap());
    let analysed: Vec<(PathBuf, PathBuf, Outcome)> = files
        .par_iter()
        .map(|(path, real)| {
            (
                path.clone(),
                real.clone(),
                analyze_path(path, Some(&baseline)).outcome,
            )
        })
        .collect();
    let mut elf = 0usize;
    let mut dynamic_exes = 0usize;
    let mut candidates = Vec::new();
    for (path, real, outcome) in analysed {
        let Outcome::Elf(a) = outcome else { continue };
        elf += 1;
        if !matches!(a.linkage, Linkage::Executable | Linkage::Pie) {
            continue;
        }
        dynamic_exes += 1;
        if a.target != Some("x86_64-linux-gnu") {
            continue;
        }
        if !a.violations.iter().any(|v| v.family == Family::Glibc) {
            continue;
        }
        candidates.push(Candidate {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            needs: a
                .min_glibc()
                .map(|v| v.as_str().to_string())
                .unwrap_or_default(),
            path,
            real,
        });
    }
    assert!(
        !candidates.is_empty(),
        "no executable in {CORPUS} needs glibc > {BASELINE}: nothing tested"
    );

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL)
        .build()
        .unwrap();
    let results: Vec<(Verdict, Vec<String>)> =
        pool.install(|| candidates.par_iter().map(|c| check_one(c, &ctx)).collect());

    // Counts.
    let mut same = Vec::new();
    let mut same_by: BTreeMap<String, usize> = BTreeMap::new();
    let mut same_weak = Vec::new();
    let mut unordered_same = Vec::new();
    let mut host_varies = Vec::new();
    let mut refused = 0usize;
    let mut blockers: BTreeMap<String, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut layout = Vec::new();
    let mut dep = Vec::new();
    let mut dep_libs: BTreeMap<String, usize> = BTreeMap::new();
    let mut cxx = Vec::new();
    println!("{libs}");
    let mut host_timeout = Vec::new();
    let mut location_dependent: Vec<String> = Vec::new();
    let mut failed = Vec::new();
    let mut patch_failed = Vec::new();
    let mut needs: BTreeMap<String, usize> = BTreeMap::new();
    for (c, (verdict, repro)) in candidates.iter().zip(&results) {
        *needs.entry(c.needs.clone()).or_default() += 1;
        match verdict {
            Verdict::Same {
                arg,
                code,
                output,
                unordered,
            } => {
                if *unordered {
                    unordered_same.push(c.name.clone());
                }
                *same_by
                    .entry(format!(
                        "{arg}, {}",
                        if *code == Some(0) && *output {
                            "exit 0 with output".to_string()
                        } else {
                            format!(
                                "exit {}, {}",
                                code.map_or("by signal".to_string(), |c| c.to_string()),
                                if *output { "output" } else { "no stdout" }
                            )
                        }
                    ))
                    .or_default() += 1;
                if *code != Some(0) || !*output {
                    same_weak.push(c.name.clone());
                }
                same.push(c.name.clone());
            }
            Verdict::Refused(list) => {
                refused += 1;
                let mut seen_reason = BTreeSet::new();
                for (b, r) in list {
                    *blockers.entry(format!("{b}: {r}")).or_default() += 1;
                    seen_reason.insert(r.clone());
                }
                for r in seen_reason {
                    *reasons.entry(r).or_default() += 1;
                }
            }
            Verdict::LayoutRefused(r) => layout.push(format!("{}: {r}", c.name)),
            Verdict::DependencyNeedsNewerGlibc(libs) => {
                for l in libs {
                    *dep_libs.entry(l.clone()).or_default() += 1;
                }
                dep.push(c.name.clone());
            }
            Verdict::CxxRuntimeTooOld(v) => cxx.push(format!(
                "{} ({})",
                c.name,
                v.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            Verdict::HostTimeout => host_timeout.push(c.name.clone()),
            Verdict::LocationDependent => location_dependent.push(c.name.clone()),
            Verdict::HostVaries => host_varies.push(c.name.clone()),
            Verdict::PatchFailed(why) => patch_failed.push(format!(
                "{} ({}): {why}\n    reproduce:\n      {}",
                c.path.display(),
                c.needs,
                repro.join("\n      ")
            )),
            Verdict::Failed(why) => failed.push(format!(
                "{} ({}): {why}\n    reproduce:\n      {}",
                c.path.display(),
                c.needs,
                repro.join("\n      ")
            )),
        }
    }
    let patched = candidates.len() - refused - layout.len() - patch_failed.len();
    let top = |m: &BTreeMap<String, usize>, n: usize| -> Vec<String> {
        let mut v: Vec<(&String, &usize)> = m.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.into_iter()
            .take(n)
            .map(|(k, c)| format!("{c:>5}  {k}"))
            .collect()
    };

    let mut r = vec![
        format!(
            "corpus_usr_bin: {CORPUS}: {} entries, {} distinct executable files, {elf} ELF, {dynamic_exes} dynamically linked executables",
            entries.len(),
            files.len()
        ),
        format!(
            "  candidates (need glibc > {BASELINE}): {}  [newest needed: {}]",
            candidates.len(),
            needs.iter().rev().map(|(k, v)| format!("{k} x{v}")).collect::<Vec<_>>().join(", ")
        ),
        format!("  patched: {patched}"),
        format!(
            "    ran identically under glibc {BASELINE} (exit code + stdout): {}  [{}]{}",
            same.len(),
            same_by.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "),
            if same_weak.is_empty() { String::new() } else { format!(" (not exit 0 with output: {})", same_weak.join(", ")) }
        ),
        format!(
            "      of which matched only up to line order (output order varies): {}{}",
            unordered_same.len(),
            if unordered_same.is_empty() { String::new() } else { format!(": {}", unordered_same.join(", ")) }
        ),
        format!(
            "    skipped, a library it loads needs a newer glibc or libstdc++ than bullseye's: {}  (top libraries named by the loader:)",
            dep.len()
        ),
    ];
    r.extend(top(&dep_libs, 10).into_iter().map(|l| format!("      {l}")));
    r.push(format!(
        "    skipped, the binary needs a GLIBCXX/CXXABI/GCC newer than bullseye's libstdc++/libgcc_s: {}{}",
        cxx.len(),
        if cxx.is_empty() { String::new() } else { format!(": {}", cxx.join(", ")) }
    ));
    r.push(format!(
        "    skipped, depends on its own path or name (an unpatched copy beside the patched one behaves the same): {}{}",
        location_dependent.len(),
        if location_dependent.is_empty() { String::new() } else { format!(": {}", location_dependent.join(", ")) }
    ));
    r.push(format!(
        "    skipped, the original times out on the host too: {}{}",
        host_timeout.len(),
        if host_timeout.is_empty() {
            String::new()
        } else {
            format!(": {}", host_timeout.join(", "))
        }
    ));
    r.push(format!(
        "    skipped, the original's output varies between host runs: {}{}",
        host_varies.len(),
        if host_varies.is_empty() {
            String::new()
        } else {
            format!(": {}", host_varies.join(", "))
        }
    ));
    r.push(format!(
        "    FAILED (patched, but differs or crashes): {}",
        failed.len()
    ));
    r.push(format!(
        "  refused with blockers (exit 1, nothing written): {refused}; by reason (binaries):"
    ));
    r.extend(top(&reasons, 10).into_iter().map(|l| format!("      {l}")));
    r.push("    top 10 blockers (binaries):".into());
    r.extend(top(&blockers, 10).into_iter().map(|l| format!("      {l}")));
    r.push(format!(
        "  refused for layout (exit 2, \"refused:\"): {}",
        layout.len()
    ));
    r.extend(layout.iter().map(|l| format!("      {l}")));
    r.push(format!(
        "  FAILED to patch (exit 2 other than a refusal, or no named blocker): {}",
        patch_failed.len()
    ));
    let all_failed: Vec<&String> = patch_failed.iter().chain(&failed).collect();
    if !all_failed.is_empty() {
        r.push("  failures:".into());
        r.extend(all_failed.iter().map(|f| format!("    {f}")));
    }
    r.push(format!(
        "  time: {:.1}s ({PARALLEL} at a time; files in {}, kept only on failure)",
        started.elapsed().as_secs_f64(),
        work.display()
    ));
    say(&r.join("\n"));

    if !all_failed.is_empty() || std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_some() {
        let _ = tmp.keep();
    }
    assert!(
        all_failed.is_empty(),
        "{} binaries failed to patch, or were patched but did not run the same under glibc {BASELINE}:\n{}",
        all_failed.len(),
        all_failed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// Patch every shared library of this machine (but glibc's own, libstdc++ and libgcc_s,
/// which bullseye's runtime supplies) to the baseline into `dir`. Returns a summary line;
/// a library elfcompat fails on (exit 2) fails the test.
fn patch_host_libraries(dir: &Path) -> String {
    const RUNTIME: [&str; 18] = [
        "libc.so",
        "libm.so",
        "libpthread.so",
        "libdl.so",
        "librt.so",
        "ld-linux",
        "libutil.so",
        "libresolv.so",
        "libanl.so",
        "libc_malloc",
        "libmemusage",
        "libpcprofile",
        "libthread_db",
        "libnss_",
        "libBrokenLocale",
        "libmvec",
        "libstdc++",
        "libgcc_s",
    ];
    let mut libs = Vec::new();
    let mut seen = HashSet::new();
    for d in HOST_LIBS {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut names: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if !name.contains(".so") || RUNTIME.iter().any(|r| name.starts_with(r)) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&p) else {
                continue;
            };
            if !meta.is_file() || !seen.insert(name.clone()) {
                continue;
            }
            if !elfcompat::scan::looks_like_elf(&p).unwrap_or(false) {
                continue;
            }
            libs.push((p, name));
        }
    }
    let results: Vec<(String, Option<i32>, String)> = libs
        .par_iter()
        .map(|(p, name)| {
            let out = Command::new(env!("CARGO_BIN_EXE_elfcompat"))
                .args(["patch", "--glibc", BASELINE])
                .arg(p)
                .arg("-o")
                .arg(dir.join(name))
                .output()
                .expect("elfcompat");
            (
                name.clone(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let patched = results.iter().filter(|r| r.1 == Some(0)).count();
    let refused = results.iter().filter(|r| r.1 == Some(1)).count();
    let failed: Vec<&(String, Option<i32>, String)> = results
        .iter()
        .filter(|r| r.1 != Some(0) && r.1 != Some(1))
        .collect();
    assert!(
        failed.is_empty(),
        "elfcompat failed on host libraries: {:?}",
        failed
            .iter()
            .map(|f| format!("{}: {}", f.0, f.2.trim()))
            .collect::<Vec<_>>()
    );
    format!(
        "  host shared libraries patched to {BASELINE} for the old loader: {} of {} ({} refused with blockers, originals used)",
        patched,
        results.len(),
        refused
    )
}
