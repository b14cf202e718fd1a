//! Stub glibc libraries made from the ABI database: for a target and a release, one ELF
//! shared object per glibc library with that library's soname, exactly the version tags
//! it defines in that release (`.gnu.version_d`) and a defined dynamic symbol for every
//! symbol it exports there, at the right versions. The real loader, pointed at them in
//! trace mode ([`super::loader`]), then checks a binary against a glibc the machine does
//! not have.
//!
//! The stubs are never run: functions all point at one return instruction, objects at
//! zeroed storage of their recorded size (copy relocations compare sizes), TLS symbols
//! into a zeroed TLS block. Building a stub is a pure function ([`plan`]) followed by a
//! mechanical write ([`StubPlan::to_elf`]) with `object`'s ELF writer; no compiler is
//! involved.
//!
//! What the stubs model, beyond the database's attribution (see [`crate::abi`]):
//! - From 2.34, libc.so.6 also carries the symbols of the libraries merged into it
//!   (libpthread, libdl, librt, libutil) at their old versions, as the real libc does;
//!   the old libraries keep defining their versions.
//! - From 2.36, libc.so.6 defines `GLIBC_ABI_DT_RELR`, a version with no symbols.
//! - No stub is written for the loader (`ld-linux-x86-64.so.2` …): a `DT_NEEDED` on
//!   it always resolves to the loader that is running, never to a file, so the loader's
//!   own versions are checked from the database instead (see [`super::loader`]).
//! - `GLIBC_PRIVATE` is not defined: the database does not cover it, and nothing
//!   portable may depend on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use object::elf;
use object::write::elf::{
    FileHeader, ProgramHeader, SectionHeader, SectionIndex, Sym, Verdef, Writer,
};
use object::Endianness;

use crate::abi::{self, GlibcVersion, Lib, SymbolKind, Target};
use crate::check::DT_RELR_MARKER;

/// Why stubs could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum StubError {
    /// The target's ELF header (machine, class, byte order) is not known here.
    #[error("no stub libraries for target {0}: its ELF header is not known")]
    UnsupportedTarget(String),
    /// The release predates the target's first glibc (its base version).
    #[error("glibc {release} predates {target}, whose oldest glibc version is {base}")]
    BelowBase {
        /// The target.
        target: String,
        /// The release asked for.
        release: GlibcVersion,
        /// The target's base version.
        base: GlibcVersion,
    },
    /// The ELF writer refused the layout.
    #[error("writing the stub {soname}: {message}")]
    Elf {
        /// The library being written.
        soname: &'static str,
        /// The writer's message.
        message: String,
    },
    /// Writing a stub file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// One symbol of a stub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubSymbol {
    /// The symbol name.
    pub name: String,
    /// The version tag (`GLIBC_2.14`); `None` for an unversioned export.
    pub version: Option<GlibcVersion>,
    /// True for the default version (`name@@GLIBC_x`); false for an older, hidden one
    /// (`name@GLIBC_x`).
    pub default: bool,
    /// Function, object or TLS.
    pub kind: SymbolKind,
    /// The size of an object or TLS symbol.
    pub size: u64,
    /// Exported as a weak symbol.
    pub weak: bool,
}

/// What one stub library defines: the pure half of making a stub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StubPlan {
    /// The library.
    pub lib: Lib,
    /// Its soname on the target (`DT_SONAME` and the file name).
    pub soname: &'static str,
    /// The version definitions after the base one, in index order (index 2 first):
    /// `GLIBC_2.2.5`, …, and `GLIBC_ABI_DT_RELR` where it exists.
    pub versions: Vec<String>,
    /// Every symbol, by name then version.
    pub symbols: Vec<StubSymbol>,
    /// `DT_NEEDED`: libc.so.6 for the others, the loader for libc, as in glibc. The
    /// loader's entry matters: it puts the running loader's symbols (`__tls_get_addr`,
    /// `_dl_find_object`) in the global scope, as the real libc does.
    pub needed: Vec<&'static str>,
}

/// The libraries that get a stub: every glibc library of the database but the loader.
pub fn stub_libraries() -> Vec<Lib> {
    Lib::ALL.into_iter().filter(|l| *l != Lib::Ld).collect()
}

