//! `.dynsym` read in place: each entry decoded when it is visited, its name left in the
//! string table. What `report` and `check` walk for every file of a tree, where a vector
//! of every symbol (tens of thousands in a large library) would be built, paged in and
//! freed only to be read once.

use std::borrow::Cow;

use object::elf as E;
use object::Endianness;

use super::DynSymbol;

/// The dynamic symbol table of a parsed file, entry 0 included, read from the file's
/// bytes on each visit. The entries it gives have an empty `name`:
/// [`super::Dynamic::symbol_name`] decodes it, [`super::Dynamic::name_bytes`] borrows it.
#[derive(Clone, Copy, Debug)]
pub struct SymbolTable<'data> {
    syms: Syms<'data>,
    endian: Endianness,
}

#[derive(Clone, Copy, Debug)]
enum Syms<'data> {
    Elf32(&'data [E::Sym32<Endianness>]),
    Elf64(&'data [E::Sym64<Endianness>]),
}

impl Default for SymbolTable<'_> {
    fn default() -> Self {
        SymbolTable {
            syms: Syms::Elf64(&[]),
            endian: Endianness::Little,
        }
    }
}

impl<'data> SymbolTable<'data> {
    pub(super) fn elf32(syms: &'data [E::Sym32<Endianness>], endian: Endianness) -> Self {
        SymbolTable {
            syms: Syms::Elf32(syms),
            endian,
        }
    }

    pub(super) fn elf64(syms: &'data [E::Sym64<Endianness>], endian: Endianness) -> Self {
        SymbolTable {
            syms: Syms::Elf64(syms),
            endian,
        }
    }

    /// How many entries the table has.
    pub fn len(&self) -> usize {
        match self.syms {
            Syms::Elf32(s) => s.len(),
            Syms::Elf64(s) => s.len(),
        }
    }

    /// Whether the table has no entry (no DT_SYMTAB).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (index, st_name, st_shndx, st_info) of every entry in table order, to `f` until it
    /// fails: what a pass over a whole table reads of each entry, without building a
    /// [`DynSymbol`] per entry. The class and byte order are matched once, not per field.
    #[inline]
    pub fn try_for_each_key<E>(
        &self,
        mut f: impl FnMut(usize, u32, u16, u8) -> Result<(), E>,
    ) -> Result<(), E> {
        // Offsets of st_info and st_shndx in Elf32_Sym (16 bytes) and Elf64_Sym (24 bytes).
        fn each<E, const SIZE: usize, const INFO: usize, const SHNDX: usize, const LE: bool>(
            bytes: &[u8],
            f: &mut impl FnMut(usize, u32, u16, u8) -> Result<(), E>,
        ) -> Result<(), E> {
            for (i, e) in bytes.chunks_exact(SIZE).enumerate() {
                let (name, shndx) = ([e[0], e[1], e[2], e[3]], [e[SHNDX], e[SHNDX + 1]]);
                let (name, shndx) = match LE {
                    true => (u32::from_le_bytes(name), u16::from_le_bytes(shndx)),
                    false => (u32::from_be_bytes(name), u16::from_be_bytes(shndx)),
                };
                f(i, name, shndx, e[INFO])?;
            }
            Ok(())
        }
        use object::pod::bytes_of_slice as bytes;
        match (self.syms, self.endian) {
            (Syms::Elf32(s), Endianness::Little) => each::<E, 16, 12, 14, true>(bytes(s), &mut f),
            (Syms::Elf32(s), Endianness::Big) => each::<E, 16, 12, 14, false>(bytes(s), &mut f),
            (Syms::Elf64(s), Endianness::Little) => each::<E, 24, 4, 6, true>(bytes(s), &mut f),
            (Syms::Elf64(s), Endianness::Big) => each::<E, 24, 4, 6, false>(bytes(s), &mut f),
        }
    }

    /// Entry `i`, its name undecoded.
    #[inline]
    pub fn get(&self, i: usize) -> Option<DynSymbol<'data>> {
        match self.syms {
            Syms::Elf32(s) => s.get(i).map(|s| entry(s, self.endian)),
            Syms::Elf64(s) => s.get(i).map(|s| entry(s, self.endian)),
        }
    }

    /// Every entry in table order, names undecoded.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = DynSymbol<'data>> + 'data {
        let endian = self.endian;
        let (elf32, elf64): (&[E::Sym32<Endianness>], &[E::Sym64<Endianness>]) = match self.syms {
            Syms::Elf32(s) => (s, &[]),
            Syms::Elf64(s) => (&[], s),
        };
        let elf32 = elf32.iter().map(move |s| entry(s, endian));
        elf32.chain(elf64.iter().map(move |s| entry(s, endian)))
    }
}

#[inline]
fn entry<'data, S: object::read::elf::Sym<Endian = Endianness>>(
    sym: &S,
    endian: Endianness,
) -> DynSymbol<'data> {
    DynSymbol {
        name: Cow::Borrowed(""),
        name_offset: sym.st_name(endian),
        value: sym.st_value(endian).into(),
        size: sym.st_size(endian).into(),
        kind: sym.st_type().0,
        bind: sym.st_bind().0,
        other: sym.st_other().0,
        shndx: sym.st_shndx(endian).0,
    }
}

#[cfg(test)]
mod tests {
    use crate::elf::ElfFile;

    /// A parse that decodes only the imports' names sees the same symbols, names and
    /// failures as the parse that decodes them all, for every committed fixture.
    #[test]
    fn imports_parse_agrees_with_full_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin");
        let mut checked = 0;
        for dir in std::fs::read_dir(&root).expect("testdata").flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for path in files.flatten().map(|e| e.path()) {
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                let (all, imports) = (ElfFile::parse(&data), ElfFile::parse_imports(&data));
                let (all, imports) = match (all, imports) {
                    (Ok(a), Ok(i)) => (a, i),
                    (Err(a), Err(i)) => {
                        assert_eq!(a.to_string(), i.to_string(), "{}", path.display());
                        continue;
                    }
                    (a, i) => panic!("{}: {:?} vs {:?}", path.display(), a.err(), i.err()),
                };
                let (Some(all), Some(imports)) = (all.dynamic, imports.dynamic) else {
                    continue;
                };
                assert!(imports.symbols.is_empty());
                assert_eq!(all.table.len(), all.symbols.len());
                assert_eq!(imports.table.len(), all.symbols.len());
                for (sym, full) in imports.table.iter().zip(&all.symbols) {
                    assert_eq!(imports.symbol_name(&sym), full.name, "{}", path.display());
                    assert_eq!(imports.is_named(&sym), !full.name.is_empty());
                    assert_eq!(imports.name_bytes(&sym), full.name.as_bytes());
                    let unnamed = crate::elf::DynSymbol {
                        name: full.name.clone(),
                        ..sym
                    };
                    assert_eq!(&unnamed, full);
                }
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked} fixtures with a dynamic section");
    }
}
