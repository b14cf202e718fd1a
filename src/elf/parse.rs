//! The parser behind [`ElfFile::parse`]: generic over ELF32/ELF64 through object's raw
//! structs, producing the class-independent model of `mod.rs`.

use std::borrow::Cow;

use object::elf as E;
use object::read::elf::{Dyn as _, FileHeader, ProgramHeader as _, SectionHeader as _, Sym as _};
use object::{Endianness, Pod, ReadRef};

use super::{
    ByteOrder, Class, DynSymbol, Dynamic, ElfError, ElfFile, ImportScan, Names, Region, Segment,
    SymbolCountSource, SymbolTable, Verdef, Vernaux, Verneed,
};

type Result<T> = std::result::Result<T, ElfError>;

/// The most entries any chain or table may have: a hostile count cannot make us loop or
/// allocate beyond what the file could hold.
fn cap_by_size(data_len: u64, entry_size: u64) -> u64 {
    data_len / entry_size.max(1) + 1
}

pub(super) fn parse(data: &[u8], names: Names) -> Result<ElfFile<'_>> {
    let ident = data.get(..16).ok_or(ElfError::NotElf)?;
    if ident[..4] != E::ELFMAG {
        return Err(ElfError::NotElf);
    }
    match ident[4] {
        c if c == E::ELFCLASS32.0 => parse_class::<E::FileHeader32<Endianness>>(data, names),
        c if c == E::ELFCLASS64.0 => parse_class::<E::FileHeader64<Endianness>>(data, names),
        _ => Err(ElfError::BadIdent(
            "EI_CLASS is neither ELFCLASS32 nor ELFCLASS64",
        )),
    }
}

fn parse_class<'data, Elf: FileHeader<Endian = Endianness, Sym: Sync>>(
    data: &'data [u8],
    names: Names,
) -> Result<ElfFile<'data>> {
    let header = Elf::parse(data)
        .map_err(|_| ElfError::malformed("ELF header", "truncated or invalid identification"))?;
    let endian = header
        .endian()
        .map_err(|_| ElfError::BadIdent("EI_DATA is neither ELFDATA2LSB nor ELFDATA2MSB"))?;
    let class = if header.is_type_64() {
        Class::Elf64
    } else {
        Class::Elf32
    };
    let byte_order = if endian == Endianness::Little {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
    let mut file = ElfFile {
        data,
        class,
        byte_order,
        osabi: header.e_ident().os_abi.0,
        e_type: header.e_type(endian).0,
        machine: header.e_machine(endian).0,
        e_flags: header.e_flags(endian).0,
        entry: header.e_entry(endian).into(),
        phoff: header.e_phoff(endian).into(),
        segments: Vec::new(),
        interp: None,
        dynamic: None,
        has_section_headers: false,
        warnings: Vec::new(),
    };
    let len = data.len() as u64;

    // Program headers. e_phnum == PN_XNUM (count in section 0) is accepted by object.
    let phdrs = header
        .program_headers(endian, data)
        .map_err(|e| ElfError::malformed("program header table", e.to_string()))?;
    for ph in phdrs {
        file.segments.push(Segment {
            p_type: ph.p_type(endian).0,
            flags: ph.p_flags(endian).0,
            offset: ph.p_offset(endian).into(),
            vaddr: ph.p_vaddr(endian).into(),
            filesz: ph.p_filesz(endian).into(),
            memsz: ph.p_memsz(endian).into(),
            align: ph.p_align(endian).into(),
        });
    }

    // Section headers are optional; a broken table is only a warning, as for the loader.
    let sections = match header.section_headers(endian, data) {
        Ok(s) => s,
        Err(e) => {
            file.warnings
                .push(format!("section header table unusable: {e}"));
            &[]
        }
    };
    file.has_section_headers = !sections.is_empty();

    for seg in &file.segments {
        if seg.p_type == E::PT_INTERP.0 {
            let bytes = data
                .read_bytes_at(seg.offset, seg.filesz)
                .map_err(|_| ElfError::malformed("PT_INTERP", "outside the file"))?;
            let path = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
            file.interp = Some(String::from_utf8_lossy(path));
        }
    }

    let dyn_seg = file
        .segments
        .iter()
        .find(|s| s.p_type == E::PT_DYNAMIC.0)
        .copied();
    if let Some(seg) = dyn_seg {
        let dynamic = parse_dynamic::<Elf>(
            &file,
            header,
            endian,
            seg,
            sections,
            names,
            &mut file.warnings.clone(),
        )?;
        let (dynamic, warnings) = dynamic;
        file.warnings = warnings;
        file.dynamic = Some(dynamic);
    }
    let _ = len;
    Ok(file)
}

/// Map a virtual address to (file offset, bytes available from there) through the PT_LOAD
/// segment whose file image contains it. The bytes available run on into the next PT_LOAD
/// when that one maps the very next file bytes at the very next address (and the first has
/// no zero-filled tail in between): the loader maps both, so a table may span them.
/// `patchelf` makes such layouts, e.g. a new first PT_LOAD for `.dynamic` and `.dynstr`
/// that ends where the linker's first one begins, with `.dynsym` across the boundary.
pub(super) fn vaddr_to_offset(
    segments: &[Segment],
    file_len: u64,
    vaddr: u64,
) -> Option<(u64, u64)> {
    let loads = || segments.iter().filter(|s| s.p_type == E::PT_LOAD.0);
    let (seg, offset, mut avail) = loads().find_map(|s| {
        let delta = vaddr.checked_sub(s.vaddr)?;
        if delta >= s.filesz {
            return None;
        }
        let offset = s.offset.checked_add(delta)?;
        if offset >= file_len {
            return None;
        }
        Some((s, offset, s.filesz - delta))
    })?;
    let mut cur = seg;
    // Each step moves to a segment at a higher address: at most one step per segment.
    while cur.memsz == cur.filesz {
        let (Some(end_vaddr), Some(end_offset)) = (
            cur.vaddr.checked_add(cur.filesz),
            cur.offset.checked_add(cur.filesz),
        ) else {
            break;
        };
        let Some(next) =
            loads().find(|s| s.filesz > 0 && s.vaddr == end_vaddr && s.offset == end_offset)
        else {
            break;
        };
        avail = avail.saturating_add(next.filesz);
        cur = next;
    }
    Some((offset, avail.min(file_len - offset)))
}

