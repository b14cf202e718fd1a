//! Polyfills: glibc functions and data objects an old release lacks, supplied by elfcompat.
//!
//! The polyfills are C sources in `polyfill/src/`, compiled ahead of time by
//! `polyfill/build.sh` into one relocatable object per architecture (`polyfill/obj/*.o`,
//! committed and embedded here, so users need no compiler). The polyfill of glibc symbol
//! `X` is the object's symbol `__elfcompat_pf_X`. This module is a small static linker:
//! it takes the sections a set of polyfills needs (and what they reach through their
//! relocations), lays them out as one text and one data blob, gives every glibc function
//! they call a GOT slot (filled by the loader through a GLOB_DAT relocation against an
//! import at a version the baseline has), and applies the object's relocations once the
//! blobs have their addresses in the patched file.

use std::collections::{BTreeMap, BTreeSet};

use object::read::elf::{ElfFile64, SectionHeader as _};
use object::{
    Endianness, Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget,
    SectionIndex,
};

/// The prefix that names a polyfill in the object.
pub const PREFIX: &str = "__elfcompat_pf_";

/// The prefix that names a wrapper in the object: a function every baseline has, whose
/// meaning a newer glibc header extended (`polyfill/src/wrap_*.c`).
pub const WRAP_PREFIX: &str = "__elfcompat_wrap_";

/// The object's symbol for glibc's `symbol`: its polyfill, or its wrapper.
pub fn object_symbol(symbol: &str, wrapper: bool) -> String {
    if wrapper {
        format!("{WRAP_PREFIX}{symbol}")
    } else {
        format!("{PREFIX}{symbol}")
    }
}

static X86_64: &[u8] = include_bytes!("../../polyfill/obj/x86_64.o");
static AARCH64: &[u8] = include_bytes!("../../polyfill/obj/aarch64.o");

/// Errors of the polyfill linker; all mean "cannot polyfill this", never a broken output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolyfillError {
    /// The embedded object could not be read.
    #[error("polyfill object unreadable: {0}")]
    Object(String),
    /// A relocation type the linker does not implement.
    #[error("polyfill object uses relocation type {0}, which the linker does not handle")]
    Relocation(u32),
    /// A value does not fit its relocation field.
    #[error("polyfill relocation out of range")]
    Range,
    /// No polyfill of that name.
    #[error("no polyfill for {0}")]
    Unknown(String),
}

/// The architectures with polyfills.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64.
    X86_64,
    /// Little-endian aarch64.
    Aarch64,
}

impl Arch {
    /// The architecture of an ELF header, if it has polyfills.
    pub fn of(machine: u16, is_64: bool, big_endian: bool) -> Option<Arch> {
        match machine {
            m if m == object::elf::EM_X86_64.0 && is_64 => Some(Arch::X86_64),
            m if m == object::elf::EM_AARCH64.0 && is_64 && !big_endian => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The architecture of an ABI database target, if it has polyfills.
    pub fn of_target(t: crate::abi::Target) -> Option<Arch> {
        match t.name() {
            "x86_64-linux-gnu" => Some(Arch::X86_64),
            "aarch64-linux-gnu" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    fn object(self) -> &'static [u8] {
        match self {
            Arch::X86_64 => X86_64,
            Arch::Aarch64 => AARCH64,
        }
    }
}

/// What one polyfill brings into a binary.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Need {
    /// The glibc symbols the selected polyfills call (to be imported at baseline versions).
    pub imports: Vec<String>,
    /// Bytes of code and data the selection adds (before alignment of the segments).
    pub size: u64,
}

struct Parsed<'a> {
    file: ElfFile64<'a, Endianness>,
}

fn parse(arch: Arch) -> Result<Parsed<'static>, PolyfillError> {
    let file = ElfFile64::<Endianness>::parse(arch.object())
        .map_err(|e| PolyfillError::Object(e.to_string()))?;
    Ok(Parsed { file })
}

/// Whether `symbol` has a polyfill on `arch`.
pub fn provides(arch: Arch, symbol: &str) -> bool {
    parse(arch).is_ok_and(|p| p.symbol(&object_symbol(symbol, false)).is_some())
}

