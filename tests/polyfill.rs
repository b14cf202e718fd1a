//! Polyfills side by side with glibc's own functions: `testdata/polyfill/side_by_side.c`
//! calls every polyfilled function on the same inputs (successes and errors) and prints
//! results and errno. Built on the host, it runs once as built (glibc 2.36's functions);
//! patched to 2.17, it runs with the polyfills on 2.36 and on bullseye's 2.31. All three
//! outputs must be identical. x86_64 natively; aarch64 cross-compiled, under qemu-user.
//! i386, armhf, ppc64el and riscv64 run these programs and the others of
//! `testdata/polyfill` in tests/polyfill_arches.rs, which also requires every polyfill of
//! their objects to be run side by side; s390x in tests/polyfill_s390x.rs.

mod common;

use common::polyfill::{build_against_trixie, c_toolchain, fresh, output, patch_to_2_17, run_on};

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
