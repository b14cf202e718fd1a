//! Real programs bundled for Debian 11: the /usr/bin executables that `patch` alone cannot
//! make run on glibc 2.31 because of a library they load or their own C++ runtime needs.
//!
//! The candidates are chosen statically, with the library, not by running anything: an
//! x86_64 dynamic executable of /usr/bin (symlinks and hard links counted once) that needs
//! glibc > 2.31 and
//! - loads (resolved closure, `elfcompat::closure::Resolver`) a library that is not glibc's
//!   and needs a GLIBCXX/CXXABI/GCC version newer than bullseye's, or
//! - loads a library outside /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu (a
//!   private directory: `corpus_usr_bin` patches only those two) that needs glibc > 2.31,
//!   or else
//! - needs a GLIBCXX/CXXABI/GCC version newer than bullseye's libstdc++/libgcc_s itself.
//!
//! This is `corpus_usr_bin`'s "a dependency library needs a newer glibc" and "the binary
//! needs a GLIBCXX/CXXABI/GCC newer than bullseye's" (found there by running the patched
//! program under 2.31 and reading the loader's complaints); the test prints how many it
//! found against the 164 that test counted on the machine the issue was filed from.
//!
//! For each candidate:
//! 1. `bundle --target debian11 --dry-run --json PROGRAM`: exit 1 (blockers) or 2 (an error
//!    such as a library that cannot be found) is a refusal, counted by its reason;
//! 2. every planned program goes into ONE `bundle --target debian11 P1 P2 ... -o OUT` (shared
//!    libraries such as libLLVM are lowered once); when that run fails, each program is
//!    bundled alone so that the failure is attributed;
//! 3. `OUT/bin/NAME --version` runs in a chroot holding only bullseye's libc6, libstdc++6 and
//!    libgcc-s1 (`common::chroot`, `LD_BIND_NOW=1`), the bundle bound at /bundle, stdin
//!    /dev/null, a deadline; the original runs `--version` on the host with the same
//!    environment (`PATH=/usr/bin:/bin HOME=/ LANG=C LD_BIND_NOW=1`, working directory /).
//!    Exit code and stdout must match, the program's path normalised; when only stdout
//!    differs both run again a few times and any identical pair counts (output that varies
//!    from run to run).
//!
//! The fair control. The chroot has no /etc, no /usr/share, no locale or terminfo files, no
//! Python or Perl library: a program whose `--version` reads such files behaves differently
//! there whatever elfcompat does. So for each program that did not run the same, the
//! ORIGINAL files are bundled again with `--target debian12` (the host's own glibc 2.36 and
//! libstdc++: nothing is lowered, the same libraries are shipped with the same `$ORIGIN`
//! RUNPATH) and run in the equivalent chroot of bookworm (its libc6, libstdc++6 and
//! libgcc-s1 only, the host's versions). When that control behaves exactly as the debian11
//! bundle did (exit code and stdout), the difference is the minimal chroot's (or the move
//! to OUT/bin), not the lowering's: such programs are counted separately and listed by
//! name. Two kinds are expected on Debian 12: programs that need a library the policy
//! leaves to the target (libcrypt.so.1 — Priority: required in Debian 11, so on every real
//! bullseye system, but not in this root — or libX11.so.6): those programs are bundled
//! again with `--include` for each such library (and what it needs in turn, up to six
//! rounds) and must then run the same; the ones still missing a library are counted by it;
//! and
//! programs that find their own files relative to where they are installed (the JDK's
//! launchers look for libjava.so relative to their real path: the JDK is shipped as a tree,
//! `bundle --library-path JDK/lib/server JDK`), or read what the root lacks (apt's
//! /etc/apt, gdb's Python library, icuinfo's time zone). Anything else —
//! a planned bundle that cannot be written, a bundle that runs otherwise than both the
//! host and the control — fails the test, listed with the commands that reproduce it.
//!
//! Programs whose `--version` does not finish on the host are left out (listed). The run's
//! directory (`target/tmp/bundle_usr_bin/run-XXXXXX`: bundles, outputs) is removed when the
//! test passes and kept when it fails (or with `ELFCOMPAT_KEEP_TEST_FILES`). Needs root for
//! the chroot; without it, /usr/bin or the Debian runtimes the test is skipped, unless `CI`
//! is set. Run with `cargo test --release --test bundle_usr_bin -- --show-output`.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
mod support_gen;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use elfcompat::abi;
use elfcompat::baseline::Baseline;
use elfcompat::bundle::policy::is_glibc;
use elfcompat::closure::Resolver;
use elfcompat::elf::Linkage;
use elfcompat::report::{analyze_path, Outcome};
use elfcompat::versym::Family;
use rayon::prelude::*;

