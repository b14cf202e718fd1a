//! Property test over generated binaries.
//!
//! A deterministic PRNG (SplitMix64, fixed seed) picks, for each case, a set of imported
//! functions from [`FEATURES`] (x86_64 versions as the host's glibc 2.36 links them) and
//! build options: executable (PIE or `-no-pie`) or shared library (`-shared -fPIC`), hash
//! style gnu/sysv/both, `-z pack-relative-relocs`, `-z now`, optimisation level,
//! `_FORTIFY_SOURCE`, `-fstack-protector-all`, `_FILE_OFFSET_BITS=64`, constructors and
//! destructors, `-lpthread -ldl -lrt`, and with or without section headers
//! (`testdata/strip-section-headers.py`). The C source is generated, compiled with gcc in
//! parallel (rayon), and for each baseline in [`BASELINES`], with polyfills on and off:
//!
//! 1. `patch_bytes` (allow_blockers false). The refusals the library names,
//!    `PatchError::Blocked` and `PatchError::Refused`, are counted by reason; any other
//!    error (Rewrite, Verification, Internal, Elf, Plan, Io) or a panic fails the test;
//! 2. a file already within the baseline (`verify` finds nothing) comes out
//!    `Method::Unchanged` and byte-identical; one that is not is changed;
//! 3. the result passes `elfcompat::verify::verify` for the baseline;
//! 4. patching the result again gives `Method::Unchanged` and identical bytes;
//! 5. a patched executable runs on the host with `LD_BIND_NOW=1` and prints the same (and
//!    exits the same) as the original; a patched library is loaded with `RTLD_NOW` by
//!    `testdata/gen/dlopen_driver.c` and its `gen_entry()` prints the same.
//!
//! Counts per outcome are printed. Every failure names the case directory
//! (`target/tmp/property/run-*/case-NNN/`, kept on failure) with the source, the gcc
//! command and the baseline.
//!
//! `ELFCOMPAT_PROPERTY_SEED` and `ELFCOMPAT_PROPERTY_CASES` (default 80) vary the run.
//!
//! Two fixed cases the generator found or that real files showed, with their C sources in
//! `testdata/gen/`: `weak_only_requirements` (a library whose only requirement is weak and
//! newer than the baseline) and `relr_with_tbss` (RELR with .tbss at the address of
//! .init_array, like Debian 12's libmemusage.so).
//! Without gcc or python3 the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]
// `..Options::default()` keeps the test compiling when Options grows a field.
#![allow(clippy::needless_update)]

mod support_gen;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::elf::ElfFile;
use elfcompat::patch::{patch_bytes, Method, Options, PatchError};
use rayon::prelude::*;
use support_gen::*;

const TEST: &str = "property";
const BASELINES: [&str; 4] = ["2.17", "2.28", "2.31", "2.36"];
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// One thing a generated program does, through one or more glibc functions.
struct Feature {
    name: &'static str,
    /// What it imports, at which version (for the reader; the test does not rely on it).
    imports: &'static str,
    includes: &'static [&'static str],
    /// The statements of its function. Must print the same on every run and on every
    /// glibc (no addresses, times, random values or pids).
    body: &'static str,
    libs: &'static [&'static str],
    /// File-scope declarations (after the includes), e.g. `#pragma weak`.
    decls: &'static str,
}

