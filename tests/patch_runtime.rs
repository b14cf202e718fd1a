//! Patched programs really run on an older glibc.
//!
//! Each test program in `testdata/runtime/` is compiled now, with the system's gcc, g++
//! or rustc (so it is linked against the host's glibc 2.36 and needs `GLIBC_2.34` at
//! least), then:
//!
//! 1. run as built on the host: the expected stdout and exit code;
//! 2. run as built under Debian 11's glibc 2.31 (`tools/old-glibc.sh bullseye amd64`):
//!    must FAIL with "version `GLIBC_2.34' not found" — without that, the test would
//!    prove nothing;
//! 3. `elfcompat patch --glibc 2.31`, then run under 2.31 and on the host: same stdout and
//!    exit code as 1 (with `LD_BIND_NOW=1`, so a missing function fails at load time);
//! 4. `elfcompat patch --glibc 2.17`, `elfcompat verify --glibc 2.17` must pass, and the
//!    result runs the same under 2.31 and on the host;
//! 5. patching a patched file again (same baseline) gives a byte-identical file, and
//!    patching the original with `--glibc 2.36` (already within it) changes nothing.
//!
//! The C programs print the glibc that runs them on stderr (`confstr`), and the test
//! checks that the old loader really gave them 2.31. The C++ program runs with
//! bullseye's libstdc++ (6.0.28, GCC 10) and must need nothing newer than
//! `GLIBCXX_3.4.28` / `CXXABI_1.3.12` (checked with readelf). The Rust program may import
//! symbols that have no version below 2.33 (`stat64`, `fstat64`): then `elfcompat` must
//! refuse with named blockers, and the test prints them.
//!
//! Each program works in its own `target/tmp/patch_runtime/<program>-XXXXXX/` (several
//! test runs may share a target directory), kept when the program fails (or when
//! `ELFCOMPAT_KEEP_TEST_FILES` is set); each failure message carries the commands that
//! reproduce it.
//!
//! Without a compiler or the old glibc the tests are skipped, unless `CI` is set, when
//! they fail. Run with `cargo test --release --test patch_runtime -- --nocapture` to see
//! the per-program summary lines.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
mod support_gen;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::OldRuntime;
use support_gen::{say, unavailable};

const TEST: &str = "patch_runtime";
const ELFCOMPAT: &str = env!("CARGO_BIN_EXE_elfcompat");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// How long one run of a test program, a compiler or elfcompat may take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// bullseye's libstdc++ (GCC 10): the newest versions it defines.
const BULLSEYE_GLIBCXX: [u32; 3] = [3, 4, 28];
const BULLSEYE_CXXABI: [u32; 3] = [1, 3, 12];

// ---------------------------------------------------------------------------------------
// Environment: the old glibc, the compilers, the work directory.

/// Bullseye's glibc 2.31 with its loader in place.
fn fetch_runtime() -> Result<OldRuntime, String> {
    let rt = common::fetch_old_runtime("bullseye", "amd64")?;
    if rt.glibc_version != "2.31" {
        return Err(format!("{}: not glibc 2.31", rt.env_file().display()));
    }
    if !rt.loader.is_file() {
        return Err(format!("loader {} missing", rt.loader.display()));
    }
    Ok(rt)
}

fn runtime() -> Option<&'static OldRuntime> {
    static RT: OnceLock<Result<OldRuntime, String>> = OnceLock::new();
    match RT.get_or_init(|| {
        let rt = fetch_runtime()?;
        say(&format!(
            "patch_runtime: glibc 2.31 from {}",
            rt.root.display()
        ));
        Ok(rt)
    }) {
        Ok(rt) => Some(rt),
        Err(e) => unavailable(TEST, &format!("cannot get glibc 2.31: {e}")),
    }
}

fn have_tool(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn source(name: &str) -> PathBuf {
    Path::new(MANIFEST_DIR).join("testdata/runtime").join(name)
}

/// A fresh directory for one program, unique to this run (other test runs may be going
/// on in the same target directory): `target/tmp/patch_runtime/<program>-XXXXXX`.
/// Removed when the program passes, kept when it fails (or with ELFCOMPAT_KEEP_TEST_FILES).
fn work_dir(name: &str) -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("patch_runtime");
    std::fs::create_dir_all(&root).unwrap();
    tempfile::Builder::new()
        .prefix(&format!("{name}-"))
        .tempdir_in(&root)
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Running things.

#[derive(Debug, Clone)]
struct Run {
    /// Exit code; None when killed by a signal (or timed out).
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    /// The command line, shell-quoted, for reproductions.
    command: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "$ {}\nexit code {:?}{}{}\n--- stdout\n{}--- stderr\n{}",
            self.command,
            self.code,
            self.signal
                .map(|s| format!(", signal {s}"))
                .unwrap_or_default(),
            if self.timed_out { ", TIMED OUT" } else { "" },
            self.stdout,
            self.stderr
        )
    }
}

