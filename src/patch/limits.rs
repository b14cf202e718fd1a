//! What the writer can do to one file, known before a byte is written: the steps it has
//! for the file's architecture (the startup shim, polyfills, DT_RELR expansion) and
//! whether the file's tables can grow at all. The planner turns a fix that needs a step
//! the file lacks into a blocker with this module's reason, so `check`, `report`,
//! `patch --dry-run` and `patch` say the same; the writer's own refusals of these steps
//! stay behind as a backstop.

use object::elf;

use crate::elf::{ByteOrder, Class, ElfFile};
use crate::polyfill;

use super::{relr, startup};

/// The steps the writer can take on one file: `Err` carries why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Moving tables into a new PT_LOAD: new version records, libraries, strings, and
    /// everything the steps below add.
    pub grow: Result<(), String>,
    /// Injecting the startup shim (`__libc_start_main` lowered below 2.34).
    pub startup_shim: Result<(), String>,
    /// Expanding DT_RELR into ordinary relative relocations.
    pub expand_relr: Result<(), String>,
    /// Linking polyfills: the architecture whose polyfills apply.
    pub polyfills: Result<polyfill::Arch, String>,
}

impl Limits {
    /// The limits of a parsed file.
    pub fn of(file: &ElfFile<'_>) -> Limits {
        let is_64 = file.class == Class::Elf64;
        let big = file.byte_order == ByteOrder::Big;
        let arch = arch_name(file.machine, is_64, big);
        let dynamic = |tag: elf::DynamicTag| file.dynamic.as_ref().and_then(|d| d.value(tag.0));
        let startup_shim = match startup::arch_of(file.machine, is_64, big) {
            Some(_) => Ok(()),
            None => Err(format!(
                "lowering below 2.34 needs the startup shim, which elfcompat has only for {} (not {arch})",
                startup::ARCHES
            )),
        };
        let expand_relr = match relr::relative_type(file.machine) {
            None => Err(format!(
                "DT_RELR (glibc 2.36) must be expanded below 2.36, and elfcompat does not know {arch}'s relative relocation type"
            )),
            Some((_, true)) if dynamic(elf::DT_RELA).is_none() => Err(
                "DT_RELR (glibc 2.36) must be expanded below 2.36, into a DT_RELA table the file does not have".into(),
            ),
            Some((_, false)) if dynamic(elf::DT_REL).is_none() => Err(
                "DT_RELR (glibc 2.36) must be expanded below 2.36, into a DT_REL table the file does not have".into(),
            ),
            Some(_) => Ok(()),
        };
        let polyfills = match polyfill::Arch::of(file.machine, is_64, big) {
            None => Err(format!(
                "elfcompat has polyfills only for x86_64, aarch64, i386, armhf, ppc64el, s390x and riscv64 (not {arch})"
            )),
            Some(polyfill::Arch::Armhf)
                if file.e_flags & elf::EF_ARM_ABI_FLOAT_HARD == 0 =>
            {
                Err("elfcompat's arm polyfills are hard-float (armhf) code, and this file is soft-float".into())
            }
            Some(_) if is_64 && dynamic(elf::DT_RELA).is_none() => {
                Err("polyfills import through a DT_RELA table, which the file does not have".into())
            }
            Some(_) if !is_64 && dynamic(elf::DT_REL).is_none() => {
                Err("polyfills import through a DT_REL table, which the file does not have".into())
            }
            Some(a) => Ok(a),
        };
        Limits {
            grow: growable(file),
            startup_shim,
            expand_relr,
            polyfills,
        }
    }

    /// No limits: what the planner assumes without a file (its pure core's callers).
    pub fn none(polyfill_arch: Option<polyfill::Arch>) -> Limits {
        Limits {
            grow: Ok(()),
            startup_shim: Ok(()),
            expand_relr: Ok(()),
            polyfills: polyfill_arch.ok_or_else(|| "polyfills are off".to_string()),
        }
    }
}

