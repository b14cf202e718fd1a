//! Polyfills side by side with glibc's own functions: `testdata/polyfill/side_by_side.c`
//! calls every polyfilled function on the same inputs (successes and errors) and prints
//! results and errno. Built on the host, it runs once as built (glibc 2.36's functions);
//! patched to 2.17, it runs with the polyfills on 2.36 and on bullseye's 2.31. All three
//! outputs must be identical. x86_64 natively; aarch64 cross-compiled, under qemu-user;
//! i386 and armhf cross-compiled, run under qemu-user with Debian's libc6 of that
//! architecture, bookworm's (2.36: the reference and the patched program) and bullseye's
//! (2.31: the patched program). riscv64 cross-compiled, patched to 2.27 (its first glibc),
//! checked by `verify --loader-check` and run under qemu-user on trixie's libc6 (2.41: the
//! reference and the patched program; Debian has no older riscv64 glibc).

mod common;

use common::polyfill::{
    assert_loader_check, build_against_trixie, c_toolchain, cross_build, fresh, linked_polyfills,
    output, patch_to, patch_to_2_17, run_on, run_qemu,
};

use std::path::{Path, PathBuf};
use std::process::Command;

/// A C program written to `name` in a fresh temp dir (kept alive by the returned guard).
fn source_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = tmp.path().join(name);
    std::fs::write(&c, text).expect("write");
    (tmp, c)
}

/// Compile `src` to `out` with the host gcc and `flags`.
fn gcc(src: &Path, out: &Path, flags: &[&str]) -> PathBuf {
    assert!(Command::new("gcc")
        .args(flags)
        .arg(src)
        .arg("-o")
        .arg(out)
        .status()
        .expect("gcc")
        .success());
    out.to_path_buf()
}

#[test]
fn x86_64_polyfills_match_glibc() {
    x86_64_side_by_side("side_by_side.c", 20);
}

/// The polyfills of issue #12 (C11 threads with a stress loop, names of signals and errors,
/// timespec_getres, twalk_r, system calls) and the res_*ok renames.
#[test]
fn x86_64_more_polyfills_match_glibc() {
    x86_64_side_by_side("side_by_side_more.c", 40);
}

#[test]
fn aarch64_more_polyfills_match_glibc() {
    aarch64_side_by_side("side_by_side_more.c");
}

fn x86_64_side_by_side(source: &str, min_linked: usize) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    let st = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-lresolv")
        .status()
        .expect("gcc");
    assert!(st.success());
    let patched = tmp.path().join("sbs-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let linked = plan
        .lines()
        .filter(|l| l.trim_start().starts_with("polyfill") && l.contains("bytes"))
        .count();
    assert!(
        linked >= min_linked,
        "expected the polyfills to be linked:\n{plan}"
    );

    let mut c = Command::new(&bin);
    c.arg(fresh(tmp.path(), "a"));
    let reference = output(c);
    let mut c = Command::new(&patched);
    c.env("LD_BIND_NOW", "1").arg(fresh(tmp.path(), "b"));
    assert_eq!(output(c), reference, "polyfills on glibc 2.36");
    let (loader, libpath) = common::old_runtime("amd64");
    let mut c = Command::new(loader);
    c.env("LD_BIND_NOW", "1")
        .args(["--inhibit-cache", "--library-path", &libpath])
        .arg(&patched)
        .arg(fresh(tmp.path(), "c"));
    assert_eq!(output(c), reference, "polyfills on glibc 2.31");
    println!(
        "polyfill: x86_64 {source}: {linked} polyfills, {} checks identical to glibc 2.36 on 2.36 and 2.31",
        reference.lines().count()
    );
}

#[test]
fn aarch64_polyfills_match_glibc() {
    aarch64_side_by_side("side_by_side.c");
}

