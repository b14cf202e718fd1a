//! Wrappers: glibc functions that every baseline has, whose meaning a newer glibc header
//! extended without a new symbol version. A program built against the newer headers passes
//! the old function arguments it refuses, and nothing in the version tables shows it
//! (docs/silent-changes.md lists the class and what elfcompat does for each member).
//! When lowering below the release that extended a function, the binary's references are
//! bound to elfcompat's wrapper (`polyfill/src/wrap_*.c`), which asks the real function
//! first and supplies the newer answer only where the older glibc refuses.

use crate::abi::GlibcVersion;

/// One wrapped function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrapper {
    /// The glibc function the binary imports.
    pub symbol: &'static str,
    /// Its library.
    pub library: &'static str,
    /// The release whose headers gave it new arguments.
    pub since: GlibcVersion,
    /// What the wrapper restores, for the plan's note.
    pub why: &'static str,
}

/// The committed table of wrappers.
pub const WRAPPERS: &[Wrapper] = &[Wrapper {
    symbol: "sysconf",
    library: "libc.so.6",
    since: GlibcVersion::new(2, 34, 0),
    why: "sysconf wrapped: since glibc 2.34, SIGSTKSZ and MINSIGSTKSZ (with _GNU_SOURCE) are \
          sysconf (_SC_SIGSTKSZ) / sysconf (_SC_MINSIGSTKSZ), which an older sysconf refuses \
          with -1; the wrapper answers them as glibc 2.34 does (from the kernel's \
          AT_MINSIGSTKSZ, else the architecture's signal frame size) and passes every other \
          name to the real sysconf",
}];

/// The wrapper of `symbol` from `library` that a baseline below its release needs.
pub fn wrapper_for(
    symbol: &str,
    library: &str,
    baseline: GlibcVersion,
) -> Option<&'static Wrapper> {
    WRAPPERS
        .iter()
        .find(|w| w.symbol == symbol && w.library == library && baseline < w.since)
}
