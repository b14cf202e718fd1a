//! glibc targets (architecture + ABI): naming, aliases, and the mapping from an
//! ELF header to a target.

use std::fmt;

use super::{db, GlibcVersion};

/// One glibc target (architecture + ABI) of the database, e.g. "x86_64-linux-gnu".
///
/// Names are zig's target triples; [`crate::abi::AbiDb::target_by_name`] also
/// takes common aliases (`amd64`, `arm64`, `armhf`, `ppc64le`, Debian and Rust triples).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Target(pub(crate) u8);

impl Target {
    /// The zig triple, e.g. `"x86_64-linux-gnu"`, `"arm-linux-gnueabihf"`.
    pub fn name(&self) -> &'static str {
        db().target_info(*self).map(|t| t.name).unwrap_or("")
    }

    /// The oldest version tag any symbol has on this target: its glibc base
    /// version (2.2.5 on x86_64, 2.17 on aarch64), below which nothing can be lowered.
    pub fn base_version(&self) -> GlibcVersion {
        db().base_version(*self)
    }

    /// The newest release the source data covers for this target: the
    /// database's newest release, except for targets taken from an older zig
    /// (powerpc, powerpc64 big-endian: 2.43).
    pub fn covered_through(&self) -> GlibcVersion {
        db().covered_through(*self)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

// e_machine values (ELF gABI / processor supplements).
const EM_SPARC: u16 = 2;
const EM_386: u16 = 3;
const EM_68K: u16 = 4;
const EM_MIPS: u16 = 8;
const EM_SPARC32PLUS: u16 = 18;
const EM_PPC: u16 = 20;
const EM_PPC64: u16 = 21;
const EM_S390: u16 = 22;
const EM_ARM: u16 = 40;
const EM_SPARCV9: u16 = 43;
const EM_X86_64: u16 = 62;
const EM_ARC_COMPACT: u16 = 93;
const EM_AARCH64: u16 = 183;
const EM_ARC_COMPACT2: u16 = 195;
const EM_RISCV: u16 = 243;
const EM_CSKY: u16 = 252;
const EM_LOONGARCH: u16 = 258;

/// ARM EABI: the executable uses the hard-float (VFP register) calling convention.
const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;
/// MIPS: n32 (an ELFCLASS32 file with the 64-bit ISA's new ABI).
const EF_MIPS_ABI2: u32 = 0x20;
/// LoongArch base ABI bits: 1 soft float, 2 single float, 3 double float.
const EF_LOONGARCH_ABI_MODIFIER_MASK: u32 = 0x7;

/// The zig triple for an ELF header, or `None` for a machine glibc (or the
/// data) has no target for.
///
/// What e_flags cannot tell is defaulted: MIPS o32 and 32-bit PowerPC are taken
/// as hard-float (the symbol data of the soft-float variants is nearly the same),
/// C-SKY as soft-float, RISC-V as the lp64d / ilp32d ABI.
pub(crate) fn elf_target_name(
    e_machine: u16,
    is_64: bool,
    big_endian: bool,
    e_flags: u32,
) -> Option<&'static str> {
    let name = match (e_machine, is_64, big_endian) {
        (EM_X86_64, true, false) => "x86_64-linux-gnu",
        (EM_X86_64, false, false) => "x86_64-linux-gnux32",
        (EM_386, false, false) => "x86-linux-gnu",
        (EM_AARCH64, true, false) => "aarch64-linux-gnu",
        (EM_AARCH64, true, true) => "aarch64_be-linux-gnu",
        (EM_ARM, false, be) => {
            let hard = e_flags & EF_ARM_ABI_FLOAT_HARD != 0;
            match (be, hard) {
                (false, true) => "arm-linux-gnueabihf",
                (false, false) => "arm-linux-gnueabi",
                (true, true) => "armeb-linux-gnueabihf",
                (true, false) => "armeb-linux-gnueabi",
            }
        }
        (EM_PPC64, true, false) => "powerpc64le-linux-gnu",
        (EM_PPC64, true, true) => "powerpc64-linux-gnu",
        (EM_PPC, false, true) => "powerpc-linux-gnueabihf",
        (EM_S390, true, true) => "s390x-linux-gnu",
        (EM_RISCV, true, false) => "riscv64-linux-gnu",
        (EM_RISCV, false, false) => "riscv32-linux-gnu",
        (EM_LOONGARCH, is_64, false) => {
            let soft = e_flags & EF_LOONGARCH_ABI_MODIFIER_MASK == 1;
            match (is_64, soft) {
                (true, false) => "loongarch64-linux-gnu",
                (true, true) => "loongarch64-linux-gnusf",
                (false, false) => "loongarch32-linux-gnu",
                (false, true) => "loongarch32-linux-gnusf",
            }
        }
        (EM_MIPS, true, false) => "mips64el-linux-gnuabi64",
        (EM_MIPS, true, true) => "mips64-linux-gnuabi64",
        (EM_MIPS, false, be) => {
            let n32 = e_flags & EF_MIPS_ABI2 != 0;
            match (n32, be) {
                (true, false) => "mips64el-linux-gnuabin32",
                (true, true) => "mips64-linux-gnuabin32",
                (false, false) => "mipsel-linux-gnueabihf",
                (false, true) => "mips-linux-gnueabihf",
            }
        }
        (EM_SPARCV9, true, true) => "sparc64-linux-gnu",
        (EM_SPARC | EM_SPARC32PLUS, false, true) => "sparc-linux-gnu",
        (EM_68K, false, true) => "m68k-linux-gnu",
        (EM_ARC_COMPACT | EM_ARC_COMPACT2, false, false) => "arc-linux-gnu",
        (EM_CSKY, false, false) => "csky-linux-gnueabi",
        _ => return None,
    };
    Some(name)
}

