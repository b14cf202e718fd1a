//! Silent changes: programs whose symbol versions all resolve on an old glibc, but that
//! pass an old function arguments only a newer glibc understands (docs/silent-changes.md).
//! Each program is compiled at test time against the host's headers (glibc 2.36), patched
//! to 2.31 and run under bullseye's glibc 2.31 and the host's with LD_BIND_NOW=1: the
//! output must be the unpatched program's on the host. Patched to 2.17, it must pass
//! `verify --loader-check`. The same on aarch64 under qemu-user.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{run_command, Run};

fn src(name: &str) -> PathBuf {
    common::crate_root().join("testdata/silent").join(name)
}

fn compile(cc: &str, sources: &[&str], out: &Path, flags: &[&str]) {
    let mut cmd = Command::new(cc);
    for s in sources {
        cmd.arg(src(s));
    }
    cmd.args(flags).arg("-o").arg(out);
    let r = run_command(cmd, Duration::from_secs(120));
    assert_eq!(r.code(), 0, "{cc} {sources:?}: {}", r.describe());
}

/// Link `program` against a stub shared library that defines glibc functions at a version
/// newer than the host's glibc (`stub` and its version script `map`), then rename the stub
/// to libc.so.6 in DT_NEEDED and .gnu.version_r with patchelf: the result needs those
/// versions of libc.so.6, as a program built on that glibc would.
fn link_as_newer_glibc(dir: &Path, program: &str, stub: &str, map: &str, out: &Path) {
    assert!(common::have_tool("gcc") && common::have_tool("patchelf"));
    let soname = format!("libelfcompat-{}.so", stub.trim_end_matches(".c"));
    let lib = dir.join(&soname);
    let map = format!("-Wl,--version-script={}", src(map).display());
    let soname_flag = format!("-Wl,-soname,{soname}");
    compile(
        "gcc",
        &[stub],
        &lib,
        &["-shared", "-fPIC", "-nostdlib", &soname_flag, &map],
    );
    let lib_arg = lib.display().to_string();
    compile(
        "gcc",
        &[program],
        out,
        &["-O2", "-Wl,--no-as-needed", &lib_arg],
    );
    let mut cmd = Command::new("patchelf");
    cmd.args(["--replace-needed", &soname, "libc.so.6"])
        .arg(out);
    let r = run_command(cmd, Duration::from_secs(60));
    assert_eq!(r.code(), 0, "{}", r.describe());
}

/// Patched to 2.17, `prog` passes the loader check for 2.17.
fn verify_at_2_17(prog: &Path, dir: &Path) {
    let name = prog.file_name().expect("name").to_string_lossy();
    let el7 = dir.join(format!("{name}.2.17"));
    patch(prog, &el7, "2.17");
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{}", v.describe());
}

fn elfcompat(args: &[&str], files: &[&Path]) -> Run {
    let mut cmd = Command::new(common::bin());
    cmd.args(args);
    for f in files {
        cmd.arg(f);
    }
    run_command(cmd, Duration::from_secs(120))
}

fn patch(input: &Path, output: &Path, glibc: &str) -> Run {
    let r = elfcompat(&["patch", "--glibc", glibc, "-o"], &[output, input]);
    assert_eq!(
        r.code(),
        0,
        "patch {glibc} {}: {}",
        input.display(),
        r.describe()
    );
    r
}

/// Run on the host (glibc 2.36) or, with `old`, under bullseye's loader and libraries;
/// `extra` is prepended to the library path.
fn run(prog: &Path, old: Option<&(String, String)>, extra: Option<&Path>) -> Run {
    run_with(prog, &[], old, extra)
}

/// [`run`] with arguments for the program.
fn run_with(
    prog: &Path,
    args: &[&str],
    old: Option<&(String, String)>,
    extra: Option<&Path>,
) -> Run {
    let extra = extra.map(|p| p.display().to_string());
    let mut cmd = match old {
        Some((loader, libpath)) => {
            let mut c = Command::new(loader);
            let path = match &extra {
                Some(e) => format!("{e}:{libpath}"),
                None => libpath.clone(),
            };
            c.args(["--inhibit-cache", "--library-path", &path])
                .arg(prog);
            c
        }
        None => {
            let mut c = Command::new(prog);
            if let Some(e) = &extra {
                c.env("LD_LIBRARY_PATH", e);
            }
            c
        }
    };
    cmd.args(args).env("LD_BIND_NOW", "1");
    run_command(cmd, Duration::from_secs(60))
}