/// Run with a deadline; the child (and only it) is killed when it passes.
fn run(mut cmd: Command) -> Run {
    let command = common::command_line(false, &cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    use std::os::unix::process::ExitStatusExt;
    Run {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        command,
    }
}

/// A test program's environment: deterministic locale, immediate binding, nothing
/// inherited that changes what gets loaded.
fn program_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("LD_BIND_NOW", "1")
        .env("LC_ALL", "C")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    cmd
}

/// On the host's glibc (2.36), as the binary asks.
fn run_host(bin: &Path, args: &[&str]) -> Run {
    let mut cmd = program_command(bin);
    cmd.args(args);
    run(cmd)
}

/// Under glibc 2.31, through its loader.
fn run_old(rt: &OldRuntime, bin: &Path, args: &[&str]) -> Run {
    let mut cmd = program_command(&rt.loader);
    cmd.arg("--inhibit-cache")
        .arg("--library-path")
        .arg(&rt.libpath)
        .arg(bin)
        .args(args);
    run(cmd)
}

/// The loader's view: which file each needed library resolves to under 2.31.
fn trace_old(rt: &OldRuntime, bin: &Path) -> Run {
    let mut cmd = program_command(&rt.loader);
    cmd.env("LD_TRACE_LOADED_OBJECTS", "1")
        .env("LD_WARN", "1")
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(&rt.libpath)
        .arg(bin);
    run(cmd)
}

fn elfcompat(args: &[&std::ffi::OsStr]) -> Run {
    let mut cmd = Command::new(ELFCOMPAT);
    cmd.args(args);
    run(cmd)
}

/// What `elfcompat patch --json` said.
#[derive(Debug)]
struct PatchResult {
    run: Run,
    json: Option<serde_json::Value>,
}

impl PatchResult {
    fn blockers(&self) -> Vec<(String, String, String)> {
        let Some(list) = self
            .json
            .as_ref()
            .and_then(|j| j.pointer("/plan/blockers"))
            .and_then(|b| b.as_array())
        else {
            return Vec::new();
        };
        list.iter()
            .map(|b| {
                let s = |k: &str| b.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                (s("symbol"), s("version"), s("reason"))
            })
            .collect()
    }

    fn method(&self) -> String {
        let j = self.json.as_ref();
        let field = |k: &str| {
            j.and_then(|j| j.get(k))
                .map(|v| v.to_string().trim_matches('"').to_string())
        };
        format!(
            "{}, {} -> {} B",
            field("method").unwrap_or_else(|| "?".into()),
            field("size_before").unwrap_or_else(|| "?".into()),
            field("size_after").unwrap_or_else(|| "?".into())
        )
    }
}

fn patch(glibc: &str, input: &Path, output: &Path, extra: &[&str]) -> PatchResult {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "patch".as_ref(),
        "--glibc".as_ref(),
        glibc.as_ref(),
        "--json".as_ref(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.extend([input.as_os_str(), "-o".as_ref(), output.as_os_str()]);
    let run = elfcompat(&args);
    let json = serde_json::from_str(&run.stdout).ok();
    PatchResult { run, json }
}

// ---------------------------------------------------------------------------------------
// The programs.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    C,
    Cxx,
    Rust,
}

struct Spec {
    name: &'static str,
    lang: Lang,
    source: &'static str,
    /// Compiler flags before the source.
    cflags: &'static [&'static str],
    /// Libraries after the source.
    libs: &'static [&'static str],
    /// Arguments for every run.
    args: &'static [&'static str],
    /// The program reports the running glibc on stderr.
    reports_libc: bool,
    /// Also build `libruntime.so` from `libruntime.c` and link the program against it.
    with_library: bool,
    /// The patch may be refused with blockers (symbols with no old version).
    may_be_blocked: bool,
    /// `symbol@VERSION`s the program as built must import (what it is there to test).
    imports: &'static [&'static str],
    /// `symbol@VERSION`s it must import once patched for 2.17.
    imports_2_17: &'static [&'static str],
}

