//! Behaviour that changed without a new symbol version, where elfcompat can neither see
//! the use nor wrap the function yet: each imported function of the table gets a note in
//! `check` and in the plan when the baseline is below the release that changed it
//! (docs/silent-changes.md has the evidence).

use crate::abi::GlibcVersion;
use crate::versym::Requirements;

/// One note: the functions it concerns, the release, what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportNote {
    /// The glibc functions.
    pub symbols: &'static [&'static str],
    /// The release that changed the behaviour.
    pub since: GlibcVersion,
    /// What an older glibc does differently.
    pub what: &'static str,
}

/// The committed table.
pub const IMPORT_NOTES: &[ImportNote] = &[
    ImportNote {
        symbols: &["posix_spawn", "posix_spawnp"],
        since: GlibcVersion::new(2, 24, 0),
        what: "when the program cannot be executed, an older glibc returns 0 and the child \
               exits with status 127, instead of returning the error (ENOENT, EACCES, ...)",
    },
    ImportNote {
        symbols: &["posix_spawnattr_setflags"],
        since: GlibcVersion::new(2, 26, 0),
        what: "an older glibc refuses POSIX_SPAWN_SETSID with EINVAL",
    },
    ImportNote {
        symbols: &["sched_setaffinity", "pthread_setaffinity_np"],
        since: GlibcVersion::new(2, 23, 0),
        what: "an older glibc fails with EINVAL for a CPU mask larger than the kernel's \
               (such as a full CPU_SETSIZE mask)",
    },
    ImportNote {
        symbols: &["fexecve"],
        since: GlibcVersion::new(2, 34, 0),
        what: "an older glibc executes through /proc/self/fd, which fails where /proc is \
               not mounted",
    },
    ImportNote {
        symbols: &["dlinfo"],
        since: GlibcVersion::new(2, 36, 0),
        what: "an older glibc refuses RTLD_DI_PHDR (\"unsupported dlinfo request\")",
    },
    ImportNote {
        symbols: &["tcgetattr"],
        since: GlibcVersion::new(2, 42, 0),
        what: "c_ispeed and c_ospeed hold CBAUD codes (B9600 == 015) on an older glibc, \
               not the baud numbers a program built against 2.42 reads there",
    },
];

/// The notes for the functions `req` imports, below their releases. Only for a file that
/// needs the release that changed the behaviour (or a later one): it was built against
/// headers at least that new; one built against older headers gets the old behaviour
/// everywhere, as it was written for.
pub fn import_notes(req: &Requirements, baseline: GlibcVersion) -> Vec<String> {
    let newest = req.newest_glibc();
    IMPORT_NOTES
        .iter()
        .filter(|n| baseline < n.since && newest.is_some_and(|v| v >= n.since))
        .filter_map(|n| {
            let used: Vec<&str> = n
                .symbols
                .iter()
                .copied()
                .filter(|s| req.imports.iter().any(|i| i.name == *s))
                .collect();
            (!used.is_empty()).then(|| {
                format!(
                    "{} (glibc {} changed it, no symbol version shows it): {}",
                    used.join(", "),
                    n.since,
                    n.what.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
        })
        .collect()
}
