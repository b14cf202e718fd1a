//! The loader check: ask the real glibc loader, in trace mode, whether a binary loads on a
//! glibc release, against the stub libraries of that release ([`super::stubs`]) instead
//! of the machine's own glibc. Nothing of the binary or the stubs runs: with
//! `LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1 LD_WARN=1` the loader maps every object,
//! checks every version requirement, resolves every relocation, prints what failed and
//! exits (DOMAIN.md, "Loader trace mode"). It relocates with `__RTLD_NOIFUNC` (glibc's
//! rtld.c), so not even an IFUNC resolver runs.
//!
//! What the loader says is attributed to whoever required it: the binary, or a
//! dependency found on this machine (a non-glibc library such as libstdc++). A
//! dependency in a system directory is the host's, not what the target system will
//! provide, so its problems are notes; one found elsewhere (bundled next to the binary,
//! through its RPATH/RUNPATH) ships with it and counts.
//!
//! The loader cannot check its own versions: a `DT_NEEDED` on `ld-linux-x86-64.so.2`
//! always resolves to the loader that is running. Those requirements are checked against
//! the ABI database instead and reported with the loader's findings.
//!
//! The host's architecture runs natively. Another architecture runs under qemu-user with
//! that architecture's loader from Debian's cross packages (`/usr/<triplet>/lib`) when
//! both are installed.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::abi::{self, GlibcVersion, Lib, Target};
use crate::elf::{ElfFile, Linkage};

use super::stubs::{self, StubError};
use super::{finding, Finding};

/// Why the loader check could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoaderError {
    /// The binary could not be read or parsed.
    #[error(transparent)]
    File(#[from] crate::elf::FileError),
    /// The binary is not for the target it is checked against.
    #[error("{path}: the file is for {file_target}, not {target}")]
    TargetMismatch {
        /// The binary.
        path: PathBuf,
        /// What its ELF header says.
        file_target: String,
        /// What was asked.
        target: String,
    },
    /// No way to run a loader for this architecture here.
    #[error("no loader check for {target} here: {reason}")]
    UnsupportedArch {
        /// The binary's target.
        target: String,
        /// Why, and what would make it possible.
        reason: String,
    },
    /// The loader to run does not exist.
    #[error("no glibc loader at {0}")]
    NoLoader(PathBuf),
    /// The stub libraries could not be made.
    #[error(transparent)]
    Stubs(#[from] StubError),
    /// The temporary directory, or another file operation, failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The loader did not finish in time.
    #[error("the loader did not finish within {0:?}")]
    Timeout(Duration),
    /// The loader failed without saying anything this module understands.
    #[error("the loader failed ({status}): {output}")]
    Failed {
        /// Its exit status.
        status: String,
        /// What it printed.
        output: String,
    },
}

/// Who needs what the loader could not provide.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RequiredBy {
    /// The binary being checked.
    Binary,
    /// A library the loader found for it.
    Dependency {
        /// The library's path, as the loader printed it.
        path: String,
        /// Found outside the system's library directories (next to the binary, through
        /// its RPATH/RUNPATH): it ships with the binary, so its problems count.
        bundled: bool,
    },
    /// Not known (a library nobody read declares as needed).
    Unknown,
}

/// What the loader could not provide.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Problem {
    /// A required version that the library does not define: fatal at load time.
    MissingVersion {
        /// The library's soname.
        library: String,
        /// The version (`GLIBC_2.34`).
        version: String,
    },
    /// A weak version requirement the library does not meet: the loader only warns.
    WeakVersion {
        /// The library's soname.
        library: String,
        /// The version.
        version: String,
    },
    /// A symbol no loaded object defines (at that version).
    UndefinedSymbol {
        /// The symbol.
        symbol: String,
        /// The version asked for, if any.
        version: Option<String>,
    },
    /// A `DT_NEEDED` library the loader could not find.
    MissingLibrary {
        /// The name asked for.
        library: String,
    },
    /// A copy-relocated object whose size differs in the release.
    SizeMismatch {
        /// The symbol.
        symbol: String,
    },
    /// A version of the loader itself that the release's loader does not define,
    /// according to the ABI database (the running loader cannot answer for the release).
    LoaderVersion {
        /// The loader's soname.
        library: String,
        /// The version.
        version: String,
    },
    /// A line of loader output that reports an error this module does not know.
    Other {
        /// The line.
        line: String,
    },
}

/// One problem and who has it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoaderFinding {
    /// What is missing.
    pub problem: Problem,
    /// Who needs it.
    pub required_by: RequiredBy,
}