const LIBRARY: &str = "libruntime.so";

impl Spec {
    fn compiler(&self) -> &'static str {
        match self.lang {
            Lang::C => "gcc",
            Lang::Cxx => "g++",
            Lang::Rust => "rustc",
        }
    }
}

/// Compile into `dir`; returns the executable.
fn build(spec: &Spec, dir: &Path, failures: &mut Vec<String>) -> Option<PathBuf> {
    let exe = dir.join(spec.name);
    let compile = |mut cmd: Command, failures: &mut Vec<String>| -> bool {
        let r = run({
            cmd.env_remove("LD_LIBRARY_PATH");
            cmd
        });
        if r.code != Some(0) {
            failures.push(format!("compiling failed\n{}", r.describe()));
            return false;
        }
        true
    };
    if spec.with_library {
        let mut cmd = Command::new("gcc");
        cmd.args(["-O2", "-Wall", "-fPIC", "-shared", "-pthread"])
            .arg(format!("-Wl,-soname,{LIBRARY}"))
            .arg("-o")
            .arg(dir.join(LIBRARY))
            .arg(source("libruntime.c"))
            .arg("-ldl");
        if !compile(cmd, failures) {
            return None;
        }
    }
    let mut cmd = Command::new(spec.compiler());
    match spec.lang {
        Lang::C | Lang::Cxx => {
            cmd.args(["-O2", "-Wall"])
                .args(spec.cflags)
                .arg("-o")
                .arg(&exe)
                .arg(source(spec.source));
            if spec.with_library {
                cmd.arg("-L")
                    .arg(dir)
                    .arg("-lruntime")
                    .arg("-Wl,-rpath,$ORIGIN");
            }
            cmd.args(spec.libs);
        }
        Lang::Rust => {
            cmd.args(["-O", "--edition", "2021"])
                .args(spec.cflags)
                .arg("-o")
                .arg(&exe)
                .arg(source(spec.source));
        }
    }
    if !compile(cmd, failures) {
        return None;
    }
    Some(exe)
}