const FEATURES: &[Feature] = &[
    Feature {
        name: "printf",
        imports: "printf@2.2.5",
        includes: &["stdio.h"],
        body: r#"printf("printf %d %s %.2f\n", 42, "ok", 1.5);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "memcpy",
        imports: "memcpy@2.14",
        includes: &["string.h"],
        body: r#"char a[64], b[64]; memset(a, 'x', sizeof a); size_t n = 32 + (size_t)vzero; memcpy(b, a, n); printf("memcpy %c\n", b[n - 1]);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "math",
        imports: "pow/exp/log@2.29",
        includes: &["math.h"],
        body: r#"printf("math %.6f %.6f %.6f\n", pow(vd, 10.0), exp(vd), log(vd));"#,
        libs: &["-lm"],
        decls: "",
    },
    Feature {
        name: "math2",
        imports: "exp2/log2@2.29, hypot@2.35",
        includes: &["math.h"],
        body: r#"printf("math2 %.6f %.6f %.6f\n", exp2(vd), log2(vd), hypot(vd, vd + 1.0));"#,
        libs: &["-lm"],
        decls: "",
    },
    Feature {
        name: "pthread",
        imports: "pthread_create/join@2.34",
        includes: &["pthread.h"],
        body: r#"pthread_t t; void *r = 0; if (pthread_create(&t, 0, gen_thread, (void *)21) == 0) pthread_join(t, &r); printf("pthread %ld\n", (long)r);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "pthread_key",
        imports: "pthread_once/key_create/setspecific/getspecific@2.34",
        includes: &["pthread.h"],
        body: r#"static pthread_once_t once = PTHREAD_ONCE_INIT; static pthread_key_t key; pthread_once(&once, gen_make_key); gen_key = &key; pthread_setspecific(key, (void *)7); printf("pthread_key %ld\n", (long)pthread_getspecific(key));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "sem",
        imports: "sem_init/wait/post/destroy@2.34",
        includes: &["semaphore.h"],
        body: r#"sem_t s; int a = sem_init(&s, 0, 1); int b = sem_wait(&s); int c = sem_post(&s); sem_destroy(&s); printf("sem %d %d %d\n", a, b, c);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "dl",
        imports: "dlopen/dlsym/dlclose/dlerror@2.34",
        includes: &["dlfcn.h"],
        body: r#"void *h = dlopen("libm.so.6", RTLD_NOW); double (*c)(double) = h ? (double (*)(double))dlsym(h, "cos") : 0; printf("dl %d %.3f %d\n", h != 0, c ? c(0.0) : -1.0, dlerror() == 0); if (h) dlclose(h);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "clock_gettime",
        imports: "clock_gettime@2.17",
        includes: &["time.h"],
        body: r#"struct timespec ts; printf("clock_gettime %d\n", clock_gettime(CLOCK_MONOTONIC, &ts));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "glob",
        imports: "glob@2.27",
        includes: &["glob.h"],
        body: r#"glob_t g; int r = glob("/nonexistent-elfcompat-dir/*", 0, 0, &g); printf("glob %d\n", r); if (r == 0) globfree(&g);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "secure_getenv",
        imports: "secure_getenv@2.17",
        includes: &["stdlib.h"],
        body: r#"printf("secure_getenv %d\n", secure_getenv("ELFCOMPAT_SURELY_UNSET_VARIABLE") == 0);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "timespec_get",
        imports: "timespec_get@2.16",
        includes: &["time.h"],
        body: r#"struct timespec ts; printf("timespec_get %d\n", timespec_get(&ts, TIME_UTC));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "timer",
        imports: "timer_create/timer_delete@2.34 (librt before)",
        includes: &["time.h", "signal.h"],
        body: r#"timer_t t; struct sigevent ev = {0}; ev.sigev_notify = SIGEV_NONE; int a = timer_create(CLOCK_MONOTONIC, &ev, &t); int b = a == 0 ? timer_delete(t) : -1; printf("timer %d %d\n", a, b);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "stat",
        imports: "stat/fstat@2.33 (no older: polyfill or blocker)",
        includes: &["sys/stat.h", "stdio.h"],
        body: r#"struct stat st; int a = stat("/", &st); int d = a == 0 && S_ISDIR(st.st_mode); struct stat s2; int b = fstat(fileno(stdin), &s2); printf("stat %d %d %d\n", a, d, b);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "getrandom",
        imports: "getrandom@2.25, getentropy@2.25",
        includes: &["sys/random.h", "unistd.h"],
        body: r#"char b[8]; printf("getrandom %d %d\n", (int)getrandom(b, sizeof b, 0), getentropy(b, sizeof b));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "reallocarray",
        imports: "reallocarray@2.26",
        includes: &["stdlib.h"],
        body: r#"int *p = reallocarray(0, 4 + vzero, sizeof(int)); printf("reallocarray %d\n", p != 0); free(p);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "gettid",
        imports: "gettid@2.30",
        includes: &["unistd.h"],
        body: r#"printf("gettid %d\n", gettid() > 0);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "mallinfo2",
        imports: "mallinfo2@2.33 (no older, no polyfill: blocker)",
        includes: &["malloc.h"],
        body: r#"struct mallinfo2 mi = mallinfo2(); printf("mallinfo2 %d\n", mi.arena >= 0);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "explicit_bzero",
        imports: "explicit_bzero@2.25",
        includes: &["string.h"],
        body: r#"char b[16] = "secret"; explicit_bzero(b, sizeof b); printf("explicit_bzero %d\n", b[0]);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "arc4random",
        imports: "arc4random_uniform@2.36",
        includes: &["stdlib.h"],
        body: r#"printf("arc4random %u\n", arc4random_uniform(1));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "single_threaded",
        imports: "__libc_single_threaded@2.32 (data)",
        includes: &["sys/single_threaded.h"],
        // The value differs on purpose between glibc and the polyfill: read, not printed.
        body: r#"volatile char st = __libc_single_threaded; (void)st; printf("single_threaded read\n");"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "close_range",
        imports: "close_range@2.34",
        includes: &["unistd.h"],
        body: r#"printf("close_range %d\n", close_range(1000000, 1000001, 0));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "memfd",
        imports: "memfd_create@2.27, copy_file_range@2.27",
        includes: &["sys/mman.h", "unistd.h", "errno.h"],
        body: r#"int fd = memfd_create("elfcompat", 0); printf("memfd %d\n", fd >= 0); if (fd >= 0) close(fd); errno = 0; ssize_t r = copy_file_range(-1, 0, -1, 0, 1, 0); printf("copy_file_range %d %d\n", (int)r, errno == EBADF);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "find_object",
        imports: "_dl_find_object@2.35",
        includes: &["dlfcn.h"],
        body: r#"struct dl_find_object r; printf("_dl_find_object %d\n", _dl_find_object((void *)&gen_thread, &r));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "pidfd",
        imports: "pidfd_open@2.36",
        includes: &["sys/pidfd.h", "unistd.h"],
        body: r#"int fd = pidfd_open(getpid(), 0); printf("pidfd_open %d\n", fd >= 0); if (fd >= 0) close(fd);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "epoll_pwait2",
        imports: "epoll_pwait2@2.35 (no older, no polyfill: blocker)",
        includes: &["sys/epoll.h", "unistd.h"],
        body: r#"int ep = epoll_create1(0); struct epoll_event ev; struct timespec z = {0, 0}; printf("epoll_pwait2 %d\n", epoll_pwait2(ep, &ev, 1, &z, 0)); close(ep);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "fcntl",
        imports: "fcntl@2.2.5, or fcntl64@2.28 with _FILE_OFFSET_BITS=64",
        includes: &["fcntl.h"],
        body: r#"printf("fcntl %d\n", fcntl(1, F_GETFD) >= 0);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "sscanf",
        imports: "__isoc99_sscanf@2.7, strtol@2.2.5",
        includes: &["stdio.h", "stdlib.h"],
        body: r#"int x = 0; sscanf("12 ", "%d", &x); printf("sscanf %d %ld\n", x, strtol("0x10", 0, 16));"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "qsort",
        imports: "qsort@2.2.5, snprintf@2.2.5",
        includes: &["stdlib.h", "stdio.h"],
        body: r#"int v[5] = {5, 1, 4, 2, 3}; qsort(v, 5, sizeof(int), gen_cmp); char s[32]; snprintf(s, sizeof s, "%d%d%d%d%d", v[0], v[1], v[2], v[3], v[4]); printf("qsort %s\n", s);"#,
        libs: &[],
        decls: "",
    },
    Feature {
        name: "tls",
        imports: "none: a zero-initialised __thread variable (.tbss shares its address with the next section)",
        includes: &["stdio.h"],
        body: r#"gen_tls += 2; printf("tls %d\n", gen_tls);"#,
        libs: &[],
        decls: "static __thread int gen_tls;",
    },
    Feature {
        name: "weak_new",
        imports: "weak arc4random_uniform@2.36 (unversioned weak below 2.36: NULL on old glibc)",
        includes: &["stdlib.h"],
        body: r#"printf("weak_new %d\n", arc4random_uniform != 0);"#,
        libs: &[],
        decls: "#pragma weak arc4random_uniform",
    },
    Feature {
        name: "weak_pthread",
        imports: "weak pthread_key_delete@2.34 (as libstdc++'s __gthread_active_p)",
        includes: &["pthread.h"],
        body: r#"printf("weak_pthread %d\n", pthread_key_delete != 0);"#,
        libs: &[],
        decls: "#pragma weak pthread_key_delete",
    },
];

/// Helpers every generated program has (static, so unused ones cost nothing).
const PRELUDE: &str = r#"#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
static volatile int vzero = 0;
static volatile double vd = 2.5;
static void *gen_thread(void *arg) __attribute__((unused));
static void *gen_thread(void *arg) { return (void *)((long)arg * 2); }
static void *gen_key __attribute__((unused));
static void gen_make_key(void) __attribute__((unused));
static void gen_make_key(void) { static pthread_key_t k; pthread_key_create(&k, 0); }
static int gen_cmp(const void *a, const void *b) __attribute__((unused));
static int gen_cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pie,
    NoPie,
    Shared,
}