/// Bare architecture names (Debian, Rust, uname, zig) to a zig triple.
const ARCH_ALIASES: &[(&str, &str)] = &[
    ("x86_64", "x86_64-linux-gnu"),
    ("x86-64", "x86_64-linux-gnu"),
    ("amd64", "x86_64-linux-gnu"),
    ("x64", "x86_64-linux-gnu"),
    ("x32", "x86_64-linux-gnux32"),
    ("i386", "x86-linux-gnu"),
    ("i486", "x86-linux-gnu"),
    ("i586", "x86-linux-gnu"),
    ("i686", "x86-linux-gnu"),
    ("x86", "x86-linux-gnu"),
    ("ia32", "x86-linux-gnu"),
    ("aarch64", "aarch64-linux-gnu"),
    ("arm64", "aarch64-linux-gnu"),
    ("aarch64_be", "aarch64_be-linux-gnu"),
    ("arm64be", "aarch64_be-linux-gnu"),
    ("armhf", "arm-linux-gnueabihf"),
    ("arm", "arm-linux-gnueabihf"),
    ("armv7", "arm-linux-gnueabihf"),
    ("armv7l", "arm-linux-gnueabihf"),
    ("armv7hl", "arm-linux-gnueabihf"),
    ("armv6", "arm-linux-gnueabihf"),
    ("armel", "arm-linux-gnueabi"),
    ("armv5", "arm-linux-gnueabi"),
    ("armv5te", "arm-linux-gnueabi"),
    ("armeb", "armeb-linux-gnueabihf"),
    ("ppc64le", "powerpc64le-linux-gnu"),
    ("ppc64el", "powerpc64le-linux-gnu"),
    ("powerpc64le", "powerpc64le-linux-gnu"),
    ("ppc64", "powerpc64-linux-gnu"),
    ("powerpc64", "powerpc64-linux-gnu"),
    ("ppc", "powerpc-linux-gnueabihf"),
    ("powerpc", "powerpc-linux-gnueabihf"),
    ("s390x", "s390x-linux-gnu"),
    ("riscv64", "riscv64-linux-gnu"),
    ("riscv64gc", "riscv64-linux-gnu"),
    ("rv64", "riscv64-linux-gnu"),
    ("riscv32", "riscv32-linux-gnu"),
    ("riscv32gc", "riscv32-linux-gnu"),
    ("mips64el", "mips64el-linux-gnuabi64"),
    ("mips64", "mips64-linux-gnuabi64"),
    ("mipsn32el", "mips64el-linux-gnuabin32"),
    ("mipsn32", "mips64-linux-gnuabin32"),
    ("mipsel", "mipsel-linux-gnueabihf"),
    ("mips", "mips-linux-gnueabihf"),
    ("loongarch64", "loongarch64-linux-gnu"),
    ("loong64", "loongarch64-linux-gnu"),
    ("loongarch32", "loongarch32-linux-gnu"),
    ("sparc64", "sparc64-linux-gnu"),
    ("sparcv9", "sparc64-linux-gnu"),
    ("sparc", "sparc-linux-gnu"),
    ("m68k", "m68k-linux-gnu"),
    ("arc", "arc-linux-gnu"),
    ("csky", "csky-linux-gnueabi"),
];

