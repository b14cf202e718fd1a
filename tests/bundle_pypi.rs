//! Real projects from PyPI, built here from their sdists, bundled, and imported by an older
//! distribution's own Python — the evidence `auditwheel repair` plus lowering must give on
//! code nobody wrote for the test.
//!
//! Four popular projects with native code, pinned, each built with `pip wheel --no-binary`
//! from its sdist by bullseye's python3.9 running on this host (`tools/build-python.sh`:
//! the interpreter and its headers, not bullseye's libc) with the host's gcc against the
//! host's glibc 2.36, as a wheel built on a current distribution is:
//!
//! - MarkupSafe: a plain C extension (`_speedups`);
//! - PyYAML: a C extension linked against the host's libyaml (libyaml-dev), which
//!   bullseye's chroot does not have: it must ship inside the wheel;
//! - ujson: C and C++ (double-conversion), on the system's libstdc++;
//! - cffi: `_cffi_backend` imports `dlopen` & co. at GLIBC_2.34 and links the host's
//!   libffi.so.8 (bullseye has libffi.so.7): glibc lowering and bundling both.
//!
//! Each wheel is bundled for manylinux_2_31 (bullseye) and manylinux_2_17. A bundled wheel
//! must carry the tag `auditwheel show` gives it, install with pip into a directory, and
//! run the project's import-level smoke test with Debian 11's own python3.9 inside a
//! bullseye chroot that holds nothing of the host (`tools/old-python.sh`,
//! `tests/common/chroot.rs`), printing exactly what the unbundled wheel prints on the host.
//! A refusal must name the symbol and why, and write nothing. What each unbundled wheel
//! needs above glibc 2.31 is asserted with `check --target debian11` (only cffi's
//! extension needs more: the others use no newer symbol). The unbundled PyYAML and cffi
//! wheels must fail in that chroot; given the host's copies of the libraries bullseye
//! lacks, PyYAML must run and cffi still fail for GLIBC_2.34: the bundling, and for cffi
//! also the lowering, is what makes them run.
//!
//! Needs the build Python (`tools/build-python.sh`), PyPI through pip, gcc/g++, libyaml-dev
//! and libffi-dev, auditwheel (the venv `.ci/run` makes) and the chroot harness; without
//! them the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::chroot::{run_in_chroot_with, ChrootOptions};
use common::wheels::{
    auditwheel_tag, bullseye_python, check_version_links, elf_members, file_name, must, wheel_venv,
    wheels_in,
};
use common::{run_command, Run};

const TEST: &str = "bundle_pypi";

/// A project: its distribution name on PyPI, the pinned version, pure-Python runtime
/// dependencies (installed from PyPI as wheels), and its smoke test.
struct Project {
    dist: &'static str,
    version: &'static str,
    deps: &'static [&'static str],
    smoke: &'static str,
    /// Whether the unbundled wheel fails to import in the bullseye chroot.
    fails_unbundled: bool,
    /// The host's libraries (sonames) the unbundled wheel loads that bullseye lacks.
    host_libs: &'static [&'static str],
    /// The glibc version above bullseye's 2.31 the unbundled wheel needs, if any: with
    /// `host_libs` supplied to it, it must still fail in the chroot, naming this version
    /// (and run, when it needs none).
    needs_glibc: Option<&'static str>,
}

