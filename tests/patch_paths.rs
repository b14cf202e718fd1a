//! The planner and each rewrite path on real files: snapshots of plans for committed
//! fixtures; the in-place path (with and without section headers); the growing path; the
//! refusals; idempotence and byte-identity for files already within the baseline.

use std::path::{Path, PathBuf};
use std::process::Command;

use elfcompat::abi::GlibcVersion;
use elfcompat::baseline::Baseline;
use elfcompat::elf::ElfFile;
use elfcompat::patch::{self, Method, Options, PatchError};
use elfcompat::versym::Requirements;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn glibc(v: &str) -> Baseline {
    Baseline::glibc(GlibcVersion::parse(v).expect("version"))
}

fn plan_of(rel: &str, v: &str) -> serde_json::Value {
    let data = std::fs::read(root().join(rel)).expect("fixture");
    let file = ElfFile::parse(&data).expect("parse");
    let plan = patch::plan(&file, &glibc(v)).expect("plan");
    serde_json::to_value(plan).expect("json")
}

#[test]
fn plan_snapshots() {
    for (rel, v) in [
        ("testdata/bin/x86_64/hello", "2.17"),
        ("testdata/bin/x86_64/hello", "2.31"),
        ("testdata/bin/x86_64/hello-nopie", "2.17"),
        ("testdata/bin/x86_64/cxx", "2.17"),
        ("testdata/bin/x86_64/libverdef.so", "2.17"),
        ("testdata/bin/x86_64/relr", "2.31"),
        ("testdata/bin/aarch64/hello", "2.17"),
        ("testdata/bin/i686/hello", "2.17"),
    ] {
        let name = format!(
            "plan-{}-{}",
            rel.trim_start_matches("testdata/bin/").replace('/', "-"),
            v
        );
        insta::assert_json_snapshot!(name, plan_of(rel, v));
    }
}

fn cc(src: &str, out: &Path, args: &[&str]) {
    let dir = out.parent().expect("dir");
    let c = dir.join(format!("{}.c", out.file_name().unwrap().to_string_lossy()));
    std::fs::write(&c, src).expect("write source");
    let st = Command::new("gcc")
        .args(["-O1", "-fno-builtin-memcpy"])
        .arg(&c)
        .args(args)
        .arg("-o")
        .arg(out)
        .status()
        .expect("gcc must be installed");
    assert!(st.success(), "gcc failed");
}

/// A shared library needing memcpy@GLIBC_2.14 and older versions only: lowering it to 2.12
/// re-points memcpy to an existing vernaux and drops 2.14, which fits in place.
const LIB: &str = r#"
#include <string.h>
#include <stdio.h>
void copy(char *d, const char *s, unsigned long n) { memcpy(d, s, n); }
int say(const char *s) { return puts(s); }
"#;

fn strip_sections(input: &Path, output: &Path) {
    let st = Command::new("python3")
        .arg(root().join("testdata/strip-section-headers.py"))
        .arg(input)
        .arg(output)
        .status()
        .expect("python3");
    assert!(st.success(), "strip-section-headers.py failed");
}

#[test]
fn in_place_path_with_and_without_section_headers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = tmp.path().join("libcopy.so");
    cc(LIB, &lib, &["-shared", "-fPIC"]);
    let stripped = tmp.path().join("libcopy-nosections.so");
    strip_sections(&lib, &stripped);
    for path in [&lib, &stripped] {
        let data = std::fs::read(path).expect("read");
        let before = Requirements::of(&ElfFile::parse(&data).expect("parse"));
        assert!(
            before.imports.iter().any(|i| i.name == "memcpy"
                && i.version
                    .as_ref()
                    .is_some_and(|v| v.as_str() == "GLIBC_2.14")),
            "fixture must import memcpy@GLIBC_2.14"
        );
        let out = patch::patch_bytes(&data, &glibc("2.12"), &Options::default()).expect("patch");
        let out_bytes = out.bytes();
        assert_eq!(out.method, Method::InPlace, "{}", path.display());
        assert_eq!(out_bytes.len(), data.len(), "in-place keeps the size");
        let after = ElfFile::parse(&out_bytes).expect("parse result");
        let req = Requirements::of(&after);
        let memcpy = req
            .imports
            .iter()
            .find(|i| i.name == "memcpy")
            .expect("memcpy");
        assert_eq!(
            memcpy.version.as_ref().map(|v| v.as_str()),
            Some("GLIBC_2.2.5")
        );
        assert!(
            !req.version_requirements()
                .any(|(_, v)| v.name.as_str() == "GLIBC_2.14"),
            "the unused GLIBC_2.14 requirement must be gone"
        );
        assert!(elfcompat::verify::verify(&after, &glibc("2.12")).is_empty());
        // Changed bytes are confined to .gnu.version, .gnu.version_r, .dynamic and the
        // section header table.
        let changed = data.iter().zip(&out_bytes).filter(|(a, b)| a != b).count();
        assert!(changed > 0 && changed < 64, "{changed} bytes changed");
        // Idempotent.
        let again =
            patch::patch_bytes(&out_bytes, &glibc("2.12"), &Options::default()).expect("again");
        assert_eq!(again.method, Method::Unchanged);
        assert_eq!(again.bytes(), out_bytes);
    }
    // And the result really loads: dlopen the patched library from a program.
    let patched = tmp.path().join("libcopy-patched.so");
    let data = std::fs::read(&lib).expect("read");
    let out = patch::patch_bytes(&data, &glibc("2.12"), &Options::default()).expect("patch");
    let out_bytes = out.bytes();
    std::fs::write(&patched, &out_bytes).expect("write");
    let user = tmp.path().join("user");
    cc(
        "void copy(char*,const char*,unsigned long); int say(const char*);\nint main(void){ char b[8]; copy(b, \"ok\", 3); return say(b) < 0; }\n",
        &user,
        &[&format!("-L{}", tmp.path().display()), "-lcopy-patched", "-Wl,-rpath,$ORIGIN"],
    );
    let run = Command::new(&user)
        .env("LD_BIND_NOW", "1")
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ok\n");
}

