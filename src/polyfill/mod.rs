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
//!
//! The 32-bit objects (i386, armhf) are ELFCLASS32 with REL relocations: the addend of a
//! relocation is the value already at its place, read before it is overwritten. Their
//! position-independent code reaches data and the GOT relative to a GOT base
//! (`_GLOBAL_OFFSET_TABLE_`: i386 keeps it in `%ebx`, arm adds it to a PC-relative
//! offset), which is the polyfills' own GOT: the start of their slots in the data blob,
//! so `GOTOFF`/`GOTPC`/`GOT32X` (i386) and `BASE_PREL`/`GOT_BREL` (arm) all resolve
//! against one address. arm's Thumb code calls imports with `bl`, which cannot reach into
//! another object: each such import gets a 16-byte Thumb stub in the text blob that jumps
//! through its GOT slot, as a linker's PLT entry would. A relocation type the linker does
//! not know, or a value that does not fit, is an error: the plan refuses, with the reason.
//! ppc64el's TOC-relative code and inline PLT sequences are the `ppc64` module's.
//!
//! The riscv64 object (RELA) is linked by `riscv64`: `%pcrel_hi`/`%pcrel_lo` pairs, calls,
//! branches, and 16-byte stubs through the GOT for the glibc functions it calls.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

mod riscv64;
mod s390x;

use object::{
    Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionFlags,
    SectionIndex, SymbolIndex,
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
static I386: &[u8] = include_bytes!("../../polyfill/obj/i386.o");
static ARMHF: &[u8] = include_bytes!("../../polyfill/obj/armhf.o");
static PPC64EL: &[u8] = include_bytes!("../../polyfill/obj/ppc64el.o");

mod ppc64;
static S390X: &[u8] = include_bytes!("../../polyfill/obj/s390x.o");
static RISCV64: &[u8] = include_bytes!("../../polyfill/obj/riscv64.o");

/// The symbol 32-bit PIC code names the GOT base by; the linker defines it.
const GOT_BASE_SYMBOL: &str = "_GLOBAL_OFFSET_TABLE_";

// arm relocation types by their AAELF names; object names them by the older ones.
const R_ARM_THM_CALL: u32 = object::elf::R_ARM_THM_PC22.0;
const R_ARM_BASE_PREL: u32 = object::elf::R_ARM_GOTPC.0;
const R_ARM_GOT_BREL: u32 = object::elf::R_ARM_GOT32.0;

/// Size of an import stub: arm's and riscv64's (see the module header); s390x's is padded to it.
const ARM_STUB_SIZE: u64 = 16;

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
    /// 32-bit x86 (i386 to i686).
    I386,
    /// 32-bit little-endian ARM, EABI hard-float (the object is Thumb-2 code for ARMv7 with
    /// VFPv3-D16, Debian's armhf baseline; soft-float `armel` files are not this).
    Armhf,
    /// Little-endian 64-bit PowerPC, ELFv2 (POWER8, Debian's ppc64el baseline).
    Ppc64el,
    /// 64-bit s390x (big-endian).
    S390x,
    /// 64-bit RISC-V, LP64D (RV64GC code, Debian's riscv64 baseline).
    Riscv64,
}

impl Arch {
    /// Its position in `ALL` (per-architecture caches are indexed by it).
    fn index(self) -> usize {
        Arch::ALL
            .iter()
            .position(|&a| a == self)
            .expect("every architecture is in ALL")
    }

    /// Every architecture with polyfills.
    pub const ALL: [Arch; 7] = [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::I386,
        Arch::Armhf,
        Arch::Ppc64el,
        Arch::S390x,
        Arch::Riscv64,
    ];

    /// The architecture of an ELF header, if it has polyfills. For EM_ARM this is Armhf
    /// whatever the float ABI: the caller checks EF_ARM_ABI_FLOAT_HARD (see `patch::limits`).
    pub fn of(machine: u16, is_64: bool, big_endian: bool) -> Option<Arch> {
        match machine {
            m if m == object::elf::EM_X86_64.0 && is_64 => Some(Arch::X86_64),
            m if m == object::elf::EM_AARCH64.0 && is_64 && !big_endian => Some(Arch::Aarch64),
            m if m == object::elf::EM_386.0 && !is_64 => Some(Arch::I386),
            m if m == object::elf::EM_ARM.0 && !is_64 && !big_endian => Some(Arch::Armhf),
            m if m == object::elf::EM_PPC64.0 && is_64 && !big_endian => Some(Arch::Ppc64el),
            m if m == object::elf::EM_S390.0 && is_64 && big_endian => Some(Arch::S390x),
            m if m == object::elf::EM_RISCV.0 && is_64 && !big_endian => Some(Arch::Riscv64),
            _ => None,
        }
    }

