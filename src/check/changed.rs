//! Symbols whose older versions mean something else: glibc added the new version because
//! an argument or result changed meaning, so re-pointing a reference to an older version
//! would make the program behave differently on the old glibc, silently. For these the
//! older version is no fix; a polyfill that implements the new meaning is, where
//! elfcompat has one (docs/silent-changes.md).

use crate::abi::GlibcVersion;

/// Symbols whose versions before `since` take or return something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedMeaning {
    /// The glibc symbols.
    pub symbols: &'static [&'static str],
    /// The version that changed the meaning.
    pub since: GlibcVersion,
    /// What differs.
    pub why: &'static str,
}

const TERMIOS_SPEED: &str = "glibc 2.42's <termios.h> defines B9600 and the other speeds as \
baud numbers (B9600 == 9600) and its speed functions take and return baud numbers; the older \
versions take and return the CBAUD codes (B9600 == 015): cfsetospeed(t, 9600) fails with \
EINVAL and cfgetospeed returns 13 where the program expects 9600";

const TOTALORDER: &str = "since glibc 2.31 the arguments are pointers (C2x: \
totalorder (const double *, const double *)); the older versions take the values, so they \
compare the pointers' bits";

const FROMFP: &str = "since glibc 2.43 (C23) the result is a floating-point value; the older \
versions return intmax_t / uintmax_t in an integer register, where the program does not look";

const FMEMOPEN: &str = "since glibc 2.22 fmemopen follows POSIX; the older version negates a \
SEEK_END offset, ends the stream at the first NUL unless the mode has \"b\", and starts \
appending at the first NUL";

/// The committed table (docs/repoint-audit.md gives the evidence for each).
pub const CHANGED: &[ChangedMeaning] = &[
    ChangedMeaning {
        symbols: &[
            "cfsetospeed",
            "cfsetispeed",
            "cfsetspeed",
            "cfgetospeed",
            "cfgetispeed",
        ],
        since: GlibcVersion::new(2, 42, 0),
        why: TERMIOS_SPEED,
    },
    ChangedMeaning {
        symbols: &[
            "totalorder",
            "totalorderf",
            "totalorderl",
            "totalorderf32",
            "totalorderf64",
            "totalorderf32x",
            "totalorderf64x",
            "totalorderf128",
            "totalordermag",
            "totalordermagf",
            "totalordermagl",
            "totalordermagf32",
            "totalordermagf64",
            "totalordermagf32x",
            "totalordermagf64x",
            "totalordermagf128",
        ],
        since: GlibcVersion::new(2, 31, 0),
        why: TOTALORDER,
    },
    ChangedMeaning {
        symbols: &[
            "fromfp",
            "fromfpf",
            "fromfpl",
            "fromfpf32",
            "fromfpf64",
            "fromfpf32x",
            "fromfpf64x",
            "fromfpf128",
            "fromfpx",
            "fromfpxf",
            "fromfpxl",
            "fromfpxf32",
            "fromfpxf64",
            "fromfpxf32x",
            "fromfpxf64x",
            "fromfpxf128",
            "ufromfp",
            "ufromfpf",
            "ufromfpl",
            "ufromfpf32",
            "ufromfpf64",
            "ufromfpf32x",
            "ufromfpf64x",
            "ufromfpf128",
            "ufromfpx",
            "ufromfpxf",
            "ufromfpxl",
            "ufromfpxf32",
            "ufromfpxf64",
            "ufromfpxf32x",
            "ufromfpxf64x",
            "ufromfpxf128",
        ],
        since: GlibcVersion::new(2, 43, 0),
        why: FROMFP,
    },
    ChangedMeaning {
        symbols: &["fmemopen"],
        since: GlibcVersion::new(2, 22, 0),
        why: FMEMOPEN,
    },
];

/// The change that makes `older` the wrong version for a reference to `symbol` at
/// `required`: the meaning changed after `older`, at or before `required`.
pub fn changed_between(
    symbol: &str,
    older: GlibcVersion,
    required: GlibcVersion,
) -> Option<&'static ChangedMeaning> {
    CHANGED
        .iter()
        .find(|c| c.symbols.contains(&symbol) && older < c.since && c.since <= required)
}

/// The change a reference to `symbol` at `required` predates: elfcompat's polyfill of
/// `symbol` implements the newer meaning, so it cannot stand in for that reference
/// (`totalorderf128@GLIBC_2.26` takes values, the polyfill pointers).
pub fn predates(symbol: &str, required: GlibcVersion) -> Option<&'static ChangedMeaning> {
    CHANGED
        .iter()
        .find(|c| c.symbols.contains(&symbol) && required < c.since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_across_the_change() {
        let v = |m| GlibcVersion::new(2, m, 0);
        assert!(changed_between("cfsetospeed", v(2), v(42)).is_some());
        assert!(changed_between("cfsetospeed", v(2), v(41)).is_none());
        assert!(changed_between("cfsetospeed", v(42), v(43)).is_none());
        assert!(changed_between("memcpy", v(2), v(14)).is_none());
        assert!(changed_between("totalorderf128", v(25), v(31)).is_some());
        assert!(predates("totalorderf128", v(26)).is_some());
        assert!(predates("totalorderf128", v(31)).is_none());
        assert!(changed_between("fmemopen", v(2), v(22)).is_some());
    }
}