/// The libraries merged into libc.so.6 in glibc 2.34, whose symbols libc carries since.
const MERGED_INTO_LIBC: [Lib; 5] = [Lib::Pthread, Lib::Dl, Lib::Rt, Lib::Util, Lib::Anl];
const MERGE_RELEASE: GlibcVersion = GlibcVersion::new(2, 34, 0);
const DT_RELR_RELEASE: GlibcVersion = GlibcVersion::new(2, 36, 0);

/// Version nodes a library defines even where no symbol of the target carries them: a
/// node of the library's `Versions` file that is at or above the target's base version
/// is emitted empty (libm's GLIBC_2.4 holds only the long-double transition symbols of
/// some architectures). The symbol data cannot show these; they were read off Debian's
/// glibc 2.31 (x86_64) and 2.36 (x86_64, i686, mips64el, riscv64, aarch64, armhf,
/// ppc64, ppc64le, s390x) libraries, by comparing their `.gnu.version_d` with the stubs.
const EMPTY_VERSION_NODES: [(Lib, GlibcVersion); 4] = [
    (Lib::M, GlibcVersion::new(2, 4, 0)),
    (Lib::M, GlibcVersion::new(2, 29, 0)),
    (Lib::M, GlibcVersion::new(2, 32, 0)),
    (Lib::Rt, GlibcVersion::new(2, 3, 3)),
];

/// What the stub of `lib` defines on `target` in `release`, from the ABI database.
/// `None` when the library has no version in that release.
pub fn plan(target: Target, release: GlibcVersion, lib: Lib) -> Option<StubPlan> {
    let db = abi::db();
    let mut sources = vec![lib];
    if lib == Lib::C && release >= MERGE_RELEASE {
        sources.extend(MERGED_INTO_LIBC);
    }
    // (name, version) -> symbol; a BTreeMap orders by name, then version.
    let mut by_name: BTreeMap<(String, Option<GlibcVersion>), StubSymbol> = BTreeMap::new();
    let mut tags: Vec<GlibcVersion> = Vec::new();
    for src in &sources {
        tags.extend(db.library_versions(target, *src, release));
        for (name, sv) in db.library_symbols(target, *src, release) {
            let version = (!sv.unversioned).then_some(sv.version);
            by_name
                .entry((name.clone(), version))
                .or_insert_with(|| StubSymbol {
                    name,
                    version,
                    default: false,
                    kind: sv.kind,
                    size: sv.size.unwrap_or(0),
                    weak: sv.weak,
                });
        }
    }
    if tags.is_empty() {
        return None;
    }
    let base = target.base_version();
    tags.extend(
        EMPTY_VERSION_NODES
            .iter()
            .filter(|(l, v)| *l == lib && base <= *v && *v <= release)
            .map(|(_, v)| *v),
    );
    tags.sort();
    tags.dedup();
    let mut symbols: Vec<StubSymbol> = by_name.into_values().collect();
    // The newest version of each name is its default; the older ones are hidden, the
    // way glibc keeps them as compat symbols. Symbols are grouped by name here.
    let mut i = 0;
    while i < symbols.len() {
        let mut j = i;
        while j < symbols.len() && symbols[j].name == symbols[i].name {
            j += 1;
        }
        if let Some(newest) = symbols[i..j]
            .iter_mut()
            .filter(|s| s.version.is_some())
            .last()
        {
            newest.default = true;
        }
        for s in &mut symbols[i..j] {
            if s.version.is_none() {
                s.default = true;
            }
        }
        i = j;
    }
    let mut versions: Vec<String> = tags.iter().map(|v| v.tag()).collect();
    if lib == Lib::C && release >= DT_RELR_RELEASE {
        versions.push(DT_RELR_MARKER.to_string());
    }
    let needed = match lib {
        Lib::C => vec![Lib::Ld.soname(target)],
        _ => vec![Lib::C.soname(target)],
    };
    Some(StubPlan {
        lib,
        soname: lib.soname(target),
        versions,
        symbols,
        needed,
    })
}