    /// The architecture of an ABI database target, if it has polyfills.
    pub fn of_target(t: crate::abi::Target) -> Option<Arch> {
        match t.name() {
            "x86_64-linux-gnu" => Some(Arch::X86_64),
            "aarch64-linux-gnu" => Some(Arch::Aarch64),
            "x86-linux-gnu" => Some(Arch::I386),
            "arm-linux-gnueabihf" => Some(Arch::Armhf),
            "powerpc64le-linux-gnu" => Some(Arch::Ppc64el),
            "s390x-linux-gnu" => Some(Arch::S390x),
            "riscv64-linux-gnu" => Some(Arch::Riscv64),
            _ => None,
        }
    }

    /// The ABI database's name of the architecture's target.
    pub fn target_name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-linux-gnu",
            Arch::Aarch64 => "aarch64-linux-gnu",
            Arch::I386 => "x86-linux-gnu",
            Arch::Armhf => "arm-linux-gnueabihf",
            Arch::Ppc64el => "powerpc64le-linux-gnu",
            Arch::S390x => "s390x-linux-gnu",
            Arch::Riscv64 => "riscv64-linux-gnu",
        }
    }

    /// Bytes in an address (a GOT slot).
    pub fn word(self) -> u64 {
        match self {
            Arch::X86_64 | Arch::Aarch64 | Arch::Ppc64el | Arch::S390x | Arch::Riscv64 => 8,
            Arch::I386 | Arch::Armhf => 4,
        }
    }

    fn object(self) -> &'static [u8] {
        match self {
            Arch::X86_64 => X86_64,
            Arch::Aarch64 => AARCH64,
            Arch::I386 => I386,
            Arch::Armhf => ARMHF,
            Arch::Ppc64el => PPC64EL,
            Arch::S390x => S390X,
            Arch::Riscv64 => RISCV64,
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
    arch: Arch,
    file: object::File<'a>,
    /// The first definition of each name: the planner asks for several names for every
    /// file `check` reads, and a scan of the object's symbols for each was most of its time.
    defined: HashMap<&'a str, SymbolIndex>,
}

