//! The closure resolver inside a sysroot: Debian 11's glibc, libstdc++ and libgcc_s
//! (`tools/old-glibc.sh bullseye amd64|arm64`), which has no ld.so.cache (its ld.so.conf
//! directories and the default directories are scanned, as ldconfig would) and an
//! absolute symlink for the loader (`lib64/ld-linux-x86-64.so.2 ->
//! /lib/x86_64-linux-gnu/ld-2.31.so`). An x86-64 C++ program is resolved against the
//! amd64 root and checked against the root's own loader run in a chroot (a copy of the
//! root, so the cached runtime is never written); an aarch64 C++ program against the
//! arm64 root, checked against its loader under `qemu-aarch64 -L ROOT`. A third root holds
//! this machine's glibc and an ld.so.cache written by the real `ldconfig -r` with
//! glibc-hwcaps entries.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod closure_support;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use closure_support::{parse_listing, resolver_listing, Listing};
use elfcompat::closure::{Closure, Resolver, Via};

const CXX_SRC: &str = "#include <iostream>\n#include <cmath>\nint main(int argc, char **) { std::cout << std::sqrt(argc * 2.0) << std::endl; try { throw argc; } catch (int) {} return 0; }\n";

fn build(compiler: &str, out: &Path, extra: &[String]) {
    let src = out.with_extension("cc");
    std::fs::write(&src, CXX_SRC).unwrap();
    let o = Command::new(compiler)
        .arg("-o")
        .arg(out)
        .arg(&src)
        .args(["-lm", "-Wl,--no-as-needed", "-lgcc_s"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Run `prog` (target terms) in a chroot of `root` in loader trace mode. The child enters
/// the chroot itself before exec, so the kernel starts the program with the root's
/// loader and the trace variable reaches that loader only (chroot(1) would be traced
/// itself).
fn chroot_trace(root: &Path, prog: &str) -> std::process::Output {
    let mut cmd = Command::new(prog);
    cmd.env("LD_TRACE_LOADED_OBJECTS", "1")
        .env_remove("LD_LIBRARY_PATH")
        .current_dir("/");
    let c_root = std::ffi::CString::new(root.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            if libc::chroot(c_root.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

/// The loader's trace listing in `out`; panics with its stderr when there is none.
fn listing_of(out: &std::process::Output, what: &str) -> Listing {
    let loader = parse_listing(&String::from_utf8_lossy(&out.stdout));
    assert!(
        !loader.is_empty(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    loader
}

/// The resolver's listing in target terms (the sysroot prefix taken off).
fn in_target_terms(c: &Closure, root: &Path) -> Listing {
    resolver_listing(c)
        .into_iter()
        .map(|(n, p)| {
            let target = |s: String| match Path::new(&s).strip_prefix(root) {
                Ok(rest) => format!("/{}", rest.display()),
                Err(_) => s,
            };
            (target(n), target(p))
        })
        .collect()
}

fn check_structure(c: &Closure, root: &Path, triplet: &str, interp: &str, real_ld: &str) {
    assert!(c.missing.is_empty(), "{:?}", c.missing);
    for o in &c.objects[1..] {
        assert!(
            o.path.starts_with(root),
            "{} outside the sysroot",
            o.path.display()
        );
        assert!(o.canonical.starts_with(root), "{}", o.canonical.display());
    }
    let find = |soname: &str| {
        c.objects
            .iter()
            .find(|o| o.soname.as_deref() == Some(soname))
            .unwrap_or_else(|| panic!("no {soname}"))
    };
    for so in ["libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libc.so.6"] {
        assert!(
            find(so).path.starts_with(root.join("lib").join(triplet))
                || find(so)
                    .path
                    .starts_with(root.join("usr/lib").join(triplet))
        );
    }
    let ld = c.objects.iter().find(|o| o.interp).unwrap();
    assert_eq!(ld.path, root.join(interp.trim_start_matches('/')));
    // The absolute symlink is followed inside the sysroot.
    assert_eq!(ld.canonical, root.join(real_ld));
    let libc = find("libc.so.6");
    let to_ld = libc
        .needed
        .iter()
        .find(|n| n.name.starts_with("ld-"))
        .unwrap();
    assert_eq!(to_ld.via, Via::AlreadyLoaded);
    // No ld.so.cache in the root: libraries come from the scan ldconfig would make.
    let prog = &c.objects[0];
    assert!(
        prog.needed
            .iter()
            .all(|n| n.via == Via::Cache || n.name == "libzz.so.1"),
        "{:?}",
        prog.needed
    );
}

#[test]
fn amd64_program_against_bullseye_root_matches_its_loader_in_a_chroot() {
    let rt = common::fetch_old_runtime("bullseye", "amd64").unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let cp = Command::new("cp")
        .arg("-a")
        .arg(&rt.root)
        .arg(&root)
        .status()
        .unwrap();
    assert!(cp.success());
    // A library of the root's /opt, reached through an absolute RPATH entry (/opt/lib)
    // and an absolute symlink (/opt/lib/libzz.so.1 -> /opt/real/libzz.so.1.0): both
    // are taken inside the sysroot.
    let real = root.join("opt/real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(root.join("opt/lib")).unwrap();
    std::fs::write(real.join("zz.c"), "int zz(void) { return 1; }\n").unwrap();
    let o = Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-soname,libzz.so.1", "-o"])
        .arg(real.join("libzz.so.1.0"))
        .arg(real.join("zz.c"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::os::unix::fs::symlink("/opt/real/libzz.so.1.0", root.join("opt/lib/libzz.so.1")).unwrap();
    std::os::unix::fs::symlink("libzz.so.1.0", real.join("libzz.so")).unwrap();
    let prog = root.join("prog");
    build(
        "g++",
        &prog,
        &[
            format!("-L{}", real.display()),
            "-lzz".into(),
            "-Wl,-rpath,/opt/lib".into(),
        ],
    );
    let r = Resolver::new(&root, Vec::new()).unwrap();
    assert!(!r.has_cache());
    let c = r.closure(std::slice::from_ref(&prog)).unwrap();
    let ld = std::fs::read_link(root.join("lib64/ld-linux-x86-64.so.2")).unwrap();
    check_structure(
        &c,
        &root,
        "x86_64-linux-gnu",
        "/lib64/ld-linux-x86-64.so.2",
        ld.to_str().unwrap().trim_start_matches('/'),
    );
    let zz = c
        .objects
        .iter()
        .find(|o| o.soname.as_deref() == Some("libzz.so.1"))
        .unwrap();
    assert_eq!(zz.path, root.join("opt/lib/libzz.so.1"));
    assert_eq!(zz.canonical, root.join("opt/real/libzz.so.1.0"));
    // The root's own loader, in a chroot, in trace mode.
    let out = chroot_trace(&root, "/prog");
    let loader = listing_of(&out, "chroot");
    assert_eq!(in_target_terms(&c, &root), loader);
}

#[test]
fn arm64_program_against_bullseye_root_matches_its_loader_under_qemu() {
    let rt = common::fetch_old_runtime("bullseye", "arm64").unwrap_or_else(|e| panic!("{e}"));
    let root = rt.root.clone();
    let tmp = tempfile::tempdir().unwrap();
    let prog = tmp.path().join("prog");
    build("aarch64-linux-gnu-g++", &prog, &[]);
    let r = Resolver::new(&root, Vec::new()).unwrap();
    let c = r.closure(std::slice::from_ref(&prog)).unwrap();
    let real: PathBuf = std::fs::read_link(root.join("lib/ld-linux-aarch64.so.1")).unwrap();
    let real = if real.is_absolute() {
        real.strip_prefix("/").unwrap().to_path_buf()
    } else {
        Path::new("lib").join(real)
    };
    check_structure(
        &c,
        &root,
        "aarch64-linux-gnu",
        "/lib/ld-linux-aarch64.so.1",
        real.to_str().unwrap(),
    );
    let out = Command::new("qemu-aarch64")
        .arg("-L")
        .arg(&root)
        .args(["-E", "LD_TRACE_LOADED_OBJECTS=1"])
        .arg(&prog)
        .output()
        .unwrap();
    let loader = listing_of(&out, "qemu");
    assert_eq!(in_target_terms(&c, &root), loader);
}

/// A root with this machine's glibc 2.36, a library in `lib/<triplet>` and a better one
/// in its `glibc-hwcaps/x86-64-v2`, and one in `/opt/lib` named by an `include`d
/// ld.so.conf file; its ld.so.cache written by the real `ldconfig -r`. The resolver
/// reads that cache (hwcaps extension included) and agrees with the loader in a chroot;
/// without the cache, the cache it builds from ld.so.conf gives the same libraries.
#[test]
fn ldconfig_cache_with_hwcaps_entries_and_the_conf_fallback() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let libdir = root.join("lib/x86_64-linux-gnu");
    let hw = libdir.join("glibc-hwcaps/x86-64-v2");
    for d in [
        &hw,
        &root.join("lib64"),
        &root.join("etc/ld.so.conf.d"),
        &root.join("opt/lib"),
    ] {
        std::fs::create_dir_all(d).unwrap();
    }
    for f in ["libc.so.6", "ld-linux-x86-64.so.2"] {
        std::fs::copy(Path::new("/lib/x86_64-linux-gnu").join(f), libdir.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        root.join("lib64/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    let src = tmp.path().join("v.c");
    std::fs::write(&src, "int v(void) { return 1; }\n").unwrap();
    let shared = |soname: &str, out: &Path| {
        let o = Command::new("gcc")
            .args(["-shared", "-fPIC", &format!("-Wl,-soname,{soname}"), "-o"])
            .arg(out)
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    shared("libv.so.1", &libdir.join("libv.so.1"));
    shared("libv.so.1", &hw.join("libv.so.1"));
    shared("libw.so.1", &root.join("opt/lib/libw.so.1"));
    std::fs::write(
        root.join("etc/ld.so.conf"),
        "include /etc/ld.so.conf.d/*.conf\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/ld.so.conf.d/opt.conf"), "/opt/lib\n").unwrap();
    let prog = root.join("prog");
    let main = tmp.path().join("main.c");
    std::fs::write(&main, "int main(void) { return 0; }\n").unwrap();
    let o = Command::new("gcc")
        .arg("-o")
        .arg(&prog)
        .arg(&main)
        .args(["-Wl,--no-as-needed", "-L"])
        .arg(&libdir)
        .arg("-L")
        .arg(root.join("opt/lib"))
        .args(["-l:libv.so.1", "-l:libw.so.1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ldconfig = Command::new("/sbin/ldconfig")
        .arg("-r")
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        ldconfig.status.success(),
        "{}",
        String::from_utf8_lossy(&ldconfig.stderr)
    );

    let out = chroot_trace(&root, "/prog");
    let loader = listing_of(&out, "chroot");

    let r = Resolver::new(&root, Vec::new()).unwrap();
    assert!(r.has_cache());
    let supports_v2 = r
        .target_dirs(62, true, 0)
        .glibc_hwcaps
        .iter()
        .any(|h| h == "x86-64-v2");
    let c = r.closure(std::slice::from_ref(&prog)).unwrap();
    assert_eq!(in_target_terms(&c, &root), loader);
    let v = c
        .objects
        .iter()
        .find(|o| o.soname.as_deref() == Some("libv.so.1"))
        .unwrap();
    if supports_v2 {
        assert_eq!(v.path, hw.join("libv.so.1"));
    }
    assert!(c.objects[0].needed.iter().all(|n| n.via == Via::Cache));

    std::fs::remove_file(root.join("etc/ld.so.cache")).unwrap();
    let r = Resolver::new(&root, Vec::new()).unwrap();
    assert!(!r.has_cache());
    let c = r.closure(std::slice::from_ref(&prog)).unwrap();
    assert_eq!(
        in_target_terms(&c, &root),
        loader,
        "the ld.so.conf fallback"
    );
}
