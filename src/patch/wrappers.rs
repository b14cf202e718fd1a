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
    /// Only on these e_machines (empty: everywhere).
    pub machines: &'static [u16],
    /// The release from which the function understands what newer headers pass it.
    pub since: GlibcVersion,
    /// What the wrapper restores, for the plan's note.
    pub why: &'static str,
}

const SYSCONF: &str = "sysconf wrapped: since glibc 2.34, SIGSTKSZ and MINSIGSTKSZ (with \
_GNU_SOURCE) are sysconf (_SC_SIGSTKSZ), which an older sysconf refuses with -1; the wrapper \
answers _SC_SIGSTKSZ and _SC_MINSIGSTKSZ as glibc 2.34 does (from the kernel's \
AT_MINSIGSTKSZ, else the architecture's signal frame size) and passes every other name to the \
real sysconf";

const OPEN_TMPFILE: &str = "wrapped for O_TMPFILE: before glibc 2.22 this function read its \
mode argument only for O_CREAT, so an O_TMPFILE file got mode 0000; the wrapper makes O_TMPFILE \
opens itself with the mode (one openat system call, not a cancellation point) and passes every \
other open to the real function";

const FCHMODAT: &str = "wrapped for AT_SYMLINK_NOFOLLOW: before glibc 2.32 fchmodat refused \
the flag (ENOTSUP) and lchmod was a stub (ENOSYS); the wrapper changes the mode through an \
O_PATH descriptor and /proc/self/fd as 2.32 does (EOPNOTSUPP for a symbolic link, or where \
/proc is not mounted)";

const STATVFS: &str = "wrapped for f_type: glibc 2.39 added the file system's type to \
struct statvfs, where older releases leave zeroed bytes; the wrapper fills it from statfs";

/// aarch64's open and open64 were C functions (it has no open system call).
const AARCH64: &[u16] = &[object::elf::EM_AARCH64.0];
/// open64 was also a C function on the 32-bit architectures (sysdeps/unix/sysv/linux/
/// open64.c, which read the mode only for O_CREAT); elsewhere it was open's system-call stub.
const AARCH64_AND_32_BIT: &[u16] = &[
    object::elf::EM_AARCH64.0,
    object::elf::EM_386.0,
    object::elf::EM_ARM.0,
];

/// The committed table of wrappers.
pub const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        symbol: "sysconf",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 34, 0),
        why: SYSCONF,
    },
    // open (everywhere but aarch64) and open64 (on the 64-bit architectures) were
    // system-call stubs that pass the mode register through.
    Wrapper {
        symbol: "openat",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 22, 0),
        why: OPEN_TMPFILE,
    },
    Wrapper {
        symbol: "openat64",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 22, 0),
        why: OPEN_TMPFILE,
    },
    Wrapper {
        symbol: "open",
        library: "libc.so.6",
        machines: AARCH64,
        since: GlibcVersion::new(2, 22, 0),
        why: OPEN_TMPFILE,
    },
    Wrapper {
        symbol: "open64",
        library: "libc.so.6",
        machines: AARCH64_AND_32_BIT,
        since: GlibcVersion::new(2, 22, 0),
        why: OPEN_TMPFILE,
    },
    Wrapper {
        symbol: "fchmodat",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 32, 0),
        why: FCHMODAT,
    },
    Wrapper {
        symbol: "lchmod",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 32, 0),
        why: FCHMODAT,
    },
    Wrapper {
        symbol: "statvfs",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 39, 0),
        why: STATVFS,
    },
    Wrapper {
        symbol: "statvfs64",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 39, 0),
        why: STATVFS,
    },
    Wrapper {
        symbol: "fstatvfs",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 39, 0),
        why: STATVFS,
    },
    Wrapper {
        symbol: "fstatvfs64",
        library: "libc.so.6",
        machines: &[],
        since: GlibcVersion::new(2, 39, 0),
        why: STATVFS,
    },
];

/// The wrapper of `symbol` from `library` that a baseline below its release needs on
/// `machine`.
pub fn wrapper_for(
    symbol: &str,
    library: &str,
    machine: u16,
    baseline: GlibcVersion,
) -> Option<&'static Wrapper> {
    WRAPPERS.iter().find(|w| {
        w.symbol == symbol
            && w.library == library
            && (w.machines.is_empty() || w.machines.contains(&machine))
            && baseline < w.since
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_machine_and_release() {
        let v = |m| GlibcVersion::new(2, m, 0);
        let x86 = object::elf::EM_X86_64.0;
        let arm = object::elf::EM_AARCH64.0;
        assert!(wrapper_for("sysconf", "libc.so.6", x86, v(31)).is_some());
        assert!(wrapper_for("sysconf", "libc.so.6", x86, v(34)).is_none());
        assert!(wrapper_for("open", "libc.so.6", x86, v(17)).is_none());
        assert!(wrapper_for("open", "libc.so.6", arm, v(17)).is_some());
        assert!(wrapper_for("openat", "libc.so.6", x86, v(22)).is_none());
        let i386 = object::elf::EM_386.0;
        assert!(wrapper_for("open", "libc.so.6", i386, v(17)).is_none());
        assert!(wrapper_for("open64", "libc.so.6", i386, v(17)).is_some());
        assert!(wrapper_for("open64", "libc.so.6", x86, v(17)).is_none());
    }
}
