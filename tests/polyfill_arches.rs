//! Every polyfill of the i386, armhf, ppc64el and riscv64 objects side by side with glibc's
//! own, under qemu-user: one test per architecture runs every program of `testdata/polyfill`
//! that applies there, then requires that the polyfills the runs linked cover the
//! architecture's whole catalog (`elfcompat::polyfill::catalog`), but for a short list of
//! exceptions, each with its reason. A polyfill added to an object without a side-by-side
//! run on that architecture fails the test.
//!
//! Each program is cross-compiled with Debian 12's compiler, patched (to 2.17; to 2.31 for
//! the `_TIME_BITS=64` programs, whose `fcntl64` is 2.28's), and run with LD_BIND_NOW=1 under
//! qemu-user through the loader of a Debian libc6 of the architecture (tools/old-glibc.sh),
//! each run in a fresh directory:
//! - i386, armhf, ppc64el: unpatched on bookworm's glibc 2.36 for the reference, patched on
//!   2.36 and on bullseye's 2.31. Programs of functions newer than 2.36 are linked against
//!   trixie's libc.so.6 and run unpatched on trixie's 2.41 for the reference.
//! - riscv64, whose first glibc is 2.27 and whose oldest Debian glibc is trixie's 2.41:
//!   patched to 2.27 (the baseline) or later, checked by `verify --loader-check` at 2.27,
//!   and run on 2.41, where the reference ran.
//!
//! The outputs must be identical, except for the 32-bit "beyond:" lines (times past the
//! 32-bit range, which the polyfills refuse with EOVERFLOW as the older functions do) and the
//! glibc 2.42/2.43 functions, which no Debian glibc has: `misc_tail.c -DNEW` checks those
//! against their documented results itself and exits 1 on a failure.

mod common;

use common::polyfill::{
    assert_loader_check, build_against_trixie, c_toolchain, cross_build, fresh, linked_polyfills,
    output, patch_to, run_qemu,
};
use common::OldRuntime;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// What a program's reference output is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Against {
    /// glibc 2.36's functions: built with Debian 12's cross compiler, run unpatched on
    /// bookworm's (riscv64: trixie's) libc6.
    Bookworm,
    /// glibc 2.41's: linked against trixie's libc.so.6 (functions newer than 2.36), run
    /// unpatched on it.
    Trixie,
    /// The program's own checks: built with `-DNEW` against stub libraries of glibc 2.43 from
    /// the ABI database (functions no Debian glibc has), it checks each result itself and
    /// exits 1 on a failure; its output must start with that of the program built without
    /// `-DNEW`, run unpatched as `Bookworm`.
    Stubs243,
    /// fromfp@GLIBC_2.43 (C23's meaning): the program, built with its flags against the
    /// stubs of 2.43 (libc and libm), against the same source built with these flags to
    /// compose that meaning from the reference glibc's own functions, run there.
    Built(&'static [&'static str]),
    /// Functions of 2.42 and 2.43 that no Debian glibc has: built against the stubs of 2.43,
    /// the program checks each result against the documented value and exits 1 on a
    /// failure; every patched run must print what the first printed.
    Documented,
}

/// How the patched runs' output is compared with the reference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Identical.
    Exact,
    /// Identical, but lines starting "beyond: " may instead be EOVERFLOW (32-bit times).
    Beyond,
}

/// One side-by-side program.
#[derive(Clone, Copy)]
struct Program {
    /// In `testdata/polyfill`; `.cpp` is built with g++.
    source: &'static str,
    flags: &'static [&'static str],
    against: Against,
    compare: Compare,
    /// The release it is patched to (riscv64: never below 2.27).
    glibc: &'static str,
    /// The plan must link at least this many polyfills...
    min_linked: usize,
    /// ...these among them...
    polyfilled: &'static [&'static str],
    /// ...and the reference must contain these lines (what is compared is really there).
    reference_has: &'static [&'static str],
}

const fn program(source: &'static str) -> Program {
    Program {
        source,
        flags: &[],
        against: Against::Bookworm,
        compare: Compare::Exact,
        glibc: "2.17",
        min_linked: 1,
        polyfilled: &[],
        reference_has: &[],
    }
}

