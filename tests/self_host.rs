//! elfcompat runs where it is needed: the release build of elfcompat itself (this test's
//! `CARGO_BIN_EXE_elfcompat`, a Rust program linked against the host's glibc 2.36) is
//! patched by itself to manylinux2014's glibc 2.17, verified with
//! `verify --glibc 2.17 --loader-check`, and then run under Debian 11's glibc 2.31
//! (`tools/old-glibc.sh bullseye amd64`, through its loader, `LD_BIND_NOW=1`) doing
//! `report` (text and JSON) on a fixture and `patch --glibc 2.17` on a fixture: the output,
//! the exit codes and the patched bytes must be those of the unpatched tool on the host.
//! The patched tool must run the same on the host's glibc too.
//!
//! What lowering Rust's std to 2.17 takes (the plan is printed): `__libc_start_main` gets
//! the startup shim (std captures argv in a constructor); `pthread_*` and `dlsym` move to
//! libpthread.so.0 and libdl.so.2; `stat64`, `fstat64`, `lstat64`, `fstatat64` and
//! `copy_file_range` are polyfilled; the weak references std probes at run time
//! (`statx`, `getrandom`, `gettid`, `__cxa_thread_atexit_impl`,
//! `posix_spawn_file_actions_addchdir_np`) become unversioned, NULL where the old glibc
//! lacks them, which std handles with a fallback.
//!
//! The unpatched tool must fail under 2.31 ("version `GLIBC_2.3x' not found"): without
//! that, running the patched one there would prove nothing.
//!
//! Without the old glibc the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{run_command, OldRuntime, Run};

const ELFCOMPAT: &str = env!("CARGO_BIN_EXE_elfcompat");
const TIMEOUT: Duration = Duration::from_secs(120);

fn runtime() -> Option<OldRuntime> {
    match common::fetch_old_runtime("bullseye", "amd64") {
        Ok(rt) if rt.glibc_version == "2.31" && rt.loader.is_file() => Some(rt),
        Ok(rt) => panic!("{}: not a usable glibc 2.31", rt.env_file().display()),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("self_host: bullseye's glibc is required in CI: {e}")
        }
        Err(e) => {
            eprintln!("self_host: SKIPPED: no glibc 2.31 runtime: {e}");
            None
        }
    }
}

/// `tool ARGS` in `dir`: on the host, or under glibc 2.31 through its loader.
fn run_tool(rt: Option<&OldRuntime>, tool: &Path, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = match rt {
        Some(rt) => {
            let mut c = Command::new(&rt.loader);
            c.arg("--inhibit-cache")
                .arg("--library-path")
                .arg(&rt.libpath)
                .arg(tool);
            c
        }
        None => Command::new(tool),
    };
    // A function missing on the old glibc fails at load time, not at its first call.
    cmd.env("LD_BIND_NOW", "1").current_dir(dir).args(args);
    run_command(cmd, TIMEOUT)
}

#[test]
fn patched_elfcompat_runs_on_glibc_2_31() {
    let Some(rt) = runtime() else {
        return;
    };
    let dir = common::tempdir();
    let root = common::crate_root();
    let tool = Path::new(ELFCOMPAT);
    let patched = dir.path().join("elfcompat-2.17");
    let patched_s = patched.to_str().expect("utf-8 path");

    // Patch elfcompat with itself, to manylinux2014.
    let plan = run_tool(
        None,
        tool,
        dir.path(),
        &["patch", "--dry-run", "--target", "manylinux2014", ELFCOMPAT],
    );
    plan.assert_code(0);
    eprintln!("self_host: the plan for elfcompat itself:\n{}", plan.stdout);
    run_tool(
        None,
        tool,
        dir.path(),
        &[
            "patch",
            "--target",
            "manylinux2014",
            ELFCOMPAT,
            "-o",
            patched_s,
        ],
    )
    .assert_code(0);
    let verified = run_tool(
        None,
        tool,
        dir.path(),
        &["verify", "--glibc", "2.17", "--loader-check", patched_s],
    );
    verified.assert_code(0);
    assert!(
        verified.stdout.contains("OK for glibc 2.17"),
        "{}",
        verified.describe()
    );

    // The old runtime is really in use: the unpatched tool does not load there.
    let unpatched_old = run_tool(Some(&rt), tool, dir.path(), &["--version"]);
    assert!(
        unpatched_old.code != Some(0) && unpatched_old.stderr.contains("version `GLIBC_2.3"),
        "the unpatched elfcompat should not load on glibc 2.31\n{}",
        unpatched_old.describe()
    );

    let hello = root.join("testdata/bin/x86_64/hello");
    let hello = hello.to_str().expect("utf-8 path");
    let reports: [&[&str]; 3] = [
        &["--version"],
        &["report", hello],
        &["report", "--json", "--symbols", hello],
    ];
    // Each patch writes `out` in its own directory, so the messages name the same path.
    let host_dir = dir.path().join("host");
    std::fs::create_dir(&host_dir).expect("mkdir");
    let expected: Vec<Run> = reports
        .iter()
        .map(|a| run_tool(None, tool, &host_dir, a))
        .chain([run_tool(
            None,
            tool,
            &host_dir,
            &["patch", "--glibc", "2.17", hello, "-o", "out"],
        )])
        .collect();
    let want_bytes = std::fs::read(host_dir.join("out")).expect("host tool's output");
    for (name, rt) in [("glibc 2.31", Some(&rt)), ("the host's glibc", None)] {
        let d = dir.path().join(name.replace(' ', "-"));
        std::fs::create_dir(&d).expect("mkdir");
        let got: Vec<Run> = reports
            .iter()
            .map(|a| run_tool(rt, &patched, &d, a))
            .chain([run_tool(
                rt,
                &patched,
                &d,
                &["patch", "--glibc", "2.17", hello, "-o", "out"],
            )])
            .collect();
        for (i, (g, w)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(
                (g.code, &g.stdout, &g.stderr),
                (w.code, &w.stdout, &w.stderr),
                "run {i} of the patched elfcompat on {name} differs from the unpatched one on the host\n--- patched\n{}\n--- unpatched\n{}",
                g.describe(),
                w.describe()
            );
        }
        let bytes = std::fs::read(d.join("out")).expect("patched tool's output");
        assert!(
            bytes == want_bytes,
            "the patched elfcompat on {name} wrote different bytes ({} vs {})",
            bytes.len(),
            want_bytes.len()
        );
        eprintln!(
            "self_host: elfcompat patched to 2.17 ran report and patch on {name} like the original on the host ({} bytes written, exit codes {:?})",
            bytes.len(),
            got.iter().map(|r| r.code).collect::<Vec<_>>()
        );
    }
}
