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
    // The first place of each name, found in one pass over the file for what they begin
    // with (rare in code and data alike) instead of one pass per name; the file's code
    // (its executable sections, when it has section headers) is not read: a name there is
    // bytes of instructions, not a string the program passes.
    let names = [b"C.UTF-8\0".as_slice(), b"C.utf8\0".as_slice()];
    let longest = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut first = [None, None];
    let finder = memchr::memmem::Finder::new(b"C.");
    'ranges: for (lo, hi) in not_code(file) {
        // A name that starts in the range may end past it.
        let hay = &file.data[lo..(hi + longest - 1).min(file.data.len())];
        for at in finder
            .find_iter(hay)
            .map(|i| lo + i)
            .take_while(|&at| at < hi)
        {
            for (name, first) in names.iter().zip(&mut first) {
                if first.is_none() && file.data[at..].starts_with(name) {
                    *first = Some(at);
                }
            }
            if first.iter().all(Option::is_some) {
                break 'ranges;
            }
        }
    }
    let (found, _) = names
        .into_iter()
        .zip(first)
        .find(|(_, at)| at.is_some_and(|at| at > 0 && file.data[at - 1] == 0))?;
    Some(format!(
        "the file names the {} locale and calls setlocale/newlocale: CentOS/RHEL 7 (glibc \
         2.17) does not install it, so the program stays in the \"C\" locale there",
        String::from_utf8_lossy(&found[..found.len() - 1])
    ))
}

