//! The closure resolver on library trees built at test time with gcc: RPATH inherited
//! and RUNPATH not, RUNPATH switching RPATH off, `$ORIGIN` (also through a symlinked
//! executable), the library path against RPATH and RUNPATH, a missing library, a soname
//! already loaded, libraries of another class or machine skipped, and a linker script
//! that stops the search. Every case is also run by the real loader (trace mode of `ld.so`,
//! or the program itself with LD_TRACE_LOADED_OBJECTS=1 and LD_LIBRARY_PATH), and the
//! resolver must list exactly what it lists.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod closure_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use closure_support::{loader_listing, resolver_listing, traced_listing};
use elfcompat::closure::{Closure, ClosureError, Resolver, Via};

/// Compile `src` with `cc` and `args` into `out`; panics with gcc's message.
fn cc(cc: &str, src: &str, out: &Path, args: &[String]) {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let c = out.with_extension("c");
    std::fs::write(&c, src).unwrap();
    let o = Command::new(cc)
        .arg("-o")
        .arg(out)
        .arg(&c)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{cc} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A shared library `dir/file` exporting `sym`, with extra link arguments.
fn lib(dir: &Path, file: &str, sym: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(file);
    let mut a: Vec<String> = vec![
        "-shared".into(),
        "-fPIC".into(),
        "-Wl,--no-as-needed".into(),
    ];
    a.extend(args.iter().map(|s| s.to_string()));
    cc(
        "gcc",
        &format!("int {sym}(void) {{ return 1; }}\n"),
        &out,
        &a,
    );
    out
}

/// An executable `path` that links (and keeps DT_NEEDED on) `args`' libraries.
fn exe(path: &Path, args: &[&str]) -> PathBuf {
    let mut a: Vec<String> = vec!["-Wl,--no-as-needed".into()];
    a.extend(args.iter().map(|s| s.to_string()));
    cc("gcc", "int main(void) { return 0; }\n", path, &a);
    path.to_path_buf()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Resolve `bin` (as given) and check the result against the loader's listing of
/// `loader_bin` with the same library path; returns the closure.
fn agree(bin: &Path, library_path: Option<&Path>, traced: bool) -> Closure {
    let lp: Vec<PathBuf> = library_path
        .map(|p| vec![p.to_path_buf()])
        .unwrap_or_default();
    let c = Resolver::new(Path::new("/"), lp)
        .unwrap()
        .closure(&[bin.to_path_buf()])
        .unwrap();
    let loader = if traced {
        traced_listing(bin, library_path)
    } else {
        loader_listing(bin, library_path)
    }
    .expect("the loader lists the program");
    assert_eq!(resolver_listing(&c), loader, "{}", bin.display());
    c
}

/// How the closure's DT_NEEDED `name` of the object whose path ends with `holder` was
/// satisfied, and the path it resolved to.
fn edge(c: &Closure, holder: &str, name: &str) -> (Via, Option<PathBuf>) {
    let o = c
        .objects
        .iter()
        .find(|o| s(&o.path).ends_with(holder))
        .unwrap_or_else(|| panic!("no object {holder} in {c:#?}"));
    let n = o.needed.iter().find(|n| n.name == name).unwrap();
    (n.via, n.object.map(|i| c.objects[i].path.clone()))
}

/// liba needs libb; libb lives only in `lib/`.
fn a_and_b(t: &Path, a_args: &[&str]) {
    let libdir = t.join("lib");
    lib(&libdir, "libb.so", "b", &[]);
    let mut args = vec!["-L", libdir.to_str().unwrap(), "-lb"];
    args.extend_from_slice(a_args);
    lib(&t.join("mid"), "liba.so", "a", &args);
}

#[test]
fn rpath_is_inherited_runpath_is_not() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    a_and_b(t, &[]);
    let (mid, libdir) = (s(&t.join("mid")), s(&t.join("lib")));
    let rp = format!("-Wl,-rpath,{mid}:{libdir}");
    let link = ["-L", &mid, "-la", &rp, &format!("-Wl,-rpath-link,{libdir}")];
    let mut old = link.to_vec();
    old.push("-Wl,--disable-new-dtags");
    let with_rpath = exe(&t.join("bin/rpath"), &old);
    let mut new = link.to_vec();
    new.push("-Wl,--enable-new-dtags");
    let with_runpath = exe(&t.join("bin/runpath"), &new);

    let c = agree(&with_rpath, None, false);
    assert_eq!(edge(&c, "bin/rpath", "liba.so").0, Via::Rpath);
    // liba has no RPATH of its own: the executable's, inherited, finds libb.
    assert_eq!(
        edge(&c, "liba.so", "libb.so"),
        (Via::Rpath, Some(t.join("lib/libb.so")))
    );
    assert!(c.missing.is_empty());

    let c = agree(&with_runpath, None, false);
    assert_eq!(edge(&c, "bin/runpath", "liba.so").0, Via::Runpath);
    // RUNPATH serves the executable's own DT_NEEDED only.
    assert_eq!(edge(&c, "liba.so", "libb.so").1, None);
    assert_eq!(c.missing.len(), 1);
    assert_eq!(c.missing[0].name, "libb.so");
    assert_eq!(c.missing[0].needed_by, t.join("mid/liba.so"));
}

#[test]
fn runpath_switches_rpath_off() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    // liba has a RUNPATH (to a directory without libb): then no RPATH applies to its
    // DT_NEEDED, not even the executable's that would find libb.
    let nowhere = format!("-Wl,-rpath,{}", s(&t.join("nowhere")));
    a_and_b(t, &[&nowhere, "-Wl,--enable-new-dtags"]);
    let (mid, libdir) = (s(&t.join("mid")), s(&t.join("lib")));
    let rp = format!("-Wl,-rpath,{mid}:{libdir}");
    let rl = format!("-Wl,-rpath-link,{libdir}");
    let prog = exe(
        &t.join("bin/prog"),
        &["-L", &mid, "-la", &rp, &rl, "-Wl,--disable-new-dtags"],
    );
    let c = agree(&prog, None, false);
    assert_eq!(edge(&c, "liba.so", "libb.so").1, None);
    assert_eq!(c.missing[0].needed_by, t.join("mid/liba.so"));
}

