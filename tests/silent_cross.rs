//! The wrapped silent changes (docs/silent-changes.md) on i386, armhf, ppc64el, s390x and
//! riscv64. Here a lowered program gets the wrappers because it needs the release that
//! changed the function (it was built against headers that new); what the scanner sees in
//! the code of these architectures is tested in tests/silent_scan_arches.rs.
//!
//! `testdata/silent/wrapped.c` (sysconf's SIGSTKSZ and a signal stack of that size,
//! fchmodat with AT_SYMLINK_NOFOLLOW, lchmod, O_TMPFILE opens, statvfs's f_type) is built
//! by Debian's cross compiler against bookworm's glibc 2.36 and run under qemu-user with
//! Debian's runtimes (tools/old-glibc.sh), LD_BIND_NOW=1, each run in a fresh directory:
//! - patched to 2.31 (sysconf, fchmodat, lchmod wrapped): on bullseye's 2.31 and
//!   bookworm's 2.36, the output of the unpatched program on trixie's 2.41, which is its
//!   output on 2.36 but for ppc64el's SIGSTKSZ and MINSIGSTKSZ (glibc raised them after
//!   2.36 to the kernel's 8192 and 32768; the wrapper answers those);
//! - patched to 2.31 with `--polyfill=none` (no wrapper; the seen `sysconf(_SC_SIGSTKSZ)`
//!   is a blocker, forced through with `--allow-blockers`): on 2.31 the output differs
//!   (SIGSTKSZ is -1, no signal stack, lchmod fails with ENOSYS): the test can fail;
//! - patched to 2.17 (also openat, and open64 on 32-bit, wrapped for O_TMPFILE): passes
//!   `verify --loader-check` at 2.17 and has the same output on 2.31 and 2.36 (no
//!   glibc before 2.22 runs here, so the O_TMPFILE wrappers are shown to do what 2.22 does
//!   on newer glibc only);
//! - linked to need GLIBC_2.39 (through a stub library renamed to libc.so.6, as
//!   tests/silent.rs does on x86_64), patched to 2.31 (statvfs, fstatvfs wrapped too): on
//!   2.31 and 2.36, the output of the unpatched program on trixie's 2.41, which fills
//!   f_type; with `--polyfill=none`, f_type stays empty on 2.31.
//!
//! On i386 and armhf the program is built a second time with _FILE_OFFSET_BITS=64 (open64,
//! openat64, statvfs64, fstatvfs64). riscv64 has no glibc older than trixie's 2.41 in
//! Debian: there the program is patched to 2.27 (riscv64's first glibc), passes the loader
//! check at 2.27 and has the unpatched program's output on 2.41; an older glibc's answers
//! are stood in for by a preloaded library (`testdata/silent/before_2_32.c`), over which the
//! unpatched program fails and the patched one does not.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use common::cross::{self, Arch, Run};
use common::OldRuntime;

fn source(name: &str) -> PathBuf {
    cross::testdata().join("silent").join(name)
}