struct Ctx<'a, 'data> {
    data: &'data [u8],
    segments: &'a [Segment],
    endian: Endianness,
    class: Class,
    machine: u16,
}

impl<'data> Ctx<'_, 'data> {
    fn map(&self, what: &'static str, vaddr: u64) -> Result<(u64, u64)> {
        vaddr_to_offset(self.segments, self.data.len() as u64, vaddr).ok_or_else(|| {
            ElfError::malformed(
                what,
                format!("address {vaddr:#x} is not in any loaded part of the file"),
            )
        })
    }

    fn word(&self) -> u64 {
        match self.class {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        }
    }

    fn u32_at(&self, what: &'static str, offset: u64) -> Result<u32> {
        let b = self.data.read_bytes_at(offset, 4).map_err(|_| {
            ElfError::malformed(
                what,
                format!("read at {offset:#x} past the end of the file"),
            )
        })?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(match self.endian {
            Endianness::Little => u32::from_le_bytes(a),
            Endianness::Big => u32::from_be_bytes(a),
        })
    }

    fn u64_at(&self, what: &'static str, offset: u64) -> Result<u64> {
        let b = self.data.read_bytes_at(offset, 8).map_err(|_| {
            ElfError::malformed(
                what,
                format!("read at {offset:#x} past the end of the file"),
            )
        })?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(match self.endian {
            Endianness::Little => u64::from_le_bytes(a),
            Endianness::Big => u64::from_be_bytes(a),
        })
    }
}

/// The dynamic string table, bounded by DT_STRSZ.
struct Strtab<'data> {
    bytes: &'data [u8],
    /// Bytes of strings handed out so far, and how many may be: strings may share bytes
    /// of the table, and the model above copies them, so the total is bounded by the
    /// file's size, or a small hostile file could ask for gigabytes.
    used: std::cell::Cell<u64>,
    budget: u64,
}

impl<'data> Strtab<'data> {
    fn new(bytes: &'data [u8], file_len: usize) -> Self {
        Strtab::with_budget(
            bytes,
            (file_len as u64).saturating_mul(8).saturating_add(1 << 16),
        )
    }

    fn with_budget(bytes: &'data [u8], budget: u64) -> Self {
        Strtab {
            bytes,
            used: std::cell::Cell::new(0),
            budget,
        }
    }
}

impl<'data> Strtab<'data> {
    fn get(&self, what: &'static str, offset: u32) -> Result<Cow<'data, str>> {
        let tail = self.tail(what, offset)?;
        let end = memchr::memchr(0, tail).ok_or_else(|| Self::unterminated(what, offset))?;
        self.charge(what, end as u64)?;
        // Every name of every file is read here: the common case (valid UTF-8, borrowed)
        // through `from_utf8`, which is several times faster than the lossy decoder.
        let bytes = &tail[..end];
        Ok(match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        })
    }

    /// The table from `offset` on.
    fn tail(&self, what: &'static str, offset: u32) -> Result<&'data [u8]> {
        self.bytes.get(offset as usize..).ok_or_else(|| {
            ElfError::malformed(what, format!("string offset {offset:#x} past DT_STRSZ"))
        })
    }

    fn unterminated(what: &'static str, offset: u32) -> ElfError {
        ElfError::malformed(
            what,
            format!("string at {offset:#x} has no terminator within DT_STRSZ"),
        )
    }

    /// Check, as [`Self::get`] does, that a string lies in the table with its terminator,
    /// without decoding it or handing it out. A table that ends in a NUL (every linker's)
    /// terminates every string that starts inside it.
    fn check(&self, what: &'static str, offset: u32) -> Result<()> {
        let tail = self.tail(what, offset)?;
        let terminated = match self.bytes.last() {
            Some(0) => !tail.is_empty(),
            _ => memchr::memchr(0, tail).is_some(),
        };
        if terminated {
            Ok(())
        } else {
            Err(Self::unterminated(what, offset))
        }
    }

    /// Count `n` more bytes of strings handed out against the budget.
    fn charge(&self, what: &'static str, n: u64) -> Result<()> {
        let used = self.used.get().saturating_add(n);
        if used > self.budget {
            return Err(ElfError::malformed(
                what,
                "strings overlap in the string table far beyond the file's size",
            ));
        }
        self.used.set(used);
        Ok(())
    }
}

/// The dynamic symbols with their names. A large library's tens of thousands of names are
/// as many scattered reads of the string table: they are looked up in parts, in parallel,
/// each part with its own count of string bytes, all charged to the table's budget.
fn symbols_of<'data, S: object::read::elf::Sym<Endian = Endianness> + Sync>(
    syms: &[S],
    endian: Endianness,
    strtab: &Strtab<'data>,
) -> Result<Vec<DynSymbol<'data>>> {
    const PART: usize = 8192;
    let part_of = |part: &[S], tab: &Strtab<'data>| -> Result<Vec<DynSymbol<'data>>> {
        // Sized up front: collecting results would grow the vector step by step, copying
        // a large library's table several times over.
        let mut out = Vec::with_capacity(part.len());
        for sym in part {
            let name_offset = sym.st_name(endian);
            out.push(DynSymbol {
                name: tab.get("symbol name", name_offset)?,
                name_offset,
                value: sym.st_value(endian).into(),
                size: sym.st_size(endian).into(),
                kind: sym.st_type().0,
                bind: sym.st_bind().0,
                other: sym.st_other().0,
                shndx: sym.st_shndx(endian).0,
            });
        }
        Ok(out)
    };
    if syms.len() < 2 * PART {
        return part_of(syms, strtab);
    }
    use rayon::prelude::*;
    let (bytes, budget) = (strtab.bytes, strtab.budget);
    let parts: Vec<(Result<Vec<DynSymbol<'data>>>, u64)> = syms
        .par_chunks(PART)
        .map(|part| {
            let tab = Strtab::with_budget(bytes, budget);
            let r = part_of(part, &tab);
            (r, tab.used.get())
        })
        .collect();
    let mut all = Vec::with_capacity(syms.len());
    for (part, used) in parts {
        all.extend(part?);
        strtab.charge("symbol name", used)?;
    }
    Ok(all)
}