/// The program's output on the host, unpatched; then patched to 2.31, the same output on
/// bullseye's 2.31 and on the host; patched to 2.17, accepted by the loader check.
fn same_after_patch(name: &str, prog: &Path, lib_dir: Option<&Path>, old: &(String, String)) {
    let reference = run(prog, None, lib_dir);
    assert_eq!(
        reference.code(),
        0,
        "{name} on the host: {}",
        reference.describe()
    );
    let dir = prog.parent().expect("dir");
    let patched = dir.join(format!("{name}.2.31"));
    let plan = patch(prog, &patched, "2.31");
    assert!(
        plan.stdout.contains("wrap      sysconf"),
        "{name}: sysconf must be wrapped:\n{}",
        plan.stdout
    );
    for (label, r) in [
        ("bullseye's 2.31", run(&patched, Some(old), lib_dir)),
        ("the host's 2.36", run(&patched, None, lib_dir)),
    ] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "{name} patched to 2.31, run on {label}"
        );
    }
    let el7 = dir.join(format!("{name}.2.17"));
    patch(prog, &el7, "2.17");
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{name} patched to 2.17: {}", v.describe());
    eprintln!(
        "silent: {name}: {} on the host and, patched, on glibc 2.31 and 2.36; 2.17 loader check OK",
        reference.stdout.trim()
    );
}