#[test]
fn origin_of_libraries_and_of_a_symlinked_executable() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let libdir = t.join("app/lib");
    lib(&libdir, "libb.so", "b", &[]);
    let l = s(&libdir);
    lib(
        &libdir,
        "liba.so",
        "a",
        &[
            "-L",
            &l,
            "-lb",
            "-Wl,-rpath,$ORIGIN",
            "-Wl,--enable-new-dtags",
        ],
    );
    let prog = exe(
        &t.join("app/bin/prog"),
        &[
            "-L",
            &l,
            "-la",
            "-Wl,-rpath,$ORIGIN/../lib",
            "-Wl,--enable-new-dtags",
        ],
    );
    let c = agree(&prog, None, false);
    // The loader names the file through the unnormalised directory.
    assert_eq!(
        edge(&c, "bin/prog", "liba.so"),
        (Via::Runpath, Some(t.join("app/bin/../lib/liba.so")))
    );
    assert_eq!(edge(&c, "liba.so", "libb.so").0, Via::Runpath);

    // Run through a symlink elsewhere: $ORIGIN is the real executable's directory.
    std::fs::create_dir_all(t.join("elsewhere")).unwrap();
    let link = t.join("elsewhere/prog");
    std::os::unix::fs::symlink(&prog, &link).unwrap();
    let c = agree(&link, None, true);
    assert!(c.missing.is_empty());
    assert_eq!(c.objects[0].path, link);
    assert_eq!(c.objects[0].canonical, prog);
}

#[test]
fn library_path_outranks_runpath_but_not_rpath() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let (r, l) = (t.join("r"), t.join("l"));
    lib(&r, "libv.so", "v", &[]);
    lib(&l, "libv.so", "v", &[]);
    let rp = format!("-Wl,-rpath,{}", s(&r));
    let rs = s(&r);
    let runpath = exe(
        &t.join("runpath"),
        &["-L", &rs, "-lv", &rp, "-Wl,--enable-new-dtags"],
    );
    let rpath = exe(
        &t.join("rpath"),
        &["-L", &rs, "-lv", &rp, "-Wl,--disable-new-dtags"],
    );
    for traced in [false, true] {
        let c = agree(&runpath, Some(&l), traced);
        assert_eq!(
            edge(&c, "runpath", "libv.so"),
            (Via::LibraryPath, Some(l.join("libv.so")))
        );
        let c = agree(&rpath, Some(&l), traced);
        assert_eq!(
            edge(&c, "rpath", "libv.so"),
            (Via::Rpath, Some(r.join("libv.so")))
        );
    }
}

#[test]
fn soname_already_loaded_satisfies_a_later_needed() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let d = t.join("d");
    // The executable names libx.so by path (linked against a copy without a soname);
    // the file it loads has the soname liby.so. liba needs liby.so, which exists
    // nowhere on disk: the loaded libx.so answers to it.
    let libx = lib(&d, "libx.so", "x", &[]);
    let stub = t.join("stub");
    lib(&stub, "liby.so", "y", &[]);
    let st = s(&stub);
    let ds = s(&d);
    lib(&d, "liba.so", "a", &["-L", &st, "-ly"]);
    let rp = format!("-Wl,-rpath,{ds}");
    let prog = exe(&t.join("prog"), &[&s(&libx), "-L", &ds, "-la", &rp]);
    lib(&d, "libx.so", "x", &["-Wl,-soname,liby.so"]);
    let c = agree(&prog, None, false);
    assert_eq!(edge(&c, "prog", &s(&libx)), (Via::Path, Some(libx.clone())));
    assert_eq!(
        edge(&c, "liba.so", "liby.so"),
        (Via::AlreadyLoaded, Some(libx))
    );
    assert!(c.missing.is_empty());
}