/// Changes of meaning (`check::changed`) whose plain polyfill implements the meaning
/// *before* the change: the `fromfp` family, whose intmax_t meaning (2.25) was polyfilled
/// first. Every other plain polyfill implements the meaning of the symbol's newest version.
const PLAIN_IS_OLDER: &[crate::abi::GlibcVersion] = &[crate::abi::GlibcVersion::new(2, 43, 0)];

/// The polyfill of a reference to `symbol` at glibc version `required` (`GLIBC_2.25`).
/// Where glibc changed the symbol's meaning (`check::changed`), each meaning has its own
/// polyfill: the plain `__elfcompat_pf_X` implements one (see [`PLAIN_IS_OLDER`]), the other
/// carries the release of the change: `__elfcompat_pf_fromfp__glibc_2_43` (the meaning
/// since 2.43), `__elfcompat_pf_totalorder__before_2_31` (the meaning before 2.31).
pub fn polyfill_symbol(symbol: &str, required: &str) -> String {
    let plain = object_symbol(symbol, false);
    let Some((a, b, c)) = crate::versym::VersionName::parse(required).glibc_triple() else {
        return plain;
    };
    let Some(ch) = crate::check::changed::CHANGED
        .iter()
        .find(|ch| ch.symbols.contains(&symbol))
    else {
        return plain;
    };
    let since = ch.since.to_string().replace('.', "_");
    let newer = crate::abi::GlibcVersion::new(a, b, c) >= ch.since;
    match (newer, PLAIN_IS_OLDER.contains(&ch.since)) {
        (true, true) => format!("{plain}__glibc_{since}"),
        (false, false) => format!("{plain}__before_{since}"),
        _ => plain,
    }
}

/// Whether a reference to `symbol` at glibc version `required` has a polyfill on `arch`
/// (the one of its meaning: [`polyfill_symbol`]).
pub fn provides_at(arch: Arch, symbol: &str, required: &str) -> bool {
    parse(arch).is_ok_and(|p| p.symbol(&polyfill_symbol(symbol, required)).is_some())
}

/// Whether an object symbol is the polyfill of one meaning of a changed symbol.
fn is_meaning_variant(name: &str) -> bool {
    name.contains("__glibc_2_") || name.contains("__before_2_")
}

/// Whether `symbol` has a wrapper on `arch`.
pub fn wraps(arch: Arch, symbol: &str) -> bool {
    parse(arch).is_ok_and(|p| p.symbol(&object_symbol(symbol, true)).is_some())
}

/// Every symbol with a polyfill on `arch`.
pub fn catalog(arch: Arch) -> &'static [String] {
    // Asked once per analysed file: parsed once per architecture.
    static X86_64_CATALOG: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    static AARCH64_CATALOG: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let cell = match arch {
        Arch::X86_64 => &X86_64_CATALOG,
        Arch::Aarch64 => &AARCH64_CATALOG,
    };
    cell.get_or_init(|| {
        let Ok(p) = parse(arch) else {
            return Vec::new();
        };
        let mut v: Vec<String> = p
            .file
            .symbols()
            .filter(|s| s.is_global() && s.is_definition())
            .filter_map(|s| s.name().ok()?.strip_prefix(PREFIX).map(str::to_string))
            .filter(|n| !is_meaning_variant(n))
            .collect();
        v.sort();
        v
    })
}

impl<'a> Parsed<'a> {
    fn symbol(&self, name: &str) -> Option<object::read::elf::ElfSymbol64<'a, '_, Endianness>> {
        self.file
            .symbols()
            .find(|s| s.name() == Ok(name) && s.is_definition())
    }