#[test]
fn sigstksz_programs_behave_the_same_on_glibc_2_31() {
    assert!(common::have_tool("gcc") && common::have_tool("g++"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let t = tmp.path();

    // C: SIGSTKSZ and MINSIGSTKSZ printed.
    let c = t.join("sigstksz");
    compile("gcc", &["sigstksz.c"], &c, &["-O2"]);
    // Unpatched, the loader refuses it on 2.31 (it needs 2.34), so patching is the only way.
    let r = run(&c, Some(&old), None);
    assert!(
        r.stderr.contains("GLIBC_2.34' not found"),
        "{}",
        r.describe()
    );
    // check sees the calls and says what fixes them.
    let chk = elfcompat(&["check", "--glibc", "2.31"], &[&c]);
    assert_eq!(chk.code(), 1, "{}", chk.describe());
    assert!(
        chk.stdout.contains("fixable: wrap (sysconf(_SC_SIGSTKSZ)"),
        "{}",
        chk.describe()
    );
    same_after_patch("sigstksz", &c, None, &old);

    // The wrapper is what makes the difference. Without it (--polyfill none) the seen call
    // is a blocker; forced through with --allow-blockers, the program answers -1 on 2.31.
    let bare = t.join("sigstksz.bare");
    let p = elfcompat(
        &["patch", "--glibc", "2.31", "--polyfill", "none", "-o"],
        &[&bare, &c],
    );
    assert_eq!(p.code(), 1, "{}", p.describe());
    assert!(
        p.stdout.contains("BLOCKER   sysconf@GLIBC_2.2.5"),
        "{}",
        p.describe()
    );
    assert!(!bare.exists(), "nothing written for a blocker");
    let p = elfcompat(
        &[
            "patch",
            "--glibc",
            "2.31",
            "--polyfill",
            "none",
            "--allow-blockers",
            "-o",
        ],
        &[&bare, &c],
    );
    assert_eq!(p.code(), 0, "{}", p.describe());
    let r = run(&bare, Some(&old), None);
    assert!(r.stdout.contains("SIGSTKSZ -1"), "{}", r.describe());

    // C++: new char[SIGSTKSZ] and sigaltstack.
    let cxx = t.join("altstack");
    compile("g++", &["altstack.cc"], &cxx, &["-O2"]);
    same_after_patch("altstack", &cxx, None, &old);
}

/// A library whose versions need nothing newer than 2.2.5: only its code shows the
/// sysconf (_SC_SIGSTKSZ) call. `check` must fail it and `patch` must wrap it.
#[test]
fn a_library_that_only_its_code_betrays_is_wrapped() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let t = tmp.path();
    let libdir = t.join("lib");
    std::fs::create_dir(&libdir).expect("mkdir");
    let lib = libdir.join("libsigsize.so");
    compile("gcc", &["libsigsize.c"], &lib, &["-O2", "-shared", "-fPIC"]);
    let prog = t.join("usesigsize");
    let libflag = format!("-L{}", libdir.display());
    compile(
        "gcc",
        &["usesigsize.c"],
        &prog,
        &["-O2", &libflag, "-lsigsize"],
    );

    let chk = elfcompat(&["check", "--glibc", "2.31"], &[&lib]);
    assert_eq!(chk.code(), 1, "{}", chk.describe());
    assert!(
        chk.stdout.contains("sysconf(_SC_SIGSTKSZ)"),
        "{}",
        chk.describe()
    );
    // At 2.34 the call means what it says: nothing to report.
    let chk = elfcompat(&["check", "--glibc", "2.34"], &[&lib]);
    assert_eq!(chk.code(), 0, "{}", chk.describe());

    let reference = run(&prog, None, Some(&libdir));
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    // Unpatched library, patched program: the library's answer is wrong on 2.31.
    let prog31 = t.join("usesigsize.2.31");
    patch(&prog, &prog31, "2.31");
    let r = run(&prog31, Some(&old), Some(&libdir));
    assert!(r.stdout.contains("is -1"), "{}", r.describe());

    let patched_dir = t.join("lib31");
    std::fs::create_dir(&patched_dir).expect("mkdir");
    let plan = patch(&lib, &patched_dir.join("libsigsize.so"), "2.31");
    assert!(plan.stdout.contains("wrap      sysconf"), "{}", plan.stdout);
    for (label, r) in [
        ("2.31", run(&prog31, Some(&old), Some(&patched_dir))),
        ("2.36", run(&prog31, None, Some(&patched_dir))),
    ] {
        assert_eq!(r.triple(), reference.triple(), "run on {label}");
    }
    let v = elfcompat(
        &["verify", "--glibc", "2.31", "--loader-check"],
        &[&patched_dir.join("libsigsize.so")],
    );
    assert_eq!(v.code(), 0, "{}", v.describe());
    eprintln!("silent: libsigsize: {}", reference.stdout.trim());
}

fn qemu(prog: &Path, old: Option<&(String, String)>) -> Run {
    qemu_with(prog, &[], old)
}

/// [`qemu`] with arguments for the program.
fn qemu_with(prog: &Path, args: &[&str], old: Option<&(String, String)>) -> Run {
    let mut cmd = Command::new("qemu-aarch64");
    match old {
        Some((loader, libpath)) => {
            cmd.args([
                "-E",
                "LD_BIND_NOW=1",
                loader,
                "--inhibit-cache",
                "--library-path",
                libpath,
            ]);
        }
        None => {
            cmd.args(["-L", "/usr/aarch64-linux-gnu", "-E", "LD_BIND_NOW=1"]);
        }
    }
    cmd.arg(prog).args(args);
    run_command(cmd, Duration::from_secs(120))
}

#[test]
fn aarch64_sigstksz_programs_behave_the_same_on_glibc_2_31() {
    assert!(
        common::have_tool("aarch64-linux-gnu-gcc")
            && common::have_tool("aarch64-linux-gnu-g++")
            && common::have_tool("qemu-aarch64")
    );
    let old = common::old_runtime("arm64");
    let tmp = common::tempdir();
    for (name, cc, source) in [
        ("sigstksz", "aarch64-linux-gnu-gcc", "sigstksz.c"),
        ("altstack", "aarch64-linux-gnu-g++", "altstack.cc"),
    ] {
        let prog = tmp.path().join(name);
        compile(cc, &[source], &prog, &["-O2"]);
        let reference = qemu(&prog, None);
        assert_eq!(
            reference.code(),
            0,
            "{name} on 2.36: {}",
            reference.describe()
        );
        let chk = elfcompat(&["check", "--glibc", "2.31"], &[&prog]);
        assert!(
            chk.stdout.contains("fixable: wrap (sysconf(_SC_SIGSTKSZ)"),
            "{}",
            chk.describe()
        );
        let out = tmp.path().join(format!("{name}.2.31"));
        let plan = patch(&prog, &out, "2.31");
        assert!(plan.stdout.contains("wrap      sysconf"), "{}", plan.stdout);
        for (label, r) in [("2.31", qemu(&out, Some(&old))), ("2.36", qemu(&out, None))] {
            assert_eq!(
                r.triple(),
                reference.triple(),
                "{name} patched, run on {label}"
            );
        }
        let el7 = tmp.path().join(format!("{name}.2.17"));
        patch(&prog, &el7, "2.17");
        let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
        assert_eq!(v.code(), 0, "{}", v.describe());
        eprintln!("silent: aarch64 {name}: {}", reference.stdout.trim());
    }
}

/// O_TMPFILE: before glibc 2.22 openat (and on aarch64 open) dropped the mode. Patched to
/// 2.17 the program gets the wrapper, passes the loader check for 2.17, and keeps its
/// output on 2.31 and 2.36 (no glibc before 2.22 can be run here: the wrapper's own path
/// is what runs on every glibc, since it makes O_TMPFILE opens itself).
#[test]
fn o_tmpfile_opens_are_wrapped_below_2_22() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let prog = tmp.path().join("tmpfile");
    compile("gcc", &["tmpfile.c"], &prog, &["-O2"]);
    let dir = tmp.path().display().to_string();
    let reference = run_with(&prog, &[&dir], None, None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    assert!(
        reference.stdout.contains("mode 0640"),
        "{}",
        reference.describe()
    );

    let chk = elfcompat(&["check", "--glibc", "2.17"], &[&prog]);
    assert!(
        chk.stdout.contains("fixable: wrap (openat with O_TMPFILE"),
        "{}",
        chk.describe()
    );
    // 2.22 and later read the mode: nothing to wrap for a 2.28 baseline.
    let plan = elfcompat(&["patch", "--glibc", "2.28", "--dry-run"], &[&prog]);
    assert!(
        !plan.stdout.contains("wrap      openat"),
        "{}",
        plan.describe()
    );

    let el7 = tmp.path().join("tmpfile.2.17");
    let plan = patch(&prog, &el7, "2.17");
    assert!(plan.stdout.contains("wrap      openat"), "{}", plan.stdout);
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{}", v.describe());
    for (label, r) in [
        ("2.31", run_with(&el7, &[&dir], Some(&old), None)),
        ("2.36", run_with(&el7, &[&dir], None, None)),
    ] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "patched to 2.17, run on {label}"
        );
    }
    eprintln!(
        "silent: tmpfile: {}",
        reference.stdout.trim().replace('\n', "; ")
    );
}

