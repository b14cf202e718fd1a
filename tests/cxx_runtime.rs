//! C++ runtime requirements against Debian 11's libstdc++ (GCC 10, GLIBCXX_3.4.28).
//!
//! Programs from `testdata/cxx/` are compiled now with the host's g++ (12), then:
//!
//! 1. `condvar` needs `condition_variable::wait@GLIBCXX_3.4.30`: `check --target debian11`
//!    calls it fixable by a re-point, `patch --target debian11` re-points it to
//!    GLIBCXX_3.4.11 (an audited pair, with its note) and the result needs nothing above
//!    GLIBCXX_3.4.28; it runs under bullseye's loader, glibc and libstdc++ with
//!    `LD_BIND_NOW=1` exactly as on the host. As built, it does not start there.
//! 2. `libwait.so` imports only `wait@GLIBCXX_3.4.30`: the re-point must add a
//!    GLIBCXX_3.4.11 vernaux the file did not have; `condvar_lib`, which takes its waits
//!    from it, runs the same under bullseye after both are patched.
//! 3. `newarray` needs `std::__throw_bad_array_new_length()@GLIBCXX_3.4.29`, which has no
//!    older version: `check` names the bundle remedy and exits 1, `patch` refuses with
//!    the reason and writes nothing.
//!
//! Nothing is skipped: g++ and bullseye's runtime (`tools/old-glibc.sh bullseye amd64`)
//! are required.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::{run, OldRuntime, Run};

const TIMEOUT: Duration = Duration::from_secs(120);
const WAIT: &str = "_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE";

fn runtime() -> &'static OldRuntime {
    static RT: OnceLock<OldRuntime> = OnceLock::new();
    RT.get_or_init(|| {
        common::fetch_old_runtime("bullseye", "amd64")
            .unwrap_or_else(|e| panic!("bullseye's runtime is required: {e}"))
    })
}

fn source(name: &str) -> PathBuf {
    common::crate_root().join("testdata/cxx").join(name)
}

/// g++ with `args` in `dir`; panics with the compiler's output when it fails.
fn gxx(dir: &Path, args: &[&str]) {
    let mut cmd = Command::new("g++");
    cmd.args(args).current_dir(dir);
    let r = common::run_command(cmd, TIMEOUT);
    assert_eq!(r.code, Some(0), "g++ {args:?} failed\n{}", r.describe());
}

/// Run `prog` on the host (`old` false) or under bullseye's loader and libraries, with
/// `dir` searched for the program's own libraries; `LD_BIND_NOW=1` so a missing
/// version or symbol fails at load time.
fn exec(prog: &Path, dir: &Path, old: bool) -> Run {
    let mut cmd = if old {
        let rt = runtime();
        let mut c = Command::new(&rt.loader);
        c.arg("--inhibit-cache")
            .arg("--library-path")
            .arg(format!("{}:{}", dir.display(), rt.libpath))
            .arg(prog);
        c
    } else {
        let mut c = Command::new(prog);
        c.env("LD_LIBRARY_PATH", dir);
        c
    };
    cmd.env("LD_BIND_NOW", "1").current_dir(dir);
    common::run_command(cmd, TIMEOUT)
}

/// Every (symbol, version) the file imports from libstdc++'s families, by `readelf`.
fn cxx_imports(file: &Path) -> Vec<(String, String)> {
    let out = Command::new("readelf")
        .args(["-W", "--dyn-syms"])
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("readelf: {e}"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = f.get(7)?;
            let (sym, ver) = name.split_once('@')?;
            let ver = ver.trim_start_matches('@');
            (ver.starts_with("GLIBCXX_") || ver.starts_with("CXXABI_"))
                .then(|| (sym.to_string(), ver.to_string()))
        })
        .collect()
}