#[test]
fn growing_path_and_refusals() {
    let data = std::fs::read(root().join("testdata/bin/x86_64/hello")).expect("fixture");
    // Growth: pthread moves to libpthread.so.0, __libc_start_main gets the shim.
    let out = patch::patch_bytes(
        &data,
        &glibc("2.31"),
        &Options {
            allow_blockers: true,
            ..Options::default()
        },
    )
    .expect("patch");
    let out_bytes = out.bytes();
    assert_eq!(out.method, Method::Rewrite);
    let file = ElfFile::parse(&out_bytes).expect("parse");
    let dynamic = file.dynamic.as_ref().expect("dynamic");
    assert!(dynamic.needed.iter().any(|n| n == "libpthread.so.0"));
    let grown = out_bytes.len() as i64 - data.len() as i64;
    assert!(grown <= 4096, "growth {grown} bytes: more than a page");
    let again = patch::patch_bytes(
        &out_bytes,
        &glibc("2.31"),
        &Options {
            allow_blockers: true,
            ..Options::default()
        },
    )
    .expect("again");
    assert_eq!(
        again.method,
        Method::Unchanged,
        "patching the output again changes nothing"
    );

    // With polyfills, stat@2.33 and friends are linked in at 2.17 ...
    let pf = patch::patch_bytes(&data, &glibc("2.17"), &Options::default()).expect("polyfilled");
    let pf_bytes = pf.bytes();
    assert!(pf.plan.polyfills.iter().any(|p| p.symbol == "stat"));
    assert!(pf.plan.blockers.is_empty());
    let again = patch::patch_bytes(&pf_bytes, &glibc("2.17"), &Options::default()).expect("again");
    assert_eq!(
        again.method,
        Method::Unchanged,
        "patching a polyfilled output again changes nothing"
    );
    // ... and without them (--polyfill=none) they refuse the whole file.
    let no_pf = Options {
        polyfill: false,
        ..Options::default()
    };
    match patch::patch_bytes(&data, &glibc("2.17"), &no_pf) {
        Err(PatchError::Blocked(b)) => {
            assert!(b.iter().any(|b| b.symbol.as_deref() == Some("stat")))
        }
        Err(e) => panic!("expected blockers, got {e}"),
        Ok(_) => panic!("expected blockers"),
    }

    // Without section headers nothing can grow: the plan makes every fix that would need
    // it a blocker with that reason (the in-place ones stay, and apply).
    let nos = std::fs::read(root().join("testdata/bin/x86_64/nosections")).expect("fixture");
    match patch::patch_bytes(&nos, &glibc("2.31"), &Options::default()) {
        Err(PatchError::Blocked(b)) => {
            for sym in ["__libc_start_main", "pthread_create", "stat"] {
                let r = b
                    .iter()
                    .find(|b| b.symbol.as_deref() == Some(sym))
                    .unwrap_or_else(|| panic!("{sym} is not a blocker: {b:?}"));
                assert!(r.reason.contains("without section headers"), "{r:?}");
            }
        }
        Err(e) => panic!("expected blockers, got {e}"),
        Ok(_) => panic!("expected blockers"),
    }
    let kept = patch::patch_bytes(
        &nos,
        &glibc("2.31"),
        &Options {
            allow_blockers: true,
            ..Options::default()
        },
    )
    .expect("the in-place part");
    assert_eq!(kept.method, Method::InPlace);

    // mips64el has no startup shim: a blocker, named in the plan.
    let rv = std::fs::read(root().join("testdata/bin/mips64el/hello")).expect("fixture");
    let plan = patch::plan(&ElfFile::parse(&rv).expect("parse"), &glibc("2.31")).expect("plan");
    assert!(!plan.startup_shim);
    let b = plan
        .blockers
        .iter()
        .find(|b| b.symbol.as_deref() == Some("__libc_start_main"))
        .expect("__libc_start_main is a blocker");
    assert!(
        b.reason.contains("startup shim") && b.reason.contains("(not mips)"),
        "{b:?}"
    );

    // aarch64 has one: the committed fixture patches (running it is tests/patch_runtime.rs).
    let a64 = std::fs::read(root().join("testdata/bin/aarch64/hello")).expect("fixture");
    let out = patch::patch_bytes(
        &a64,
        &glibc("2.31"),
        &Options {
            allow_blockers: true,
            ..Options::default()
        },
    )
    .expect("aarch64");
    assert!(out.plan.startup_shim);

    // DT_RELR below 2.36: expanded into relative relocations; the marker requirement goes.
    for arch in ["x86_64", "aarch64", "i686", "ppc64le"] {
        let relr =
            std::fs::read(root().join(format!("testdata/bin/{arch}/relr"))).expect("fixture");
        let out = patch::patch_bytes(
            &relr,
            &glibc("2.31"),
            &Options {
                allow_blockers: true,
                ..Options::default()
            },
        )
        .unwrap_or_else(|e| panic!("{arch}/relr: {e}"));
        let out_bytes = out.bytes();
        assert!(out.plan.expand_relr, "{arch}");
        let f = ElfFile::parse(&out_bytes).expect("parse");
        let d = f.dynamic.as_ref().expect("dynamic");
        assert!(
            d.value(object::elf::DT_RELR.0).is_none(),
            "{arch}: DT_RELR left"
        );
        let req = Requirements::of(&f);
        assert!(
            !req.version_requirements()
                .any(|(_, v)| v.name.as_str() == "GLIBC_ABI_DT_RELR"),
            "{arch}: GLIBC_ABI_DT_RELR left"
        );
        let before = elfcompat::elf::ElfFile::parse(&relr).expect("parse");
        let relr_region = before
            .dynamic
            .as_ref()
            .and_then(|d| d.layout.relr)
            .expect("relr");
        assert!(relr_region.size > 0);
    }

    // Already within the baseline: byte-identical.
    let same = patch::patch_bytes(&data, &glibc("2.36"), &Options::default()).expect("noop");
    assert_eq!(same.method, Method::Unchanged);
    assert_eq!(same.bytes(), data);
}