/// The file's bytes but those of its executable sections, as ascending disjoint ranges (the
/// whole file without section headers).
fn not_code(file: &ElfFile<'_>) -> Vec<(usize, usize)> {
    let len = file.data.len();
    let mut code: Vec<(usize, usize)> = file
        .sections()
        .iter()
        .filter(|s| {
            s.flags & object::elf::SHF_EXECINSTR.0 != 0 && s.sh_type != object::elf::SHT_NOBITS.0
        })
        .filter_map(|s| {
            let lo = usize::try_from(s.offset).ok()?.min(len);
            let hi = lo.saturating_add(usize::try_from(s.size).ok()?).min(len);
            (lo < hi).then_some((lo, hi))
        })
        .collect();
    code.sort_unstable();
    let mut out = Vec::new();
    let mut from = 0;
    for (lo, hi) in code {
        if lo > from {
            out.push((from, lo));
        }
        from = from.max(hi);
    }
    if from < len {
        out.push((from, len));
    }
    out
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
            && dynamic.name_is(&s, b"signgam")
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
    let slots = code.got_slots(&rules.iter().map(|r| r.symbol).collect::<Vec<_>>());
    let rules: Vec<(&ArgRule, Vec<u64>)> = rules
        .into_iter()
        .zip(slots)
        .filter(|(_, slots)| !slots.is_empty())
        .collect();
    // x86_64: the accepted `mov`s of every rule, found in one pass over the code.
    let movs = match code.isa {
        Isa::X86_64 => code.x86_64_accepted_movs(
            &rules
                .iter()
                .map(|(r, _)| (r.arg, &r.matches))
                .collect::<Vec<_>>(),
        ),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (k, (rule, slots)) in rules.iter().enumerate() {
        let found = match code.isa {
            Isa::X86_64 => code.x86_64_calls_with(slots, rule.arg, &movs[k]),
            Isa::Aarch64 => code.aarch64_calls(slots, rule.arg),
            Isa::Other(arch) => arches::calls(arch, code.file, &code.text, slots, rule.arg),
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

/// `mov $imm32, %edi/%esi/%edx/%ecx` (the integer argument registers 0 to 3) is
/// 0xb8+reg followed by imm32.
fn mov_opcode(arg: u8) -> Option<u8> {
    [0xbfu8, 0xbe, 0xba, 0xb9].get(usize::from(arg)).copied()
}

/// For each of `wanted` (a `mov` opcode and the values of a rule), each offset `j` of
/// `bytes` where `mov $imm32, reg` (the opcode, then the immediate) puts a value the rule
/// accepts, in ascending order.
///
/// One pass over the code finds them for all of a file's rules: memchr for the rules'
/// opcodes (up to three at once), each hit's immediate checked against the rules of that
/// opcode. The opcode of `mov` to an argument register is one byte in 500 to 1000 of
/// x86_64 code, rare enough for memchr's loop, the fastest search there is: one such pass
/// over libLLVM-15's 50 MiB of code takes less time than one memmem pass for a 5-byte
/// instruction (`mov $250, %edi`), and a rule with two values needed two of those.
fn mov_immediates(bytes: &[u8], wanted: &[(u8, &ArgMatch)]) -> Vec<Vec<usize>> {
    let mut opcodes: Vec<u8> = wanted.iter().map(|&(mov, _)| mov).collect();
    opcodes.sort_unstable();
    opcodes.dedup();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); wanted.len()];
    for group in opcodes.chunks(3) {
        let hits: Box<dyn Iterator<Item = usize>> = match *group {
            [a] => Box::new(memchr::memchr_iter(a, bytes)),
            [a, b] => Box::new(memchr::memchr2_iter(a, b, bytes)),
            [a, b, c] => Box::new(memchr::memchr3_iter(a, b, c, bytes)),
            _ => continue,
        };
        for j in hits {
            let Some(v) = u32_at(bytes, j + 1) else {
                continue;
            };
            for (&(mov, matches), out) in wanted.iter().zip(&mut out) {
                if mov == bytes[j] && matches.name_of(u64::from(v)).is_some() {
                    out.push(j);
                }
            }
        }
    }
    out
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

    /// For each of `symbols`, the GOT slots that the loader fills with its address (its
    /// JUMP_SLOT and GLOB_DAT relocations).
    fn got_slots(&self, symbols: &[&str]) -> Vec<Vec<u64>> {
        let relocs = match self.isa {
            Isa::Other(arch) => arch.slot_relocs(),
            Isa::X86_64 => (
                object::elf::R_X86_64_JUMP_SLOT.0,
                object::elf::R_X86_64_GLOB_DAT.0,
            ),
            Isa::Aarch64 => (
                object::elf::R_AARCH64_JUMP_SLOT.0,
                object::elf::R_AARCH64_GLOB_DAT.0,
            ),
        };
        arches::got_slots(self.file, relocs, symbols, |a, l| self.offset_of(a, l))
    }

    /// Each x86_64 call (or tail call) that reaches one of `slots`, directly (`call
    /// *slot(%rip)`) or through a PLT entry that jumps through one (`call`/`jmp rel32`),
    /// that has a value a rule accepts put in integer argument register `arg` just before
    /// it: (address, value), first the calls through a slot, then those through a PLT
    /// entry, each in code order. The same calls [`Code::x86_64_calls`] finds by visiting
    /// every byte, less those whose value the rule refuses.
    ///
    /// The value is the one of the nearest `mov` to the register in the 24 bytes before
    /// the call ([`Code::x86_64_immediates_at`]), so a call with an accepted value lies
    /// 5 to 24 bytes after an accepted `mov`: those are found first (`movs`, per
    /// executable segment, from [`Code::x86_64_accepted_movs`]), and only the bytes after
    /// them are decoded.
    /// Reading every byte of the code of every file that imports `sysconf` was most of
    /// `check`'s time.
    fn x86_64_calls_with(&self, slots: &[u64], arg: u8, movs: &[Vec<usize>]) -> Vec<(u64, u64)> {
        let (mut direct, mut via_plt) = (Vec::new(), Vec::new());
        for ((base, bytes), movs) in self.text.iter().zip(movs) {
            // Each position once, though the 20 bytes after two `mov`s may overlap.
            let mut next = 0;
            for &j in movs {
                for i in next.max(j + 5)..(j + 25).min(bytes.len()) {
                    match self.x86_64_call_at(bytes, *base, i, slots) {
                        Some(true) => direct.push((i, *base)),
                        Some(false) => via_plt.push((i, *base)),
                        None => {}
                    }
                }
                next = next.max(j + 25);
            }
        }
        direct.extend(via_plt);
        self.x86_64_immediates_at(direct.into_iter(), arg)
    }

    /// For each of `wanted` (an integer argument register and a rule's values), the
    /// offsets of the `mov`s to that register with an accepted value in each executable
    /// segment ([`mov_immediates`]), as [`Code::x86_64_calls_with`] takes them: one pass
    /// over the code for all of a file's rules.
    fn x86_64_accepted_movs(&self, wanted: &[(u8, &ArgMatch)]) -> Vec<Vec<Vec<usize>>> {
        // A register without a `mov` opcode here has no accepted `mov`s.
        let known: Vec<(usize, (u8, &ArgMatch))> = wanted
            .iter()
            .enumerate()
            .filter_map(|(k, &(arg, m))| Some((k, (mov_opcode(arg)?, m))))
            .collect();
        let pairs: Vec<(u8, &ArgMatch)> = known.iter().map(|&(_, w)| w).collect();
        let mut out = vec![vec![Vec::new(); self.text.len()]; wanted.len()];
        for (s, (_, bytes)) in self.text.iter().enumerate() {
            for ((k, _), movs) in known.iter().zip(mov_immediates(bytes, &pairs)) {
                out[*k][s] = movs;
            }
        }
        out
    }

    /// Whether offset `i` of the executable bytes at `base` is a call that reaches one of
    /// `slots`: Some(true) for `call *slot(%rip)`, Some(false) for a `call`/`jmp rel32`
    /// to a PLT entry that jumps through one, None otherwise.
    fn x86_64_call_at(&self, bytes: &[u8], base: u64, i: usize, slots: &[u64]) -> Option<bool> {
        if i < bytes.len().saturating_sub(6) && bytes[i] == 0xff && bytes[i + 1] == 0x15 {
            let disp = u32_at(bytes, i + 2)?;
            let target = (base.wrapping_add(i as u64) + 6).wrapping_add(disp as i32 as i64 as u64);
            return slots.contains(&target).then_some(true);
        }
        if i < bytes.len().saturating_sub(5) && bytes[i] & 0xfe == 0xe8 {
            let rel = u32_at(bytes, i + 1)?;
            let target = (base.wrapping_add(i as u64) + 5).wrapping_add(rel as i32 as i64 as u64);
            return self.x86_64_plt_entry(target, slots).then_some(false);
        }
        None
    }

    /// Whether `target` is a PLT entry through one of `slots`: a `jmp *slot(%rip)` (ff 25)
    /// in the executable bytes, or the `bnd` (f2) or `endbr64` just before one, as
    /// [`Code::x86_64_calls`] collects them.
    fn x86_64_plt_entry(&self, target: u64, slots: &[u64]) -> bool {
        self.text.iter().any(|(base, bytes)| {
            let Some(p) = usize::try_from(target.wrapping_sub(*base))
                .ok()
                .filter(|&p| p < bytes.len())
            else {
                return false;
            };
            let jump = |q: usize| {
                q < bytes.len().saturating_sub(6)
                    && bytes[q] == 0xff
                    && bytes[q + 1] == 0x25
                    && u32_at(bytes, q + 2).is_some_and(|disp| {
                        let at = base.wrapping_add(q as u64);
                        slots.contains(&(at + 6).wrapping_add(disp as i32 as i64 as u64))
                    })
            };
            let endbr = bytes[p..].starts_with(&[0xf3, 0x0f, 0x1e, 0xfa]);
            jump(p)
                || (bytes[p] == 0xf2 && jump(p + 1))
                || (endbr && (jump(p + 4) || (bytes.get(p + 4) == Some(&0xf2) && jump(p + 5))))
        })
    }

    /// The byte-by-byte scan for the calls through one rule's `slots`, with any immediate,
    /// that [`Code::x86_64_calls_with`] replaced (kept to test that one against).
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
        let Some(mov) = mov_opcode(arg) else {
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

    /// The bytes [`not_code`] leaves to read are all of the file's but its executable
    /// sections' (here: the test binary's own).
    #[test]
    fn not_code_is_all_but_the_code() {
        let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let file = ElfFile::parse(&data).unwrap();
        let code: Vec<(usize, usize)> = file
            .sections()
            .iter()
            .filter(|s| s.flags & object::elf::SHF_EXECINSTR.0 != 0 && s.size > 0)
            .map(|s| (s.offset as usize, (s.offset + s.size) as usize))
            .collect();
        assert!(!code.is_empty());
        let ranges = not_code(&file);
        assert!(ranges.windows(2).all(|w| w[0].1 < w[1].0));
        for at in 0..data.len() {
            let in_code = code.iter().any(|&(lo, hi)| (lo..hi).contains(&at));
            let read = ranges.iter().any(|&(lo, hi)| (lo..hi).contains(&at));
            assert_ne!(in_code, read, "{at:#x}");
        }
    }

    /// The accepted `mov`s [`mov_immediates`] finds are those found by trying every offset
    /// (`mov`s inside other `mov`s' immediates included), whether each rule is searched for
    /// alone or all together.
    #[test]
    fn mov_immediates_equal_every_offset() {
        let mut bytes = vec![0xbf; 12];
        bytes.extend([
            0x00, 0xbf, 0xbf, 0x00, 0xbf, 0xbf, 0x00, 0xbf, 0xbf, 0x00, 0x00,
        ]);
        bytes.extend([
            0xbf, 0xf9, 0x00, 0x00, 0x00, 0xbf, 0xfa, 0x00, 0x00, 0x00, 0xbf,
        ]);
        bytes.extend([0x12, 0xbf, 0x00, 0x00, 0xbf, 0xbf, 0x00, 0x00]);
        let rules = [
            ArgMatch::Values(&[
                (0xbfbf_bfbf, "a"),
                (0x00bf_bf00, "b"),
                (249, "c"),
                (250, "d"),
            ]),
            ArgMatch::Range(0xbfbf_bf00, 0xbfbf_bfff, "e"),
            ArgMatch::Range(0x00bf_bf00, 0x00bf_bfff, "f"),
            ArgMatch::Range(0xbf00, 0xbfff, "g"),
            ArgMatch::AllBits(0xbf00, "h"),
        ];
        let every = |mov: u8, matches: &ArgMatch| -> Vec<usize> {
            (0..bytes.len())
                .filter(|&j| {
                    bytes[j] == mov
                        && u32_at(&bytes, j + 1)
                            .is_some_and(|v| matches.name_of(u64::from(v)).is_some())
                })
                .collect()
        };
        for matches in &rules {
            assert!(!every(0xbf, matches).is_empty(), "{matches:?}");
            assert_eq!(
                mov_immediates(&bytes, &[(0xbf, matches)]),
                vec![every(0xbf, matches)],
                "{matches:?}"
            );
        }
        // All at once, with three other opcodes (four: two passes), one of them a byte the
        // test's bytes hold (0x00).
        let all: Vec<(u8, &ArgMatch)> = [0xbf, 0x00, 0xba, 0xb9]
            .into_iter()
            .flat_map(|mov| rules.iter().map(move |m| (mov, m)))
            .collect();
        let wanted: Vec<Vec<usize>> = all.iter().map(|&(mov, m)| every(mov, m)).collect();
        assert!(wanted.iter().any(|w| !w.is_empty() && bytes[w[0]] == 0x00));
        assert_eq!(mov_immediates(&bytes, &all), wanted);
    }

    /// The search from the accepted `mov`s finds, for each rule, exactly the calls and
    /// immediates of the byte-by-byte scan that the rule's values accept, and, with a rule
    /// that accepts every value, every call with an immediate that the byte-by-byte scan
    /// finds: on the x86_64 fixtures, every ELF file of /usr/bin and the libraries of
    /// /usr/lib/x86_64-linux-gnu up to 4 MiB that have a GOT slot for a rule's function.
    #[test]
    fn mov_first_search_equals_bytewise_scan() {
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        for dir in [
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/x86_64"),
            std::path::PathBuf::from("/usr/bin"),
            std::path::PathBuf::from("/usr/lib/x86_64-linux-gnu"),
        ] {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                paths.extend(rd.flatten().map(|e| e.path()));
            }
        }
        let every = ArgMatch::Range(0, u64::from(u32::MAX), "any value");
        let (mut files, mut calls, mut accepted) = (0, 0, 0);
        for path in paths {
            let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= 4 << 20);
            let Ok(data) =
                std::fs::read(&path).map_err(|_| ()).and_then(
                    |d| {
                        if small {
                            Ok(d)
                        } else {
                            Err(())
                        }
                    },
                )
            else {
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
            let mut any_slots = false;
            for rule in ARG_RULES
                .iter()
                .filter(|r| r.machine.is_none_or(|m| m == file.machine))
            {
                let slots = code.got_slots(&[rule.symbol]).concat();
                if slots.is_empty() {
                    continue;
                }
                any_slots = true;
                let bytewise = code.x86_64_calls(&slots, rule.arg);
                let movs =
                    code.x86_64_accepted_movs(&[(rule.arg, &every), (rule.arg, &rule.matches)]);
                let all = code.x86_64_calls_with(&slots, rule.arg, &movs[0]);
                assert_eq!(all, bytewise, "{} in {}", rule.symbol, path.display());
                let wanted: Vec<(u64, u64)> = bytewise
                    .iter()
                    .copied()
                    .filter(|&(_, v)| rule.matches.name_of(v).is_some())
                    .collect();
                let found = code.x86_64_calls_with(&slots, rule.arg, &movs[1]);
                let found: Vec<(u64, u64)> = found
                    .into_iter()
                    .filter(|&(_, v)| rule.matches.name_of(v).is_some())
                    .collect();
                assert_eq!(found, wanted, "{} in {}", rule.symbol, path.display());
                calls += bytewise.len();
                accepted += wanted.len();
            }
            files += usize::from(any_slots);
        }
        eprintln!(
            "{files} files with slots for a rule's function, {calls} calls with an immediate, \
             {accepted} with a value a rule names"
        );
        if std::path::Path::new("/usr/bin/ls").exists() {
            assert!(files > 0 && calls > 0, "{files} files, {calls} calls");
        }
    }
}
