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