use common::chroot::{chroot_available, chroot_command, chroot_root, ChrootOptions};
use support_gen::{say, unavailable};

/// A program's closure: its libraries' paths and sonames, or why it has none.
type ClosureOf = Result<(Vec<PathBuf>, Vec<String>), String>;

/// A bundled program's run: its name, the outcome (the run and why, on a difference), notes.
type RunOf = (String, Result<(), (Run, String)>, Vec<String>);

const TEST: &str = "bundle_usr_bin";
const ELFCOMPAT: &str = env!("CARGO_BIN_EXE_elfcompat");
const CORPUS: &str = "/usr/bin";
const TARGET: &str = "debian11";
/// The control's target: the host's own glibc and libstdc++ (bookworm).
const CONTROL_TARGET: &str = "debian12";
/// The directories `corpus_usr_bin` patches its programs' libraries in.
const HOST_LIBS: [&str; 2] = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"];
/// What `corpus_usr_bin` counted (issue #11): the figure this test's set is compared with.
const CORPUS_COUNT: usize = 164;
/// Per run of a program (host or chroot).
const RUN_TIMEOUT: Duration = Duration::from_secs(10);
/// Per `bundle --dry-run` of one program.
const PLAN_TIMEOUT: Duration = Duration::from_secs(300);
/// Per written bundle (all programs at once: every library lowered and verified).
const BUNDLE_TIMEOUT: Duration = Duration::from_secs(1800);
/// A program writing more than this is stopped (and compared on what it wrote).
const OUTPUT_CAP: u64 = 8 << 20;
/// Extra runs of both when only stdout differs.
const RETRIES: usize = 3;
/// Programs run at once: mostly process and chroot start-up.
const PARALLEL: usize = 4;

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

    /// The first lines of stderr, for a message.
    fn stderr_head(&self) -> String {
        self.stderr
            .trim()
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

fn read_capped(path: &Path) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(OUTPUT_CAP).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Run `cmd` in a process group of its own, stdout and stderr to `stem.out` / `stem.err`
/// (a program's children may keep pipes open; files do not block), stdin /dev/null; at the
/// deadline or past the output cap the whole group is killed.
fn run(mut cmd: Command, stem: &Path, timeout: Duration) -> Run {
    let command = common::command_line(false, &cmd);
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

/// The original on the host, in the environment `chroot-run.sh` gives the bundled copy.
fn host_command(path: &Path) -> Command {
    let mut cmd = Command::new(path);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/")
        .env("LANG", "C")
        .env("LD_BIND_NOW", "1")
        .current_dir("/")
        .arg("--version");
    cmd
}

/// `/bundle/bin/NAME --version` in `root` with `bundle` bound at /bundle.
fn chroot_version(root: &Path, bundle: &Path, name: &str) -> Command {
    let prog = format!("/bundle/bin/{name}");
    let binds = [(bundle, "/bundle")];
    let opts = ChrootOptions {
        binds: &binds,
        ..Default::default()
    };
    chroot_command(root, &opts, &[&prog, "--version"])
}

// ---------------------------------------------------------------------------------------
// The candidates.

struct Candidate {
    /// The /usr/bin path (what is bundled: its name becomes bin/NAME).
    path: PathBuf,
    name: String,
    /// The resolved file.
    real: PathBuf,
    /// Why `patch` alone is not enough.
    why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Why {
    /// Its own GLIBCXX/CXXABI/GCC requirements exceed bullseye's (the versions).
    OwnCxxRuntime(BTreeSet<String>),
    /// A library it loads needs a newer C++ runtime, or lives outside the patched
    /// directories and needs a newer glibc (the libraries).
    Library(BTreeSet<String>),
}

const CXX_FAMILIES: [Family; 3] = [Family::Glibcxx, Family::Cxxabi, Family::Gcc];

/// (needs glibc > 2.31, the C++ runtime versions newer than bullseye's) of one ELF file, or
/// None when it is not an x86_64 ELF file the library reads.
fn needs(path: &Path, baseline: &Baseline) -> Option<(bool, BTreeSet<String>, Linkage)> {
    let Outcome::Elf(a) = analyze_path(path, Some(baseline)).outcome else {
        return None;
    };
    if a.target != Some("x86_64-linux-gnu") {
        return None;
    }
    let glibc = a.violations.iter().any(|v| v.family == Family::Glibc);
    let cxx = a
        .violations
        .iter()
        .filter(|v| CXX_FAMILIES.contains(&v.family))
        .map(|v| v.version.to_string())
        .collect();
    Some((glibc, cxx, a.linkage))
}

/// Every executable of /usr/bin once: (path, real path).
fn usr_bin_executables() -> Vec<(PathBuf, PathBuf)> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for path in entries {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        files.push((path, real));
    }
    files
}

/// The candidates, and the programs left out because their closure is incomplete.
fn candidates(baseline: &Baseline) -> (Vec<Candidate>, Vec<String>) {
    let resolver = Resolver::new(Path::new("/"), Vec::new()).unwrap();
    let programs: Vec<(PathBuf, PathBuf, BTreeSet<String>)> = usr_bin_executables()
        .into_par_iter()
        .filter_map(|(path, real)| {
            let (glibc, cxx, linkage) = needs(&path, baseline)?;
            let exe = matches!(linkage, Linkage::Executable | Linkage::Pie);
            (exe && glibc).then_some((path, real, cxx))
        })
        .collect();
    // Each program's closure; each library analysed once.
    let closures: Vec<ClosureOf> = programs
        .par_iter()
        .map(|(path, _, _)| {
            let c = resolver
                .closure(std::slice::from_ref(path))
                .map_err(|e| e.to_string())?;
            let libs = c
                .objects
                .iter()
                .filter(|o| !o.root)
                .filter(|o| {
                    let name = o.soname.clone().unwrap_or_else(|| {
                        o.path.file_name().unwrap().to_string_lossy().into_owned()
                    });
                    !is_glibc(&name)
                })
                .map(|o| o.canonical.clone())
                .collect();
            let missing = c
                .missing
                .iter()
                .map(|m| format!("{} (needed by {})", m.name, m.needed_by.display()))
                .collect();
            Ok((libs, missing))
        })
        .collect();
    let all_libs: BTreeSet<&PathBuf> = closures
        .iter()
        .flatten()
        .flat_map(|(libs, _)| libs)
        .collect();
    let lib_needs: HashMap<&PathBuf, (bool, BTreeSet<String>)> = all_libs
        .into_par_iter()
        .filter_map(|l| needs(l, baseline).map(|(g, c, _)| (l, (g, c))))
        .collect();
    let outside = |l: &Path| {
        let dir = l.parent().unwrap_or(Path::new("/"));
        !HOST_LIBS.iter().any(|h| dir == Path::new(h))
    };
    let mut out = Vec::new();
    let mut incomplete = Vec::new();
    for ((path, real, own), closure) in programs.into_iter().zip(&closures) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (libs, missing) = match closure {
            Ok(c) => c,
            Err(e) => {
                incomplete.push(format!("{name}: {e}"));
                continue;
            }
        };
        if !missing.is_empty() {
            incomplete.push(format!("{name}: not found: {}", missing.join(", ")));
            continue;
        }
        // A library's problem first, as `corpus_usr_bin` counts them (the old loader names
        // the library before the program's own C++ runtime versions).
        let bad: BTreeSet<String> = libs
            .iter()
            .filter(|l| {
                lib_needs
                    .get(l)
                    .is_some_and(|(g, c)| !c.is_empty() || (*g && outside(l)))
            })
            .map(|l| l.display().to_string())
            .collect();
        let why = if !bad.is_empty() {
            Some(Why::Library(bad))
        } else {
            (!own.is_empty()).then_some(Why::OwnCxxRuntime(own))
        };
        if let Some(why) = why {
            out.push(Candidate {
                path,
                name,
                real,
                why,
            });
        }
    }
    (out, incomplete)
}

// ---------------------------------------------------------------------------------------
// Plans and bundles.

/// What `bundle --dry-run` said of one program.
enum Planned {
    Ok,
    /// The reason, with the program's path taken out (so refusals group).
    Refused(String),
}

/// `bundle --target TARGET --json [--include LIB]... [--dry-run] INPUTS -o OUT`.
fn bundle_command(
    target: &str,
    include: &[String],
    inputs: &[&Path],
    out: &Path,
    dry_run: bool,
) -> Command {
    let mut cmd = Command::new(ELFCOMPAT);
    cmd.args(["bundle", "--target", target, "--json"]);
    for lib in include {
        cmd.arg("--include").arg(lib);
    }
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.args(inputs).arg("-o").arg(out);
    cmd
}

fn plan_one(c: &Candidate, work: &Path) -> Result<Planned, String> {
    let stem = work.join("out").join(format!("{}.plan", c.name));
    let out = work.join("never-written").join(&c.name);
    let r = run(
        bundle_command(TARGET, &[], &[&c.path], &out, true),
        &stem,
        PLAN_TIMEOUT,
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    let error = json.get("error").and_then(|e| e.as_str());
    match (r.code, error) {
        (Some(0), _) if json.get("plan").is_some() => Ok(Planned::Ok),
        (Some(1 | 2), Some(e)) => {
            let reason = e
                .replace(&c.path.display().to_string(), "<PROG>")
                .replace(&c.real.display().to_string(), "<PROG>");
            Ok(Planned::Refused(reason))
        }
        _ => Err(format!(
            "bundle --dry-run: {}; stderr: {}\n      {}",
            r.status(),
            r.stderr_head(),
            r.command
        )),
    }
}

/// Bundle `group` for `target` into `dir` in one run; when that fails, each program alone
/// into `dir/../NAME`. Returns program name -> its bundle directory, or why it has none.
fn bundle_group(
    target: &str,
    include: &[String],
    group: &[&Candidate],
    dir: &Path,
    work: &Path,
) -> BTreeMap<String, Result<PathBuf, String>> {
    let inputs: Vec<&Path> = group.iter().map(|c| c.path.as_path()).collect();
    let tag = dir.file_name().unwrap().to_string_lossy().into_owned();
    let stem = work.join("out").join(format!("bundle-{tag}"));
    let started = Instant::now();
    let r = run(
        bundle_command(target, include, &inputs, dir, false),
        &stem,
        BUNDLE_TIMEOUT,
    );
    say(&format!(
        "{TEST}: bundle --target {target}{} of {} programs: {} in {:.0?}",
        include
            .iter()
            .map(|l| format!(" --include {l}"))
            .collect::<String>(),
        group.len(),
        r.status(),
        started.elapsed()
    ));
    if r.code == Some(0) {
        return group
            .iter()
            .map(|c| (c.name.clone(), Ok(dir.to_path_buf())))
            .collect();
    }
    say(&format!(
        "{TEST}: the combined bundle failed ({}): {}\n  {TEST}: bundling each program alone",
        r.status(),
        r.stderr_head()
    ));
    let singles = dir.with_file_name(format!("{tag}-single"));
    std::fs::create_dir_all(&singles).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        group
            .par_iter()
            .map(|c| {
                let out = singles.join(&c.name);
                let stem = work.join("out").join(format!("{}.bundle-{tag}", c.name));
                let r = run(
                    bundle_command(target, include, &[&c.path], &out, false),
                    &stem,
                    BUNDLE_TIMEOUT,
                );
                let result = if r.code == Some(0) {
                    Ok(out)
                } else {
                    let json: serde_json::Value =
                        serde_json::from_str(&r.stdout).unwrap_or_default();
                    let error = json
                        .get("error")
                        .and_then(|e| e.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| r.stderr_head());
                    Err(format!(
                        "bundle {}: {error}\n      {}",
                        r.status(),
                        r.command
                    ))
                };
                (c.name.clone(), result)
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------
// Running and comparing.

fn normalise(text: &str, c: &Candidate) -> String {
    let bundled = format!("/bundle/bin/{}", c.name);
    let mut t = text.to_string();
    for from in [
        bundled.as_str(),
        &c.real.display().to_string(),
        &c.path.display().to_string(),
    ] {
        t = t.replace(from, "<PROG>");
    }
    t
}

/// (exit code, signal, normalised stdout) of a finished run; None when it timed out.
type Outcome3 = (Option<i32>, Option<i32>, String);

fn outcome(r: &Run, c: &Candidate) -> Option<Outcome3> {
    (!r.timed_out).then(|| (r.code, r.signal, normalise(&r.stdout, c)))
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: host {:?} / bundle {:?}", i + 1, x, y);
        }
    }
    format!(
        "{} lines on the host, {} from the bundle",
        a.lines().count(),
        b.lines().count()
    )
}

/// Run `bundled` (and the host's original again) until an identical pair shows up, a few
/// times: Ok when the bundle ran the same, else the bundle's first outcome and why not.
fn compare(
    c: &Candidate,
    host: &Run,
    bundled: &dyn Fn(&str) -> Run,
    work: &Path,
) -> Result<(), (Run, String)> {
    let first = bundled("");
    let host_o = outcome(host, c);
    let first_o = outcome(&first, c);
    if host_o.is_some() && host_o == first_o {
        return Ok(());
    }
    let same_status = first_o
        .as_ref()
        .zip(host_o.as_ref())
        .is_some_and(|(b, h)| (b.0, b.1) == (h.0, h.1));
    if same_status {
        let mut host_outs = BTreeSet::from([host_o.clone().unwrap().2]);
        let mut bundle_outs = BTreeSet::from([first_o.clone().unwrap().2]);
        for round in 1..=RETRIES {
            let stem = work
                .join("out")
                .join(format!("{}.host-again{round}", c.name));
            let h = run(host_command(&c.path), &stem, RUN_TIMEOUT);
            let b = bundled(&format!("-again{round}"));
            if let Some(o) = outcome(&h, c).filter(|o| (o.0, o.1) == (host.code, host.signal)) {
                host_outs.insert(o.2);
            }
            if let Some(o) = outcome(&b, c).filter(|o| (o.0, o.1) == (host.code, host.signal)) {
                bundle_outs.insert(o.2);
            }
            if !host_outs.is_disjoint(&bundle_outs) {
                return Ok(());
            }
        }
    }
    let why = match (&host_o, &first_o) {
        (Some(h), Some(b)) if (h.0, h.1) == (b.0, b.1) => {
            format!("stdout differs: {}", first_difference(&h.2, &b.2))
        }
        _ => format!(
            "host {}, bundle {}; bundle stderr: {}",
            host.status(),
            first.status(),
            first.stderr_head()
        ),
    };
    Err((first, why))
}

/// The library the loader could not find ("error while loading shared libraries: X: cannot
/// open shared object file"), if that is why the program did not start.
fn missing_library(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|line| {
        let rest = line
            .split("error while loading shared libraries: ")
            .nth(1)?;
        let (lib, why) = rest.split_once(": ")?;
        why.starts_with("cannot open shared object file")
            .then(|| lib.to_string())
    })
}

#[derive(Debug)]
enum Verdict {
    Same,
    /// Ran the same once bundled with `--include` for the libraries the root lacks.
    SameWithInclude,
    /// The original's `--version` does not finish on the host.
    HostTimeout,
    /// The plan refused it (the reason).
    Refused(String),
    /// Differs from the host exactly as the unlowered control in bookworm's chroot does:
    /// a library left to the target that the minimal root lacks (its name), or else why.
    Environment {
        missing_library: Option<String>,
        why: String,
    },
    /// elfcompat's failure (or one to look at): why, and the commands.
    Failed(String, Vec<String>),
}

// ---------------------------------------------------------------------------------------

#[test]
fn usr_bin_bundled_for_debian11_runs_the_same() {
    let started = Instant::now();
    if !Path::new(CORPUS).is_dir() {
        unavailable::<()>(TEST, &format!("no {CORPUS}"));
        return;
    }
    if let Err(e) = chroot_available("amd64") {
        unavailable::<()>(TEST, &e);
        return;
    }
    let (old_root, control_root) = match (
        chroot_root("bullseye", "amd64"),
        chroot_root("bookworm", "amd64"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            unavailable::<()>(TEST, &e);
            return;
        }
    };
    let baseline = Baseline::from_preset(abi::preset(TARGET).unwrap());

    let (cands, incomplete) = candidates(&baseline);
    let own = cands
        .iter()
        .filter(|c| matches!(c.why, Why::OwnCxxRuntime(_)))
        .count();
    say(&format!(
        "{TEST}: {} candidates ({} need a newer C++ runtime themselves, {} load a library that needs more than bullseye has); corpus_usr_bin counted {CORPUS_COUNT}; {} left out, closure incomplete{}",
        cands.len(),
        own,
        cands.len() - own,
        incomplete.len(),
        incomplete.iter().map(|s| format!("\n    {s}")).collect::<String>(),
    ));
    assert!(
        !cands.is_empty(),
        "no candidate in {CORPUS}: nothing tested"
    );

    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(TEST);
    std::fs::create_dir_all(&root).unwrap();
    let tmp = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&root)
        .unwrap();
    let work = tmp.path().to_path_buf();
    std::fs::create_dir_all(work.join("out")).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(PARALLEL)
        .build()
        .unwrap();

    // The host's runs, and the plans.
    let host: Vec<Run> = pool.install(|| {
        cands
            .par_iter()
            .map(|c| {
                let stem = work.join("out").join(format!("{}.host", c.name));
                run(host_command(&c.path), &stem, RUN_TIMEOUT)
            })
            .collect()
    });
    let plans: Vec<Result<Planned, String>> =
        pool.install(|| cands.par_iter().map(|c| plan_one(c, &work)).collect());
    say(&format!(
        "{TEST}: host runs and plans done after {:.0?}",
        started.elapsed()
    ));

    let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
    let mut to_bundle = Vec::new();
    for ((c, h), p) in cands.iter().zip(&host).zip(plans) {
        let v = match p {
            Err(e) => Verdict::Failed(e, vec![]),
            Ok(Planned::Refused(r)) => Verdict::Refused(r),
            Ok(Planned::Ok) if h.timed_out => Verdict::HostTimeout,
            Ok(Planned::Ok) => {
                to_bundle.push(c);
                continue;
            }
        };
        verdicts.insert(c.name.clone(), v);
    }

    // One bundle for all (or each alone), then each program in bullseye's chroot.
    let bundles = bundle_group(TARGET, &[], &to_bundle, &work.join(TARGET), &work);
    let host_of: HashMap<&str, &Run> = cands
        .iter()
        .zip(&host)
        .map(|(c, h)| (c.name.as_str(), h))
        .collect();
    let runs: Vec<RunOf> = pool.install(|| {
        to_bundle
            .par_iter()
            .filter_map(|c| {
                let dir = bundles.get(&c.name)?.as_ref().ok()?;
                let bundled = |tag: &str| {
                    let stem = work.join("out").join(format!("{}.{TARGET}{tag}", c.name));
                    run(chroot_version(&old_root, dir, &c.name), &stem, RUN_TIMEOUT)
                };
                let h = host_of[c.name.as_str()];
                let result = compare(c, h, &bundled, &work);
                let repro = vec![
                    common::command_line(
                        false,
                        &bundle_command(TARGET, &[], &[&c.path], dir, false),
                    ),
                    h.command.clone(),
                    common::command_line(false, &chroot_version(&old_root, dir, &c.name)),
                ];
                Some((c.name.clone(), result, repro))
            })
            .collect()
    });
    for c in &to_bundle {
        if let Some(Err(e)) = bundles.get(&c.name) {
            verdicts.insert(
                c.name.clone(),
                Verdict::Failed(format!("planned, but not written: {e}"), vec![]),
            );
        }
    }

    // The control for each that differed: the original files bundled for bookworm, unlowered,
    // in bookworm's chroot.
    let mut differed: BTreeMap<String, (Run, String, Vec<String>)> = BTreeMap::new();
    for (name, result, repro) in runs {
        match result {
            Ok(()) => {
                verdicts.insert(name, Verdict::Same);
            }
            Err((r, why)) => {
                differed.insert(name, (r, why, repro));
            }
        }
    }
    if !differed.is_empty() {
        let group: Vec<&Candidate> = to_bundle
            .iter()
            .copied()
            .filter(|c| differed.contains_key(&c.name))
            .collect();
        let controls = bundle_group(CONTROL_TARGET, &[], &group, &work.join("control"), &work);
        let judged: Vec<(String, Verdict)> = pool.install(|| {
            group
                .par_iter()
                .map(|c| {
                    let (old, why, mut repro) = differed[&c.name].clone();
                    let control = match &controls[&c.name] {
                        Ok(dir) => {
                            let stem = work.join("out").join(format!("{}.control", c.name));
                            let cmd = chroot_version(&control_root, dir, &c.name);
                            repro.push(common::command_line(false, &cmd));
                            Some(run(cmd, &stem, RUN_TIMEOUT))
                        }
                        Err(_) => None,
                    };
                    let verdict = match control {
                        Some(ctl)
                            if outcome(&ctl, c).is_some()
                                && outcome(&ctl, c) == outcome(&old, c) =>
                        {
                            Verdict::Environment {
                                missing_library: missing_library(&old.stderr),
                                why,
                            }
                        }
                        Some(ctl) => Verdict::Failed(
                            format!(
                                "{why}; control in bookworm's chroot: {}, stderr: {}",
                                ctl.status(),
                                ctl.stderr_head()
                            ),
                            repro,
                        ),
                        None => Verdict::Failed(
                            format!("{why}; the control bundle could not be written"),
                            repro,
                        ),
                    };
                    (c.name.clone(), verdict)
                })
                .collect()
        });
        verdicts.extend(judged);
    }

    // A library the policy leaves to the target that the minimal root lacks: bundle those
    // programs again with `--include` for it — and for what it needs in turn, a few rounds
    // — so that they are tested in the chroot after all.
    let mut include: BTreeSet<String> = BTreeSet::new();
    for round in 1..=6 {
        let pending: Vec<&Candidate> = to_bundle
            .iter()
            .copied()
            .filter(|c| {
                matches!(
                    verdicts.get(&c.name),
                    Some(Verdict::Environment {
                        missing_library: Some(_),
                        ..
                    })
                )
            })
            .collect();
        let before = include.len();
        for c in &pending {
            if let Some(Verdict::Environment {
                missing_library: Some(lib),
                ..
            }) = verdicts.get(&c.name)
            {
                include.insert(lib.clone());
            }
        }
        if pending.is_empty() || include.len() == before {
            break;
        }
        let include: Vec<String> = include.iter().cloned().collect();
        let dir = work.join(format!("{TARGET}-include{round}"));
        let bundles = bundle_group(TARGET, &include, &pending, &dir, &work);
        let judged: Vec<(String, Verdict)> = pool.install(|| {
            pending
                .par_iter()
                .map(|c| {
                    let repro = |dir: &Path| {
                        vec![
                            common::command_line(
                                false,
                                &bundle_command(TARGET, &include, &[&c.path], dir, false),
                            ),
                            common::command_line(false, &chroot_version(&old_root, dir, &c.name)),
                        ]
                    };
                    let dir = match &bundles[&c.name] {
                        Ok(dir) => dir,
                        Err(e) => {
                            let why = format!("with --include, not written: {e}");
                            return (c.name.clone(), Verdict::Failed(why, vec![]));
                        }
                    };
                    let bundled = |tag: &str| {
                        let stem = work
                            .join("out")
                            .join(format!("{}.include{round}{tag}", c.name));
                        run(chroot_version(&old_root, dir, &c.name), &stem, RUN_TIMEOUT)
                    };
                    let verdict = match compare(c, host_of[c.name.as_str()], &bundled, &work) {
                        Ok(()) => Verdict::SameWithInclude,
                        Err((r, why)) => match missing_library(&r.stderr) {
                            Some(lib) => Verdict::Environment {
                                missing_library: Some(lib),
                                why,
                            },
                            None => Verdict::Failed(
                                format!(
                                    "bundled with --include {}: {why}",
                                    include.join(" --include ")
                                ),
                                repro(dir),
                            ),
                        },
                    };
                    (c.name.clone(), verdict)
                })
                .collect()
        });
        verdicts.extend(judged);
    }

    // Counts.
    let mut same = Vec::new();
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut environment = Vec::new();
    let mut same_with_include = Vec::new();
    let mut not_in_root: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut host_timeout = Vec::new();
    let mut failed = Vec::new();
    for (name, v) in &verdicts {
        match v {
            Verdict::Same => same.push(name.clone()),
            Verdict::SameWithInclude => same_with_include.push(name.clone()),
            Verdict::HostTimeout => host_timeout.push(name.clone()),
            Verdict::Refused(r) => refused.entry(r.clone()).or_default().push(name.clone()),
            Verdict::Environment {
                missing_library: Some(lib),
                ..
            } => not_in_root
                .entry(lib.clone())
                .or_default()
                .push(name.clone()),
            Verdict::Environment { why, .. } => environment.push(format!("{name}: {why}")),
            Verdict::Failed(why, repro) => failed.push(format!(
                "{name}: {why}{}",
                repro
                    .iter()
                    .map(|r| format!("\n      {r}"))
                    .collect::<String>()
            )),
        }
    }
    let n_refused: usize = refused.values().map(Vec::len).sum();
    let n_not_in_root: usize = not_in_root.values().map(Vec::len).sum();
    let mut report = format!(
        "{TEST}: {} candidates: {} bundled and ran the same ({} of them with --include {}: the minimal root lacks what the policy leaves to the target); {} refused; {} differ exactly as the unlowered control in bookworm's chroot does ({} need a library left to the target that the minimal root lacks, {} otherwise); {} host timeouts; {} FAILED ({:.0?})\n",
        cands.len(),
        same.len() + same_with_include.len(),
        same_with_include.len(),
        include.iter().cloned().collect::<Vec<_>>().join(" --include "),
        n_refused,
        n_not_in_root + environment.len(),
        n_not_in_root,
        environment.len(),
        host_timeout.len(),
        failed.len(),
        started.elapsed()
    );
    if !same_with_include.is_empty() {
        report.push_str(&format!(
            "  ran the same with --include: {}\n",
            same_with_include.join(" ")
        ));
    }
    for (reason, names) in &refused {
        report.push_str(&format!(
            "  refused ({}): {reason}\n    {}\n",
            names.len(),
            names.join(" ")
        ));
    }
    for (lib, names) in &not_in_root {
        report.push_str(&format!(
            "  as the control: {lib} (left to the target by the policy) is not in the minimal root ({}):\n    {}\n",
            names.len(),
            names.join(" ")
        ));
    }
    for e in &environment {
        report.push_str(&format!("  as the control: {e}\n"));
    }
    if !host_timeout.is_empty() {
        report.push_str(&format!(
            "  host --version does not finish: {}\n",
            host_timeout.join(" ")
        ));
    }
    for f in &failed {
        report.push_str(&format!("  FAILED {f}\n"));
    }
    say(&report);
    assert_eq!(
        same.len()
            + same_with_include.len()
            + n_refused
            + n_not_in_root
            + environment.len()
            + host_timeout.len()
            + failed.len(),
        cands.len(),
        "every candidate has a verdict"
    );
    let keep = !failed.is_empty() || std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_some();
    if keep {
        let kept = tmp.keep();
        say(&format!("{TEST}: files kept in {}", kept.display()));
    }
    assert!(
        failed.is_empty(),
        "{} bundle(s) did not run the same (see above)",
        failed.len()
    );
}