const SIDE_BY_SIDE: Program = Program {
    min_linked: 20,
    reference_has: &["__explicit_bzero_chk overflow: signaled=1 sig=6"],
    ..program("side_by_side.c")
};
/// The polyfills of issue #12: C11 threads with a stress loop, names of signals and errors,
/// timespec_getres, twalk_r, system calls.
const MORE: Program = Program {
    min_linked: 40,
    polyfilled: &["thrd_equal"],
    ..program("side_by_side_more.c")
};
/// `__cxa_thread_atexit_impl` and the clock waits of 2.30, with a stress loop of 64 threads.
const HARD: Program = Program {
    flags: &["-pthread"],
    min_linked: 6,
    polyfilled: &[
        "__cxa_thread_atexit_impl",
        "pthread_cond_clockwait",
        "pthread_mutex_clocklock",
        "pthread_rwlock_clockrdlock",
        "pthread_rwlock_clockwrlock",
        "sem_clockwait",
        "pthread_clockjoin_np",
    ],
    reference_has: &[
        "stress: counters 64000 64000 64000 (want 64000) destructor orders all cbla: 1",
        "main destructors at exit: bla",
    ],
    ..program("side_by_side_hard.c")
};
/// C++ thread_local destructors in several threads and main, libstdc++ linked statically so
/// that the program imports `__cxa_thread_atexit_impl`, `_dl_find_object` and
/// `__libc_single_threaded` itself.
const THREAD_LOCAL: Program = Program {
    flags: &["-pthread", "-static-libstdc++", "-static-libgcc"],
    polyfilled: &[
        "__cxa_thread_atexit_impl",
        "_dl_find_object",
        "__libc_single_threaded",
    ],
    reference_has: &[
        "counted 32 thread_local destructors",
        "~global (static storage, constructed before main)",
    ],
    ..program("thread_local.cpp")
};
/// armhf: its unwinder finds exception tables with `__gnu_Unwind_Find_exidx` (ARM EHABI), not
/// `_dl_find_object`.
const THREAD_LOCAL_ARM: Program = Program {
    polyfilled: &["__cxa_thread_atexit_impl", "__libc_single_threaded"],
    ..THREAD_LOCAL
};
/// fmemopen@GLIBC_2.22 (POSIX; the older version means something else).
const FMEMOPEN: Program = Program {
    polyfilled: &["fmemopen"],
    ..program("../silent/fmemopen.c")
};
/// ppc64el: a statically linked libstdc++ there calls `__tls_get_addr_opt` (2.22) and
/// `__parse_hwcap_and_convert_at_platform` (2.23), which have no polyfill, so the program is
/// patched to 2.23, below which `__cxa_thread_atexit_impl` (2.18) is not polyfilled
/// (`side_by_side_hard.c` runs it).
const THREAD_LOCAL_2_23: Program = Program {
    glibc: "2.23",
    polyfilled: &["_dl_find_object", "__libc_single_threaded"],
    ..THREAD_LOCAL
};
/// stdc_* of 2.39; strlcpy, strlcat, wcslcpy, wcslcat and their _chk twins of 2.38.
const NEW: Program = Program {
    against: Against::Trixie,
    min_linked: 78,
    reference_has: &["__strlcpy_chk overflow: signaled=1 sig=6"],
    ..program("side_by_side_new.c")
};
/// sched_getattr and sched_setattr of 2.41.
const SCHED: Program = Program {
    against: Against::Trixie,
    polyfilled: &["sched_getattr", "sched_setattr"],
    reference_has: &["getattr self: 0 errno=0 size=48 policy=0 nice=0"],
    ..program("side_by_side_sched.c")
};
/// pidfd_getpid of 2.39.
const PIDFD_GETPID: Program = Program {
    against: Against::Trixie,
    polyfilled: &["pidfd_getpid"],
    ..program("pidfd_getpid.c")
};
/// The C23 `__isoc23_strto*` and `__isoc23_wcsto*` conversions of 2.38.
const STRTO_C23: Program = Program {
    against: Against::Trixie,
    min_linked: 16,
    reference_has: &["\"0b101\" base 0: strtol=5/5/0"],
    ..program("side_by_side_strto_c23.c")
};
/// c8rtomb and mbrtoc8 (2.36) side by side; with -DNEW, the 2.42/2.43 functions.
const TAIL: Program = Program {
    against: Against::Stubs243,
    polyfilled: &[
        "c8rtomb",
        "mbrtoc8",
        "memset_explicit",
        "__memset_explicit_chk",
        "memalignment",
        "__inet_ntop_chk",
        "__inet_pton_chk",
        "mseal",
        "openat2",
    ],
    reference_has: &["locale C.UTF-8: set"],
    ..program("misc_tail.c")
};
/// `_TIME_BITS=64`: the stat family, futimens, utimensat and clock polyfills (64-bit times,
/// one past 2038 and one before 1970) and the fcntl/ioctl renames.
const TIME64: Program = Program {
    glibc: "2.31",
    min_linked: 10,
    polyfilled: &["__utimensat64"],
    ..program("side_by_side_time64.c")
};
/// `_TIME_BITS=64` calendar, clock-setting, timer and prctl functions in six time zones.
const CALENDAR: Program = Program {
    glibc: "2.31",
    compare: Compare::Beyond,
    min_linked: 10,
    ..program("side_by_side_calendar.c")
};
/// `_TIME_BITS=64` timed waits, select/pselect/ppoll, the utimes family, itimers, rusage,
/// gai_suspend.
const TIME64_CALLS: Program = Program {
    glibc: "2.31",
    compare: Compare::Beyond,
    min_linked: 20,
    flags: &["-pthread"],
    ..program("side_by_side_time64_calls.c")
};