type DynResult<'data> = Result<(Dynamic<'data>, Vec<String>)>;

#[allow(clippy::too_many_arguments)]
fn parse_dynamic<'data, Elf: FileHeader<Endian = Endianness, Sym: Sync>>(
    file: &ElfFile<'data>,
    _header: &Elf,
    endian: Endianness,
    seg: Segment,
    sections: &[Elf::SectionHeader],
    names: Names,
    warnings: &mut Vec<String>,
) -> DynResult<'data> {
    let data = file.data;
    let ctx = Ctx {
        data,
        segments: &file.segments,
        endian,
        class: file.class,
        machine: file.machine,
    };
    let mut warnings = std::mem::take(warnings);
    let dyn_size = std::mem::size_of::<Elf::Dyn>() as u64;
    let avail = seg
        .filesz
        .min((data.len() as u64).saturating_sub(seg.offset));
    if seg.offset > data.len() as u64 {
        return Err(ElfError::malformed(
            "PT_DYNAMIC",
            "offset past the end of the file",
        ));
    }
    let count = (avail / dyn_size) as usize;
    let dyns: &[Elf::Dyn] = data
        .read_slice_at(seg.offset, count)
        .map_err(|_| ElfError::malformed("PT_DYNAMIC", "outside the file"))?;
    let mut dynamic = Dynamic::default();
    let mut entries = Vec::with_capacity(dyns.len());
    for d in dyns {
        let tag = d.tag(endian).0;
        if tag == E::DT_NULL.0 {
            break;
        }
        entries.push((tag, d.val(endian)));
    }
    dynamic.entries = entries.clone();
    dynamic.layout.dynamic = Some(Region {
        vaddr: seg.vaddr,
        offset: seg.offset,
        size: (entries.len() as u64 + 1) * dyn_size,
    });
    let val =
        |tag: object::elf::DynamicTag| entries.iter().find(|(t, _)| *t == tag.0).map(|(_, v)| *v);

    // String table.
    let strtab = match val(E::DT_STRTAB) {
        Some(addr) => {
            let (offset, avail) = ctx.map("DT_STRTAB", addr)?;
            let size = match val(E::DT_STRSZ) {
                Some(sz) if sz <= avail => sz,
                Some(sz) => {
                    return Err(ElfError::malformed(
                        "DT_STRSZ",
                        format!("{sz:#x} bytes extend past the loaded part of the file"),
                    ))
                }
                None => {
                    warnings.push("DT_STRTAB without DT_STRSZ".into());
                    avail
                }
            };
            dynamic.layout.strtab = Some(Region {
                vaddr: addr,
                offset,
                size,
            });
            Strtab::new(&data[offset as usize..(offset + size) as usize], data.len())
        }
        None => Strtab::new(&[], data.len()),
    };

    for &(tag, v) in &entries {
        let v32 = || {
            u32::try_from(v).map_err(|_| {
                ElfError::malformed("dynamic string tag", format!("offset {v:#x} too large"))
            })
        };
        match tag {
            t if t == E::DT_NEEDED.0 => dynamic.needed.push(strtab.get("DT_NEEDED", v32()?)?),
            t if t == E::DT_SONAME.0 => dynamic.soname = Some(strtab.get("DT_SONAME", v32()?)?),
            t if t == E::DT_RPATH.0 => dynamic.rpath = Some(strtab.get("DT_RPATH", v32()?)?),
            t if t == E::DT_RUNPATH.0 => dynamic.runpath = Some(strtab.get("DT_RUNPATH", v32()?)?),
            _ => {}
        }
    }
    dynamic.flags = val(E::DT_FLAGS).unwrap_or(0);
    dynamic.flags_1 = val(E::DT_FLAGS_1).unwrap_or(0);

    if let Some(addr) = val(E::DT_RELR) {
        let (offset, _) = ctx.map("DT_RELR", addr)?;
        dynamic.layout.relr = Some(Region {
            vaddr: addr,
            offset,
            size: val(E::DT_RELRSZ).unwrap_or(0),
        });
    }

    // Hash tables: region starts (sizes computed where cheap).
    if let Some(addr) = val(E::DT_HASH) {
        let (offset, _) = ctx.map("DT_HASH", addr)?;
        dynamic.layout.hash = Some(Region {
            vaddr: addr,
            offset,
            size: 0,
        });
    }
    if let Some(addr) = val(E::DT_GNU_HASH) {
        let (offset, _) = ctx.map("DT_GNU_HASH", addr)?;
        dynamic.layout.gnu_hash = Some(Region {
            vaddr: addr,
            offset,
            size: 0,
        });
    }

    // Symbols.
    let sym_size = std::mem::size_of::<Elf::Sym>() as u64;
    dynamic.layout.syment = val(E::DT_SYMENT).unwrap_or(sym_size);
    if dynamic.layout.syment != sym_size {
        return Err(ElfError::malformed(
            "DT_SYMENT",
            format!(
                "{} is not the size of an ELF symbol ({sym_size})",
                dynamic.layout.syment
            ),
        ));
    }
    let dynsym_section = sections
        .iter()
        .find(|s| s.sh_type(endian).0 == E::SHT_DYNSYM.0);
    let section_count = dynsym_section.map(|s| {
        let size: u64 = s.sh_size(endian).into();
        size / sym_size
    });
    if let Some(addr) = val(E::DT_SYMTAB) {
        let (offset, avail) = ctx.map("DT_SYMTAB", addr)?;
        let max = avail / sym_size;
        let (count, source) = symbol_count(&ctx, &mut dynamic, section_count, addr)?;
        if count > max {
            return Err(ElfError::malformed(
                "DT_SYMTAB",
                format!("{count} symbols ({source:?}) extend past the loaded part of the file"),
            ));
        }
        if let Some(sc) = section_count {
            if sc != count && source != SymbolCountSource::SectionHeader {
                warnings.push(format!(
                    "symbol count {count} from {source:?} disagrees with the .dynsym section header ({sc})"
                ));
            }
        }
        dynamic.symbol_count_source = Some(source);
        dynamic.layout.symtab = Some(Region {
            vaddr: addr,
            offset,
            size: count * sym_size,
        });
        let syms: &[Elf::Sym] = data
            .read_slice_at(offset, count as usize)
            .map_err(|_| ElfError::malformed("DT_SYMTAB", "outside the file"))?;
        dynamic.table = symbol_table(data, offset, count as usize, file.class, endian)?;
        match names {
            Names::All => dynamic.symbols = symbols_of(syms, endian, &strtab)?,
            // Every name must lie in the table, as `symbols_of` checks; none is decoded.
            // A table ending in NUL terminates every name that starts inside it: the
            // largest offset answers for all (the loop then finds the first that fails).
            Names::Imports => {
                let ends_in_nul = strtab.bytes.last() == Some(&0);
                let largest = syms.iter().map(|s| s.st_name(endian)).max();
                if !ends_in_nul || largest.is_some_and(|m| m as usize >= strtab.bytes.len()) {
                    for sym in syms {
                        strtab.check("symbol name", sym.st_name(endian))?;
                    }
                }
            }
        }
    } else {
        dynamic.symbol_count_source = Some(SymbolCountSource::None);
    }

    // .gnu.version: one u16 per symbol.
    if let Some(addr) = val(E::DT_VERSYM) {
        let (offset, avail) = ctx.map("DT_VERSYM", addr)?;
        let count = dynamic.table.len() as u64;
        if count * 2 > avail {
            return Err(ElfError::malformed(
                "DT_VERSYM",
                format!("{count} entries extend past the loaded part of the file"),
            ));
        }
        dynamic.versym.reserve(count as usize);
        for i in 0..count {
            let b = &data[(offset + 2 * i) as usize..(offset + 2 * i + 2) as usize];
            dynamic.versym.push(match endian {
                Endianness::Little => u16::from_le_bytes([b[0], b[1]]),
                Endianness::Big => u16::from_be_bytes([b[0], b[1]]),
            });
        }
        dynamic.layout.versym = Some(Region {
            vaddr: addr,
            offset,
            size: count * 2,
        });
    }

    if let Some(addr) = val(E::DT_VERNEED) {
        let num = val(E::DT_VERNEEDNUM).unwrap_or(0);
        let (offset, avail) = ctx.map("DT_VERNEED", addr)?;
        let (list, end) = parse_verneed(&ctx, &strtab, offset, avail, num, &mut warnings)?;
        dynamic.verneed = list;
        dynamic.layout.verneed = Some(Region {
            vaddr: addr,
            offset,
            size: end - offset,
        });
    }
    if let Some(addr) = val(E::DT_VERDEF) {
        let num = val(E::DT_VERDEFNUM).unwrap_or(0);
        let (offset, avail) = ctx.map("DT_VERDEF", addr)?;
        let (list, end) = parse_verdef(&ctx, &strtab, offset, avail, num, &mut warnings)?;
        dynamic.verdef = list;
        dynamic.layout.verdef = Some(Region {
            vaddr: addr,
            offset,
            size: end - offset,
        });
    }
    dynamic.names = names;
    dynamic.strtab = strtab.bytes;
    if names == Names::Imports {
        dynamic.imports = Some(scan_imports(&dynamic, &strtab)?);
    }
    Ok((dynamic, warnings))
}