/// The embedded object of `arch`, parsed once.
fn parse(arch: Arch) -> Result<&'static Parsed<'static>, PolyfillError> {
    static PARSED: [OnceLock<Result<Parsed<'static>, String>>; Arch::ALL.len()] =
        [const { OnceLock::new() }; Arch::ALL.len()];
    let cell = &PARSED[arch.index()];
    cell.get_or_init(|| {
        let file = object::File::parse(arch.object()).map_err(|e| e.to_string())?;
        let mut defined = HashMap::new();
        for sym in file.symbols().filter(|s| s.is_definition()) {
            if let Ok(name) = sym.name() {
                defined.entry(name).or_insert(sym.index());
            }
        }
        Ok(Parsed {
            arch,
            file,
            defined,
        })
    })
    .as_ref()
    .map_err(|e| PolyfillError::Object(e.clone()))
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

/// The names with a polyfill on one architecture, sorted as bytes, with each name's
/// [`crate::elf::name_key`] (sorted too, as the names are).
struct Catalog {
    names: Vec<String>,
    keys: Vec<u64>,
}

/// The catalog of `arch`: parsed once per architecture (asked once per analysed file).
fn catalog_of(arch: Arch) -> &'static Catalog {
    static CATALOGS: [OnceLock<Catalog>; Arch::ALL.len()] =
        [const { OnceLock::new() }; Arch::ALL.len()];
    CATALOGS[arch.index()].get_or_init(|| {
        let mut names: Vec<String> = match parse(arch) {
            Ok(p) => p
                .file
                .symbols()
                .filter(|s| s.is_global() && s.is_definition())
                .filter_map(|s| s.name().ok()?.strip_prefix(PREFIX).map(str::to_string))
                .filter(|n| !is_meaning_variant(n))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        let keys = names.iter().map(|n| crate::elf::name_key(n)).collect();
        Catalog { names, keys }
    })
}

/// Every symbol with a polyfill on `arch`.
pub fn catalog(arch: Arch) -> &'static [String] {
    &catalog_of(arch).names
}

/// Whether `symbol` has a polyfill on `arch` (is in its [`catalog`]). Asked for every
/// glibc import of every file a report reads: the search compares the names' first
/// eight bytes as numbers ([`crate::elf::name_key`]), and strings only where those agree.
pub fn in_catalog(arch: Arch, symbol: &str) -> bool {
    let Catalog { names, keys } = catalog_of(arch);
    let key = crate::elf::name_key(symbol);
    let first = keys.partition_point(|&k| k < key);
    keys[first..]
        .iter()
        .zip(&names[first..])
        .take_while(|(&k, _)| k == key)
        .any(|(_, n)| n == symbol)
}

/// Whether an arm relocation type is a Thumb branch (`bl`/`b.w`), which reaches an import
/// through a stub.
fn is_thumb_branch(r_type: u32) -> bool {
    r_type == R_ARM_THM_CALL || r_type == object::elf::R_ARM_THM_JUMP24.0
}

/// Whether a call of an import by this relocation type goes through a stub: arm's Thumb
/// branches, s390x's PLT calls.
fn needs_stub(arch: Arch, r_type: u32) -> bool {
    match arch {
        Arch::Armhf => is_thumb_branch(r_type),
        Arch::S390x => s390x::is_plt_call(r_type),
        Arch::Riscv64 => riscv64::is_call(r_type),
        _ => false,
    }
}

/// What the roots reach: sections, imports (undefined symbols other than the GOT base) and,
/// on arm and riscv64, the imports called by a branch or call (they need a stub).
struct Closure {
    sections: BTreeSet<usize>,
    imports: BTreeSet<String>,
    stubs: BTreeSet<String>,
}

impl<'a> Parsed<'a> {
    fn symbol(&self, name: &str) -> Option<object::Symbol<'a, '_>> {
        let &index = self.defined.get(name)?;
        self.file.symbol_by_index(index).ok()
    }

    fn symbol_at(&self, si: SymbolIndex) -> Result<object::Symbol<'a, '_>, PolyfillError> {
        self.file
            .symbol_by_index(si)
            .map_err(|e| PolyfillError::Object(e.to_string()))
    }

    fn section(&self, i: usize) -> Result<object::Section<'a, '_>, PolyfillError> {
        self.file
            .section_by_index(SectionIndex(i))
            .map_err(|e| PolyfillError::Object(e.to_string()))
    }

    /// The sections reachable from the roots (the object's symbol names, see
    /// [`object_symbol`]) through relocations, and the undefined symbols (glibc imports)
    /// they reference.
    fn closure(&self, roots: &[String]) -> Result<Closure, PolyfillError> {
        let mut c = Closure {
            sections: BTreeSet::new(),
            imports: BTreeSet::new(),
            stubs: BTreeSet::new(),
        };
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
            if !c.sections.insert(i) {
                continue;
            }
            for (_, rel) in self.section(i)?.relocations() {
                let RelocationTarget::Symbol(si) = rel.target() else {
                    continue;
                };
                let sym = self.symbol_at(si)?;
                match sym.section_index() {
                    Some(t) => todo.push(t.0),
                    None => {
                        let name = sym
                            .name()
                            .map_err(|e| PolyfillError::Object(e.to_string()))?;
                        if name == GOT_BASE_SYMBOL || name == ppc64::TOC_SYMBOL {
                            continue;
                        }
                        if matches!(rel.flags(), RelocationFlags::Elf { r_type } if needs_stub(self.arch, r_type.0))
                        {
                            c.stubs.insert(name.to_string());
                        }
                        c.imports.insert(name.to_string());
                    }
                }
            }
        }
        Ok(c)
    }
}