/// The exact libm functions (polyfill/src/math_exact.c), float and double, as
/// tests/polyfill_s390x.rs runs them.
const MATH_EXACT: Program = Program {
    min_linked: 20,
    polyfilled: &[
        "fmaximum_mag_num",
        "fminimumf",
        "totalorder",
        "totalordermagf",
    ],
    ..program("math_exact.c")
};
/// fromfp@GLIBC_2.43 (C23's meaning), against the same source composing it from the
/// reference glibc's functions.
const FROMFP_C23: Program = Program {
    flags: &["-fno-builtin", "-DC23"],
    against: Against::Built(&["-fno-builtin", "-DC23", "-DREFERENCE"]),
    polyfilled: &["fromfp", "fromfpx", "ufromfp", "ufromfpxf"],
    ..program("fromfp.c")
};
/// The _FloatN names of the exact libm functions, NaN payload functions and fromfp family.
const FLOATN_NAMES: Program = Program {
    flags: &["-fno-builtin"],
    polyfilled: &["fmaximumf32x", "totalorderf64"],
    ..program("floatn_names.c")
};
/// The uabs family of 2.42 and 2.43.
const UABS: Program = Program {
    against: Against::Documented,
    polyfilled: &["uabs", "ulabs", "ullabs", "uimaxabs", "umaxabs"],
    ..program("uabs.c")
};

/// A polyfill of the object that no side-by-side run links, and why.
type Exception = (&'static str, &'static str);

/// glibc 2.42's termios functions (polyfill/src/termios.c): no Debian glibc has them, and
/// they need a terminal; tests/silent.rs checks them on x86_64 against 2.42's answers.
const TERMIOS_2_42: &str = "glibc 2.42's baud-number termios functions: no Debian glibc to compare with, and they need a pty (tests/silent.rs checks x86_64's against 2.42's answers)";

const TERMIOS_EXCEPTIONS: [Exception; 10] = [
    ("cfgetibaud", TERMIOS_2_42),
    ("cfgetispeed", TERMIOS_2_42),
    ("cfgetobaud", TERMIOS_2_42),
    ("cfgetospeed", TERMIOS_2_42),
    ("cfsetbaud", TERMIOS_2_42),
    ("cfsetibaud", TERMIOS_2_42),
    ("cfsetispeed", TERMIOS_2_42),
    ("cfsetobaud", TERMIOS_2_42),
    ("cfsetospeed", TERMIOS_2_42),
    ("cfsetspeed", TERMIOS_2_42),
];

/// The _FloatN names of fromfp@GLIBC_2.43 on riscv64 (polyfill/src/fromfp.c).
const FROMFP_FLOATN_2_43: &str = "fromfp's _FloatN names in C23's meaning (2.43): aliases (ALIAS in polyfill/src/fromfp.c, one address) of the fromfp/fromfpf polyfills in that meaning, which fromfp.c -DC23 runs side by side; floatn_names.c's calls take 2.27's names, which riscv64's first glibc has";