/// After a [`Names::Imports`] parse, one pass over `.dynsym` that finds what the
/// requirement model reads ([`ImportScan`]), and charges the names it will decode (the
/// undefined symbols' and those bound to a needed version) to the string table's budget,
/// as [`symbols_of`] charges every name: a name that is not UTF-8 is copied when decoded,
/// and a hostile file must not make those copies far larger than itself.
fn scan_imports(dynamic: &Dynamic<'_>, strtab: &Strtab<'_>) -> Result<ImportScan> {
    // Per version index up to the largest a vernaux or verdef has: NEEDED (a vernaux has
    // it), KNOWN (a vernaux or a verdef has it).
    const NEEDED: u8 = 1;
    const KNOWN: u8 = 2;
    let aux_indices = dynamic
        .verneed
        .iter()
        .flat_map(|vn| &vn.aux)
        .map(|a| a.index);
    let def_indices = dynamic.verdef.iter().map(|vd| vd.index);
    let top = aux_indices.chain(def_indices).map(|i| i & 0x7fff).max();
    let mut kind = vec![0u8; top.map_or(0, |t| usize::from(t) + 1)];
    for vd in &dynamic.verdef {
        kind[usize::from(vd.index & 0x7fff)] |= KNOWN;
    }
    for aux in dynamic.verneed.iter().flat_map(|vn| &vn.aux) {
        kind[usize::from(aux.index & 0x7fff)] |= NEEDED | KNOWN;
    }
    let mut scan = ImportScan {
        // Room for the imports of most files up front (8 bytes each).
        symbols: Vec::with_capacity(dynamic.table.len().min(1024)),
        ..ImportScan::default()
    };
    let names = dynamic.strtab;
    let versym = &dynamic.versym;
    // An import's name: found and charged (rare beside the exports: kept out of the loop).
    #[inline(never)]
    fn charge(strtab: &Strtab<'_>, name: u32) -> Result<usize> {
        let tail = strtab.tail("symbol name", name)?;
        let len =
            memchr::memchr(0, tail).ok_or_else(|| Strtab::unterminated("symbol name", name))?;
        strtab.charge("symbol name", len as u64)?;
        Ok(len)
    }
    dynamic.table.try_for_each_key(
        #[inline(always)]
        |i, name, shndx, info| {
            let raw = versym.get(i).copied().unwrap_or(1);
            let v = usize::from(raw & 0x7fff);
            let k = if v >= 2 {
                kind.get(v).copied().unwrap_or(0)
            } else {
                KNOWN
            };
            let import = shndx == E::SHN_UNDEF.0 || k & NEEDED != 0;
            let len = if import { charge(strtab, name)? } else { 0 };
            // Entry 0 and unnamed entries are neither imports nor exports.
            if i == 0 || names.get(name as usize).is_none_or(|&b| b == 0) {
                return Ok(());
            }
            if k & KNOWN == 0 {
                scan.dangling.push((i, raw));
            }
            if import {
                scan.symbols.push((i as u32, len as u32));
            } else if info >> 4 != E::STB_LOCAL.0 {
                scan.export_count += 1;
            }
            Ok(())
        },
    )?;
    Ok(scan)
}

