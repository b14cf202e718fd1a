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

impl Equivalent {
    /// Whether the older symbol differs in some input (the C23 `0b` prefix): a polyfill
    /// with the exact meaning is preferred where one exists.
    pub fn approximate(&self) -> bool {
        self.why == C23_NOTE || self.why == SCANF_NOTE
    }
}
const RESOLV_OK_NOTE: &str = "<resolv.h> before glibc 2.34 defined NAME as a macro for __NAME, \
exported by libresolv; 2.34 exported the plain name from libc. Releases before 2.26 check the \
text form of the name and accept some that are longer than a DNS name may be (over 255 bytes), \
which later releases, checking the binary form, refuse";

const FTS64_NOTE: &str = "glibc 2.23's fts64_* are io/fts.c compiled with stat64, ino64_t and \
FTSENT64 (io/fts64.c), which on 64-bit targets are the types of fts_*: the same code and layout";

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
        from: "res_hnok",
        to: "__res_hnok",
        only_64bit: false,
        why: RESOLV_OK_NOTE,
    },
    Rename {
        from: "res_dnok",
        to: "__res_dnok",
        only_64bit: false,
        why: RESOLV_OK_NOTE,
    },
    Rename {
        from: "res_mailok",
        to: "__res_mailok",
        only_64bit: false,
        why: RESOLV_OK_NOTE,
    },
    Rename {
        from: "res_ownok",
        to: "__res_ownok",
        only_64bit: false,
        why: RESOLV_OK_NOTE,
    },
    Rename {
        from: "__signgam",
        to: "signgam",
        only_64bit: false,
        why: "glibc 2.23 added __signgam as the ISO C name of the same variable signgam \
              always was (lgamma's sign); both name one object in libm",
    },
    Rename {
        from: "__isoc23_wcstol_l",
        to: "wcstol_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoul_l",
        to: "wcstoul_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoll_l",
        to: "wcstoll_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__isoc23_wcstoull_l",
        to: "wcstoull_l",
        only_64bit: false,
        why: C23_NOTE,
    },
    Rename {
        from: "__memcmpeq",
        to: "memcmp",
        only_64bit: false,
        why: "glibc 2.35 defines __memcmpeq as an alias of memcmp (string/memcmp.c, \
              sysdeps/*/memcmp.S): the same function; callers only test the result for zero",
    },
    Rename {
        from: "free_sized",
        to: "free",
        only_64bit: false,
        why: "glibc 2.43's free_sized ignores the size and calls free (malloc/malloc.c); the \
              extra argument is ignored by free under the C calling convention",
    },
    Rename {
        from: "free_aligned_sized",
        to: "free",
        only_64bit: false,
        why: "glibc 2.43's free_aligned_sized ignores alignment and size and calls free \
              (malloc/malloc.c); the extra arguments are ignored by free under the C calling \
              convention",
    },
    Rename {
        from: "fts64_open",
        to: "fts_open",
        only_64bit: true,
        why: FTS64_NOTE,
    },
    Rename {
        from: "fts64_close",
        to: "fts_close",
        only_64bit: true,
        why: FTS64_NOTE,
    },
    Rename {
        from: "fts64_read",
        to: "fts_read",
        only_64bit: true,
        why: FTS64_NOTE,
    },
    Rename {
        from: "fts64_set",
        to: "fts_set",
        only_64bit: true,
        why: FTS64_NOTE,
    },
    Rename {
        from: "fts64_children",
        to: "fts_children",
        only_64bit: true,
        why: FTS64_NOTE,
    },
    Rename {
        from: "fcntl64",
        to: "fcntl",
        only_64bit: true,
        why: "on 64-bit targets fcntl64 (2.28) and fcntl share the ABI; they differ only for \
              F_GETOWN of a process group, which fcntl64 answers through F_GETOWN_EX",
    },
    // 32-bit targets only (glibc has no __*_time64 names where time_t is 64-bit).
    Rename {
        from: "__fcntl_time64",
        to: "fcntl64",
        only_64bit: false,
        why: "glibc 2.34's _TIME_BITS=64 name of fcntl is another name of fcntl64 (2.28): \
              weak_alias (__libc_fcntl64, __fcntl_time64) in sysdeps/unix/sysv/linux/fcntl64.c; \
              no fcntl command passes a time_t",
    },
    Rename {
        from: "__ioctl_time64",
        to: "ioctl",
        only_64bit: false,
        why: "glibc 2.34's _TIME_BITS=64 name of ioctl is another name of ioctl (strong_alias \
              (__ioctl, __ioctl_time64) in sysdeps/unix/sysv/linux/ioctl.c), and older releases' \
              ioctl is the same plain system call",
    },
    Rename {
        from: "__prctl_time64",
        to: "prctl",
        only_64bit: false,
        why: "glibc 2.34's _TIME_BITS=64 name of prctl is another name of prctl (weak_alias \
              (__prctl, __prctl_time64) in sysdeps/unix/sysv/linux/prctl.c), and older \
              releases' prctl is the same plain system call",
    },
];

/// An equivalent older symbol: from the table, or a `_FloatN`/`_FloatNx` name of a
/// float, double or long double function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivalent {
    /// The older symbol with the same calling convention.
    pub to: String,
    /// Why it is the same function.
    pub why: String,
}

