//! libanl's asynchronous lookups lowered by a move: glibc 2.34 moved `getaddrinfo_a`,
//! `gai_error`, `gai_suspend` and `gai_cancel` from libanl.so.1 into libc.so.6 at a new
//! `GLIBC_2.34` version, so a program built on 2.36 imports them from libc; below 2.34 the
//! plan moves each requirement to libanl.so.1 at the architecture's old version (x86_64
//! `GLIBC_2.2.5`, aarch64 `GLIBC_2.17`, i386 `GLIBC_2.2.3`, armhf `GLIBC_2.4`) and adds
//! libanl.so.1 to DT_NEEDED. (On 2.34 and
//! later libanl.so.1 is a stub that keeps the version node and libc the old versions.)
//!
//! `testdata/polyfill/anl.c` (GAI_WAIT; GAI_NOWAIT with SIGEV_NONE and gai_suspend with and
//! without a timeout; SIGEV_THREAD notification; gai_error; gai_cancel; numeric hosts,
//! localhost from /etc/hosts, invalid numeric hosts, numeric services) is built on the host
//! (glibc 2.36), with and without `-lanl` (a 2.36 link names libanl.so.1 then, but still
//! imports libc's 2.34 versions: libanl.so is a stub), patched to 2.17, and run unpatched on
//! 2.36, patched on 2.36 and patched on bullseye's 2.31: the outputs must be identical. The
//! patched file also passes `verify --loader-check`. x86_64 natively; aarch64, i386 and
//! armhf cross-compiled, under qemu-user. (On 32-bit targets a program built with
//! `_TIME_BITS=64` imports `__gai_suspend_time64@GLIBC_2.34`, which has no older version:
//! a blocker, not tested here.)

mod common;

use common::polyfill::{c_toolchain, output, patch_to_2_17, run_on};

use std::path::Path;
use std::process::Command;

const FUNCTIONS: [&str; 4] = ["gai_cancel", "gai_error", "gai_suspend", "getaddrinfo_a"];

#[test]
fn x86_64_getaddrinfo_a_moves_to_libanl() {
    anl("amd64", false);
}

#[test]
fn x86_64_getaddrinfo_a_linked_with_lanl() {
    anl("amd64", true);
}

#[test]
fn aarch64_getaddrinfo_a_moves_to_libanl() {
    anl("arm64", false);
}

#[test]
fn i386_getaddrinfo_a_moves_to_libanl() {
    anl("i386", false);
}

#[test]
fn armhf_getaddrinfo_a_moves_to_libanl() {
    anl("armhf", false);
}

/// `elfcompat report` of `bin`: its text.
fn report(bin: &Path) -> String {
    let mut c = Command::new(common::bin());
    c.arg("report").arg(bin);
    output(c)
}

fn needed(report: &str) -> Vec<String> {
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix("needs: "))
        .map(|l| l.split(", ").map(str::to_string).collect())
        .unwrap_or_default()
}

/// The file and version each of `names` is imported from, by readelf (an independent
/// reader): its `.gnu.version_r` entries by index, and the undefined dynamic symbols with
/// their version index.
fn imported_from(bin: &Path, names: &[&str]) -> Vec<(String, String, String)> {
    let run = |arg: &str| {
        let mut c = Command::new("readelf");
        c.args(["-W", arg]).arg(bin);
        output(c)
    };
    // "  0x0040:   Name: GLIBC_2.2.5  Flags: none  Version: 5" under "File: libanl.so.1".
    let mut by_index = Vec::new();
    let mut file = String::new();
    for l in run("-V").lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        if let Some(i) = w.iter().position(|x| *x == "File:") {
            file = w.get(i + 1).map(|s| s.to_string()).unwrap_or_default();
        } else if let (Some(n), Some(v)) = (
            w.iter().position(|x| *x == "Name:"),
            w.iter().position(|x| *x == "Version:"),
        ) {
            if !file.is_empty() {
                by_index.push((
                    w.get(v + 1).map(|s| s.to_string()).unwrap_or_default(),
                    file.clone(),
                    w.get(n + 1).map(|s| s.to_string()).unwrap_or_default(),
                ));
            }
        }
    }
    let syms = run("--dyn-syms");
    names
        .iter()
        .map(|name| {
            // "    4: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND gai_cancel@GLIBC_2.2.5 (5)"
            let line = syms
                .lines()
                .find(|l| {
                    l.contains(" UND ")
                        && l.split_whitespace()
                            .any(|w| w.split('@').next() == Some(name))
                })
                .unwrap_or_else(|| panic!("{}: no import of {name}", bin.display()));
            let index = line
                .rsplit('(')
                .next()
                .map(|s| s.trim_end_matches(')').to_string())
                .unwrap_or_default();
            let (_, file, version) = by_index
                .iter()
                .find(|(i, _, _)| *i == index)
                .unwrap_or_else(|| panic!("{}: {line}: no verneed {index}", bin.display()));
            (name.to_string(), file.clone(), version.clone())
        })
        .collect()
}