/// `.dynsym`'s `count` entries at `offset`, in place, for the class.
fn symbol_table(
    data: &[u8],
    offset: u64,
    count: usize,
    class: Class,
    endian: Endianness,
) -> Result<SymbolTable<'_>> {
    let outside = |_| ElfError::malformed("DT_SYMTAB", "outside the file");
    Ok(match class {
        Class::Elf32 => {
            SymbolTable::elf32(data.read_slice_at(offset, count).map_err(outside)?, endian)
        }
        Class::Elf64 => {
            SymbolTable::elf64(data.read_slice_at(offset, count).map_err(outside)?, endian)
        }
    })
}

/// The dynamic section does not record how many symbols `.dynsym` has; the loader never
/// needs to know. Recover it the way other tools do: DT_HASH's nchain, else the end of
/// DT_GNU_HASH's last chain, else the section header, else the gap up to DT_STRTAB.
fn symbol_count(
    ctx: &Ctx<'_, '_>,
    dynamic: &mut Dynamic<'_>,
    section_count: Option<u64>,
    symtab: u64,
) -> Result<(u64, SymbolCountSource)> {
    let len = ctx.data.len() as u64;
    if let Some(hash) = dynamic.layout.hash {
        // s390x and alpha use 64-bit hash table entries.
        let entry = if ctx.machine == E::EM_S390.0 && ctx.class == Class::Elf64 {
            8
        } else {
            4
        };
        let (nbucket, nchain) = if entry == 8 {
            (
                ctx.u64_at("DT_HASH", hash.offset)?,
                ctx.u64_at("DT_HASH", hash.offset + 8)?,
            )
        } else {
            (
                u64::from(ctx.u32_at("DT_HASH", hash.offset)?),
                u64::from(ctx.u32_at("DT_HASH", hash.offset + 4)?),
            )
        };
        let size = nbucket
            .checked_add(nchain)
            .and_then(|n| n.checked_add(2))
            .and_then(|n| n.checked_mul(entry))
            .unwrap_or(u64::MAX);
        if size > len {
            return Err(ElfError::malformed(
                "DT_HASH",
                format!("nbucket {nbucket} + nchain {nchain} exceed the file"),
            ));
        }
        if let Some(h) = dynamic.layout.hash.as_mut() {
            h.size = size;
        }
        return Ok((nchain, SymbolCountSource::Hash));
    }
    if let Some(gnu) = dynamic.layout.gnu_hash {
        let base = gnu.offset;
        let nbuckets = u64::from(ctx.u32_at("DT_GNU_HASH", base)?);
        let symoffset = u64::from(ctx.u32_at("DT_GNU_HASH", base + 4)?);
        let bloom_size = u64::from(ctx.u32_at("DT_GNU_HASH", base + 8)?);
        let buckets_at = base + 16 + bloom_size.saturating_mul(ctx.word());
        if buckets_at.saturating_add(nbuckets.saturating_mul(4)) > len {
            return Err(ElfError::malformed(
                "DT_GNU_HASH",
                format!("bloom size {bloom_size} and {nbuckets} buckets exceed the file"),
            ));
        }
        let mut max_bucket = 0u64;
        for i in 0..nbuckets {
            max_bucket = max_bucket.max(u64::from(
                ctx.u32_at("DT_GNU_HASH bucket", buckets_at + 4 * i)?,
            ));
        }
        let chains_at = buckets_at + 4 * nbuckets;
        if max_bucket >= symoffset && max_bucket != 0 {
            let mut idx = max_bucket;
            let cap = len / 4;
            loop {
                let pos = chains_at + 4 * (idx - symoffset);
                let v = ctx.u32_at("DT_GNU_HASH chain", pos)?;
                idx += 1;
                if v & 1 == 1 {
                    break;
                }
                if idx - max_bucket > cap {
                    return Err(ElfError::malformed("DT_GNU_HASH chain", "never terminates"));
                }
            }
            if let Some(g) = dynamic.layout.gnu_hash.as_mut() {
                g.size = chains_at + 4 * (idx - symoffset) - base;
            }
            return Ok((idx, SymbolCountSource::GnuHash));
        }
        // No symbol is hashed (nothing exported): symoffset is only a lower bound, and
        // linkers write 1 there. Fall through to the section header or the table gap.
        if let Some(g) = dynamic.layout.gnu_hash.as_mut() {
            g.size = chains_at - base;
        }
        if let Some(count) = section_count {
            return Ok((count.max(symoffset), SymbolCountSource::SectionHeader));
        }
        if let Some(count) = gap_count(ctx, dynamic, symtab) {
            return Ok((count.max(symoffset), SymbolCountSource::StrtabGap));
        }
        return Ok((symoffset, SymbolCountSource::GnuHash));
    }
    if let Some(count) = section_count {
        return Ok((count, SymbolCountSource::SectionHeader));
    }
    if let Some(count) = gap_count(ctx, dynamic, symtab) {
        return Ok((count, SymbolCountSource::StrtabGap));
    }
    Ok((0, SymbolCountSource::None))
}

