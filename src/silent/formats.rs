//! Format strings that only a newer glibc understands: printf's `%b`/`%B` (2.35), `%#m`
//! (2.35) and `%wN`/`%wfN` (2.38), scanf's `%b` (2.38) and `%wN` (2.39), strftime's
//! `%Ob`/`%OB`/`%Oh` (2.27). An older glibc prints such a conversion literally and consumes
//! no argument for it, so every later argument shifts (a `%s` after `%b` reads an integer
//! as a pointer). The functions keep their versions, so only the strings show it: they are
//! found in the file's read-only bytes, parsed as formats of each family the binary
//! imports, and reported as notes, since a string that parses as a format may be used as
//! something else, and a format built at run time cannot be seen.

use crate::abi::GlibcVersion;
use crate::elf::ElfFile;
use crate::versym::Requirements;

/// One kind of conversion seen in the file's strings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FormatUse {
    /// `printf`, `scanf` or `strftime`.
    pub family: &'static str,
    /// The conversion: `%b`, `%wN`, ...
    pub conversion: &'static str,
    /// The release that introduced it.
    pub since: String,
    /// The first string that uses it (shortened).
    pub example: String,
    /// How many strings use it.
    pub strings: usize,
}

impl FormatUse {
    /// A line for the plan's and check's notes.
    pub fn note(&self) -> String {
        format!(
            "{} strings in the file use {} ({} of them; e.g. {:?}), which glibc before {} does not understand: if one reaches a {} function, the output differs (it prints the conversion literally and later arguments shift); elfcompat cannot tell whether it does",
            self.family, self.conversion, self.strings, self.example, self.since, self.family
        )
    }
}

/// The printf-family functions: a file that imports one has its strings parsed as printf
/// formats.
pub const PRINTF: &[&str] = &[
    "printf",
    "fprintf",
    "sprintf",
    "snprintf",
    "vprintf",
    "vfprintf",
    "vsprintf",
    "vsnprintf",
    "dprintf",
    "vdprintf",
    "asprintf",
    "vasprintf",
    "__printf_chk",
    "__fprintf_chk",
    "__sprintf_chk",
    "__snprintf_chk",
    "__vprintf_chk",
    "__vfprintf_chk",
    "__vsprintf_chk",
    "__vsnprintf_chk",
    "__dprintf_chk",
    "__vdprintf_chk",
    "__asprintf_chk",
    "__vasprintf_chk",
    "syslog",
    "vsyslog",
    "__syslog_chk",
    "__vsyslog_chk",
    "err",
    "errx",
    "warn",
    "warnx",
    "verr",
    "verrx",
    "vwarn",
    "vwarnx",
    "error",
    "error_at_line",
    "obstack_printf",
    "obstack_vprintf",
    "__obstack_printf_chk",
    "__obstack_vprintf_chk",
];
/// The scanf-family functions.
pub const SCANF: &[&str] = &[
    "scanf",
    "fscanf",
    "sscanf",
    "vscanf",
    "vfscanf",
    "vsscanf",
    "__isoc99_scanf",
    "__isoc99_fscanf",
    "__isoc99_sscanf",
    "__isoc99_vscanf",
    "__isoc99_vfscanf",
    "__isoc99_vsscanf",
    "__isoc23_scanf",
    "__isoc23_fscanf",
    "__isoc23_sscanf",
    "__isoc23_vscanf",
    "__isoc23_vfscanf",
    "__isoc23_vsscanf",
];
/// The strftime-family functions.
pub const STRFTIME: &[&str] = &["strftime", "strftime_l", "strptime", "strptime_l"];

/// The order is [`may_use_newer`]'s.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Family {
    Printf,
    Scanf,
    Strftime,
}

/// (family, conversion, release) of each newer conversion.
const NEWER: &[(Family, &str, GlibcVersion)] = &[
    (Family::Printf, "%b/%B", GlibcVersion::new(2, 35, 0)),
    (Family::Printf, "%#m", GlibcVersion::new(2, 35, 0)),
    (Family::Printf, "%wN/%wfN", GlibcVersion::new(2, 38, 0)),
    (Family::Scanf, "%b", GlibcVersion::new(2, 38, 0)),
    (Family::Scanf, "%wN/%wfN", GlibcVersion::new(2, 39, 0)),
    (Family::Strftime, "%Ob/%OB/%Oh", GlibcVersion::new(2, 27, 0)),
];