#[derive(Debug, Clone)]
struct Case {
    index: usize,
    features: Vec<usize>,
    kind: Kind,
    hash: &'static str,
    relr: bool,
    now: bool,
    opt: &'static str,
    fortify: bool,
    ssp: bool,
    lfs: bool,
    ctor: bool,
    old_libs: bool,
    strip_sections: bool,
}

impl Case {
    fn random(index: usize, rng: &mut Prng) -> Case {
        let n = 1 + rng.below(8) as usize;
        let mut features: Vec<usize> = Vec::new();
        while features.len() < n {
            let f = rng.below(FEATURES.len() as u64) as usize;
            if !features.contains(&f) {
                features.push(f);
            }
        }
        features.sort_unstable();
        let kind = *rng.pick(&[Kind::Pie, Kind::Pie, Kind::NoPie, Kind::Shared]);
        Case {
            index,
            features,
            kind,
            hash: ["gnu", "sysv", "both"][rng.below(3) as usize],
            relr: rng.chance(35),
            now: rng.chance(30),
            opt: ["-O0", "-O1", "-O2", "-Os"][rng.below(4) as usize],
            fortify: rng.chance(30),
            ssp: rng.chance(20),
            lfs: rng.chance(25),
            ctor: rng.chance(40),
            old_libs: rng.chance(20),
            strip_sections: rng.chance(35),
        }
    }

    fn describe(&self) -> String {
        let names: Vec<&str> = self.features.iter().map(|&i| FEATURES[i].name).collect();
        format!(
            "case {:03}: {:?} [{}] hash={} relr={} now={} {} fortify={} ssp={} lfs={} ctor={} old_libs={} no_sections={}",
            self.index,
            self.kind,
            names.join(","),
            self.hash,
            self.relr,
            self.now,
            self.opt,
            self.fortify,
            self.ssp,
            self.lfs,
            self.ctor,
            self.old_libs,
            self.strip_sections
        )
    }

    fn source(&self) -> String {
        let mut s = String::new();
        if self.lfs {
            s.push_str("#define _FILE_OFFSET_BITS 64\n");
        }
        s.push_str(PRELUDE);
        let mut incs: Vec<&str> = self
            .features
            .iter()
            .flat_map(|&i| FEATURES[i].includes.iter().copied())
            .collect();
        incs.sort_unstable();
        incs.dedup();
        for i in incs {
            s.push_str(&format!("#include <{i}>\n"));
        }
        for &i in &self.features {
            if !FEATURES[i].decls.is_empty() {
                s.push_str(FEATURES[i].decls);
                s.push('\n');
            }
        }
        s.push_str(&format!("/* {} */\n", self.describe()));
        if self.ctor {
            s.push_str("static int gen_constructed;\n__attribute__((constructor)) static void gen_ctor(void) { gen_constructed = 1; }\n");
            s.push_str("__attribute__((destructor)) static void gen_dtor(void) { printf(\"destructor ran\\n\"); fflush(stdout); }\n");
        }
        for &i in &self.features {
            let f = &FEATURES[i];
            s.push_str(&format!(
                "/* {}: {} */\nstatic void feature_{}(void) {{ {} }}\n",
                f.name, f.imports, f.name, f.body
            ));
        }
        s.push_str("__attribute__((visibility(\"default\"))) int gen_entry(void) {\n");
        if self.ctor {
            s.push_str("    printf(\"constructor ran: %d\\n\", gen_constructed);\n");
        }
        for &i in &self.features {
            s.push_str(&format!("    feature_{}();\n", FEATURES[i].name));
        }
        s.push_str("    fflush(stdout);\n    return 0;\n}\n");
        if self.kind != Kind::Shared {
            s.push_str("int main(void) { return gen_entry(); }\n");
        }
        s
    }

    fn gcc_args(&self, src: &Path) -> Vec<String> {
        let mut a: Vec<String> = vec![self.opt.into(), "-w".into()];
        match self.kind {
            Kind::Pie => a.extend(["-fPIE".into(), "-pie".into()]),
            Kind::NoPie => a.extend(["-fno-PIE".into(), "-no-pie".into()]),
            Kind::Shared => a.extend([
                "-fPIC".into(),
                "-shared".into(),
                format!("-Wl,-soname,libgen{:03}.so", self.index),
            ]),
        }
        if self.fortify {
            a.extend(["-O2".into(), "-D_FORTIFY_SOURCE=2".into()]);
        }
        if self.ssp {
            a.push("-fstack-protector-all".into());
        }
        a.push(format!("-Wl,--hash-style={}", self.hash));
        if self.relr {
            a.push("-Wl,-z,pack-relative-relocs".into());
        }
        if self.now {
            a.push("-Wl,-z,now".into());
        }
        a.push(src.display().to_string());
        let mut libs: Vec<&str> = self
            .features
            .iter()
            .flat_map(|&i| FEATURES[i].libs.iter().copied())
            .collect();
        if self.old_libs {
            libs.extend(["-lpthread", "-ldl", "-lrt"]);
        }
        libs.dedup();
        a.extend(libs.into_iter().map(String::from));
        a
    }
}

/// A case, built.
struct Built {
    case: Case,
    dir: PathBuf,
    bin: PathBuf,
    bytes: Vec<u8>,
    gcc_line: String,
    /// The original's run: (exit code, stdout).
    expected: Option<(Option<i32>, Vec<u8>)>,
}

fn build(case: Case, root: &Path) -> Result<Built, String> {
    let dir = root.join(format!("case-{:03}", case.index));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let src = dir.join("gen.c");
    std::fs::write(&src, case.source()).map_err(|e| e.to_string())?;
    let name = if case.kind == Kind::Shared {
        format!("libgen{:03}.so", case.index)
    } else {
        "gen".to_string()
    };
    let linked = dir.join(format!("{name}.linked"));
    let args = case.gcc_args(&src);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let gcc_line = format!("gcc {} -o {}", args.join(" "), linked.display());
    gcc(&argv, &linked).map_err(|e| format!("{}\ngcc failed:\n{e}", case.describe()))?;
    let bin = dir.join(&name);
    if case.strip_sections {
        let script = Path::new(MANIFEST_DIR).join("testdata/strip-section-headers.py");
        let mut c = Command::new("python3");
        c.arg(&script).arg(&linked).arg(&bin);
        let o = run(&mut c, Duration::from_secs(60));
        if !o.ok() {
            return Err(format!(
                "{}\nstrip-section-headers failed\n{}",
                case.describe(),
                o.describe()
            ));
        }
        set_mode_keep(&bin);
    } else {
        std::fs::rename(&linked, &bin).map_err(|e| e.to_string())?;
    }
    let bytes = std::fs::read(&bin).map_err(|e| e.to_string())?;
    Ok(Built {
        case,
        dir,
        bin,
        bytes,
        gcc_line,
        expected: None,
    })
}

fn set_mode_keep(p: &Path) {
    set_mode(p, 0o755);
}