/// Re-pointing to an older version whose meaning differs would break the program
/// silently: totalorder@GLIBC_2.31 takes pointers, 2.25's takes values. Below 2.31 it is
/// never re-pointed to 2.25's: elfcompat links its own pointer-argument totalorder
/// (tests/polyfill_math.rs compares it with glibc's), and the patched program prints on
/// bullseye's 2.31 what it prints unpatched on the host; at 2.31 it needs nothing.
#[test]
fn older_versions_that_mean_something_else_are_refused() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let prog = tmp.path().join("totalorder");
    compile("gcc", &["totalorder.c"], &prog, &["-O2", "-lm"]);
    let chk = elfcompat(&["check", "--glibc", "2.28"], &[&prog]);
    assert_eq!(chk.code(), 1, "{}", chk.describe());
    assert!(
        chk.stdout.contains("totalorder")
            && chk.stdout.contains("fixable: polyfill")
            && !chk.stdout.contains("GLIBC_2.25"),
        "{}",
        chk.describe()
    );
    let reference = run(&prog, None, None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    let out = tmp.path().join("totalorder.2.28");
    let plan = patch(&prog, &out, "2.28");
    assert!(
        plan.stdout.contains("polyfill  totalorder"),
        "{}",
        plan.stdout
    );
    let r = run(&out, Some(&old), None);
    assert_eq!(
        (r.code(), r.stdout.as_str()),
        (0, reference.stdout.as_str()),
        "{}",
        r.describe()
    );
    let ok = elfcompat(&["patch", "--glibc", "2.31", "--dry-run"], &[&prog]);
    assert_eq!(ok.code(), 0, "{}", ok.describe());
    assert!(!ok.stdout.contains("totalorder@"), "{}", ok.describe());
}

