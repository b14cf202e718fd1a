//! s390x polyfills side by side with glibc's own functions, and the proof that every
//! polyfill of `polyfill/obj/s390x.o` is among them.
//!
//! Each program of [`PROGRAMS`] is cross-compiled with Debian's `s390x-linux-gnu`
//! compilers (big-endian), patched to 2.17 (the polyfills linked in), checked by the loader
//! in trace mode against stub libraries of 2.17 and 2.31 (`verify --loader-check`: no glibc
//! 2.17 can be had for s390x), and run under qemu-s390x with LD_BIND_NOW=1 on bookworm's
//! libc6 (2.36) and on bullseye's 2.31 (from its `libc6-s390x-cross`, tools/old-glibc.sh).
//! Both runs, whose polyfills replace glibc's functions, must print the reference:
//! - [`Reference::Bookworm`]: the program as built, run on 2.36 (glibc's own functions);
//! - [`Reference::Trixie`]: functions of 2.38 to 2.41, which bookworm lacks: the program
//!   is linked against trixie's libc.so.6 and run on trixie's 2.41 for the reference;
//! - [`Reference::Documented`]: functions of 2.42 and 2.43, which no Debian glibc has: the
//!   program is linked against stub libraries of 2.43 from the ABI database, and the
//!   reference is their documented answers (given here, or checked by the program itself,
//!   which then exits 1 on a failure);
//! - [`Reference::Built`]: fromfp@GLIBC_2.43 (C23's meaning), linked against those stubs:
//!   the same source built to compose that meaning from glibc 2.36's own functions, run on
//!   2.36.
//!
//! The runs use a C.UTF-8 locale built big-endian by `localedef --big-endian` (LOCPATH):
//! the host's is little-endian, which s390x's glibc rejects.
//!
//! `every_polyfill_of_the_object_is_run_side_by_side` requires the union of the polyfills
//! the runs link to be the object's catalog, but for [`NOT_RUN`] (each with its reason):
//! a polyfill added to the s390x object without a run here fails it.

mod common;

use common::polyfill::{assert_loader_check, output, patch_to_2_17};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use elfcompat::polyfill::{catalog, Arch};

const GCC: &str = "s390x-linux-gnu-gcc";
const GXX: &str = "s390x-linux-gnu-g++";
const QEMU: &str = "qemu-s390x";

/// Polyfills of the s390x object no run links, and why.
const NOT_RUN: &[(&str, &str)] = &[];

/// Where a run's reference output comes from (see the module header).
#[derive(Clone, Copy, Debug)]
enum Reference {
    Bookworm,
    /// The same source built with these flags instead (a meaning composed from glibc
    /// 2.36's own functions), run on 2.36; the program itself is linked against stubs of
    /// glibc 2.43.
    Built(&'static [&'static str]),
    Trixie,
    /// The expected output, or None: the program checks each result itself.
    Documented(Option<&'static str>),
}

/// A side-by-side program: `testdata/<source>` built with `flags`, run with `env` (qemu's
/// `-E`); the polyfills its plan must link; the least number of lines its reference must
/// have.
struct Program {
    source: &'static str,
    flags: &'static [&'static str],
    env: &'static [&'static str],
    reference: Reference,
    polyfilled: &'static [&'static str],
    min_lines: usize,
}

const CLOCK_WAITS: &[&str] = &[
    "__cxa_thread_atexit_impl",
    "pthread_cond_clockwait",
    "pthread_mutex_clocklock",
    "pthread_rwlock_clockrdlock",
    "pthread_rwlock_clockwrlock",
    "sem_clockwait",
    "pthread_clockjoin_np",
];

/// glibc 2.42's termios answers for `testdata/silent/termios42.c` (tests/silent.rs).
const TERMIOS42: &str = "cfsetospeed(9600) = 0\n\
                         cfgetospeed = 9600, CBAUD code 015\n\
                         cfsetispeed(115200) = 0\n\
                         cfgetispeed = 115200\n\
                         cfsetospeed(12345) = -1 EINVAL\n\
                         cfsetspeed(38400) = 0\n\
                         pty after tcsetattr: out 38400 in 38400\n";