const FROMFP_FLOATN_EXCEPTIONS: [Exception; 12] = [
    ("fromfpf32", FROMFP_FLOATN_2_43),
    ("fromfpf32x", FROMFP_FLOATN_2_43),
    ("fromfpf64", FROMFP_FLOATN_2_43),
    ("fromfpxf32", FROMFP_FLOATN_2_43),
    ("fromfpxf32x", FROMFP_FLOATN_2_43),
    ("fromfpxf64", FROMFP_FLOATN_2_43),
    ("ufromfpf32", FROMFP_FLOATN_2_43),
    ("ufromfpf32x", FROMFP_FLOATN_2_43),
    ("ufromfpf64", FROMFP_FLOATN_2_43),
    ("ufromfpxf32", FROMFP_FLOATN_2_43),
    ("ufromfpxf32x", FROMFP_FLOATN_2_43),
    ("ufromfpxf64", FROMFP_FLOATN_2_43),
];

const RSEQ: &str = "a data object (glibc 2.35's rseq registration, which the polyfill reports as not registered, 0): no function to run side by side; a program reading it behaves as on a kernel without rseq";

const RSEQ_EXCEPTIONS: [Exception; 3] = [
    ("__rseq_flags", RSEQ),
    ("__rseq_offset", RSEQ),
    ("__rseq_size", RSEQ),
];

/// What the runs of one architecture measured.
#[derive(Default)]
struct Tally {
    linked: BTreeSet<String>,
    programs: usize,
    lines: usize,
    failures: Vec<String>,
}

/// One architecture's toolchain and runtimes.
struct Arch {
    /// Debian's name.
    name: &'static str,
    cc: &'static str,
    qemu: &'static str,
    /// The runtime the `Bookworm` references run on.
    reference: OldRuntime,
    /// Trixie's, for the `Trixie` references.
    trixie: OldRuntime,
    /// The runtimes the patched programs run on.
    patched_on: Vec<OldRuntime>,
    /// The lowest release it can be patched to.
    floor: &'static str,
    /// Functions that release already has: never polyfilled there.
    at_floor: &'static [&'static str],
}

fn runtime(suite: &str, arch: &str) -> OldRuntime {
    common::fetch_old_runtime(suite, arch).unwrap_or_else(|e| panic!("{suite} {arch}: {e}"))
}

impl Arch {
    /// None when the cross tools are missing outside CI.
    fn new(name: &'static str) -> Option<Arch> {
        let (cc, qemu) = match name {
            "riscv64" => ("riscv64-linux-gnu-gcc", "qemu-riscv64"),
            _ => {
                let (cc, qemu, _) = c_toolchain(name);
                (cc, qemu.expect("runs under qemu"))
            }
        };
        let cxx = cc.replace("gcc", "g++");
        if !common::polyfill::tools(
            &[cc, &cxx, qemu],
            &format!("the {name} gcc and g++ cross compilers, qemu-user"),
        ) {
            return None;
        }
        let trixie = runtime("trixie", name);
        assert_eq!(trixie.glibc_version, "2.41");
        if name == "riscv64" {
            return Some(Arch {
                name,
                cc,
                qemu,
                reference: runtime("trixie", name),
                trixie,
                patched_on: vec![runtime("trixie", name)],
                floor: "2.27",
                at_floor: &["__cxa_thread_atexit_impl"],
            });
        }
        let (new, old) = (runtime("bookworm", name), runtime("bullseye", name));
        assert_eq!(
            (new.glibc_version.as_str(), old.glibc_version.as_str()),
            ("2.36", "2.31")
        );
        Some(Arch {
            name,
            cc,
            qemu,
            reference: new,
            trixie,
            patched_on: vec![runtime("bookworm", name), old],
            floor: "2.17",
            at_floor: &[],
        })
    }

