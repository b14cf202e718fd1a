//! Running programs inside an old Debian system with nothing of the host visible.
//!
//! [`chroot_root`] fetches (once, cached in `~/.cache/elfcompat`) a root that holds only a
//! Debian suite's `libc6`, `libstdc++6` and `libgcc-s1` (`tools/old-glibc.sh`);
//! [`run_in_chroot`] runs a program in it through `tools/chroot-run.sh` — private mount
//! namespace, the root's directories read-only, minimal `/dev`, `/proc`, a writable
//! `/tmp`, `LD_BIND_NOW=1`, the host's directories only where a test binds them, and a
//! static qemu-user for a foreign architecture's root. Needs root (the tests run as root
//! here and in CI); [`chroot_available`] says why not otherwise.
//!
//! The bundle test programs of `testdata/bundle/` are built by [`build_bundle_programs`],
//! and [`host_command`] runs such a program on the build machine (under qemu-user for
//! arm64) for the expected output.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::{crate_root, run_command, Run};

/// How long one program may run inside the chroot (qemu included) before it is killed.
pub const CHROOT_TIMEOUT: Duration = Duration::from_secs(120);

/// The root directory of SUITE's runtime for a Debian architecture (`amd64`, `arm64`):
/// exactly `libc6`, `libstdc++6` and `libgcc-s1`, fetched by `tools/old-glibc.sh` the first
/// time and cached (per process here, on disk in `~/.cache/elfcompat/runtime/`). The root
/// is used as it is: `chroot-run.sh` never writes into it. The error says why it cannot be
/// had, for a skip message or a CI failure.
pub fn chroot_root(suite: &str, arch: &str) -> Result<PathBuf, String> {
    /// (suite, arch) -> the root, or why there is none.
    type Roots = HashMap<(String, String), Result<PathBuf, String>>;
    static ROOTS: OnceLock<Mutex<Roots>> = OnceLock::new();
    let roots = ROOTS.get_or_init(Default::default);
    // Held while the script runs: one fetch per (suite, arch) even with parallel tests.
    let mut roots = roots.lock().unwrap_or_else(|e| e.into_inner());
    roots
        .entry((suite.to_string(), arch.to_string()))
        .or_insert_with(|| {
            let rt = super::fetch_old_runtime(suite, arch)?;
            if !rt.loader.is_file() {
                return Err(format!("{}: loader {} missing", suite, rt.loader.display()));
            }
            Ok(rt.root)
        })
        .clone()
}

/// Whether chroots can be made here: root, `unshare`, `mount`, and for arm64 roots
/// `qemu-aarch64-static` (Debian's `qemu-user-static`). The error names what is missing.
pub fn chroot_available(arch: &str) -> Result<(), String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("chroot-run.sh needs root (unshare -m, mount)".into());
    }
    let mut tools = vec!["unshare", "mount", "env"];
    if arch == "arm64" {
        tools.push("qemu-aarch64-static");
    }
    for tool in tools {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!("{tool} not found (see tools/README.md)"));
        }
    }
    Ok(())
}

/// How to run a program in a chroot beyond the defaults of [`run_in_chroot`].
#[derive(Debug, Clone)]
pub struct ChrootOptions<'a> {
    /// Host directories (or files) bound read-only at the given absolute guest paths.
    pub binds: &'a [(&'a Path, &'a str)],
    /// Host directories bound read-write.
    pub rw_binds: &'a [(&'a Path, &'a str)],
    /// Working directory inside (default `/`).
    pub cwd: Option<&'a str>,
    /// Extra environment variables, on top of `PATH=/usr/bin:/bin HOME=/ LANG=C
    /// LD_BIND_NOW=1` (nothing else of the caller's environment gets in).
    pub env: &'a [(&'a str, &'a str)],
    /// Deadline; the program is killed (`Run::code == None`) when it passes.
    pub timeout: Duration,
}

impl Default for ChrootOptions<'_> {
    fn default() -> Self {
        ChrootOptions {
            binds: &[],
            rw_binds: &[],
            cwd: None,
            env: &[],
            timeout: CHROOT_TIMEOUT,
        }
    }
}

/// The `tools/chroot-run.sh` command for `argv` (`argv[0]` a path inside the root); for
/// [`run_command`], or [`super::command_line`] in a failure message.
pub fn chroot_command(root: &Path, opts: &ChrootOptions, argv: &[&str]) -> Command {
    let mut cmd = Command::new(crate_root().join("tools/chroot-run.sh"));
    cmd.arg(root);
    for (flag, binds) in [("--bind", opts.binds), ("--bind-rw", opts.rw_binds)] {
        for (host, guest) in binds {
            cmd.arg(flag).arg(format!("{}={guest}", host.display()));
        }
    }
    if let Some(cwd) = opts.cwd {
        cmd.args(["--cwd", cwd]);
    }
    for (k, v) in opts.env {
        cmd.arg("--env").arg(format!("{k}={v}"));
    }
    cmd.arg("--").args(argv);
    cmd
}

/// Run `argv` inside `root` with `binds` (host path, guest path) read-only, working
/// directory `/`, `LD_BIND_NOW=1`, and [`CHROOT_TIMEOUT`]. The program's exit code, stdout
/// and stderr come back as they are; 125 with a `chroot-run:` message means the chroot
/// could not be set up, 127 that `argv[0]` does not exist inside.
pub fn run_in_chroot(root: &Path, binds: &[(&Path, &str)], argv: &[&str]) -> Run {
    run_in_chroot_with(
        root,
        &ChrootOptions {
            binds,
            ..Default::default()
        },
        argv,
    )
}

/// [`run_in_chroot`] with every option.
pub fn run_in_chroot_with(root: &Path, opts: &ChrootOptions, argv: &[&str]) -> Run {
    // chroot-run.sh execs all the way down to the program (or its qemu), so killing the
    // child at the deadline kills the program itself.
    run_command(chroot_command(root, opts, argv), opts.timeout)
}

/// Build `testdata/bundle/`'s programs for `arch` (`amd64`, `arm64`) into `out` with
/// `testdata/bundle/build.sh` (see its README for the list). For arm64 it fetches bookworm's
/// arm64 zlib and OpenSSL into `~/.cache/elfcompat/sysroot/` the first time.
pub fn build_bundle_programs(arch: &str, out: &Path) -> Result<(), String> {
    let mut cmd = Command::new(crate_root().join("testdata/bundle/build.sh"));
    cmd.arg(arch).arg(out);
    let run = run_command(cmd, Duration::from_secs(600));
    if run.code == Some(0) {
        Ok(())
    } else {
        Err(format!(
            "testdata/bundle/build.sh {arch} {} failed\n{}",
            out.display(),
            run.describe()
        ))
    }
}

/// A command that runs `program` (built for `arch`) on the build machine: directly for
/// amd64, under `qemu-aarch64 -L /usr/aarch64-linux-gnu` (the cross toolchain's glibc
/// 2.36 and libstdc++) for arm64. With `LD_BIND_NOW=1` and `LANG=C`, as in the chroot.
pub fn host_command(arch: &str, program: &Path) -> Command {
    let mut cmd = match arch {
        "arm64" => {
            let mut c = Command::new("qemu-aarch64");
            c.args(["-L", "/usr/aarch64-linux-gnu"]).arg(program);
            c
        }
        _ => Command::new(program),
    };
    cmd.env("LD_BIND_NOW", "1")
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    cmd
}