/// Build `wrapped.c` for `arch` into `dir/name` with `flags`; with `need_2_39`, linked to
/// need GLIBC_2.39 of libc.so.6.
fn build(arch: &Arch, dir: &Path, name: &str, flags: &[&str], need_2_39: bool) -> PathBuf {
    let out = dir.join(name);
    let mut args: Vec<&OsStr> = vec!["-O2".as_ref(), "-Wall".as_ref(), "-Werror".as_ref()];
    args.extend(flags.iter().map(|f| OsStr::new(*f)));
    let src = source("wrapped.c");
    args.push(src.as_os_str());
    let stub_dir = dir.join(format!("{name}-stub"));
    let soname = "libelfcompat-glibc239-stub.so";
    let stub = stub_dir.join(soname);
    if need_2_39 {
        std::fs::create_dir_all(&stub_dir).expect("stub directory");
        let map = format!(
            "-Wl,--version-script={}",
            source("glibc239-stub.map").display()
        );
        let stub_src = source("glibc239-stub.c");
        cross::compile(
            &arch.cc(),
            &[
                "-shared".as_ref(),
                "-fPIC".as_ref(),
                "-nostdlib".as_ref(),
                format!("-Wl,-soname,{soname}").as_ref(),
                map.as_ref(),
                stub_src.as_os_str(),
                "-o".as_ref(),
                stub.as_os_str(),
            ],
        );
        args.push("-Wl,--no-as-needed".as_ref());
        args.push(stub.as_os_str());
    }
    args.push("-o".as_ref());
    args.push(out.as_os_str());
    cross::compile(&arch.cc(), &args);
    if need_2_39 {
        // The stub stands for libc.so.6: the program then needs GLIBC_2.39 of libc.so.6.
        let o = std::process::Command::new("patchelf")
            .args(["--replace-needed", soname, "libc.so.6"])
            .arg(&out)
            .output()
            .expect("patchelf (install it through .ci/run)");
        assert!(o.status.success(), "patchelf: {}", cross::text(&o));
    }
    out
}

/// `elfcompat patch --glibc GLIBC --polyfill none --allow-blockers`, which must succeed:
/// the scan sees `sysconf(_SC_SIGSTKSZ)` in the code, which without a wrapper is a blocker
/// (as on x86_64, tests/silent.rs), forced through here.
fn patch_without_polyfills(input: &Path, output: &Path, glibc: &str) -> String {
    let o = cross::elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        glibc.as_ref(),
        "--polyfill".as_ref(),
        "none".as_ref(),
        "--allow-blockers".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
    ]);
    assert!(
        o.status.success(),
        "patch {} to {glibc} --polyfill none: {}",
        input.display(),
        cross::text(&o)
    );
    cross::text(&o)
}

/// The symbols the plan wraps.
fn wrapped(plan: &str) -> Vec<&str> {
    let mut v: Vec<&str> = plan
        .lines()
        .filter_map(|l| l.strip_prefix("  wrap      "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    v.sort_unstable();
    v
}

/// Runs `prog` in a fresh directory (its argument) for every run.
struct Runner<'a> {
    arch: &'a Arch,
    dir: PathBuf,
    runs: std::cell::Cell<u32>,
}

impl Runner<'_> {
    fn run(&self, rt: &OldRuntime, prog: &Path) -> Run {
        self.run_env(rt, prog, &["LD_BIND_NOW=1"])
    }

    /// [`Runner::run`] with `env` set in the guest.
    fn run_env(&self, rt: &OldRuntime, prog: &Path, env: &[&str]) -> Run {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let cwd = self.dir.join(format!("run{n}"));
        std::fs::create_dir(&cwd).expect("run directory");
        let cwd = cwd.display().to_string();
        cross::run_env(self.arch, rt, prog, &[&cwd], env)
    }
}

/// The reference: `prog` unpatched on `rt`, which must succeed.
fn unpatched(runner: &Runner<'_>, rt: &OldRuntime, prog: &Path) -> Run {
    let r = runner.run(rt, prog);
    assert_eq!(
        r.code,
        Some(0),
        "{} unpatched: {}",
        prog.display(),
        r.stderr
    );
    assert!(
        r.stdout.contains("signal stack: handler ran on it\n"),
        "{}",
        r.stdout
    );
    r
}

/// Whether `line` shows a signal stack size.
fn size_line(line: &str) -> bool {
    line.starts_with("SIGSTKSZ ") || line.starts_with("sysconf(_SC_MINSIGSTKSZ)")
}

/// `r` with the signal stack sizes `sizes` shows.
fn with_sizes_of(r: &Run, sizes: &Run) -> Run {
    assert_eq!(r.stdout.lines().count(), sizes.stdout.lines().count());
    let stdout = r
        .stdout
        .lines()
        .zip(sizes.stdout.lines())
        .map(|(a, b)| format!("{}\n", if size_line(a) { b } else { a }))
        .collect();
    Run {
        code: r.code,
        stdout,
        stderr: r.stderr.clone(),
    }
}