/// fmemopen@GLIBC_2.22 below 2.22: not the older version (it means something else) but
/// elfcompat's own 2.22 stream, which must behave exactly as glibc's: the same output on
/// the host (glibc's own function, then the polyfill) and on bullseye, x86_64 and aarch64.
#[test]
fn fmemopen_below_2_22_is_the_2_22_stream() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let prog = tmp.path().join("fmemopen");
    compile("gcc", &["fmemopen.c"], &prog, &["-O2"]);
    let reference = run(&prog, None, None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    let el7 = tmp.path().join("fmemopen.2.17");
    let plan = patch(&prog, &el7, "2.17");
    assert!(
        plan.stdout.contains("polyfill  fmemopen"),
        "{}",
        plan.stdout
    );
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{}", v.describe());
    for (label, r) in [
        ("2.31", run(&el7, Some(&old), None)),
        ("2.36", run(&el7, None, None)),
    ] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "patched to 2.17, run on {label}"
        );
    }

    if !(common::have_tool("aarch64-linux-gnu-gcc") && common::have_tool("qemu-aarch64")) {
        return;
    }
    let old = common::old_runtime("arm64");
    let prog = tmp.path().join("fmemopen-aarch64");
    compile("aarch64-linux-gnu-gcc", &["fmemopen.c"], &prog, &["-O2"]);
    let reference = qemu(&prog, None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    let el7 = tmp.path().join("fmemopen-aarch64.2.17");
    let plan = patch(&prog, &el7, "2.17");
    assert!(
        plan.stdout.contains("polyfill  fmemopen"),
        "{}",
        plan.stdout
    );
    for (label, r) in [("2.31", qemu(&el7, Some(&old))), ("2.36", qemu(&el7, None))] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "aarch64 patched to 2.17, run on {label}"
        );
    }
    eprintln!(
        "silent: fmemopen: {} lines identical to glibc 2.36's on 2.31 and 2.36, x86_64 and aarch64",
        reference.stdout.lines().count()
    );
}

/// aarch64's open, open64, openat and openat64 all dropped the O_TMPFILE mode before 2.22.
#[test]
fn aarch64_o_tmpfile_opens_are_wrapped_below_2_22() {
    assert!(common::have_tool("aarch64-linux-gnu-gcc") && common::have_tool("qemu-aarch64"));
    let old = common::old_runtime("arm64");
    let tmp = common::tempdir();
    let prog = tmp.path().join("tmpfile");
    compile("aarch64-linux-gnu-gcc", &["tmpfile.c"], &prog, &["-O2"]);
    let dir = tmp.path().display().to_string();
    let reference = qemu_with(&prog, &[&dir], None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    let el7 = tmp.path().join("tmpfile.2.17");
    let plan = patch(&prog, &el7, "2.17");
    assert!(plan.stdout.contains("wrap      openat"), "{}", plan.stdout);
    assert!(plan.stdout.contains("wrap      open "), "{}", plan.stdout);
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{}", v.describe());
    for (label, r) in [
        ("2.31", qemu_with(&el7, &[&dir], Some(&old))),
        ("2.36", qemu_with(&el7, &[&dir], None)),
    ] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "patched to 2.17, run on {label}"
        );
    }
    eprintln!(
        "silent: aarch64 tmpfile: {}",
        reference.stdout.trim().replace('\n', "; ")
    );
}

/// printf's %b (2.35) cannot be wrapped; the string is seen in the file and named in
/// check's and the plan's notes. The strftime "%b %d %H:%M" in the same file is not.
#[test]
fn newer_printf_conversions_are_named() {
    assert!(common::have_tool("gcc"));
    let tmp = common::tempdir();
    let prog = tmp.path().join("printf_b");
    compile("gcc", &["printf_b.c"], &prog, &["-O2", "-Wno-format"]);
    let chk = elfcompat(&["check", "--glibc", "2.31"], &[&prog]);
    assert!(
        chk.stdout
            .contains("note: printf strings in the file use %b/%B (1 of them"),
        "{}",
        chk.describe()
    );
    let plan = elfcompat(&["patch", "--glibc", "2.31", "--dry-run"], &[&prog]);
    assert_eq!(plan.code(), 0, "{}", plan.describe());
    assert!(plan.stdout.contains("%08b|%s"), "{}", plan.describe());
    assert!(!plan.stdout.contains("%H:%M"), "{}", plan.describe());
    // From 2.35 on the conversion is known: no note.
    let chk = elfcompat(&["check", "--glibc", "2.35", "--json"], &[&prog]);
    assert!(!chk.stdout.contains("%08b"), "{}", chk.describe());
}

