//! Silent changes: arguments a newer glibc header passes to a function every baseline has,
//! which an older glibc refuses or reads differently. No symbol version shows them, so they
//! are found in the code: a call through the function's PLT entry or GOT slot with the
//! argument as an immediate just before it (`mov $250, %edi; call sysconf@plt`). What is
//! seen is certain; what is not seen may still happen (a computed argument), which is why
//! `patch` wraps such functions whenever it lowers a binary built against newer headers
//! (`patch::wrappers`). docs/silent-changes.md lists the class.

mod arches;
pub mod formats;
pub mod notes;

use crate::abi::GlibcVersion;
use crate::elf::{ByteOrder, Class, ElfFile};
use crate::versym::Requirements;

/// Every note for `file` at `baseline`: newer format conversions in its strings
/// (`formats`), imported functions whose behaviour changed (`notes`), and the uses seen
/// in its code (`seen`, from [`seen_uses`]) that nothing can fix.
pub fn file_notes(
    file: &ElfFile<'_>,
    req: &Requirements,
    baseline: GlibcVersion,
    seen: &[SeenUse],
) -> Vec<String> {
    let mut v: Vec<String> = formats::format_uses(file, req, baseline)
        .iter()
        .map(formats::FormatUse::note)
        .collect();
    v.extend(notes::import_notes(req, baseline));
    v.extend(c_utf8_note(file, req, baseline));
    for u in seen {
        if let Remedy::Note(what) = u.remedy {
            v.push(format!("{} (seen at {:#x}): {what}", u.what, u.address));
        }
    }
    v
}

/// The C.UTF-8 locale is not part of glibc before 2.35 and not installed on the oldest
/// targets (CentOS/RHEL 7, manylinux2014): a program that asks for it by name stays in the
/// "C" locale there, where bytes >= 0x80 are invalid characters.
fn c_utf8_note(file: &ElfFile<'_>, req: &Requirements, baseline: GlibcVersion) -> Option<String> {
    if baseline > GlibcVersion::new(2, 17, 0)
        || !req
            .imports
            .iter()
            .any(|i| i.name == "setlocale" || i.name == "newlocale")
    {
        return None;
    }
    let found = [b"C.UTF-8\0".as_slice(), b"C.utf8\0".as_slice()]
        .into_iter()
        .find(|pat| {
            memchr::memmem::find(file.data, pat).is_some_and(|at| at > 0 && file.data[at - 1] == 0)
        })?;
    Some(format!(
        "the file names the {} locale and calls setlocale/newlocale: CentOS/RHEL 7 (glibc \
         2.17) does not install it, so the program stays in the \"C\" locale there",
        String::from_utf8_lossy(&found[..found.len() - 1])
    ))
}