/// `GLIBCXX_3.4.N` / `CXXABI_1.3.N` -> N.
fn minor(v: &str) -> u32 {
    v.rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Nothing above GLIBCXX_3.4.28 / CXXABI_1.3.12 (bullseye's libstdc++).
fn assert_bullseye_cxx(file: &Path) {
    for (sym, ver) in cxx_imports(file) {
        let limit = if ver.starts_with("GLIBCXX_") { 28 } else { 12 };
        assert!(
            minor(&ver) <= limit,
            "{}: {sym}@{ver} is above bullseye's libstdc++",
            file.display()
        );
    }
}

fn patch(file: &Path, out: &Path) -> Run {
    let os = std::ffi::OsStr::new;
    run([
        os("patch"),
        os("--target"),
        os("debian11"),
        file.as_os_str(),
        os("-o"),
        out.as_os_str(),
    ])
}

#[test]
fn condition_variable_wait_is_repointed_and_runs_on_bullseye() {
    let tmp = common::tempdir();
    let dir = tmp.path();
    gxx(
        dir,
        &[
            "-O2",
            "-pthread",
            source("condvar.cpp").to_str().unwrap_or_default(),
            "-o",
            "condvar",
        ],
    );
    let built = dir.join("condvar");
    assert!(
        cxx_imports(&built).contains(&(WAIT.to_string(), "GLIBCXX_3.4.30".to_string())),
        "g++ did not link wait@GLIBCXX_3.4.30: {:?}",
        cxx_imports(&built)
    );
    let host = exec(&built, dir, false);
    assert_eq!(host.code, Some(0), "{}", host.describe());
    // As built, bullseye cannot start it: the test would prove nothing otherwise.
    let before = exec(&built, dir, true);
    assert_ne!(before.code, Some(0), "{}", before.describe());
    assert!(before.stderr.contains("not found"), "{}", before.describe());

    let check = run([
        "check",
        "--target",
        "debian11",
        built.to_str().unwrap_or_default(),
    ]);
    check.assert_code(1);
    assert!(
        check.stdout.contains("GLIBCXX_3.4.30")
            && check.stdout.contains("fixable: re-point to GLIBCXX_3.4.11"),
        "{}",
        check.describe()
    );

    let patched = dir.join("condvar.patched");
    let p = patch(&built, &patched);
    p.assert_code(0);
    assert!(
        p.stdout.contains("is noexcept"),
        "the audit's note is missing\n{}",
        p.describe()
    );
    let imports = cxx_imports(&patched);
    assert!(
        imports.contains(&(WAIT.to_string(), "GLIBCXX_3.4.11".to_string())),
        "{imports:?}"
    );
    assert_bullseye_cxx(&patched);
    run([
        "check",
        "--target",
        "debian11",
        patched.to_str().unwrap_or_default(),
    ])
    .assert_code(0);

    let old = exec(&patched, dir, true);
    assert_eq!(old.code, host.code, "under bullseye:\n{}", old.describe());
    assert_eq!(old.stdout, host.stdout);
    assert_eq!(exec(&patched, dir, false).stdout, host.stdout);
}

#[test]
fn repoint_adds_a_libstdcxx_version_the_file_lacked() {
    let tmp = common::tempdir();
    let dir = tmp.path();
    gxx(
        dir,
        &[
            "-O2",
            "-fPIC",
            "-shared",
            source("waitlib.cpp").to_str().unwrap_or_default(),
            "-o",
            "libwait.so",
        ],
    );
    gxx(
        dir,
        &[
            "-O2",
            "-pthread",
            source("condvar_lib.cpp").to_str().unwrap_or_default(),
            "-L.",
            "-lwait",
            "-o",
            "condvar_lib",
        ],
    );
    let lib = dir.join("libwait.so");
    assert_eq!(
        cxx_imports(&lib),
        [(WAIT.to_string(), "GLIBCXX_3.4.30".to_string())],
        "libwait.so should import wait@GLIBCXX_3.4.30 alone"
    );
    let host = exec(&dir.join("condvar_lib"), dir, false);
    assert_eq!(host.code, Some(0), "{}", host.describe());

    // Patched copies in their own directory, under the original names.
    let out = dir.join("patched");
    std::fs::create_dir(&out).unwrap_or_else(|e| panic!("{e}"));
    patch(&lib, &out.join("libwait.so")).assert_code(0);
    patch(&dir.join("condvar_lib"), &out.join("condvar_lib")).assert_code(0);
    let verneed = Command::new("readelf")
        .args(["-W", "-V"])
        .arg(out.join("libwait.so"))
        .output()
        .unwrap_or_else(|e| panic!("readelf: {e}"));
    let verneed = String::from_utf8_lossy(&verneed.stdout);
    assert!(
        verneed.contains("Name: GLIBCXX_3.4.11") && !verneed.contains("GLIBCXX_3.4.30"),
        "{verneed}"
    );
    assert_eq!(
        cxx_imports(&out.join("libwait.so")),
        [(WAIT.to_string(), "GLIBCXX_3.4.11".to_string())]
    );
    assert_bullseye_cxx(&out.join("condvar_lib"));
    let old = exec(&out.join("condvar_lib"), &out, true);
    assert_eq!(old.code, host.code, "under bullseye:\n{}", old.describe());
    assert_eq!(old.stdout, host.stdout);
}

#[test]
fn a_symbol_with_no_older_version_needs_a_bundle() {
    let tmp = common::tempdir();
    let dir = tmp.path();
    gxx(
        dir,
        &[
            "-O2",
            source("newarray.cpp").to_str().unwrap_or_default(),
            "-o",
            "newarray",
        ],
    );
    let built = dir.join("newarray");
    let sym = "_ZSt28__throw_bad_array_new_lengthv";
    assert!(
        cxx_imports(&built).contains(&(sym.to_string(), "GLIBCXX_3.4.29".to_string())),
        "{:?}",
        cxx_imports(&built)
    );
    let check = run([
        "check",
        "--target",
        "debian11",
        built.to_str().unwrap_or_default(),
    ]);
    check.assert_code(1);
    assert!(
        check
            .stdout
            .contains("fixable: bundle a newer libstdc++.so.6 (elfcompat bundle)"),
        "{}",
        check.describe()
    );
    let json = common::json_of(&run([
        "check",
        "--target",
        "debian11",
        "--json",
        built.to_str().unwrap_or_default(),
    ]));
    let text = json.to_string();
    assert!(text.contains(r#""kind":"bundle""#), "{text}");
    assert!(text.contains(r#""library":"libstdc++.so.6""#), "{text}");

    let patched = dir.join("newarray.patched");
    let p = patch(&built, &patched);
    p.assert_code(1);
    let all = format!("{}{}", p.stdout, p.stderr);
    assert!(
        all.contains("needs GLIBCXX_3.4.29 (GCC 11); the target's libstdc++ has GLIBCXX_3.4.28")
            && all.contains("-static-libstdc++"),
        "{}",
        p.describe()
    );
    assert!(!patched.exists(), "patch wrote a file it refused");
}