/// Last resort: the symbol table ends where the next table a dynamic tag points at begins
/// (linkers put .dynstr, .gnu.version or a hash table right after .dynsym).
fn gap_count(ctx: &Ctx<'_, '_>, dynamic: &Dynamic<'_>, symtab: u64) -> Option<u64> {
    let pointer_tags = [
        E::DT_STRTAB.0,
        E::DT_VERSYM.0,
        E::DT_VERNEED.0,
        E::DT_VERDEF.0,
        E::DT_HASH.0,
        E::DT_GNU_HASH.0,
        E::DT_RELA.0,
        E::DT_REL.0,
        E::DT_JMPREL.0,
        E::DT_RELR.0,
        E::DT_INIT.0,
        E::DT_FINI.0,
        E::DT_INIT_ARRAY.0,
        E::DT_PLTGOT.0,
    ];
    let next = dynamic
        .entries
        .iter()
        .filter(|(t, v)| pointer_tags.contains(t) && *v > symtab)
        .map(|(_, v)| *v)
        .min()?;
    let sym_size = dynamic.layout.syment.max(1);
    let _ = ctx;
    Some((next - symtab) / sym_size)
}

// The spec's record sizes, by which `VersionChains::walk` checks bounds.
const _: () = assert!(
    std::mem::size_of::<E::Verneed<Endianness>>() == 16
        && std::mem::size_of::<E::Vernaux<Endianness>>() == 16
        && std::mem::size_of::<E::Verdef<Endianness>>() == 20
        && std::mem::size_of::<E::Verdaux<Endianness>>() == 8
);

/// One version table (DT_VERNEED or DT_VERDEF) read with the checks a hostile file
/// needs: a chain of records, each heading a chain of its own entries. Every record gives
/// the byte distance to the next (0 ends the chain) and must lie whole in the table's
/// loaded bytes; no count the file claims may exceed what those bytes could hold. Chains
/// may share entries, so the entries read, over all chains, count against that same
/// budget: sharing cannot make the reader keep more entries than the file could hold.
struct VersionChains<'c, 'a, 'data> {
    ctx: &'c Ctx<'a, 'data>,
    warnings: &'c mut Vec<String>,
    /// How errors name the table's own chain ("DT_VERNEED chain").
    table: &'static str,
    /// Where the table begins.
    start: u64,
    /// The end of the table's loaded bytes.
    limit: u64,
    /// The most entries the table's bytes can hold.
    cap: u64,
    /// Entries spent so far, over all chains.
    entries: u64,
    /// The end of the furthest record read: where the table ends.
    end: u64,
}

impl<'c, 'a, 'data> VersionChains<'c, 'a, 'data> {
    /// The table of `avail` loaded bytes at `start`, whose smallest record is
    /// `smallest_entry` bytes.
    fn new(
        ctx: &'c Ctx<'a, 'data>,
        table: &'static str,
        start: u64,
        avail: u64,
        smallest_entry: u64,
        warnings: &'c mut Vec<String>,
    ) -> Self {
        VersionChains {
            ctx,
            warnings,
            table,
            start,
            limit: start + avail,
            cap: cap_by_size(avail, smallest_entry),
            entries: 0,
            end: start,
        }
    }