impl LoaderFinding {
    /// Whether it stops the binary (as shipped) from loading on the release: the binary's
    /// own problems and those of bundled libraries, except weak versions.
    pub fn counts(&self) -> bool {
        !matches!(self.problem, Problem::WeakVersion { .. })
            && match &self.required_by {
                RequiredBy::Binary | RequiredBy::Unknown => true,
                RequiredBy::Dependency { bundled, .. } => *bundled,
            }
    }

    /// A sentence for people.
    pub fn message(&self) -> String {
        let what = match &self.problem {
            Problem::MissingVersion { library, version } => {
                format!("{library}: version {version} not found")
            }
            Problem::WeakVersion { library, version } => {
                format!("{library}: weak version {version} not found (the loader only warns)")
            }
            Problem::UndefinedSymbol { symbol, version } => match version {
                Some(v) => format!("undefined symbol {symbol}@{v}"),
                None => format!("undefined symbol {symbol}"),
            },
            Problem::MissingLibrary { library } => format!(
                "{library} not found (the check cannot resolve its symbols; \
                 install it or give its directory)"
            ),
            Problem::SizeMismatch { symbol } => {
                format!("{symbol} has a different size in the release (copy relocation)")
            }
            Problem::LoaderVersion { library, version } => format!(
                "{library}: version {version} not defined by the release's loader \
                 (from the ABI data: the running loader answers only for itself)"
            ),
            Problem::Other { line } => line.clone(),
        };
        match &self.required_by {
            RequiredBy::Binary => what,
            RequiredBy::Dependency { path, bundled } => format!(
                "{what} (required by {path}, {})",
                if *bundled {
                    "a library that ships with the binary"
                } else {
                    "a library of this machine, not of the target system"
                }
            ),
            RequiredBy::Unknown => format!("{what} (required by a dependency)"),
        }
    }
}

/// One object the loader loaded (or could not find).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadedObject {
    /// The name asked for (`libc.so.6`), or the path for the loader and the vDSO.
    pub name: String,
    /// Where it was found; `None` when not found or not a file (vDSO).
    pub path: Option<String>,
    /// One of the generated stubs.
    pub stub: bool,
}

/// What the loader check found for one binary.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LoaderReport {
    /// The binary.
    pub binary: PathBuf,
    /// Its target.
    pub target: Target,
    /// The glibc release checked against.
    pub release: GlibcVersion,
    /// The loader that ran.
    pub loader: PathBuf,
    /// The emulator it ran under, for another architecture.
    pub runner: Option<PathBuf>,
    /// Why there was nothing to check (a static binary), if so.
    pub skipped: Option<String>,
    /// What the loader loaded, in its order.
    pub loaded: Vec<LoadedObject>,
    /// Every problem, in the order found.
    pub findings: Vec<LoaderFinding>,
    /// The loader's raw output (standard output, then standard error).
    #[serde(skip)]
    pub output: String,
}

impl LoaderReport {
    /// Whether the binary loads on the release: no finding that counts.
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(LoaderFinding::counts)
    }

    /// The findings that count, as `verify` findings (check "loader").
    pub fn verify_findings(&self) -> Vec<Finding> {
        self.findings
            .iter()
            .filter(|f| f.counts())
            .map(|f| finding("loader", f.message()))
            .collect()
    }

    /// The rest, as sentences: weak versions, and the problems of this machine's own
    /// libraries summed up per library (all of them are in [`LoaderReport::findings`]).
    pub fn notes(&self) -> Vec<String> {
        /// What one of this machine's libraries lacks.
        #[derive(Default)]
        struct Lacks<'a> {
            path: &'a str,
            versions: Vec<String>,
            symbols: Vec<String>,
            others: Vec<String>,
        }
        let mut notes = Vec::new();
        let mut per_dep: Vec<Lacks<'_>> = Vec::new();
        for f in self.findings.iter().filter(|f| !f.counts()) {
            let RequiredBy::Dependency { path, .. } = &f.required_by else {
                notes.push(f.message());
                continue;
            };
            let i = match per_dep.iter().position(|d| d.path == path) {
                Some(i) => i,
                None => {
                    per_dep.push(Lacks {
                        path,
                        ..Lacks::default()
                    });
                    per_dep.len() - 1
                }
            };
            let entry = &mut per_dep[i];
            match &f.problem {
                Problem::MissingVersion { library, version }
                | Problem::LoaderVersion { library, version } => {
                    entry.versions.push(format!("{library} {version}"))
                }
                Problem::UndefinedSymbol { symbol, version } => entry.symbols.push(match version {
                    Some(v) => format!("{symbol}@{v}"),
                    None => symbol.clone(),
                }),
                _ => entry.others.push(f.message()),
            }
        }
        const SHOWN: usize = 6;
        for mut d in per_dep {
            d.versions.sort_by_key(|s| version_order(s));
            let mut s = format!(
                "{} (a library of this machine, not of the target system) would not load:",
                d.path
            );
            if !d.versions.is_empty() {
                s.push_str(&format!(" needs {}", d.versions.join(", ")));
            }
            if !d.symbols.is_empty() {
                let shown: Vec<&str> = d.symbols.iter().take(SHOWN).map(String::as_str).collect();
                s.push_str(&format!(
                    "{}{} undefined symbol(s): {}{}",
                    if d.versions.is_empty() { " " } else { "; " },
                    d.symbols.len(),
                    shown.join(", "),
                    if d.symbols.len() > SHOWN { ", ..." } else { "" }
                ));
            }
            notes.push(s);
            notes.extend(d.others);
        }
        notes
    }
}