/// The newer conversions the file's strings use, for the families it imports, that
/// `baseline` lacks.
pub fn format_uses(
    file: &ElfFile<'_>,
    req: &Requirements,
    baseline: GlibcVersion,
) -> Vec<FormatUse> {
    let imports = |names: &[&str]| req.imports.iter().any(|i| names.contains(&&*i.name));
    let families: Vec<Family> = [
        (Family::Printf, imports(PRINTF)),
        (Family::Scanf, imports(SCANF)),
        (Family::Strftime, imports(STRFTIME)),
    ]
    .into_iter()
    .filter(|(f, imported)| {
        *imported
            && NEWER
                .iter()
                .any(|(g, _, since)| g == f && baseline < *since)
    })
    .map(|(f, _)| f)
    .collect();
    if families.is_empty() {
        return Vec::new();
    }
    let strftime_imported = imports(STRFTIME);
    let mut out: Vec<FormatUse> = Vec::new();
    let wanted = |s: &[u8]| {
        let may = may_use_newer(s);
        families.iter().any(|&f| may[f as usize])
    };
    for s in strings_with_percent(file, &wanted) {
        let may = may_use_newer(s);
        for &family in &families {
            if !may[family as usize] {
                continue;
            }
            let Some(found) = parse(family, s) else {
                continue;
            };
            // A string that is also a valid strftime format ("%b %d") is most likely one,
            // unless its %b carries printf's flags or width ("%08b").
            if family == Family::Printf
                && strftime_imported
                && parse(Family::Strftime, s).is_some()
                && !decorated_b(s)
            {
                continue;
            }
            for conversion in found {
                let Some((_, _, since)) = NEWER
                    .iter()
                    .find(|(f, c, since)| *f == family && *c == conversion && baseline < *since)
                else {
                    continue;
                };
                match out
                    .iter_mut()
                    .find(|u| u.conversion == conversion && u.family == family.name())
                {
                    Some(u) => u.strings += 1,
                    None => out.push(FormatUse {
                        family: family.name(),
                        conversion,
                        since: since.to_string(),
                        example: shorten(s),
                        strings: 1,
                    }),
                }
            }
        }
    }
    out
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Printf => "printf",
            Family::Scanf => "scanf",
            Family::Strftime => "strftime",
        }
    }
}

fn shorten(s: &[u8]) -> String {
    let text = String::from_utf8_lossy(s);
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.into_owned(),
    }
}

/// Each NUL-terminated run of text in the file's read-only loaded bytes that holds a '%',
/// of those `wanted` accepts.
fn strings_with_percent<'a>(
    file: &'a ElfFile<'a>,
    wanted: &dyn Fn(&[u8]) -> bool,
) -> Vec<&'a [u8]> {
    const PF_W: u32 = 2;
    let read_only =
        |s: &&crate::elf::Segment| s.p_type == object::elf::PT_LOAD.0 && s.flags & PF_W == 0;
    let mut out = Vec::new();
    // The section headers say which bytes are data that may be text: not code, not the
    // loader's tables (symbols, their names, hashes, versions, relocations, notes).
    let sections = file.sections();
    // Without them, an executable segment is skipped when a data segment holds the strings.
    let data_segment = file
        .segments
        .iter()
        .filter(read_only)
        .any(|s| s.flags & PF_X == 0);
    for seg in file.segments.iter().filter(read_only) {
        let (Ok(start), Ok(len)) = (usize::try_from(seg.offset), usize::try_from(seg.filesz))
        else {
            continue;
        };
        let Some(bytes) = start
            .checked_add(len)
            .and_then(|end| file.data.get(start..end))
        else {
            continue;
        };
        let windows = match data_windows(&sections, start, bytes.len()) {
            Some(w) => w,
            None if seg.flags & PF_X != 0 && data_segment => continue,
            None => vec![(0, bytes.len())],
        };
        percent_runs(bytes, &windows, wanted, &mut out);
    }
    out
}

const PF_X: u32 = 1;