/// The program built against 2.36 (`prog`), unpatched on 2.36 and on 2.41, where it prints
/// the same but for two things: 2.41 fills statvfs's f_type (which neither 2.36 nor the
/// wrappers do for a program built against 2.36), and on ppc64el the signal stack sizes,
/// which glibc raised after 2.36 to the kernel's (the wrapper answers the newer ones).
/// (its output on 2.36, what it must print patched on 2.31: that with 2.41's sizes)
fn expected_runs(
    arch: &Arch,
    name: &str,
    runner: &Runner<'_>,
    bookworm: &OldRuntime,
    trixie: &OldRuntime,
    prog: &Path,
) -> (Run, Run) {
    let on_2_36 = unpatched(runner, bookworm, prog);
    let on_2_41 = unpatched(runner, trixie, prog);
    let differ: Vec<(&str, &str)> = on_2_36
        .stdout
        .lines()
        .zip(on_2_41.stdout.lines())
        .filter(|(a, b)| a != b)
        .collect();
    let mut expected_differ = vec![
        (
            "statvfs f_type != statfs f_type",
            "statvfs f_type == statfs f_type",
        ),
        (
            "fstatvfs f_type != statfs f_type",
            "fstatvfs f_type == statfs f_type",
        ),
    ];
    if arch.debian == "ppc64el" {
        expected_differ.splice(
            0..0,
            [
                (
                    "SIGSTKSZ 16384 MINSIGSTKSZ 16384",
                    "SIGSTKSZ 32768 MINSIGSTKSZ 32768",
                ),
                (
                    "sysconf(_SC_MINSIGSTKSZ) 4096",
                    "sysconf(_SC_MINSIGSTKSZ) 8192",
                ),
            ],
        );
    }
    assert_eq!(
        differ, expected_differ,
        "{name}: unpatched on 2.36 against 2.41"
    );
    let on_2_31 = with_sizes_of(&on_2_36, &on_2_41);
    (on_2_36, on_2_31)
}