/// The termios speed functions of glibc 2.42 take baud numbers; their older versions CBAUD
/// codes. A program linked against them at GLIBC_2.42 (through a stub libc.so.6 that
/// defines them at that version, renamed into place with patchelf, since no glibc 2.42 is
/// at hand) gets elfcompat's 2.42 functions below 2.42, and answers as 2.42 would on a
/// pty under glibc 2.31 and 2.36 alike (except for a rate without a CBAUD code, which an
/// older tcsetattr cannot carry: EINVAL, as the plan's note says).
#[test]
fn termios_speeds_of_2_42_are_polyfilled() {
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let t = tmp.path();
    let prog = t.join("termios42");
    link_as_newer_glibc(
        t,
        "termios42.c",
        "termios42-stub.c",
        "termios42-stub.map",
        &prog,
    );

    let chk = elfcompat(&["check", "--glibc", "2.31"], &[&prog]);
    assert!(
        chk.stdout.contains("cfsetospeed                      GLIBC_2.42         libc.so.6          fixable: polyfill"),
        "{}",
        chk.describe()
    );
    let out = t.join("termios42.2.31");
    let plan = patch(&prog, &out, "2.31");
    assert!(
        plan.stdout.contains("polyfill  cfgetospeed"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("fails with EINVAL"), "{}", plan.stdout);
    verify_at_2_17(&prog, t);
    // What glibc 2.42 answers (sysdeps/unix/sysv/linux/speed.c: the baud number in the
    // speed field, its code in c_cflag), but for the rate without a code.
    let expected = "cfsetospeed(9600) = 0\n\
                    cfgetospeed = 9600, CBAUD code 015\n\
                    cfsetispeed(115200) = 0\n\
                    cfgetispeed = 115200\n\
                    cfsetospeed(12345) = -1 EINVAL\n\
                    cfsetspeed(38400) = 0\n\
                    pty after tcsetattr: out 38400 in 38400\n";
    for (label, r) in [
        ("2.31", run(&out, Some(&old), None)),
        ("2.36", run(&out, None, None)),
    ] {
        assert_eq!(r.code(), 0, "run on {label}: {}", r.describe());
        assert_eq!(r.stdout, expected, "run on {label}");
    }
}

/// fchmodat with AT_SYMLINK_NOFOLLOW and lchmod (glibc 2.32): wrapped below 2.32, the same
/// answers and modes on 2.31 as glibc 2.36's, where 2.31's own fchmodat refuses the flag.
#[test]
fn chmod_nofollow_behaves_as_2_32_on_2_31() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let prog = tmp.path().join("chmod_nofollow");
    compile("gcc", &["chmod_nofollow.c"], &prog, &["-O2"]);
    let in_dir = |name: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).expect("mkdir");
        dir.display().to_string()
    };
    let reference = run_with(&prog, &[&in_dir("ref")], None, None);
    assert_eq!(reference.code(), 0, "{}", reference.describe());
    assert!(
        reference.stdout.contains("EOPNOTSUPP"),
        "{}",
        reference.describe()
    );
    let out = tmp.path().join("chmod_nofollow.2.31");
    let plan = patch(&prog, &out, "2.31");
    assert!(
        plan.stdout.contains("wrap      fchmodat"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("wrap      lchmod"), "{}", plan.stdout);
    for (label, r) in [
        ("2.31", run_with(&out, &[&in_dir("old")], Some(&old), None)),
        ("2.36", run_with(&out, &[&in_dir("new")], None, None)),
    ] {
        assert_eq!(
            r.triple(),
            reference.triple(),
            "patched to 2.31, run on {label}"
        );
    }
    let el7 = tmp.path().join("chmod_nofollow.2.17");
    patch(&prog, &el7, "2.17");
    let v = elfcompat(&["verify", "--glibc", "2.17", "--loader-check"], &[&el7]);
    assert_eq!(v.code(), 0, "{}", v.describe());
}