/// The parts of a read-only segment (file bytes `start..start + len`) that its section
/// headers say hold data that may be text, relative to `start`, in order: those of each
/// allocated, read-only section without SHF_EXECINSTR (`.rodata`, also where the linker
/// put it with the code) that is not one of the loader's binary tables nor the unwinder's
/// (`.eh_frame` and its kin: a fifth of the read-only data of /usr/lib on Debian 12).
/// None without section headers.
///
/// Strings live there: scanning the code too finds a '%' in every few hundred bytes of
/// x86 code (0x25 is `and $imm32, %eax` and part of many encodings), each one looked at
/// and walked back from, and reads every page of the code.
fn data_windows(
    sections: &[crate::elf::SectionInfo],
    start: usize,
    len: usize,
) -> Option<Vec<(usize, usize)>> {
    use object::elf::*;
    // No bytes in the file, or the loader's binary tables.
    const TABLES: [u32; 14] = [
        SHT_NOBITS.0,
        SHT_DYNSYM.0,
        SHT_SYMTAB.0,
        SHT_STRTAB.0,
        SHT_HASH.0,
        SHT_GNU_HASH.0,
        SHT_RELA.0,
        SHT_REL.0,
        SHT_RELR.0,
        SHT_GNU_VERSYM.0,
        SHT_GNU_VERDEF.0,
        SHT_GNU_VERNEED.0,
        SHT_NOTE.0,
        SHT_DYNAMIC.0,
    ];
    if sections.is_empty() {
        return None;
    }
    let mut w: Vec<(usize, usize)> = sections
        .iter()
        .filter(|s| {
            s.flags & (SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR).0 == SHF_ALLOC.0
                && !TABLES.contains(&s.sh_type)
                && !s.unwind
        })
        .filter_map(|s| {
            let lo = usize::try_from(s.offset).ok()?;
            let hi = lo.checked_add(usize::try_from(s.size).ok()?)?;
            let (lo, hi) = (
                lo.max(start) - start,
                hi.min(start + len).checked_sub(start)?,
            );
            (lo < hi).then_some((lo, hi))
        })
        .collect();
    w.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(w.len());
    for (lo, hi) in w {
        match merged.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Some(merged)
}

/// The runs of [`strings_with_percent`] in one segment's `bytes` whose first '%' lies in
/// one of `windows` (ascending, disjoint): a run is bounded by the segment's bytes, not
/// the window's, so a window cuts no string short.
fn percent_runs<'a>(
    bytes: &'a [u8],
    windows: &[(usize, usize)],
    wanted: &dyn Fn(&[u8]) -> bool,
    out: &mut Vec<&'a [u8]>,
) {
    // The first '%' of each NUL-terminated run is looked at, with the run it lies in:
    // a string starts after a NUL (or at the segment's start) and holds only text up
    // to that '%'.
    let mut pos = 0;
    for &(lo, hi) in windows {
        pos = pos.max(lo);
        while let Some(i) = bytes.get(pos..hi).and_then(|w| memchr::memchr(b'%', w)) {
            let at = pos + i;
            let begin = text_before(bytes, at);
            if begin > 0 && bytes[begin - 1] != 0 {
                // Not a string (most '%'s of code): nor is any later '%' of the same run,
                // whose text before it would stop at the same byte (or at 4096 bytes), so
                // the search goes on from the next byte, without looking for the run's end.
                pos = at + 1;
                continue;
            }
            // Most strings end within a few bytes: looked for byte by byte first, which
            // costs less than starting memchr.
            let rest = &bytes[at..];
            let near = rest.iter().take(64).position(|&b| b == 0);
            let Some(n) = near.or_else(|| memchr::memchr(0, rest)) else {
                return;
            };
            let end = at + n;
            pos = end + 1;
            let s = &bytes[begin..end];
            if s.len() <= 4096 && wanted(s) && looks_like_text(s) {
                out.push(s);
            }
        }
    }
}

/// A byte of a string: printable ASCII, a tab, a newline, or any byte of a multibyte
/// character (>= 0x80).
fn text_byte(b: u8) -> bool {
    b >= 0x20 && b != 0x7f || b == b'\t' || b == b'\n'
}