/// Run an executable, or load a library through the driver: (exit code, stdout), stderr.
fn run_binary(kind: Kind, bin: &Path, driver: &Path) -> Out {
    let mut c = if kind == Kind::Shared {
        let mut c = Command::new(driver);
        c.arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.env("LD_BIND_NOW", "1");
    run(&mut c, RUN_TIMEOUT)
}

#[derive(Default)]
struct Tally {
    /// outcome -> count, e.g. "2.31 polyfill: rewrite".
    outcomes: BTreeMap<String, usize>,
    blocked: BTreeMap<String, usize>,
    refused: BTreeMap<String, usize>,
    runs: usize,
    failures: Vec<String>,
}

fn baseline(v: &str) -> Baseline {
    Baseline::glibc(GlibcVersion::parse(v).unwrap())
}

fn verify_bytes(bytes: &[u8], b: &Baseline) -> Result<Vec<String>, String> {
    let f = ElfFile::parse(bytes).map_err(|e| format!("does not parse: {e}"))?;
    Ok(elfcompat::verify::verify(&f, b)
        .into_iter()
        .map(|f| format!("[{}] {}", f.check, f.message))
        .collect())
}

fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

/// Everything for one built case.
fn check_case(b: &Built, driver: &Path, tally: &Mutex<Tally>) {
    let mut local_outcomes: Vec<String> = Vec::new();
    let mut local_blocked: Vec<String> = Vec::new();
    let mut local_refused: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut runs = 0;
    let mut ran: Vec<Vec<u8>> = Vec::new();
    let fail = |failures: &mut Vec<String>, base: &str, poly: bool, msg: String| {
        failures.push(format!(
            "{}\n  baseline {base}, polyfill {poly}: {msg}\n  dir: {}\n  build: {}{}",
            b.case.describe(),
            b.dir.display(),
            b.gcc_line,
            if b.case.strip_sections {
                " && python3 testdata/strip-section-headers.py <linked> <out>"
            } else {
                ""
            }
        ));
    };
    let Some((exp_code, exp_out)) = b.expected.clone() else {
        return;
    };
    for base in BASELINES {
        let bl = baseline(base);
        let within = match catch(|| verify_bytes(&b.bytes, &bl)) {
            Ok(Ok(f)) => f.is_empty(),
            Ok(Err(e)) => {
                fail(&mut failures, base, false, format!("the original: {e}"));
                continue;
            }
            Err(p) => {
                fail(
                    &mut failures,
                    base,
                    false,
                    format!("verify panicked on the original: {p}"),
                );
                continue;
            }
        };
        for poly in [true, false] {
            let label = format!("{base} polyfill={}", if poly { "on" } else { "off" });
            let opts = Options {
                allow_blockers: false,
                polyfill: poly,
                ..Options::default()
            };
            let r = match catch(|| patch_bytes(&b.bytes, &bl, &opts)) {
                Ok(r) => r,
                Err(p) => {
                    fail(
                        &mut failures,
                        base,
                        poly,
                        format!("patch_bytes PANICKED: {p}"),
                    );
                    local_outcomes.push(format!("{label}: PANIC"));
                    continue;
                }
            };
            let p = match r {
                Ok(p) => p,
                Err(PatchError::Blocked(bs)) => {
                    if within {
                        fail(
                            &mut failures,
                            base,
                            poly,
                            format!("blocked, but the file is within the baseline: {bs:?}"),
                        );
                    }
                    local_outcomes.push(format!("{label}: blocked"));
                    for x in bs {
                        local_blocked.push(format!(
                            "{}@{} ({})",
                            x.symbol.as_deref().unwrap_or("-"),
                            x.version,
                            x.reason
                        ));
                    }
                    continue;
                }
                Err(PatchError::Refused(reason)) => {
                    if within {
                        fail(
                            &mut failures,
                            base,
                            poly,
                            format!("refused, but the file is within the baseline: {reason}"),
                        );
                    }
                    local_outcomes.push(format!("{label}: refused"));
                    local_refused.push(reason);
                    continue;
                }
                Err(e) => {
                    local_outcomes.push(format!("{label}: ERROR {}", error_kind(&e)));
                    fail(
                        &mut failures,
                        base,
                        poly,
                        format!("tool error ({}): {e}", error_kind(&e)),
                    );
                    continue;
                }
            };
            local_outcomes.push(format!("{label}: {}", method_name(p.method)));
            // 2. within the baseline: unchanged and byte-identical; otherwise changed.
            if within && (p.method != Method::Unchanged || p.bytes() != b.bytes) {
                fail(
                    &mut failures,
                    base,
                    poly,
                    format!(
                        "already within the baseline, but the output is {:?} (identical bytes: {})",
                        p.method,
                        p.bytes() == b.bytes
                    ),
                );
            }
            if !within && (p.method == Method::Unchanged || p.bytes() == b.bytes) {
                fail(
                    &mut failures,
                    base,
                    poly,
                    format!(
                        "not within the baseline, but patch_bytes changed nothing ({:?})",
                        p.method
                    ),
                );
            }
            // 3. verifies.
            match catch(|| verify_bytes(&p.bytes(), &bl)) {
                Ok(Ok(f)) if f.is_empty() => {}
                Ok(Ok(f)) => fail(
                    &mut failures,
                    base,
                    poly,
                    format!("the result does not verify: {}", f.join("; ")),
                ),
                Ok(Err(e)) => fail(&mut failures, base, poly, format!("the result: {e}")),
                Err(pn) => fail(
                    &mut failures,
                    base,
                    poly,
                    format!("verify panicked on the result: {pn}"),
                ),
            }
            // 4. idempotent.
            let pb = p.bytes();
            match catch(|| patch_bytes(&pb, &bl, &opts)) {
                Ok(Ok(p2)) if p2.method == Method::Unchanged && p2.bytes() == p.bytes() => {}
                Ok(Ok(p2)) => fail(
                    &mut failures,
                    base,
                    poly,
                    format!(
                        "patching the result again gives {:?} (identical bytes: {})",
                        p2.method,
                        p2.bytes() == p.bytes()
                    ),
                ),
                Ok(Err(e)) => fail(
                    &mut failures,
                    base,
                    poly,
                    format!("patching the result again fails: {e}"),
                ),
                Err(pn) => fail(
                    &mut failures,
                    base,
                    poly,
                    format!("patching the result again PANICKED: {pn}"),
                ),
            }
            // 5. runs the same.
            if p.method != Method::Unchanged && !ran.contains(&p.bytes()) {
                let name = format!(
                    "{}.patched-{base}-{}",
                    b.bin.file_name().unwrap().to_string_lossy(),
                    if poly { "poly" } else { "nopoly" }
                );
                let path = b.dir.join(name);
                std::fs::write(&path, p.bytes()).unwrap();
                set_mode(&path, 0o755);
                let o = run_binary(b.case.kind, &path, driver);
                runs += 1;
                if o.code() != exp_code || o.stdout != exp_out {
                    fail(
                        &mut failures,
                        base,
                        poly,
                        format!(
                            "the patched file does not run like the original (expected exit {exp_code:?}, stdout:\n{})\n{}",
                            String::from_utf8_lossy(&exp_out),
                            o.describe()
                        ),
                    );
                }
                ran.push(p.bytes());
            }
        }
    }
    let mut t = tally.lock().unwrap();
    for o in local_outcomes {
        *t.outcomes.entry(o).or_default() += 1;
    }
    for x in local_blocked {
        *t.blocked.entry(x).or_default() += 1;
    }
    for x in local_refused {
        *t.refused.entry(x).or_default() += 1;
    }
    t.runs += runs;
    t.failures.extend(failures);
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Unchanged => "unchanged",
        Method::InPlace => "in-place",
        Method::Rewrite => "rewrite",
    }
}