/// statvfs's f_type (glibc 2.39): a program that needs 2.39 gets the wrapper below it and
/// reads the file system's type on 2.31 and 2.36 (which leave the bytes zeroed); one built
/// against older headers (the same source, without the 2.39 requirement) does not.
#[test]
fn statvfs_f_type_is_filled_below_2_39() {
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let t = tmp.path();
    let prog = t.join("statvfs_type");
    link_as_newer_glibc(
        t,
        "statvfs_type.c",
        "glibc239-stub.c",
        "glibc239-stub.map",
        &prog,
    );
    let out = t.join("statvfs_type.2.31");
    let plan = patch(&prog, &out, "2.31");
    assert!(plan.stdout.contains("wrap      statvfs"), "{}", plan.stdout);
    verify_at_2_17(&prog, t);
    for (label, r) in [
        ("2.31", run(&out, Some(&old), None)),
        ("2.36", run(&out, None, None)),
    ] {
        assert_eq!(r.code(), 0, "run on {label}: {}", r.describe());
        assert_eq!(
            r.stdout, "statvfs f_type == statfs f_type\n",
            "run on {label}"
        );
    }
    let plain = t.join("statvfs_plain");
    compile("gcc", &["statvfs_type.c"], &plain, &["-O2"]);
    let r = run(&plain, None, None);
    assert_eq!(
        r.stdout,
        "statvfs f_type != statfs f_type\n",
        "{}",
        r.describe()
    );
    let plan = elfcompat(&["patch", "--glibc", "2.31", "--dry-run"], &[&plain]);
    assert!(
        !plan.stdout.contains("wrap      statvfs"),
        "{}",
        plan.describe()
    );
}

/// The C23 conversions of glibc 2.38 (`__isoc23_strtol` and friends) below 2.38: not the
/// older functions under another name (they stop at the "0b" prefix) but elfcompat's own,
/// which read binary digits after it with strtol's overflow rules, and give every other
/// string to the older function. The expected output (testdata/silent/strtol_c23.expected)
/// is C23's answer for each case, worked out by hand; it must come out on 2.31 and 2.36.
#[test]
fn c23_strtol_reads_binary_below_2_38() {
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let t = tmp.path();
    let prog = t.join("strtol_c23");
    link_as_newer_glibc(
        t,
        "strtol_c23.c",
        "strtol_c23-stub.c",
        "strtol_c23-stub.map",
        &prog,
    );
    let out = t.join("strtol_c23.2.31");
    let plan = patch(&prog, &out, "2.31");
    for f in [
        "__isoc23_strtol ",
        "__isoc23_strtoull",
        "__isoc23_wcstol",
        "__isoc23_strtoimax",
        "__isoc23_strtol_l",
    ] {
        assert!(
            plan.stdout.contains(&format!("polyfill  {f}")),
            "{f}: {}",
            plan.stdout
        );
    }
    assert!(!plan.stdout.contains("rename "), "{}", plan.stdout);
    verify_at_2_17(&prog, t);
    let expected = std::fs::read_to_string(src("strtol_c23.expected")).expect("expected output");
    for (label, r) in [
        ("2.31", run(&out, Some(&old), None)),
        ("2.36", run(&out, None, None)),
    ] {
        assert_eq!(r.code(), 0, "run on {label}: {}", r.describe());
        assert_eq!(r.stdout, expected, "run on {label}");
    }
    // Without polyfills the rename remains, with its note.
    let plan = elfcompat(
        &[
            "patch",
            "--glibc",
            "2.31",
            "--dry-run",
            "--polyfill",
            "none",
        ],
        &[&prog],
    );
    assert!(
        plan.stdout.contains("rename    __isoc23_strtol "),
        "{}",
        plan.describe()
    );
}