/// A shared library whose tables must grow (pthread_* and dl* move to libpthread.so.0 and
/// libdl.so.2: new strings, new version records) keeps its tables where they are: its
/// program header table moves into the new segment, with a PT_PHDR naming it, instead of
/// pushing out what follows it. Built at test time with the system compiler (GNU ld puts
/// no PT_PHDR in shared libraries); `patch_runtime`'s shared library test runs it.
#[test]
fn shared_library_program_headers_move_with_the_tables() {
    let ok = Command::new("sh")
        .args(["-c", "command -v gcc"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "gcc is required in CI");
        eprintln!("shared_library_program_headers_move_with_the_tables: SKIPPED: no gcc");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let lib = dir.path().join("libruntime.so");
    let built = Command::new("gcc")
        .args(["-O2", "-fPIC", "-shared", "-pthread", "-o"])
        .arg(&lib)
        .arg(root().join("testdata/runtime/libruntime.c"))
        .arg("-ldl")
        .status()
        .expect("gcc");
    assert!(built.success());
    let data = std::fs::read(&lib).expect("library");
    let before = ElfFile::parse(&data).expect("parse input");
    let pt_phdr = object::elf::PT_PHDR.0;
    assert!(
        !before.segments.iter().any(|s| s.p_type == pt_phdr),
        "GNU ld gave the library a PT_PHDR: the case this test is for is gone"
    );
    let out = patch::patch_bytes(&data, &glibc("2.31"), &Options::default()).expect("patch");
    assert_eq!(out.method, Method::Rewrite);
    let bytes = out.bytes();
    let after = ElfFile::parse(&bytes).expect("parse output");
    assert_ne!(after.phoff, before.phoff, "the table moved");
    let phdr = after
        .segments
        .iter()
        .find(|s| s.p_type == pt_phdr)
        .expect("a PT_PHDR for the moved table");
    assert_eq!(phdr.offset, after.phoff);
    assert_eq!(phdr.filesz, 56 * after.segments.len() as u64);
    // The tables stay in the first PT_LOAD (packed into the room the old program header
    // table leaves, where they grew): none of them moved out to the new segment.
    let first = after
        .segments
        .iter()
        .find(|s| s.p_type == object::elf::PT_LOAD.0)
        .expect("a PT_LOAD");
    let d1 = after.dynamic.as_ref().expect("dynamic");
    for (name, region) in [
        ("DT_SYMTAB", d1.layout.symtab),
        ("DT_GNU_HASH", d1.layout.gnu_hash),
        ("DT_STRTAB", d1.layout.strtab),
        ("DT_VERSYM", d1.layout.versym),
        ("DT_VERNEED", d1.layout.verneed),
    ] {
        let r = region.unwrap_or_else(|| panic!("{name}"));
        assert!(
            r.vaddr >= first.vaddr && r.vaddr + r.size <= first.vaddr + first.filesz,
            "{name} at {:#x} left the first PT_LOAD",
            r.vaddr
        );
    }
    let grown = bytes.len() as i64 - data.len() as i64;
    assert!(grown <= 4096, "growth {grown} bytes");
    let findings = patch::verify_output(&bytes, &glibc("2.31"), &out.plan).expect("verify");
    assert!(findings.is_empty(), "{findings:?}");
}