/// The newest `PREFIX_a.b.c` version a file needs, from `readelf -V`.
fn newest_needed(bin: &Path, prefix: &str) -> Result<Option<(Vec<u32>, String)>, String> {
    let out = Command::new("readelf")
        .args(["-V", "--wide"])
        .arg(bin)
        .output()
        .map_err(|e| format!("cannot run readelf: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "readelf -V failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let needs = text
        .split("Version needs section")
        .nth(1)
        .ok_or("readelf -V shows no version needs")?;
    let mut newest: Option<(Vec<u32>, String)> = None;
    for word in needs.split(|c: char| c.is_whitespace()) {
        if let Some(rest) = word.strip_prefix(prefix) {
            let nums: Vec<u32> = rest.split('.').filter_map(|n| n.parse().ok()).collect();
            if newest.as_ref().is_none_or(|(n, _)| nums > *n) {
                newest = Some((nums, word.to_string()));
            }
        }
    }
    Ok(newest)
}

/// Whether `readelf --dyn-syms` shows each `symbol@VERSION` (imports).
fn check_imports(bin: &Path, wanted: &[&str], what: &str, failures: &mut Vec<String>) {
    if wanted.is_empty() {
        return;
    }
    let out = match Command::new("readelf")
        .args(["--dyn-syms", "--wide"])
        .arg(bin)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            failures.push(format!("cannot run readelf: {e}"));
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let names: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.contains(" UND "))
        .filter_map(|l| l.split_whitespace().nth(7))
        .collect();
    for w in wanted {
        if !names.contains(w) {
            failures.push(format!(
                "{what} ({}) does not import {w}; its undefined symbols: {}",
                bin.display(),
                names.iter().copied().collect::<Vec<_>>().join(" ")
            ));
        }
    }
}

/// A program run's comparable part.
fn outcome(r: &Run) -> (Option<i32>, Option<i32>, &str) {
    (r.code, r.signal, &r.stdout)
}

/// Check one program end to end; returns its summary line. Panics with every failure.
fn check_program(spec: &Spec) {
    let Some(rt) = runtime() else { return };
    if !have_tool(spec.compiler()) || (spec.with_library && !have_tool("gcc")) {
        let _: Option<()> = unavailable(
            TEST,
            &format!("{}: no {} on PATH", spec.name, spec.compiler()),
        );
        return;
    }
    let started = Instant::now();
    let tmp = work_dir(spec.name);
    let dir = tmp.path().to_path_buf();
    let orig_dir = dir.join("orig");
    std::fs::create_dir_all(&orig_dir).unwrap();
    let mut failures: Vec<String> = Vec::new();
    let mut summary: Vec<String> = Vec::new();
    let Some(orig) = build(spec, &orig_dir, &mut failures) else {
        panic!("{}: {}", spec.name, failures.join("\n"));
    };
    // Every file of the program: the library first (it is patched the same way).
    let files: Vec<&str> = if spec.with_library {
        vec![LIBRARY, spec.name]
    } else {
        vec![spec.name]
    };

    // The program imports what it is there to test.
    check_imports(&orig, spec.imports, "the program as built", &mut failures);

    // The C++ program must not need a libstdc++ newer than bullseye's.
    if spec.lang == Lang::Cxx {
        for (prefix, limit) in [
            ("GLIBCXX_", &BULLSEYE_GLIBCXX[..]),
            ("CXXABI_", &BULLSEYE_CXXABI[..]),
        ] {
            match newest_needed(&orig, prefix) {
                Ok(Some((nums, name))) => {
                    if nums.as_slice() > limit {
                        failures.push(format!(
                            "the C++ program needs {name}, newer than bullseye's libstdc++ provides ({prefix}{}): it cannot run there whatever elfcompat does",
                            limit.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
                        ));
                    } else {
                        summary.push(format!("needs {name}"));
                    }
                }
                Ok(None) => {}
                Err(e) => failures.push(e),
            }
        }
    }

    // 1. the expected behaviour: as built, on the host.
    let expected = run_host(&orig, spec.args);
    if expected.timed_out || expected.signal.is_some() {
        failures.push(format!(
            "the unpatched program does not even run on the host\n{}",
            expected.describe()
        ));
    }
    if spec.reports_libc && !expected.stderr.contains("running on glibc 2.36") {
        failures.push(format!(
            "expected the host run to report glibc 2.36\n{}",
            expected.describe()
        ));
    }
    summary.insert(
        0,
        format!(
            "host exit {}",
            expected.code.map_or("signal".into(), |c| c.to_string())
        ),
    );

    // 2. as built, under 2.31: refused by the loader.
    let unpatched_old = run_old(rt, &orig, spec.args);
    if unpatched_old.code == Some(0)
        || !unpatched_old
            .stderr
            .contains("version `GLIBC_2.34' not found")
    {
        failures.push(format!(
            "the unpatched program must fail under glibc 2.31 with \"version `GLIBC_2.34' not found\" (or the test proves nothing)\n{}",
            unpatched_old.describe()
        ));
    } else {
        summary.push("unpatched on 2.31: GLIBC_2.34 not found".into());
    }

    // 3 and 4. patch to 2.31 and to 2.17, verify, run on both glibcs.
    for glibc in ["2.31", "2.17"] {
        let out_dir = dir.join(format!("glibc-{glibc}"));
        let again_dir = dir.join(format!("glibc-{glibc}-again"));
        std::fs::create_dir_all(&out_dir).unwrap();
        std::fs::create_dir_all(&again_dir).unwrap();
        let mut patched_all = true;
        let mut methods = Vec::new();
        for f in &files {
            let input = orig_dir.join(f);
            let output = out_dir.join(f);
            let p = patch(glibc, &input, &output, &[]);
            match p.run.code {
                Some(0) => methods.push(format!("{f}: {}", p.method())),
                Some(1) if spec.may_be_blocked => {
                    patched_all = false;
                    let blockers = p.blockers();
                    let status = p
                        .json
                        .as_ref()
                        .and_then(|j| j.get("status"))
                        .and_then(|s| s.as_str());
                    if status != Some("blocked") || blockers.is_empty() {
                        failures.push(format!(
                            "exit 1 must mean a refusal with named blockers\n{}",
                            p.run.describe()
                        ));
                    }
                    for (sym, ver, reason) in &blockers {
                        if sym.is_empty() || ver.is_empty() || reason.is_empty() {
                            failures.push(format!("a blocker without symbol, version or reason: {sym:?} {ver:?} {reason:?}\n{}", p.run.describe()));
                        }
                    }
                    if output.exists() {
                        failures.push(format!("refused, but {} was written", output.display()));
                    }
                    let list: Vec<String> = blockers
                        .iter()
                        .map(|(s, v, r)| format!("{s}@{v} ({r})"))
                        .collect();
                    say(&format!(
                        "patch_runtime: {}: --glibc {glibc}: refused, blockers: {}",
                        spec.name,
                        list.join("; ")
                    ));
                    summary.push(format!(
                        "{glibc}: refused with {} named blocker(s): {}",
                        blockers.len(),
                        list.join(", ")
                    ));
                    if glibc == "2.31" {
                        allow_blockers_attempt(
                            spec,
                            rt,
                            &orig,
                            &out_dir,
                            &expected,
                            &blockers,
                            &mut summary,
                        );
                    }
                }
                _ => {
                    patched_all = false;
                    failures.push(format!(
                        "patch --glibc {glibc} {f} failed\n{}",
                        p.run.describe()
                    ));
                }
            }
        }
        if !patched_all {
            continue;
        }
        let exe = out_dir.join(spec.name);
        let mut notes = vec![format!("patched ({})", methods.join("; "))];

        if glibc == "2.17" {
            check_imports(&exe, spec.imports_2_17, "patched for 2.17", &mut failures);
            // 2.17 is not run here: the real loader checks it in trace mode against stub
            // libraries of glibc 2.17 that elfcompat generates (--loader-check).
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "verify".as_ref(),
                "--glibc".as_ref(),
                "2.17".as_ref(),
                "--loader-check".as_ref(),
            ];
            let paths: Vec<PathBuf> = files.iter().map(|f| out_dir.join(f)).collect();
            args.extend(paths.iter().map(|p| p.as_os_str()));
            let v = elfcompat(&args);
            if v.code != Some(0) {
                failures.push(format!(
                    "verify --glibc 2.17 --loader-check must pass on the patched files\n{}",
                    v.describe()
                ));
            } else {
                notes.push("verify --loader-check OK".into());
            }
        }

        // Patching the result again changes nothing.
        let mut idempotent = true;
        for f in &files {
            let once = out_dir.join(f);
            let twice = again_dir.join(f);
            let p = patch(glibc, &once, &twice, &[]);
            if p.run.code != Some(0) {
                idempotent = false;
                failures.push(format!(
                    "patching the patched {f} again failed\n{}",
                    p.run.describe()
                ));
            } else if std::fs::read(&once).unwrap() != std::fs::read(&twice).unwrap() {
                idempotent = false;
                failures.push(format!(
                    "patching the patched {f} again (--glibc {glibc}) changed it: compare {} and {}\n{}",
                    once.display(),
                    twice.display(),
                    p.run.describe()
                ));
            }
        }
        if idempotent {
            notes.push("re-patch byte-identical".into());
        }

        // Under 2.31 the C++ program gets bullseye's libstdc++, not the host's.
        if spec.lang == Lang::Cxx {
            let t = trace_old(rt, &exe);
            let want = rt.root.join("usr/lib/x86_64-linux-gnu/libstdc++.so.6");
            if !t
                .stdout
                .contains(&format!("libstdc++.so.6 => {}", want.display()))
            {
                failures.push(format!(
                    "under 2.31 the C++ program should load bullseye's {}\n{}",
                    want.display(),
                    t.describe()
                ));
            }
        }

        // The library the executable loads is the patched one next to it ($ORIGIN).
        if spec.with_library {
            let t = trace_old(rt, &exe);
            let want = out_dir.join(LIBRARY);
            if !t
                .stdout
                .contains(&format!("{LIBRARY} => {}", want.display()))
            {
                failures.push(format!(
                    "under 2.31 the executable should load {} through $ORIGIN\n{}",
                    want.display(),
                    t.describe()
                ));
            }
        }

        let failures_before = failures.len();
        for (label, r) in [
            ("2.31", run_old(rt, &exe, spec.args)),
            ("2.36", run_host(&exe, spec.args)),
        ] {
            if outcome(&r) != outcome(&expected) {
                failures.push(format!(
                    "patched for {glibc}, run under glibc {label}: exit code or stdout differ from the unpatched program on the host\n--- expected (unpatched, host)\n{}\n--- got\n{}",
                    expected.describe(),
                    r.describe()
                ));
            } else if spec.reports_libc && !r.stderr.contains(&format!("running on glibc {label}"))
            {
                failures.push(format!(
                    "expected the program to report glibc {label}\n{}",
                    r.describe()
                ));
            }
        }
        if failures.len() == failures_before {
            notes.push("same exit+stdout on 2.31 and 2.36".into());
        }
        summary.push(format!("{glibc}: {}", notes.join(", ")));
    }

    // The executable patched, the library not: the library's own GLIBC_2.34 stops it,
    // which shows that patching the library is what makes the pair run.
    if spec.with_library && dir.join("glibc-2.31").join(spec.name).exists() {
        let mixed = dir.join("mixed");
        std::fs::create_dir_all(&mixed).unwrap();
        std::fs::copy(
            dir.join("glibc-2.31").join(spec.name),
            mixed.join(spec.name),
        )
        .unwrap();
        std::fs::copy(orig_dir.join(LIBRARY), mixed.join(LIBRARY)).unwrap();
        let r = run_old(rt, &mixed.join(spec.name), spec.args);
        let needle = format!(
            "version `GLIBC_2.34' not found (required by {})",
            mixed.join(LIBRARY).display()
        );
        if !r.stderr.contains(&needle) {
            failures.push(format!("with only the executable patched, 2.31 should refuse the unpatched library: {needle}\n{}", r.describe()));
        } else {
            summary.push("unpatched library alone: GLIBC_2.34 not found".into());
        }
    }

    // 5. Already within the baseline: byte-identical.
    let same_dir = dir.join("glibc-2.36");
    std::fs::create_dir_all(&same_dir).unwrap();
    let mut noop = true;
    for f in &files {
        let input = orig_dir.join(f);
        let output = same_dir.join(f);
        let p = patch("2.36", &input, &output, &[]);
        if p.run.code != Some(0) {
            noop = false;
            failures.push(format!(
                "patch --glibc 2.36 of {f}, already within it, failed\n{}",
                p.run.describe()
            ));
        } else if std::fs::read(&input).unwrap() != std::fs::read(&output).unwrap() {
            noop = false;
            failures.push(format!(
                "patch --glibc 2.36 of {f}, already within it, changed the file: compare {} and {}",
                input.display(),
                output.display()
            ));
        }
    }
    if noop {
        summary.push("--glibc 2.36 byte-identical".into());
    }

    let line = format!(
        "patch_runtime: {:<9} {} [{:.1}s] {}",
        spec.name,
        if failures.is_empty() { "OK  " } else { "FAIL" },
        started.elapsed().as_secs_f64(),
        summary.join(" | ")
    );
    say(&line);
    if !failures.is_empty() || std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_some() {
        let _ = tmp.keep();
    }
    if !failures.is_empty() {
        panic!(
            "{}: {} failure(s) (files in {}):\n\n{}",
            spec.name,
            failures.len(),
            dir.display(),
            failures.join("\n\n")
        );
    }
}