    /// The sections reachable from the roots (the object's symbol names, see
    /// [`object_symbol`]) through relocations, and the undefined symbols (glibc imports)
    /// they reference.
    fn closure(
        &self,
        roots: &[String],
    ) -> Result<(BTreeSet<usize>, BTreeSet<String>), PolyfillError> {
        let mut sections = BTreeSet::new();
        let mut imports = BTreeSet::new();
        let mut todo = Vec::new();
        for r in roots {
            let sym = self
                .symbol(r)
                .ok_or_else(|| PolyfillError::Unknown(r.clone()))?;
            if let Some(i) = sym.section_index() {
                todo.push(i.0);
            }
        }
        while let Some(i) = todo.pop() {
            if !sections.insert(i) {
                continue;
            }
            let sec = self
                .file
                .section_by_index(SectionIndex(i))
                .map_err(|e| PolyfillError::Object(e.to_string()))?;
            for (_, rel) in sec.relocations() {
                let RelocationTarget::Symbol(si) = rel.target() else {
                    continue;
                };
                let sym = self
                    .file
                    .symbol_by_index(si)
                    .map_err(|e| PolyfillError::Object(e.to_string()))?;
                match sym.section_index() {
                    Some(t) => todo.push(t.0),
                    None => {
                        imports.insert(
                            sym.name()
                                .map_err(|e| PolyfillError::Object(e.to_string()))?
                                .to_string(),
                        );
                    }
                }
            }
        }
        Ok((sections, imports))
    }
}

/// What a set of polyfills and wrappers (named by [`object_symbol`]) needs, for the plan.
pub fn need(arch: Arch, roots: &[String]) -> Result<Need, PolyfillError> {
    let p = parse(arch)?;
    let (sections, imports) = p.closure(roots)?;
    let size = sections
        .iter()
        .filter_map(|i| p.file.section_by_index(SectionIndex(*i)).ok())
        .map(|s| s.size())
        .sum::<u64>()
        + 8 * imports.len() as u64;
    Ok(Need {
        imports: imports.into_iter().collect(),
        size,
    })
}

/// The polyfills laid out, before their addresses are known.
pub struct Layout {
    arch: Arch,
    /// Offset of each included section in the text or data blob.
    place: BTreeMap<usize, (bool, u64)>,
    /// GOT slot offset (in the data blob) of each import.
    pub got: BTreeMap<String, u64>,
    /// Size of the text blob (code and read-only data).
    pub text_size: u64,
    /// Size of the data blob (writable data and the GOT).
    pub data_size: u64,
    roots: Vec<String>,
}

fn align(v: u64, a: u64) -> u64 {
    let a = a.max(1);
    v.div_ceil(a) * a
}

/// Lay out the polyfills and wrappers `roots` (named by [`object_symbol`]) need.
pub fn layout(arch: Arch, roots: &[String]) -> Result<Layout, PolyfillError> {
    let p = parse(arch)?;
    let (sections, imports) = p.closure(roots)?;
    let mut place = BTreeMap::new();
    let (mut text, mut data) = (0u64, 0u64);
    for i in &sections {
        let s = p
            .file
            .section_by_index(SectionIndex(*i))
            .map_err(|e| PolyfillError::Object(e.to_string()))?;
        let flags = s.elf_section_header().sh_flags(Endianness::Little);
        let writable = flags.contains(object::elf::SHF_WRITE);
        let a = s.align();
        if writable {
            data = align(data, a);
            place.insert(*i, (false, data));
            data += s.size();
        } else {
            text = align(text, a);
            place.insert(*i, (true, text));
            text += s.size();
        }
    }
    data = align(data, 8);
    let mut got = BTreeMap::new();
    for name in imports {
        got.insert(name, data);
        data += 8;
    }
    Ok(Layout {
        arch,
        place,
        got,
        text_size: text.max(1),
        data_size: data.max(8),
        roots: roots.to_vec(),
    })
}

/// The linked blobs and where each polyfill landed.
pub struct Linked {
    /// Code and read-only data.
    pub text: Vec<u8>,
    /// Writable data and the GOT (zero until the loader fills it).
    pub data: Vec<u8>,
    /// Per root (the object's symbol name): (address, size, is it in the text blob).
    pub symbols: BTreeMap<String, (u64, u64, bool)>,
}

impl Layout {
    /// Link at the final addresses of the two blobs.
    pub fn link(&self, text_base: u64, data_base: u64) -> Result<Linked, PolyfillError> {
        self.link_with(text_base, data_base, &BTreeMap::new())
    }

