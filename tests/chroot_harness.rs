//! The chroot harness that `bundle`'s tests run their results in really isolates.
//!
//! `tests/common/chroot.rs` runs programs inside a Debian 11 root that holds only
//! bullseye's `libc6`, `libstdc++6` and `libgcc-s1` (`tools/chroot-run.sh`: private mount
//! namespace, nothing of the host's /lib, /usr/lib or /usr/bin visible, `LD_BIND_NOW=1`;
//! arm64 under a static qemu-user). For amd64 and arm64 this test:
//!
//! 1. builds `testdata/bundle/`'s programs with the host's compilers (glibc 2.36, GCC 12)
//!    and runs them on the build machine: the committed `testdata/bundle/expected/*.out`
//!    and their known exit codes;
//! 2. runs each of them UNBUNDLED in the chroot (its build directory bound at the same
//!    path, so its RUNPATH reaches) and asserts that it fails to load there, with the
//!    reason a bundle has to remove: a `GLIBCXX`/`GLIBC` version bullseye lacks, or a
//!    host library (`libz.so.1`) that is simply not there;
//! 3. runs a program that needs only the base glibc version (`oldabi`) inside: it runs,
//!    on glibc 2.31, and its arguments and exit code pass through;
//! 4. looks around inside with a static probe: `/proc/self/exe`, `/dev/null`,
//!    `/dev/urandom` and `/tmp` work, the root is read-only, the environment is exactly
//!    the harness's, the host's programs and libraries are absent, and the cached root
//!    on disk is left as it was.
//!
//! Needs root, `unshare`, gcc/g++, the aarch64 cross compilers and `qemu-user-static`
//! (`.ci/run` installs them); without them the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::path::{Path, PathBuf};

use std::time::Duration;

use common::chroot::{
    build_bundle_programs, chroot_available, chroot_root, host_command, run_in_chroot,
    run_in_chroot_with, ChrootOptions,
};
use common::{command_line, run_command, Run};

const TEST: &str = "chroot_harness";

/// A program of `testdata/bundle/` and how it ends on the host and, unbundled, in the
/// bullseye chroot.
struct Program {
    name: &'static str,
    /// Its exit code when it runs.
    code: i32,
    /// What the loader says inside the chroot, per architecture (any one suffices).
    unbundled_failure: &'static [&'static str],
}

const PROGRAMS: &[Program] = &[
    Program {
        name: "cxx20",
        code: 7,
        unbundled_failure: &["version `GLIBCXX_3.4.30' not found"],
    },
    Program {
        name: "zssl",
        code: 3,
        unbundled_failure: &["libz.so.1: cannot open shared object file"],
    },
    Program {
        name: "host",
        code: 5,
        unbundled_failure: &["version `GLIBC_2.34' not found"],
    },
];

/// Skip (outside CI) or fail (in CI) when the harness cannot work here.
fn unavailable(what: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{TEST}: {what} (required when CI is set)");
    }
    eprintln!("{TEST}: SKIPPED: {what}");
    None
}

fn bullseye_root(arch: &str) -> Option<PathBuf> {
    if let Err(e) = chroot_available(arch) {
        return unavailable(&e);
    }
    let compilers: &[&str] = match arch {
        "arm64" => &[
            "aarch64-linux-gnu-gcc",
            "aarch64-linux-gnu-g++",
            "qemu-aarch64",
        ],
        _ => &["gcc", "g++"],
    };
    for tool in compilers {
        if !common::have_tool(tool) {
            return unavailable(&format!("{tool} not found"));
        }
    }
    match chroot_root("bullseye", arch) {
        Ok(root) => Some(root),
        Err(e) => unavailable(&format!("cannot get bullseye {arch}: {e}")),
    }
}

/// A build directory `target/tmp/chroot_harness/<arch>-XXXXXX`, kept when the test fails.
struct WorkDir(Option<tempfile::TempDir>);

impl WorkDir {
    fn new(arch: &str) -> WorkDir {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join(TEST);
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::Builder::new()
            .prefix(&format!("{arch}-"))
            .tempdir_in(&base)
            .unwrap();
        WorkDir(Some(dir))
    }

