//! Renames: symbols of newer glibc releases that an older, differently named symbol
//! implements with the same ABI. Each rule says why the semantics match or how they differ.

/// One rename rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The symbol a new toolchain references.
    pub from: &'static str,
    /// The older symbol with the same calling convention.
    pub to: &'static str,
    /// Only on 64-bit targets (where `off_t` and `off64_t` are the same type).
    pub only_64bit: bool,
    /// Why it is safe, or what differs.
    pub why: &'static str,
}

const C23_NOTE: &str = "glibc 2.38's C23 variant; identical except that it also accepts the \
C23 0b/0B binary prefix, which the older function parses as 0 followed by the letter b";
const SCANF_NOTE: &str = "glibc 2.38's C23 variant; identical except that %i and integer \
conversions also accept the C23 0b/0B binary prefix";

const RESOLV_NOTE: &str = "<resolv.h> before glibc 2.34 defined NAME as a macro for __NAME, \
exported by libresolv; 2.34 exported the plain name from libc: the same function";

impl Rename {
    /// Whether the older symbol differs in some input (the C23 `0b` prefix): a polyfill
    /// with the exact meaning is preferred where one exists.
    pub fn approximate(&self) -> bool {
        self.why == C23_NOTE || self.why == SCANF_NOTE
    }
}

/// The committed table of equivalent symbols.
pub const RENAMES: &[Rename] = &[
    Rename {
        from: "__isoc23_strtol",
        to: "strtol",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoul",
        to: "strtoul",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoll",
        to: "strtoll",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoull",
        to: "strtoull",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoimax",
        to: "strtoimax",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoumax",
        to: "strtoumax",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstol",
        to: "wcstol",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoul",
        to: "wcstoul",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoll",
        to: "wcstoll",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoull",
        to: "wcstoull",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoimax",
        to: "wcstoimax",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoumax",
        to: "wcstoumax",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtol_l",
        to: "strtol_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoul_l",
        to: "strtoul_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoll_l",
        to: "strtoll_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_strtoull_l",
        to: "strtoull_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_sscanf",
        to: "__isoc99_sscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_scanf",
        to: "__isoc99_scanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_fscanf",
        to: "__isoc99_fscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vsscanf",
        to: "__isoc99_vsscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vscanf",
        to: "__isoc99_vscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vfscanf",
        to: "__isoc99_vfscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_swscanf",
        to: "__isoc99_swscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_wscanf",
        to: "__isoc99_wscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_fwscanf",
        to: "__isoc99_fwscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vswscanf",
        to: "__isoc99_vswscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vwscanf",
        to: "__isoc99_vwscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "__isoc23_vfwscanf",
        to: "__isoc99_vfwscanf",
        only_64bit: false,
        why: SCANF_NOTE,
    },
    Rename {
        from: "dn_expand",
        to: "__dn_expand",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "dn_skipname",
        to: "__dn_skipname",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "dn_comp",
        to: "__dn_comp",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_query",
        to: "__res_query",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_search",
        to: "__res_search",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_querydomain",
        to: "__res_querydomain",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_mkquery",
        to: "__res_mkquery",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_send",
        to: "__res_send",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_nquery",
        to: "__res_nquery",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_nsearch",
        to: "__res_nsearch",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_nquerydomain",
        to: "__res_nquerydomain",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_nmkquery",
        to: "__res_nmkquery",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "res_nsend",
        to: "__res_nsend",
        only_64bit: false,
        why: RESOLV_NOTE,
    },
    Rename {
        from: "__signgam",
        to: "signgam",
        only_64bit: false,
        why: "glibc 2.23 added __signgam as the ISO C name of the same variable signgam \
              always was (lgamma's sign); both name one object in libm",
    },
    Rename {
        from: "fcntl64",
        to: "fcntl",
        only_64bit: true,
        why: "on 64-bit targets fcntl64 (2.28) and fcntl share the ABI; they differ only for \
              F_GETOWN of a process group, which fcntl64 answers through F_GETOWN_EX",
    },
];

/// The rename rule for a symbol on a target of the given word size.
pub fn rename_for(symbol: &str, is_64bit: bool) -> Option<&'static Rename> {
    RENAMES
        .iter()
        .find(|r| r.from == symbol && (is_64bit || !r.only_64bit))
}
