//! Helpers of the closure tests: what the loader lists for a program, and the same list
//! made from a resolved closure.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::process::Command;

use elfcompat::closure::{Closure, Via};

/// This machine's loader.
pub const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

/// (name, path) pairs as `ld.so --list` prints them: `name => path`, `path` alone when
/// the two are equal, `name => not found`.
pub type Listing = BTreeSet<(String, String)>;

/// What the loader (`LD_TRACE_LOADED_OBJECTS=1 ld.so [--library-path DIR] BIN`)
/// prints for `bin`; `None` when it fails (exit status not 0).
pub fn loader_listing(bin: &Path, library_path: Option<&Path>) -> Option<Listing> {
    let mut cmd = Command::new(LOADER);
    if let Some(lp) = library_path {
        cmd.arg("--library-path").arg(lp);
    }
    // Trace mode, as ldd runs it: `ld.so --list` (2.36) stops at the first library it
    // cannot find, trace mode lists it as "not found" and goes on.
    cmd.arg(bin)
        .env("LD_TRACE_LOADED_OBJECTS", "1")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LD_PRELOAD");
    listing_of(cmd)
}

/// What `LD_TRACE_LOADED_OBJECTS=1 BIN` prints: the program is started by the kernel, so
/// `$ORIGIN` is the loader's view of a directly executed program (symlinks resolved).
/// `library_path` goes into LD_LIBRARY_PATH.
pub fn traced_listing(bin: &Path, library_path: Option<&Path>) -> Option<Listing> {
    let mut cmd = Command::new(bin);
    cmd.env("LD_TRACE_LOADED_OBJECTS", "1")
        .env_remove("LD_PRELOAD");
    match library_path {
        Some(lp) => cmd.env("LD_LIBRARY_PATH", lp),
        None => cmd.env_remove("LD_LIBRARY_PATH"),
    };
    listing_of(cmd)
}

fn listing_of(mut cmd: Command) -> Option<Listing> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(parse_listing(&String::from_utf8_lossy(&out.stdout)))
}

/// The (name, path) pairs of a trace-mode listing.
pub fn parse_listing(text: &str) -> Listing {
    let mut set = Listing::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("linux-vdso.so") {
            continue;
        }
        let strip_addr = |s: &str| match s.rfind(" (0x") {
            Some(i) => s[..i].to_string(),
            None => s.to_string(),
        };
        match line.split_once(" => ") {
            Some((name, rest)) => set.insert((name.to_string(), strip_addr(rest))),
            None => {
                let p = strip_addr(line);
                set.insert((p.clone(), p))
            }
        };
    }
    set
}

/// The same pairs from a one-root closure: each object under the name that loaded it
/// (its first DT_NEEDED edge that was not "already loaded", in load order).
pub fn resolver_listing(c: &Closure) -> Listing {
    let mut set = Listing::new();
    let mut named = HashSet::new();
    for o in &c.objects {
        for n in &o.needed {
            let Some(i) = n.object else { continue };
            if n.via == Via::AlreadyLoaded || !named.insert(i) {
                continue;
            }
            let path = c.objects[i].path.to_string_lossy().into_owned();
            set.insert((n.name.clone(), path));
        }
    }
    for (i, o) in c.objects.iter().enumerate() {
        if o.interp && !named.contains(&i) {
            let p = o.path.to_string_lossy().into_owned();
            set.insert((p.clone(), p));
        }
    }
    for m in &c.missing {
        set.insert((m.name.clone(), "not found".to_string()));
    }
    set
}