/// Whether the growing path (object's ELF builder) can rewrite the file: it reads through
/// section headers, and refuses section types it cannot copy safely.
fn growable(file: &ElfFile<'_>) -> Result<(), String> {
    if !file.has_section_headers {
        return Err("moving tables, which a file without section headers does not allow (it can only be edited in place)".into());
    }
    // object's Builder writes the program header table right after the ELF header, where
    // linkers put it; LIEF moves it elsewhere when it adds a segment.
    let header_size = match file.class {
        Class::Elf64 => 64,
        Class::Elf32 => 52,
    };
    if file.phoff != header_size {
        return Err(format!(
            "moving tables, and the ELF rewriter needs the program header table right after the ELF header (it is at e_phoff {:#x})",
            file.phoff
        ));
    }
    let sections = crate::elf::section_infos(file.data);
    // s390x's SysV hash table has 8-byte entries (its glibc and binutils say so); object's
    // Builder reads and writes 4-byte ones. Debian links with --hash-style=gnu.
    if file.machine == elf::EM_S390.0
        && file.class == Class::Elf64
        && sections.iter().any(|s| s.sh_type == elf::SHT_HASH.0)
    {
        return Err("moving tables, and the ELF rewriter cannot rebuild s390x's DT_HASH (8-byte entries); relink with --hash-style=gnu".into());
    }
    match sections
        .iter()
        .skip(1)
        .find(|s| !builder_reads(file.machine, s.sh_type))
    {
        Some(s) => Err(format!(
            "moving tables, and the ELF rewriter cannot copy this file's section type {:#x}",
            s.sh_type
        )),
        None => Ok(()),
    }
}

/// The section types `object::build::elf::Builder::read` (object 0.40) accepts: the
/// generic ones, and the machine-specific ones it knows are safe to copy. Any other makes
/// it fail ("Unsupported section type"), e.g. MIPS's `.MIPS.abiflags`.
fn builder_reads(machine: u16, sh_type: u32) -> bool {
    let t = sh_type;
    let generic = [
        elf::SHT_NULL,
        elf::SHT_PROGBITS,
        elf::SHT_NOBITS,
        elf::SHT_INIT_ARRAY,
        elf::SHT_FINI_ARRAY,
        elf::SHT_PREINIT_ARRAY,
        elf::SHT_RELR,
        elf::SHT_CREL,
        elf::SHT_LLVM_DEPENDENT_LIBRARIES,
        elf::SHT_REL,
        elf::SHT_RELA,
        elf::SHT_SYMTAB,
        elf::SHT_SYMTAB_SHNDX,
        elf::SHT_DYNSYM,
        elf::SHT_STRTAB,
        elf::SHT_NOTE,
        elf::SHT_DYNAMIC,
        elf::SHT_GNU_ATTRIBUTES,
        elf::SHT_HASH,
        elf::SHT_GNU_HASH,
        elf::SHT_GNU_VERSYM,
        elf::SHT_GNU_VERDEF,
        elf::SHT_GNU_VERNEED,
    ];
    if generic.iter().any(|g| g.0 == t) {
        return true;
    }
    let specific: &[(elf::Machine, elf::SectionType)] = &[
        (elf::EM_ARM, elf::SHT_ARM_ATTRIBUTES),
        (elf::EM_AARCH64, elf::SHT_AARCH64_ATTRIBUTES),
        (elf::EM_CSKY, elf::SHT_CSKY_ATTRIBUTES),
        (elf::EM_RISCV, elf::SHT_RISCV_ATTRIBUTES),
        (elf::EM_ARM, elf::SHT_ARM_EXIDX),
        (elf::EM_IA_64, elf::SHT_IA_64_UNWIND),
        (elf::EM_MIPS, elf::SHT_MIPS_REGINFO),
        (elf::EM_MIPS, elf::SHT_MIPS_DWARF),
        (elf::EM_X86_64, elf::SHT_X86_64_UNWIND),
    ];
    specific.iter().any(|(m, s)| m.0 == machine && s.0 == t)
}

