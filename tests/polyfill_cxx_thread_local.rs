//! C++ `thread_local` destructors through the `__cxa_thread_atexit_impl` polyfill, side by
//! side with glibc's own: libstdc++ calls `__cxa_thread_atexit_impl` for every
//! `thread_local` object with a destructor. The C++ program
//! `testdata/polyfill/thread_local_order.cpp` is built with the host's g++ and run as built
//! (glibc 2.36's function); then the host's libstdc++ is patched to 2.17 (the polyfill is
//! linked into it, as into a libstdc++ bundled from a new GCC) and the program patched to
//! 2.17 runs with it on 2.36 and on bullseye's 2.31: the same destructor order and the
//! same stress count. x86_64 natively; aarch64 cross-compiled, under qemu-user.

mod common;

use common::polyfill::{output, patch_to_2_17};

use std::path::{Path, PathBuf};
use std::process::Command;

/// Build the C++ program with `cxx`, patch it and `libstdcxx` to 2.17; returns (program,
/// patched program, directory of the patched libstdc++).
fn build_and_patch(cxx: &str, libstdcxx: &Path, tmp: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let bin = tmp.join("tl");
    assert!(Command::new(cxx)
        .args(["-O1", "-pthread", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill/thread_local_order.cpp"))
        .status()
        .expect("g++")
        .success());
    let lib = tmp.join("lib");
    std::fs::create_dir_all(&lib).expect("mkdir");
    let plan = patch_to_2_17(libstdcxx, &lib.join("libstdc++.so.6"));
    assert!(
        plan.lines().any(|l| l.trim_start().starts_with("polyfill")
            && l.contains("__cxa_thread_atexit_impl")
            && l.contains("bytes")),
        "the polyfill must be linked into libstdc++:\n{plan}"
    );
    let patched = tmp.join("tl-2.17");
    patch_to_2_17(&bin, &patched);
    (bin, patched, lib)
}

fn check_reference(reference: &str) {
    // The program's own expectations, so a run that prints nothing cannot pass.
    assert!(
        reference.contains("stress: 6400 destructors run"),
        "{reference}"
    );
    assert!(
        reference.contains("  destroy main 2\n  destroy main 1\n  destroy static"),
        "{reference}"
    );
}

#[test]
fn x86_64_thread_local_destructors_match_glibc() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (bin, patched, lib) = build_and_patch(
        "g++",
        Path::new("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
        tmp.path(),
    );
    let reference = output(Command::new(&bin));
    check_reference(&reference);
    let mut c = Command::new(&patched);
    c.env("LD_BIND_NOW", "1").env("LD_LIBRARY_PATH", &lib);
    assert_eq!(output(c), reference, "polyfill on glibc 2.36");
    let (loader, libpath) = common::old_runtime("amd64");
    let mut c = Command::new(loader);
    c.env("LD_BIND_NOW", "1")
        .args(["--inhibit-cache", "--library-path"])
        .arg(format!("{}:{libpath}", lib.display()))
        .arg(&patched);
    assert_eq!(output(c), reference, "polyfill on glibc 2.31");
    // The stress loop alone, longer, on 2.31.
    let (loader, libpath) = common::old_runtime("amd64");
    let mut c = Command::new(loader);
    c.env("LD_BIND_NOW", "1")
        .env("ROUNDS", "200")
        .args(["--inhibit-cache", "--library-path"])
        .arg(format!("{}:{libpath}", lib.display()))
        .arg(&patched);
    assert!(output(c).contains("stress: 64000 destructors run"));
    println!(
        "polyfill_cxx_thread_local: x86_64: {} lines identical to glibc 2.36 on 2.36 and 2.31; stress 200 x 32 threads x 10",
        reference.lines().count()
    );
}

#[test]
fn aarch64_thread_local_destructors_match_glibc() {
    if !common::polyfill::tools(
        &["aarch64-linux-gnu-g++", "qemu-aarch64"],
        "g++-aarch64-linux-gnu qemu-user",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let sysroot = "/usr/aarch64-linux-gnu";
    let (bin, patched, lib) = build_and_patch(
        "aarch64-linux-gnu-g++",
        &Path::new(sysroot).join("lib/libstdc++.so.6"),
        tmp.path(),
    );
    let mut c = Command::new("qemu-aarch64");
    c.args(["-L", sysroot]).arg(&bin);
    let reference = output(c);
    check_reference(&reference);
    let mut c = Command::new("qemu-aarch64");
    c.args(["-L", sysroot, "-E", "LD_BIND_NOW=1", "-E"])
        .arg(format!("LD_LIBRARY_PATH={}", lib.display()))
        .arg(&patched);
    assert_eq!(output(c), reference, "aarch64 polyfill on glibc 2.36");
    let (loader, libpath) = common::old_runtime("arm64");
    let mut c = Command::new("qemu-aarch64");
    c.args(["-L", sysroot, "-E", "LD_BIND_NOW=1", &loader])
        .args(["--inhibit-cache", "--library-path"])
        .arg(format!("{}:{libpath}:{sysroot}/lib", lib.display()))
        .arg(&patched);
    assert_eq!(output(c), reference, "aarch64 polyfill on glibc 2.31");
    println!(
        "polyfill_cxx_thread_local: aarch64: {} lines identical to glibc 2.36 on 2.36 and 2.31",
        reference.lines().count()
    );
}

/// A dlopened C++ library whose `thread_local` destructor is still pending when the
/// program dlcloses it (`thread_local_dlopen.cpp`, `thread_local_lib.cpp`): glibc keeps the
/// library loaded until the destructor has run, and so does the polyfill (a dlopen
/// reference per registration). Same output on 2.36 unpatched, and patched on 2.36 and 2.31.
#[test]
fn x86_64_dlclosed_library_keeps_its_thread_local_destructor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path();
    let data = common::crate_root().join("testdata/polyfill");
    let lib_src = data.join("thread_local_lib.cpp");
    let prog_src = data.join("thread_local_dlopen.cpp");
    let build = |args: &[&str], src: &Path, out: &Path| {
        assert!(Command::new("g++")
            .args(args)
            .arg("-o")
            .arg(out)
            .arg(src)
            .arg("-ldl")
            .status()
            .expect("g++")
            .success());
    };
    build(&["-O1", "-shared", "-fPIC"], &lib_src, &t.join("libtlx.so"));
    build(&["-O1", "-pthread"], &prog_src, &t.join("tld"));
    let lib = t.join("lib");
    std::fs::create_dir_all(&lib).expect("mkdir");
    let plan = patch_to_2_17(
        Path::new("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
        &lib.join("libstdc++.so.6"),
    );
    assert!(plan.contains("import    dlopen@GLIBC_2.2.5 (libdl.so.2) for the polyfills"));
    let patched_lib = t.join("libtlx-2.17.so");
    patch_to_2_17(&t.join("libtlx.so"), &patched_lib);
    let patched = t.join("tld-2.17");
    patch_to_2_17(&t.join("tld"), &patched);

    let mut c = Command::new(t.join("tld"));
    c.arg(t.join("libtlx.so"));
    let reference = output(c);
    assert!(
        reference.contains("dlclose: 0\nthread exits\n  destroy the library's thread_local"),
        "{reference}"
    );
    let mut c = Command::new(&patched);
    c.env("LD_BIND_NOW", "1")
        .env("LD_LIBRARY_PATH", &lib)
        .arg(&patched_lib);
    assert_eq!(output(c), reference, "polyfill on glibc 2.36");
    let (loader, libpath) = common::old_runtime("amd64");
    let mut c = Command::new(loader);
    c.env("LD_BIND_NOW", "1")
        .args(["--inhibit-cache", "--library-path"])
        .arg(format!("{}:{libpath}", lib.display()))
        .arg(&patched)
        .arg(&patched_lib);
    assert_eq!(output(c), reference, "polyfill on glibc 2.31");
}