/// "libc.so.6 GLIBC_2.18" sorts by library, then numerically by version.
fn version_order(s: &str) -> (String, Option<GlibcVersion>, String) {
    let (lib, v) = s.split_once(' ').unwrap_or((s, ""));
    (lib.to_string(), GlibcVersion::parse(v), v.to_string())
}

/// How long the loader may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Check one binary: make stubs of `release` for `target` in a temporary directory, run
/// the loader in trace mode against them, and collect what it reports.
pub fn loader_check(
    bin: &Path,
    target: Target,
    release: GlibcVersion,
) -> Result<LoaderReport, LoaderError> {
    LoaderCheck::new(target, release)?.check(bin)
}

/// A loader check for many binaries of one target and release: the stubs are written
/// once, into a temporary directory that lives as long as this value.
pub struct LoaderCheck {
    target: Target,
    release: GlibcVersion,
    stub_dir: tempfile::TempDir,
    /// Extra directories to search after the stubs.
    pub library_dirs: Vec<PathBuf>,
    /// How long the loader may take per binary.
    pub timeout: Duration,
}

impl LoaderCheck {
    /// Write the stubs of `release` for `target`.
    pub fn new(target: Target, release: GlibcVersion) -> Result<LoaderCheck, LoaderError> {
        let stub_dir = tempfile::Builder::new()
            .prefix("elfcompat-stubs-")
            .tempdir()
            .map_err(|source| LoaderError::Io {
                context: "creating a temporary directory for the stub libraries".into(),
                source,
            })?;
        stubs::write_stubs(target, release, stub_dir.path())?;
        Ok(LoaderCheck {
            target,
            release,
            stub_dir,
            library_dirs: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Where the stubs are.
    pub fn stub_dir(&self) -> &Path {
        self.stub_dir.path()
    }

    /// Check one binary.
    pub fn check(&self, bin: &Path) -> Result<LoaderReport, LoaderError> {
        let map = crate::elf::open(bin)?;
        let file = ElfFile::parse(map.bytes()).map_err(|source| crate::elf::FileError::Elf {
            path: bin.to_path_buf(),
            source,
        })?;
        let file_target = crate::report::target_of_file(&file);
        if file_target != Some(self.target) {
            return Err(LoaderError::TargetMismatch {
                path: bin.to_path_buf(),
                file_target: file_target
                    .map(|t| t.name().to_string())
                    .unwrap_or_else(|| format!("machine {}", file.machine)),
                target: self.target.name().to_string(),
            });
        }
        let runtime = Runtime::find(self.target, file.interp.as_deref())?;
        let mut report = LoaderReport {
            binary: bin.to_path_buf(),
            target: self.target,
            release: self.release,
            loader: runtime.loader.clone(),
            runner: runtime.runner.clone(),
            skipped: None,
            loaded: Vec::new(),
            findings: Vec::new(),
            output: String::new(),
        };
        if matches!(
            file.linkage(),
            Linkage::Static | Linkage::StaticPie | Linkage::Other
        ) {
            report.skipped = Some("not dynamically linked: the loader is not involved".into());
            return Ok(report);
        }
        // The loader takes a name without a slash for a library to search for.
        let abs = std::path::absolute(bin).map_err(|source| LoaderError::Io {
            context: format!("{}: resolving the path", bin.display()),
            source,
        })?;
        let mut search = vec![self.stub_dir.path().to_path_buf()];
        search.extend(self.library_dirs.iter().cloned());
        search.extend(runtime.library_dirs.iter().cloned());
        let (status, stdout, stderr) = self.run(&runtime, &search, &abs)?;
        report.output = format!("{stdout}{stderr}");

        let system_dirs = canonical_dirs(
            runtime
                .library_dirs
                .iter()
                .chain(runtime.default_dirs.iter())
                .chain(self.library_dirs.iter()),
        );
        let ctx = Attribution {
            binary: abs.to_string_lossy().into_owned(),
            shown: bin.to_string_lossy().into_owned(),
            system_dirs,
        };
        report.loaded = parse_loaded(&stdout, self.stub_dir.path());
        let mut findings = parse_problems(&stderr, &ctx);
        findings.extend(parse_problems(&stdout, &ctx));
        let parsed_something = !report.loaded.is_empty() || !findings.is_empty();
        // A loader killed by a signal (under qemu too) has checked nothing reliably.
        if status.code().is_none() || !status.success() && !parsed_something {
            return Err(LoaderError::Failed {
                status: status.to_string(),
                output: report.output.trim().to_string(),
            });
        }

        // Who needs the libraries that were not found, and the loader's own versions.
        let mut deps: Vec<Dependency> = Vec::new();
        for obj in &report.loaded {
            let Some(path) = &obj.path else { continue };
            if obj.stub || Lib::from_soname(path) == Some(Lib::Ld) {
                continue;
            }
            if let Ok(map) = crate::elf::open(Path::new(path)) {
                if let Ok(f) = ElfFile::parse(map.bytes()) {
                    deps.push(Dependency {
                        path: path.clone(),
                        needed: needed_of(&f),
                        ld_requirements: ld_requirements(&f),
                    });
                }
            }
        }
        for obj in &report.loaded {
            if obj.path.is_some() {
                continue;
            }
            if Lib::from_soname(&obj.name).is_none() && obj.name.starts_with("linux-") {
                continue; // the vDSO
            }
            let required_by = if needed_of(&file).contains(&obj.name) {
                RequiredBy::Binary
            } else if let Some(d) = deps.iter().find(|d| d.needed.contains(&obj.name)) {
                ctx.dependency(&d.path)
            } else {
                RequiredBy::Unknown
            };
            findings.push(LoaderFinding {
                problem: Problem::MissingLibrary {
                    library: obj.name.clone(),
                },
                required_by,
            });
        }
        let ld_versions: BTreeSet<String> = abi::db()
            .library_versions(self.target, Lib::Ld, self.release)
            .iter()
            .map(|v| v.tag())
            .collect();
        let mut ld_checks = vec![(RequiredBy::Binary, ld_requirements(&file))];
        ld_checks.extend(
            deps.iter()
                .map(|d| (ctx.dependency(&d.path), d.ld_requirements.clone())),
        );
        for (required_by, reqs) in ld_checks {
            for (library, version) in reqs {
                if !ld_versions.contains(&version) {
                    findings.push(LoaderFinding {
                        problem: Problem::LoaderVersion { library, version },
                        required_by: required_by.clone(),
                    });
                }
            }
        }
        dedup(&mut findings);
        report.findings = findings;
        Ok(report)
    }

    fn run(
        &self,
        runtime: &Runtime,
        search: &[PathBuf],
        bin: &Path,
    ) -> Result<(std::process::ExitStatus, String, String), LoaderError> {
        let mut library_path = OsString::new();
        for (i, d) in search.iter().enumerate() {
            if i > 0 {
                library_path.push(":");
            }
            library_path.push(d);
        }
        let env = [
            ("LD_TRACE_LOADED_OBJECTS", "1"),
            ("LD_BIND_NOW", "1"),
            ("LD_WARN", "1"),
            ("LC_ALL", "C"),
        ];
        // Nothing of the caller's environment reaches the loader (LD_PRELOAD,
        // LD_LIBRARY_PATH, LD_AUDIT …); under qemu, the variables go to the guest only
        // (qemu itself is dynamically linked and would be traced instead).
        let mut cmd = match &runtime.runner {
            None => {
                let mut c = Command::new(&runtime.loader);
                c.env_clear();
                for (k, v) in env {
                    c.env(k, v);
                }
                c
            }
            Some(qemu) => {
                let mut c = Command::new(qemu);
                c.env_clear();
                for (k, v) in env {
                    c.arg("-E").arg(format!("{k}={v}"));
                }
                c.arg(&runtime.loader);
                c
            }
        };
        cmd.arg("--inhibit-cache")
            .arg("--library-path")
            .arg(library_path)
            .arg(bin)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_with_deadline(cmd, self.timeout)
    }
}

/// Run, capture both outputs, kill at the deadline.
fn run_with_deadline(
    mut cmd: Command,
    timeout: Duration,
) -> Result<(std::process::ExitStatus, String, String), LoaderError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd.spawn().map_err(|source| LoaderError::Io {
        context: format!("running {program}"),
        source,
    })?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LoaderError::Timeout(timeout));
            }
            Err(source) => {
                return Err(LoaderError::Io {
                    context: format!("waiting for {program}"),
                    source,
                })
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((status, stdout, stderr))
}

/// How to run a loader for a target on this machine.
#[derive(Clone, Debug)]
struct Runtime {
    loader: PathBuf,
    runner: Option<PathBuf>,
    /// Searched after the stubs (for non-glibc libraries).
    library_dirs: Vec<PathBuf>,
    /// The directories the loader searches by itself; with `library_dirs`, the
    /// "system" directories whose libraries are the host's.
    default_dirs: Vec<PathBuf>,
}

/// The host's target: the architecture this program runs on.
pub fn host_target() -> Option<Target> {
    abi::db().target_by_name(std::env::consts::ARCH)
}

/// For another architecture: qemu's name for it and Debian's cross directory
/// (`/usr/<triplet>/lib` holds the loader and libraries of `libc6-<arch>-cross`).
fn cross(target: &str) -> Option<(&'static str, &'static str)> {
    Some(match target {
        "x86-linux-gnu" => ("i386", "i686-linux-gnu"),
        "x86_64-linux-gnu" => ("x86_64", "x86_64-linux-gnu"),
        "aarch64-linux-gnu" => ("aarch64", "aarch64-linux-gnu"),
        "arm-linux-gnueabihf" => ("arm", "arm-linux-gnueabihf"),
        "arm-linux-gnueabi" => ("arm", "arm-linux-gnueabi"),
        "powerpc64le-linux-gnu" => ("ppc64le", "powerpc64le-linux-gnu"),
        "powerpc64-linux-gnu" => ("ppc64", "powerpc64-linux-gnu"),
        "powerpc-linux-gnueabihf" => ("ppc", "powerpc-linux-gnu"),
        "s390x-linux-gnu" => ("s390x", "s390x-linux-gnu"),
        "riscv64-linux-gnu" => ("riscv64", "riscv64-linux-gnu"),
        "mips64el-linux-gnuabi64" => ("mips64el", "mips64el-linux-gnuabi64"),
        "mipsel-linux-gnueabihf" => ("mipsel", "mipsel-linux-gnu"),
        "sparc64-linux-gnu" => ("sparc64", "sparc64-linux-gnu"),
        "loongarch64-linux-gnu" => ("loongarch64", "loongarch64-linux-gnu"),
        _ => return None,
    })
}

impl Runtime {
    fn find(target: Target, interp: Option<&str>) -> Result<Runtime, LoaderError> {
        let soname = Lib::Ld.soname(target);
        let host = host_target();
        if target.name().starts_with("mips") {
            // The MIPS loader walks a GOT described by DT_MIPS_* tags while relocating
            // each object; the stubs have none, and the loader crashes on them.
            return Err(LoaderError::UnsupportedArch {
                target: target.name().to_string(),
                reason: "the MIPS loader needs a GOT (DT_MIPS_* tags) in every library, \
                         which the stub libraries do not have"
                    .into(),
            });
        }
        let triplet = cross(target.name()).map(|(_, t)| t);
        let mut default_dirs: Vec<PathBuf> = ["/lib", "/usr/lib", "/lib64", "/usr/lib64"]
            .iter()
            .map(PathBuf::from)
            .collect();
        if let Some(t) = triplet {
            default_dirs.push(Path::new("/lib").join(t));
            default_dirs.push(Path::new("/usr/lib").join(t));
        }
        if host == Some(target) {
            // The binary's own interpreter when it is this target's glibc loader, else
            // the one this program was started by, else the usual place.
            let ours = |p: &Path| p.file_name().is_some_and(|n| n == soname) && p.is_file();
            let loader = interp
                .map(PathBuf::from)
                .filter(|p| ours(p))
                .or_else(|| own_interpreter().filter(|p| ours(p)))
                .or_else(|| {
                    [
                        Path::new("/lib64").join(soname),
                        Path::new("/lib").join(soname),
                    ]
                    .into_iter()
                    .find(|p| p.is_file())
                })
                .ok_or_else(|| LoaderError::NoLoader(Path::new("/lib64").join(soname)))?;
            let library_dirs = ld_so_conf_dirs(Path::new("/etc/ld.so.conf"));
            return Ok(Runtime {
                loader,
                runner: None,
                library_dirs,
                default_dirs,
            });
        }
        let unsupported = |missing: String| LoaderError::UnsupportedArch {
            target: target.name().to_string(),
            reason: format!(
                "it is not the host's architecture ({}), so it needs qemu-user and that \
                 architecture's glibc loader, but {missing}",
                host.map(|h| h.name()).unwrap_or("unknown")
            ),
        };
        let Some((qemu_arch, triplet)) = cross(target.name()) else {
            return Err(unsupported("neither is known for this architecture".into()));
        };
        let qemu_name = format!("qemu-{qemu_arch}");
        let Some(qemu) = find_in_path(&qemu_name) else {
            return Err(unsupported(format!("{qemu_name} is not installed")));
        };
        // Debian's cross libraries: /usr/<triplet>/lib, and lib64 where the
        // architecture's loader lives there (mips64el's /lib64/ld.so.1).
        let root = Path::new("/usr").join(triplet);
        let dirs: Vec<PathBuf> = ["lib", "lib64"]
            .iter()
            .map(|d| root.join(d))
            .filter(|d| d.is_dir())
            .collect();
        let Some(loader) = dirs.iter().map(|d| d.join(soname)).find(|p| p.is_file()) else {
            return Err(unsupported(format!(
                "no {soname} in {}/lib (Debian: the libc6-*-cross package)",
                root.display()
            )));
        };
        default_dirs.extend(dirs.iter().cloned());
        Ok(Runtime {
            loader,
            runner: Some(qemu),
            library_dirs: dirs,
            default_dirs,
        })
    }
}

/// The program interpreter of the running executable: the host's loader.
fn own_interpreter() -> Option<PathBuf> {
    let exe = std::fs::read("/proc/self/exe").ok()?;
    let file = ElfFile::parse(&exe).ok()?;
    file.interp.as_deref().map(PathBuf::from)
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The directories of `/etc/ld.so.conf` and the files it includes: with
/// `--inhibit-cache` the loader no longer finds their libraries through the cache.
fn ld_so_conf_dirs(conf: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    read_ld_so_conf(conf, &mut out, &mut seen, 0);
    out
}

fn read_ld_so_conf(
    conf: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
    depth: usize,
) {
    if depth > 8 || !seen.insert(conf.to_path_buf()) {
        return;
    }
    let Ok(text) = std::fs::read_to_string(conf) else {
        return;
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include") {
            for file in glob_files(pattern.trim(), conf.parent()) {
                read_ld_so_conf(&file, out, seen, depth + 1);
            }
        } else if line.starts_with('/') {
            let dir = PathBuf::from(line);
            if dir.is_dir() && !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
}

/// The files matching an `include` pattern: a `*` in the last component only, which is
/// what distributions write (`/etc/ld.so.conf.d/*.conf`).
fn glob_files(pattern: &str, base: Option<&Path>) -> Vec<PathBuf> {
    let path = match base {
        Some(b) if !pattern.starts_with('/') => b.join(pattern),
        _ => PathBuf::from(pattern),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    if !name.contains('*') {
        return vec![path.clone()];
    }
    let (prefix, suffix) = name.split_once('*').unwrap_or((&name, ""));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.len() >= prefix.len() + suffix.len()
                            && n.starts_with(prefix)
                            && n.ends_with(suffix)
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn canonical_dirs<'a>(dirs: impl Iterator<Item = &'a PathBuf>) -> BTreeSet<PathBuf> {
    dirs.filter_map(|d| std::fs::canonicalize(d).ok()).collect()
}

/// DT_NEEDED names of a file.
fn needed_of(file: &ElfFile<'_>) -> Vec<String> {
    file.dynamic
        .as_ref()
        .map(|d| d.needed.iter().map(|n| n.to_string()).collect())
        .unwrap_or_default()
}

/// (loader soname, version) pairs a file requires of the loader.
fn ld_requirements(file: &ElfFile<'_>) -> Vec<(String, String)> {
    let Some(dynamic) = &file.dynamic else {
        return Vec::new();
    };
    dynamic
        .verneed
        .iter()
        .filter(|vn| Lib::from_soname(&vn.file) == Some(Lib::Ld))
        .flat_map(|vn| {
            vn.aux
                .iter()
                .filter(|a| !a.is_weak())
                .map(|a| (vn.file.to_string(), a.name.to_string()))
        })
        .collect()
}

/// A library the loader loaded from a file (not a stub, not the loader).
struct Dependency {
    path: String,
    needed: Vec<String>,
    ld_requirements: Vec<(String, String)>,
}

/// What is needed to attribute a loader message.
struct Attribution {
    /// The absolute path the loader was given.
    binary: String,
    /// The path as the caller gave it.
    shown: String,
    /// Canonical system library directories.
    system_dirs: BTreeSet<PathBuf>,
}

impl Attribution {
    fn required_by(&self, who: &str) -> RequiredBy {
        if who == self.binary || who == self.shown || who == "<main program>" {
            RequiredBy::Binary
        } else {
            self.dependency(who)
        }
    }

    fn dependency(&self, path: &str) -> RequiredBy {
        let dir = Path::new(path)
            .parent()
            .and_then(|d| std::fs::canonicalize(d).ok());
        RequiredBy::Dependency {
            path: path.to_string(),
            bundled: dir.is_none_or(|d| !self.system_dirs.contains(&d)),
        }
    }
}

/// The objects of the trace listing: `\tNAME => PATH (0xADDR)`, `\tNAME => not found`,
/// `\tPATH (0xADDR)`.
fn parse_loaded(stdout: &str, stub_dir: &Path) -> Vec<LoadedObject> {
    let stub_dir = stub_dir.to_string_lossy();
    let mut out = Vec::new();
    for line in stdout.lines() {
        let Some(line) = line.strip_prefix('\t') else {
            continue;
        };
        let strip_addr = |s: &str| match s.rfind(" (0x") {
            Some(i) => s[..i].to_string(),
            None => s.to_string(),
        };
        let (name, path) = match line.split_once(" => ") {
            Some((name, rest)) if rest.trim() == "not found" => (name.to_string(), None),
            Some((name, rest)) => (name.to_string(), Some(strip_addr(rest))),
            // "statically linked" for an object without dependencies, and other remarks.
            None if !line.contains(" (0x") => continue,
            None => {
                let p = strip_addr(line);
                let path = p.starts_with('/').then(|| p.clone());
                (p, path)
            }
        };
        let stub = path
            .as_deref()
            .and_then(|p| Path::new(p).parent())
            .is_some_and(|d| d.to_string_lossy() == stub_dir);
        out.push(LoadedObject { name, path, stub });
    }
    out
}

/// The problems the loader printed. Formats (glibc's rtld.c and dl-version.c):
/// `PROG: LIB: version `V' not found (required by WHO)` (newer glibc quotes 'V'),
/// `PROG: LIB: weak version `V' not found (required by WHO)`,
/// `undefined symbol: NAME, version V\t(WHO)`, `undefined symbol: NAME\t(WHO)`,
/// `PROG: Symbol `NAME' has different size in shared object, consider re-linking`.
fn parse_problems(text: &str, ctx: &Attribution) -> Vec<LoaderFinding> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('\t') || line.trim().is_empty() {
            continue; // the object listing
        }
        if let Some(rest) = line.strip_prefix("undefined symbol: ") {
            let (what, who) = match rest.rsplit_once('\t') {
                Some((what, who)) => (what, unparen(who)),
                None => (rest, ctx.binary.as_str()),
            };
            let (symbol, version) = match what.split_once(", version ") {
                Some((s, v)) => (s.trim().to_string(), Some(v.trim().to_string())),
                None => (what.trim().to_string(), None),
            };
            out.push(LoaderFinding {
                problem: Problem::UndefinedSymbol { symbol, version },
                required_by: ctx.required_by(who),
            });
            continue;
        }
        if let Some((head, who)) = line.rsplit_once(" not found (required by ") {
            let who = who.strip_suffix(')').unwrap_or(who);
            let weak = head.contains(": weak version ");
            let Some((before, version)) = head
                .rsplit_once(": weak version ")
                .or_else(|| head.rsplit_once(": version "))
            else {
                out.push(other(line, ctx));
                continue;
            };
            let version = unquote(version).to_string();
            // `before` is "PROG: LIBPATH"; the library is the last path component.
            let lib_path = before
                .strip_prefix(&format!("{}: ", ctx.binary))
                .or_else(|| before.rsplit_once(": ").map(|(_, l)| l))
                .unwrap_or(before);
            let library = Path::new(lib_path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| lib_path.to_string());
            let problem = if weak {
                Problem::WeakVersion { library, version }
            } else {
                Problem::MissingVersion { library, version }
            };
            out.push(LoaderFinding {
                problem,
                required_by: ctx.required_by(who),
            });
            continue;
        }
        if let Some(i) = line.find(": Symbol ") {
            let rest = &line[i + ": Symbol ".len()..];
            if let Some((sym, _)) = rest.split_once(" has different size in shared object") {
                out.push(LoaderFinding {
                    problem: Problem::SizeMismatch {
                        symbol: unquote(sym).to_string(),
                    },
                    // Copy relocations are the executable's.
                    required_by: RequiredBy::Binary,
                });
                continue;
            }
        }
        out.push(other(line, ctx));
    }
    out
}

fn other(line: &str, ctx: &Attribution) -> LoaderFinding {
    // Name the binary by the caller's path, not the absolute one the loader was given.
    LoaderFinding {
        problem: Problem::Other {
            line: line.replace(&ctx.binary, &ctx.shown),
        },
        required_by: RequiredBy::Binary,
    }
}

fn unparen(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(s)
}

/// `X'`, 'X' or `X` to X.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix(['`', '\'']).unwrap_or(s);
    s.strip_suffix(['\'', '`']).unwrap_or(s)
}

fn dedup(findings: &mut Vec<LoaderFinding>) {
    let mut seen = Vec::new();
    findings.retain(|f| {
        if seen.contains(f) {
            false
        } else {
            seen.push(f.clone());
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Attribution {
        Attribution {
            binary: "/work/app".into(),
            shown: "app".into(),
            system_dirs: BTreeSet::new(),
        }
    }

    #[test]
    fn parses_glibc_messages() {
        let stderr = "/work/app: /tmp/s/libc.so.6: version `GLIBC_2.34' not found (required by /work/app)\n\
            /work/app: /tmp/s/libm.so.6: version 'GLIBC_2.29' not found (required by /opt/x/libfoo.so.1)\n\
            /work/app: /tmp/s/libc.so.6: weak version `GLIBC_2.99' not found (required by /work/app)\n\
            undefined symbol: pthread_create, version GLIBC_2.34\t(/work/app)\n\
            undefined symbol: frobnicate\t(/opt/x/libfoo.so.1)\n\
            /work/app: Symbol `sys_errlist' has different size in shared object, consider re-linking\n\
            \tlibc.so.6 => /tmp/s/libc.so.6 (0x00007f0000000000)\n";
        let f = parse_problems(stderr, &ctx());
        let kinds: Vec<_> = f.iter().map(|f| (&f.problem, f.counts())).collect();
        assert_eq!(
            kinds,
            [
                (
                    &Problem::MissingVersion {
                        library: "libc.so.6".into(),
                        version: "GLIBC_2.34".into()
                    },
                    true
                ),
                (
                    &Problem::MissingVersion {
                        library: "libm.so.6".into(),
                        version: "GLIBC_2.29".into()
                    },
                    true
                ),
                (
                    &Problem::WeakVersion {
                        library: "libc.so.6".into(),
                        version: "GLIBC_2.99".into()
                    },
                    false
                ),
                (
                    &Problem::UndefinedSymbol {
                        symbol: "pthread_create".into(),
                        version: Some("GLIBC_2.34".into())
                    },
                    true
                ),
                (
                    &Problem::UndefinedSymbol {
                        symbol: "frobnicate".into(),
                        version: None
                    },
                    true
                ),
                (
                    &Problem::SizeMismatch {
                        symbol: "sys_errlist".into()
                    },
                    true
                ),
            ]
        );
        assert_eq!(f[0].required_by, RequiredBy::Binary);
        // /opt/x is not a system directory here: the library ships with the binary.
        assert_eq!(
            f[1].required_by,
            RequiredBy::Dependency {
                path: "/opt/x/libfoo.so.1".into(),
                bundled: true
            }
        );
    }

    #[test]
    fn host_libraries_are_notes() {
        let mut c = ctx();
        c.system_dirs = canonical_dirs([PathBuf::from("/usr")].iter());
        let f = parse_problems(
            "app: /s/libc.so.6: version `GLIBC_2.34' not found (required by /usr/libfoo.so)\n",
            &c,
        );
        assert_eq!(f.len(), 1);
        assert!(!f[0].counts());
        assert!(
            f[0].message().contains("not of the target system"),
            "{}",
            f[0].message()
        );
    }

    #[test]
    fn parses_the_listing() {
        let stdout = "\tlinux-vdso.so.1 (0x00007ffd4b5f2000)\n\
            \tlibm.so.6 => /tmp/s/libm.so.6 (0x00007f8c1c2a0000)\n\
            \tlibfoo.so.1 => not found\n\
            \tlibstdc++.so.6 => /usr/lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f8c1c000000)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f8c1c2c0000)\n\
            \tstatically linked\n";
        let l = parse_loaded(stdout, Path::new("/tmp/s"));
        let got: Vec<_> = l
            .iter()
            .map(|o| (o.name.as_str(), o.path.as_deref(), o.stub))
            .collect();
        assert_eq!(
            got,
            [
                ("linux-vdso.so.1", None, false),
                ("libm.so.6", Some("/tmp/s/libm.so.6"), true),
                ("libfoo.so.1", None, false),
                (
                    "libstdc++.so.6",
                    Some("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
                    false
                ),
                (
                    "/lib64/ld-linux-x86-64.so.2",
                    Some("/lib64/ld-linux-x86-64.so.2"),
                    false
                ),
            ]
        );
    }

    #[test]
    fn ld_so_conf_includes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let lib = d.join("lib");
        std::fs::create_dir_all(d.join("conf.d")).expect("mkdir");
        std::fs::create_dir_all(&lib).expect("mkdir");
        std::fs::write(d.join("ld.so.conf"), "include conf.d/*.conf\n# comment\n").expect("write");
        std::fs::write(
            d.join("conf.d/a.conf"),
            format!("{}\n/does/not/exist\n", lib.display()),
        )
        .expect("write");
        std::fs::write(d.join("conf.d/b.txt"), "/ignored\n").expect("write");
        assert_eq!(ld_so_conf_dirs(&d.join("ld.so.conf")), [lib]);
    }
}