/// The C type each `_FloatN`/`_FloatNx` type is on an architecture (glibc's
/// `bits/floatn.h`): `_Float32` is float, `_Float64` and `_Float32x` double everywhere;
/// `_Float64x` is long double where long double is wider than double (x86's 80-bit
/// extended, IEEE binary128 on aarch64, s390x and riscv64), and `_Float128` is long
/// double only where long double is binary128.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum CType {
    Float,
    Double,
    LongDouble,
}

fn float_type(suffix: &str, machine: u16) -> Option<CType> {
    use object::elf::*;
    let ld_binary128 = [EM_AARCH64.0, EM_S390.0, EM_RISCV.0].contains(&machine);
    let ld_extended = [EM_X86_64.0, EM_386.0].contains(&machine);
    match suffix {
        "32" => Some(CType::Float),
        "64" | "32x" => Some(CType::Double),
        "64x" if ld_binary128 || ld_extended => Some(CType::LongDouble),
        "128" if ld_binary128 => Some(CType::LongDouble),
        _ => None,
    }
}

/// glibc's math library defines every `_FloatN` function of a type that is float, double
/// or long double as an alias of that type's function (`libm_alias_float`,
/// `libm_alias_double`, `libm_alias_ldouble`; strto/wcsto/strfrom likewise in stdlib).
fn float_alias(symbol: &str, machine: u16) -> Option<Equivalent> {
    // The name ends in fN, fNx (math), or has it before _l / _r (strtofN_l, lgammafN_r).
    let (stem, tail) = match symbol.rsplit_once('_') {
        Some((s, t @ ("l" | "r"))) => (s, Some(t)),
        _ => (symbol, None),
    };
    let (base, suffix) = ["32x", "64x", "128", "32", "64"].iter().find_map(|n| {
        let b = stem.strip_suffix(n)?.strip_suffix('f')?;
        Some((b, *n))
    })?;
    if base.is_empty() {
        return None;
    }
    let ty = float_type(suffix, machine)?;
    // strtod, strtold; strfromd, strfroml; wcstod, wcstold; otherwise sin, sinf, sinl.
    let letter = match (base, ty) {
        ("strto" | "wcsto", CType::Float) => "f",
        ("strto" | "wcsto", CType::Double) => "d",
        ("strto" | "wcsto", CType::LongDouble) => "ld",
        ("strfrom", CType::Float) => "f",
        ("strfrom", CType::Double) => "d",
        ("strfrom", CType::LongDouble) => "l",
        (_, CType::Float) => "f",
        (_, CType::Double) => "",
        (_, CType::LongDouble) => "l",
    };
    let to = match tail {
        Some(t) => format!("{base}{letter}_{t}"),
        None => format!("{base}{letter}"),
    };
    let name = match ty {
        CType::Float => "float",
        CType::Double => "double",
        CType::LongDouble => "long double",
    };
    Some(Equivalent {
        why: format!(
            "_Float{suffix} is {name} on this architecture, and glibc defines {symbol} as another name \
             of {to} (libm_alias_*): the same function"
        ),
        to,
    })
}

/// The equivalent older symbol of `symbol` on a target (ELF machine, word size), if any.
pub fn equivalent(symbol: &str, is_64bit: bool, machine: u16) -> Option<Equivalent> {
    if let Some(r) = rename_for(symbol, is_64bit) {
        return Some(Equivalent {
            to: r.to.to_string(),
            why: r.why.to_string(),
        });
    }
    float_alias(symbol, machine)
}

/// The rename rule for a symbol on a target of the given word size.
pub fn rename_for(symbol: &str, is_64bit: bool) -> Option<&'static Rename> {
    RENAMES
        .iter()
        .find(|r| r.from == symbol && (is_64bit || !r.only_64bit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::elf::{EM_AARCH64, EM_PPC64, EM_X86_64};

    #[test]
    fn float_names_by_architecture() {
        let to = |s: &str, m: u16| equivalent(s, true, m).map(|e| e.to);
        let x = EM_X86_64.0;
        let a = EM_AARCH64.0;
        assert_eq!(to("sinf32", x).as_deref(), Some("sinf"));
        assert_eq!(to("sinf64", x).as_deref(), Some("sin"));
        assert_eq!(to("sinf32x", a).as_deref(), Some("sin"));
        assert_eq!(to("sinf64x", x).as_deref(), Some("sinl"));
        assert_eq!(
            to("sinf128", x),
            None,
            "x86_64's long double is not binary128"
        );
        assert_eq!(to("sinf128", a).as_deref(), Some("sinl"));
        assert_eq!(to("sinf64x", a).as_deref(), Some("sinl"));
        assert_eq!(
            to("sinf128", EM_PPC64.0),
            None,
            "ppc64's long double is IBM's"
        );
        assert_eq!(to("strtof64", x).as_deref(), Some("strtod"));
        assert_eq!(to("strtof128_l", a).as_deref(), Some("strtold_l"));
        assert_eq!(to("wcstof32", x).as_deref(), Some("wcstof"));
        assert_eq!(to("strfromf64x", x).as_deref(), Some("strfroml"));
        assert_eq!(to("lgammaf64_r", x).as_deref(), Some("lgamma_r"));
        assert_eq!(to("cabsf32", x).as_deref(), Some("cabsf"));
        // Not float names.
        assert_eq!(to("f32", x), None);
        assert_eq!(to("inet6_rth_init", x), None);
        assert_eq!(to("fts64_open", x).as_deref(), Some("fts_open"));
        assert_eq!(equivalent("fts64_open", false, x), None);
    }
}