    /// Like [`Layout::link`], but the imports named in `got_at` are reached through the
    /// GOT slot at that address (one the binary already has, filled by the loader) instead
    /// of the polyfills' own.
    pub fn link_with(
        &self,
        text_base: u64,
        data_base: u64,
        got_at: &BTreeMap<String, u64>,
    ) -> Result<Linked, PolyfillError> {
        let p = parse(self.arch)?;
        let mut text = vec![0u8; self.text_size as usize];
        let mut data = vec![0u8; self.data_size as usize];
        let addr_of_section = |i: &usize| -> Option<u64> {
            self.place
                .get(i)
                .map(|(t, off)| if *t { text_base + off } else { data_base + off })
        };
        // Copy section bytes (NOBITS stays zero).
        for (i, (is_text, off)) in &self.place {
            let s = p
                .file
                .section_by_index(SectionIndex(*i))
                .map_err(|e| PolyfillError::Object(e.to_string()))?;
            if let Ok(bytes) = s.data() {
                let dst = if *is_text { &mut text } else { &mut data };
                let o = *off as usize;
                if !bytes.is_empty() {
                    dst[o..o + bytes.len()].copy_from_slice(bytes);
                }
            }
        }
        // Apply relocations.
        for (i, (is_text, off)) in &self.place {
            let s = p
                .file
                .section_by_index(SectionIndex(*i))
                .map_err(|e| PolyfillError::Object(e.to_string()))?;
            let sec_addr = if *is_text {
                text_base + off
            } else {
                data_base + off
            };
            for (r_off, rel) in s.relocations() {
                let RelocationFlags::Elf { r_type: rt } = rel.flags() else {
                    return Err(PolyfillError::Relocation(0));
                };
                let r_type = rt.0;
                let RelocationTarget::Symbol(si) = rel.target() else {
                    return Err(PolyfillError::Relocation(r_type));
                };
                let sym = p
                    .file
                    .symbol_by_index(si)
                    .map_err(|e| PolyfillError::Object(e.to_string()))?;
                let name = sym.name().unwrap_or("");
                let target = match sym.section_index() {
                    Some(ti) => addr_of_section(&ti.0).ok_or(PolyfillError::Range)? + sym.address(),
                    None => 0,
                };
                let got = got_at
                    .get(name)
                    .copied()
                    .or_else(|| self.got.get(name).map(|o| data_base + o));
                let place = sec_addr + r_off;
                let dst = if *is_text { &mut text } else { &mut data };
                let at = (off + r_off) as usize;
                apply(self.arch, r_type, dst, at, place, target, got, rel.addend())?;
            }
        }
        let mut symbols = BTreeMap::new();
        for r in &self.roots {
            let sym = p
                .symbol(r)
                .ok_or_else(|| PolyfillError::Unknown(r.clone()))?;
            let si = sym
                .section_index()
                .ok_or_else(|| PolyfillError::Unknown(r.clone()))?;
            let (is_text, _) = self.place.get(&si.0).ok_or(PolyfillError::Range)?;
            let addr = addr_of_section(&si.0).ok_or(PolyfillError::Range)? + sym.address();
            symbols.insert(r.clone(), (addr, sym.size(), *is_text));
        }
        Ok(Linked {
            text,
            data,
            symbols,
        })
    }
}

fn put32(dst: &mut [u8], at: usize, v: u32) -> Result<(), PolyfillError> {
    dst.get_mut(at..at + 4)
        .ok_or(PolyfillError::Range)?
        .copy_from_slice(&v.to_le_bytes());
    Ok(())
}