/// A real program that calls sysconf (_SC_SIGSTKSZ): Debian 12's python3, whose
/// faulthandler allocates its alternate signal stack from SIGSTKSZ. Patched to 2.31 with
/// the libraries it loads, `faulthandler.enable()` works under bullseye's glibc 2.31.
#[test]
fn python_faulthandler_runs_on_2_31() {
    let python = Path::new("/usr/bin/python3.11");
    assert!(
        python.exists(),
        "Debian 12's python3.11 (.ci/run installs python3)"
    );
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let out = tmp.path().join("out");
    let chk = elfcompat(&["check", "--glibc", "2.31"], &[python]);
    assert!(
        chk.stdout.contains("sysconf(_SC_SIGSTKSZ)"),
        "{}",
        chk.describe()
    );
    let mut cmd = Command::new(common::bin());
    cmd.args(["patch", "--glibc", "2.31", "-o"])
        .arg(&out)
        .arg(python)
        .args([
            "/lib/x86_64-linux-gnu/libexpat.so.1",
            "/lib/x86_64-linux-gnu/libz.so.1",
        ]);
    let r = run_command(cmd, Duration::from_secs(120));
    assert_eq!(r.code(), 0, "{}", r.describe());
    assert!(r.stdout.contains("wrap      sysconf"), "{}", r.describe());
    let script = tmp.path().join("fh.py");
    std::fs::write(
        &script,
        "import faulthandler\nfaulthandler.enable()\nprint('faulthandler', faulthandler.is_enabled())\n",
    )
    .expect("write");
    let (loader, libpath) = &old;
    let mut cmd = Command::new(loader);
    cmd.args(["--inhibit-cache", "--library-path"])
        .arg(format!("{}:{libpath}", out.display()))
        .arg(out.join("python3.11"))
        .args(["-I", "-S"])
        .arg(&script)
        .env("LD_BIND_NOW", "1");
    let r = run_command(cmd, Duration::from_secs(60));
    assert_eq!(
        r.triple(),
        (0, "faulthandler True\n", ""),
        "{}",
        r.describe()
    );
}

/// lgamma@GLIBC_2.23 below 2.23: the older versions write the signgam the lookup finds
/// first, so a file that defines and exports its own is refused (check and patch alike);
/// one that does not is re-pointed and keeps its output on 2.31 and 2.36.
#[test]
fn lgamma_is_not_re_pointed_over_the_programs_own_signgam() {
    assert!(common::have_tool("gcc"));
    let old = common::old_runtime("amd64");
    let tmp = common::tempdir();
    let own = tmp.path().join("own_signgam");
    compile(
        "gcc",
        &["own_signgam.c"],
        &own,
        &["-O2", "-rdynamic", "-lm"],
    );
    let chk = elfcompat(&["check", "--glibc", "2.17"], &[&own]);
    assert_eq!(chk.code(), 1, "{}", chk.describe());
    assert!(
        chk.stdout
            .contains("blocker: lgamma with the program's own signgam"),
        "{}",
        chk.describe()
    );
    let dry = elfcompat(&["patch", "--glibc", "2.17", "--dry-run"], &[&own]);
    assert_eq!(dry.code(), 1, "{}", dry.describe());
    assert!(
        !dry.stdout.contains("re-point  lgamma"),
        "{}",
        dry.describe()
    );

    // Without its own signgam (the definition renamed away), the re-point is made.
    let src_text = std::fs::read_to_string(src("own_signgam.c")).expect("source");
    let plain_src = tmp.path().join("plain.c");
    std::fs::write(
        &plain_src,
        src_text
            .replace("int signgam = 42;", "int my_sign = 42;")
            .replace("still %d\\n\", y, signgam", "still %d\\n\", y, my_sign"),
    )
    .expect("write");
    let plain = tmp.path().join("plain");
    let mut cmd = Command::new("gcc");
    cmd.arg(&plain_src)
        .args(["-O2", "-rdynamic", "-o"])
        .arg(&plain)
        .arg("-lm");
    assert_eq!(run_command(cmd, Duration::from_secs(60)).code(), 0);
    let reference = run(&plain, None, None);
    let out = tmp.path().join("plain.2.17");
    let plan = patch(&plain, &out, "2.17");
    assert!(plan.stdout.contains("re-point  lgamma"), "{}", plan.stdout);
    for (label, r) in [
        ("2.31", run(&out, Some(&old), None)),
        ("2.36", run(&out, None, None)),
    ] {
        assert_eq!(r.triple(), reference.triple(), "run on {label}");
    }
}