/// The start of the text that runs up to `bytes[at]`: the least `begin` such that every
/// byte of `bytes[begin..at]` is a [`text_byte`], looking back at most 4096 bytes.
///
/// Eight bytes at a time while none is a control character or DEL, then byte by byte:
/// the text before a '%' of .rodata is most of what the format search reads.
fn text_before(bytes: &[u8], at: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether some byte of `w` is below 0x20, or is 0x7f (each test exact for "some").
    let control = |w: u64| {
        let del = w ^ (ONES * 0x7f);
        (w.wrapping_sub(ONES * 0x20) & !w & HIGHS) | (del.wrapping_sub(ONES) & !del & HIGHS) != 0
    };
    let mut begin = at;
    while begin >= 8 && at - begin + 8 <= 4096 {
        let chunk: [u8; 8] = bytes[begin - 8..begin].try_into().expect("eight bytes");
        if control(u64::from_ne_bytes(chunk)) {
            break;
        }
        begin -= 8;
    }
    while begin > 0 && text_byte(bytes[begin - 1]) && at - begin < 4096 {
        begin -= 1;
    }
    begin
}

/// Text a program would print: UTF-8 without control characters (tabs and newlines
/// aside), mostly ASCII, with a letter. Tables of bytes that happen to hold a '%' are not.
fn looks_like_text(s: &[u8]) -> bool {
    if s.is_ascii() {
        // The same tests, on bytes: every char is ASCII.
        return s
            .iter()
            .all(|&b| !b.is_ascii_control() || matches!(b, b'\t' | b'\n' | b'\r'))
            && s.iter().any(u8::is_ascii_alphabetic);
    }
    let Ok(text) = std::str::from_utf8(s) else {
        return false;
    };
    let non_ascii = text.chars().filter(|c| !c.is_ascii()).count();
    text.chars()
        .all(|c| !c.is_control() || c == '\t' || c == '\n' || c == '\r')
        && non_ascii * 5 <= text.chars().count()
        && text.chars().any(|c| c.is_ascii_alphabetic())
}

/// For each family (indexed by [`Family`]), whether `s` may use one of its newer
/// conversions: whether a '%' in it is followed, past what may come between a '%' and its
/// conversion, by a byte that [`parse`] finds one at: printf's `b`, `B`, `m` (`%#m`) and
/// `w` (`%w32d`), scanf's `b` and `w`, strftime's `O` (`%Ob`). Most format strings have
/// none, and this costs much less than parsing them.
fn may_use_newer(s: &[u8]) -> [bool; 3] {
    // (what may come between, where a newer conversion is), per family: printf's argument
    // position, flags, width, precision, length modifiers but `w`; scanf's argument
    // position, `*`, width, `m`/`a`, length modifiers but `w`; strftime's flags and width.
    let sets = [
        (&PRINTF_BETWEEN, &PRINTF_AT),
        (&SCANF_BETWEEN, &SCANF_AT),
        (&STRFTIME_BETWEEN, &STRFTIME_AT),
    ];
    let mut may = [false; 3];
    // The strings are short: a loop costs less than starting memchr for each '%'.
    for k in (0..s.len()).filter(|&k| s[k] == b'%') {
        for ((between, at), may) in sets.iter().zip(&mut may) {
            *may |= s[k + 1..]
                .iter()
                .find(|&&c| !between[usize::from(c)])
                .is_some_and(|&c| at[usize::from(c)]);
        }
    }
    may
}

/// A set of bytes, as a table (looked up once per byte of every string [`may_use_newer`]
/// reads).
const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

static PRINTF_BETWEEN: [bool; 256] = byte_set(b"0123456789$-+ #'I*.hlLqjzZt");
static PRINTF_AT: [bool; 256] = byte_set(b"bBmw");
static SCANF_BETWEEN: [bool; 256] = byte_set(b"0123456789$*mahlLqjzZt");
static SCANF_AT: [bool; 256] = byte_set(b"bw");
static STRFTIME_BETWEEN: [bool; 256] = byte_set(b"_-0^#123456789");
static STRFTIME_AT: [bool; 256] = byte_set(b"O");

