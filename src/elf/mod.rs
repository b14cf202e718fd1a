//! The ELF reader: bytes to the dynamic view the loader sees.
//!
//! Everything is read the way glibc's ld.so reads it: through the program headers and
//! PT_DYNAMIC, so files without section headers (`sstrip`ed) work. Section headers, when
//! present, are used only as a cross-check and as the last resort for the symbol count.
//! Every offset, size and count read from the file is checked against the file's size
//! before it is used, so hostile input gives an [`ElfError`], never a panic or a huge
//! allocation.

mod error;
mod file;
mod parse;
mod symtab;

pub use error::{ElfError, FileError};
pub use file::{open, open_if_elf, open_walked_if_elf, MappedFile, READ_WHOLE_BELOW};
pub use parse::{section_infos, SectionInfo};
pub use symtab::SymbolTable;

use std::borrow::Cow;

/// ELF class: 32- or 64-bit.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Class {
    /// ELFCLASS32.
    Elf32,
    /// ELFCLASS64.
    Elf64,
}

/// Byte order of the file.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ByteOrder {
    /// ELFDATA2LSB.
    Little,
    /// ELFDATA2MSB.
    Big,
}

/// How the file is linked, as far as the loader is concerned.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Linkage {
    /// A position-dependent executable with PT_INTERP.
    Executable,
    /// A position-independent executable (ET_DYN with PT_INTERP or DF_1_PIE).
    Pie,
    /// A shared library (ET_DYN without PT_INTERP and not DF_1_PIE).
    SharedLibrary,
    /// ET_EXEC without PT_DYNAMIC.
    Static,
    /// ET_DYN with PT_DYNAMIC but no PT_INTERP and no DT_NEEDED: relocates itself.
    StaticPie,
    /// A relocatable object (.o), core file or other type without a dynamic view.
    Other,
}

/// One program header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// p_type.
    pub p_type: u32,
    /// p_flags.
    pub flags: u32,
    /// p_offset.
    pub offset: u64,
    /// p_vaddr.
    pub vaddr: u64,
    /// p_filesz.
    pub filesz: u64,
    /// p_memsz.
    pub memsz: u64,
    /// p_align.
    pub align: u64,
}

/// A region of the file that a dynamic tag points at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The virtual address from the dynamic tag.
    pub vaddr: u64,
    /// Its file offset, through the PT_LOAD that maps it.
    pub offset: u64,
    /// Its size in bytes (from the size tag, or as computed).
    pub size: u64,
}

/// Which symbol names a parse decodes.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Names {
    /// Every symbol's name ([`ElfFile::parse`]).
    #[default]
    All,
    /// No name, and no [`Dynamic::symbols`]: every symbol's name is checked to lie in the
    /// string table, and the symbols are read in place through [`Dynamic::table`], each
    /// name decoded when asked ([`Dynamic::symbol_name`]). What `report` and `check`
    /// need of a large library's tens of thousands of exports is their count
    /// ([`ElfFile::parse_imports`]).
    Imports,
}

/// One `.dynsym` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynSymbol<'data> {
    /// The name, from the dynamic string table. Empty in an entry of [`Dynamic::table`]:
    /// [`Dynamic::symbol_name`] gives it.
    pub name: Cow<'data, str>,
    /// st_name: the name's offset in the dynamic string table.
    pub name_offset: u32,
    /// st_value.
    pub value: u64,
    /// st_size.
    pub size: u64,
    /// st_info's type (STT_*).
    pub kind: u8,
    /// st_info's binding (STB_*).
    pub bind: u8,
    /// st_other (visibility).
    pub other: u8,
    /// st_shndx.
    pub shndx: u16,
}

impl DynSymbol<'_> {
    /// Whether the symbol is undefined here (an import).
    pub fn is_undefined(&self) -> bool {
        self.shndx == object::elf::SHN_UNDEF.0
    }
    /// Whether the symbol is bound weakly.
    pub fn is_weak(&self) -> bool {
        self.bind == object::elf::STB_WEAK.0
    }
}

/// One `Elfxx_Vernaux`: a version required from a needed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vernaux<'data> {
    /// vna_name.
    pub name: Cow<'data, str>,
    /// vna_hash as stored (should be the ELF hash of the name).
    pub hash: u32,
    /// vna_flags (VER_FLG_WEAK = 2).
    pub flags: u16,
    /// vna_other: the index `.gnu.version` uses for it.
    pub index: u16,
    /// File offset of this entry.
    pub offset: u64,
}

