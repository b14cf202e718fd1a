//! The glibc libraries the database covers and their sonames.

use std::fmt;

use super::Target;

/// The library that holds a symbol.
///
/// The order (`C` first) is the table's library order; where two libraries
/// export a symbol at the same tag, lookups prefer the smaller one, i.e. libc.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Lib {
    /// `libc.so.6`.
    C,
    /// `libm.so.6`.
    M,
    /// `libpthread.so.0` (merged into libc in glibc 2.34; a stub since).
    Pthread,
    /// `libdl.so.2` (merged into libc in 2.34).
    Dl,
    /// `librt.so.1` (merged into libc in 2.34).
    Rt,
    /// `libutil.so.1` (merged into libc in 2.34).
    Util,
    /// `libresolv.so.2`.
    Resolv,
    /// The dynamic loader, `ld-linux-x86-64.so.2` and friends.
    Ld,
    /// `libanl.so.1` (merged into libc in 2.34). Not in zig's data: the generator
    /// takes it from glibc 2.33's own `libanl.abilist` files.
    Anl,
}

impl Lib {
    /// Every library, in table order.
    pub const ALL: [Lib; 9] = [
        Lib::C,
        Lib::M,
        Lib::Pthread,
        Lib::Dl,
        Lib::Rt,
        Lib::Util,
        Lib::Resolv,
        Lib::Ld,
        Lib::Anl,
    ];

    /// The short name: `"libc"`, `"libpthread"`, `"ld"`.
    pub fn name(&self) -> &'static str {
        match self {
            Lib::C => "libc",
            Lib::M => "libm",
            Lib::Pthread => "libpthread",
            Lib::Dl => "libdl",
            Lib::Rt => "librt",
            Lib::Util => "libutil",
            Lib::Resolv => "libresolv",
            Lib::Ld => "ld",
            Lib::Anl => "libanl",
        }
    }

    /// The soname on `target`. Only the loader's differs between targets.
    pub fn soname(&self, target: Target) -> &'static str {
        match self {
            Lib::C => "libc.so.6",
            Lib::M => "libm.so.6",
            Lib::Pthread => "libpthread.so.0",
            Lib::Dl => "libdl.so.2",
            Lib::Rt => "librt.so.1",
            Lib::Util => "libutil.so.1",
            Lib::Resolv => "libresolv.so.2",
            Lib::Ld => ld_soname(target.name()),
            Lib::Anl => "libanl.so.1",
        }
    }

    /// The library of a `DT_NEEDED` / `vn_file` name, e.g. `libc.so.6`,
    /// `ld-linux-x86-64.so.2`, `ld64.so.2`. A directory part is ignored.
    pub fn from_soname(soname: &str) -> Option<Lib> {
        let base = soname.rsplit('/').next().unwrap_or(soname);
        let lib = match base {
            "libc.so.6" => Lib::C,
            "libm.so.6" => Lib::M,
            "libpthread.so.0" => Lib::Pthread,
            "libdl.so.2" => Lib::Dl,
            "librt.so.1" => Lib::Rt,
            "libutil.so.1" => Lib::Util,
            "libresolv.so.2" => Lib::Resolv,
            "libanl.so.1" => Lib::Anl,
            _ if is_ld_soname(base) => Lib::Ld,
            _ => return None,
        };
        Some(lib)
    }

    /// The index of this library in the table's library list.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Lib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Lib {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

fn is_ld_soname(base: &str) -> bool {
    base.starts_with("ld-linux") && base.contains(".so.")
        || matches!(base, "ld.so.1" | "ld64.so.1" | "ld64.so.2")
}

/// The loader's soname per target, from each architecture's glibc
/// `shlib-versions` (by zig triple).
fn ld_soname(target: &str) -> &'static str {
    match target {
        "x86_64-linux-gnu" => "ld-linux-x86-64.so.2",
        "x86_64-linux-gnux32" => "ld-linux-x32.so.2",
        "x86-linux-gnu" => "ld-linux.so.2",
        "aarch64-linux-gnu" => "ld-linux-aarch64.so.1",
        "aarch64_be-linux-gnu" => "ld-linux-aarch64_be.so.1",
        "arm-linux-gnueabi" | "armeb-linux-gnueabi" => "ld-linux.so.3",
        "arm-linux-gnueabihf" | "armeb-linux-gnueabihf" => "ld-linux-armhf.so.3",
        "arc-linux-gnu" => "ld-linux-arc.so.2",
        "csky-linux-gnueabi" => "ld-linux-cskyv2.so.1",
        "csky-linux-gnueabihf" => "ld-linux-cskyv2-hf.so.1",
        "m68k-linux-gnu" => "ld.so.1",
        // MIPS o32, n32 and n64 all use ld.so.1 (NaN-2008 builds differ; not tracked).
        t if t.starts_with("mips") => "ld.so.1",
        "riscv32-linux-gnu" => "ld-linux-riscv32-ilp32d.so.1",
        "riscv64-linux-gnu" => "ld-linux-riscv64-lp64d.so.1",
        "sparc-linux-gnu" | "sparc64-linux-gnu" => "ld-linux.so.2",
        "powerpc-linux-gnueabi" | "powerpc-linux-gnueabihf" => "ld.so.1",
        // ELFv1 big-endian and ELFv2 little-endian have different loaders.
        "powerpc64-linux-gnu" => "ld64.so.1",
        "powerpc64le-linux-gnu" => "ld64.so.2",
        "s390x-linux-gnu" => "ld64.so.1",
        "loongarch64-linux-gnu" => "ld-linux-loongarch-lp64d.so.1",
        "loongarch64-linux-gnusf" => "ld-linux-loongarch-lp64s.so.1",
        "loongarch32-linux-gnu" => "ld-linux-loongarch-ilp32d.so.1",
        "loongarch32-linux-gnusf" => "ld-linux-loongarch-ilp32s.so.1",
        _ => "ld.so",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::db;

    #[test]
    fn sonames_round_trip() {
        let db = db();
        for target in db.targets() {
            for lib in Lib::ALL {
                let so = lib.soname(target);
                assert_ne!(so, "ld.so", "no loader soname for {}", target.name());
                assert_eq!(Lib::from_soname(so), Some(lib), "{so}");
            }
        }
    }

    #[test]
    fn known_sonames() {
        let db = db();
        let t = |n: &str| db.target_by_name(n).map(|t| Lib::Ld.soname(t));
        assert_eq!(t("x86_64"), Some("ld-linux-x86-64.so.2"));
        assert_eq!(t("i686"), Some("ld-linux.so.2"));
        assert_eq!(t("aarch64"), Some("ld-linux-aarch64.so.1"));
        assert_eq!(t("armhf"), Some("ld-linux-armhf.so.3"));
        assert_eq!(t("ppc64le"), Some("ld64.so.2"));
        assert_eq!(t("ppc64"), Some("ld64.so.1"));
        assert_eq!(t("s390x"), Some("ld64.so.1"));
        assert_eq!(t("riscv64"), Some("ld-linux-riscv64-lp64d.so.1"));
        assert_eq!(
            Lib::from_soname("/lib64/ld-linux-x86-64.so.2"),
            Some(Lib::Ld)
        );
        assert_eq!(Lib::from_soname("libstdc++.so.6"), None);
        assert_eq!(Lib::from_soname("libanl.so.1"), Some(Lib::Anl));
        assert_eq!(Lib::from_soname("libnsl.so.1"), None);
        assert_eq!(Lib::Pthread.name(), "libpthread");
        assert_eq!(Lib::C.to_string(), "libc");
    }
}