/// The newer conversions of one family in `s`, or None when `s` is not a valid format of
/// that family (a conversion it does not have).
fn parse(family: Family, s: &[u8]) -> Option<Vec<&'static str>> {
    let mut found = Vec::new();
    let mut convs = 0;
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if s.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        match family {
            Family::Printf => {
                // %[N$][flags][width][.prec][length]conv
                position(s, &mut i);
                let (mut alt, mut space) = (false, false);
                while let Some(c) = s.get(i).filter(|c| b"-+ #0'I".contains(c)) {
                    alt |= *c == b'#';
                    space |= *c == b' ';
                    i += 1;
                }
                width(s, &mut i);
                if s.get(i) == Some(&b'.') {
                    i += 1;
                    width(s, &mut i);
                }
                let wide = length(s, &mut i)?;
                let c = *s.get(i)?;
                i += 1;
                if !b"diouxXeEfFgGaAcsSpnmCbB".contains(&c) {
                    return None;
                }
                convs += 1;
                // "% b" is far more often a remainder in a message ("x % bs->align")
                // than a binary conversion with a space flag.
                if (c == b'b' || c == b'B') && !space {
                    found.push("%b/%B");
                }
                if c == b'm' && alt {
                    found.push("%#m");
                }
                if wide {
                    found.push("%wN/%wfN");
                }
            }
            Family::Scanf => {
                position(s, &mut i);
                if s.get(i) == Some(&b'*') {
                    i += 1;
                }
                skip_digits(s, &mut i);
                if matches!(s.get(i), Some(b'm') | Some(b'a'))
                    && s.get(i + 1).is_some_and(|c| b"sSc[".contains(c))
                {
                    i += 1;
                }
                let wide = length(s, &mut i)?;
                let c = *s.get(i)?;
                i += 1;
                if c == b'[' {
                    // A scanset: a leading ']' (after an optional '^') is part of it.
                    if s.get(i) == Some(&b'^') {
                        i += 1;
                    }
                    if s.get(i) == Some(&b']') {
                        i += 1;
                    }
                    i += memchr::memchr(b']', s.get(i..)?)? + 1;
                } else if !b"diouxXaAeEfFgGsScCpnb".contains(&c) {
                    return None;
                }
                convs += 1;
                if c == b'b' {
                    found.push("%b");
                }
                if wide {
                    found.push("%wN/%wfN");
                }
            }
            Family::Strftime => {
                while s.get(i).is_some_and(|c| b"_-0^#".contains(c)) {
                    i += 1;
                }
                skip_digits(s, &mut i);
                let modifier = match s.get(i) {
                    Some(b'E') | Some(b'O') => {
                        i += 1;
                        s.get(i - 1).copied()
                    }
                    _ => None,
                };
                let c = *s.get(i)?;
                i += 1;
                if !b"aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ+".contains(&c) {
                    return None;
                }
                convs += 1;
                if modifier == Some(b'O') && b"bBh".contains(&c) {
                    found.push("%Ob/%OB/%Oh");
                }
            }
        }
    }
    (convs > 0).then_some(found)
}

/// Whether a `%b`/`%B` in `s` has flags, a width or a precision (`%08b`, `%#b`).
fn decorated_b(s: &[u8]) -> bool {
    s.iter().enumerate().any(|(i, c)| {
        *c == b'%' && {
            let rest = &s[i + 1..];
            let n = rest
                .iter()
                .take_while(|c| b"-+ #0'.123456789".contains(c))
                .count();
            n > 0 && matches!(rest.get(n), Some(b'b') | Some(b'B'))
        }
    })
}

fn skip_digits(s: &[u8], i: &mut usize) {
    while s.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
}

/// An argument position (`2$`), if one follows.
fn position(s: &[u8], i: &mut usize) {
    let save = *i;
    skip_digits(s, i);
    if s.get(*i) == Some(&b'$') {
        *i += 1;
    } else {
        *i = save;
    }
}

/// A printf width or precision: digits, or `*` with an optional argument position.
fn width(s: &[u8], i: &mut usize) {
    if s.get(*i) == Some(&b'*') {
        *i += 1;
        skip_digits(s, i);
        if s.get(*i) == Some(&b'$') {
            *i += 1;
        }
    } else {
        skip_digits(s, i);
    }
}