impl Vernaux<'_> {
    /// Whether the requirement is weak (a missing version only warns).
    pub fn is_weak(&self) -> bool {
        self.flags & object::elf::VER_FLG_WEAK.0 != 0
    }
}

/// One `Elfxx_Verneed`: a needed file and the versions required from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verneed<'data> {
    /// vn_file: the soname of the file.
    pub file: Cow<'data, str>,
    /// File offset of this entry.
    pub offset: u64,
    /// Its vernaux entries, in file order.
    pub aux: Vec<Vernaux<'data>>,
}

/// One `Elfxx_Verdef`: a version this file defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdef<'data> {
    /// vd_ndx: the index `.gnu.version` uses for it.
    pub index: u16,
    /// vd_flags (VER_FLG_BASE = 1 marks the file's own name).
    pub flags: u16,
    /// vd_hash.
    pub hash: u32,
    /// The version name, then its parents' names.
    pub names: Vec<Cow<'data, str>>,
}

impl Verdef<'_> {
    /// The defined version's name.
    pub fn name(&self) -> &str {
        self.names.first().map(|n| n.as_ref()).unwrap_or("")
    }
    /// Whether this is the base definition (the file's own name, index 1).
    pub fn is_base(&self) -> bool {
        self.flags & object::elf::VER_FLG_BASE.0 != 0
    }
}

/// Where the dynamic tables live; what a rewriter needs to find them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DynamicLayout {
    /// File offset and size of the PT_DYNAMIC array.
    pub dynamic: Option<Region>,
    /// DT_STRTAB / DT_STRSZ.
    pub strtab: Option<Region>,
    /// DT_SYMTAB, sized by the symbol count.
    pub symtab: Option<Region>,
    /// DT_SYMENT (defaults to the class's size).
    pub syment: u64,
    /// DT_VERSYM, sized by the symbol count.
    pub versym: Option<Region>,
    /// DT_VERNEED (size: up to the end of the last entry read).
    pub verneed: Option<Region>,
    /// DT_VERDEF (size: up to the end of the last entry read).
    pub verdef: Option<Region>,
    /// DT_HASH.
    pub hash: Option<Region>,
    /// DT_GNU_HASH.
    pub gnu_hash: Option<Region>,
    /// DT_RELR / DT_RELRSZ.
    pub relr: Option<Region>,
}

/// How the number of `.dynsym` entries was found (the dynamic section does not say).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SymbolCountSource {
    /// nchain of DT_HASH.
    Hash,
    /// The last chain of DT_GNU_HASH.
    GnuHash,
    /// The `.dynsym` section header.
    SectionHeader,
    /// The gap between DT_SYMTAB and DT_STRTAB (last resort).
    StrtabGap,
    /// There is no symbol table.
    None,
}

/// The dynamic view of a file: what PT_DYNAMIC says.
#[derive(Clone, Debug, Default)]
pub struct Dynamic<'data> {
    /// Every (d_tag, d_val) up to DT_NULL.
    pub entries: Vec<(i64, u64)>,
    /// DT_NEEDED, in order.
    pub needed: Vec<Cow<'data, str>>,
    /// DT_SONAME.
    pub soname: Option<Cow<'data, str>>,
    /// DT_RPATH.
    pub rpath: Option<Cow<'data, str>>,
    /// DT_RUNPATH.
    pub runpath: Option<Cow<'data, str>>,
    /// DT_FLAGS.
    pub flags: u64,
    /// DT_FLAGS_1.
    pub flags_1: u64,
    /// `.dynsym`, entry 0 included, names decoded. Empty after a [`Names::Imports`]
    /// parse: [`Dynamic::table`] has the same entries after either.
    pub symbols: Vec<DynSymbol<'data>>,
    /// `.dynsym` read in place, entry 0 included, names undecoded.
    pub table: SymbolTable<'data>,
    /// Whether `symbols` was filled.
    pub names: Names,
    /// The dynamic string table's bytes (DT_STRTAB, DT_STRSZ long).
    pub strtab: &'data [u8],
    /// How the symbol count was found.
    pub symbol_count_source: Option<SymbolCountSource>,
    /// `.gnu.version`: one entry per symbol, or empty when there is no DT_VERSYM.
    pub versym: Vec<u16>,
    /// `.gnu.version_r`.
    pub verneed: Vec<Verneed<'data>>,
    /// `.gnu.version_d`.
    pub verdef: Vec<Verdef<'data>>,
    /// Where the tables live.
    pub layout: DynamicLayout,
    /// After a [`Names::Imports`] parse: what the requirement model reads of `.dynsym`,
    /// found in the parse's one pass over it.
    pub imports: Option<ImportScan>,
}