/// A short name of an architecture for messages.
fn arch_name(machine: u16, is_64: bool, big: bool) -> String {
    let name = match machine {
        m if m == elf::EM_386.0 => "i386",
        m if m == elf::EM_X86_64.0 => "x86_64",
        m if m == elf::EM_ARM.0 => "arm",
        m if m == elf::EM_AARCH64.0 && big => "aarch64_be",
        m if m == elf::EM_AARCH64.0 => "aarch64",
        m if m == elf::EM_PPC64.0 && big => "ppc64",
        m if m == elf::EM_PPC64.0 => "ppc64le",
        m if m == elf::EM_PPC.0 => "ppc",
        m if m == elf::EM_S390.0 && is_64 => "s390x",
        m if m == elf::EM_S390.0 => "s390",
        m if m == elf::EM_RISCV.0 => "riscv",
        m if m == elf::EM_MIPS.0 => "mips",
        m if m == elf::EM_SPARCV9.0 => "sparc64",
        m if m == elf::EM_LOONGARCH.0 => "loongarch",
        m => return format!("e_machine {m}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rel: &str) -> Limits {
        let data = std::fs::read(rel).unwrap();
        Limits::of(&ElfFile::parse(&data).unwrap())
    }

    /// The committed fixtures: the startup shim and polyfills on x86_64, aarch64, i386 and
    /// armhf, both on ppc64le, s390x and riscv64, DT_RELR expansion wherever the relative type is known, and no growth without
    /// section headers or on MIPS (whose `.MIPS.abiflags` the rewriter cannot copy).
    #[test]
    fn fixtures() {
        for arch in ["x86_64", "aarch64"] {
            let l = limits(&format!("testdata/bin/{arch}/hello"));
            assert_eq!(l.grow, Ok(()), "{arch}");
            assert_eq!(l.startup_shim, Ok(()), "{arch}");
            assert_eq!(l.expand_relr, Ok(()), "{arch}");
            assert!(l.polyfills.is_ok(), "{arch}");
            let n = limits(&format!("testdata/bin/{arch}/nosections"));
            assert!(n.grow.unwrap_err().contains("section headers"), "{arch}");
        }
        for arch in ["armhf", "i686"] {
            let l = limits(&format!("testdata/bin/{arch}/hello"));
            assert_eq!(l.grow, Ok(()), "{arch}");
            assert_eq!(l.startup_shim, Ok(()), "{arch}");
            assert!(l.polyfills.is_ok(), "{arch}: {:?}", l.polyfills);
        }
        let ppc64le = limits("testdata/bin/ppc64le/hello");
        assert_eq!(ppc64le.grow, Ok(()));
        assert_eq!(ppc64le.startup_shim, Ok(()));
        assert_eq!(ppc64le.expand_relr, Ok(()));
        assert_eq!(ppc64le.polyfills, Ok(polyfill::Arch::Ppc64el));
        // Big-endian ppc64 has neither.
        let ppc64 = limits("testdata/bin/ppc64/hello");
        assert_eq!(ppc64.grow, Ok(()));
        let r = ppc64.startup_shim.unwrap_err();
        assert!(
            r.contains(crate::patch::startup::ARCHES) && r.contains("(not ppc64)"),
            "{r}"
        );
        assert!(ppc64.polyfills.is_err());
        let riscv64 = limits("testdata/bin/riscv64/hello");
        assert_eq!(riscv64.grow, Ok(()));
        assert_eq!(riscv64.startup_shim, Ok(()));
        assert_eq!(riscv64.expand_relr, Ok(()));
        assert_eq!(riscv64.polyfills, Ok(polyfill::Arch::Riscv64));
        let s390x = limits("testdata/bin/s390x/hello");
        assert_eq!(s390x.grow, Ok(()));
        assert_eq!(s390x.startup_shim, Ok(()));
        assert_eq!(s390x.expand_relr, Ok(()));
        assert_eq!(s390x.polyfills, Ok(polyfill::Arch::S390x));
        let mips = limits("testdata/bin/mips64el/hello");
        assert!(mips.grow.unwrap_err().contains("0x7000002a"));
    }
}