    fn path(&self) -> &Path {
        self.0.as_ref().unwrap().path()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("ELFCOMPAT_KEEP_TEST_FILES").is_some() {
            let kept = self.0.take().unwrap().keep();
            eprintln!("{TEST}: kept {}", kept.display());
        }
    }
}

/// Assert a run's exit code, showing the command and the whole run when it differs.
#[track_caller]
fn expect_code(run: &Run, code: i32, what: &str) {
    assert_eq!(run.code, Some(code), "{what}\n{}", run.describe());
}

/// The top-level names of a directory, sorted.
fn top_level(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn check_arch(arch: &str, triplet: &str) {
    let Some(root) = bullseye_root(arch) else {
        return;
    };
    let root_before = top_level(&root);
    let work = WorkDir::new(arch);
    let build = work.path();
    build_bundle_programs(arch, build).unwrap_or_else(|e| panic!("{e}"));
    let guest = build.to_str().unwrap();
    // Bound at its own path: the programs' RUNPATHs name the build directory.
    let binds: &[(&Path, &str)] = &[(build, guest)];
    let expected_dir = common::crate_root().join("testdata/bundle/expected");

    for p in PROGRAMS {
        let prog = build.join(p.name);
        let cmd = host_command(arch, &prog);
        let line = command_line(true, &cmd);
        let host = run_command(cmd, common::chroot::CHROOT_TIMEOUT);
        expect_code(
            &host,
            p.code,
            &format!("$ {line}\n{arch} {} on the host", p.name),
        );
        let expected = std::fs::read_to_string(expected_dir.join(format!("{}.out", p.name)))
            .expect("expected output");
        assert_eq!(host.stdout, expected, "{arch} {} on the host", p.name);

        let argv = [prog.to_str().unwrap()];
        let inside = run_in_chroot(&root, binds, &argv);
        assert!(
            inside.code != Some(p.code)
                && p.unbundled_failure
                    .iter()
                    .any(|f| inside.stderr.contains(f)),
            "{arch} {} must fail to load in the bullseye chroot with one of {:?}\n{}",
            p.name,
            p.unbundled_failure,
            inside.describe()
        );
        eprintln!(
            "{TEST}: {arch} {}: host exit {} ({} lines); unbundled in bullseye: exit {:?}: {}",
            p.name,
            p.code,
            host.stdout.lines().count(),
            inside.code,
            inside.stderr.lines().next().unwrap_or("").trim()
        );
    }

    // A program that needs only the base glibc version runs, on 2.31, with its arguments.
    let oldabi = build.join("oldabi");
    let run = run_in_chroot(&root, binds, &[oldabi.to_str().unwrap(), "a", "b c"]);
    expect_code(&run, 0, "oldabi in the chroot");
    assert_eq!(
        run.stdout,
        "oldabi: glibc 2.31, argc=3, constructor ran=1\n",
        "{}",
        run.describe()
    );
    eprintln!("{TEST}: {arch} oldabi in bullseye: {}", run.stdout.trim());

    // The static probe: devices, proc, tmp, read-only root, the environment.
    let probe = build.join("probe");
    let probe = probe.to_str().unwrap();
    let run = run_in_chroot(&root, binds, &[probe, "sys"]);
    expect_code(&run, 0, "probe sys in the chroot");
    let expected = format!(
        "exe: {probe}\ndev/null: writable\ndev/urandom: readable\ntmp: writable\n\
         root: read-only\ncwd: /\nenv: HOME=/\nenv: LANG=C\nenv: LD_BIND_NOW=1\n\
         env: PATH=/usr/bin:/bin\n"
    );
    assert_eq!(run.stdout, expected, "{}", run.describe());

    // Nothing of the host: its programs, libraries, configuration, home, this checkout.
    let host_only = [
        "/bin/sh".to_string(),
        "/usr/bin/env".to_string(),
        "/usr/bin/qemu-aarch64-static".to_string(),
        format!("/lib/{triplet}/libz.so.1"),
        format!("/usr/lib/{triplet}/libz.so.1"),
        format!("/usr/lib/{triplet}/libssl.so.3"),
        format!("/usr/lib/{triplet}/libcrypto.so.3"),
        "/usr/lib/x86_64-linux-gnu/libc.so.6".to_string(),
        "/usr/aarch64-linux-gnu".to_string(),
        "/etc/passwd".to_string(),
        "/root".to_string(),
        common::crate_root()
            .join("Cargo.toml")
            .display()
            .to_string(),
    ];
    let mut argv = vec![probe, "exists"];
    argv.extend(host_only.iter().map(String::as_str));
    argv.push(probe);
    let run = run_in_chroot(&root, binds, &argv);
    expect_code(&run, 0, "probe exists in the chroot");
    let mut expected: String = host_only.iter().map(|p| format!("{p}: no\n")).collect();
    expected.push_str(&format!("{probe}: yes\n"));
    assert_eq!(run.stdout, expected, "{}", run.describe());

    // What is there: the root's own directories, the harness's mount points, the bind.
    let run = run_in_chroot(&root, binds, &[probe, "ls", "/", "/dev", "/usr/bin"]);
    expect_code(&run, 0, "probe ls in the chroot");
    let first = guest.trim_start_matches('/').split('/').next().unwrap();
    let mut top: Vec<String> = root_before
        .iter()
        .filter(|n| !n.starts_with('.') && !n.ends_with(".env"))
        .cloned()
        .chain(["dev", "proc", "tmp", first].map(String::from))
        .collect();
    if arch == "arm64" {
        top.push(".elfcompat".into());
    }
    top.sort();
    top.dedup();
    let expected = format!(
        "/: {}\n/dev: fd full null random shm stderr stdin stdout tty urandom zero\n\
         /usr/bin: missing\n",
        top.join(" ")
    );
    assert_eq!(run.stdout, expected, "{}", run.describe());

    // Exit codes and stderr pass through.
    let run = run_in_chroot(&root, binds, &[probe]);
    expect_code(&run, 2, "probe without arguments");
    assert!(run.stderr.starts_with("usage: probe"), "{}", run.describe());

    // The deadline kills the program itself (chroot-run.sh execs down to it).
    let run = run_in_chroot_with(
        &root,
        &ChrootOptions {
            binds,
            timeout: Duration::from_secs(2),
            ..Default::default()
        },
        &[probe, "sleep", "60"],
    );
    assert!(
        run.code.is_none() && run.stdout == "sleeping\n" && run.elapsed < Duration::from_secs(20),
        "probe sleep 60 must be killed at the 2 s deadline\n{}",
        run.describe()
    );

    // The cached root itself is never written.
    assert_eq!(top_level(&root), root_before, "{} changed", root.display());
    eprintln!(
        "{TEST}: {arch}: /proc, /dev, /tmp work; root read-only; {} host paths absent; \
         exit codes pass through; the deadline kills",
        host_only.len()
    );
}

#[test]
fn amd64_chroot_isolates() {
    check_arch("amd64", "x86_64-linux-gnu");
}

#[test]
fn arm64_chroot_isolates_under_qemu() {
    check_arch("arm64", "aarch64-linux-gnu");
}

/// Set-up errors are the harness's (125, `chroot-run:`), not the program's.
#[test]
fn runner_reports_its_own_errors() {
    let Some(root) = bullseye_root("amd64") else {
        return;
    };
    let lib = Path::new("/tmp");
    // Inside one of the root's read-only directories no mount point can be made.
    let run = run_in_chroot(&root, &[(lib, "/usr/lib/hostlib")], &["/bin/true"]);
    expect_code(&run, 125, "bind into a read-only directory of the root");
    assert!(
        run.stderr
            .contains("chroot-run: --bind: cannot make /usr/lib/hostlib"),
        "{}",
        run.describe()
    );
    // A program that is not inside: unshare's 127.
    let run = run_in_chroot(&root, &[], &["/bin/true"]);
    expect_code(&run, 127, "a program the root does not have");
}