/// The same for the names 2.42 added (`testdata/polyfill/termios_baud.c`): 4800 is code
/// 014, 230400 is CBAUDEX | 3; 1234 has no code.
const TERMIOS_BAUD: &str = "cfsetobaud(4800) = 0\n\
                            cfgetobaud = 4800, CBAUD code 014\n\
                            cfsetibaud(230400) = 0\n\
                            cfgetibaud = 230400, CIBAUD code 010003\n\
                            cfsetibaud(1234) = -1 EINVAL\n\
                            cfsetbaud(57600) = 0\n\
                            cfgetobaud = 57600 cfgetibaud = 57600\n\
                            cfsetbaud(1200) = 0\n\
                            pty after tcsetattr: out 1200 in 1200\n";

const PROGRAMS: &[Program] = &[
    Program {
        source: "polyfill/side_by_side.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[],
        min_lines: 30,
    },
    Program {
        source: "polyfill/side_by_side_more.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[],
        min_lines: 40,
    },
    Program {
        source: "polyfill/side_by_side_hard.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: CLOCK_WAITS,
        min_lines: 7,
    },
    Program {
        source: "polyfill/thread_local.cpp",
        flags: &["-static-libstdc++", "-static-libgcc"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[
            "__cxa_thread_atexit_impl",
            "_dl_find_object",
            "__libc_single_threaded",
        ],
        min_lines: 3,
    },
    Program {
        source: "polyfill/explicit_bzero_chk.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &["__explicit_bzero_chk"],
        min_lines: 8,
    },
    Program {
        source: "polyfill/strfrom.c",
        flags: &["-fno-builtin"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[
            "strfromd",
            "strfromf",
            "strfroml",
            "strfromf32",
            "strfromf64",
            "strfromf32x",
            "strfromf64x",
            "strfromf128",
        ],
        min_lines: 500,
    },
    Program {
        source: "silent/fmemopen.c",
        flags: &["-O2"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &["fmemopen"],
        min_lines: 10,
    },
    Program {
        source: "polyfill/misc_tail.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[
            "c8rtomb",
            "mbrtoc8",
            "strfroml",
            "strfromf64x",
            "strfromf128",
        ],
        min_lines: 10,
    },
    Program {
        source: "polyfill/side_by_side_rest.c",
        flags: &[],
        env: &["GLIBC_TUNABLES=glibc.pthread.rseq=0"],
        reference: Reference::Bookworm,
        polyfilled: &[
            "preadv64v2",
            "pwritev64v2",
            "thrd_equal",
            "__rseq_size",
            "__rseq_flags",
            "__rseq_offset",
        ],
        min_lines: 20,
    },
    Program {
        source: "polyfill/math_exact.c",
        flags: &[],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &["fmaximum_mag_num", "llogbf", "totalorder", "__issignaling"],
        min_lines: 100_000,
    },
    Program {
        source: "polyfill/math_payload.c",
        flags: &["-fno-builtin"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &["getpayloadf", "setpayload", "setpayloadsigf32"],
        min_lines: 50_000,
    },
    Program {
        source: "polyfill/fromfp.c",
        flags: &["-fno-builtin"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &["fromfp", "ufromfpxf", "fromfpx"],
        min_lines: 100_000,
    },
    Program {
        source: "polyfill/floatn_names.c",
        flags: &["-fno-builtin"],
        env: &[],
        reference: Reference::Bookworm,
        polyfilled: &[
            "fmaximumf32x",
            "totalorderf64",
            "ufromfpxf32",
            "setpayloadsigf32x",
        ],
        min_lines: 800,
    },
    Program {
        source: "polyfill/side_by_side_new.c",
        flags: &[],
        env: &[],
        reference: Reference::Trixie,
        polyfilled: &[
            "stdc_bit_ceil_ull",
            "strlcpy",
            "strlcat",
            "wcslcpy",
            "wcslcat",
            "__strlcpy_chk",
            "__strlcat_chk",
            "__wcslcpy_chk",
            "__wcslcat_chk",
        ],
        min_lines: 100,
    },
    Program {
        source: "polyfill/side_by_side_sched.c",
        flags: &[],
        env: &[],
        reference: Reference::Trixie,
        polyfilled: &["sched_getattr", "sched_setattr"],
        min_lines: 3,
    },
    Program {
        source: "polyfill/pidfd_getpid.c",
        flags: &[],
        env: &[],
        reference: Reference::Trixie,
        polyfilled: &["pidfd_getpid"],
        min_lines: 3,
    },
    Program {
        source: "silent/strtol_c23.c",
        flags: &[],
        env: &[],
        reference: Reference::Trixie,
        polyfilled: &[
            "__isoc23_strtol",
            "__isoc23_strtoull",
            "__isoc23_wcstol",
            "__isoc23_strtoimax",
            "__isoc23_strtol_l",
        ],
        min_lines: 20,
    },
    Program {
        source: "polyfill/strto_c23.c",
        flags: &[],
        env: &[],
        reference: Reference::Trixie,
        polyfilled: &[
            "__isoc23_strtol",
            "__isoc23_strtoll",
            "__isoc23_strtoul",
            "__isoc23_strtoull",
            "__isoc23_strtoimax",
            "__isoc23_strtoumax",
            "__isoc23_strtol_l",
            "__isoc23_strtoll_l",
            "__isoc23_strtoul_l",
            "__isoc23_strtoull_l",
            "__isoc23_wcstol",
            "__isoc23_wcstoll",
            "__isoc23_wcstoul",
            "__isoc23_wcstoull",
            "__isoc23_wcstoimax",
            "__isoc23_wcstoumax",
        ],
        min_lines: 1000,
    },
    Program {
        source: "polyfill/misc_tail.c",
        flags: &["-DNEW"],
        env: &[],
        reference: Reference::Documented(None),
        polyfilled: &[
            "memset_explicit",
            "__memset_explicit_chk",
            "memalignment",
            "__inet_ntop_chk",
            "__inet_pton_chk",
            "mseal",
            "openat2",
        ],
        min_lines: 10,
    },
    Program {
        source: "polyfill/fromfp.c",
        flags: &["-fno-builtin", "-DC23"],
        env: &[],
        reference: Reference::Built(&["-fno-builtin", "-DC23", "-DREFERENCE"]),
        polyfilled: &["fromfp", "fromfpx", "ufromfp", "ufromfpxf"],
        min_lines: 100_000,
    },
    Program {
        source: "polyfill/uabs.c",
        flags: &[],
        env: &[],
        reference: Reference::Documented(None),
        polyfilled: &["uabs", "ulabs", "ullabs", "uimaxabs", "umaxabs"],
        min_lines: 13,
    },
    Program {
        source: "silent/termios42.c",
        flags: &[],
        env: &[],
        reference: Reference::Documented(Some(TERMIOS42)),
        polyfilled: &[
            "cfsetospeed",
            "cfgetospeed",
            "cfsetispeed",
            "cfgetispeed",
            "cfsetspeed",
        ],
        min_lines: 7,
    },
    Program {
        source: "polyfill/termios_baud.c",
        flags: &[],
        env: &[],
        reference: Reference::Documented(Some(TERMIOS_BAUD)),
        polyfilled: &[
            "cfsetobaud",
            "cfgetobaud",
            "cfsetibaud",
            "cfgetibaud",
            "cfsetbaud",
        ],
        min_lines: 9,
    },
];

/// What a run gave: the polyfills linked, the reference output, the lines compared.
struct Outcome {
    linked: BTreeSet<String>,
    reference: String,
    compared: usize,
}

/// Whether the tools are there (outside CI, a test without them is skipped; in CI it fails).
fn tools() -> bool {
    common::polyfill::tools(
        &[GCC, GXX, QEMU, "localedef"],
        "gcc-s390x-linux-gnu g++-s390x-linux-gnu qemu-user libc-bin locales",
    )
}

/// A big-endian C.UTF-8 locale for LOCPATH, built once per test process (into the
/// target directory: a static's temporary directory would never be removed).
fn locpath() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("s390x-locales");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        let st = Command::new("localedef")
            .args(["--big-endian", "--no-archive", "-i", "C", "-f", "UTF-8"])
            .arg(d.join("C.UTF-8"))
            .status()
            .expect("localedef");
        assert!(st.success(), "localedef --big-endian C.UTF-8");
        d
    })
}

/// `prog dir`'s stdout under qemu-s390x (LD_BIND_NOW=1, the big-endian locales, `env`) on the
/// runtime `rt`, through its own loader; the program must exit 0.
fn run(rt: &common::OldRuntime, env: &[&str], prog: &Path, dir: &Path) -> String {
    let mut c = Command::new(QEMU);
    c.args(["-E", "LD_BIND_NOW=1", "-E"])
        .arg(format!("LOCPATH={}", locpath().display()));
    for e in env {
        c.args(["-E", e]);
    }
    c.arg(&rt.loader)
        .args(["--inhibit-cache", "--library-path", &rt.libpath])
        .arg(prog)
        .arg(dir);
    output(c)
}

fn runtime(suite: &str, glibc: &str) -> common::OldRuntime {
    let rt = common::fetch_old_runtime(suite, "s390x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.glibc_version, glibc, "{suite}'s s390x glibc");
    rt
}

/// The libc.so.6 to link against for a reference (beside the cross toolchain's own):
/// trixie's, or stubs of glibc 2.43 written into `dir`.
fn newer_libc(reference: Reference, trixie: &common::OldRuntime, dir: &Path) -> Option<PathBuf> {
    match reference {
        Reference::Bookworm => None,
        Reference::Trixie => trixie
            .libpath
            .split(':')
            .map(|d| Path::new(d).join("libc.so.6"))
            .find(|p| p.exists()),
        Reference::Documented(_) | Reference::Built(_) => {
            let target = elfcompat::abi::db()
                .target_by_name("s390x-linux-gnu")
                .expect("s390x target");
            let release = elfcompat::abi::GlibcVersion::parse("2.43").expect("2.43");
            let stubs = dir.join("stubs-2.43");
            std::fs::create_dir_all(&stubs).expect("mkdir");
            elfcompat::verify::stubs::write_stubs(target, release, &stubs).expect("stubs");
            Some(stubs.join("libc.so.6"))
        }
    }
}

/// The compiler command for `testdata/<source>` with `flags` into `out`.
fn build_command(source: &str, flags: &[&str], out: &Path) -> Command {
    let mut c = Command::new(if source.ends_with(".cpp") { GXX } else { GCC });
    c.args(["-O1", "-w"])
        .args(flags)
        .arg("-o")
        .arg(out)
        .arg(common::crate_root().join("testdata").join(source))
        .args(["-lresolv", "-pthread", "-lm"]);
    c
}

fn build(source: &str, flags: &[&str], out: &Path) {
    output(build_command(source, flags, out));
}

fn side_by_side(p: &Program) -> Outcome {
    let tmp = tempfile::tempdir().expect("tempdir");
    let trixie = runtime("trixie", "2.41");
    let bookworm = runtime("bookworm", "2.36");
    let bullseye = runtime("bullseye", "2.31");
    let bin = tmp.path().join("prog");
    let mut c = build_command(p.source, p.flags, &bin);
    if let Some(libc) = newer_libc(p.reference, &trixie, tmp.path()) {
        c.arg("-Wl,--no-as-needed,--allow-shlib-undefined")
            .arg(&libc);
        if matches!(p.reference, Reference::Built(_)) {
            // The stubs' libm.so.6 too: the functions of 2.43 are libm's.
            c.arg(libc.with_file_name("libm.so.6"));
        }
    }
    output(c);
    let patched = tmp.path().join("prog-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let linked: BTreeSet<String> = common::polyfill::linked_polyfills(&plan)
        .into_iter()
        .map(str::to_string)
        .collect();
    for f in p.polyfilled {
        assert!(linked.contains(*f), "{}: {f} not linked:\n{plan}", p.source);
    }
    for glibc in ["2.17", "2.31"] {
        assert_loader_check(&patched, glibc);
    }
    let dir = |name: &str| common::polyfill::fresh(tmp.path(), name);
    let reference = match p.reference {
        Reference::Bookworm => run(&bookworm, p.env, &bin, &dir("a")),
        Reference::Trixie => run(&trixie, p.env, &bin, &dir("a")),
        Reference::Built(flags) => {
            let reference = tmp.path().join("reference");
            build(p.source, flags, &reference);
            run(&bookworm, p.env, &reference, &dir("a"))
        }
        Reference::Documented(Some(expected)) => expected.to_string(),
        // The program checks each result (run() requires exit 0); the runs on 2.36 and 2.31
        // must agree.
        Reference::Documented(None) => run(&bookworm, p.env, &patched, &dir("a")),
    };
    assert!(
        reference.lines().count() >= p.min_lines,
        "{}: {reference}",
        p.source
    );
    for (rt, name) in [(&bookworm, "b"), (&bullseye, "c")] {
        assert_eq!(
            run(rt, p.env, &patched, &dir(name)),
            reference,
            "s390x {} {:?}: the polyfills on glibc {}",
            p.source,
            p.flags,
            rt.glibc_version
        );
    }
    let against = match p.reference {
        Reference::Bookworm => "glibc 2.36's",
        Reference::Trixie => "glibc 2.41's",
        Reference::Built(_) => "the meaning composed from glibc 2.36's functions",
        Reference::Documented(Some(_)) => "2.42's documented answers",
        Reference::Documented(None) => "its own checks of the documented answers",
    };
    let lines = reference.lines().count();
    println!(
        "polyfill: s390x {} {:?} patched to 2.17: {} polyfills, {lines} lines identical to {against} on 2.36 and 2.31; loader check at 2.17 and 2.31",
        p.source,
        p.flags,
        linked.len()
    );
    // A program that checks itself was compared on 2.31 with its own run on 2.36.
    let runs = if matches!(p.reference, Reference::Documented(None)) {
        1
    } else {
        2
    };
    Outcome {
        linked,
        reference,
        compared: runs * lines,
    }
}

/// The outcome of `PROGRAMS[i]`, run once per test process (the catalog test and the
/// program's own test share it); None when the tools are missing outside CI.
fn outcome(i: usize) -> Option<&'static Outcome> {
    static OUTCOMES: [OnceLock<Outcome>; PROGRAMS.len()] =
        [const { OnceLock::new() }; PROGRAMS.len()];
    if !tools() {
        return None;
    }
    Some(OUTCOMES[i].get_or_init(|| side_by_side(&PROGRAMS[i])))
}

fn program(source: &str, flags: &[&str]) -> Option<&'static Outcome> {
    let i = PROGRAMS
        .iter()
        .position(|p| p.source == source && p.flags == flags)
        .expect("a program of PROGRAMS");
    outcome(i)
}

#[test]
fn s390x_polyfills_match_glibc() {
    program("polyfill/side_by_side.c", &[]);
}

#[test]
fn s390x_more_polyfills_match_glibc() {
    program("polyfill/side_by_side_more.c", &[]);
}

#[test]
fn s390x_thread_polyfills_match_glibc() {
    let Some(o) = program("polyfill/side_by_side_hard.c", &[]) else {
        return;
    };
    let out = &o.reference;
    assert!(
        out.contains(
            "stress: counters 64000 64000 64000 (want 64000) destructor orders all cbla: 1"
        ),
        "{out}"
    );
    assert!(out.contains("main destructors at exit: bla"), "{out}");
}

#[test]
fn s390x_cxx_thread_local_destructors_match_glibc() {
    let Some(o) = program(
        "polyfill/thread_local.cpp",
        &["-static-libstdc++", "-static-libgcc"],
    ) else {
        return;
    };
    let out = &o.reference;
    assert!(out.contains("counted 32 thread_local destructors"), "{out}");
    assert!(
        out.ends_with("~first 100\n~global (static storage, constructed before main)\n"),
        "{out}"
    );
}

#[test]
fn s390x_explicit_bzero_chk_matches_glibc() {
    let Some(o) = program("polyfill/explicit_bzero_chk.c", &[]) else {
        return;
    };
    assert!(
        o.reference.contains("overflow: signaled=1 sig=6"),
        "{}",
        o.reference
    );
}

#[test]
fn s390x_strfrom_matches_glibc() {
    program("polyfill/strfrom.c", &["-fno-builtin"]);
}

#[test]
fn s390x_fmemopen_matches_glibc() {
    program("silent/fmemopen.c", &["-O2"]);
}

/// c8rtomb and mbrtoc8 in C.UTF-8 (the big-endian locale must load), strfroml, and the
/// 2.42/2.43 functions checked by the program itself, whose side-by-side lines come first.
#[test]
fn s390x_tail_polyfills_match_glibc() {
    let (Some(tail), Some(new)) = (
        program("polyfill/misc_tail.c", &[]),
        program("polyfill/misc_tail.c", &["-DNEW"]),
    ) else {
        return;
    };
    assert!(
        tail.reference.contains("locale C.UTF-8: set"),
        "{}",
        tail.reference
    );
    assert!(
        new.reference.starts_with(&tail.reference),
        "-DNEW's side-by-side part differs:\n{}",
        new.reference
    );
}

#[test]
fn s390x_newer_polyfills_match_glibc_2_41() {
    let Some(o) = program("polyfill/side_by_side_new.c", &[]) else {
        return;
    };
    assert!(o
        .reference
        .contains("__strlcpy_chk overflow: signaled=1 sig=6"));
}

#[test]
fn s390x_sched_attr_polyfills_match_glibc_2_41() {
    let Some(o) = program("polyfill/side_by_side_sched.c", &[]) else {
        return;
    };
    assert!(
        o.reference.contains("getattr self: 0 errno=0 size=48"),
        "{}",
        o.reference
    );
}

#[test]
fn s390x_pidfd_getpid_matches_glibc_2_41() {
    let Some(o) = program("polyfill/pidfd_getpid.c", &[]) else {
        return;
    };
    assert!(o.reference.contains("the child"), "{}", o.reference);
}

/// glibc 2.41's C23 conversions print what `testdata/silent/strtol_c23.expected` (C23's
/// answers, worked out by hand) says, and so do the polyfills.
#[test]
fn s390x_c23_strtol_matches_glibc_2_41() {
    let Some(o) = program("silent/strtol_c23.c", &[]) else {
        return;
    };
    let expected =
        std::fs::read_to_string(common::crate_root().join("testdata/silent/strtol_c23.expected"))
            .expect("expected output");
    assert_eq!(o.reference, expected);
}

/// With rseq off (the tunable), glibc 2.36's rseq data say "not registered", as the
/// polyfills do on every glibc.
#[test]
fn s390x_rest_polyfills_match_glibc() {
    let Some(o) = program("polyfill/side_by_side_rest.c", &[]) else {
        return;
    };
    assert!(
        o.reference.contains("rseq not registered"),
        "{}",
        o.reference
    );
    assert!(o.reference.contains("joined: 7"), "{}", o.reference);
}

#[test]
fn s390x_c23_conversions_match_glibc_2_41() {
    program("polyfill/strto_c23.c", &[]);
}

/// The exact libm functions, the NaN payload functions and fromfp (2.25's meaning) for
/// float and double, and their _FloatN names.
#[test]
fn s390x_exact_math_matches_glibc() {
    program("polyfill/math_exact.c", &[]);
    program("polyfill/math_payload.c", &["-fno-builtin"]);
    program("polyfill/fromfp.c", &["-fno-builtin"]);
    program("polyfill/floatn_names.c", &["-fno-builtin"]);
}

/// fromfp@GLIBC_2.43 (C23's meaning: the rounded value in the floating type), against the
/// meaning composed from glibc 2.36's rounding functions and its range check.
#[test]
fn s390x_fromfp_2_43_matches_its_c23_meaning() {
    program("polyfill/fromfp.c", &["-fno-builtin", "-DC23"]);
}

#[test]
fn s390x_uabs_of_2_42_and_2_43() {
    program("polyfill/uabs.c", &[]);
}

#[test]
fn s390x_termios_speeds_of_2_42() {
    program("silent/termios42.c", &[]);
    program("polyfill/termios_baud.c", &[]);
}

/// Every polyfill of the s390x object is linked by one of the runs, but for `NOT_RUN`.
#[test]
fn every_polyfill_of_the_object_is_run_side_by_side() {
    let mut linked = BTreeSet::new();
    let mut compared = 0;
    for i in 0..PROGRAMS.len() {
        let Some(o) = outcome(i) else {
            return;
        };
        linked.extend(o.linked.iter().cloned());
        compared += o.compared;
    }
    let catalog: BTreeSet<String> = catalog(Arch::S390x).iter().cloned().collect();
    for (f, why) in NOT_RUN {
        assert!(catalog.contains(*f), "NOT_RUN names {f}, not in the object");
        assert!(
            !linked.contains(*f),
            "NOT_RUN names {f} ({why}), which a run links"
        );
    }
    let missing: Vec<&String> = catalog
        .iter()
        .filter(|f| !linked.contains(*f) && !NOT_RUN.iter().any(|(n, _)| n == f))
        .collect();
    assert!(
        missing.is_empty(),
        "polyfills of the s390x object no side-by-side run links: {missing:?}"
    );
    let outside: Vec<&String> = linked.difference(&catalog).collect();
    assert!(
        outside.is_empty(),
        "linked but not in the catalog: {outside:?}"
    );
    println!(
        "polyfill: s390x: {} of the object's {} polyfills linked by {} side-by-side runs, {compared} lines compared ({} not run: {NOT_RUN:?})",
        linked.len(),
        catalog.len(),
        PROGRAMS.len(),
        NOT_RUN.len()
    );
}