/// Everything in the module comment, on one of i386, armhf, ppc64el and s390x.
fn side_by_side(arch: &Arch) {
    let (old, new) = cross::bullseye_and_bookworm(arch);
    let trixie = common::fetch_old_runtime("trixie", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    let tmp = common::tempdir();
    let t = tmp.path();
    let runner = Runner {
        arch,
        dir: t.to_path_buf(),
        runs: Default::default(),
    };
    let thirty_two = matches!(arch.debian, "i386" | "armhf");
    let mut variants = vec![("", &[][..])];
    if thirty_two {
        variants.push(("-lfs", &["-D_FILE_OFFSET_BITS=64"][..]));
    }
    let mut lines = 0;
    for (suffix, flags) in variants {
        let name = format!("wrapped{suffix}");
        let prog = build(arch, t, &name, flags, false);
        let (on_2_36, on_2_31) = expected_runs(arch, &name, &runner, &new, &trixie, &prog);
        lines += on_2_36.stdout.lines().count();

        // Below 2.32 and 2.34: sysconf, fchmodat and lchmod wrapped.
        let out = t.join(format!("{name}.2.31"));
        let plan = cross::patch(&prog, &out, "2.31");
        assert_eq!(
            wrapped(&plan),
            ["fchmodat", "lchmod", "sysconf"],
            "{name}: {plan}"
        );
        for (label, rt, want) in [("2.31", &old, &on_2_31), ("2.36", &new, &on_2_36)] {
            let r = runner.run(rt, &out);
            cross::assert_same_run(&r, want, &format!("{name} patched to 2.31, run on {label}"));
        }

        // Without the wrappers the patched program loads on 2.31 and behaves as 2.31 does.
        let bare = t.join(format!("{name}.2.31-bare"));
        let plan = patch_without_polyfills(&prog, &bare, "2.31");
        assert!(wrapped(&plan).is_empty(), "{name}: {plan}");
        // The scan sees the call: without a wrapper it is a blocker (forced through).
        assert!(
            plan.contains("sysconf(_SC_SIGSTKSZ) needs glibc 2.34's meaning"),
            "{name}: {plan}"
        );
        let r = runner.run(&old, &bare);
        assert_eq!(
            r.code,
            Some(0),
            "{name} without wrappers on 2.31: {}",
            r.stderr
        );
        assert_ne!(
            r.stdout, on_2_31.stdout,
            "{name}: the wrappers must make the difference"
        );
        for line in [
            "SIGSTKSZ -1 MINSIGSTKSZ -1\n",
            "signal stack: malloc(-1) failed\n",
        ] {
            assert!(
                r.stdout.contains(line),
                "{name} without wrappers on 2.31: {}",
                r.stdout
            );
        }
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("lchmod(file, 0604)") && l.contains("ENOSYS")),
            "{name} without wrappers on 2.31: {}",
            r.stdout
        );

        // Below 2.22: the O_TMPFILE opens too.
        let el7 = t.join(format!("{name}.2.17"));
        let plan = cross::patch(&prog, &el7, "2.17");
        let mut expected = vec!["fchmodat", "lchmod", "openat", "sysconf"];
        if !suffix.is_empty() {
            expected = vec!["fchmodat", "lchmod", "open64", "openat64", "sysconf"];
        }
        assert_eq!(wrapped(&plan), expected, "{name}: {plan}");
        let (ok, check) = cross::loader_check(&el7, "2.17");
        assert!(ok, "{name} patched to 2.17, loader check: {check}");
        for (label, rt, want) in [("2.31", &old, &on_2_31), ("2.36", &new, &on_2_36)] {
            let r = runner.run(rt, &el7);
            cross::assert_same_run(&r, want, &format!("{name} patched to 2.17, run on {label}"));
        }

        // A program built on 2.39 or later: statvfs's f_type.
        let name = format!("wrapped-2.39{suffix}");
        let prog = build(arch, t, &name, flags, true);
        let reference = unpatched(&runner, &trixie, &prog);
        assert!(
            reference
                .stdout
                .contains("statvfs f_type == statfs f_type\n")
                && reference
                    .stdout
                    .contains("fstatvfs f_type == statfs f_type\n"),
            "{name} on 2.41: {}",
            reference.stdout
        );
        lines += reference.stdout.lines().count();
        let out = t.join(format!("{name}.2.31"));
        let plan = cross::patch(&prog, &out, "2.31");
        let expected = if suffix.is_empty() {
            ["fchmodat", "fstatvfs", "lchmod", "statvfs", "sysconf"]
        } else {
            ["fchmodat", "fstatvfs64", "lchmod", "statvfs64", "sysconf"]
        };
        assert_eq!(wrapped(&plan), expected, "{name}: {plan}");
        // On 2.36, 2.36's signal stack sizes (its sysconf answers).
        let want_2_36 = with_sizes_of(&reference, &on_2_36);
        for (label, rt, want) in [
            ("2.31", &old, &reference),
            ("2.36", &new, &want_2_36),
            ("2.41", &trixie, &reference),
        ] {
            let r = runner.run(rt, &out);
            cross::assert_same_run(&r, want, &format!("{name} patched to 2.31, run on {label}"));
        }
        let bare = t.join(format!("{name}.2.31-bare"));
        patch_without_polyfills(&prog, &bare, "2.31");
        let r = runner.run(&old, &bare);
        assert!(
            r.stdout.contains("statvfs f_type != statfs f_type\n"),
            "{name} without wrappers on 2.31: {} {}",
            r.stdout,
            r.stderr
        );
    }
    eprintln!(
        "silent_cross: {}: {lines} lines of glibc's own output (2.36, 2.41) matched by the \
         wrapped programs on 2.31 and 2.36; without the wrappers they differ on 2.31",
        arch.debian
    );
}

#[test]
fn i386_wrappers_answer_as_newer_glibc_on_2_31() {
    side_by_side(&cross::I386);
}