const PROJECTS: &[Project] = &[
    Project {
        dist: "markupsafe",
        version: "2.1.5",
        deps: &[],
        smoke: r#"
import sys, markupsafe
# The C extension, not the pure-Python fallback MarkupSafe silently uses without it.
assert markupsafe.escape.__module__ == 'markupsafe._speedups', markupsafe.escape.__module__
assert 'markupsafe._speedups' in sys.modules
print(type(markupsafe.escape).__name__, markupsafe.escape.__module__)
print(markupsafe.escape('<a href="x">Tom & "Jerry"</a>'))
print(markupsafe.Markup('<b>%s</b>') % '<i>', markupsafe.soft_str(5))
"#,
        fails_unbundled: false,
        host_libs: &[],
        needs_glibc: None,
    },
    Project {
        dist: "pyyaml",
        version: "6.0.1",
        deps: &[],
        smoke: r#"
import yaml
# libyaml's C loader and dumper, not PyYAML's pure-Python fallback.
assert yaml.__with_libyaml__ and yaml.CLoader.__module__ == 'yaml.cyaml'
print(yaml.__with_libyaml__, yaml.CLoader.__module__)
d = yaml.load('a: [1, 2.5, x]\nb: {c: null, d: "\\u00e9"}\n', Loader=yaml.CLoader)
print(sorted(d.items()))
print(yaml.dump(d, Dumper=yaml.CDumper, allow_unicode=True), end='')
"#,
        fails_unbundled: true,
        host_libs: &["libyaml-0.so.2"],
        needs_glibc: None,
    },
    Project {
        dist: "ujson",
        version: "5.10.0",
        deps: &[],
        smoke: r#"
import ujson
assert ujson.__file__.endswith('.so'), ujson.__file__
s = ujson.dumps({'a': [1, 2.5, 'x\u00e9', None], 'b': 1e300}, sort_keys=True)
print(s)
print(ujson.loads(s), ujson.loads('[1.5e-7, 123456789012345678]'))
try:
    ujson.loads('[1,')
except ValueError as e:
    print('ValueError', e)
"#,
        fails_unbundled: false,
        host_libs: &[],
        needs_glibc: None,
    },
    Project {
        dist: "cffi",
        version: "1.16.0",
        deps: &["pycparser==2.22"],
        smoke: r#"
import cffi, _cffi_backend
assert _cffi_backend.__file__.endswith('.so'), _cffi_backend.__file__
ffi = cffi.FFI()
ffi.cdef('size_t strlen(const char *); int abs(int); int snprintf(char *, size_t, const char *, ...);')
C = ffi.dlopen(None)
buf = ffi.new('char[32]')
C.snprintf(buf, 32, b'%d-%s', ffi.cast('int', 42), ffi.new('char[]', b'ok'))
print(C.strlen(b'hello'), C.abs(-7), ffi.string(buf))
p = ffi.new('int[4]', [1, 2, 3, 4])
print(sum(p), ffi.sizeof('long'), cffi.__version__, _cffi_backend.__version__)
cb = ffi.callback('int(int, int)', lambda a, b: a * b)
print(cb(6, 7))
"#,
        fails_unbundled: true,
        host_libs: &["libffi.so.8"],
        needs_glibc: Some("GLIBC_2.34"),
    },
];

const TARGETS: &[&str] = &["manylinux_2_31", "manylinux_2_17"];

fn unavailable(what: &str) -> Option<BuildPython> {
    if std::env::var_os("CI").is_some() {
        panic!("{TEST}: {what} (required when CI is set)");
    }
    eprintln!("{TEST}: SKIPPED: {what}");
    None
}

/// `tools/build-python.sh`'s interpreter: python3.9 with headers, and pip as a wheel.
struct BuildPython {
    python: PathBuf,
    pip: PathBuf,
    libpath: String,
    cflags: String,
}

