//! riscv64: the programs of `tests/patch_runtime.rs` (C with pthreads, dlopen, math,
//! memcpy, constructors and destructors; C++ with global constructors, iostream and an
//! exception; a shared library with its own constructor loaded by a patched program)
//! cross-compiled at test time with Debian 12's `riscv64-linux-gnu` compilers (glibc
//! 2.36), patched to glibc 2.27 (riscv64's first glibc; startup shim included).
//!
//! Debian has no riscv64 glibc older than trixie's 2.41 (bookworm's riscv64 is on
//! debian-ports only, which `tools/debian-fetch.sh` does not reach), so no old glibc runs
//! the shim here. The evidence is instead:
//! - `verify --glibc 2.27 --loader-check` passes on every patched file (the cross
//!   loader with stub libraries of glibc 2.27) and fails on the unpatched one;
//! - each patched program runs under qemu-user on trixie's libc6 (2.41), LD_BIND_NOW=1
//!   and lazily, with the exit code and output of the unpatched program there:
//!   constructors run exactly once on the new glibc too, through the shim's `init`;
//! - `own_init` (testdata/riscv64) has its own `_start` passing a non-NULL `init`: the
//!   shim must leave it alone;
//! - `ctor_norelax` is linked with `--no-relax`: `_start` calls through `auipc ra; jalr ra`
//!   instead of a relaxed `jal`;
//! - `far` (testdata/riscv64) is larger than a `jal` reaches: the shim, at the end of the
//!   file, is reached from the PLT stub;
//! - the shim's instructions are decoded back in `patch::startup::riscv64`'s unit tests.
//!
//! The runtime comes from `tools/old-glibc.sh` (fetched by `.ci/run`), the compilers,
//! their cross libc (the loader `--loader-check` runs) and qemu from `.ci/run`'s package
//! list: a missing one fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const TRIPLET: &str = "riscv64-linux-gnu";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run `prog` under qemu with trixie's loader and libraries, the program's own directory
/// searched first (for `libruntime.so`); `bind_now` sets LD_BIND_NOW=1.
fn run(rt: &common::OldRuntime, prog: &Path, args: &[&str], bind_now: bool) -> Run {
    let dir = prog.parent().expect("program directory");
    let mut cmd = Command::new("qemu-riscv64");
    if bind_now {
        cmd.args(["-E", "LD_BIND_NOW=1"]);
    }
    let o = cmd
        .arg(&rt.loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(format!("{}:{}", dir.display(), rt.libpath))
        .arg(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("qemu-riscv64: {e}"));
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn elfcompat(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_elfcompat"))
        .args(args)
        .output()
        .expect("elfcompat")
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn patch(input: &Path, output: &Path, glibc: &str) -> String {
    let o = elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        glibc.as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
    ]);
    assert!(
        o.status.success(),
        "patch {} to {glibc}: {}",
        input.display(),
        text(&o)
    );
    text(&o)
}

/// `verify --glibc 2.27 --loader-check`: (passed, output).
fn loader_check(file: &Path) -> (bool, String) {
    let o = elfcompat(&[
        "verify".as_ref(),
        "--glibc".as_ref(),
        "2.27".as_ref(),
        "--loader-check".as_ref(),
        file.as_os_str(),
    ]);
    (o.status.success(), text(&o))
}

fn compile(cc: &str, args: &[&std::ffi::OsStr]) {
    let o = Command::new(cc)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cc} (install it through .ci/run): {e}"));
    assert!(
        o.status.success(),
        "{cc} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A program: name, source (under testdata), C++?, flags after the source, arguments,
/// and the exit code that says it worked (`dlopen.c` and `ctor.c` exit with 3 and 7).
type Program = (
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    i32,
);

const PROGRAMS: &[Program] = &[
    (
        "pthreads",
        "runtime/pthreads.c",
        false,
        &["-pthread"],
        &[],
        0,
    ),
    ("dlopen", "runtime/dlopen.c", false, &["-ldl"], &["0.75"], 3),
    (
        "math",
        "runtime/math.c",
        false,
        &["-lm"],
        &["2.5", "0.3"],
        0,
    ),
    (
        "memcpy",
        "runtime/memcpy.c",
        false,
        &["-fno-builtin-memcpy"],
        &[],
        0,
    ),
    ("ctor", "runtime/ctor.c", false, &[], &["hello"], 7),
    (
        "ctor_norelax",
        "runtime/ctor.c",
        false,
        &["-Wl,--no-relax"],
        &["hello"],
        7,
    ),
    ("cxx", "runtime/cxx.cc", true, &[], &["not-a-number"], 0),
    (
        "shlib",
        "runtime/shlib_main.c",
        false,
        &["-L", ".", "-lruntime", "-Wl,-rpath,$ORIGIN"],
        &[],
        0,
    ),
    ("far", "riscv64/far.c", false, &[], &[], 0),
    (
        "own_init",
        "riscv64/own_init.c",
        false,
        &["-nostartfiles"],
        &["x", "y"],
        0,
    ),
];

fn trixie() -> common::OldRuntime {
    let rt = common::fetch_old_runtime("trixie", "riscv64").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.glibc_version, "2.41");
    rt
}

/// `_start`'s call of `__libc_start_main@plt`, as objdump shows it: `jal` after the
/// linker's relaxation, `jalr` (after `auipc ra`) with `--no-relax`.
fn start_call(exe: &Path) -> String {
    let o = Command::new(format!("{TRIPLET}-objdump"))
        .args(["-d", "--no-show-raw-insn"])
        .arg(exe)
        .output()
        .expect("objdump (binutils-riscv64-linux-gnu, with the cross compiler)");
    let dis = String::from_utf8_lossy(&o.stdout);
    let start = dis.split("<_start>:").nth(1).expect("_start");
    start
        .lines()
        .find(|l| l.contains("<__libc_start_main@plt>"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn riscv64_programs_patched_to_2_27_pass_the_loader_check_and_run_the_same_on_2_41() {
    let new = trixie();
    let tmp = tempfile::tempdir().expect("tempdir");
    let orig = tmp.path().join("orig");
    let patched = tmp.path().join("patched");
    std::fs::create_dir_all(&orig).expect("mkdir");
    std::fs::create_dir_all(&patched).expect("mkdir");
    let data = root().join("testdata");
    let runtime_src = data.join("runtime");
    let gcc = format!("{TRIPLET}-gcc");
    let gxx = format!("{TRIPLET}-g++");
    let lib = orig.join("libruntime.so");
    compile(
        &gcc,
        &[
            "-O2".as_ref(),
            "-fPIC".as_ref(),
            "-shared".as_ref(),
            "-pthread".as_ref(),
            "-Wl,-soname,libruntime.so".as_ref(),
            "-o".as_ref(),
            lib.as_os_str(),
            runtime_src.join("libruntime.c").as_os_str(),
            "-ldl".as_ref(),
        ],
    );
    let patched_lib = patched.join("libruntime.so");
    patch(&lib, &patched_lib, "2.27");
    let (ok, out) = loader_check(&patched_lib);
    assert!(ok, "libruntime.so patched to 2.27: {out}");
    let mut lines = Vec::new();
    for &(name, file, cxx, flags, args, code) in PROGRAMS {
        let exe = orig.join(name);
        let source = data.join(file);
        let mut cmd: Vec<&std::ffi::OsStr> = vec![
            "-O2".as_ref(),
            "-I".as_ref(),
            runtime_src.as_os_str(),
            "-o".as_ref(),
            exe.as_os_str(),
            source.as_os_str(),
        ];
        // `-L .` means the directory of the original library.
        cmd.extend(flags.iter().map(|f| {
            if *f == "." {
                orig.as_os_str()
            } else {
                f.as_ref()
            }
        }));
        compile(if cxx { &gxx } else { &gcc }, &cmd);
        let call = start_call(&exe);
        let expected_call = if name == "ctor_norelax" {
            "jalr"
        } else {
            "jal"
        };
        assert_eq!(call, expected_call, "{name}: _start's call");
        let reference = run(&new, &exe, args, true);
        assert_eq!(
            reference.code,
            Some(code),
            "{name} unpatched on 2.41: {}",
            reference.stderr
        );
        let (ok, unpatched_check) = loader_check(&exe);
        assert!(
            !ok && unpatched_check.contains("version GLIBC_2.34 not found"),
            "{name}: the unpatched program must fail the 2.27 loader check: {unpatched_check}"
        );
        let out = patched.join(name);
        let plan = patch(&exe, &out, "2.27");
        assert!(plan.contains("inject the startup shim"), "{name}: {plan}");
        if name == "far" {
            // The new PT_LOAD (the shim) lies beyond a `jal`'s ±1 MiB from `_start`.
            let size = std::fs::metadata(&out).expect("patched far").len();
            assert!(size > 3 << 20, "far: {size} bytes");
        }
        let (ok, check) = loader_check(&out);
        assert!(ok, "{name} patched to 2.27, loader check: {check}");
        for bind_now in [true, false] {
            let r = run(&new, &out, args, bind_now);
            assert_eq!(
                (r.code, r.stdout.as_str()),
                (reference.code, reference.stdout.as_str()),
                "{name} patched to 2.27, run on 2.41 (LD_BIND_NOW={bind_now}): {}",
                r.stderr
            );
            if !cxx {
                // The C programs print the glibc they run on.
                assert!(
                    r.stderr.contains("running on glibc 2.41"),
                    "{name}: {}",
                    r.stderr
                );
            }
        }
        lines.push(format!(
            "riscv64: {name} ({call} in _start) patched to 2.27: loader check at 2.27 passes; same exit code and output on glibc 2.41"
        ));
    }
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), PROGRAMS.len());
}

/// `check` and `patch --dry-run` name the shim; below riscv64's first glibc (2.27)
/// `patch` refuses with that reason and writes nothing.
#[test]
fn riscv64_check_dry_run_and_the_2_27_floor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = tmp.path().join("ctor");
    let data = root().join("testdata/runtime");
    compile(
        &format!("{TRIPLET}-gcc"),
        &[
            "-O2".as_ref(),
            "-I".as_ref(),
            data.as_os_str(),
            "-o".as_ref(),
            exe.as_os_str(),
            data.join("ctor.c").as_os_str(),
        ],
    );
    let check = elfcompat(&[
        "check".as_ref(),
        "--glibc".as_ref(),
        "2.27".as_ref(),
        exe.as_os_str(),
    ]);
    let out = text(&check);
    assert_eq!(check.status.code(), Some(1), "{out}");
    assert!(
        out.contains("__libc_start_main") && out.contains("1 fixable"),
        "{out}"
    );
    assert!(!out.contains("blocker:"), "{out}");
    let dry = elfcompat(&[
        "patch".as_ref(),
        "--dry-run".as_ref(),
        "--glibc".as_ref(),
        "2.27".as_ref(),
        exe.as_os_str(),
    ]);
    let out = text(&dry);
    assert!(dry.status.success(), "{out}");
    assert!(
        out.contains("re-point  __libc_start_main            GLIBC_2.34 -> GLIBC_2.27")
            && out.contains("inject the startup shim"),
        "{out}"
    );
    let target = tmp.path().join("ctor-2.26");
    let low = elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        "2.26".as_ref(),
        exe.as_os_str(),
        "-o".as_ref(),
        target.as_os_str(),
    ]);
    let out = text(&low);
    assert!(!low.status.success(), "{out}");
    assert!(
        out.contains("riscv64-linux-gnu has no glibc older than 2.27"),
        "{out}"
    );
    assert!(!target.exists(), "nothing written below 2.27");
}