/// Which argument values a rule is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgMatch {
    /// Any of these values, with the names a program writes for them.
    Values(&'static [(u64, &'static str)]),
    /// Every bit of the mask set, with the flag's name.
    AllBits(u64, &'static str),
    /// A value in the inclusive range, with the names' family.
    Range(u64, u64, &'static str),
}

/// What elfcompat does about a seen use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// `patch` binds the function to its wrapper (`patch::wrappers`).
    Wrap,
    /// Nothing yet: `check` and `patch` refuse, with this reason.
    Refuse(&'static str),
    /// Nothing can: `check` and the plan say so in a note.
    Note(&'static str),
}

/// An argument value of a function whose meaning a glibc release introduced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgRule {
    /// The glibc function.
    pub symbol: &'static str,
    /// Only on this e_machine (None: every architecture the scanner reads).
    pub machine: Option<u16>,
    /// Which integer argument (0 = first).
    pub arg: u8,
    /// The values.
    pub matches: ArgMatch,
    /// The release that gave them their meaning.
    pub since: GlibcVersion,
    /// What elfcompat does.
    pub remedy: Remedy,
}

const ALTMON: &str = "the alternative month names (ALTMON_1..12, _NL_ABALTMON_1..12 and \
their wide forms, glibc 2.27) are \"\" on an older glibc";

const X86_64: Option<u16> = Some(object::elf::EM_X86_64.0);
const AARCH64: Option<u16> = Some(object::elf::EM_AARCH64.0);
/// O_TMPFILE is __O_TMPFILE | O_DIRECTORY, whose values differ between the two.
const O_TMPFILE_X86_64: ArgMatch = ArgMatch::AllBits(0o20_200_000, "O_TMPFILE");
const O_TMPFILE_AARCH64: ArgMatch = ArgMatch::AllBits(0o20_040_000, "O_TMPFILE");
const I386: Option<u16> = Some(object::elf::EM_386.0);
const ARM: Option<u16> = Some(object::elf::EM_ARM.0);
const S390X: Option<u16> = Some(object::elf::EM_S390.0);
const PPC64: Option<u16> = Some(object::elf::EM_PPC64.0);
/// i386 and s390x have x86_64's O_DIRECTORY (0200000), arm and powerpc aarch64's (040000).
const O_TMPFILE_GENERIC: ArgMatch = O_TMPFILE_X86_64;
const O_TMPFILE_ARM: ArgMatch = O_TMPFILE_AARCH64;

/// A rule for an `O_TMPFILE` open (since 2.22).
const fn tmpfile(
    symbol: &'static str,
    machine: Option<u16>,
    arg: u8,
    matches: ArgMatch,
) -> ArgRule {
    ArgRule {
        symbol,
        machine,
        arg,
        matches,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    }
}

/// The committed table of argument rules (docs/silent-changes.md).
pub const ARG_RULES: &[ArgRule] = &[
    ArgRule {
        symbol: "sysconf",
        machine: None,
        arg: 0,
        matches: ArgMatch::Values(&[(249, "_SC_MINSIGSTKSZ"), (250, "_SC_SIGSTKSZ")]),
        since: GlibcVersion::new(2, 34, 0),
        remedy: Remedy::Wrap,
    },
    // x86_64's open and open64 were system-call stubs that pass the mode register
    // through; openat and openat64 were C functions. On aarch64 all four were C.
    ArgRule {
        symbol: "openat",
        machine: X86_64,
        arg: 2,
        matches: O_TMPFILE_X86_64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    ArgRule {
        symbol: "openat64",
        machine: X86_64,
        arg: 2,
        matches: O_TMPFILE_X86_64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    ArgRule {
        symbol: "openat",
        machine: AARCH64,
        arg: 2,
        matches: O_TMPFILE_AARCH64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    ArgRule {
        symbol: "openat64",
        machine: AARCH64,
        arg: 2,
        matches: O_TMPFILE_AARCH64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    ArgRule {
        symbol: "open",
        machine: AARCH64,
        arg: 1,
        matches: O_TMPFILE_AARCH64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    ArgRule {
        symbol: "nl_langinfo",
        machine: None,
        arg: 0,
        matches: ArgMatch::Range(0x2006f, 0x2009e, "ALTMON_n"),
        since: GlibcVersion::new(2, 27, 0),
        remedy: Remedy::Note(ALTMON),
    },
    ArgRule {
        symbol: "open64",
        machine: AARCH64,
        arg: 1,
        matches: O_TMPFILE_AARCH64,
        since: GlibcVersion::new(2, 22, 0),
        remedy: Remedy::Wrap,
    },
    // i386 and armhf: openat, openat64 and open64 (a C function there) were wrapped;
    // s390x and ppc64el: openat and openat64. (riscv64's first glibc is 2.27.)
    tmpfile("openat", I386, 2, O_TMPFILE_GENERIC),
    tmpfile("openat64", I386, 2, O_TMPFILE_GENERIC),
    tmpfile("open64", I386, 1, O_TMPFILE_GENERIC),
    tmpfile("openat", ARM, 2, O_TMPFILE_ARM),
    tmpfile("openat64", ARM, 2, O_TMPFILE_ARM),
    tmpfile("open64", ARM, 1, O_TMPFILE_ARM),
    tmpfile("openat", S390X, 2, O_TMPFILE_GENERIC),
    tmpfile("openat64", S390X, 2, O_TMPFILE_GENERIC),
    tmpfile("openat", PPC64, 2, O_TMPFILE_ARM),
    tmpfile("openat64", PPC64, 2, O_TMPFILE_ARM),
];

impl ArgMatch {
    /// The name of the value, when it matches.
    fn name_of(&self, value: u64) -> Option<&'static str> {
        match self {
            ArgMatch::Values(vs) => vs.iter().find(|(v, _)| *v == value).map(|(_, n)| *n),
            ArgMatch::AllBits(mask, name) => (value & mask == *mask).then_some(*name),
            ArgMatch::Range(lo, hi, name) => (*lo..=*hi).contains(&value).then_some(*name),
        }
    }
}

/// One use seen in the code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SeenUse {
    /// The glibc function.
    pub symbol: String,
    /// The call as a program writes it: `sysconf(_SC_SIGSTKSZ)`.
    pub what: String,
    /// The release that gave the argument its meaning.
    pub since: String,
    /// The address of the call.
    pub address: u64,
    /// What elfcompat does about it.
    #[serde(skip)]
    pub remedy: Remedy,
}

/// Every use of an [`ARG_RULES`] argument that a baseline below its release would refuse,
/// seen in `file`'s code (x86_64 and little-endian aarch64; other architectures: none seen).
pub fn seen_uses(file: &ElfFile<'_>, req: &Requirements, baseline: GlibcVersion) -> Vec<SeenUse> {
    let mut out = own_signgam(file, req, baseline);
    out.extend(seen_calls(file, req, baseline));
    out
}

const OWN_SIGNGAM: &str = "the file defines its own signgam, and the versions of lgamma before \
glibc 2.23 write the sign into whatever signgam the process binds (ISO C lets a program use \
that name for itself): re-pointed, lgamma would overwrite the program's variable";

/// lgamma, lgammaf and lgammal at GLIBC_2.23 no longer write `signgam`; their older
/// versions do, into the `signgam` the lookup finds first, which is the program's own
/// where the file defines and exports one (not a COPY of libm's, which has libm's version).
/// Such a reference cannot be re-pointed below 2.23.
fn own_signgam(file: &ElfFile<'_>, req: &Requirements, baseline: GlibcVersion) -> Vec<SeenUse> {
    let since = GlibcVersion::new(2, 23, 0);
    let Some(dynamic) = file.dynamic.as_ref().filter(|_| baseline < since) else {
        return Vec::new();
    };
    // Compared as bytes: no name is decoded to find it.
    let own = dynamic.table.iter().enumerate().any(|(i, s)| {
        !s.is_undefined()
            && dynamic.name_bytes(&s) == b"signgam"
            && dynamic.versym.get(i).is_none_or(|v| v & 0x7fff <= 1)
    });
    if !own {
        return Vec::new();
    }
    req.imports
        .iter()
        .filter(|i| ["lgamma", "lgammaf", "lgammal"].contains(&&*i.name))
        .filter(|i| {
            i.version
                .as_ref()
                .and_then(|v| v.glibc_triple())
                .is_some_and(|(a, b, c)| GlibcVersion::new(a, b, c) >= since)
        })
        .map(|i| SeenUse {
            symbol: i.name.to_string(),
            what: format!("{} with the program's own signgam", i.name),
            since: since.to_string(),
            address: 0,
            remedy: Remedy::Refuse(OWN_SIGNGAM),
        })
        .collect()
}

/// The calls of [`ARG_RULES`] seen in the code.
fn seen_calls(file: &ElfFile<'_>, req: &Requirements, baseline: GlibcVersion) -> Vec<SeenUse> {
    let rules: Vec<&ArgRule> = ARG_RULES
        .iter()
        .filter(|r| baseline < r.since && r.machine.is_none_or(|m| m == file.machine))
        .filter(|r| req.imports.iter().any(|i| i.name == r.symbol))
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let Some(code) = Code::of(file) else {
        return Vec::new();
    };
    let slots: Vec<Vec<u64>> = rules.iter().map(|r| code.got_slots(r.symbol)).collect();
    // On x86_64 the code is scanned once for the calls through every rule's slots, and
    // each rule takes its own (the scan reads every byte of the code: once per rule was
    // most of `check`'s time).
    let calls = (code.isa == Isa::X86_64).then(|| code.x86_64_call_sites(&slots.concat()));
    let mut out = Vec::new();
    for (rule, slots) in rules.into_iter().zip(&slots) {
        if slots.is_empty() {
            continue;
        }
        let found = match &calls {
            Some(calls) => code.x86_64_immediates(calls, slots, rule.arg),
            None => code.calls_with_immediate(slots, rule.arg),
        };
        for (site, value) in found {
            if let Some(name) = rule.matches.name_of(value) {
                let what = match rule.matches {
                    ArgMatch::Values(_) => format!("{}({name})", rule.symbol),
                    ArgMatch::AllBits(..) => format!("{} with {name}", rule.symbol),
                    ArgMatch::Range(..) => format!("{}({name})", rule.symbol),
                };
                let u = SeenUse {
                    symbol: rule.symbol.to_string(),
                    what,
                    since: rule.since.to_string(),
                    address: site,
                    remedy: rule.remedy.clone(),
                };
                if !out.iter().any(|o: &SeenUse| o.what == u.what) {
                    out.push(u);
                }
            }
        }
    }
    out
}

/// Each offset `i` below `end` where `bytes[i]` is 0xff and `bytes[i + 1]` is 0x15 or 0x25
/// (`call`/`jmp *disp32(%rip)`), in ascending order: each two-byte opcode is searched for
/// on its own (0xff alone is too common in code to stop at each one) and the two lists
/// are merged.
fn indirect_through_rip(bytes: &[u8], end: usize) -> impl Iterator<Item = usize> + '_ {
    let hay = match end {
        0 => &[][..],
        _ => &bytes[..(end + 1).min(bytes.len())],
    };
    let mut calls = memchr::memmem::find_iter(hay, &[0xff, 0x15]).peekable();
    let mut jumps = memchr::memmem::find_iter(hay, &[0xff, 0x25]).peekable();
    std::iter::from_fn(move || match (calls.peek(), jumps.peek()) {
        (Some(&c), Some(&j)) if c < j => calls.next(),
        (Some(_), Some(_)) => jumps.next(),
        (Some(_), None) => calls.next(),
        (None, _) => jumps.next(),
    })
}

/// The x86_64 calls through a set of GOT slots: (executable segment, offset in it, slot
/// or PLT entry reached).
#[derive(Default)]
struct X86Calls {
    /// `call *slot(%rip)`, with the slot.
    direct: Vec<(usize, usize, u64)>,
    /// PLT entries (and the `bnd`/`endbr64` before them): (address, slot).
    entries: Vec<(u64, u64)>,
    /// `call`/`jmp` to a PLT entry, with the entry.
    via_plt: Vec<(usize, usize, u64)>,
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Isa {
    X86_64,
    Aarch64,
    /// i386, armhf, ppc64el, s390x, riscv64 (`arches`).
    Other(arches::Arch),
}

/// The executable bytes and relocations of a 64-bit little-endian file.
struct Code<'a> {
    isa: Isa,
    file: &'a ElfFile<'a>,
    /// (vaddr, bytes) of each executable PT_LOAD.
    text: Vec<(u64, &'a [u8])>,
}

const PF_X: u32 = 1;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

/// Whether the scanner reads the code of `machine` (and so can see a use of a silently
/// changed function): all seven architectures.
pub fn reads_code_of(machine: u16) -> bool {
    use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64};
    [
        EM_X86_64, EM_AARCH64, EM_386, EM_ARM, EM_PPC64, EM_S390, EM_RISCV,
    ]
    .iter()
    .any(|m| m.0 == machine)
}

impl<'a> Code<'a> {
    fn of(file: &'a ElfFile<'a>) -> Option<Code<'a>> {
        let isa = if let Some(arch) = arches::Arch::of(file) {
            Isa::Other(arch)
        } else {
            if file.class != Class::Elf64 || file.byte_order != ByteOrder::Little {
                return None;
            }
            match file.machine {
                m if m == object::elf::EM_X86_64.0 => Isa::X86_64,
                m if m == object::elf::EM_AARCH64.0 => Isa::Aarch64,
                _ => return None,
            }
        };
        let text = file
            .segments
            .iter()
            .filter(|s| s.p_type == object::elf::PT_LOAD.0 && s.flags & PF_X != 0)
            .filter_map(|s| {
                let start = usize::try_from(s.offset).ok()?;
                let end = start.checked_add(usize::try_from(s.filesz).ok()?)?;
                Some((s.vaddr, file.data.get(start..end)?))
            })
            .collect();
        Some(Code { isa, file, text })
    }

    /// The file offset of a virtual address in a PT_LOAD's file bytes.
    fn offset_of(&self, vaddr: u64, len: u64) -> Option<usize> {
        self.file
            .segments
            .iter()
            .filter(|s| s.p_type == object::elf::PT_LOAD.0)
            .find(|s| {
                vaddr >= s.vaddr && vaddr.saturating_add(len) <= s.vaddr.saturating_add(s.filesz)
            })
            .and_then(|s| usize::try_from(s.offset + (vaddr - s.vaddr)).ok())
    }

    /// The GOT slots that the loader fills with `symbol`'s address (its JUMP_SLOT and
    /// GLOB_DAT relocations in DT_RELA and DT_JMPREL).
    fn got_slots(&self, symbol: &str) -> Vec<u64> {
        let Some(dynamic) = &self.file.dynamic else {
            return Vec::new();
        };
        let indices: Vec<u64> = dynamic
            .table
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_undefined() && dynamic.name_bytes(s) == symbol.as_bytes())
            .map(|(i, _)| i as u64)
            .collect();
        if indices.is_empty() {
            return Vec::new();
        }
        let (jump_slot, glob_dat) = match self.isa {
            Isa::Other(arch) => {
                return arches::got_slots(self.file, arch, symbol, |a, l| self.offset_of(a, l))
            }
            Isa::X86_64 => (
                object::elf::R_X86_64_JUMP_SLOT.0,
                object::elf::R_X86_64_GLOB_DAT.0,
            ),
            Isa::Aarch64 => (
                object::elf::R_AARCH64_JUMP_SLOT.0,
                object::elf::R_AARCH64_GLOB_DAT.0,
            ),
        };
        let tables = [
            (object::elf::DT_RELA, object::elf::DT_RELASZ),
            (object::elf::DT_JMPREL, object::elf::DT_PLTRELSZ),
        ];
        let mut slots = Vec::new();
        for (addr_tag, size_tag) in tables {
            let (Some(addr), Some(size)) = (dynamic.value(addr_tag.0), dynamic.value(size_tag.0))
            else {
                continue;
            };
            let Some(start) = self.offset_of(addr, size) else {
                continue;
            };
            let data = self.file.data;
            for k in 0..(size / 24) as usize {
                let at = start + 24 * k;
                let (Some(r_offset), Some(r_info)) = (u64_at(data, at), u64_at(data, at + 8))
                else {
                    break;
                };
                let (sym, ty) = (r_info >> 32, (r_info & 0xffff_ffff) as u32);
                if (ty == jump_slot || ty == glob_dat) && indices.contains(&sym) {
                    slots.push(r_offset);
                }
            }
        }
        slots
    }

    /// Each call (or tail call) that reaches one of `slots`, directly through the slot or
    /// through a PLT entry that jumps through it, with the immediate the instructions just
    /// before it put in integer argument register `arg`.
    fn calls_with_immediate(&self, slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
        match self.isa {
            Isa::X86_64 => {
                let calls = self.x86_64_call_sites(slots);
                self.x86_64_immediates(&calls, slots, arg)
            }
            Isa::Aarch64 => self.aarch64_calls(slots, arg),
            Isa::Other(arch) => arches::calls(arch, self.file, &self.text, slots, arg),
        }
    }

    /// Every x86_64 call that reaches one of `slots` (of all rules at once), as
    /// [`Code::x86_64_calls`] finds them: first the indirect calls through a slot, then the
    /// direct calls and jumps to a PLT entry that jumps through one, each in code order.
    /// The bytes are searched for the opcodes (0xff; 0xe8 and 0xe9) rather than visited
    /// one by one.
    fn x86_64_call_sites(&self, slots: &[u64]) -> X86Calls {
        let mut slots = slots.to_vec();
        slots.sort_unstable();
        slots.dedup();
        let mut calls = X86Calls::default();
        for (t, (base, bytes)) in self.text.iter().enumerate() {
            let end = bytes.len().saturating_sub(6);
            for i in indirect_through_rip(bytes, end) {
                let op = bytes[i + 1];
                let Some(disp) = u32_at(bytes, i + 2) else {
                    continue;
                };
                let at = base + i as u64;
                let target = (at + 6).wrapping_add(disp as i32 as i64 as u64);
                if slots.binary_search(&target).is_err() {
                    continue;
                }
                if op == 0x15 {
                    calls.direct.push((t, i, target)); // call *slot(%rip)
                    continue;
                }
                calls.entries.push((at, target));
                let mut start = i;
                if start >= 1 && bytes[start - 1] == 0xf2 {
                    start -= 1;
                    calls.entries.push((base + start as u64, target));
                }
                if start >= 4 && bytes[start - 4..start] == [0xf3, 0x0f, 0x1e, 0xfa] {
                    calls.entries.push((base + start as u64 - 4, target));
                }
            }
        }
        if calls.entries.is_empty() {
            return calls;
        }
        let mut entry_addrs: Vec<u64> = calls.entries.iter().map(|&(a, _)| a).collect();
        entry_addrs.sort_unstable();
        let (lo, hi) = (entry_addrs[0], entry_addrs[entry_addrs.len() - 1]);
        for (t, (base, bytes)) in self.text.iter().enumerate() {
            let end = bytes.len().saturating_sub(5);
            for i in memchr::memchr2_iter(0xe8, 0xe9, &bytes[..end]) {
                let Some(rel) = u32_at(bytes, i + 1) else {
                    continue;
                };
                let target = (base + i as u64 + 5).wrapping_add(rel as i32 as i64 as u64);
                if target >= lo && target <= hi && entry_addrs.binary_search(&target).is_ok() {
                    calls.via_plt.push((t, i, target));
                }
            }
        }
        calls
    }

    /// From the calls of [`Code::x86_64_call_sites`], those through `slots` with the
    /// immediate put in argument register `arg` before them, as [`Code::x86_64_calls`]
    /// gives them.
    fn x86_64_immediates(&self, calls: &X86Calls, slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
        let entries: Vec<u64> = calls
            .entries
            .iter()
            .filter(|(_, slot)| slots.contains(slot))
            .map(|&(a, _)| a)
            .collect();
        let sites = calls
            .direct
            .iter()
            .filter(|(_, _, slot)| slots.contains(slot))
            .chain(
                calls
                    .via_plt
                    .iter()
                    .filter(|(_, _, target)| entries.contains(target)),
            )
            .map(|&(t, i, _)| (i, self.text[t].0));
        self.x86_64_immediates_at(sites, arg)
    }

    /// The byte-by-byte scan for the calls through one rule's `slots` that
    /// [`Code::x86_64_call_sites`] replaced (kept to test that one against).
    #[cfg(test)]
    fn x86_64_calls(&self, slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
        // PLT entries: `jmp *slot(%rip)` (ff 25), possibly after `bnd` (f2) and `endbr64`.
        let mut entries = Vec::new();
        let mut sites = Vec::new();
        for (base, bytes) in &self.text {
            for i in 0..bytes.len().saturating_sub(6) {
                if bytes[i] != 0xff || (bytes[i + 1] != 0x25 && bytes[i + 1] != 0x15) {
                    continue;
                }
                let Some(disp) = u32_at(bytes, i + 2) else {
                    continue;
                };
                let at = base + i as u64;
                let target = (at + 6).wrapping_add(disp as i32 as i64 as u64);
                if !slots.contains(&target) {
                    continue;
                }
                if bytes[i + 1] == 0x15 {
                    sites.push((i, *base)); // call *slot(%rip)
                    continue;
                }
                entries.push(at);
                let mut start = i;
                if start >= 1 && bytes[start - 1] == 0xf2 {
                    start -= 1;
                    entries.push(base + start as u64);
                }
                if start >= 4 && bytes[start - 4..start] == [0xf3, 0x0f, 0x1e, 0xfa] {
                    entries.push(base + start as u64 - 4);
                }
            }
        }
        for (base, bytes) in &self.text {
            for i in 0..bytes.len().saturating_sub(5) {
                if bytes[i] != 0xe8 && bytes[i] != 0xe9 {
                    continue;
                }
                let Some(rel) = u32_at(bytes, i + 1) else {
                    continue;
                };
                let target = (base + i as u64 + 5).wrapping_add(rel as i32 as i64 as u64);
                if entries.contains(&target) {
                    sites.push((i, *base));
                }
            }
        }
        self.x86_64_immediates_at(sites.into_iter(), arg)
    }

    /// For each call site (offset in the executable segment at `base`), the immediate the
    /// few instructions before it load into integer argument register `arg`, if any.
    fn x86_64_immediates_at(
        &self,
        sites: impl Iterator<Item = (usize, u64)>,
        arg: u8,
    ) -> Vec<(u64, u64)> {
        // `mov $imm32, %edi/%esi/%edx/%ecx` is 0xb8+reg followed by imm32.
        let Some(&mov) = [0xbfu8, 0xbe, 0xba, 0xb9].get(usize::from(arg)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, base) in sites {
            let Some((_, bytes)) = self.text.iter().find(|(b, _)| *b == base) else {
                continue;
            };
            // The immediate is loaded within the few instructions before the call.
            let from = i.saturating_sub(24);
            let mut found = None;
            for j in (from..i.saturating_sub(4)).rev() {
                if bytes[j] == mov && j + 5 <= i {
                    if let Some(v) = u32_at(bytes, j + 1) {
                        found = Some(u64::from(v));
                        break;
                    }
                }
            }
            if let Some(v) = found {
                out.push((base + i as u64, v));
            }
        }
        out
    }

    fn aarch64_calls(&self, slots: &[u64], arg: u8) -> Vec<(u64, u64)> {
        let insn = |bytes: &[u8], k: usize| u32_at(bytes, 4 * k);
        // PLT entries: adrp x16, page; ldr x17, [x16, #lo]; add x16, x16, #lo; br x17,
        // possibly after `bti c`.
        let mut entries = Vec::new();
        for (base, bytes) in &self.text {
            let n = bytes.len() / 4;
            for k in 0..n.saturating_sub(3) {
                let (Some(a), Some(l), Some(br)) =
                    (insn(bytes, k), insn(bytes, k + 1), insn(bytes, k + 3))
                else {
                    continue;
                };
                if a & 0x9f00_001f != 0x9000_0010
                    || l & 0xffc0_03ff != 0xf940_0211
                    || br != 0xd61f_0220
                {
                    continue;
                }
                let pc = base + 4 * k as u64;
                let immlo = u64::from((a >> 29) & 3);
                let immhi = u64::from((a >> 5) & 0x7_ffff);
                let pages = ((immhi << 2 | immlo) << 43) as i64 >> 43;
                let page = (pc & !0xfff).wrapping_add((pages << 12) as u64);
                let slot = page + u64::from((l >> 10) & 0xfff) * 8;
                if slots.contains(&slot) {
                    entries.push(pc);
                    if k >= 1 && insn(bytes, k - 1) == Some(0xd503_245f) {
                        entries.push(pc - 4);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (base, bytes) in &self.text {
            let n = bytes.len() / 4;
            for k in 0..n {
                let Some(i) = insn(bytes, k) else { continue };
                // bl / b
                if i & 0x7c00_0000 != 0x1400_0000 {
                    continue;
                }
                let pc = base + 4 * k as u64;
                let off = (((i & 0x03ff_ffff) << 6) as i32 >> 4) as i64;
                if !entries.contains(&pc.wrapping_add(off as u64)) {
                    continue;
                }
                // movz w<arg>/x<arg>, #imm within the six instructions before.
                for back in 1..=6.min(k) {
                    let Some(m) = insn(bytes, k - back) else {
                        break;
                    };
                    if m & 0x7fe0_001f == 0x5280_0000 | u32::from(arg) {
                        out.push((pc, u64::from((m >> 5) & 0xffff)));
                        break;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass scan over all rules' slots finds, for each rule, exactly the calls and
    /// immediates of the byte-by-byte scan per rule: on the x86_64 fixtures and every ELF
    /// file of /usr/bin that has a GOT slot for a rule's function.
    #[test]
    fn one_pass_scan_equals_bytewise_scan() {
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for dir in [
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/x86_64"),
            std::path::PathBuf::from("/usr/bin"),
        ] {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                paths.extend(rd.flatten().map(|e| e.path()));
            }
        }
        let (mut files, mut calls) = (0, 0);
        for path in paths {
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let Ok(file) = ElfFile::parse(&data) else {
                continue;
            };
            let Some(code) = Code::of(&file) else {
                continue;
            };
            if code.isa != Isa::X86_64 {
                continue;
            }
            let rules: Vec<&ArgRule> = ARG_RULES
                .iter()
                .filter(|r| r.machine.is_none_or(|m| m == file.machine))
                .collect();
            let slots: Vec<Vec<u64>> = rules.iter().map(|r| code.got_slots(r.symbol)).collect();
            if slots.iter().all(|s| s.is_empty()) {
                continue;
            }
            files += 1;
            let all = code.x86_64_call_sites(&slots.concat());
            for (rule, slots) in rules.iter().zip(&slots) {
                if slots.is_empty() {
                    continue;
                }
                let one_pass = code.x86_64_immediates(&all, slots, rule.arg);
                let bytewise = code.x86_64_calls(slots, rule.arg);
                assert_eq!(one_pass, bytewise, "{} in {}", rule.symbol, path.display());
                assert_eq!(code.calls_with_immediate(slots, rule.arg), bytewise);
                calls += bytewise.len();
            }
        }
        eprintln!(
            "{files} files with slots for a rule's function, {calls} calls with an immediate"
        );
        if std::path::Path::new("/usr/bin/ls").exists() {
            assert!(files > 0 && calls > 0, "{files} files, {calls} calls");
        }
    }
}