impl BuildPython {
    fn get() -> Option<BuildPython> {
        for tool in ["gcc", "g++"] {
            if !common::have_tool(tool) {
                return unavailable(&format!("{tool} not found"));
            }
        }
        let mut c = Command::new("bash");
        c.arg(common::crate_root().join("tools/build-python.sh"))
            .args(["bullseye", "amd64"]);
        let r = run_command(c, Duration::from_secs(600));
        if r.code != Some(0) {
            return unavailable(&format!("no build python: {}", r.describe()));
        }
        let root = PathBuf::from(r.stdout.lines().last().unwrap_or_default());
        let env: BTreeMap<String, String> = std::fs::read_to_string(root.join("build-python.env"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Some(BuildPython {
            python: env["PYTHON"].clone().into(),
            pip: env["PIP"].clone().into(),
            libpath: env["LIBPATH"].clone(),
            cflags: env["CFLAGS"].clone(),
        })
    }

    /// The interpreter, with the build environment.
    fn command(&self) -> Command {
        let mut c = Command::new(&self.python);
        c.env("LD_LIBRARY_PATH", &self.libpath)
            .env("CFLAGS", &self.cflags)
            .env("CXXFLAGS", &self.cflags)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            // PyYAML builds its libyaml extension or fails, instead of falling back.
            .env("PYYAML_FORCE_LIBYAML", "1");
        c
    }

    /// pip, run from its wheel by the interpreter.
    fn pip(&self) -> Command {
        let mut c = self.command();
        c.arg(&self.pip);
        c
    }

    /// `wheels` (and their declared pure-Python dependencies) installed into `site`.
    fn install(&self, site: &Path, wheels: &[&Path], deps: &[&str]) {
        let mut c = self.pip();
        c.args(["install", "-q", "--no-compile", "--no-deps", "--target"])
            .arg(site)
            .args(wheels);
        must(c, Duration::from_secs(300));
        if !deps.is_empty() {
            let mut c = self.pip();
            c.args([
                "install",
                "-q",
                "--no-compile",
                "--no-deps",
                "--only-binary",
                ":all:",
                "--target",
            ])
            .arg(site)
            .args(deps);
            must(c, Duration::from_secs(300));
        }
    }
}

/// The wheel of `dist` in `dir`.
fn wheel_of(dir: &Path, dist: &str) -> Option<PathBuf> {
    wheels_in(dir)
        .into_iter()
        .find(|w| file_name(w).starts_with(&format!("{dist}-")))
}

/// The platform tags of a wheel's file name.
fn platforms(wheel: &Path) -> Vec<String> {
    let name = file_name(wheel);
    let plat = name
        .strip_suffix(".whl")
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap();
    plat.split('.').map(str::to_string).collect()
}

/// The smoke test of `p`, by bullseye's python3.9 inside the chroot, on `site`; with
/// `libs`, that host directory is bound at `/hostlibs` and put on LD_LIBRARY_PATH.
fn smoke_in_bullseye(
    py_root: &Path,
    work: &Path,
    site: &Path,
    p: &Project,
    libs: Option<&Path>,
) -> Run {
    let script = work.join(format!("smoke-{}.py", p.dist));
    std::fs::write(&script, p.smoke).unwrap();
    let mut binds = vec![(site, "/site"), (script.as_path(), "/smoke.py")];
    let mut env = vec![("PYTHONPATH", "/site"), ("LD_BIND_NOW", "1")];
    if let Some(libs) = libs {
        binds.push((libs, "/hostlibs"));
        env.push(("LD_LIBRARY_PATH", "/hostlibs"));
    }
    run_in_chroot_with(
        py_root,
        &ChrootOptions {
            binds: &binds,
            env: &env,
            cwd: Some("/"),
            ..Default::default()
        },
        &["/usr/bin/python3.9", "/smoke.py"],
    )
}

/// The host's copies of `sonames` (where gcc's linker finds them) in a new directory.
fn host_libs_dir(work: &Path, dist: &str, sonames: &[&str]) -> PathBuf {
    let dir = work.join(format!("hostlibs-{dist}"));
    std::fs::create_dir_all(&dir).unwrap();
    for soname in sonames {
        let mut c = Command::new("gcc");
        c.arg(format!("-print-file-name={soname}"));
        let found = must(c, Duration::from_secs(30)).stdout.trim().to_string();
        assert!(
            Path::new(&found).is_absolute(),
            "the host has no {soname} (gcc -print-file-name said {found:?})"
        );
        std::fs::copy(&found, dir.join(soname)).unwrap();
    }
    dir
}

/// The `.libs/` members of a wheel.
fn bundled_libs(wheel: &Path) -> Vec<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_string())
        .filter(|n| n.contains(".libs/"))
        .collect()
}

