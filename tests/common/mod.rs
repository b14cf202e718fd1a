//! Helpers shared by the integration tests: run the real `elfcompat` binary, make
//! temporary directories, find fixtures.
//!
//! Every run has a deadline: a command that blocks (on a FIFO, in an endless loop)
//! fails its test instead of hanging the whole suite.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod chroot;
pub mod cross;
pub mod polyfill;
pub mod wheels;

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run of the binary may take before it counts as hung. Generous: a debug
/// build analysing a static binary on a loaded machine takes well under a second.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    /// The exit code (None when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Run {
    /// The exit code; panics (with the output) when the process died from a signal.
    pub fn code(&self) -> i32 {
        match self.code {
            Some(c) => c,
            None => panic!("elfcompat was killed by a signal\n{}", self.describe()),
        }
    }

    /// The triple the brief of these tests talks about: (exit code, stdout, stderr).
    pub fn triple(&self) -> (i32, &str, &str) {
        (self.code(), &self.stdout, &self.stderr)
    }

    /// Everything about the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code: {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }

    /// Assert the exit code, showing the whole run when it differs.
    #[track_caller]
    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }
}

/// The binary under test, built by cargo for this test run.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_elfcompat"))
}

/// The crate root (where `testdata/` lives).
pub fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture's path relative to the crate root, e.g. `fixture("x86_64/hello")` is
/// `testdata/bin/x86_64/hello`. Relative so that reports (and snapshots) do not depend
/// on where the checkout is; run the binary with [`run`], whose working directory is
/// the crate root.
pub fn fixture(arch_and_name: &str) -> PathBuf {
    Path::new("testdata/bin").join(arch_and_name)
}

/// The bytes of a fixture.
pub fn fixture_bytes(arch_and_name: &str) -> Vec<u8> {
    let path = crate_root().join(fixture(arch_and_name));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Run `elfcompat ARGS` in the crate root.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_in(crate_root(), args)
}

/// Run `elfcompat ARGS` in `dir`.
pub fn run_in<I, S>(dir: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(dir);
    run_command(cmd, DEFAULT_TIMEOUT)
}

/// Run `elfcompat ARGS` in the crate root with an address-space limit (`ulimit -v`, in
/// KiB) and a deadline: for inputs that could make it allocate or loop without bound.
/// The limit turns a runaway allocation into a quick abort instead of a machine that
/// swaps or an OOM kill of something else.
pub fn run_limited<I, S>(args: I, address_space_kib: u64, timeout: Duration) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {address_space_kib} && exec \"$0\" \"$@\""
        ))
        .arg(bin())
        .args(args)
        .current_dir(crate_root());
    run_command(cmd, timeout)
}

/// Run a prepared command with no stdin, capturing its output, killing it at the
/// deadline. A killed run has `code == None` and says so in its stderr.
pub fn run_command(mut cmd: Command, timeout: Duration) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Colors must not depend on the environment the tests run in.
    cmd.env_remove("NO_COLOR");
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("wait after kill");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for elfcompat: {e}"),
        }
    };
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let mut stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    if timed_out {
        stderr.push_str(&format!("\n[test harness: killed after {timeout:?}]\n"));
    }
    Run {
        code: status.code(),
        stdout,
        stderr,
        elapsed,
    }
}

/// A fresh temporary directory, removed when the value is dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("elfcompat-test-")
        .tempdir()
        .expect("creating a temporary directory")
}

/// Copy a fixture into `dir` under `name`; returns the new path.
pub fn copy_fixture(arch_and_name: &str, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(crate_root().join(fixture(arch_and_name)), &to)
        .unwrap_or_else(|e| panic!("copying {arch_and_name} to {}: {e}", to.display()));
    to
}

/// Parse JSON output, showing the run when it is not JSON.
#[track_caller]
pub fn json_of(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", run.describe()))
}

/// Whether a tool the test needs is on PATH. Under `CI` its absence is a failure (`.ci/run`
/// installs it); elsewhere the caller skips with a message.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("{tool} is required in CI (.ci/run installs it)");
    }
    ok
}

/// A Debian suite's glibc runtime for one architecture, as `tools/old-glibc.sh` fetches
/// and caches it and its `ROOT/elfcompat-runtime.env` describes it.
#[derive(Debug)]
pub struct OldRuntime {
    /// Where it is: the last line the script prints.
    pub root: PathBuf,
    /// Its dynamic loader.
    pub loader: PathBuf,
    /// Its library directories, `:`-separated.
    pub libpath: String,
    /// The glibc release it holds, e.g. `2.31`.
    pub glibc_version: String,
}

impl OldRuntime {
    /// The file that describes it.
    pub fn env_file(&self) -> PathBuf {
        self.root.join("elfcompat-runtime.env")
    }
}

/// SUITE's glibc runtime for a Debian architecture (`amd64`, `arm64`), fetched or found in
/// the cache by `tools/old-glibc.sh`; the error says why it cannot be had, for a skip
/// message.
pub fn fetch_old_runtime(suite: &str, arch: &str) -> Result<OldRuntime, String> {
    let script = crate_root().join("tools/old-glibc.sh");
    let out = Command::new(&script)
        .args([suite, arch])
        .current_dir(crate_root())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {suite} {arch} failed ({}):\n{}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let root = PathBuf::from(
        stdout
            .lines()
            .last()
            .ok_or("old-glibc.sh printed no root")?
            .trim(),
    );
    let env_file = root.join("elfcompat-runtime.env");
    let text =
        std::fs::read_to_string(&env_file).map_err(|e| format!("{}: {e}", env_file.display()))?;
    let value = |key: &str| -> Result<String, String> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim().trim_matches('\'').to_string())
            .ok_or_else(|| format!("{}: no {key}", env_file.display()))
    };
    Ok(OldRuntime {
        loader: PathBuf::from(value("LOADER")?),
        libpath: value("LIBPATH")?,
        glibc_version: value("GLIBC_VERSION")?,
        root,
    })
}

/// Bullseye's glibc 2.31 runtime for a Debian architecture (`amd64`, `arm64`), for tests
/// that cannot do without it: (loader, library path).
pub fn old_runtime(arch: &str) -> (String, String) {
    let rt = fetch_old_runtime("bullseye", arch).unwrap_or_else(|e| panic!("{e}"));
    (rt.loader.display().to_string(), rt.libpath)
}

/// `s` as a POSIX shell word: as it is when that is safe, else single-quoted.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-=:+,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A command as a shell line to paste when a test fails: the environment it sets (only the
/// LD_* variables with `only_ld`), the program, the arguments.
pub fn command_line(only_ld: bool, cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter(|(k, _)| !only_ld || k.to_str().is_some_and(|k| k.starts_with("LD_")))
        .filter_map(|(k, v)| {
            v.map(|v| {
                format!(
                    "{}={}",
                    k.to_string_lossy(),
                    shell_quote(&v.to_string_lossy())
                )
            })
        })
        .collect();
    parts.push(shell_quote(&cmd.get_program().to_string_lossy()));
    parts.extend(cmd.get_args().map(|a| shell_quote(&a.to_string_lossy())));
    parts.join(" ")
}
