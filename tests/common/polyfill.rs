//! Helpers of the polyfill tests (`tests/polyfill*.rs`): run a program for its output,
//! patch it to 2.17, and require the cross tools (a test that lacks them fails in CI).

use std::path::Path;
use std::process::Command;

/// A command's stdout, panicking with its stderr when it fails.
pub fn output(mut c: Command) -> String {
    let o = c.output().expect("run");
    assert!(
        o.status.success(),
        "{:?}: {}",
        c,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `elfcompat patch --glibc 2.17 bin -o out`, which must succeed; its plan.
pub fn patch_to_2_17(bin: &Path, out: &Path) -> String {
    patch_to(bin, out, "2.17")
}

/// `elfcompat patch --glibc GLIBC bin -o out`, which must succeed; its plan.
pub fn patch_to(bin: &Path, out: &Path, glibc: &str) -> String {
    let o = Command::new(super::bin())
        .args(["patch", "--glibc", glibc])
        .arg(bin)
        .arg("-o")
        .arg(out)
        .output()
        .expect("elfcompat");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

/// Whether every tool is on PATH. Without one the test is skipped, with what to install
/// (`packages`) — unless `CI` is set, where it fails: CI installs them (`.ci/run`).
pub fn tools(tools: &[&str], packages: &str) -> bool {
    if tools.iter().all(|t| super::have_tool(t)) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "missing {tools:?}: install {packages} (required when CI is set)"
    );
    eprintln!("skipped: install {packages}");
    false
}

/// `prog`'s stdout (it must succeed), run with LD_BIND_NOW=1, natively or under `qemu`
/// (`sysroot`: where qemu finds the system's libraries for the target), on the system's
/// glibc or, with `glibc = (loader, libpath)`, on that one through its own loader.
pub fn run_on(
    qemu: Option<&str>,
    sysroot: &str,
    glibc: Option<(&str, &str)>,
    prog: &Path,
) -> String {
    let mut c = match qemu {
        Some(q) => {
            let mut c = Command::new(q);
            if glibc.is_none() {
                c.args(["-L", sysroot]);
            }
            c.args(["-E", "LD_BIND_NOW=1"]);
            if let Some((loader, _)) = glibc {
                c.arg(loader);
            }
            c
        }
        None => {
            let mut c = Command::new(glibc.map_or("env", |(loader, _)| loader));
            c.env("LD_BIND_NOW", "1");
            c
        }
    };
    if let Some((_, libpath)) = glibc {
        c.args(["--inhibit-cache", "--library-path", libpath]);
    }
    c.arg(prog);
    output(c)
}

/// The C compiler, qemu (None: native) and qemu's sysroot for a Debian architecture name
/// (`amd64`, `arm64`, `i386`, `armhf`, `ppc64el`).
pub fn c_toolchain(arch: &str) -> (&'static str, Option<&'static str>, &'static str) {
    match arch {
        "amd64" => ("gcc", None, "/"),
        "i386" => (
            "i686-linux-gnu-gcc",
            Some("qemu-i386"),
            "/usr/i686-linux-gnu",
        ),
        "armhf" => (
            "arm-linux-gnueabihf-gcc",
            Some("qemu-arm"),
            "/usr/arm-linux-gnueabihf",
        ),
        "ppc64el" => (
            "powerpc64le-linux-gnu-gcc",
            Some("qemu-ppc64le"),
            "/usr/powerpc64le-linux-gnu",
        ),
        _ => (
            "aarch64-linux-gnu-gcc",
            Some("qemu-aarch64"),
            "/usr/aarch64-linux-gnu",
        ),
    }
}

/// `testdata/polyfill/<source>` compiled by `cc` into `bin` against trixie's libc.so.6
/// (glibc 2.41: functions newer than the host's 2.36); trixie's runtime, to run the
/// reference under.
pub fn build_against_trixie(cc: &str, arch: &str, source: &str, bin: &Path) -> super::OldRuntime {
    let new = super::fetch_old_runtime("trixie", arch).unwrap_or_else(|e| panic!("{e}"));
    let new_libc = new
        .libpath
        .split(':')
        .map(|d| Path::new(d).join("libc.so.6"))
        .find(|p| p.exists())
        .expect("trixie's libc.so.6");
    let st = Command::new(cc)
        .args(["-O1", "-o"])
        .arg(bin)
        .arg(super::crate_root().join("testdata/polyfill").join(source))
        .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
        .arg(&new_libc)
        .status()
        .expect("compiler");
    assert!(st.success(), "{cc} {source}");
    new
}

/// A side-by-side run of `testdata/polyfill/SOURCE`: built for `arch` (`-O1`, `flags`,
/// `-lm`), patched to 2.17 with each of `polyfilled` linked as a polyfill (a plan line
/// `polyfill NAME`), then run as built (glibc 2.36's own functions), patched on 2.36 and
/// patched on bullseye's 2.31: the three outputs must be identical, and at least
/// `min_lines` long. Returns how many lines were compared, and the plan.
pub fn matches_glibc(
    arch: &str,
    source: &str,
    flags: &[&str],
    polyfilled: &[&str],
    min_lines: usize,
) -> (usize, String) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("prog");
    let st = Command::new(cc)
        .arg("-O1")
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(super::crate_root().join("testdata/polyfill").join(source))
        .arg("-lm")
        .status()
        .expect("gcc");
    assert!(st.success(), "{arch}: building {source} failed");
    let patched = tmp.path().join("prog-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for f in polyfilled {
        assert!(
            plan.lines()
                .any(|l| l.split_whitespace().take(2).eq(["polyfill", *f])),
            "{arch} {source}: {f} not polyfilled:\n{plan}"
        );
    }
    let under = |old, prog: &Path| run_on(qemu, sysroot, old, prog);
    let reference = under(None, &bin);
    let lines = reference.lines().count();
    assert!(lines >= min_lines, "{arch} {source}: {lines} lines");
    assert_eq!(
        under(None, &patched),
        reference,
        "{arch} {source}: polyfills on glibc 2.36"
    );
    let (old_loader, old_libpath) = super::old_runtime(arch);
    assert_eq!(
        under(Some((&old_loader, &old_libpath)), &patched),
        reference,
        "{arch} {source}: polyfills on glibc 2.31"
    );
    (lines, plan)
}

/// The polyfills a plan links in, by name.
pub fn linked_polyfills(plan: &str) -> Vec<&str> {
    plan.lines()
        .filter(|l| l.trim_start().starts_with("polyfill") && l.contains("linked in"))
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect()
}

/// A fresh, empty directory `name` in `dir` (the side-by-side programs write into theirs).
pub fn fresh(dir: &Path, name: &str) -> std::path::PathBuf {
    let d = dir.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

/// Build `testdata/polyfill/<source>` with the cross compiler `cc` (`-O1 -w`, then
/// `flags`, linked with `-lresolv` and `libs`) into `bin`.
pub fn cross_build(cc: &str, source: &str, flags: &[&str], libs: &[&str], bin: &Path) {
    let st = Command::new(cc)
        .args(["-O1", "-w"])
        .args(flags)
        .arg("-o")
        .arg(bin)
        .arg(super::crate_root().join("testdata/polyfill").join(source))
        .arg("-lresolv")
        .args(libs)
        .status()
        .expect("cross compiler");
    assert!(st.success(), "{cc} {source}");
}

/// `elfcompat verify --glibc GLIBC --loader-check file` must pass.
pub fn assert_loader_check(file: &Path, glibc: &str) {
    let o = Command::new(super::bin())
        .args(["verify", "--glibc", glibc, "--loader-check"])
        .arg(file)
        .output()
        .expect("elfcompat");
    assert!(
        o.status.success(),
        "loader check at {glibc}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `prog dir`'s stdout under `qemu` with LD_BIND_NOW=1, on the runtime `rt` through its
/// own loader.
pub fn run_qemu(qemu: &str, rt: &super::OldRuntime, prog: &Path, dir: &Path) -> String {
    let mut c = Command::new(qemu);
    c.args(["-E", "LD_BIND_NOW=1"])
        .arg(&rt.loader)
        .args(["--inhibit-cache", "--library-path", &rt.libpath])
        .arg(prog)
        .arg(dir);
    output(c)
}
