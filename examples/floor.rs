//! The floor for `report` and `check` over a tree (bench/report-speed.sh): the least work
//! any tool must do to answer "which versions does each file need", done in-process with
//! object's ELF reader and no output. It walks the paths as elfcompat does (symlinks
//! followed, each (device, inode) once, names sorted), checks each file's magic with one
//! 4-byte read, maps only ELF files, and visits every imported symbol's name and version
//! index and every verneed entry (file and version names), on the same rayon pool size.
//!
//!   cargo build --release --example floor
//!   target/release/examples/floor /usr/lib/x86_64-linux-gnu
//!
//! `FLOOR_COUNTS=1` prints what it visited to stderr, to check that it did the work.
//!
//! `FLOOR_READS=check` also reads, once, the bytes `check --glibc 2.17` must read beyond
//! the tables, with one memchr pass each: the executable segments of a file that imports a
//! function of `silent::ARG_RULES` (looking for the first rule's `mov` opcode), and the
//! allocated, read-only, non-executable PROGBITS sections other than the unwinder's
//! (`.eh_frame`, `.eh_frame_hdr`, `.gcc_except_table`) of a file that imports a printf-,
//! scanf- or strftime-family function (looking for '%'). `check` reads these bytes and
//! does more with them; this floor only touches them.
//!
//! `FLOOR_IO=read` holds the bytes of a file with elfcompat's own `open_walked_if_elf`: a
//! file smaller than `elfcompat::elf::READ_WHOLE_BELOW` read whole, a larger one mapped.
//! Without it every ELF file is mapped, the floor issue #15 defines.

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use elfcompat::silent;
use elfcompat::silent::formats::{PRINTF, SCANF, STRFTIME};
use object::elf as E;
use object::read::elf::{FileHeader, Sym as _};
use object::read::elf::{ProgramHeader as _, SectionHeader as _};
use object::Endianness;
use rayon::prelude::*;

#[derive(Default, Clone, Copy)]
struct Counts {
    elf: u64,
    imports: u64,
    name_bytes: u64,
    version_indices: u64,
    vernaux: u64,
    code_bytes: u64,
    data_bytes: u64,
    hits: u64,
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            elf: self.elf + o.elf,
            imports: self.imports + o.imports,
            name_bytes: self.name_bytes + o.name_bytes,
            version_indices: self.version_indices + o.version_indices,
            vernaux: self.vernaux + o.vernaux,
            code_bytes: self.code_bytes + o.code_bytes,
            data_bytes: self.data_bytes + o.data_bytes,
            hits: self.hits + o.hits,
        }
    }
}

fn walk(path: &Path, seen: &mut HashSet<(u64, u64)>, out: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if !seen.insert((meta.dev(), meta.ino())) {
        return;
    }
    if meta.is_file() {
        out.push(path.to_path_buf());
    } else if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            walk(&p, seen, out);
        }
    }
}

fn visit(path: &Path, check: bool, read_small: bool) -> Option<Counts> {
    // elfcompat's own way of holding a file (magic read first, then a small file read
    // whole, a larger one mapped).
    if read_small {
        let held = elfcompat::elf::open_walked_if_elf(path).ok()??;
        return visit_bytes(held.bytes(), check);
    }
    let file = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    if file.read_at(&mut magic, 0).ok()? < 4 || magic != E::ELFMAG {
        return None;
    }
    // SAFETY: read-only private mapping, as elfcompat's own reader.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    visit_bytes(&map, check)
}

fn visit_bytes(data: &[u8], check: bool) -> Option<Counts> {
    match *data.get(4)? {
        c if c == E::ELFCLASS64.0 => visit_elf::<E::FileHeader64<Endianness>>(data, check),
        c if c == E::ELFCLASS32.0 => visit_elf::<E::FileHeader32<Endianness>>(data, check),
        _ => None,
    }
}