#[test]
fn real_projects_bundled_and_imported_on_bullseye() {
    let Some(py) = BuildPython::get() else {
        return;
    };
    let py_root = match bullseye_python() {
        Ok(root) => root,
        Err(e) => {
            unavailable(&e);
            return;
        }
    };
    let tmp = common::tempdir();
    let work = tmp.path();
    let built = work.join("built");

    // The sdists, built into cp39 wheels by the host's compilers.
    let mut c = py.pip();
    let no_binary: Vec<&str> = PROJECTS.iter().map(|p| p.dist).collect();
    c.args(["wheel", "-q", "--no-deps", "--no-binary"])
        .arg(no_binary.join(","))
        .arg("-w")
        .arg(&built)
        .args(
            PROJECTS
                .iter()
                .map(|p| format!("{}=={}", p.dist, p.version)),
        );
    must(c, Duration::from_secs(900));

    let mut summary = Vec::new();
    for p in PROJECTS {
        let wheel =
            wheel_of(&built, p.dist).unwrap_or_else(|| panic!("pip built no {} wheel", p.dist));
        assert_eq!(
            platforms(&wheel),
            ["linux_x86_64"],
            "{}: built from the sdist here, not downloaded",
            file_name(&wheel)
        );
        let before = std::fs::read(&wheel).unwrap();

        // The reference: the unbundled wheel on the host, under the same python3.9.
        let site = work.join(format!("host-{}", p.dist));
        py.install(&site, &[&wheel], p.deps);
        let mut c = py.command();
        c.current_dir(work)
            .env("PYTHONPATH", &site)
            .env("LD_BIND_NOW", "1")
            .args(["-c", p.smoke]);
        let expected = must(c, Duration::from_secs(60)).stdout;
        assert!(!expected.trim().is_empty(), "{}: no output", p.dist);

        // What the unbundled wheel needs above bullseye's glibc, by `check`.
        let r = common::run(["check", "--target", "debian11", wheel.to_str().unwrap()]);
        let over = r
            .stdout
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(" GLIBC_"))
            .count();
        match p.needs_glibc {
            Some(v) => assert!(
                r.code == Some(1) && r.stdout.contains(v),
                "{}: check --target debian11 should name {v}: {}",
                p.dist,
                r.describe()
            ),
            None => assert_eq!(r.code, Some(0), "{}: {}", p.dist, r.describe()),
        }

        // Unbundled, on bullseye.
        let ran = smoke_in_bullseye(&py_root, work, &site, p, None);
        if p.fails_unbundled {
            assert_ne!(
                ran.code,
                Some(0),
                "{}: the unbundled wheel ran on bullseye:\n{}",
                p.dist,
                ran.describe()
            );
        }
        // With the host's libraries it lacked: the glibc it needs is what still fails.
        let with_libs = if p.host_libs.is_empty() {
            String::new()
        } else {
            let libs = host_libs_dir(work, p.dist, p.host_libs);
            let ran = smoke_in_bullseye(&py_root, work, &site, p, Some(&libs));
            match p.needs_glibc {
                Some(v) => assert!(
                    ran.code != Some(0) && ran.stderr.contains(&format!("{v}' not found")),
                    "{}: with the host's {:?} on bullseye, should fail for {v}: {}",
                    p.dist,
                    p.host_libs,
                    ran.describe()
                ),
                None => assert_eq!(
                    (ran.code, ran.stdout.as_str()),
                    (Some(0), expected.as_str()),
                    "{}: with the host's {:?} on bullseye: {}",
                    p.dist,
                    p.host_libs,
                    ran.describe()
                ),
            }
            format!(
                "; with the host's {}: {}",
                p.host_libs.join(" "),
                if ran.code == Some(0) {
                    "runs".to_string()
                } else {
                    format!("fails ({})", ran.stderr.lines().last().unwrap_or("").trim())
                }
            )
        };
        let mut line = format!(
            "{TEST}: {}-{}: {} KiB built, {over} requirement(s) above glibc 2.31; \
             unbundled on bullseye: {}{with_libs}",
            p.dist,
            p.version,
            before.len() / 1024,
            if ran.code == Some(0) && ran.stdout == expected {
                "runs".to_string()
            } else {
                format!("fails ({})", ran.stderr.lines().last().unwrap_or("").trim())
            }
        );

        for target in TARGETS {
            let out = work.join(format!("out-{}-{target}", p.dist));
            let r = common::run([
                "bundle",
                "--target",
                target,
                wheel.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ]);
            if r.code != Some(0) {
                // A refusal names what cannot be lowered and why, and writes nothing.
                assert_eq!(r.code, Some(1), "{}", r.describe());
                assert!(
                    r.stderr.contains("cannot be brought within the target")
                        && r.stderr.contains(": first available in glibc"),
                    "{}",
                    r.describe()
                );
                assert!(wheels_in(&out).is_empty(), "{} wrote a wheel", p.dist);
                let why = r
                    .stderr
                    .lines()
                    .find(|l| l.contains("first available"))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                line.push_str(&format!("; {target}: refused ({why})"));
                continue;
            }
            let bundled = wheel_of(&out, p.dist).expect("a bundled wheel");
            let tags = platforms(&bundled);
            let (aw, said) = auditwheel_tag(&wheel_venv(), &bundled);
            assert_eq!(
                aw,
                tags[0],
                "{}: auditwheel show: {said}",
                file_name(&bundled)
            );
            // A shipped libstdc++ carries version names private to it, and every member's
            // version tables are consistent (goblin's reading).
            let links = check_version_links(&elf_members(&bundled));
            let ships_libstdcxx = bundled_libs(&bundled)
                .iter()
                .any(|l| l.contains("/libstdc++-"));
            if ships_libstdcxx {
                assert!(
                    links
                        .private_copies
                        .iter()
                        .any(|c| c.contains("/libstdc++-"))
                        && links.private_requirements > 0
                        && !said.contains("'GLIBCXX_"),
                    "{}: {links:?}; auditwheel show: {said}",
                    file_name(&bundled)
                );
                // The copy serves its users under its private names: a bundle of the
                // bundled wheel changes nothing.
                let again = work.join(format!("again-{}-{target}", p.dist));
                common::run([
                    "bundle",
                    "--target",
                    target,
                    bundled.to_str().unwrap(),
                    "-o",
                    again.to_str().unwrap(),
                ])
                .assert_code(0);
                assert!(
                    std::fs::read(again.join(file_name(&bundled))).unwrap()
                        == std::fs::read(&bundled).unwrap(),
                    "{}: a bundle of the bundled wheel differs",
                    file_name(&bundled)
                );
            }
            let site = work.join(format!("bullseye-{}-{target}", p.dist));
            py.install(&site, &[&bundled], p.deps);
            let ran = smoke_in_bullseye(&py_root, work, &site, p, None);
            assert_eq!(
                (ran.code, ran.stdout.as_str()),
                (Some(0), expected.as_str()),
                "{} bundled for {target} on bullseye: {}",
                p.dist,
                ran.describe()
            );
            let libs = bundled_libs(&bundled);
            line.push_str(&format!(
                "; {target}: {} ({} KiB, bundled: {}) runs the same",
                tags.join("."),
                std::fs::metadata(&bundled).unwrap().len() / 1024,
                if libs.is_empty() {
                    "nothing".to_string()
                } else {
                    libs.join(" ")
                }
            ));
        }
        assert_eq!(std::fs::read(&wheel).unwrap(), before, "the input changed");
        summary.push(line);
    }
    for l in &summary {
        println!("{l}");
    }
}