/// For a refused program: what `--allow-blockers` makes of it. Informational: it may
/// be refused for layout reasons; when it is written, it must still run on the host
/// and the old loader must name one of the blocked versions.
fn allow_blockers_attempt(
    spec: &Spec,
    rt: &OldRuntime,
    orig: &Path,
    out_dir: &Path,
    expected: &Run,
    blockers: &[(String, String, String)],
    summary: &mut Vec<String>,
) {
    let partial = out_dir.join(format!("{}.allow-blockers", spec.name));
    let p = patch("2.31", orig, &partial, &["--allow-blockers"]);
    let note = match p.run.code {
        Some(0) => {
            let host = run_host(&partial, spec.args);
            let old = run_old(rt, &partial, spec.args);
            let host_ok = outcome(&host) == outcome(expected);
            let named = blockers
                .iter()
                .any(|(_, v, _)| old.stderr.contains(&format!("version `{v}' not found")));
            assert!(
                host_ok,
                "{}: --allow-blockers output no longer runs on the host\n{}",
                spec.name,
                host.describe()
            );
            format!(
                "--allow-blockers: written; host run identical; under 2.31 {}",
                if named {
                    "refused for the blocked version, as expected".to_string()
                } else {
                    format!("exit {:?}", old.code)
                }
            )
        }
        _ => format!(
            "--allow-blockers: not written ({}): {}",
            p.run
                .code
                .map_or("killed".to_string(), |c| format!("exit {c}")),
            p.run.stderr.trim().lines().last().unwrap_or("")
        ),
    };
    say(&format!("patch_runtime: {}: {note}", spec.name));
    summary.push(note);
}

