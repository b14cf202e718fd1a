//! aarch64: programs cross-compiled at test time with Debian's gcc-aarch64-linux-gnu,
//! patched to glibc 2.31 and 2.17 (startup shim included), and run under qemu-user with
//! bullseye's arm64 glibc 2.31 and with Debian 12's own (2.36), LD_BIND_NOW=1. The output
//! must be the same as the unpatched program's on 2.36.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run under qemu with an explicit loader and library path (the old glibc).
fn run_old(loader: &str, libpath: &str, prog: &Path) -> Run {
    let o = Command::new("qemu-aarch64")
        .args([
            "-E",
            "LD_BIND_NOW=1",
            loader,
            "--inhibit-cache",
            "--library-path",
            libpath,
        ])
        .arg(prog)
        .output()
        .expect("qemu-aarch64");
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

/// Run under qemu with Debian 12's cross sysroot (glibc 2.36).
fn run_new(prog: &Path) -> Run {
    let o = Command::new("qemu-aarch64")
        .args(["-L", "/usr/aarch64-linux-gnu", "-E", "LD_BIND_NOW=1"])
        .arg(prog)
        .output()
        .expect("qemu-aarch64");
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn patch(input: &Path, output: &Path, glibc: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_elfcompat"))
        .args(["patch", "--glibc", glibc])
        .arg(input)
        .arg("-o")
        .arg(output)
        .output()
        .expect("elfcompat")
}

#[test]
fn aarch64_programs_run_patched_on_glibc_2_31() {
    if !(common::have_tool("aarch64-linux-gnu-gcc")
        && common::have_tool("aarch64-linux-gnu-g++")
        && common::have_tool("qemu-aarch64"))
    {
        eprintln!("skipped: install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user");
        return;
    }
    let (loader, libpath) = common::old_runtime("arm64");
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = root().join("testdata/runtime-aarch64");
    let progs = [
        (
            "startup",
            "aarch64-linux-gnu-gcc",
            "startup.c",
            vec!["-O1", "-fno-builtin-memcpy", "-lm", "-pthread"],
        ),
        ("cxx", "aarch64-linux-gnu-g++", "cxx.cc", vec!["-O1"]),
    ];
    let mut summary = Vec::new();
    for (name, cc, file, flags) in progs {
        let bin = tmp.path().join(name);
        let st = Command::new(cc)
            .arg(src.join(file))
            .arg("-o")
            .arg(&bin)
            .args(&flags)
            .status()
            .expect(cc);
        assert!(st.success(), "{cc} {file}");
        let reference = run_new(&bin);
        assert_eq!(
            reference.code,
            Some(0),
            "{name} on 2.36: {}",
            reference.stderr
        );
        let unpatched_old = run_old(&loader, &libpath, &bin);
        assert!(
            unpatched_old.stderr.contains("GLIBC_2.34' not found"),
            "{name}: the unpatched program must fail on 2.31, got {:?} {}",
            unpatched_old.code,
            unpatched_old.stderr
        );
        for glibc in ["2.31", "2.17"] {
            let out = tmp.path().join(format!("{name}-{glibc}"));
            let p = patch(&bin, &out, glibc);
            assert!(
                p.status.success(),
                "{name} patch {glibc}: {}{}",
                String::from_utf8_lossy(&p.stdout),
                String::from_utf8_lossy(&p.stderr)
            );
            for (label, r) in [
                ("2.31", run_old(&loader, &libpath, &out)),
                ("2.36", run_new(&out)),
            ] {
                assert_eq!(
                    r.code, reference.code,
                    "{name} patched to {glibc}, run on {label}: {}",
                    r.stderr
                );
                assert_eq!(
                    r.stdout, reference.stdout,
                    "{name} patched to {glibc}, run on {label}"
                );
            }
            summary.push(format!(
                "{name} patched to {glibc}: same output on glibc 2.31 and 2.36"
            ));
        }
    }
    for s in summary {
        println!("aarch64: {s}");
    }
}

/// A shared library (with its own constructor, pthread_* and dl* calls) and the program
/// that needs it, both cross-compiled and patched to glibc 2.31: the library's tables grow
/// (libpthread.so.0 and libdl.so.2 are added), so its program header table moves to a new
/// segment (64 KiB-aligned here); the library checks through dl_iterate_phdr that the
/// loader sees the file's table. Same output on bullseye's 2.31 and on Debian 12's 2.36 as
/// the unpatched pair on 2.36.
#[test]
fn aarch64_shared_library_runs_patched_on_glibc_2_31() {
    if !(common::have_tool("aarch64-linux-gnu-gcc") && common::have_tool("qemu-aarch64")) {
        eprintln!("skipped: install gcc-aarch64-linux-gnu qemu-user");
        return;
    }
    let (loader, libpath) = common::old_runtime("arm64");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let src = root().join("testdata/runtime");
    let orig = dir.join("orig");
    let new = dir.join("patched");
    std::fs::create_dir_all(&orig).expect("mkdir");
    std::fs::create_dir_all(&new).expect("mkdir");
    let cc = |args: &[&std::ffi::OsStr]| {
        let o = Command::new("aarch64-linux-gnu-gcc")
            .args(args)
            .output()
            .expect("aarch64-linux-gnu-gcc");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let lib = orig.join("libruntime.so");
    let exe = orig.join("shlib");
    cc(&[
        "-O2".as_ref(),
        "-fPIC".as_ref(),
        "-shared".as_ref(),
        "-pthread".as_ref(),
        "-Wl,-soname,libruntime.so".as_ref(),
        "-o".as_ref(),
        lib.as_os_str(),
        src.join("libruntime.c").as_os_str(),
        "-ldl".as_ref(),
    ]);
    cc(&[
        "-O2".as_ref(),
        "-I".as_ref(),
        src.as_os_str(),
        "-o".as_ref(),
        exe.as_os_str(),
        src.join("shlib_main.c").as_os_str(),
        "-L".as_ref(),
        orig.as_os_str(),
        "-lruntime".as_ref(),
        "-Wl,-rpath,$ORIGIN".as_ref(),
    ]);
    for name in ["libruntime.so", "shlib"] {
        let o = patch(&orig.join(name), &new.join(name), "2.31");
        assert!(
            o.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let before = std::fs::read(&lib).expect("read");
    let after = std::fs::read(new.join("libruntime.so")).expect("read");
    let phoff = |b: &[u8]| u64::from_le_bytes(b[0x20..0x28].try_into().expect("e_phoff"));
    assert_ne!(
        phoff(&after),
        phoff(&before),
        "the library's program headers moved"
    );
    let reference = run_new(&exe);
    assert_eq!(reference.code, Some(0), "{}", reference.stderr);
    assert!(reference
        .stdout
        .contains("library program headers seen by the loader: ok"));
    for (what, run) in [
        ("glibc 2.36", run_new(&new.join("shlib"))),
        ("glibc 2.31", run_old(&loader, &libpath, &new.join("shlib"))),
    ] {
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (reference.code, reference.stdout.as_str()),
            "{what}: {}",
            run.stderr
        );
        let want = if what == "glibc 2.31" {
            "running on glibc 2.31"
        } else {
            "running on glibc 2.36"
        };
        assert!(run.stderr.contains(want), "{what}: {}", run.stderr);
    }
}