fn error_kind(e: &PatchError) -> &'static str {
    match e {
        PatchError::Elf(_) => "Elf",
        PatchError::Plan(_) => "Plan",
        PatchError::Blocked(_) => "Blocked",
        PatchError::Refused(_) => "Refused",
        PatchError::Rewrite(_) => "Rewrite",
        PatchError::Verification(_) => "Verification",
        PatchError::Io(_) => "Io",
        PatchError::Internal(_) => "Internal",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

#[test]
fn generated_binaries() {
    if !gcc_works() {
        unavailable::<()>(TEST, "gcc not found");
        return;
    }
    if !have("python3") {
        unavailable::<()>(
            TEST,
            "python3 not found (testdata/strip-section-headers.py)",
        );
        return;
    }
    let start = Instant::now();
    let seed = env_num("ELFCOMPAT_PROPERTY_SEED", 0xe1f_c0a7);
    let n = env_num("ELFCOMPAT_PROPERTY_CASES", 80) as usize;
    let wd = WorkDir::new(TEST, "run");
    let mut rng = Prng::new(seed);
    let cases: Vec<Case> = (0..n).map(|i| Case::random(i, &mut rng)).collect();

    let driver = wd.join("dlopen_driver");
    let dsrc = Path::new(MANIFEST_DIR).join("testdata/gen/dlopen_driver.c");
    gcc(&["-O2", dsrc.to_str().unwrap()], &driver)
        .unwrap_or_else(|e| panic!("building the driver:\n{e}"));

    // Build in parallel; a case gcc cannot build is a test bug, not an elfcompat one.
    let built: Vec<Result<Built, String>> =
        cases.into_par_iter().map(|c| build(c, &wd.path)).collect();
    let mut ok: Vec<Built> = Vec::new();
    let mut build_errors = Vec::new();
    for b in built {
        match b {
            Ok(b) => ok.push(b),
            Err(e) => build_errors.push(e),
        }
    }
    assert!(
        build_errors.is_empty(),
        "{} case(s) did not build:\n{}",
        build_errors.len(),
        build_errors.join("\n\n")
    );
    let built_at = start.elapsed();

    // The originals' behaviour.
    ok.par_iter_mut().for_each(|b| {
        let o = run_binary(b.case.kind, &b.bin, &driver);
        if o.code() == Some(0) {
            b.expected = Some((o.code(), o.stdout.clone()));
        } else {
            b.expected = None;
            say(&format!(
                "{TEST}: the ORIGINAL of {} does not run (not counted):\n{}",
                b.case.describe(),
                o.describe()
            ));
        }
    });
    let not_running: Vec<String> = ok
        .iter()
        .filter(|b| b.expected.is_none())
        .map(|b| b.case.describe())
        .collect();
    assert!(
        not_running.is_empty(),
        "originals that fail on the host (a generator bug): {not_running:#?}"
    );

    let tally = Mutex::new(Tally::default());
    ok.par_iter().for_each(|b| check_case(b, &driver, &tally));
    let t = tally.into_inner().unwrap();

    let kinds = |k: Kind| ok.iter().filter(|b| b.case.kind == k).count();
    say(&format!(
        "{TEST}: seed {seed:#x}: {} binaries ({} PIE, {} non-PIE, {} shared; {} without section headers, {} with RELR) built in {built_at:.1?}; {} patched results run",
        ok.len(),
        kinds(Kind::Pie),
        kinds(Kind::NoPie),
        kinds(Kind::Shared),
        ok.iter().filter(|b| b.case.strip_sections).count(),
        ok.iter().filter(|b| b.case.relr).count(),
        t.runs
    ));
    say(&format!(
        "{TEST}: outcomes (baseline, polyfills: outcome = count):"
    ));
    for (k, v) in &t.outcomes {
        say(&format!("  {k:<40} {v}"));
    }
    say(&format!(
        "{TEST}: blockers (symbol@version: count over refused patches):"
    ));
    for (k, v) in &t.blocked {
        say(&format!("  {v:>4}  {k}"));
    }
    say(&format!(
        "{TEST}: refusals (PatchError::Refused, by reason):"
    ));
    for (k, v) in &t.refused {
        say(&format!("  {v:>4}  {k}"));
    }
    say(&format!(
        "{TEST}: {} failure(s), {:.1?} in all",
        t.failures.len(),
        start.elapsed()
    ));
    if !t.failures.is_empty() {
        let shown: Vec<&String> = t.failures.iter().take(40).collect();
        panic!(
            "{} failure(s) (first {} shown; work directory kept):\n\n{}",
            t.failures.len(),
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

/// A library whose every version requirement is weak and newer than the baseline
/// (`testdata/gen/weak_only.c`). The plan unversions the weak reference, which leaves no
/// requirement at all; that must give a valid file (no DT_VERNEED, or one that is within
/// the baseline) or a named refusal — not an internal error.
#[test]
fn weak_only_requirements() {
    if !gcc_works() {
        unavailable::<()>(TEST, "gcc not found");
        return;
    }
    let wd = WorkDir::new(TEST, "weak-only");
    let src = Path::new(MANIFEST_DIR).join("testdata/gen/weak_only.c");
    let lib = wd.join("libweak.so");
    gcc(
        &[
            "-shared",
            "-fPIC",
            "-nostartfiles",
            "-O2",
            src.to_str().unwrap(),
            "-Wl,--no-as-needed",
            "-lc",
        ],
        &lib,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let data = std::fs::read(&lib).unwrap();
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    for base in ["2.17", "2.28", "2.31", "2.35"] {
        let bl = baseline(base);
        for poly in [true, false] {
            let opts = Options {
                allow_blockers: false,
                polyfill: poly,
                ..Options::default()
            };
            match catch(|| patch_bytes(&data, &bl, &opts)) {
                Ok(Ok(p)) => {
                    match verify_bytes(&p.bytes(), &bl) {
                        Ok(f) if f.is_empty() => {}
                        other => failures.push(format!(
                            "{base} polyfill={poly}: the result does not verify: {other:?}"
                        )),
                    }
                    outcomes.push(format!("{base}/{poly}: {}", method_name(p.method)));
                }
                Ok(Err(PatchError::Blocked(_))) | Ok(Err(PatchError::Refused(_))) => {
                    outcomes.push(format!("{base}/{poly}: refused"))
                }
                Ok(Err(e)) => failures.push(format!(
                    "{base} polyfill={poly}: {} error: {e}",
                    error_kind(&e)
                )),
                Err(p) => failures.push(format!("{base} polyfill={poly}: PANIC {p}")),
            }
        }
    }
    say(&format!(
        "{TEST}: weak-only library: {}",
        outcomes.join(", ")
    ));
    assert!(
        failures.is_empty(),
        "{}\nreproduce:\n  gcc -shared -fPIC -nostartfiles -O2 testdata/gen/weak_only.c -Wl,--no-as-needed -lc -o libweak.so\n  elfcompat patch --glibc 2.31 libweak.so -o out   # exit 2: internal error: every version requirement would be dropped; DT_VERNEED cannot be empty",
        failures.join("\n")
    );
}

/// A RELR executable whose .tbss (TLS, NOBITS) has the address of .init_array
/// (`testdata/gen/tls_relr.c`), patched to 2.31 and 2.17: the RELR table must be expanded
/// (GLIBC_ABI_DT_RELR dropped) and the program run the same.
#[test]
fn relr_with_tbss() {
    if !gcc_works() {
        unavailable::<()>(TEST, "gcc not found");
        return;
    }
    let wd = WorkDir::new(TEST, "relr-tbss");
    let src = Path::new(MANIFEST_DIR).join("testdata/gen/tls_relr.c");
    let bin = wd.join("tls_relr");
    gcc(
        &["-O2", "-Wl,-z,pack-relative-relocs", src.to_str().unwrap()],
        &bin,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let data = std::fs::read(&bin).unwrap();
    let expected = run_binary(Kind::Pie, &bin, Path::new("/nonexistent"));
    assert!(expected.ok(), "{}", expected.describe());
    let mut failures = Vec::new();
    for base in ["2.31", "2.17"] {
        let bl = baseline(base);
        match catch(|| patch_bytes(&data, &bl, &Options::default())) {
            Ok(Ok(p)) => {
                match verify_bytes(&p.bytes(), &bl) {
                    Ok(f) if f.is_empty() => {}
                    other => {
                        failures.push(format!("{base}: the result does not verify: {other:?}"))
                    }
                }
                let out = wd.join(format!("tls_relr.{base}"));
                std::fs::write(&out, p.bytes()).unwrap();
                set_mode(&out, 0o755);
                let o = run_binary(Kind::Pie, &out, Path::new("/nonexistent"));
                if o.code() != expected.code() || o.stdout != expected.stdout {
                    failures.push(format!("{base}: runs differently\n{}", o.describe()));
                }
            }
            Ok(Err(e)) => failures.push(format!("{base}: {} error: {e}", error_kind(&e))),
            Err(p) => failures.push(format!("{base}: PANIC {p}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nreproduce:\n  gcc -O2 -Wl,-z,pack-relative-relocs testdata/gen/tls_relr.c -o tls_relr\n  readelf -SW tls_relr | grep -E 'tbss|init_array'   # same address\n  elfcompat patch --glibc 2.31 tls_relr -o out   # refused: RELR entry 0x... is not in a data section",
        failures.join("\n")
    );
}

/// One (file, baseline) of [`check_dry_run_and_patch_agree`]: what each command said.
#[derive(Default)]
struct Truth {
    /// "fixable", "blocked", "unplannable", and how the result was verified.
    outcome: String,
    /// Blocker reasons (numbers and names of versions kept) for the tally.
    blockers: Vec<String>,
    /// Plan changes `check` does not list: only unversioned weak references (whose weak
    /// version requirement check skips) may be.
    unlisted_unversions: usize,
    /// Wraps of functions whose version the baseline has, which check lists only where it
    /// sees the call.
    unlisted_wraps: usize,
    failures: Vec<String>,
}

/// The files of [`check_dry_run_and_patch_agree`]: every committed fixture of every
/// architecture, and every n-th ELF file (sorted, regular, at most 32 MiB) of /usr/bin and
/// /usr/lib/x86_64-linux-gnu, up to `per_dir` each.
fn truth_files(per_dir: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let bin = Path::new(MANIFEST_DIR).join("testdata/bin");
    let mut arches: Vec<PathBuf> = std::fs::read_dir(&bin)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    arches.sort();
    for a in arches {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&a)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        out.extend(files);
    }
    for dir in ["/usr/bin", "/usr/lib/x86_64-linux-gnu"] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut elves: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let Ok(m) = std::fs::symlink_metadata(p) else {
                    return false;
                };
                let mut magic = [0u8; 4];
                m.file_type().is_file()
                    && m.len() <= 32 << 20
                    && std::fs::File::open(p)
                        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
                        .is_ok()
                    && magic == *b"\x7fELF"
            })
            .collect();
        elves.sort();
        let step = (elves.len() / per_dir.max(1)).max(1);
        out.extend(elves.into_iter().step_by(step).take(per_dir));
    }
    out
}

fn json_out(o: &support_gen::Out) -> Result<serde_json::Value, String> {
    serde_json::from_slice(&o.stdout).map_err(|e| format!("not JSON ({e}): {}", o.describe()))
}

/// Key of a requirement: (symbol, library, version).
type ReqKey = (Option<String>, String, String);

fn str_of(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// Everything for one file at one baseline.
fn truth_case(file: &Path, base: &str, out_dir: &Path) -> Truth {
    let mut t = Truth::default();
    let shown = file.display().to_string();
    let fail = |t: &mut Truth, msg: String| {
        t.failures.push(format!(
            "{shown} at glibc {base}: {msg}\n  reproduce: elfcompat check --json --glibc {base} {shown}; elfcompat patch --dry-run --json --glibc {base} {shown}"
        ))
    };
    let check = run(
        elfcompat(["check", "--json", "--glibc", base]).arg(file),
        RUN_TIMEOUT,
    );
    let dry = run(
        elfcompat(["patch", "--dry-run", "--json", "--glibc", base]).arg(file),
        RUN_TIMEOUT,
    );
    let patched = out_dir.join(format!(
        "{}.{base}",
        file.file_name().unwrap().to_string_lossy()
    ));
    let patch = run(
        elfcompat(["patch", "--glibc", base])
            .arg(file)
            .arg("-o")
            .arg(&patched),
        RUN_TIMEOUT,
    );
    let check_json = match json_out(&check) {
        Ok(j) => j,
        Err(e) => {
            fail(&mut t, format!("check: {e}"));
            return t;
        }
    };
    let violations: Vec<serde_json::Value> = check_json["files"][0]["violations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let key = |v: &serde_json::Value, sym: &str, lib: &str, ver: &str| -> ReqKey {
        (
            v[sym].as_str().map(str::to_string),
            str_of(v, lib),
            str_of(v, ver),
        )
    };
    let check_blocked: BTreeMap<ReqKey, String> = violations
        .iter()
        .filter(|v| v["fix"]["kind"] == "blocker")
        .map(|v| {
            (
                key(v, "symbol", "library", "version"),
                str_of(&v["fix"], "reason"),
            )
        })
        .collect();
    let check_fixable: Vec<ReqKey> = violations
        .iter()
        .filter(|v| v["fix"]["kind"] != "blocker")
        .map(|v| key(v, "symbol", "library", "version"))
        .collect();
    let all_fixable = check_blocked.is_empty();

    // Files the planner cannot plan (static): check has nothing to fix, both patch runs say
    // why (exit 2).
    if dry.code() == Some(2) {
        if !violations.is_empty() || check.code() != Some(0) || patch.code() != Some(2) {
            fail(
                &mut t,
                format!(
                    "patch --dry-run cannot plan it, but check (exit {:?}) lists {} violation(s) and patch exits {:?}\n{}\n{}",
                    check.code(),
                    violations.len(),
                    patch.code(),
                    dry.describe(),
                    patch.describe()
                ),
            );
        }
        t.outcome = format!(
            "unplannable ({})",
            dry.stderr
                .lines()
                .next()
                .unwrap_or("")
                .rsplit(": ")
                .next()
                .unwrap_or("")
        );
        return t;
    }

    // The per-symbol classification: check's equals the plan's.
    let plan = match json_out(&dry) {
        Ok(j) => j["plan"].clone(),
        Err(e) => {
            fail(&mut t, format!("patch --dry-run: {e}"));
            return t;
        }
    };
    let plan_blocked: BTreeMap<ReqKey, String> = plan["blockers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| (key(b, "symbol", "library", "version"), str_of(b, "reason")))
        .collect();
    let plan_changes: Vec<(ReqKey, String)> = plan["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                key(c, "symbol", "from_library", "from_version"),
                str_of(c, "how"),
            )
        })
        .collect();
    if check_blocked != plan_blocked {
        fail(
            &mut t,
            format!(
                "check's blockers {check_blocked:#?}\n  differ from the plan's {plan_blocked:#?}"
            ),
        );
    }
    for k in &check_fixable {
        let planned = match &k.0 {
            Some(_) => plan_changes.iter().any(|(c, _)| c == k),
            None if k.2 == "GLIBC_ABI_DT_RELR" => plan["expand_relr"] == true,
            None => plan["drop_versions"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|d| str_of(d, "library") == k.1 && str_of(d, "version") == k.2)
            }),
        };
        if !planned {
            fail(
                &mut t,
                format!("check calls {k:?} fixable, the plan does nothing for it"),
            );
        }
    }
    for (k, how) in &plan_changes {
        if !check_fixable.contains(k) {
            if how == "unversion" {
                t.unlisted_unversions += 1;
            } else if how == "wrap" {
                // A wrap concerns a version within the baseline: check lists it only where
                // the code shows the call it fixes (docs/silent-changes.md).
                t.unlisted_wraps += 1;
            } else {
                fail(
                    &mut t,
                    format!("the plan changes {k:?} ({how}), check does not list it as fixable"),
                );
            }
        }
    }
    t.blockers = plan_blocked.values().map(|r| reason_class(r)).collect();

    // check all fixable <=> dry-run 0 <=> patch writes a file that verifies.
    let dry_ok = dry.code() == Some(0);
    if all_fixable != dry_ok || !matches!(dry.code(), Some(0 | 1)) {
        fail(
            &mut t,
            format!(
                "check says {} blocker(s), patch --dry-run exits {:?}\n{}",
                check_blocked.len(),
                dry.code(),
                dry.describe()
            ),
        );
    }
    if patch.code() != dry.code() {
        fail(
            &mut t,
            format!(
                "patch --dry-run exits {:?}, patch exits {:?}: a refusal the plan does not show\n{}",
                dry.code(),
                patch.code(),
                patch.describe()
            ),
        );
        return t;
    }
    if !dry_ok {
        t.outcome = "blocked: check, dry-run and patch all exit 1".into();
        return t;
    }
    let verify = run(
        elfcompat(["verify", "--json", "--glibc", base, "--loader-check"]).arg(&patched),
        RUN_TIMEOUT,
    );
    let how = if verify.code() == Some(2) && verify.stderr.contains("no loader check for") {
        // No qemu-user or no cross loader for this architecture here: the checks that
        // need no loader.
        let plain = run(
            elfcompat(["verify", "--glibc", base]).arg(&patched),
            RUN_TIMEOUT,
        );
        if !plain.ok() {
            fail(
                &mut t,
                format!("the patched file fails verify\n{}", plain.describe()),
            );
        }
        "passes verify (no loader for the architecture here)".to_string()
    } else {
        match json_out(&verify) {
            Ok(j) => loader_verdict(&j["files"][0]).unwrap_or_else(|e| {
                fail(
                    &mut t,
                    format!(
                        "the patched file fails verify --loader-check: {e}\n{}",
                        verify.describe()
                    ),
                );
                String::new()
            }),
            Err(e) => {
                fail(&mut t, format!("verify --loader-check: {e}"));
                String::new()
            }
        }
    };
    let again = run(
        elfcompat(["check", "--glibc", base]).arg(&patched),
        RUN_TIMEOUT,
    );
    if !again.ok() {
        fail(
            &mut t,
            format!("check of the patched file\n{}", again.describe()),
        );
    }
    t.outcome = format!("fixable: patched, check exits 0, {how}");
    t
}

/// What `verify --json --loader-check` says of a patched file: Ok(how it passed), or the
/// findings that are the file's own. Two kinds of loader finding are not a one-file
/// patch's to fix, and are told apart: those of a dependency that ships with the file
/// (found through its RUNPATH: `bundle`'s business), and the file's own `GLIBC_PRIVATE`
/// requirements (glibc's internal interface: only the build that made the file has it).
fn loader_verdict(file: &serde_json::Value) -> Result<String, String> {
    let findings = file["findings"].as_array().cloned().unwrap_or_default();
    let not_loader: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["check"] != "loader").collect();
    if !not_loader.is_empty() {
        return Err(format!("{not_loader:?}"));
    }
    let loader = file["loader"]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // What counts (verify's rule): the binary's own problems and those of a bundled
    // dependency, weak versions aside.
    let counted: Vec<&serde_json::Value> = loader
        .iter()
        .filter(|f| f["problem"]["kind"] != "weak-version")
        .filter(|f| f["required_by"]["kind"] != "dependency" || f["required_by"]["bundled"] == true)
        .collect();
    let own_not_private: Vec<&&serde_json::Value> = counted
        .iter()
        .filter(|f| f["required_by"]["kind"] != "dependency")
        .filter(|f| f["problem"]["version"] != "GLIBC_PRIVATE")
        .collect();
    if !own_not_private.is_empty() {
        return Err(format!("{own_not_private:?}"));
    }
    let private = counted
        .iter()
        .any(|f| f["required_by"]["kind"] != "dependency");
    let bundled = counted
        .iter()
        .any(|f| f["required_by"]["kind"] == "dependency");
    Ok(match (private, bundled) {
        (false, false) => "passes verify --loader-check",
        (false, true) => "passes verify --loader-check but for a library it ships with (RUNPATH) that needs a newer glibc",
        (true, false) => "passes verify --loader-check but for GLIBC_PRIVATE (glibc's own file, bound to its build)",
        (true, true) => "passes verify --loader-check but for GLIBC_PRIVATE and a library it ships with",
    }
    .to_string())
}

/// A blocker reason with its version numbers masked, for the tally.
fn reason_class(r: &str) -> String {
    r.split(' ')
        .map(|w| {
            if w.starts_with("GLIBC_") {
                "GLIBC_x"
            } else if w.starts_with(|c: char| c.is_ascii_digit()) {
                "x"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One source of truth for fixability (issue #10, item 2): over every committed fixture of
/// every architecture and a sample of /usr/bin and /usr/lib/x86_64-linux-gnu, at glibc
/// 2.17, 2.28 and 2.31, through the real binary:
/// `check` finds no blocker ⇔ `patch --dry-run` exits 0 ⇔ `patch` exits 0 and writes a file
/// that `verify --loader-check` accepts (plain `verify` where this machine has no loader for
/// the architecture) and `check` passes; and the per-requirement fixable/blocker
/// classification of `check --json`, with each blocker's reason, is the plan's. Files the
/// planner cannot plan at all (static) must have nothing for `check` to fix and make both
/// `patch` runs exit 2. Prints the counts.
/// `ELFCOMPAT_TRUTH_SAMPLE` (default 40) sets how many files of each system directory.
#[test]
fn check_dry_run_and_patch_agree() {
    let start = Instant::now();
    let per_dir = env_num("ELFCOMPAT_TRUTH_SAMPLE", 40) as usize;
    let files = truth_files(per_dir);
    let wd = WorkDir::new(TEST, "truth");
    // Each fixture architecture's output directory holds its libverdef.so, which `uselib`
    // finds through DT_RUNPATH $ORIGIN.
    let jobs: Vec<(PathBuf, &str, PathBuf)> = files
        .iter()
        .enumerate()
        .flat_map(|(i, f)| {
            let dir = wd.join(format!("{i:03}"));
            std::fs::create_dir_all(&dir).unwrap();
            let lib = f.with_file_name("libverdef.so");
            if f.starts_with(MANIFEST_DIR) && lib.is_file() {
                std::fs::copy(&lib, dir.join("libverdef.so")).unwrap();
            }
            ["2.17", "2.28", "2.31"].map(|b| (f.clone(), b, dir.clone()))
        })
        .collect();
    let results: Vec<Truth> = jobs
        .par_iter()
        .map(|(f, b, d)| truth_case(f, b, d))
        .collect();

    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut blockers: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut unversions = 0;
    let mut wraps = 0;
    for r in results {
        *outcomes.entry(r.outcome).or_default() += 1;
        for b in r.blockers {
            *blockers.entry(b).or_default() += 1;
        }
        unversions += r.unlisted_unversions;
        wraps += r.unlisted_wraps;
        failures.extend(r.failures);
    }
    let fixtures = files.iter().filter(|f| f.starts_with(MANIFEST_DIR)).count();
    say(&format!(
        "{TEST}: truth: {} files ({fixtures} fixtures of 9 architectures, {} from /usr/bin and /usr/lib/x86_64-linux-gnu) x 3 baselines = {} cases:",
        files.len(),
        files.len() - fixtures,
        jobs.len()
    ));
    for (k, v) in &outcomes {
        say(&format!("  {v:>4}  {k}"));
    }
    say(&format!(
        "{TEST}: truth: blocker reasons, versions masked (in plan and check alike; count of blocked requirements over all cases):"
    ));
    for (k, v) in &blockers {
        say(&format!("  {v:>4}  {k}"));
    }
    say(&format!(
        "{TEST}: truth: {unversions} unversioned weak reference(s) under a weak version requirement and {wraps} wrap(s) of functions within the baseline with no call seen (check lists neither); {} failure(s) in {:.1?}",
        failures.len(),
        start.elapsed()
    ));
    // The architectures without a startup shim show their blocker for programs built
    // against glibc 2.36, in check and dry-run alike (they were "fixable" before).
    for (arch, name) in [("mips64el", "mips")] {
        let f = Path::new(MANIFEST_DIR).join(format!("testdata/bin/{arch}/uselib"));
        let check = run(elfcompat(["check", "--glibc", "2.31"]).arg(&f), RUN_TIMEOUT);
        let dry = run(
            elfcompat(["patch", "--dry-run", "--glibc", "2.31"]).arg(&f),
            RUN_TIMEOUT,
        );
        for o in [&check, &dry] {
            assert_eq!(o.code(), Some(1), "{arch}: {}", o.describe());
            assert!(
                o.stdout_str().contains(
                    "lowering below 2.34 needs the startup shim, which elfcompat has only for x86_64, aarch64,"
                ) && o.stdout_str().contains(&format!("(not {name})")),
                "{arch}: {}",
                o.describe()
            );
        }
    }
    // i386, armhf, ppc64le and s390x have the shim: check calls __libc_start_main fixable
    // and the dry run injects it.
    for arch in ["i686", "armhf", "ppc64le", "s390x"] {
        let f = Path::new(MANIFEST_DIR).join(format!("testdata/bin/{arch}/uselib"));
        let check = run(elfcompat(["check", "--glibc", "2.31"]).arg(&f), RUN_TIMEOUT);
        let dry = run(
            elfcompat(["patch", "--dry-run", "--glibc", "2.31"]).arg(&f),
            RUN_TIMEOUT,
        );
        assert!(
            check
                .stdout_str()
                .contains("(1 fixable by `elfcompat patch`, 0 blocker(s))"),
            "{arch}: {}",
            check.describe()
        );
        assert_eq!(dry.code(), Some(0), "{arch}: {}", dry.describe());
        assert!(
            dry.stdout_str()
                .contains("startup   inject the startup shim"),
            "{arch}: {}",
            dry.describe()
        );
    }
    assert!(
        failures.is_empty(),
        "{} failure(s) (first 30 shown):\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