// ---------------------------------------------------------------------------------------
// One test per program; the harness runs them in parallel.

#[test]
fn pthreads() {
    check_program(&Spec {
        name: "pthreads",
        lang: Lang::C,
        source: "pthreads.c",
        cflags: &["-pthread"],
        libs: &[],
        args: &[],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &[
            "pthread_create@GLIBC_2.34",
            "pthread_once@GLIBC_2.34",
            "pthread_key_create@GLIBC_2.34",
        ],
        imports_2_17: &[
            "pthread_create@GLIBC_2.2.5",
            "pthread_once@GLIBC_2.2.5",
            "__libc_start_main@GLIBC_2.2.5",
        ],
    });
}

#[test]
fn dlopen_dlsym() {
    check_program(&Spec {
        name: "dlopen",
        lang: Lang::C,
        source: "dlopen.c",
        cflags: &[],
        libs: &["-ldl"],
        args: &["0.75"],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &["dlopen@GLIBC_2.34", "dlsym@GLIBC_2.34"],
        imports_2_17: &["dlopen@GLIBC_2.2.5", "dlsym@GLIBC_2.2.5"],
    });
}

#[test]
fn math() {
    check_program(&Spec {
        name: "math",
        lang: Lang::C,
        source: "math.c",
        cflags: &[],
        libs: &["-lm"],
        args: &["2.5", "0.3"],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &[
            "pow@GLIBC_2.29",
            "exp@GLIBC_2.29",
            "log@GLIBC_2.29",
            "exp2@GLIBC_2.29",
            "log2@GLIBC_2.29",
        ],
        imports_2_17: &[
            "pow@GLIBC_2.2.5",
            "exp@GLIBC_2.2.5",
            "log@GLIBC_2.2.5",
            "exp2@GLIBC_2.2.5",
            "log2@GLIBC_2.2.5",
        ],
    });
}