    /// The table's own chain of `num` records (DT_VERNEEDNUM, DT_VERDEFNUM: `num_tag`),
    /// each read by `step` as in [`Self::walk`], and where the table ends. A chain that
    /// ends early is a warning.
    fn table<R: Pod, T>(
        mut self,
        num_tag: &'static str,
        num: u64,
        record: &str,
        step: impl FnMut(&mut Self, u64, &'data R) -> Result<(T, u64)>,
    ) -> Result<(Vec<T>, u64)> {
        let num = self.claimed_count(num_tag, num)?;
        let list = self.walk(self.table, self.start, num, |i| format!("entry {i}"), step)?;
        if (list.len() as u64) < num {
            self.warnings.push(format!(
                "{num_tag} {num} but the {record} chain ends after {}",
                list.len()
            ));
        }
        Ok((list, self.end))
    }

    /// A count the file claims (DT_VERNEEDNUM, vn_cnt ...), refused when the table could
    /// not hold that many entries.
    fn claimed_count(&self, what: &'static str, n: u64) -> Result<u64> {
        if n > self.cap {
            return Err(ElfError::malformed(
                what,
                format!("{n} entries cannot fit in the file"),
            ));
        }
        Ok(n)
    }

    /// One more entry against the budget.
    fn spend_entry(&mut self) -> Result<()> {
        self.entries += 1;
        if self.entries > self.cap {
            return Err(ElfError::malformed(
                self.table,
                "chains share entries: more entries than the table can hold",
            ));
        }
        Ok(())
    }

    /// Walk one chain (`what`, for errors) of at most `count` records from `start`. Each
    /// record must lie whole in the table (`entry` names the one that does not, from its
    /// position: "entry 3"); `step` gets its offset and the record, and returns what it
    /// made of it with the distance to the next record. Fewer items than `count` means
    /// the chain ended early.
    fn walk<R: Pod, T>(
        &mut self,
        what: &'static str,
        start: u64,
        count: u64,
        entry: impl Fn(u64) -> String,
        mut step: impl FnMut(&mut Self, u64, &'data R) -> Result<(T, u64)>,
    ) -> Result<Vec<T>> {
        let size = std::mem::size_of::<R>() as u64;
        let mut items = Vec::new();
        let mut off = start;
        for i in 0..count {
            if off + size > self.limit {
                return Err(ElfError::malformed(
                    what,
                    format!(
                        "{} at {off:#x} outside the loaded part of the file",
                        entry(i)
                    ),
                ));
            }
            let record = self
                .ctx
                .data
                .read_at(off)
                .map_err(|_| ElfError::malformed(what, "entry outside the file"))?;
            self.end = self.end.max(off + size);
            let (item, next) = step(self, off, record)?;
            items.push(item);
            if next == 0 {
                break;
            }
            off += next;
        }
        Ok(items)
    }
}

fn parse_verneed<'data>(
    ctx: &Ctx<'_, 'data>,
    strtab: &Strtab<'data>,
    start: u64,
    avail: u64,
    num: u64,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Verneed<'data>>, u64)> {
    let endian = ctx.endian;
    // Verneed and vernaux records are both 16 bytes.
    let chains = VersionChains::new(ctx, "DT_VERNEED chain", start, avail, 16, warnings);
    chains.table(
        "DT_VERNEEDNUM",
        num,
        "verneed",
        |chains, off, vn: &E::Verneed<Endianness>| {
            let cnt = chains.claimed_count("verneed vn_cnt", u64::from(vn.vn_cnt.get(endian)))?;
            let file = strtab.get("verneed vn_file", vn.vn_file.get(endian))?;
            let aux_start = off
                .checked_add(u64::from(vn.vn_aux.get(endian)))
                .ok_or_else(|| ElfError::malformed("verneed vn_aux", "offset overflow"))?;
            let aux = chains.walk(
                "vernaux chain",
                aux_start,
                cnt,
                |j| format!("entry {j} of {file}"),
                |chains, aoff, va: &E::Vernaux<Endianness>| {
                    chains.spend_entry()?;
                    let vernaux = Vernaux {
                        name: strtab.get("vernaux vna_name", va.vna_name.get(endian))?,
                        hash: va.vna_hash.get(endian),
                        flags: va.vna_flags.get(endian).0,
                        index: va.vna_other.get(endian).0,
                        offset: aoff,
                    };
                    Ok((vernaux, u64::from(va.vna_next.get(endian))))
                },
            )?;
            if (aux.len() as u64) < cnt {
                chains.warnings.push(format!(
                    "verneed for {file}: vn_cnt {cnt} but the vernaux chain ends after {}",
                    aux.len()
                ));
            }
            let verneed = Verneed {
                file,
                offset: off,
                aux,
            };
            Ok((verneed, u64::from(vn.vn_next.get(endian))))
        },
    )
}

fn parse_verdef<'data>(
    ctx: &Ctx<'_, 'data>,
    strtab: &Strtab<'data>,
    start: u64,
    avail: u64,
    num: u64,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Verdef<'data>>, u64)> {
    let endian = ctx.endian;
    // Verdaux records are 8 bytes, verdef records 20.
    let chains = VersionChains::new(ctx, "DT_VERDEF chain", start, avail, 8, warnings);
    chains.table(
        "DT_VERDEFNUM",
        num,
        "verdef",
        |chains, off, vd: &E::Verdef<Endianness>| {
            let cnt = chains.claimed_count("verdef vd_cnt", u64::from(vd.vd_cnt.get(endian)))?;
            let aux_start = off
                .checked_add(u64::from(vd.vd_aux.get(endian)))
                .ok_or_else(|| ElfError::malformed("verdef vd_aux", "offset overflow"))?;
            let names = chains.walk(
                "verdaux chain",
                aux_start,
                cnt,
                |_| "entry".to_string(),
                |chains, _, va: &E::Verdaux<Endianness>| {
                    chains.spend_entry()?;
                    let name = strtab.get("verdaux vda_name", va.vda_name.get(endian))?;
                    Ok((name, u64::from(va.vda_next.get(endian))))
                },
            )?;
            // Unlike a verneed record, a verdef record spends from the budget too.
            chains.spend_entry()?;
            let verdef = Verdef {
                index: vd.vd_ndx.get(endian).0,
                flags: vd.vd_flags.get(endian).0,
                hash: vd.vd_hash.get(endian),
                names,
            };
            Ok((verdef, u64::from(vd.vd_next.get(endian))))
        },
    )
}