fn get32(dst: &[u8], at: usize) -> Result<u32, PolyfillError> {
    let b = dst.get(at..at + 4).ok_or(PolyfillError::Range)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn rel32(v: i64) -> Result<u32, PolyfillError> {
    i32::try_from(v)
        .map(|v| v as u32)
        .map_err(|_| PolyfillError::Range)
}

#[allow(clippy::too_many_arguments)]
fn apply(
    arch: Arch,
    r_type: u32,
    dst: &mut [u8],
    at: usize,
    place: u64,
    target: u64,
    got: Option<u64>,
    addend: i64,
) -> Result<(), PolyfillError> {
    use object::elf::*;
    let s_a = (target as i64).wrapping_add(addend);
    let p = place as i64;
    match arch {
        Arch::X86_64 => match r_type {
            t if t == R_X86_64_PC32.0 || t == R_X86_64_PLT32.0 => put32(dst, at, rel32(s_a - p)?),
            t if t == R_X86_64_GOTPCREL.0
                || t == R_X86_64_GOTPCRELX.0
                || t == R_X86_64_REX_GOTPCRELX.0 =>
            {
                let g = got.ok_or(PolyfillError::Relocation(t))? as i64;
                put32(dst, at, rel32(g + addend - p)?)
            }
            t => Err(PolyfillError::Relocation(t)),
        },
        Arch::Aarch64 => {
            let insn = get32(dst, at)?;
            let page = |x: i64| x & !0xfff;
            let adrp = |delta: i64| -> Result<u32, PolyfillError> {
                let pages = delta >> 12;
                if !(-(1 << 20)..(1 << 20)).contains(&pages) {
                    return Err(PolyfillError::Range);
                }
                let imm = pages as u32 & 0x1f_ffff;
                Ok((insn & 0x9f00_001f) | ((imm & 3) << 29) | ((imm >> 2) << 5))
            };
            let v = match r_type {
                t if t == R_AARCH64_ADR_PREL_PG_HI21.0 => adrp(page(s_a) - page(p))?,
                t if t == R_AARCH64_ADR_GOT_PAGE.0 => {
                    let g = got.ok_or(PolyfillError::Relocation(t))? as i64;
                    adrp(page(g + addend) - page(p))?
                }
                t if t == R_AARCH64_ADD_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | (((s_a as u32) & 0xfff) << 10)
                }
                t if t == R_AARCH64_LD64_GOT_LO12_NC.0 => {
                    let g = got.ok_or(PolyfillError::Relocation(t))? as i64 + addend;
                    (insn & !(0xfff << 10)) | ((((g as u32) & 0xfff) >> 3) << 10)
                }
                t if t == R_AARCH64_LDST64_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | ((((s_a as u32) & 0xfff) >> 3) << 10)
                }
                t if t == R_AARCH64_LDST32_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | ((((s_a as u32) & 0xfff) >> 2) << 10)
                }
                t if t == R_AARCH64_LDST16_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | ((((s_a as u32) & 0xfff) >> 1) << 10)
                }
                t if t == R_AARCH64_LDST128_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | ((((s_a as u32) & 0xfff) >> 4) << 10)
                }
                t if t == R_AARCH64_LDST8_ABS_LO12_NC.0 => {
                    (insn & !(0xfff << 10)) | (((s_a as u32) & 0xfff) << 10)
                }
                t if t == R_AARCH64_CALL26.0 || t == R_AARCH64_JUMP26.0 => {
                    let d = s_a - p;
                    if d % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&d) {
                        return Err(PolyfillError::Range);
                    }
                    (insn & 0xfc00_0000) | ((d >> 2) as u32 & 0x03ff_ffff)
                }
                t => return Err(PolyfillError::Relocation(t)),
            };
            put32(dst, at, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_and_closure() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let c = catalog(arch);
            for s in [
                "stat",
                "fstat64",
                "getrandom",
                "__libc_single_threaded",
                "_dl_find_object",
                "strlcpy",
            ] {
                assert!(c.iter().any(|x| x == s), "{arch:?} lacks {s}");
            }
            let n = need(arch, &[object_symbol("stat", false)]).expect("need");
            assert_eq!(n.imports, vec!["__xstat".to_string()]);
            // Only what is needed: stat does not drag in the random functions.
            let c: Vec<String> = c.iter().map(|s| object_symbol(s, false)).collect();
            let all = need(arch, &c).expect("all");
            assert!(n.size < all.size / 4, "{} vs {}", n.size, all.size);
            // Every relocation type in the object is one the linker applies.
            let everything = layout(arch, &c).expect("layout all");
            everything.link(0x10_0000, 0x20_0000).expect("link all");
            let roots = [
                object_symbol("strlcat", false),
                object_symbol("stat", false),
            ];
            let l = layout(arch, &roots).expect("layout");
            let linked = l.link(0x10_0000, 0x20_0000).expect("link");
            assert!(linked.symbols.contains_key(&roots[0]));
            // The sysconf wrapper calls glibc's other name for it, never `sysconf` itself
            // (which the binary then defines), and is not a polyfill.
            assert!(wraps(arch, "sysconf") && !provides(arch, "sysconf"));
            let w = need(arch, &[object_symbol("sysconf", true)]).expect("wrapper");
            assert_eq!(
                w.imports,
                vec!["__errno_location".to_string(), "__sysconf".to_string()]
            );
        }
    }
}