/// What a [`Names::Imports`] parse found in `.dynsym`, in one pass: the named symbols that
/// are imports (undefined, or bound to a version a verneed entry requires), how many named
/// symbols are exports, and the version indices no verneed or verdef entry defines.
#[derive(Clone, Debug, Default)]
pub struct ImportScan {
    /// (index in `.dynsym`, name length) of each import, in table order.
    pub symbols: Vec<(u32, u32)>,
    /// Named, defined, non-local symbols bound to no required version.
    pub export_count: usize,
    /// (index in `.dynsym`, raw `.gnu.version` entry) of each named symbol whose version
    /// index (2 or above) no verneed or verdef entry has, in table order.
    pub dangling: Vec<(usize, u16)>,
}

impl<'data> Dynamic<'data> {
    /// The value of the first entry with this tag.
    pub fn value(&self, tag: i64) -> Option<u64> {
        self.entries
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| *v)
    }

    /// A symbol's name as the string table holds it, up to its terminator (the parse
    /// checked that it has one), without decoding it.
    pub fn name_bytes(&self, sym: &DynSymbol<'data>) -> &'data [u8] {
        let tail = self.strtab.get(sym.name_offset as usize..).unwrap_or(&[]);
        let end = memchr::memchr(0, tail).unwrap_or(tail.len());
        &tail[..end]
    }

    /// Whether a symbol's name is `name`, compared in place (no search for its end).
    pub fn name_is(&self, sym: &DynSymbol<'data>, name: &[u8]) -> bool {
        let tail = self.strtab.get(sym.name_offset as usize..).unwrap_or(&[]);
        tail.starts_with(name) && tail.get(name.len()).is_none_or(|&b| b == 0)
    }

    /// Whether a symbol has a name (what `!sym.name.is_empty()` says after a
    /// [`Names::All`] parse), without decoding it.
    pub fn is_named(&self, sym: &DynSymbol<'data>) -> bool {
        self.strtab
            .get(sym.name_offset as usize)
            .is_some_and(|&b| b != 0)
    }

    /// The name of `len` bytes at `offset` of the string table (an [`ImportScan`] entry's),
    /// decoded.
    pub fn name_at(&self, offset: u32, len: u32) -> Cow<'data, str> {
        let start = offset as usize;
        let bytes = self.strtab.get(start..start + len as usize).unwrap_or(&[]);
        match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }

    /// A symbol's name: decoded here for an entry of [`Dynamic::table`].
    pub fn symbol_name(&self, sym: &DynSymbol<'data>) -> Cow<'data, str> {
        if !sym.name.is_empty() {
            return sym.name.clone();
        }
        let bytes = self.name_bytes(sym);
        match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }

    /// The index of the first defined symbol named `name`, compared as bytes: no name is
    /// decoded to find it.
    pub fn defines(&self, name: &str) -> Option<usize> {
        self.table
            .iter()
            .position(|s| !s.is_undefined() && self.name_is(&s, name.as_bytes()))
    }
}

/// A parsed ELF file: header facts, segments and the dynamic view.
#[derive(Clone, Debug)]
pub struct ElfFile<'data> {
    /// The whole file.
    pub data: &'data [u8],
    /// 32- or 64-bit.
    pub class: Class,
    /// Byte order.
    pub byte_order: ByteOrder,
    /// e_ident[EI_OSABI].
    pub osabi: u8,
    /// e_type.
    pub e_type: u16,
    /// e_machine.
    pub machine: u16,
    /// e_flags.
    pub e_flags: u32,
    /// e_entry.
    pub entry: u64,
    /// e_phoff.
    pub phoff: u64,
    /// The program headers.
    pub segments: Vec<Segment>,
    /// PT_INTERP's path.
    pub interp: Option<Cow<'data, str>>,
    /// The dynamic view, when there is a PT_DYNAMIC.
    pub dynamic: Option<Dynamic<'data>>,
    /// Whether the file has a section header table.
    pub has_section_headers: bool,
    /// Disagreements between the dynamic view and the section headers, and other oddities
    /// that do not stop the loader.
    pub warnings: Vec<String>,
}

