//! What the cross-architecture tests (`tests/patch_{arch32,ppc64el,s390x,riscv64}.rs`,
//! `tests/patch_rust_cross.rs`) share: an architecture's Debian cross compilers and
//! qemu-user, building the programs of `testdata/runtime` with them, patching with
//! elfcompat, and running a program under qemu with a Debian glibc runtime (its loader
//! with `--inhibit-cache --library-path`).
//!
//! The compilers and qemu come from `.ci/run`'s package list, the runtimes from
//! `tools/old-glibc.sh`: a missing one fails the test that needs it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::OldRuntime;

/// One architecture: its Debian triplet (for `TRIPLET-gcc`, `TRIPLET-g++`), its
/// qemu-user binary and its Debian name.
pub struct Arch {
    pub triplet: &'static str,
    pub qemu: &'static str,
    pub debian: &'static str,
}

impl Arch {
    /// The C cross compiler.
    pub fn cc(&self) -> String {
        format!("{}-gcc", self.triplet)
    }

    /// The C++ cross compiler.
    pub fn cxx(&self) -> String {
        format!("{}-g++", self.triplet)
    }
}

pub const AARCH64: Arch = Arch {
    triplet: "aarch64-linux-gnu",
    qemu: "qemu-aarch64",
    debian: "arm64",
};

pub const I386: Arch = Arch {
    triplet: "i686-linux-gnu",
    qemu: "qemu-i386",
    debian: "i386",
};

pub const ARMHF: Arch = Arch {
    triplet: "arm-linux-gnueabihf",
    qemu: "qemu-arm",
    debian: "armhf",
};

pub const PPC64EL: Arch = Arch {
    triplet: "powerpc64le-linux-gnu",
    qemu: "qemu-ppc64le",
    debian: "ppc64el",
};

pub const S390X: Arch = Arch {
    triplet: "s390x-linux-gnu",
    qemu: "qemu-s390x",
    debian: "s390x",
};

pub const RISCV64: Arch = Arch {
    triplet: "riscv64-linux-gnu",
    qemu: "qemu-riscv64",
    debian: "riscv64",
};

/// `testdata/`.
pub fn testdata() -> PathBuf {
    super::crate_root().join("testdata")
}

