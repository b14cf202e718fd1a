//! The manylinux policies as a wheel meets them (PEP 513, 571, 599, 600): the libraries
//! every manylinux system has (the whitelist a wheel may load from the system), and the
//! oldest policy a set of ELF files truly meets — glibc, and the GLIBCXX, CXXABI and GCC
//! caps of the system's libstdc++ and libgcc_s, per architecture, from auditwheel's
//! policy data (`crate::abi::manylinux`, the same data `check --target manylinux_*`
//! judges a wheel by).
//!
//! The whitelist is kept here alone. libstdc++ and libgcc_s are on it too, but capped per
//! policy: `bundle` decides them per closure (`super::runtime`), so they are not in
//! [`WHITELIST`].

use crate::abi::manylinux::{policies as all_policies, Policy};
use crate::abi::GlibcVersion;
use crate::elf::ElfFile;
use crate::versym::VersionName;

/// Sonames (shell patterns) a manylinux wheel may load from the system, beyond glibc's
/// own (which [`super::policy`] keeps): PEP 599's list less libstdc++ and libgcc_s.
pub const WHITELIST: &[&str] = &[
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libGL.so.1",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
    "libglib-2.0.so.0",
    "libcrypt.so.1",
];

/// What a set of ELF files needs from the system: the newest versions per family.
#[derive(Clone, Debug, Default)]
pub struct Needs {
    /// Newest `GLIBC_` version of glibc's libraries.
    pub glibc: Option<GlibcVersion>,
    /// Newest `GLIBCXX_` of the system's libstdc++.so.6.
    pub glibcxx: Option<(u8, u8, u8)>,
    /// Newest `CXXABI_` of the system's libstdc++.so.6.
    pub cxxabi: Option<(u8, u8, u8)>,
    /// Newest `GCC_` of the system's libgcc_s.so.1.
    pub gcc_s: Option<(u8, u8, u8)>,
}

impl Needs {
    /// Add what one file's version requirements ask of the system.
    pub fn add(&mut self, file: &ElfFile<'_>) {
        let Some(d) = file.dynamic.as_ref() else {
            return;
        };
        for vn in &d.verneed {
            for aux in &vn.aux {
                let v = VersionName::parse(&aux.name);
                let Some(t) = triple(v.numbers()) else {
                    continue;
                };
                let newer = |slot: &mut Option<(u8, u8, u8)>| {
                    if slot.is_none_or(|s| s < t) {
                        *slot = Some(t);
                    }
                };
                let name = aux.name.as_ref();
                if super::policy::is_glibc(&vn.file) && name.starts_with("GLIBC_2") {
                    let g = GlibcVersion::new(t.0, t.1, t.2);
                    if self.glibc.is_none_or(|x| x < g) {
                        self.glibc = Some(g);
                    }
                } else if vn.file == super::runtime::LIBSTDCXX && name.starts_with("GLIBCXX_") {
                    newer(&mut self.glibcxx);
                } else if vn.file == super::runtime::LIBSTDCXX && name.starts_with("CXXABI_") {
                    newer(&mut self.cxxabi);
                } else if vn.file == super::runtime::LIBGCC_S && name.starts_with("GCC_") {
                    newer(&mut self.gcc_s);
                }
            }
        }
    }

    /// Whether a policy's system covers these needs on `arch`: glibc at most the
    /// policy's, and each capped family at most the newest version the policy lists.
    pub fn met_by(&self, p: &Policy, arch: &str) -> bool {
        let within = |family: &str, need: Option<(u8, u8, u8)>| {
            need.is_none_or(
                |v| match p.symbol_versions.get(arch).and_then(|f| f.get(family)) {
                    None => true,
                    Some(_) => p
                        .newest(arch, family)
                        .and_then(|n| {
                            n.split('.')
                                .map(|x| x.parse().ok())
                                .collect::<Option<Vec<u32>>>()
                        })
                        .and_then(|n| triple(&n))
                        .is_some_and(|cap| v <= cap),
                },
            )
        };
        self.glibc.is_none_or(|g| g <= p.glibc())
            && within("GLIBCXX", self.glibcxx)
            && within("CXXABI", self.cxxabi)
            && within("GCC", self.gcc_s)
    }
}

fn triple(n: &[u32]) -> Option<(u8, u8, u8)> {
    let get = |i: usize| n.get(i).map_or(Some(0), |&x| u8::try_from(x).ok());
    if n.is_empty() {
        return None;
    }
    Some((get(0)?, get(1)?, get(2)?))
}