/// A printf/scanf length modifier; true for C23's `wN`/`wfN`. None: malformed.
fn length(s: &[u8], i: &mut usize) -> Option<bool> {
    match s.get(*i) {
        Some(b'h') | Some(b'l') => {
            let c = s[*i];
            *i += 1;
            if s.get(*i) == Some(&c) {
                *i += 1;
            }
            Some(false)
        }
        Some(b'L') | Some(b'q') | Some(b'j') | Some(b'z') | Some(b'Z') | Some(b't') => {
            *i += 1;
            Some(false)
        }
        Some(b'w') => {
            *i += 1;
            if s.get(*i) == Some(&b'f') {
                *i += 1;
            }
            let start = *i;
            skip_digits(s, i);
            (*i > start).then_some(true)
        }
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(parse(Family::Printf, b"%08b|%s"), Some(vec!["%b/%B"]));
        assert_eq!(parse(Family::Printf, b"%#m"), Some(vec!["%#m"]));
        assert_eq!(
            parse(Family::Printf, b"%w32d %wf64u"),
            Some(vec!["%wN/%wfN", "%wN/%wfN"])
        );
        assert_eq!(
            parse(Family::Printf, b"100%% %d %-5.2f %lld %zu %2$s"),
            Some(vec![])
        );
        assert_eq!(parse(Family::Printf, b"%H:%M"), None);
        assert_eq!(parse(Family::Printf, b"no conversion"), None);
        assert_eq!(parse(Family::Scanf, b"%b %[^]a-z] %ms"), Some(vec!["%b"]));
        assert_eq!(parse(Family::Scanf, b"%w16x"), Some(vec!["%wN/%wfN"]));
        assert_eq!(
            parse(Family::Strftime, b"%Ob %d %Y"),
            Some(vec!["%Ob/%OB/%Oh"])
        );
        assert_eq!(parse(Family::Strftime, b"%b %d %H:%M"), Some(vec![]));
        assert_eq!(parse(Family::Strftime, b"%s %v"), None);
    }

    /// [`may_use_newer`] is true of every string in which [`parse`] finds a newer
    /// conversion: every string of up to 4 bytes over the bytes that matter, and a million
    /// longer ones.
    #[test]
    fn may_use_newer_whenever_parse_finds_one() {
        let alphabet = b"%bBmwOf#0 1$*.hlaqEd_s[]^'";
        let check = |s: &[u8]| {
            for family in [Family::Printf, Family::Scanf, Family::Strftime] {
                if parse(family, s).is_some_and(|found| !found.is_empty()) {
                    assert!(
                        may_use_newer(s)[family as usize],
                        "{family:?} {:?}",
                        String::from_utf8_lossy(s)
                    );
                }
            }
        };
        let mut s = Vec::new();
        for len in 1..=4u32 {
            for mut n in 0..alphabet.len().pow(len) {
                s.clear();
                for _ in 0..len {
                    s.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                check(&s);
            }
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..1_000_000 {
            s.clear();
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            for k in 0..5 + (x >> 60) {
                let r = x.rotate_left(7 * k as u32);
                s.push(alphabet[(r >> 40) as usize % alphabet.len()]);
            }
            check(&s);
        }
        assert_eq!(may_use_newer(b"%-08.3llb"), [true, false, false]);
        assert_eq!(may_use_newer(b"%s: %d bytes, %5.2f%%"), [false; 3]);
        assert_eq!(may_use_newer(b"%Ob %-5w16d %5b"), [true, true, true]);
    }

    fn section(sh_type: u32, flags: u64, offset: u64, size: u64) -> crate::elf::SectionInfo {
        crate::elf::SectionInfo {
            sh_type,
            flags,
            addr: offset,
            offset,
            size,
            addralign: 1,
            unwind: false,
        }
    }

    /// The data of an executable segment is its allocated, read-only, non-code sections,
    /// cut to the segment and merged; without section headers nothing says.
    #[test]
    fn data_windows_of_sections() {
        use object::elf::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS};
        let (alloc, exec, write) = (SHF_ALLOC.0, SHF_EXECINSTR.0, SHF_WRITE.0);
        let sections = [
            section(0, 0, 0, 0),
            section(SHT_PROGBITS.0, alloc | exec, 0x1000, 0x800), // .text
            section(SHT_PROGBITS.0, alloc, 0x1800, 0x100),        // .rodata
            section(SHT_PROGBITS.0, alloc, 0x1900, 0x80),         // .eh_frame
            section(SHT_PROGBITS.0, alloc, 0x1a00, 0x1000),       // past the segment's end
            section(SHT_PROGBITS.0, alloc, 0x800, 0x900),         // from before its start
            section(SHT_PROGBITS.0, alloc | write, 0x1990, 0x10), // writable
            section(SHT_NOBITS.0, alloc, 0x19a0, 0x10),           // no bytes in the file
            section(SHT_PROGBITS.0, 0, 0x19b0, 0x10),             // not loaded
        ];
        assert_eq!(
            data_windows(&sections, 0x1000, 0x1000),
            Some(vec![(0, 0x100), (0x800, 0x980), (0xa00, 0x1000)])
        );
        assert_eq!(data_windows(&[], 0x1000, 0x1000), None);
        // The loader's tables hold no strings: ".dynsym" bytes read "\0%b\0" in
        // /usr/bin/qemu-i386 (Debian 12), which was once noted as a printf format.
        use object::elf::{SHT_DYNSYM, SHT_GNU_HASH, SHT_RELA, SHT_STRTAB};
        let tables = [
            section(SHT_DYNSYM.0, alloc, 0x100, 0x100),
            section(SHT_STRTAB.0, alloc, 0x200, 0x100),
            section(SHT_GNU_HASH.0, alloc, 0x300, 0x100),
            section(SHT_RELA.0, alloc, 0x400, 0x100),
            section(SHT_PROGBITS.0, alloc, 0x500, 0x100), // .rodata
        ];
        assert_eq!(data_windows(&tables, 0, 0x1000), Some(vec![(0x500, 0x600)]));
        // Nor the unwinder's.
        let eh_frame = crate::elf::SectionInfo {
            unwind: true,
            ..section(SHT_PROGBITS.0, alloc, 0x600, 0x100)
        };
        assert_eq!(
            data_windows(&[tables[4], eh_frame], 0, 0x1000),
            Some(vec![(0x500, 0x600)])
        );
    }

    /// The text before a position, eight bytes at a time, is the byte-by-byte answer: on
    /// every position of bytes that mix text, tabs, newlines, DEL, NULs, high bytes and
    /// runs longer than the 4096-byte limit.
    #[test]
    fn text_before_equals_bytewise() {
        let bytewise = |bytes: &[u8], at: usize| {
            let mut begin = at;
            while begin > 0 && text_byte(bytes[begin - 1]) && at - begin < 4096 {
                begin -= 1;
            }
            begin
        };
        let mut bytes = Vec::new();
        let mut x: u32 = 12345;
        for i in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let r = (x >> 16) as u8;
            bytes.push(match (i / 5000, r % 16) {
                (1, _) => b'a' + r % 26,
                (_, 0) => 0,
                (_, 1) => b'\t',
                (_, 2) => b'\n',
                (_, 3) => 0x7f,
                (_, 4) => 0x1f,
                (_, 5) => 0x80 | r,
                _ => b' ' + r % 95,
            });
        }
        for at in 0..bytes.len() {
            assert_eq!(text_before(&bytes, at), bytewise(&bytes, at), "at {at}");
        }
    }

    /// Only a '%' in a window starts a string, which runs over the segment's bytes on both
    /// sides of the window.
    #[test]
    fn percent_runs_in_windows() {
        let bytes = b"\0code %B\0\0the %s and %B\0";
        let mut all = Vec::new();
        percent_runs(bytes, &[(0, bytes.len())], &|_| true, &mut all);
        assert_eq!(all, vec![&b"code %B"[..], &b"the %s and %B"[..]]);
        let mut some = Vec::new();
        percent_runs(bytes, &[(12, 15)], &|_| true, &mut some);
        assert_eq!(some, vec![&b"the %s and %B"[..]]);
        let mut none = Vec::new();
        percent_runs(bytes, &[(0, 6), (10, 14)], &|_| true, &mut none);
        assert!(none.is_empty(), "{none:?}");
    }
}