/// Write the stub libraries of `release` on `target` into `dir` (which must exist), one
/// file per library named by its soname; returns the files written. The loader gets no
/// stub (see the module documentation); a library without a version in `release` is
/// left out.
pub fn write_stubs(
    target: Target,
    release: GlibcVersion,
    dir: &Path,
) -> Result<Vec<PathBuf>, StubError> {
    let spec = ElfSpec::of(target)?;
    if release < target.base_version() {
        return Err(StubError::BelowBase {
            target: target.name().to_string(),
            release,
            base: target.base_version(),
        });
    }
    let mut written = Vec::new();
    for lib in stub_libraries() {
        let Some(plan) = plan(target, release, lib) else {
            continue;
        };
        let bytes = plan.to_elf_with(&spec)?;
        let path = dir.join(plan.soname);
        std::fs::write(&path, bytes).map_err(|source| StubError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The ELF header of a target: what its stubs are written as.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct ElfSpec {
    machine: u16,
    is_64: bool,
    big_endian: bool,
    e_flags: u32,
}

/// Candidate headers; a target's is the first that the database maps back to it, so
/// this list and [`abi::AbiDb::target_for_elf`] cannot disagree.
const HEADERS: &[(u16, bool, bool, u32)] = &[
    (elf::EM_X86_64.0, true, false, 0),
    (elf::EM_X86_64.0, false, false, 0),
    (elf::EM_386.0, false, false, 0),
    (elf::EM_AARCH64.0, true, false, 0),
    (elf::EM_AARCH64.0, true, true, 0),
    // EABI version 5, hard-float / soft-float.
    (elf::EM_ARM.0, false, false, 0x0500_0400),
    (elf::EM_ARM.0, false, false, 0x0500_0200),
    (elf::EM_ARM.0, false, true, 0x0500_0400),
    (elf::EM_ARM.0, false, true, 0x0500_0200),
    // ELFv2 little-endian, ELFv1 big-endian.
    (elf::EM_PPC64.0, true, false, 2),
    (elf::EM_PPC64.0, true, true, 1),
    (elf::EM_PPC.0, false, true, 0),
    (elf::EM_S390.0, true, true, 0),
    // RVC + double-float ABI.
    (elf::EM_RISCV.0, true, false, 0x5),
    (elf::EM_RISCV.0, false, false, 0x5),
    // Double-float / soft-float base ABI, object ABI v1.
    (elf::EM_LOONGARCH.0, true, false, 0x43),
    (elf::EM_LOONGARCH.0, true, false, 0x41),
    (elf::EM_LOONGARCH.0, false, false, 0x43),
    (elf::EM_LOONGARCH.0, false, false, 0x41),
    (elf::EM_MIPS.0, true, false, 0),
    (elf::EM_MIPS.0, true, true, 0),
    (elf::EM_MIPS.0, false, false, 0x20),
    (elf::EM_MIPS.0, false, true, 0x20),
    (elf::EM_MIPS.0, false, false, 0),
    (elf::EM_MIPS.0, false, true, 0),
    (elf::EM_SPARCV9.0, true, true, 0),
    (elf::EM_SPARC.0, false, true, 0),
    (elf::EM_68K.0, false, true, 0),
    (elf::EM_ARC_COMPACT2.0, false, false, 0),
    (elf::EM_CSKY.0, false, false, 0),
];

impl ElfSpec {
    fn of(target: Target) -> Result<ElfSpec, StubError> {
        let db = abi::db();
        HEADERS
            .iter()
            .find(|(m, w, be, fl)| db.target_for_elf(*m, *w, *be, *fl) == Some(target))
            .map(|&(machine, is_64, big_endian, e_flags)| ElfSpec {
                machine,
                is_64,
                big_endian,
                e_flags,
            })
            .ok_or_else(|| StubError::UnsupportedTarget(target.name().to_string()))
    }

    /// The largest page size of the architecture: segments are aligned to it so the
    /// stubs map on any kernel configuration.
    fn page(&self) -> u64 {
        match self.machine {
            m if m == elf::EM_X86_64.0 || m == elf::EM_386.0 => 0x1000,
            m if m == elf::EM_S390.0 => 0x1000,
            _ => 0x10000,
        }
    }

    /// A return instruction, where one is simple to state; the code is never run, so
    /// elsewhere the stub body is zeros.
    fn ret(&self) -> &'static [u8] {
        match self.machine {
            m if m == elf::EM_X86_64.0 || m == elf::EM_386.0 => &[0xc3],
            // `ret`; AArch64 instructions are little-endian even on big-endian data.
            m if m == elf::EM_AARCH64.0 => &[0xc0, 0x03, 0x5f, 0xd6],
            _ => &[0, 0, 0, 0],
        }
    }
}

fn align_up(x: u64, a: u64) -> u64 {
    if a <= 1 {
        x
    } else {
        x.div_ceil(a) * a
    }
}

/// Where one symbol's storage lies: function code, `.bss` or the TLS block.
#[derive(Copy, Clone)]
enum Place {
    Text,
    Bss(u64),
    Tls(u64),
}

impl StubPlan {
    /// The stub as an ELF shared object for `target`.
    pub fn to_elf(&self, target: Target) -> Result<Vec<u8>, StubError> {
        self.to_elf_with(&ElfSpec::of(target)?)
    }

    fn to_elf_with(&self, spec: &ElfSpec) -> Result<Vec<u8>, StubError> {
        let soname = self.soname;
        let elf_err = |e: object::write::Error| StubError::Elf {
            soname,
            message: e.to_string(),
        };
        let endian = if spec.big_endian {
            Endianness::Big
        } else {
            Endianness::Little
        };
        let word = if spec.is_64 { 8 } else { 4 };
        let page = spec.page();
        let code = spec.ret();

        // Storage: objects in .bss, TLS symbols in a zero-initialised TLS block.
        let mut places = Vec::with_capacity(self.symbols.len());
        let (mut bss_size, mut tls_size) = (0u64, 0u64);
        for s in &self.symbols {
            let align = s.size.clamp(1, 16).next_power_of_two().min(16);
            places.push(match s.kind {
                SymbolKind::Function => Place::Text,
                SymbolKind::Object => {
                    let at = align_up(bss_size, align);
                    bss_size = at + s.size.max(1);
                    Place::Bss(at)
                }
                SymbolKind::Tls => {
                    let at = align_up(tls_size, align);
                    tls_size = at + s.size.max(1);
                    Place::Tls(at)
                }
            });
        }

        // .gnu.hash needs the defined symbols (all of them) ordered by bucket.
        let count = u32::try_from(self.symbols.len()).map_err(|_| StubError::Elf {
            soname,
            message: "too many symbols".into(),
        })?;
        let nbucket = (count / 4).max(1);
        let mut order: Vec<usize> = (0..self.symbols.len()).collect();
        order.sort_by_key(|&i| elf::gnu_hash(self.symbols[i].name.as_bytes()) % nbucket);
        let bloom_bits = word * 8;
        let bloom_count = (count / bloom_bits as u32 + 1).next_power_of_two();
        let bloom_shift = if spec.is_64 { 6 } else { 5 };

        let version_index = |v: &Option<GlibcVersion>| -> u16 {
            match v {
                // Index 1 is the base definition; tags start at 2.
                Some(v) => self
                    .versions
                    .iter()
                    .position(|t| *t == v.tag())
                    .and_then(|p| u16::try_from(p + 2).ok())
                    .unwrap_or(elf::VER_NDX_GLOBAL.0),
                None => elf::VER_NDX_GLOBAL.0,
            }
        };
        let nverdef = u16::try_from(self.versions.len() + 1).map_err(|_| StubError::Elf {
            soname,
            message: "too many versions".into(),
        })?;
        let tls = tls_size > 0;
        // s390x's DT_HASH has 64-bit entries, which the writer does not produce; its
        // loader uses DT_GNU_HASH anyway.
        let sysv_hash = !(spec.is_64 && spec.machine == elf::EM_S390.0);

        let mut out = Vec::new();
        let mut w = Writer::new(endian, spec.is_64, &mut out);

        // Phase one: strings, indices and file ranges, in file order.
        let soname_id = w.add_dynamic_string(soname.as_bytes());
        let needed_ids: Vec<_> = self
            .needed
            .iter()
            .map(|n| w.add_dynamic_string(n.as_bytes()))
            .collect();
        let name_ids: Vec<_> = self
            .symbols
            .iter()
            .map(|s| w.add_dynamic_string(s.name.as_bytes()))
            .collect();
        let version_ids: Vec<_> = self
            .versions
            .iter()
            .map(|v| w.add_dynamic_string(v.as_bytes()))
            .collect();

        let nphdr = if tls { 5 } else { 4 };
        w.reserve_file_header();
        w.reserve_program_headers(nphdr);
        for _ in &self.symbols {
            w.reserve_dynamic_symbol_index();
        }
        let hash_off = if sysv_hash {
            w.reserve_hash(nbucket, count + 1)
        } else {
            0
        };
        let gnu_hash_off = w.reserve_gnu_hash(bloom_count, nbucket, count);
        let dynsym_off = w.reserve_dynsym();
        let dynstr_off = w.reserve_dynstr().map_err(elf_err)?;
        let versym_off = w.reserve_gnu_versym();
        let verdef_off = w.reserve_gnu_verdef(nverdef, usize::from(nverdef));
        let text_off = w.reserve(code.len() as u64, 16);
        let text_end = text_off + code.len() as u64;
        // The writable segment: .dynamic, then the TLS image, then .bss (no file bytes).
        // Its addresses follow the text's on the next page, congruent with the offsets.
        let ndyn = if sysv_hash { 11 } else { 10 } + self.needed.len();
        let dynamic_off = w.reserve_dynamic(ndyn);
        let rw_delta = align_up(dynamic_off, page) + dynamic_off % page - dynamic_off;
        let tdata_off = if tls { w.reserve(tls_size, 16) } else { 0 };
        let rw_file_end = w.reserved_len();
        let tdata_addr = tdata_off + rw_delta;
        let bss_addr = align_up(rw_file_end + rw_delta, 16);
        let rw_mem_end = bss_addr + bss_size;

        w.reserve_null_section_index();
        if sysv_hash {
            w.reserve_hash_section_index();
        }
        w.reserve_gnu_hash_section_index();
        w.reserve_dynsym_section_index();
        w.reserve_dynstr_section_index();
        w.reserve_gnu_versym_section_index();
        w.reserve_gnu_verdef_section_index();
        let text_name = w.add_section_name(b".text");
        let text_idx = w.reserve_section_index();
        w.reserve_dynamic_section_index();
        let tdata_name = tls.then(|| w.add_section_name(b".tdata"));
        let tdata_idx = tls.then(|| w.reserve_section_index());
        let bss_name = w.add_section_name(b".bss");
        let bss_idx = w.reserve_section_index();
        w.reserve_shstrtab_section_index();
        w.reserve_shstrtab().map_err(elf_err)?;
        w.reserve_section_headers();

        // Phase two: write everything in the same order.
        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_SYSV,
            abi_version: 0,
            e_type: elf::ET_DYN,
            e_machine: elf::Machine(spec.machine),
            e_entry: 0,
            e_flags: elf::FileFlags(spec.e_flags),
        })
        .map_err(elf_err)?;
        w.write_align_program_headers();
        let load = |offset: u64, vaddr: u64, filesz: u64, memsz: u64, flags| ProgramHeader {
            p_type: elf::PT_LOAD,
            p_flags: flags,
            p_offset: offset,
            p_vaddr: vaddr,
            p_paddr: vaddr,
            p_filesz: filesz,
            p_memsz: memsz,
            p_align: page,
        };
        w.write_program_header(&load(0, 0, text_end, text_end, elf::PF_R | elf::PF_X));
        w.write_program_header(&load(
            dynamic_off,
            dynamic_off + rw_delta,
            rw_file_end - dynamic_off,
            rw_mem_end - (dynamic_off + rw_delta),
            elf::PF_R | elf::PF_W,
        ));
        let dyn_size = ndyn as u64 * if spec.is_64 { 16 } else { 8 };
        w.write_program_header(&ProgramHeader {
            p_type: elf::PT_DYNAMIC,
            p_flags: elf::PF_R | elf::PF_W,
            p_offset: dynamic_off,
            p_vaddr: dynamic_off + rw_delta,
            p_paddr: dynamic_off + rw_delta,
            p_filesz: dyn_size,
            p_memsz: dyn_size,
            p_align: word,
        });
        // Without PT_GNU_STACK the loader would make the stack executable.
        w.write_program_header(&ProgramHeader {
            p_type: elf::PT_GNU_STACK,
            p_flags: elf::PF_R | elf::PF_W,
            p_offset: 0,
            p_vaddr: 0,
            p_paddr: 0,
            p_filesz: 0,
            p_memsz: 0,
            p_align: 16,
        });
        if tls {
            w.write_program_header(&ProgramHeader {
                p_type: elf::PT_TLS,
                p_flags: elf::PF_R,
                p_offset: tdata_off,
                p_vaddr: tdata_addr,
                p_paddr: tdata_addr,
                p_filesz: tls_size,
                p_memsz: tls_size,
                p_align: 16,
            });
        }

        let sorted_name = |k: u32| self.symbols[order[k as usize]].name.as_bytes();
        if sysv_hash {
            w.write_hash(nbucket, count + 1, |i| {
                (i > 0).then(|| elf::hash(sorted_name(i - 1)))
            });
        }
        w.write_gnu_hash(1, bloom_shift, bloom_count, nbucket, count, |i| {
            elf::gnu_hash(sorted_name(i))
        });

        w.write_null_dynamic_symbol();
        for &i in &order {
            let s = &self.symbols[i];
            let (st_type, section, value, size) = match places[i] {
                Place::Text => (elf::STT_FUNC, text_idx, text_off, code.len() as u64),
                Place::Bss(at) => (elf::STT_OBJECT, bss_idx, bss_addr + at, s.size),
                Place::Tls(at) => (
                    elf::STT_TLS,
                    tdata_idx.unwrap_or(SectionIndex(0)),
                    at,
                    s.size,
                ),
            };
            let bind = if s.weak {
                elf::STB_WEAK
            } else {
                elf::STB_GLOBAL
            };
            w.write_dynamic_symbol(&Sym {
                section: Some(section.0),
                st_name: w.dynamic_string_offset(Some(name_ids[i])),
                st_info: elf::SymbolInfo::new(bind, st_type),
                st_other: elf::STV_DEFAULT.into(),
                st_shndx: elf::SymbolSection::default(),
                st_value: value,
                st_size: size,
            });
        }
        w.write_dynstr();

        w.write_null_gnu_versym();
        for &i in &order {
            let s = &self.symbols[i];
            let index = elf::VersionIndex(version_index(&s.version));
            w.write_gnu_versym(index.versym(!s.default && s.version.is_some()));
        }

        // Only the first verdaux (the version's own name) matters to the loader; the
        // parent entries glibc's linker scripts add are left out.
        w.write_align_gnu_verdef();
        w.write_gnu_verdef(&Verdef {
            version: elf::VER_DEF_CURRENT,
            flags: elf::VER_FLG_BASE,
            index: elf::VER_NDX_GLOBAL,
            aux_count: 1,
            name: w.dynamic_string_offset(Some(soname_id)),
            hash: elf::hash(soname.as_bytes()),
        });
        for (k, (v, id)) in self.versions.iter().zip(&version_ids).enumerate() {
            w.write_gnu_verdef(&Verdef {
                version: elf::VER_DEF_CURRENT,
                flags: elf::VersionFlags(0),
                index: elf::VersionIndex(u16::try_from(k + 2).unwrap_or(u16::MAX)),
                aux_count: 1,
                name: w.dynamic_string_offset(Some(*id)),
                hash: elf::hash(v.as_bytes()),
            });
        }

        w.pad_until(text_off);
        w.write(code);

        w.write_align_dynamic();
        for id in &needed_ids {
            w.write_dynamic_string(elf::DT_NEEDED, *id)
                .map_err(elf_err)?;
        }
        let dynstr_len = u64::from(w.dynstr_len());
        let sym_size = if spec.is_64 { 24 } else { 16 };
        if sysv_hash {
            w.write_dynamic(elf::DT_HASH, hash_off).map_err(elf_err)?;
        }
        for (tag, val) in [
            (elf::DT_GNU_HASH, gnu_hash_off),
            (elf::DT_SYMTAB, dynsym_off),
            (elf::DT_STRTAB, dynstr_off),
            (elf::DT_STRSZ, dynstr_len),
            (elf::DT_SYMENT, sym_size),
            (elf::DT_VERSYM, versym_off),
            (elf::DT_VERDEF, verdef_off),
            (elf::DT_VERDEFNUM, u64::from(nverdef)),
        ] {
            w.write_dynamic(tag, val).map_err(elf_err)?;
        }
        w.write_dynamic_string(elf::DT_SONAME, soname_id)
            .map_err(elf_err)?;
        w.write_dynamic(elf::DT_NULL, 0).map_err(elf_err)?;
        if tls {
            w.pad_until(tdata_off);
            w.write(&vec![0u8; tls_size as usize]);
        }

        w.write_shstrtab();
        w.write_null_section_header();
        // The first segment maps file offsets to the same addresses.
        w.write_hash_section_header(hash_off);
        w.write_gnu_hash_section_header(gnu_hash_off);
        w.write_dynsym_section_header(dynsym_off, 1);
        w.write_dynstr_section_header(dynstr_off);
        w.write_gnu_versym_section_header(versym_off);
        w.write_gnu_verdef_section_header(verdef_off);
        let name_off = w.section_name_offset(Some(text_name));
        w.write_section_header(&SectionHeader {
            sh_name: name_off,
            sh_type: elf::SHT_PROGBITS,
            sh_flags: elf::SHF_ALLOC | elf::SHF_EXECINSTR,
            sh_addr: text_off,
            sh_offset: text_off,
            sh_size: code.len() as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 16,
            sh_entsize: 0,
        });
        w.write_dynamic_section_header(dynamic_off + rw_delta);
        if let Some(name) = tdata_name {
            let name_off = w.section_name_offset(Some(name));
            w.write_section_header(&SectionHeader {
                sh_name: name_off,
                sh_type: elf::SHT_PROGBITS,
                sh_flags: elf::SHF_ALLOC | elf::SHF_WRITE | elf::SHF_TLS,
                sh_addr: tdata_addr,
                sh_offset: tdata_off,
                sh_size: tls_size,
                sh_link: 0,
                sh_info: 0,
                sh_addralign: 16,
                sh_entsize: 0,
            });
        }
        let name_off = w.section_name_offset(Some(bss_name));
        w.write_section_header(&SectionHeader {
            sh_name: name_off,
            sh_type: elf::SHT_NOBITS,
            sh_flags: elf::SHF_ALLOC | elf::SHF_WRITE,
            sh_addr: bss_addr,
            sh_offset: rw_file_end,
            sh_size: bss_size,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 16,
            sh_entsize: 0,
        });
        w.write_shstrtab_section_header();
        drop(w);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::ElfFile;

    fn v(s: &str) -> GlibcVersion {
        GlibcVersion::parse(s).unwrap_or(GlibcVersion::new(0, 0, 0))
    }

    fn x86_64() -> Target {
        abi::db()
            .target_by_name("x86_64")
            .expect("x86_64 in the database")
    }

    fn find<'a>(plan: &'a StubPlan, name: &str) -> Vec<&'a StubSymbol> {
        plan.symbols.iter().filter(|s| s.name == name).collect()
    }

    #[test]
    fn memcpy_versions_in_libc() {
        let plan = plan(x86_64(), v("2.17"), Lib::C).expect("libc at 2.17");
        let memcpy: Vec<_> = find(&plan, "memcpy")
            .iter()
            .map(|s| (s.version.map(|v| v.to_string()), s.default))
            .collect();
        assert_eq!(
            memcpy,
            [(Some("2.2.5".into()), false), (Some("2.14".into()), true)]
        );
        assert!(plan.versions.contains(&"GLIBC_2.14".to_string()));
        assert_eq!(
            plan.versions.first().map(String::as_str),
            Some("GLIBC_2.2.5")
        );
        assert_eq!(plan.versions.last().map(String::as_str), Some("GLIBC_2.17"));

        let old = super::plan(x86_64(), v("2.12"), Lib::C).expect("libc at 2.12");
        assert!(!old.versions.contains(&"GLIBC_2.14".to_string()));
        let memcpy: Vec<_> = find(&old, "memcpy")
            .iter()
            .map(|s| (s.version, s.default))
            .collect();
        assert_eq!(memcpy, [(Some(v("2.2.5")), true)]);
    }

    #[test]
    fn merged_libraries_from_2_34() {
        let t = x86_64();
        let old = plan(t, v("2.33"), Lib::C).expect("libc");
        assert!(find(&old, "pthread_create").is_empty());
        let new = plan(t, v("2.34"), Lib::C).expect("libc");
        let pc: Vec<_> = find(&new, "pthread_create")
            .iter()
            .map(|s| (s.version, s.default))
            .collect();
        assert_eq!(pc, [(Some(v("2.2.5")), false), (Some(v("2.34")), true)]);
        // The old library keeps its versions and symbols.
        let pthread = plan(t, v("2.36"), Lib::Pthread).expect("libpthread");
        assert!(find(&pthread, "pthread_create")
            .iter()
            .any(|s| s.version == Some(v("2.2.5"))));
        assert!(!new.versions.iter().any(|n| n == DT_RELR_MARKER));
        let relr = plan(t, v("2.36"), Lib::C).expect("libc");
        assert!(relr.versions.iter().any(|n| n == DT_RELR_MARKER));
    }

    #[test]
    fn objects_keep_their_sizes() {
        let plan = plan(x86_64(), v("2.17"), Lib::C).expect("libc");
        let environ = find(&plan, "environ");
        assert_eq!(
            environ.first().map(|s| (s.kind, s.size)),
            Some((SymbolKind::Object, 8))
        );
    }

    #[test]
    fn empty_version_nodes_follow_the_base() {
        let t = x86_64();
        let libm = plan(t, v("2.31"), Lib::M).expect("libm");
        assert!(libm.versions.contains(&"GLIBC_2.4".to_string()));
        assert!(!plan(t, v("2.3"), Lib::M)
            .expect("libm")
            .versions
            .contains(&"GLIBC_2.4".to_string()));
        let aarch64 = abi::db().target_by_name("aarch64").expect("aarch64");
        let libm = plan(aarch64, v("2.31"), Lib::M).expect("libm");
        assert!(!libm.versions.contains(&"GLIBC_2.4".to_string()));
    }

    #[test]
    fn no_loader_stub_and_nothing_below_the_base() {
        assert!(!stub_libraries().contains(&Lib::Ld));
        let dir = tempfile::tempdir().expect("temp dir");
        let err = write_stubs(x86_64(), v("2.1"), dir.path());
        assert!(matches!(err, Err(StubError::BelowBase { .. })), "{err:?}");
    }

    /// Every stub of every target with a known ELF header reads back through the same
    /// reader and checks as `verify` uses: sound structure, hash tables that find every
    /// symbol, the planned versions and symbols at the planned indices.
    #[test]
    fn stubs_read_back() {
        let db = abi::db();
        let mut unsupported = Vec::new();
        for t in db.targets() {
            let Ok(spec) = ElfSpec::of(t) else {
                unsupported.push(t.name());
                continue;
            };
            let release = t.covered_through();
            for lib in stub_libraries() {
                let Some(plan) = plan(t, release, lib) else {
                    continue;
                };
                let bytes = plan.to_elf_with(&spec).expect("stub writes");
                let file = ElfFile::parse(&bytes).expect("stub parses");
                assert_eq!(
                    crate::report::target_of_file(&file),
                    Some(t),
                    "{}",
                    t.name()
                );
                let findings = super::super::structure(&file);
                assert!(
                    findings.is_empty(),
                    "{} {}: {findings:?}",
                    t.name(),
                    plan.soname
                );
                let dynamic = file.dynamic.as_ref().expect("dynamic");
                assert_eq!(dynamic.soname.as_deref(), Some(plan.soname));
                let needed: Vec<&str> = dynamic.needed.iter().map(|n| n.as_ref()).collect();
                assert_eq!(needed, plan.needed);
                let defined: Vec<&str> = dynamic.verdef.iter().map(|d| d.name()).collect();
                let mut want = vec![plan.soname];
                want.extend(plan.versions.iter().map(String::as_str));
                assert_eq!(defined, want, "{} {}", t.name(), plan.soname);
                assert_eq!(dynamic.symbols.len(), plan.symbols.len() + 1);
                for (sym, vs) in dynamic.symbols.iter().zip(&dynamic.versym).skip(1) {
                    let s = plan
                        .symbols
                        .iter()
                        .find(|s| {
                            s.name == sym.name
                                && match s.version {
                                    Some(v) => dynamic
                                        .verdef
                                        .iter()
                                        .any(|d| d.index == vs & 0x7fff && d.name() == v.tag()),
                                    None => vs & 0x7fff == 1,
                                }
                        })
                        .unwrap_or_else(|| panic!("{} {}: {}", t.name(), plan.soname, sym.name));
                    assert_eq!(vs & 0x8000 != 0, s.version.is_some() && !s.default);
                    assert!(!sym.is_undefined());
                }
            }
        }
        // The soft-float variants that ELF flags cannot tell from their hard-float
        // siblings (the database maps their headers to the sibling).
        assert_eq!(
            unsupported,
            [
                "csky-linux-gnueabihf",
                "mipsel-linux-gnueabi",
                "mips-linux-gnueabi",
                "powerpc-linux-gnueabi"
            ]
        );
    }
}