/// The policies with data for `arch`, oldest first.
pub fn policies(arch: &str) -> impl Iterator<Item = &'static Policy> + '_ {
    all_policies()
        .iter()
        .rev()
        .filter(move |p| p.has_arch(arch))
}

/// The oldest policy that meets `needs` on `arch`.
pub fn oldest_met(needs: &Needs, arch: &str) -> Option<&'static Policy> {
    policies(arch).find(|p| needs.met_by(p, arch))
}

/// A policy's platform tags for an architecture, PEP 600 name first, then the legacy
/// aliases: `["manylinux_2_17_x86_64", "manylinux2014_x86_64"]`.
pub fn platform_tags(p: &Policy, arch: &str) -> Vec<String> {
    std::iter::once(&p.name)
        .chain(p.aliases.iter())
        .map(|n| format!("{n}_{arch}"))
        .collect()
}

/// The platform tag's architecture for an ELF machine (PEP 599 names), if a wheel can
/// have one.
pub fn arch_of(file: &ElfFile<'_>) -> Option<&'static str> {
    // e_machine values (the ELF gABI's).
    const EM_386: u16 = 3;
    const EM_PPC64: u16 = 21;
    const EM_S390: u16 = 22;
    const EM_ARM: u16 = 40;
    const EM_X86_64: u16 = 62;
    const EM_AARCH64: u16 = 183;
    const EM_RISCV: u16 = 243;
    const EM_LOONGARCH: u16 = 258;
    let big = matches!(file.byte_order, crate::elf::ByteOrder::Big);
    let wide = matches!(file.class, crate::elf::Class::Elf64);
    Some(match file.machine {
        EM_X86_64 => "x86_64",
        EM_386 => "i686",
        EM_AARCH64 => "aarch64",
        EM_PPC64 if !big => "ppc64le",
        EM_PPC64 => "ppc64",
        EM_S390 if wide => "s390x",
        EM_ARM => "armv7l",
        EM_RISCV if wide => "riscv64",
        EM_LOONGARCH if wide => "loongarch64",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_policies() {
        let p = crate::abi::manylinux::policy("manylinux2014").unwrap();
        assert_eq!(
            platform_tags(p, "x86_64"),
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );
        let p = crate::abi::manylinux::policy("manylinux_2_31").unwrap();
        assert_eq!(platform_tags(p, "aarch64"), ["manylinux_2_31_aarch64"]);
        let mut needs = Needs {
            glibc: Some(GlibcVersion::new(2, 17, 0)),
            ..Default::default()
        };
        assert_eq!(oldest_met(&needs, "x86_64").unwrap().name, "manylinux_2_17");
        // aarch64 has no policy before 2.17.
        needs.glibc = Some(GlibcVersion::new(2, 3, 4));
        assert_eq!(
            oldest_met(&needs, "aarch64").unwrap().name,
            "manylinux_2_17"
        );
        assert_eq!(oldest_met(&needs, "x86_64").unwrap().name, "manylinux_2_5");
        needs.glibc = Some(GlibcVersion::new(2, 17, 0));
        needs.glibcxx = Some((3, 4, 21));
        assert_eq!(oldest_met(&needs, "x86_64").unwrap().name, "manylinux_2_24");
        // glibc 2.27 (memfd_create): manylinux_2_27, a policy with no distribution preset.
        needs.glibcxx = None;
        needs.glibc = Some(GlibcVersion::new(2, 27, 0));
        assert_eq!(oldest_met(&needs, "x86_64").unwrap().name, "manylinux_2_27");
        // GCC_7.0.0 (libgcc_s of GCC 7): 2_17 allows at most GCC_4.8.0.
        needs.glibc = Some(GlibcVersion::new(2, 17, 0));
        needs.gcc_s = Some((7, 0, 0));
        assert_ne!(oldest_met(&needs, "x86_64").unwrap().name, "manylinux_2_17");
        // Every policy name and alias is a target.
        for n in [
            "manylinux1",
            "manylinux_2_5",
            "manylinux2010",
            "manylinux_2_12",
            "manylinux2014",
            "manylinux_2_17",
            "manylinux_2_24",
            "manylinux_2_27",
            "manylinux_2_28",
            "manylinux_2_31",
            "manylinux_2_34",
            "manylinux_2_35",
            "manylinux_2_39",
            "manylinux_2_40",
        ] {
            assert!(crate::abi::preset(n).is_some(), "{n}");
        }
    }
}