fn aarch64_side_by_side(source: &str) {
    if !common::polyfill::tools(
        &["aarch64-linux-gnu-gcc", "qemu-aarch64"],
        "gcc-aarch64-linux-gnu qemu-user",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-lresolv")
        .status()
        .expect("gcc");
    assert!(st.success());
    let patched = tmp.path().join("sbs-2.17");
    patch_to_2_17(&bin, &patched);
    let qemu_new = |prog: &Path, dir: PathBuf| {
        let mut c = Command::new("qemu-aarch64");
        c.args(["-L", "/usr/aarch64-linux-gnu", "-E", "LD_BIND_NOW=1"])
            .arg(prog)
            .arg(dir);
        output(c)
    };
    let reference = qemu_new(&bin, fresh(tmp.path(), "a"));
    assert_eq!(
        qemu_new(&patched, fresh(tmp.path(), "b")),
        reference,
        "aarch64 polyfills on glibc 2.36"
    );
    let (loader, libpath) = common::old_runtime("arm64");
    let mut c = Command::new("qemu-aarch64");
    c.args([
        "-E",
        "LD_BIND_NOW=1",
        &loader,
        "--inhibit-cache",
        "--library-path",
        &libpath,
    ])
    .arg(&patched)
    .arg(fresh(tmp.path(), "c"));
    assert_eq!(output(c), reference, "aarch64 polyfills on glibc 2.31");
    println!(
        "polyfill: aarch64 {source}: {} checks identical to glibc 2.36 on 2.36 and 2.31",
        reference.lines().count()
    );
}

/// i386 and armhf: `side_by_side.c` built with Debian's cross compiler against bookworm's
/// libc, patched to 2.17 and run under qemu-user on bookworm's and bullseye's libc6 of the
/// architecture (tools/old-glibc.sh), each run in a fresh directory.
#[test]
fn i386_polyfills_match_glibc() {
    arch32_side_by_side("i386", "side_by_side.c", 20);
}

#[test]
fn armhf_polyfills_match_glibc() {
    arch32_side_by_side("armhf", "side_by_side.c", 20);
}

/// The polyfills of issue #12 (C11 threads, names, timespec_getres, twalk_r, system calls)
/// on i386 and armhf.
#[test]
fn i386_more_polyfills_match_glibc() {
    arch32_side_by_side("i386", "side_by_side_more.c", 40);
}

#[test]
fn armhf_more_polyfills_match_glibc() {
    arch32_side_by_side("armhf", "side_by_side_more.c", 40);
}

/// ppc64el (ELFv2): `side_by_side.c` and `side_by_side_more.c` the same way, with
/// bullseye's 2.31 from its `libc6-ppc64el-cross` (tools/old-glibc.sh). The object lacks
/// the math, fenv, strfrom, termios and wrapper sources (polyfill/build.sh says why); these
/// programs use none of them.
#[test]
fn ppc64el_polyfills_match_glibc() {
    arch32_side_by_side("ppc64el", "side_by_side.c", 20);
}

#[test]
fn ppc64el_more_polyfills_match_glibc() {
    arch32_side_by_side("ppc64el", "side_by_side_more.c", 40);
}

/// `_TIME_BITS=64` programs: the stat family, futimens and clock polyfills (64-bit times,
/// one past 2038 and one before 1970) and the fcntl/ioctl renames. Patched to 2.31, not
/// 2.17: `__fcntl_time64` is `fcntl64`, which glibc added in 2.28.
#[test]
fn i386_time64_polyfills_match_glibc() {
    arch32_side_by_side_at("i386", "side_by_side_time64.c", 9, "2.31");
}

#[test]
fn armhf_time64_polyfills_match_glibc() {
    arch32_side_by_side_at("armhf", "side_by_side_time64.c", 9, "2.31");
}

fn arch32_side_by_side(arch: &str, source: &str, min_linked: usize) {
    arch32_side_by_side_at(arch, source, min_linked, "2.17");
}

fn arch32_side_by_side_at(arch: &str, source: &str, min_linked: usize, glibc: &str) {
    let Some(runs) = arch32_runs(arch, source, min_linked, glibc) else {
        return;
    };
    let [reference, new, old] = &runs.outputs;
    assert_eq!(new, reference, "{arch} polyfills on glibc 2.36");
    assert_eq!(old, reference, "{arch} polyfills on glibc 2.31");
    println!(
        "polyfill: {arch} {source} patched to {glibc}: {} polyfills, {} checks identical to glibc 2.36 on 2.36 and 2.31",
        runs.linked,
        reference.lines().count()
    );
}

/// What `arch32_runs` measured: how many polyfills the plan linked, and the program's output
/// unpatched on bookworm's libc6, patched on bookworm's and patched on bullseye's.
struct Arch32Runs {
    linked: usize,
    outputs: [String; 3],
}

/// Build `source` with the architecture's cross compiler, patch it to `glibc` and run it
/// under qemu-user three ways (see `Arch32Runs`), each in a fresh directory; `None` when the
/// tools are missing outside CI.
fn arch32_runs(arch: &str, source: &str, min_linked: usize, glibc: &str) -> Option<Arch32Runs> {
    let (cc, qemu, _) = c_toolchain(arch);
    let qemu = qemu.expect("32-bit targets run under qemu");
    if !common::polyfill::tools(
        &[cc, qemu],
        "gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-powerpc64le-linux-gnu qemu-user",
    ) {
        return None;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    cross_build(cc, source, &[], &[], &bin);
    let patched = tmp.path().join(format!("sbs-{glibc}"));
    let plan = patch_to(&bin, &patched, glibc);
    let linked = linked_polyfills(&plan).len();
    assert!(
        linked >= min_linked,
        "expected the polyfills to be linked:\n{plan}"
    );
    let runtime = |suite: &str| {
        common::fetch_old_runtime(suite, arch).unwrap_or_else(|e| panic!("{suite} {arch}: {e}"))
    };
    let (new, old) = (runtime("bookworm"), runtime("bullseye"));
    let on = |rt, prog: &Path, dir: &str| run_qemu(qemu, rt, prog, &fresh(tmp.path(), dir));
    let outputs = [
        on(&new, &bin, "a"),
        on(&new, &patched, "b"),
        on(&old, &patched, "c"),
    ];
    Some(Arch32Runs { linked, outputs })
}

/// `_TIME_BITS=64` calendar, clock-setting, timer and prctl functions (polyfill/src/time64.c
/// and the `__prctl_time64` rename), patched to 2.31, in six time zones over times inside and
/// far outside the 32-bit range. Every line is glibc 2.36's, except the "beyond:" lines (local
/// times, and a timer expiry, past the 32-bit range), where the polyfills fail with EOVERFLOW
/// as the older 32-bit functions do.
#[test]
fn i386_calendar_polyfills_match_glibc() {
    beyond_side_by_side("i386", "side_by_side_calendar.c", 10);
}

#[test]
fn armhf_calendar_polyfills_match_glibc() {
    beyond_side_by_side("armhf", "side_by_side_calendar.c", 10);
}

/// `_TIME_BITS=64` timed waits, select/pselect/ppoll, the utimes family, itimers, rusage
/// and gai_suspend (polyfill/src/time64_calls.c), patched to 2.31: glibc 2.36's answers,
/// deadlines past 2038 included; only the "beyond:" lines (file times past 2038) are
/// EOVERFLOW.
#[test]
fn i386_time64_call_polyfills_match_glibc() {
    beyond_side_by_side("i386", "side_by_side_time64_calls.c", 20);
}

#[test]
fn armhf_time64_call_polyfills_match_glibc() {
    beyond_side_by_side("armhf", "side_by_side_time64_calls.c", 20);
}

/// Every line as glibc 2.36's unpatched answer, except those starting "beyond: ", which
/// must be either glibc's answer or EOVERFLOW (and some EOVERFLOW on 2.31).
fn beyond_side_by_side(arch: &str, source: &str, min_linked: usize) {
    let Some(runs) = arch32_runs(arch, source, min_linked, "2.31") else {
        return;
    };
    let [reference, new, old] = &runs.outputs;
    let (inside, beyond): (Vec<&str>, Vec<&str>) =
        reference.lines().partition(|l| !l.starts_with("beyond: "));
    assert!(
        beyond.iter().any(|l| !l.contains("errno=75")),
        "glibc 2.36 answers times past 2038:\n{}",
        beyond.join("\n")
    );
    let mut refused_lines = 0;
    for (run, out) in [("2.36", new), ("2.31", old)] {
        let (got_inside, got_beyond): (Vec<&str>, Vec<&str>) =
            out.lines().partition(|l| !l.starts_with("beyond: "));
        assert_eq!(
            got_inside.join("\n"),
            inside.join("\n"),
            "{arch} {source} polyfills on glibc {run}"
        );
        assert_eq!(got_beyond.len(), beyond.len(), "{arch} on {run}");
        for (l, want) in got_beyond.iter().zip(&beyond) {
            let refused = l.contains("NULL errno=75")
                || l.ends_with(": -1 errno=75")
                || l.ends_with("r=-1 errno=75");
            assert!(
                refused || l == want,
                "{arch} on {run}: neither glibc's answer nor EOVERFLOW:\n{l}\nglibc 2.36: {want}"
            );
            refused_lines += usize::from(refused && run == "2.31");
        }
    }
    assert!(refused_lines > 0, "{arch}: nothing past 2038 was refused");
    println!(
        "polyfill: {arch} {source} patched to 2.31: {} polyfills, {} lines identical to glibc 2.36 on 2.36 and 2.31; of {} lines near or past the 32-bit range, {refused_lines} refused with EOVERFLOW, the rest glibc's",
        runs.linked,
        inside.len(),
        beyond.len()
    );
}

/// riscv64: `side_by_side.c` built with Debian 12's cross compiler (glibc 2.36), patched to
/// 2.27 (riscv64's first glibc; `verify --loader-check` at 2.27 must pass) and run under
/// qemu-user on trixie's riscv64 libc6 (2.41; Debian has no older riscv64 glibc): the
/// polyfills print what glibc's own functions print.
#[test]
fn riscv64_polyfills_match_glibc() {
    riscv64_side_by_side("side_by_side.c", 20);
}

/// The same with `side_by_side_more.c`.
#[test]
fn riscv64_more_polyfills_match_glibc() {
    riscv64_side_by_side("side_by_side_more.c", 40);
}

fn riscv64_side_by_side(source: &str, min_linked: usize) {
    let cc = "riscv64-linux-gnu-gcc";
    if !common::polyfill::tools(&[cc, "qemu-riscv64"], "gcc-riscv64-linux-gnu qemu-user") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    cross_build(cc, source, &[], &[], &bin);
    let patched = tmp.path().join("sbs-2.27");
    let plan = patch_to(&bin, &patched, "2.27");
    let linked = linked_polyfills(&plan).len();
    assert!(
        linked >= min_linked,
        "expected the polyfills to be linked:\n{plan}"
    );
    assert_loader_check(&patched, "2.27");
    let rt = common::fetch_old_runtime("trixie", "riscv64").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.glibc_version, "2.41");
    let on = |prog: &Path, dir: &str| run_qemu("qemu-riscv64", &rt, prog, &fresh(tmp.path(), dir));
    let reference = on(&bin, "a");
    assert_eq!(
        on(&patched, "b"),
        reference,
        "riscv64 polyfills on glibc 2.41"
    );
    println!(
        "polyfill: riscv64 {source} patched to 2.27: {linked} polyfills, {} checks identical to glibc 2.41",
        reference.lines().count()
    );
}

/// Data polyfills have the value that is right for a glibc without them (on 2.31:
/// `__libc_single_threaded` is 0, "there may be threads"), and on a glibc that has the
/// object, glibc's own code still maintains it (libc binds to the binary's definition, as
/// it does to a COPY-relocated one), so the program sees what it saw before patching.
#[test]
fn data_polyfills_are_conservative() {
    let (tmp, c) = source_file(
        "st.c",
        "#include <stdio.h>\n#include <sys/single_threaded.h>\nint main(void){ printf(\"%d\\n\", __libc_single_threaded); return 0; }\n",
    );
    for pie in ["-pie", "-no-pie"] {
        let bin = gcc(&c, &tmp.path().join(format!("st{pie}")), &["-O1", pie]);
        let patched = tmp.path().join(format!("st{pie}-2.17"));
        patch_to_2_17(&bin, &patched);
        let original = output(Command::new(&bin));
        let mut cmd = Command::new(&patched);
        cmd.env("LD_BIND_NOW", "1");
        assert_eq!(
            output(cmd),
            original,
            "{pie}: on glibc 2.36 glibc maintains it"
        );
        let (loader, libpath) = common::old_runtime("amd64");
        let mut cmd = Command::new(loader);
        cmd.env("LD_BIND_NOW", "1")
            .args(["--inhibit-cache", "--library-path", &libpath])
            .arg(&patched);
        assert_eq!(
            output(cmd),
            "0\n",
            "{pie}: on glibc 2.31 __libc_single_threaded must be 0 (\"maybe threads\")"
        );
    }
}

/// The committed objects are what `polyfill/build.sh` makes from the committed sources.
#[test]
fn committed_objects_match_the_sources() {
    if !common::polyfill::tools(
        &[
            "gcc",
            "aarch64-linux-gnu-gcc",
            "i686-linux-gnu-gcc",
            "arm-linux-gnueabihf-gcc",
            "powerpc64le-linux-gnu-gcc",
            "s390x-linux-gnu-gcc",
            "riscv64-linux-gnu-gcc",
        ],
        "gcc gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-powerpc64le-linux-gnu gcc-s390x-linux-gnu gcc-riscv64-linux-gnu",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let st = Command::new("bash")
        .arg(common::crate_root().join("polyfill/build.sh"))
        .arg(tmp.path())
        .status()
        .expect("build.sh");
    assert!(st.success());
    for arch in [
        "x86_64", "aarch64", "i386", "armhf", "ppc64el", "s390x", "riscv64",
    ] {
        let built = std::fs::read(tmp.path().join(format!("{arch}.o"))).expect("built");
        let committed = std::fs::read(common::crate_root().join(format!("polyfill/obj/{arch}.o")))
            .expect("committed");
        assert!(
            built == committed,
            "polyfill/obj/{arch}.o is stale: run polyfill/build.sh and commit"
        );
    }
}

/// A polyfill reaches a glibc function the binary already imports through the binary's
/// own GOT slot, so the tables need not grow. On x86_64 that may be a PLT slot which, under
/// lazy binding, still points into the PLT when the polyfill calls through it first: the
/// call must bind and reach the function as a PLT call would. Here `getrandom` (polyfilled
/// at 2.17 by a raw system call) fails with EINVAL before the program has called
/// `__errno_location` itself, so the polyfill's call through the shared slot is the one
/// that binds it. Run without LD_BIND_NOW, on glibc 2.36 and 2.31.
#[test]
fn shared_plt_slot_binds_lazily() {
    let (tmp, c) = source_file(
        "lazy.c",
        "#include <errno.h>\n#include <stdio.h>\n#include <sys/random.h>\nint main(void){ char b[4]; int r = (int)getrandom(b, sizeof b, 0x7fff0000u); int e = errno; printf(\"r=%d errno=%d\\n\", r, e); return 0; }\n",
    );
    let bin = gcc(&c, &tmp.path().join("lazy"), &["-O1", "-Wl,-z,lazy"]);
    let patched = tmp.path().join("lazy-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(plan.contains("__errno_location"), "{plan}");
    // One __errno_location in .dynsym: the binary's, shared.
    let syms = Command::new("readelf")
        .args(["--dyn-syms", "-W"])
        .arg(&patched)
        .output()
        .expect("readelf");
    let count = String::from_utf8_lossy(&syms.stdout)
        .lines()
        .filter(|l| l.contains(" __errno_location@"))
        .count();
    assert_eq!(count, 1, "the polyfill shares the binary's import");
    let want = "r=-1 errno=22\n";
    let mut cmd = Command::new(&patched);
    cmd.env_remove("LD_BIND_NOW");
    assert_eq!(output(cmd), want, "glibc 2.36, lazy binding");
    let (loader, libpath) = common::old_runtime("amd64");
    let mut cmd = Command::new(loader);
    cmd.env_remove("LD_BIND_NOW")
        .args(["--inhibit-cache", "--library-path", &libpath])
        .arg(&patched);
    assert_eq!(output(cmd), want, "glibc 2.31, lazy binding");
}

/// Polyfills of functions newer than the host's glibc 2.36 (stdc_* of 2.39, strlcpy and
/// wcslcpy families of 2.38, their _chk twins with the overflow path), against trixie's
/// glibc 2.41: the program is linked against trixie's libc.so.6 and run under its loader
/// for the reference, then patched to 2.17 and run on 2.36 and bullseye's 2.31.
#[test]
fn x86_64_polyfills_of_newer_functions_match_glibc_2_41() {
    newer_side_by_side("amd64");
}

#[test]
fn aarch64_polyfills_of_newer_functions_match_glibc_2_41() {
    newer_side_by_side("arm64");
}

fn newer_side_by_side(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("new");
    let new = build_against_trixie(cc, arch, "side_by_side_new.c", &bin);
    let patched = tmp.path().join("new-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(plan.contains("stdc_bit_ceil_ull"), "{plan}");
    let under = |loader: Option<&str>, libpath: Option<&str>, prog: &Path| {
        run_on(qemu, sysroot, loader.zip(libpath), prog)
    };
    let loader = new.loader.display().to_string();
    let reference = under(Some(&loader), Some(&new.libpath), &bin);
    assert!(reference.contains("__strlcpy_chk overflow: signaled=1 sig=6"));
    assert_eq!(
        under(None, None, &patched),
        reference,
        "{arch}: polyfills on glibc 2.36"
    );
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        under(Some(&old_loader), Some(&old_libpath), &patched),
        reference,
        "{arch}: polyfills on glibc 2.31"
    );
    println!(
        "polyfill: {arch} side_by_side_new.c: {} checks identical to glibc 2.41 on 2.36 and 2.31",
        reference.lines().count()
    );
}