/// One run of a program under qemu.
#[derive(Debug, PartialEq)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Run `prog ARGS` under `arch`'s qemu with `rt`'s loader and libraries, the program's own
/// directory searched first (for `libruntime.so`), with `env` (`NAME=value`) set in the
/// guest: e.g. `LD_BIND_NOW=1`, `LD_PRELOAD=…`; none for lazy binding.
pub fn run_env(arch: &Arch, rt: &OldRuntime, prog: &Path, args: &[&str], env: &[&str]) -> Run {
    let dir = prog.parent().expect("program directory");
    let mut cmd = Command::new(arch.qemu);
    for e in env {
        cmd.args(["-E", e]);
    }
    let o = cmd
        .arg(&rt.loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(format!("{}:{}", dir.display(), rt.libpath))
        .arg(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", arch.qemu));
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

/// [`run_env`] with `LD_BIND_NOW=1`.
pub fn run(arch: &Arch, rt: &OldRuntime, prog: &Path, args: &[&str]) -> Run {
    run_env(arch, rt, prog, args, &["LD_BIND_NOW=1"])
}

/// Run `elfcompat ARGS`.
pub fn elfcompat(args: &[&OsStr]) -> Output {
    Command::new(super::bin())
        .args(args)
        .output()
        .expect("elfcompat")
}

/// A command's stdout and stderr, one after the other.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `elfcompat patch --glibc GLIBC INPUT -o OUTPUT`, which must succeed; returns what it
/// printed (the plan).
pub fn patch(input: &Path, output: &Path, glibc: &str) -> String {
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

/// `elfcompat verify --glibc GLIBC --loader-check FILE`: (passed, output).
pub fn loader_check(file: &Path, glibc: &str) -> (bool, String) {
    let o = elfcompat(&[
        "verify".as_ref(),
        "--glibc".as_ref(),
        glibc.as_ref(),
        "--loader-check".as_ref(),
        file.as_os_str(),
    ]);
    (o.status.success(), text(&o))
}

/// Run a compiler, which must succeed.
pub fn compile(cc: &str, args: &[&OsStr]) {
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

/// A program to build and run: its name, its source (relative to `testdata/`), whether it
/// is C++, flags after the source (`-L .` means the directory of the original
/// `libruntime.so`), its arguments, and the exit code that says it worked (`dlopen.c` and
/// `ctor.c` exit with 3 and 7).
#[derive(Clone, Copy)]
pub struct Program {
    pub name: &'static str,
    pub source: &'static str,
    pub cxx: bool,
    pub flags: &'static [&'static str],
    pub args: &'static [&'static str],
    pub code: i32,
}

pub const fn program(
    name: &'static str,
    source: &'static str,
    cxx: bool,
    flags: &'static [&'static str],
    args: &'static [&'static str],
    code: i32,
) -> Program {
    Program {
        name,
        source,
        cxx,
        flags,
        args,
        code,
    }
}

/// The programs of `testdata/runtime`: C with pthreads, dlopen, math, memcpy, constructors
/// and destructors; C++ with global constructors, iostream and an exception; a shared
/// library with its own constructor loaded by a patched program.
pub const RUNTIME_PROGRAMS: &[Program] = &[
    program(
        "pthreads",
        "runtime/pthreads.c",
        false,
        &["-pthread"],
        &[],
        0,
    ),
    program("dlopen", "runtime/dlopen.c", false, &["-ldl"], &["0.75"], 3),
    program(
        "math",
        "runtime/math.c",
        false,
        &["-lm"],
        &["2.5", "0.3"],
        0,
    ),
    program(
        "memcpy",
        "runtime/memcpy.c",
        false,
        &["-fno-builtin-memcpy"],
        &[],
        0,
    ),
    program("ctor", "runtime/ctor.c", false, &[], &["hello"], 7),
    program("cxx", "runtime/cxx.cc", true, &[], &["not-a-number"], 0),
    program(
        "shlib",
        "runtime/shlib_main.c",
        false,
        &["-L", ".", "-lruntime", "-Wl,-rpath,$ORIGIN"],
        &[],
        0,
    ),
];

/// [`RUNTIME_PROGRAMS`] with `after_ctor` (variants of `ctor.c`) after `ctor`.
pub fn runtime_programs_with(after_ctor: &[Program]) -> Vec<Program> {
    let mut all = Vec::new();
    for p in RUNTIME_PROGRAMS {
        all.push(*p);
        if p.name == "ctor" {
            all.extend_from_slice(after_ctor);
        }
    }
    all
}

/// The directories a cross test works in: `orig/` (what the compiler built, with
/// `libruntime.so`) and `patched/` (what elfcompat wrote, with its patched
/// `libruntime.so`), in a temporary directory removed on drop.
pub struct Workdir {
    pub tmp: tempfile::TempDir,
    pub orig: PathBuf,
    pub patched: PathBuf,
}

impl Workdir {
    pub fn new() -> Workdir {
        let tmp = tempfile::tempdir().expect("tempdir");
        let orig = tmp.path().join("orig");
        let patched = tmp.path().join("patched");
        std::fs::create_dir_all(&orig).expect("mkdir");
        std::fs::create_dir_all(&patched).expect("mkdir");
        Workdir { tmp, orig, patched }
    }

    /// Build `orig/libruntime.so` (`testdata/runtime/libruntime.c`) with `arch`'s C
    /// compiler and patch it to `glibc` as `patched/libruntime.so`; returns the latter.
    pub fn build_libruntime(&self, arch: &Arch, glibc: &str) -> PathBuf {
        let lib = self.orig.join("libruntime.so");
        let source = testdata().join("runtime/libruntime.c");
        compile(
            &arch.cc(),
            &[
                "-O2".as_ref(),
                "-fPIC".as_ref(),
                "-shared".as_ref(),
                "-pthread".as_ref(),
                "-Wl,-soname,libruntime.so".as_ref(),
                "-o".as_ref(),
                lib.as_os_str(),
                source.as_os_str(),
                "-ldl".as_ref(),
            ],
        );
        let out = self.patched.join("libruntime.so");
        patch(&lib, &out, glibc);
        out
    }

    /// Build `p` with `arch`'s C or C++ compiler as `orig/NAME` (`-O2`, the headers of
    /// `testdata/runtime`); returns its path.
    pub fn build(&self, arch: &Arch, p: &Program) -> PathBuf {
        let exe = self.orig.join(p.name);
        let include = testdata().join("runtime");
        let source = testdata().join(p.source);
        let mut cmd: Vec<&OsStr> = vec![
            "-O2".as_ref(),
            "-I".as_ref(),
            include.as_os_str(),
            "-o".as_ref(),
            exe.as_os_str(),
            source.as_os_str(),
        ];
        cmd.extend(p.flags.iter().map(|f| {
            if *f == "." {
                self.orig.as_os_str()
            } else {
                f.as_ref()
            }
        }));
        let cc = if p.cxx { arch.cxx() } else { arch.cc() };
        compile(&cc, &cmd);
        exe
    }
}

impl Default for Workdir {
    fn default() -> Self {
        Self::new()
    }
}

/// Bullseye's (2.31) and bookworm's (2.36) glibc runtimes of `arch`.
pub fn bullseye_and_bookworm(arch: &Arch) -> (OldRuntime, OldRuntime) {
    let old = super::fetch_old_runtime("bullseye", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    let new = super::fetch_old_runtime("bookworm", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (old.glibc_version.as_str(), new.glibc_version.as_str()),
        ("2.31", "2.36")
    );
    (old, new)
}

/// `r` has the exit code and stdout of `reference`; `what` names the run in the message.
#[track_caller]
pub fn assert_same_run(r: &Run, reference: &Run, what: &str) {
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (reference.code, reference.stdout.as_str()),
        "{what}: {}",
        r.stderr
    );
}

/// The C programs print the glibc they run on: `r` ran on `version`.
#[track_caller]
pub fn assert_ran_on(r: &Run, version: &str, what: &str) {
    assert!(
        r.stderr.contains(&format!("running on glibc {version}")),
        "{what}: {}",
        r.stderr
    );
}

/// The unpatched `exe` (built from `p`) on bookworm's 2.36 (`new`) must exit with
/// `p.code`, and on bullseye's 2.31 (`old`) must fail for `GLIBC_2.34`: (the run on 2.36,
/// the reference for the patched program; the run on 2.31).
pub fn unpatched_runs(
    arch: &Arch,
    old: &OldRuntime,
    new: &OldRuntime,
    exe: &Path,
    p: &Program,
) -> (Run, Run) {
    let name = p.name;
    let reference = run(arch, new, exe, p.args);
    assert_eq!(
        reference.code,
        Some(p.code),
        "{name} unpatched on 2.36: {}",
        reference.stderr
    );
    let unpatched_old = run(arch, old, exe, p.args);
    assert!(
        unpatched_old.stderr.contains("GLIBC_2.34' not found"),
        "{name}: the unpatched program must fail on 2.31, got {:?} {}",
        unpatched_old.code,
        unpatched_old.stderr
    );
    (reference, unpatched_old)
}

/// The patched `out` (built from `p`, patched to 2.31) run on 2.31 (`old`) and 2.36
/// (`new`), LD_BIND_NOW=1, must have the exit code and stdout of `reference`, and a C
/// program must say it ran on that glibc; `more(label, runtime)` adds an architecture's
/// own checks on each.
pub fn assert_patched_runs_like(
    arch: &Arch,
    old: &OldRuntime,
    new: &OldRuntime,
    out: &Path,
    p: &Program,
    reference: &Run,
    mut more: impl FnMut(&str, &OldRuntime),
) {
    let name = p.name;
    for (label, rt) in [("2.31", old), ("2.36", new)] {
        let r = run(arch, rt, out, p.args);
        assert_same_run(
            &r,
            reference,
            &format!("{name} patched to 2.31, run on {label}"),
        );
        more(label, rt);
        if !p.cxx {
            assert_ran_on(&r, label, &format!("{name} on {label}"));
        }
    }
}

/// Debian 12's packages whose executables tests/arch32_packages.rs patches and runs, and
/// whose code tests/silent_scan_arches.rs scans.
pub const PROGRAMS: &[&str] = &[
    "coreutils",
    "bash",
    "grep",
    "sed",
    "tar",
    "gzip",
    "xz-utils",
    "findutils",
    "diffutils",
    "python3.11-minimal",
];

/// The shared libraries those programs load (the same sonames in bullseye and bookworm).
pub const LIBRARIES: &[&str] = &[
    "libtinfo6",
    "libpcre2-8-0",
    "libacl1",
    "libattr1",
    "libselinux1",
    "libgmp10",
    "liblzma5",
    "libexpat1",
    "zlib1g",
    "libzstd1",
    "libbz2-1.0",
];

/// `tools/debian-fetch.sh SUITE ARCH DEST PKG...` into the cache
/// (`~/.cache/elfcompat/packages/SUITE-ARCH-WHAT`, or under `ELFCOMPAT_CACHE`); it does
/// nothing when the packages are there already. Returns DEST.
pub fn debian_packages(suite: &str, arch: &str, what: &str, packages: &[&str]) -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME");
    let cache = std::env::var_os("ELFCOMPAT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&home).join(".cache/elfcompat"));
    let dest = cache.join(format!("packages/{suite}-{arch}-{what}"));
    let o = Command::new("bash")
        .arg(super::crate_root().join("tools/debian-fetch.sh"))
        .args([suite, arch])
        .arg(&dest)
        .args(packages)
        .output()
        .expect("debian-fetch.sh");
    assert!(
        o.status.success(),
        "debian-fetch.sh {suite} {arch} {packages:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    dest
}