/// One section header, as far as layout checks need it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// sh_type.
    pub sh_type: u32,
    /// sh_flags.
    pub flags: u64,
    /// sh_addr.
    pub addr: u64,
    /// sh_offset.
    pub offset: u64,
    /// sh_size.
    pub size: u64,
    /// sh_addralign.
    pub addralign: u64,
    /// Whether it holds the unwinder's binary tables: `.eh_frame`, `.eh_frame_hdr`,
    /// `.gcc_except_table`, or a section of type SHT_X86_64_UNWIND (what some linkers
    /// give the first two on x86_64).
    pub unwind: bool,
}

/// The section headers of an ELF file's bytes, without parsing the rest (empty when there
/// are none or they cannot be read).
pub fn section_infos(data: &[u8]) -> Vec<SectionInfo> {
    fn go<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Vec<SectionInfo>> {
        let header = Elf::parse(data).ok()?;
        let endian = header.endian().ok()?;
        let sections = header.sections(endian, data).ok()?;
        let is_x86_64 = header.e_machine(endian) == E::EM_X86_64;
        Some(
            sections
                .iter()
                .map(|s| SectionInfo {
                    sh_type: s.sh_type(endian).0,
                    flags: s.sh_flags(endian).0,
                    addr: s.sh_addr(endian).into(),
                    offset: s.sh_offset(endian).into(),
                    size: s.sh_size(endian).into(),
                    addralign: s.sh_addralign(endian).into(),
                    unwind: (is_x86_64 && s.sh_type(endian) == E::SHT_X86_64_UNWIND)
                        || sections.section_name(endian, s).is_ok_and(|n| {
                            matches!(n, b".eh_frame" | b".eh_frame_hdr" | b".gcc_except_table")
                        }),
                })
                .collect(),
        )
    }
    let r = match data.get(4) {
        Some(&c) if c == E::ELFCLASS32.0 => go::<E::FileHeader32<Endianness>>(data),
        Some(&c) if c == E::ELFCLASS64.0 => go::<E::FileHeader64<Endianness>>(data),
        _ => None,
    };
    r.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Segment {
        Segment {
            p_type: E::PT_LOAD.0,
            flags: 0,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        }
    }

    /// A table may run from one PT_LOAD into the next only where the loader maps the
    /// file's next bytes at the next address: patchelf's non-PIE layout (a page below
    /// the linker's first PT_LOAD) does that; a gap in the file or in memory, or a
    /// zero-filled tail in between, does not.
    #[test]
    fn bytes_available_span_adjacent_loads_only() {
        let len = 0x10000;
        // patchelf: [0x3ff000, 0x400000) from offset 0, then the linker's segments.
        let contiguous = [
            load(0, 0x3ff000, 0x1000, 0x1000),
            load(0x1000, 0x400000, 0x2000, 0x2000),
        ];
        assert_eq!(
            vaddr_to_offset(&contiguous, len, 0x3ffaa8),
            Some((0xaa8, 0x558 + 0x2000))
        );
        assert_eq!(
            vaddr_to_offset(&contiguous, len, 0x400010),
            Some((0x1010, 0x1ff0))
        );
        // The next segment maps other file bytes (the usual page gap of a data segment).
        let file_gap = [
            load(0, 0x3ff000, 0x1000, 0x1000),
            load(0x2000, 0x400000, 0x2000, 0x2000),
        ];
        assert_eq!(
            vaddr_to_offset(&file_gap, len, 0x3ffaa8),
            Some((0xaa8, 0x558))
        );
        // The next segment is not at the next address.
        let addr_gap = [
            load(0, 0x3ff000, 0x1000, 0x1000),
            load(0x1000, 0x401000, 0x2000, 0x2000),
        ];
        assert_eq!(
            vaddr_to_offset(&addr_gap, len, 0x3ffaa8),
            Some((0xaa8, 0x558))
        );
        // The first has a zero-filled tail: the loader puts zeros there, not file bytes.
        let bss = [
            load(0, 0x3ff000, 0x1000, 0x1800),
            load(0x1000, 0x400000, 0x2000, 0x2000),
        ];
        assert_eq!(vaddr_to_offset(&bss, len, 0x3ffaa8), Some((0xaa8, 0x558)));
        // Never past the end of the file.
        assert_eq!(
            vaddr_to_offset(&contiguous, 0x1800, 0x3ffaa8),
            Some((0xaa8, 0x1800 - 0xaa8))
        );
        // Three in a row.
        let three = [
            load(0, 0x10000, 0x100, 0x100),
            load(0x100, 0x10100, 0x100, 0x100),
            load(0x200, 0x10200, 0x100, 0x100),
        ];
        assert_eq!(vaddr_to_offset(&three, len, 0x10080), Some((0x80, 0x280)));
    }

    /// The unwinder's sections are those goblin (an independent reader) names `.eh_frame`,
    /// `.eh_frame_hdr` or `.gcc_except_table`, in this test program and /bin/ls.
    #[test]
    fn unwind_sections_by_name() {
        for path in [std::env::current_exe().unwrap(), "/bin/ls".into()] {
            let data = std::fs::read(&path).unwrap();
            let ours = section_infos(&data);
            let elf = goblin::elf::Elf::parse(&data).unwrap();
            assert_eq!(ours.len(), elf.section_headers.len(), "{path:?}");
            let unwind = [".eh_frame", ".eh_frame_hdr", ".gcc_except_table"];
            for (s, g) in ours.iter().zip(&elf.section_headers) {
                let name = elf.shdr_strtab.get_at(g.sh_name).unwrap_or("");
                assert_eq!(s.unwind, unwind.contains(&name), "{path:?}: {name}");
            }
            assert!(ours.iter().filter(|s| s.unwind).count() >= 2, "{path:?}");
        }
    }
}