fn visit_elf<Elf: FileHeader<Endian = Endianness>>(data: &[u8], check: bool) -> Option<Counts> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    let sections = header.sections(endian, data).ok()?;
    let mut c = Counts {
        elf: 1,
        ..Counts::default()
    };
    let symbols = sections.symbols(endian, data, E::SHT_DYNSYM).ok()?;
    let versions = sections.versions(endian, data).ok()?;
    let (mut rules, mut formats) = (false, false);
    let machine = header.e_machine(endian).0;
    for (i, sym) in symbols.enumerate() {
        if !sym.is_undefined(endian) || sym.st_name(endian) == 0 {
            continue;
        }
        let name = symbols.symbol_name(endian, sym).ok()?;
        if check {
            let text = std::str::from_utf8(name).unwrap_or("");
            rules |= silent::ARG_RULES
                .iter()
                .any(|r| r.symbol == text && r.machine.is_none_or(|m| m == machine));
            formats |= [PRINTF, SCANF, STRFTIME].iter().any(|f| f.contains(&text));
        }
        c.imports += 1;
        c.name_bytes += std::hint::black_box(name).len() as u64;
        if let Some(v) = &versions {
            let index = v.version_index(endian, i);
            c.version_indices += u64::from(std::hint::black_box(index.index().0));
        }
    }
    if let Some((mut verneed, link)) = sections.gnu_verneed(endian, data).ok()? {
        let strings = sections.strings(endian, data, link).ok()?;
        while let Some((vn, mut aux)) = verneed.next().ok()? {
            let file = vn.file(endian, strings).ok()?;
            c.name_bytes += std::hint::black_box(file).len() as u64;
            while let Some(va) = aux.next().ok()? {
                let name = va.name(endian, strings).ok()?;
                c.name_bytes += std::hint::black_box(name).len() as u64;
                c.vernaux += 1;
            }
        }
    }
    if rules {
        let mov = 0xbf; // `mov $imm32, %edi`: the first argument of sysconf and nl_langinfo
        for seg in header.program_headers(endian, data).ok()? {
            if seg.p_type(endian) == E::PT_LOAD && seg.p_flags(endian).0 & E::PF_X.0 != 0 {
                let bytes = seg.data(endian, data).ok()?;
                c.code_bytes += bytes.len() as u64;
                c.hits += memchr::memchr_iter(mov, bytes).count() as u64;
            }
        }
    }
    if formats {
        for section in sections.iter() {
            let flags = section.sh_flags(endian).0;
            let data_only = E::SHF_ALLOC.0 | E::SHF_WRITE.0 | E::SHF_EXECINSTR.0;
            let unwind = sections
                .section_name(endian, section)
                .is_ok_and(|n| matches!(n, b".eh_frame" | b".eh_frame_hdr" | b".gcc_except_table"));
            if section.sh_type(endian) == E::SHT_PROGBITS
                && flags & data_only == E::SHF_ALLOC.0
                && !unwind
            {
                let bytes = section.data(endian, data).ok()?;
                c.data_bytes += bytes.len() as u64;
                c.hits += memchr::memchr_iter(b'%', bytes).count() as u64;
            }
        }
    }
    Some(c)
}

fn main() {
    let roots: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    for r in &roots {
        walk(r, &mut seen, &mut files);
    }
    let check = std::env::var("FLOOR_READS").is_ok_and(|v| v == "check");
    let read_small = std::env::var("FLOOR_IO").is_ok_and(|v| v == "read");
    let total = files
        .par_iter()
        .filter_map(|p| visit(p, check, read_small))
        .reduce(Counts::default, |a, b| a + b);
    let total = std::hint::black_box(total);
    if std::env::var_os("FLOOR_COUNTS").is_some() {
        eprintln!(
            "{} files, {} ELF, {} imported symbols, {} version-index sum, {} vernaux, {} name bytes, {} code bytes, {} data bytes, {} hits",
            files.len(),
            total.elf,
            total.imports,
            total.version_indices,
            total.vernaux,
            total.name_bytes,
            total.code_bytes,
            total.data_bytes,
            total.hits
        );
    }
}