impl<'data> ElfFile<'data> {
    /// Parse an ELF file from its bytes.
    pub fn parse(data: &'data [u8]) -> Result<ElfFile<'data>, ElfError> {
        parse::parse(data, Names::All)
    }

    /// Parse an ELF file from its bytes, decoding only the symbol names of imports
    /// ([`Names::Imports`]): what `report` and `check` read of each file of a tree.
    pub fn parse_imports(data: &'data [u8]) -> Result<ElfFile<'data>, ElfError> {
        parse::parse(data, Names::Imports)
    }

    /// How the file is linked.
    pub fn linkage(&self) -> Linkage {
        use object::elf::{DF_1_PIE, DT_FLAGS_1, ET_DYN, ET_EXEC};
        let has_dynamic = self.dynamic.is_some();
        match self.e_type {
            t if t == ET_EXEC.0 => {
                if has_dynamic {
                    Linkage::Executable
                } else {
                    Linkage::Static
                }
            }
            t if t == ET_DYN.0 => {
                let Some(dynamic) = &self.dynamic else {
                    return Linkage::Other;
                };
                let pie_flag = dynamic.value(DT_FLAGS_1.0).unwrap_or(0) & DF_1_PIE.0 != 0;
                if pie_flag {
                    if self.interp.is_none() && dynamic.needed.is_empty() {
                        Linkage::StaticPie
                    } else {
                        Linkage::Pie
                    }
                } else if dynamic.soname.is_none() && self.interp.is_some() {
                    // PIEs linked before DF_1_PIE existed; libc.so.6 has PT_INTERP too,
                    // but also a DT_SONAME.
                    Linkage::Pie
                } else {
                    Linkage::SharedLibrary
                }
            }
            _ => Linkage::Other,
        }
    }

    /// The name of e_machine, as readelf and glibc call it.
    pub fn machine_name(&self) -> &'static str {
        use object::elf::{EF_ARM_ABI_FLOAT_HARD, EM_ARM, EM_PPC64};
        if self.machine == EM_PPC64.0 && self.byte_order == ByteOrder::Little {
            return "ppc64le";
        }
        if self.machine == EM_ARM.0 {
            return if self.e_flags & EF_ARM_ABI_FLOAT_HARD != 0 {
                "armhf"
            } else {
                "armel"
            };
        }
        machine_name(self.machine, self.class)
    }

    /// The section headers (empty when there are none or they cannot be read).
    pub fn sections(&self) -> Vec<SectionInfo> {
        parse::section_infos(self.data)
    }

    /// Map a virtual address to a file offset and the bytes available there, through the
    /// PT_LOAD that maps it from the file.
    pub fn vaddr_to_offset(&self, vaddr: u64) -> Option<(u64, u64)> {
        parse::vaddr_to_offset(&self.segments, self.data.len() as u64, vaddr)
    }
}

/// A name's first eight bytes as a big-endian number, zero-padded. Names (which hold no
/// NUL) order as their keys do wherever the keys differ, so a sort or a search of names
/// settles most comparisons with one integer compare, without a call to compare strings.
pub fn name_key(name: &str) -> u64 {
    let mut b = [0u8; 8];
    let n = name.len().min(8);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    u64::from_be_bytes(b)
}

/// A short architecture name for e_machine (and class where it matters).
pub fn machine_name(machine: u16, class: Class) -> &'static str {
    use object::elf::*;
    let is64 = class == Class::Elf64;
    match machine {
        m if m == EM_X86_64.0 => {
            if is64 {
                "x86_64"
            } else {
                "x32"
            }
        }
        m if m == EM_386.0 => "i386",
        m if m == EM_AARCH64.0 => "aarch64",
        m if m == EM_ARM.0 => "arm",
        m if m == EM_PPC64.0 => "ppc64",
        m if m == EM_PPC.0 => "ppc",
        m if m == EM_S390.0 => {
            if is64 {
                "s390x"
            } else {
                "s390"
            }
        }
        m if m == EM_RISCV.0 => {
            if is64 {
                "riscv64"
            } else {
                "riscv32"
            }
        }
        m if m == EM_MIPS.0 => {
            if is64 {
                "mips64"
            } else {
                "mips"
            }
        }
        m if m == EM_LOONGARCH.0 => "loongarch64",
        m if m == EM_SPARCV9.0 => "sparc64",
        m if m == EM_SPARC.0 || m == EM_SPARC32PLUS.0 => "sparc",
        m if m == EM_68K.0 => "m68k",
        m if m == EM_ALPHA.0 || m == 0x9026 => "alpha",
        m if m == EM_IA_64.0 => "ia64",
        m if m == EM_PARISC.0 => "hppa",
        m if m == EM_SH.0 => "sh",
        m if m == EM_ARC_COMPACT2.0 || m == EM_ARC_COMPACT.0 => "arc",
        m if m == EM_CSKY.0 => "csky",
        m if m == EM_MICROBLAZE.0 => "microblaze",
        m if m == EM_ALTERA_NIOS2.0 => "nios2",
        m if m == EM_OPENRISC.0 => "or1k",
        _ => "unknown",
    }
}