/// What a set of polyfills and wrappers (named by [`object_symbol`]) needs, for the plan.
pub fn need(arch: Arch, roots: &[String]) -> Result<Need, PolyfillError> {
    let p = parse(arch)?;
    let c = p.closure(roots)?;
    let size = c
        .sections
        .iter()
        .filter_map(|i| p.file.section_by_index(SectionIndex(*i)).ok())
        .map(|s| s.size())
        .sum::<u64>()
        + arch.word() * c.imports.len() as u64
        + ARM_STUB_SIZE * c.stubs.len() as u64;
    Ok(Need {
        imports: c.imports.into_iter().collect(),
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
    /// Offset of the GOT base (`_GLOBAL_OFFSET_TABLE_`, the first slot) in the data blob.
    got_base: u64,
    /// Offset (in the text blob) of the arm or riscv64 stub of each import a branch calls.
    stubs: BTreeMap<String, u64>,
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
    let c = p.closure(roots)?;
    let mut place = BTreeMap::new();
    let (mut text, mut data) = (0u64, 0u64);
    for i in &c.sections {
        let s = p.section(*i)?;
        let writable = match s.flags() {
            SectionFlags::Elf { sh_flags, .. } => sh_flags.contains(object::elf::SHF_WRITE),
            _ => false,
        };
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
    let mut stubs = BTreeMap::new();
    if !c.stubs.is_empty() {
        text = align(text, 4);
    }
    for name in &c.stubs {
        stubs.insert(name.clone(), text);
        text += ARM_STUB_SIZE;
    }
    let word = arch.word();
    data = align(data, 8);
    let got_base = data;
    // ppc64el: an import whose address the code loads from a `.toc` word (an ADDR64 there)
    // has that word as its GOT slot.
    let mut got = match arch {
        Arch::Ppc64el => ppc64::toc_slots(p, &place)?,
        _ => BTreeMap::new(),
    };
    for name in c.imports {
        if got.contains_key(&name) {
            continue;
        }
        got.insert(name, data);
        data += word;
    }
    Ok(Layout {
        arch,
        place,
        got,
        got_base,
        stubs,
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
    /// Per root (the object's symbol name): (address, size, is it in the text blob). The
    /// address of an arm Thumb function has bit 0 set, as its symbol value must.
    pub symbols: BTreeMap<String, (u64, u64, bool)>,
}

/// The addresses one relocation resolves against.
struct Resolved {
    /// The place being relocated.
    place: u64,
    /// The target symbol's address (a stub's, for an arm import called by a Thumb branch;
    /// 0 for another import, which only GOT relocations may reference).
    target: u64,
    /// Whether the target is defined (in the polyfills or a stub).
    defined: bool,
    /// The import's GOT slot, if the target is an import.
    got: Option<u64>,
    /// The GOT base (`_GLOBAL_OFFSET_TABLE_`; on ppc64el the TOC pointer, `.TOC.`).
    got_base: u64,
    /// ppc64el: the offset of the target's local entry point from its global one.
    local_entry: u64,
}

impl Resolved {
    /// The target's GOT slot, for a relocation of type `t` that reads one: only an import
    /// has one here (a defined symbol is reached directly).
    fn got_slot(&self, t: u32) -> Result<i64, PolyfillError> {
        self.got
            .map(|g| g as i64)
            .ok_or(PolyfillError::Relocation(t))
    }

    /// Whether a direct reference (a branch, a call, a PC-relative address) of type `t` can
    /// be resolved statically: only to a defined target; an import is reached through its
    /// stub (calls) or its GOT slot.
    fn require_defined(&self, t: u32) -> Result<(), PolyfillError> {
        match self.defined {
            true => Ok(()),
            false => Err(PolyfillError::Relocation(t)),
        }
    }
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
        let got_of = |name: &str| {
            got_at
                .get(name)
                .copied()
                .or_else(|| self.got.get(name).map(|o| data_base + o))
        };
        // Copy section bytes (NOBITS stays zero).
        for (i, (is_text, off)) in &self.place {
            let s = p.section(*i)?;
            if let Ok(bytes) = s.data() {
                let dst = if *is_text { &mut text } else { &mut data };
                let o = *off as usize;
                if !bytes.is_empty() {
                    dst.get_mut(o..o + bytes.len())
                        .ok_or(PolyfillError::Range)?
                        .copy_from_slice(bytes);
                }
            }
        }
        // The arm and riscv64 stubs, each jumping through its import's GOT slot.
        for (name, off) in &self.stubs {
            let slot = got_of(name).ok_or(PolyfillError::Range)?;
            let stub = match self.arch {
                Arch::S390x => s390x::stub(text_base + off, slot)?,
                Arch::Riscv64 => riscv64::stub(text_base + off, slot)?,
                _ => arm_stub(text_base + off, slot)?,
            };
            text.get_mut(*off as usize..(*off + ARM_STUB_SIZE) as usize)
                .ok_or(PolyfillError::Range)?
                .copy_from_slice(&stub);
        }
        // Apply relocations.
        let mut pcrel_hi = riscv64::PcrelHi::default();
        for (i, (is_text, off)) in &self.place {
            let s = p.section(*i)?;
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
                let sym = p.symbol_at(si)?;
                let name = sym.name().unwrap_or("");
                let (target, defined) = match sym.section_index() {
                    Some(ti) => (
                        addr_of_section(&ti.0).ok_or(PolyfillError::Range)? + sym.address(),
                        true,
                    ),
                    None if self.arch == Arch::Ppc64el && name == ppc64::TOC_SYMBOL => {
                        (data_base + self.got_base, true)
                    }
                    None => match self.stubs.get(name) {
                        // A Thumb stub: bit 0 set, as a Thumb function's address has.
                        Some(o) if self.arch == Arch::Armhf => ((text_base + o) | 1, true),
                        Some(o) => (text_base + o, true),
                        None => (0, false),
                    },
                };
                let r = Resolved {
                    place: sec_addr + r_off,
                    target,
                    defined,
                    got: got_of(name),
                    got_base: data_base + self.got_base,
                    local_entry: match sym.flags() {
                        object::SymbolFlags::Elf { st_other, .. } => {
                            ppc64::local_entry_offset(st_other.0)
                        }
                        _ => 0,
                    },
                };
                let dst = if *is_text { &mut text } else { &mut data };
                let at = (off + r_off) as usize;
                let addend = match rel.has_implicit_addend() {
                    true => implicit_addend(self.arch, r_type, dst, at)?,
                    false => rel.addend(),
                };
                match self.arch {
                    Arch::Riscv64 => riscv64::apply(&mut pcrel_hi, r_type, dst, at, &r, addend)?,
                    _ => apply(self.arch, r_type, dst, at, &r, addend)?,
                }
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

fn get16(dst: &[u8], at: usize) -> Result<u16, PolyfillError> {
    let b = dst.get(at..at + 2).ok_or(PolyfillError::Range)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn put16(dst: &mut [u8], at: usize, v: u16) -> Result<(), PolyfillError> {
    dst.get_mut(at..at + 2)
        .ok_or(PolyfillError::Range)?
        .copy_from_slice(&v.to_le_bytes());
    Ok(())
}

fn rel32(v: i64) -> Result<u32, PolyfillError> {
    i32::try_from(v)
        .map(|v| v as u32)
        .map_err(|_| PolyfillError::Range)
}

/// A 32-bit field of a 32-bit architecture: any value modulo 2^32 is the address or
/// difference it stands for, since the address space is 32 bits wide; a value outside
/// both the signed and the unsigned 32-bit range means an address that cannot exist.
fn word32(v: i64) -> Result<u32, PolyfillError> {
    if (-(1i64 << 32)..(1i64 << 32)).contains(&v) {
        Ok(v as u32)
    } else {
        Err(PolyfillError::Range)
    }
}

/// The offset a Thumb-2 `bl`/`b.w` (T1/T4 encoding: S, J1, J2, imm10, imm11) holds.
fn thumb_branch_offset(hw1: u16, hw2: u16) -> i64 {
    let s = u32::from(hw1 >> 10) & 1;
    let imm10 = u32::from(hw1) & 0x3ff;
    let j1 = u32::from(hw2 >> 13) & 1;
    let j2 = u32::from(hw2 >> 11) & 1;
    let imm11 = u32::from(hw2) & 0x7ff;
    let i1 = !(j1 ^ s) & 1;
    let i2 = !(j2 ^ s) & 1;
    let v = (s << 24) | (i1 << 23) | (i2 << 22) | (imm10 << 12) | (imm11 << 1);
    // Sign-extend 25 bits.
    i64::from(((v << 7) as i32) >> 7)
}

/// The `bl`/`b.w` halfwords with the branch offset `d` (even, within +-16 MiB).
fn thumb_branch(hw1: u16, hw2: u16, d: i64) -> Result<(u16, u16), PolyfillError> {
    if d % 2 != 0 || !(-(1 << 24)..(1 << 24)).contains(&d) {
        return Err(PolyfillError::Range);
    }
    let d = d as u32;
    let s = (d >> 24) & 1;
    let i1 = (d >> 23) & 1;
    let i2 = (d >> 22) & 1;
    let j1 = !(i1 ^ s) & 1;
    let j2 = !(i2 ^ s) & 1;
    let hw1 = (hw1 & 0xf800) | (s << 10) as u16 | ((d >> 12) & 0x3ff) as u16;
    let hw2 = (hw2 & 0xd000) | (j1 << 13) as u16 | (j2 << 11) as u16 | ((d >> 1) & 0x7ff) as u16;
    Ok((hw1, hw2))
}

/// A Thumb-2 stub at `at` that jumps to the address in the GOT slot `slot`:
/// `ldr.w ip, [pc, #8]; add ip, pc; ldr.w ip, [ip]; bx ip; .word slot - (at + 8)`.
/// `bx` switches to ARM or stays in Thumb by the address's bit 0, so it reaches any import.
fn arm_stub(at: u64, slot: u64) -> Result<[u8; 16], PolyfillError> {
    // The literal is read relative to Align(pc, 4) = at + 4 (`at` is 4-aligned); `add ip, pc`
    // at at + 4 reads pc as at + 8.
    if at % 4 != 0 {
        return Err(PolyfillError::Range);
    }
    let lit = word32(slot as i64 - (at as i64 + 8))?;
    let mut b = [0u8; 16];
    for (i, hw) in [0xf8df_u16, 0xc008, 0x44fc, 0xf8dc, 0xc000, 0x4760]
        .iter()
        .enumerate()
    {
        b[2 * i..2 * i + 2].copy_from_slice(&hw.to_le_bytes());
    }
    b[12..16].copy_from_slice(&lit.to_le_bytes());
    Ok(b)
}

/// The addend a REL relocation keeps in its place.
fn implicit_addend(arch: Arch, r_type: u32, dst: &[u8], at: usize) -> Result<i64, PolyfillError> {
    use object::elf::*;
    match arch {
        Arch::Armhf if is_thumb_branch(r_type) => {
            Ok(thumb_branch_offset(get16(dst, at)?, get16(dst, at + 2)?))
        }
        Arch::Armhf
            if [
                R_ARM_REL32.0,
                R_ARM_BASE_PREL,
                R_ARM_GOT_BREL,
                R_ARM_GOT_PREL.0,
            ]
            .contains(&r_type) =>
        {
            Ok(i64::from(get32(dst, at)? as i32))
        }
        Arch::I386 => Ok(i64::from(get32(dst, at)? as i32)),
        _ => Err(PolyfillError::Relocation(r_type)),
    }
}

fn apply(
    arch: Arch,
    r_type: u32,
    dst: &mut [u8],
    at: usize,
    r: &Resolved,
    addend: i64,
) -> Result<(), PolyfillError> {
    use object::elf::*;
    let s_a = (r.target as i64).wrapping_add(addend);
    let p = r.place as i64;
    match arch {
        Arch::X86_64 => match r_type {
            t if t == R_X86_64_PC32.0 || t == R_X86_64_PLT32.0 => put32(dst, at, rel32(s_a - p)?),
            t if t == R_X86_64_GOTPCREL.0
                || t == R_X86_64_GOTPCRELX.0
                || t == R_X86_64_REX_GOTPCRELX.0 =>
            {
                put32(dst, at, rel32(r.got_slot(t)? + addend - p)?)
            }
            t => Err(PolyfillError::Relocation(t)),
        },
        Arch::Aarch64 => apply_aarch64(r_type, dst, at, p, s_a, r.got, addend),
        Arch::Ppc64el => ppc64::apply(r_type, dst, at, r, addend),
        Arch::S390x => s390x::apply(r_type, dst, at, r, addend),
        // Linked by `riscv64::apply`: a low part needs its `auipc`'s difference.
        Arch::Riscv64 => Err(PolyfillError::Relocation(r_type)),
        Arch::I386 => {
            let gb = r.got_base as i64;
            let v = match r_type {
                t if t == R_386_PC32.0 || t == R_386_PLT32.0 => {
                    r.require_defined(t)?;
                    s_a - p
                }
                // _GLOBAL_OFFSET_TABLE_ + A - P: the GOT base, found from the PC.
                t if t == R_386_GOTPC.0 => gb + addend - p,
                t if t == R_386_GOTOFF.0 => {
                    r.require_defined(t)?;
                    s_a - gb
                }
                // Only the form with a base register (`op disp32(%reg)`, ModRM mod 10 and
                // no SIB) is the GOT-relative slot offset; the absolute form is for
                // position-dependent code, which the object does not hold.
                t if t == R_386_GOT32X.0 || t == R_386_GOT32.0 => {
                    let modrm = *at
                        .checked_sub(1)
                        .and_then(|i| dst.get(i))
                        .ok_or(PolyfillError::Range)?;
                    if modrm >> 6 != 0b10 || modrm & 7 == 0b100 {
                        return Err(PolyfillError::Relocation(t));
                    }
                    r.got_slot(t)? + addend - gb
                }
                t => return Err(PolyfillError::Relocation(t)),
            };
            put32(dst, at, word32(v)?)
        }
        Arch::Armhf => {
            let gb = r.got_base as i64;
            match r_type {
                t if is_thumb_branch(t) => {
                    r.require_defined(t)?;
                    // Every target is Thumb (the object holds no ARM code; stubs are Thumb):
                    // `bl` and `b.w` stay in Thumb state. An ARM target would need `blx`.
                    if r.target & 1 == 0 {
                        return Err(PolyfillError::Relocation(t));
                    }
                    let d = (s_a & !1) - p;
                    let (hw1, hw2) = thumb_branch(get16(dst, at)?, get16(dst, at + 2)?, d)?;
                    put16(dst, at, hw1)?;
                    put16(dst, at + 2, hw2)
                }
                t if t == R_ARM_REL32.0 => {
                    r.require_defined(t)?;
                    put32(dst, at, word32(s_a - p)?)
                }
                // GOT_ORG + A - P.
                t if t == R_ARM_BASE_PREL => put32(dst, at, word32(gb + addend - p)?),
                // GOT(S) + A - GOT_ORG.
                t if t == R_ARM_GOT_BREL => put32(dst, at, word32(r.got_slot(t)? + addend - gb)?),
                // GOT(S) + A - P.
                t if t == R_ARM_GOT_PREL.0 => put32(dst, at, word32(r.got_slot(t)? + addend - p)?),
                t => Err(PolyfillError::Relocation(t)),
            }
        }
    }
}

fn apply_aarch64(
    r_type: u32,
    dst: &mut [u8],
    at: usize,
    p: i64,
    s_a: i64,
    got: Option<u64>,
    addend: i64,
) -> Result<(), PolyfillError> {
    use object::elf::*;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The keyed search answers as a search of the strings does: for every name of each
    /// catalog, and for names that share its first eight bytes or are cut from it.
    #[test]
    fn in_catalog_is_the_catalog() {
        for arch in Arch::ALL {
            let c = catalog(arch);
            assert!(!c.is_empty(), "{arch:?}");
            let mut asked = 0;
            for name in c {
                let mut near = vec![name.clone(), format!("{name}x"), format!("_{name}")];
                for cut in 1..name.len() {
                    near.push(name[..cut].to_string());
                }
                for n in near {
                    assert_eq!(
                        in_catalog(arch, &n),
                        c.binary_search(&n).is_ok(),
                        "{arch:?} {n}"
                    );
                    asked += 1;
                }
            }
            assert!(asked > c.len() * 3);
            assert!(!in_catalog(arch, "") && !in_catalog(arch, "no_such_function_here"));
        }
    }

    #[test]
    fn catalog_and_closure() {
        for arch in Arch::ALL {
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
            // Every wrapper on every architecture, but the O_TMPFILE ones on riscv64
            // (whose first glibc, 2.27, already reads the mode): each links.
            for s in ["fchmodat", "lchmod", "statvfs", "fstatvfs64", "openat64"] {
                if arch == Arch::Riscv64 && s == "openat64" {
                    assert!(!wraps(arch, s));
                    continue;
                }
                assert!(wraps(arch, s), "{arch:?} does not wrap {s}");
                let l = layout(arch, &[object_symbol(s, true)]).expect("layout wrapper");
                l.link(0x10_0000, 0x20_0000).expect("link wrapper");
            }
            assert_eq!(
                wraps(arch, "open64"),
                arch.word() == 4 || arch == Arch::Aarch64
            );
        }
    }
}
