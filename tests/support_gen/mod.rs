//! Helpers for the reliability tests (`atomic_write`, `property`, `corpus_usr`): work
//! directories under `target/tmp/`, running commands with a deadline, gcc, a small
//! deterministic PRNG. No dependency beyond the standard library and `rayon`.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const ELFCOMPAT: &str = env!("CARGO_BIN_EXE_elfcompat");
pub const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Straight to stderr, so that the lines show with `--nocapture` and in CI logs.
pub fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Skip (return None) or, when `CI` is set, fail.
pub fn unavailable<T>(test: &str, what: &str) -> Option<T> {
    if in_ci() {
        panic!("{test}: {what} (required when CI is set)");
    }
    say(&format!("{test}: SKIPPED: {what}"));
    None
}

pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { geteuid() == 0 }
}

extern "C" {
    fn geteuid() -> u32;
}

/// A directory `target/tmp/<test>/<name>-<pid>-<n>`, fresh, mode 0755 (so that a test
/// running a command as `nobody` can reach it). Removed on drop when the thread is not
/// panicking and `ELFCOMPAT_KEEP_TEST_FILES` is unset; kept (and named) otherwise.
pub struct WorkDir {
    pub path: PathBuf,
    /// Mount points inside it, unmounted (lazily) on drop, last first.
    pub mounts: Vec<PathBuf>,
}

static DIR_SEQ: AtomicUsize = AtomicUsize::new(0);

impl WorkDir {
    pub fn new(test: &str, name: &str) -> WorkDir {
        let base = Path::new(MANIFEST_DIR).join("target/tmp").join(test);
        std::fs::create_dir_all(&base).expect("creating target/tmp/<test>");
        set_mode(&base, 0o755);
        let n = DIR_SEQ.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("creating a work directory");
        set_mode(&path, 0o755);
        WorkDir {
            path,
            mounts: Vec::new(),
        }
    }

    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }

    /// A fresh subdirectory, mode 0755.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let p = self.path.join(name);
        std::fs::create_dir_all(&p).expect("creating a subdirectory");
        set_mode(&p, 0o755);
        p
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        for m in self.mounts.iter().rev() {
            let _ = Command::new("umount").arg("-l").arg(m).status();
        }
        let keep =
            std::thread::panicking() || std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_some();
        if keep {
            say(&format!("kept {}", self.path.display()));
            return;
        }
        // Read-only directories would stop the removal.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+rwx")
            .arg(&self.path)
            .status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", p.display()));
}

/// The outcome of a command.
#[derive(Debug)]
pub struct Out {
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
    pub timed_out: bool,
    /// The command line, for messages.
    pub line: String,
}

impl Out {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
    pub fn signal(&self) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        self.status.and_then(|s| s.signal())
    }
    pub fn ok(&self) -> bool {
        self.code() == Some(0)
    }
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn describe(&self) -> String {
        format!(
            "$ {}\nexit: {:?} (signal {:?}) after {:?}{}\n--- stdout\n{}\n--- stderr\n{}",
            self.line,
            self.code(),
            self.signal(),
            self.elapsed,
            if self.timed_out {
                " (TIMED OUT, killed)"
            } else {
                ""
            },
            self.stdout_str(),
            self.stderr
        )
    }
}

/// A command line as text, for messages (quotes nothing unusual).
pub fn show(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Run with stdin from /dev/null, both outputs captured, killed at the deadline.
pub fn run(mut cmd: impl std::borrow::BorrowMut<Command>, timeout: Duration) -> Out {
    let cmd: &mut Command = cmd.borrow_mut();
    let line = show(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    // ETXTBSY: a file just written by this process can still be open for writing in a
    // child another thread is forking (until that child's exec closes it). Retry.
    let mut spawned = cmd.spawn();
    for _ in 0..100 {
        match &spawned {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(Duration::from_millis(10));
                spawned = cmd.spawn();
            }
            _ => break,
        }
    }
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return Out {
                status: None,
                stdout: Vec::new(),
                stderr: format!("[cannot start: {e}]"),
                elapsed: start.elapsed(),
                timed_out: false,
                line,
            }
        }
    };
    let mut o = child.stdout.take().expect("piped");
    let mut e = child.stderr.take().expect("piped");
    let ot = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = o.read_to_end(&mut v);
        v
    });
    let et = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = e.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("wait after kill");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => panic!("waiting for {line}: {e}"),
        }
    };
    let elapsed = start.elapsed();
    Out {
        status: Some(status),
        stdout: ot.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&et.join().unwrap_or_default()).into_owned(),
        elapsed,
        timed_out,
        line,
    }
}

/// `elfcompat ARGS`.
pub fn elfcompat<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut c = Command::new(ELFCOMPAT);
    c.args(args);
    c
}

/// Is gcc there and able to link a program?
pub fn gcc_works() -> bool {
    have("gcc")
}

/// `gcc ARGS -o OUT`; Err(the whole output) when it fails.
pub fn gcc(args: &[&str], out: &Path) -> Result<(), String> {
    let mut c = Command::new("gcc");
    c.args(args).arg("-o").arg(out);
    let o = run(c, Duration::from_secs(300));
    if o.ok() {
        Ok(())
    } else {
        Err(o.describe())
    }
}

/// Temp files of elfcompat (`.elfcompat-tmp-*`) in `dir`.
pub fn temps_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.starts_with(".elfcompat-tmp-"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// All names in `dir`, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("listing a directory")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// SplitMix64: small, deterministic, good enough to pick test cases.
#[derive(Clone, Debug)]
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// An environment variable as a number, or the default.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("0x")
                .map(|h| u64::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| v.parse().ok())
        })
        .unwrap_or(default)
}