    /// Build, patch and run `p`; what it linked and how many lines were compared.
    fn side_by_side(&self, p: &Program, tmp: &Path) -> (Vec<String>, usize) {
        let arch = self.name;
        let source = p.source;
        let cxx = self.cc.replace("gcc", "g++");
        let cc = if source.ends_with(".cpp") {
            cxx.as_str()
        } else {
            self.cc
        };
        let bin = tmp.join("prog");
        let reference = match p.against {
            Against::Bookworm | Against::Stubs243 => {
                cross_build(cc, source, p.flags, &["-lm"], &bin);
                self.run(&self.reference, &bin, tmp, "ref")
            }
            Against::Trixie => {
                build_against_trixie(cc, arch, source, &bin);
                self.run(&self.trixie, &bin, tmp, "ref")
            }
            Against::Built(flags) => {
                let reference = tmp.join("reference");
                cross_build(cc, source, flags, &["-lm"], &reference);
                build_against_stubs(cc, arch, source, p.flags, tmp, &bin);
                self.run(&self.reference, &reference, tmp, "ref")
            }
            Against::Documented => {
                build_against_stubs(cc, arch, source, p.flags, tmp, &bin);
                String::new()
            }
        };
        for want in p.reference_has {
            assert!(
                reference.lines().any(|l| l == *want || l.contains(want)),
                "{arch} {source}: the reference lacks {want:?}:\n{reference}"
            );
        }
        let tested = if p.against == Against::Stubs243 {
            let stubs = tmp.join("stubs-2.43");
            std::fs::create_dir_all(&stubs).expect("mkdir");
            let target = elfcompat::abi::db().target_by_name(arch).expect("target");
            let release = elfcompat::abi::GlibcVersion::parse("2.43").expect("2.43");
            elfcompat::verify::stubs::write_stubs(target, release, &stubs).expect("stubs");
            let new = tmp.join("prog-new");
            let mut c = Command::new(cc);
            c.args(["-O1", "-w", "-DNEW", "-o"])
                .arg(&new)
                .arg(common::crate_root().join("testdata/polyfill").join(source))
                .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
                .arg(stubs.join("libc.so.6"));
            output(c);
            new
        } else {
            bin
        };
        let glibc = if version(p.glibc) < version(self.floor) {
            self.floor
        } else {
            p.glibc
        };
        let patched = tmp.join("prog-patched");
        let plan = patch_to(&tested, &patched, glibc);
        let linked: Vec<String> = linked_polyfills(&plan)
            .into_iter()
            .map(str::to_string)
            .collect();
        assert!(
            linked.len() >= p.min_linked
                && p.polyfilled
                    .iter()
                    .all(|f| self.at_floor.contains(f) || linked.iter().any(|l| l == f)),
            "{arch} {source}: expected at least {} polyfills, {:?} among them:\n{plan}",
            p.min_linked,
            p.polyfilled
        );
        if self.floor != "2.17" {
            assert_loader_check(&patched, self.floor);
        }
        let mut compared = 0;
        let mut reference = reference;
        for (i, rt) in self.patched_on.iter().enumerate() {
            let got = self.run(rt, &patched, tmp, &format!("run{i}"));
            if p.against == Against::Documented && i == 0 {
                // run_qemu requires exit status 0: every check passed.
                assert!(!got.is_empty(), "{arch} {source}: no output");
                compared += got.lines().count();
                reference = got;
                continue;
            }
            let on = format!(
                "{arch} {source} patched to {glibc}, on glibc {}",
                rt.glibc_version
            );
            compared += match (p.against, p.compare) {
                (Against::Stubs243, _) => {
                    // run_qemu requires exit status 0: every check passed.
                    assert!(
                        got.starts_with(&reference),
                        "{on}: the side-by-side part differs:\n{got}"
                    );
                    reference.lines().count()
                }
                (_, Compare::Exact) => {
                    assert_eq!(got, reference, "{on}");
                    reference.lines().count()
                }
                (_, Compare::Beyond) => beyond(&on, &reference, &got, rt.glibc_version == "2.31"),
            };
        }
        let glibc_ref = if p.against == Against::Trixie {
            "2.41"
        } else {
            self.reference.glibc_version.as_str()
        };
        let what = match (p.against, p.compare) {
            (Against::Stubs243, _) => {
                format!("the side-by-side part identical to glibc {glibc_ref}'s")
            }
            (Against::Built(_), _) => {
                format!(
                    "output identical to C23's meaning composed from glibc {glibc_ref}'s functions"
                )
            }
            (Against::Documented, _) => {
                "output checked by the program against the documented answers, the same".to_string()
            }
            (_, Compare::Beyond) => format!(
                "output (\"beyond:\" lines: that or EOVERFLOW) identical to glibc {glibc_ref}'s"
            ),
            _ => format!("output identical to glibc {glibc_ref}'s"),
        };
        println!(
            "polyfill_arches: {arch} {source} patched to {glibc}: {} polyfills, {} lines of {what} on {}",
            linked.len(),
            reference.lines().count(),
            self.patched_on
                .iter()
                .map(|r| r.glibc_version.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        );
        (linked, compared)
    }

    fn run(&self, rt: &OldRuntime, prog: &Path, tmp: &Path, dir: &str) -> String {
        run_qemu(self.qemu, rt, prog, &fresh(tmp, dir))
    }
}

/// `testdata/polyfill/SOURCE` built with `flags` against the stub libc.so.6 and libm.so.6
/// of glibc 2.43 from the ABI database.
fn build_against_stubs(cc: &str, arch: &str, source: &str, flags: &[&str], tmp: &Path, bin: &Path) {
    let stubs = tmp.join("stubs-2.43-libm");
    std::fs::create_dir_all(&stubs).expect("mkdir");
    let target = elfcompat::abi::db().target_by_name(arch).expect("target");
    let release = elfcompat::abi::GlibcVersion::parse("2.43").expect("2.43");
    elfcompat::verify::stubs::write_stubs(target, release, &stubs).expect("stubs");
    let mut c = Command::new(cc);
    c.args(["-O1", "-w"])
        .args(flags)
        .arg("-o")
        .arg(bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
        .arg(stubs.join("libc.so.6"))
        .arg(stubs.join("libm.so.6"));
    output(c);
}

/// A release's (major, minor).
fn version(v: &str) -> (u32, u32) {
    let (a, b) = v.split_once('.').expect("a release");
    (a.parse().expect("major"), b.parse().expect("minor"))
}

/// Every line as the reference's, except those starting "beyond: ", which must be either
/// the reference's answer or EOVERFLOW; on 2.31 (`old`) some must be EOVERFLOW. The lines
/// compared.
fn beyond(on: &str, reference: &str, got: &str, old: bool) -> usize {
    let (inside, beyond): (Vec<&str>, Vec<&str>) =
        reference.lines().partition(|l| !l.starts_with("beyond: "));
    assert!(
        beyond.iter().any(|l| !l.contains("errno=75")),
        "{on}: glibc 2.36 answers times past 2038:\n{}",
        beyond.join("\n")
    );
    let (got_inside, got_beyond): (Vec<&str>, Vec<&str>) =
        got.lines().partition(|l| !l.starts_with("beyond: "));
    assert_eq!(got_inside.join("\n"), inside.join("\n"), "{on}");
    assert_eq!(got_beyond.len(), beyond.len(), "{on}");
    let mut refused = 0;
    for (l, want) in got_beyond.iter().zip(&beyond) {
        let eoverflow = l.contains("NULL errno=75")
            || l.ends_with(": -1 errno=75")
            || l.ends_with("r=-1 errno=75");
        assert!(
            eoverflow || l == want,
            "{on}: neither glibc's answer nor EOVERFLOW:\n{l}\nglibc 2.36: {want}"
        );
        refused += usize::from(eoverflow);
    }
    assert!(!old || refused > 0, "{on}: nothing past 2038 was refused");
    inside.len() + beyond.len()
}

/// Run every program on `arch`, then require the catalog covered but for `exceptions`.
fn every_polyfill(arch: &'static str, programs: &[Program], exceptions: &[Exception]) {
    let Some(a) = Arch::new(arch) else {
        return;
    };
    let pf_arch = match arch {
        "i386" => elfcompat::polyfill::Arch::I386,
        "armhf" => elfcompat::polyfill::Arch::Armhf,
        "ppc64el" => elfcompat::polyfill::Arch::Ppc64el,
        _ => elfcompat::polyfill::Arch::Riscv64,
    };
    let mut tally = Tally::default();
    for p in programs {
        let tmp = tempfile::tempdir().expect("tempdir");
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            a.side_by_side(p, tmp.path())
        })) {
            Ok((linked, lines)) => {
                tally.linked.extend(linked);
                tally.programs += 1;
                tally.lines += lines;
            }
            Err(e) => tally.failures.push(format!(
                "{}: {}",
                p.source,
                e.downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("panicked")
            )),
        }
    }
    assert!(
        tally.failures.is_empty(),
        "{arch}: {} of {} programs failed:\n{}",
        tally.failures.len(),
        programs.len(),
        tally.failures.join("\n\n")
    );
    let catalog: BTreeSet<&str> = elfcompat::polyfill::catalog(pf_arch)
        .iter()
        .map(String::as_str)
        .collect();
    // A polyfill of a function whose every version the architecture's first glibc already
    // has is never linked (riscv64's glibc starts at 2.27 with what 2.27 had).
    let target = elfcompat::abi::db().target_by_name(arch).expect("target");
    let floor = elfcompat::abi::GlibcVersion::parse(a.floor).expect("floor");
    let at_floor: BTreeSet<&str> = catalog
        .iter()
        .filter(|s| {
            let versions = elfcompat::abi::db().symbol(target, s);
            !versions.is_empty() && versions.iter().all(|v| v.version <= floor)
        })
        .copied()
        .collect();
    for s in &at_floor {
        assert!(
            !tally.linked.contains(*s),
            "{arch}: {s}, which glibc {floor} has, was linked"
        );
    }
    for (name, _) in exceptions {
        assert!(
            catalog.contains(name),
            "{arch}: the exception {name} is not in the object: drop it from the list"
        );
        assert!(
            !tally.linked.contains(*name),
            "{arch}: the exception {name} is now linked by a side-by-side run: drop it from the list"
        );
    }
    let missing: Vec<&str> = catalog
        .iter()
        .filter(|s| {
            !tally.linked.contains(**s)
                && !at_floor.contains(**s)
                && !exceptions.iter().any(|(e, _)| e == *s)
        })
        .copied()
        .collect();
    assert!(
        missing.is_empty(),
        "{arch}: {} of the object's {} polyfills have no side-by-side run on {arch} (add one, or an exception with its reason): {missing:?}",
        missing.len(),
        catalog.len()
    );
    println!(
        "polyfill_arches: {arch}: {} of the object's {} polyfills linked and run side by side by {} programs ({} lines compared, over every patched run); {} exceptions ({}); {} never linked, glibc {floor} having them: {}",
        tally.linked.intersection(&catalog.iter().map(|s| s.to_string()).collect()).count(),
        catalog.len(),
        tally.programs,
        tally.lines,
        exceptions.len(),
        exceptions.iter().map(|(e, _)| *e).collect::<Vec<_>>().join(" "),
        at_floor.len(),
        at_floor.iter().copied().collect::<Vec<_>>().join(" ")
    );
}