/// Candidate zig triples for a user-given target name, best first. The caller
/// keeps the first one the database has.
pub(crate) fn name_candidates(name: &str) -> Vec<String> {
    let lower = name.trim().to_ascii_lowercase();
    let mut out = vec![lower.clone()];
    if let Some((_, t)) = ARCH_ALIASES.iter().find(|(a, _)| *a == lower) {
        out.push((*t).to_string());
        return out;
    }
    // A triple: ARCH[-VENDOR]-linux[-ABI] (Rust: x86_64-unknown-linux-gnu,
    // Debian multiarch: i386-linux-gnu, arm-linux-gnueabihf).
    let parts: Vec<&str> = lower.split('-').collect();
    if parts.len() >= 2 && parts.contains(&"linux") {
        let Some(arch) = parts.first() else {
            return out;
        };
        let abi = parts
            .iter()
            .skip_while(|p| **p != "linux")
            .nth(1)
            .copied()
            .unwrap_or("gnu");
        let default = ARCH_ALIASES
            .iter()
            .find(|(a, _)| a == arch)
            .map(|(_, t)| *t);
        let zig_arch = default.and_then(|t| t.split('-').next()).unwrap_or(arch);
        out.push(format!("{zig_arch}-linux-{abi}"));
        // Debian's "arm-linux-gnueabihf" style keeps the arch; the ABI part decides.
        out.push(format!("{arch}-linux-{abi}"));
        if abi == "gnu" {
            if let Some(t) = default {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::db;

    #[test]
    fn elf_headers_map_to_targets() {
        let db = db();
        let name = |m, b64, be, fl| db.target_for_elf(m, b64, be, fl).map(|t| t.name());
        assert_eq!(name(EM_X86_64, true, false, 0), Some("x86_64-linux-gnu"));
        assert_eq!(
            name(EM_X86_64, false, false, 0),
            Some("x86_64-linux-gnux32")
        );
        assert_eq!(name(EM_386, false, false, 0), Some("x86-linux-gnu"));
        assert_eq!(name(EM_AARCH64, true, false, 0), Some("aarch64-linux-gnu"));
        assert_eq!(
            name(EM_ARM, false, false, 0x0500_0400),
            Some("arm-linux-gnueabihf")
        );
        assert_eq!(
            name(EM_ARM, false, false, 0x0500_0200),
            Some("arm-linux-gnueabi")
        );
        assert_eq!(
            name(EM_PPC64, true, false, 2),
            Some("powerpc64le-linux-gnu")
        );
        assert_eq!(name(EM_PPC64, true, true, 1), Some("powerpc64-linux-gnu"));
        assert_eq!(name(EM_S390, true, true, 0), Some("s390x-linux-gnu"));
        assert_eq!(name(EM_RISCV, true, false, 0x5), Some("riscv64-linux-gnu"));
        assert_eq!(
            name(EM_LOONGARCH, true, false, 0x43),
            Some("loongarch64-linux-gnu")
        );
        assert_eq!(
            name(EM_LOONGARCH, true, false, 0x41),
            Some("loongarch64-linux-gnusf")
        );
        assert_eq!(
            name(EM_MIPS, true, false, 0),
            Some("mips64el-linux-gnuabi64")
        );
        assert_eq!(
            name(EM_MIPS, false, false, 0x20),
            Some("mips64el-linux-gnuabin32")
        );
        assert_eq!(name(EM_MIPS, false, true, 0), Some("mips-linux-gnueabihf"));
        assert_eq!(name(EM_SPARCV9, true, true, 0), Some("sparc64-linux-gnu"));
        // Nonsense combinations and unknown machines.
        assert_eq!(name(EM_X86_64, true, true, 0), None);
        assert_eq!(name(EM_386, true, false, 0), None);
        assert_eq!(name(EM_S390, false, true, 0), None);
        assert_eq!(name(0xbeef, true, false, 0), None);
    }

    #[test]
    fn names_and_aliases() {
        let db = db();
        let name = |n: &str| db.target_by_name(n).map(|t| t.name());
        for (alias, want) in [
            ("x86_64", "x86_64-linux-gnu"),
            ("amd64", "x86_64-linux-gnu"),
            ("AMD64", "x86_64-linux-gnu"),
            ("i386", "x86-linux-gnu"),
            ("i686", "x86-linux-gnu"),
            ("x86", "x86-linux-gnu"),
            ("aarch64", "aarch64-linux-gnu"),
            ("arm64", "aarch64-linux-gnu"),
            ("armhf", "arm-linux-gnueabihf"),
            ("arm", "arm-linux-gnueabihf"),
            ("armel", "arm-linux-gnueabi"),
            ("ppc64le", "powerpc64le-linux-gnu"),
            ("ppc64", "powerpc64-linux-gnu"),
            ("s390x", "s390x-linux-gnu"),
            ("riscv64", "riscv64-linux-gnu"),
            ("mips64el", "mips64el-linux-gnuabi64"),
            ("loongarch64", "loongarch64-linux-gnu"),
            ("loong64", "loongarch64-linux-gnu"),
            ("sparc64", "sparc64-linux-gnu"),
            ("x86_64-linux-gnu", "x86_64-linux-gnu"),
            ("x86_64-unknown-linux-gnu", "x86_64-linux-gnu"),
            ("i686-unknown-linux-gnu", "x86-linux-gnu"),
            ("i386-linux-gnu", "x86-linux-gnu"),
            ("aarch64-unknown-linux-gnu", "aarch64-linux-gnu"),
            ("armv7-unknown-linux-gnueabihf", "arm-linux-gnueabihf"),
            ("arm-linux-gnueabihf", "arm-linux-gnueabihf"),
            ("powerpc64le-unknown-linux-gnu", "powerpc64le-linux-gnu"),
            ("riscv64gc-unknown-linux-gnu", "riscv64-linux-gnu"),
            ("x86_64-unknown-linux-gnux32", "x86_64-linux-gnux32"),
        ] {
            assert_eq!(name(alias), Some(want), "{alias}");
        }
        assert_eq!(name("x86_64-linux-musl"), None);
        assert_eq!(name("windows"), None);
        assert_eq!(name(""), None);
    }
}