#[test]
fn armhf_wrappers_answer_as_newer_glibc_on_2_31() {
    side_by_side(&cross::ARMHF);
}

#[test]
fn ppc64el_wrappers_answer_as_newer_glibc_on_2_31() {
    side_by_side(&cross::PPC64EL);
}

#[test]
fn s390x_wrappers_answer_as_newer_glibc_on_2_31() {
    side_by_side(&cross::S390X);
}

/// riscv64: patched to 2.27, the loader check passes and the output is glibc 2.41's. With
/// no older glibc to run, `testdata/silent/before_2_32.c` stands in for one, preloaded on
/// 2.41: sysconf refuses the signal stack names (before 2.34), fchmodat the flag and lchmod
/// everything (before 2.32), statvfs leaves f_type zeroed (before 2.39). There the unpatched
/// program loses its signal stack and its modes, and the patched one (whose wrappers answer
/// themselves) prints what it prints on 2.41, but for f_type where it was not built to need
/// 2.39.
#[test]
fn riscv64_wrappers_are_linked_below_2_27_and_answer_over_an_older_sysconf() {
    let arch = &cross::RISCV64;
    let trixie = common::fetch_old_runtime("trixie", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    let tmp = common::tempdir();
    let t = tmp.path();
    let runner = Runner {
        arch,
        dir: t.to_path_buf(),
        runs: Default::default(),
    };
    let preload = t.join("before_2_32.so");
    let preload_src = source("before_2_32.c");
    cross::compile(
        &arch.cc(),
        &[
            "-O2".as_ref(),
            "-Wall".as_ref(),
            "-Werror".as_ref(),
            "-shared".as_ref(),
            "-fPIC".as_ref(),
            preload_src.as_os_str(),
            "-o".as_ref(),
            preload.as_os_str(),
        ],
    );
    let preload_env = format!("LD_PRELOAD={}", preload.display());
    let older = |prog: &Path| runner.run_env(&trixie, prog, &["LD_BIND_NOW=1", &preload_env]);
    let mut lines = 0;
    for (need_2_39, expected) in [
        (false, &["fchmodat", "lchmod", "sysconf"][..]),
        (
            true,
            &["fchmodat", "fstatvfs", "lchmod", "statvfs", "sysconf"][..],
        ),
    ] {
        let name = if need_2_39 { "wrapped-2.39" } else { "wrapped" };
        let prog = build(arch, t, name, &[], need_2_39);
        let reference = unpatched(&runner, &trixie, &prog);
        lines += reference.stdout.lines().count();
        let out = t.join(format!("{name}.2.27"));
        let plan = cross::patch(&prog, &out, "2.27");
        assert_eq!(wrapped(&plan), expected, "{name}: {plan}");
        let (ok, check) = cross::loader_check(&out, "2.27");
        assert!(ok, "{name} patched to 2.27, loader check: {check}");
        let r = runner.run(&trixie, &out);
        cross::assert_same_run(
            &r,
            &reference,
            &format!("{name} patched to 2.27, run on 2.41"),
        );

        // Over the stand-in: the unpatched program behaves as on an older glibc ...
        let r = older(&prog);
        for line in [
            "SIGSTKSZ -1 MINSIGSTKSZ -1\n",
            "signal stack: malloc(-1) failed\n",
            "statvfs f_type != statfs f_type\n",
        ] {
            assert!(
                r.stdout.contains(line),
                "{name} unpatched, older: {}",
                r.stdout
            );
        }
        // ... and the patched one as on 2.41 (f_type only when built to need 2.39).
        let mut want = reference.stdout.clone();
        if !need_2_39 {
            want = want.replace("f_type == statfs", "f_type != statfs");
        }
        let r = older(&out);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), want.as_str()),
            "{name} patched to 2.27, older: {}",
            r.stderr
        );
    }
    eprintln!(
        "silent_cross: riscv64: {lines} lines of glibc 2.41's output matched, on 2.41 and over \
         a stand-in for an older glibc"
    );
}