/// The 32-bit objects have neither the clock waits (so `side_by_side_hard.c`, which calls
/// them, cannot be lowered there: `thread_local.cpp` runs `__cxa_thread_atexit_impl`) nor the
/// 2.42/2.43 tail, the C23 conversions or pidfd_getpid (polyfill/src: not ported to 32-bit).
fn arch32(thread_local: Program) -> [Program; 9] {
    [
        SIDE_BY_SIDE,
        MORE,
        TIME64,
        CALENDAR,
        TIME64_CALLS,
        thread_local,
        NEW,
        SCHED,
        FMEMOPEN,
    ]
}

#[test]
fn i386_every_polyfill_matches_glibc() {
    every_polyfill("i386", &arch32(THREAD_LOCAL), &arch32_exceptions());
}

#[test]
fn armhf_every_polyfill_matches_glibc() {
    every_polyfill("armhf", &arch32(THREAD_LOCAL_ARM), &arch32_exceptions());
}

fn arch32_exceptions() -> Vec<Exception> {
    let mut v = TERMIOS_EXCEPTIONS.to_vec();
    v.extend(RSEQ_EXCEPTIONS);
    v
}

#[test]
fn ppc64el_every_polyfill_matches_glibc() {
    every_polyfill(
        "ppc64el",
        &[
            SIDE_BY_SIDE,
            MORE,
            HARD,
            THREAD_LOCAL_2_23,
            NEW,
            SCHED,
            PIDFD_GETPID,
            STRTO_C23,
            TAIL,
            FMEMOPEN,
        ],
        &RSEQ_EXCEPTIONS,
    );
}

#[test]
fn riscv64_every_polyfill_matches_glibc() {
    let mut exceptions = TERMIOS_EXCEPTIONS.to_vec();
    exceptions.extend(RSEQ_EXCEPTIONS);
    exceptions.extend(FROMFP_FLOATN_EXCEPTIONS);
    every_polyfill(
        "riscv64",
        &[
            SIDE_BY_SIDE,
            MORE,
            HARD,
            THREAD_LOCAL,
            NEW,
            SCHED,
            PIDFD_GETPID,
            STRTO_C23,
            TAIL,
            MATH_EXACT,
            FROMFP_C23,
            FLOATN_NAMES,
            UABS,
        ],
        &exceptions,
    );
}