fn anl(arch: &str, link_anl: bool) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let (cross, old_tag) = match arch {
        "amd64" => ("", "GLIBC_2.2.5"),
        "i386" => ("gcc-i686-linux-gnu", "GLIBC_2.2.3"),
        "armhf" => ("gcc-arm-linux-gnueabihf", "GLIBC_2.4"),
        _ => ("gcc-aarch64-linux-gnu", "GLIBC_2.17"),
    };
    if qemu.is_some()
        && !common::polyfill::tools(
            &[cc, qemu.unwrap_or_default()],
            &format!("{cross} qemu-user"),
        )
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("anl");
    let mut c = Command::new(cc);
    c.args(["-O1", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill/anl.c"));
    if link_anl {
        c.args(["-Wl,--no-as-needed", "-lanl"]);
    }
    assert!(c.status().expect("compiler").success(), "{arch}: anl.c");

    // As built: the four from libc at GLIBC_2.34 (with -lanl too).
    for (f, file, version) in imported_from(&bin, &FUNCTIONS) {
        assert_eq!(
            (file.as_str(), version.as_str()),
            ("libc.so.6", "GLIBC_2.34"),
            "{arch}: {f} as built"
        );
    }
    let before = report(&bin);
    assert_eq!(
        needed(&before).contains(&"libanl.so.1".to_string()),
        link_anl,
        "{before}"
    );

    // `check` and the plan say "move" for each, to libanl.so.1 at the old version.
    let mut c = Command::new(common::bin());
    c.args(["check", "--glibc", "2.17"]).arg(&bin);
    let o = c.output().expect("elfcompat check");
    let check = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{check}");
    assert!(check.contains("0 blocker(s)"), "{check}");
    for f in FUNCTIONS {
        let line = check
            .lines()
            .find(|l| l.split_whitespace().next() == Some(f))
            .unwrap_or_else(|| panic!("{arch}: check does not list {f}:\n{check}"));
        assert!(
            line.contains(&format!("fixable: take {old_tag} from libanl.so.1")),
            "{line}"
        );
    }
    let patched = tmp.path().join("anl-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for f in FUNCTIONS {
        let want = format!("GLIBC_2.34 (libc.so.6) -> {old_tag} (libanl.so.1)");
        assert!(
            plan.lines().any(|l| {
                let mut w = l.split_whitespace();
                w.next() == Some("move") && w.next() == Some(f) && l.ends_with(&want)
            }),
            "{arch}: no move of {f}:\n{plan}"
        );
    }
    assert_eq!(
        plan.contains("add       DT_NEEDED libanl.so.1"),
        !link_anl,
        "{plan}"
    );

    // The result: the four at the old version from libanl.so.1, named once in DT_NEEDED.
    for (f, file, version) in imported_from(&patched, &FUNCTIONS) {
        assert_eq!(
            (file.as_str(), version.as_str()),
            ("libanl.so.1", old_tag),
            "{arch}: {f} patched"
        );
    }
    let after = report(&patched);
    assert!(!after.contains("GLIBC_2.34"), "{after}");
    let needs = needed(&after);
    assert_eq!(
        needs.iter().filter(|l| *l == "libanl.so.1").count(),
        1,
        "{after}"
    );
    let mut c = Command::new(common::bin());
    c.args(["verify", "--glibc", "2.17", "--loader-check"])
        .arg(&patched);
    let verify = output(c);

    // Side by side: unpatched on 2.36, patched on 2.36 and on 2.31.
    let under = |glibc: Option<(&str, &str)>, prog: &Path| run_on(qemu, sysroot, glibc, prog);
    let reference = under(None, &bin);
    let lines = reference.lines().count();
    assert!(lines >= 38, "{arch}: {lines} lines:\n{reference}");
    assert!(reference.contains("notified with 4242"), "{reference}");
    assert!(reference.contains("gai_cancel: consistent"), "{reference}");
    assert!(
        reference.contains("300.1.2.3:80 -> EAI_NONAME"),
        "{reference}"
    );
    assert_eq!(under(None, &patched), reference, "{arch}: patched on 2.36");
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        under(Some((&old_loader, &old_libpath)), &patched),
        reference,
        "{arch}: patched on 2.31"
    );
    println!(
        "polyfill_anl: {arch}{}: {lines} lines identical on 2.36 (as built and patched) and \
         2.31 (patched); verify: {}",
        if link_anl { " (-lanl)" } else { "" },
        verify.lines().next().unwrap_or_default()
    );
}