#[test]
fn other_class_and_machine_are_skipped() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let (w32, warm, ok) = (t.join("w32"), t.join("warm"), t.join("ok"));
    lib(&w32, "libv.so", "v", &["-m32", "-nostdlib"]);
    std::fs::create_dir_all(&warm).unwrap();
    cc(
        "aarch64-linux-gnu-gcc",
        "int v(void) { return 1; }\n",
        &warm.join("libv.so"),
        &["-shared".into(), "-fPIC".into()],
    );
    lib(&ok, "libv.so", "v", &[]);
    let rp = format!("-Wl,-rpath,{}:{}:{}", s(&w32), s(&warm), s(&ok));
    let prog = exe(
        &t.join("prog"),
        &["-L", &s(&ok), "-lv", &rp, "-Wl,--disable-new-dtags"],
    );
    let c = agree(&prog, None, false);
    assert_eq!(
        edge(&c, "prog", "libv.so"),
        (Via::Rpath, Some(ok.join("libv.so")))
    );
    // The same through the library path (LD_LIBRARY_PATH) before the RPATH.
    let both = t.join("both");
    std::fs::create_dir_all(&both).unwrap();
    let runpath = exe(
        &t.join("prog2"),
        &["-L", &s(&ok), "-lv", "-Wl,-rpath,/nonexistent"],
    );
    let lp = format!("{}:{}:{}", s(&w32), s(&warm), s(&ok));
    let loader = traced_listing(&runpath, Some(Path::new(&lp))).unwrap();
    let c = Resolver::new(Path::new("/"), vec![w32.clone(), warm.clone(), ok.clone()])
        .unwrap()
        .closure(std::slice::from_ref(&runpath))
        .unwrap();
    assert_eq!(resolver_listing(&c), loader);
    assert_eq!(
        edge(&c, "prog2", "libv.so"),
        (Via::LibraryPath, Some(ok.join("libv.so")))
    );
}

#[test]
fn a_linker_script_in_the_path_stops_the_loader() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    let (bad, ok) = (t.join("bad"), t.join("ok"));
    lib(&ok, "libv.so", "v", &[]);
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("libv.so"), "INPUT(libv.so.1)\n").unwrap();
    let rp = format!("-Wl,-rpath,{}:{}", s(&bad), s(&ok));
    let prog = exe(&t.join("prog"), &["-L", &s(&ok), "-lv", &rp]);
    assert_eq!(loader_listing(&prog, None), None, "the loader fails");
    let err = Resolver::new(Path::new("/"), Vec::new())
        .unwrap()
        .closure(std::slice::from_ref(&prog))
        .unwrap_err();
    match err {
        ClosureError::NotLoadable {
            path, needed_by, ..
        } => {
            assert_eq!(path, bad.join("libv.so"));
            assert_eq!(needed_by, prog);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_library_root_and_dedup_across_roots() {
    let t = tempfile::tempdir().unwrap();
    let t = t.path();
    a_and_b(t, &["-Wl,-rpath,$ORIGIN/../lib"]);
    let liba = t.join("mid/liba.so");
    let mid = s(&t.join("mid"));
    let rp = format!("-Wl,-rpath,{mid}:{}", s(&t.join("lib")));
    let prog = exe(&t.join("prog"), &["-L", &mid, "-la", &rp]);
    let r = Resolver::new(Path::new("/"), Vec::new()).unwrap();
    let c = r.closure(&[prog.clone(), liba.clone()]).unwrap();
    let count = |p: &Path| c.objects.iter().filter(|o| o.canonical == p).count();
    assert_eq!(count(&liba), 1);
    assert_eq!(count(&t.join("lib/libb.so")), 1);
    let a = c.objects.iter().position(|o| o.canonical == liba).unwrap();
    assert!(c.objects[a].root);
    // libc and the loader once each, the loader as libc's "already loaded" dependency.
    let libc = c
        .objects
        .iter()
        .find(|o| o.soname.as_deref() == Some("libc.so.6"))
        .unwrap();
    let ld = libc
        .needed
        .iter()
        .find(|n| n.name.starts_with("ld-linux"))
        .unwrap();
    assert_eq!(ld.via, Via::AlreadyLoaded);
    assert!(c.objects[ld.object.unwrap()].interp);
    assert_eq!(c.objects.iter().filter(|o| o.interp).count(), 1);
}