#[test]
fn memcpy() {
    check_program(&Spec {
        name: "memcpy",
        lang: Lang::C,
        source: "memcpy.c",
        cflags: &["-fno-builtin-memcpy"],
        libs: &[],
        args: &[],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &["memcpy@GLIBC_2.14"],
        imports_2_17: &["memcpy@GLIBC_2.14"],
    });
}

#[test]
fn constructor_destructor() {
    check_program(&Spec {
        name: "ctor",
        lang: Lang::C,
        source: "ctor.c",
        cflags: &[],
        libs: &[],
        args: &["hello"],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &["__libc_start_main@GLIBC_2.34"],
        imports_2_17: &["__libc_start_main@GLIBC_2.2.5"],
    });
}

#[test]
fn cxx_iostream_exceptions() {
    check_program(&Spec {
        name: "cxx",
        lang: Lang::Cxx,
        source: "cxx.cc",
        cflags: &[],
        libs: &[],
        args: &["not-a-number"],
        reports_libc: true,
        with_library: false,
        may_be_blocked: false,
        imports: &["__libc_start_main@GLIBC_2.34", "__cxa_throw@CXXABI_1.3"],
        imports_2_17: &["__libc_start_main@GLIBC_2.2.5"],
    });
}

#[test]
fn rust_std() {
    check_program(&Spec {
        name: "rust",
        lang: Lang::Rust,
        source: "rust_main.rs",
        cflags: &[],
        libs: &[],
        args: &["alpha", "beta gamma"],
        reports_libc: false,
        with_library: false,
        may_be_blocked: true,
        imports: &["__libc_start_main@GLIBC_2.34", "pthread_create@GLIBC_2.34"],
        imports_2_17: &[],
    });
}

#[test]
fn shared_library_with_constructor() {
    check_program(&Spec {
        name: "shlib",
        lang: Lang::C,
        source: "shlib_main.c",
        cflags: &[],
        libs: &[],
        args: &[],
        reports_libc: true,
        with_library: true,
        may_be_blocked: false,
        imports: &["__libc_start_main@GLIBC_2.34"],
        imports_2_17: &["__libc_start_main@GLIBC_2.2.5"],
    });
}
