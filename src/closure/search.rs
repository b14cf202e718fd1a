//! The loader's search vocabulary: the target's directories and hardware-capability
//! subdirectories, dynamic string tokens, and paths taken inside a sysroot.

use std::path::{Component, Path, PathBuf};

/// What the loader of one target (architecture and class) searches besides the
/// directories a program names: its default directories, the subdirectories it tries
/// under every search directory, and what `$LIB` and `$PLATFORM` expand to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TargetDirs {
    /// The default directories, in target terms (absolute, as if the sysroot were `/`).
    pub default_dirs: Vec<String>,
    /// The `glibc-hwcaps` subdirectory names this CPU supports, best first (e.g.
    /// `x86-64-v3`); searched as `DIR/glibc-hwcaps/NAME` before `DIR`.
    pub glibc_hwcaps: Vec<String>,
    /// The legacy hwcaps names (glibc < 2.37), e.g. `tls`, `haswell`, `avx512_1`,
    /// `x86_64`: every subset of them, as a path in this order, is tried under every
    /// search directory after the glibc-hwcaps ones.
    pub legacy_hwcaps: Vec<String>,
    /// What `$LIB` expands to (Debian: `lib/<triplet>`).
    pub lib: String,
    /// What `$PLATFORM` expands to (`None`: entries using it are dropped).
    pub platform: Option<String>,
    /// The loader's own path (PT_INTERP) for a process whose executable is not known.
    pub interp: Option<String>,
}

/// The Debian multiarch triplet of a machine/class, when Debian has one.
pub fn triplet(machine: u16, is_64: bool, e_flags: u32) -> Option<&'static str> {
    use object::elf::*;
    Some(match machine {
        m if m == EM_X86_64.0 && is_64 => "x86_64-linux-gnu",
        m if m == EM_X86_64.0 => "x86_64-linux-gnux32",
        m if m == EM_386.0 => "i386-linux-gnu",
        m if m == EM_AARCH64.0 => "aarch64-linux-gnu",
        m if m == EM_ARM.0 && e_flags & EF_ARM_ABI_FLOAT_HARD != 0 => "arm-linux-gnueabihf",
        m if m == EM_ARM.0 => "arm-linux-gnueabi",
        m if m == EM_PPC64.0 => "powerpc64le-linux-gnu",
        m if m == EM_S390.0 && is_64 => "s390x-linux-gnu",
        m if m == EM_RISCV.0 && is_64 => "riscv64-linux-gnu",
        m if m == EM_MIPS.0 && is_64 => "mips64el-linux-gnuabi64",
        m if m == EM_MIPS.0 => "mipsel-linux-gnu",
        m if m == EM_LOONGARCH.0 && is_64 => "loongarch64-linux-gnu",
        _ => return None,
    })
}

/// The standard PT_INTERP of a machine/class (what gcc writes by default).
fn standard_interp(machine: u16, is_64: bool, e_flags: u32) -> Option<&'static str> {
    use object::elf::*;
    Some(match machine {
        m if m == EM_X86_64.0 && is_64 => "/lib64/ld-linux-x86-64.so.2",
        m if m == EM_X86_64.0 => "/libx32/ld-linux-x32.so.2",
        m if m == EM_386.0 => "/lib/ld-linux.so.2",
        m if m == EM_AARCH64.0 => "/lib/ld-linux-aarch64.so.1",
        m if m == EM_ARM.0 && e_flags & EF_ARM_ABI_FLOAT_HARD != 0 => "/lib/ld-linux-armhf.so.3",
        m if m == EM_ARM.0 => "/lib/ld-linux.so.3",
        m if m == EM_PPC64.0 => "/lib64/ld64.so.2",
        m if m == EM_S390.0 && is_64 => "/lib/ld64.so.1",
        m if m == EM_RISCV.0 && is_64 => "/lib/ld-linux-riscv64-lp64d.so.1",
        m if m == EM_LOONGARCH.0 && is_64 => "/lib64/ld-linux-loongarch-lp64d.so.1",
        _ => return None,
    })
}

/// The ld.so.cache flags (`FLAG_ELF_LIBC6 | FLAG_<ARCH>_LIB64`...) that the loader of this
/// machine/class accepts (glibc's `_dl_cache_check_flags`).
pub fn cache_flags_match(flags: i32, machine: u16, is_64: bool, e_flags: u32) -> bool {
    use object::elf::*;
    const LIBC6: i32 = 0x0003;
    let want = match machine {
        m if m == EM_X86_64.0 && is_64 => LIBC6 | 0x0300,
        m if m == EM_X86_64.0 => LIBC6 | 0x0800,
        m if m == EM_AARCH64.0 && is_64 => LIBC6 | 0x0a00,
        m if m == EM_PPC64.0 => LIBC6 | 0x0500,
        m if m == EM_S390.0 && is_64 => LIBC6 | 0x0400,
        m if m == EM_IA_64.0 => LIBC6 | 0x0100,
        m if m == EM_SPARCV9.0 => LIBC6 | 0x0100,
        m if m == EM_MIPS.0 && is_64 => LIBC6 | 0x0700,
        m if m == EM_RISCV.0 && is_64 => LIBC6 | 0x1000,
        m if m == EM_LOONGARCH.0 && is_64 => LIBC6 | 0x1200,
        m if m == EM_ARM.0 && e_flags & EF_ARM_ABI_FLOAT_HARD != 0 => LIBC6 | 0x0900,
        m if m == EM_ARM.0 => return flags == LIBC6 | 0x0b00 || flags == LIBC6,
        // i386 and the other 32-bit targets: the generic check.
        _ => return flags == 1 || flags == LIBC6,
    };
    flags == want
}

impl TargetDirs {
    /// The search configuration glibc 2.36 as Debian builds it uses for this target.
    /// `host` says whether the target is this machine's own architecture, so that the
    /// CPU's hardware capabilities apply; for another architecture no hwcaps
    /// subdirectory is searched (the CPU that will run it is not known).
    pub fn for_target(sysroot: &Path, machine: u16, is_64: bool, e_flags: u32, host: bool) -> Self {
        let trip = triplet(machine, is_64, e_flags);
        let mut default_dirs = Vec::new();
        let debian = trip.is_some_and(|t| {
            ["lib", "usr/lib"]
                .iter()
                .any(|d| sysroot.join(d).join(t).is_dir())
        });
        if let (true, Some(t)) = (debian, trip) {
            // Debian's glibc: slibdir /lib/<triplet>, libdir /usr/lib/<triplet>, and its
            // patch keeps /lib and /usr/lib after them (ld.so --help lists all four).
            default_dirs.push(format!("/lib/{t}"));
            default_dirs.push(format!("/usr/lib/{t}"));
            default_dirs.push("/lib".into());
            default_dirs.push("/usr/lib".into());
        } else if is_64 && sysroot.join("lib64").is_dir() && sysroot.join("usr/lib64").is_dir() {
            // Upstream glibc on a lib64 distribution (Fedora, RHEL, SUSE).
            default_dirs.push("/lib64".into());
            default_dirs.push("/usr/lib64".into());
        } else {
            default_dirs.push("/lib".into());
            default_dirs.push("/usr/lib".into());
        }
        let lib = match (debian, trip) {
            (true, Some(t)) => format!("lib/{t}"),
            _ if is_64 && default_dirs[0] == "/lib64" => "lib64".into(),
            _ => "lib".into(),
        };
        let (glibc_hwcaps, legacy_hwcaps, platform) = if host {
            host_caps(machine)
        } else {
            (Vec::new(), Vec::new(), None)
        };
        TargetDirs {
            default_dirs,
            glibc_hwcaps,
            legacy_hwcaps,
            lib,
            platform,
            interp: standard_interp(machine, is_64, e_flags).map(str::to_string),
        }
    }

    /// The subdirectories tried under every search directory, in the loader's order,
    /// ending with "" (the directory itself).
    pub fn subdirs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .glibc_hwcaps
            .iter()
            .map(|h| format!("glibc-hwcaps/{h}"))
            .collect();
        // Every subset of the legacy names, largest mask first, the first name being the
        // most significant bit: tls/haswell/avx512_1/x86_64, tls/haswell/avx512_1, ...
        let n = self.legacy_hwcaps.len().min(8);
        for mask in (0..(1u32 << n)).rev() {
            let parts: Vec<&str> = (0..n)
                .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                .map(|i| self.legacy_hwcaps[i].as_str())
                .collect();
            out.push(parts.join("/"));
        }
        out
    }
}

/// This machine's hardware capabilities as glibc 2.36 sees them: glibc-hwcaps names
/// (best first), legacy hwcaps names, and the platform (`$PLATFORM`).
fn host_caps(machine: u16) -> (Vec<String>, Vec<String>, Option<String>) {
    let flags = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("flags") || l.starts_with("Features"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, f)| f.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        })
        .unwrap_or_default();
    let has = |names: &[&str]| names.iter().all(|n| flags.iter().any(|f| f == n));
    if machine == object::elf::EM_X86_64.0 && cfg!(target_arch = "x86_64") {
        // The x86-64 ISA levels (psABI); glibc checks the same features with CPUID.
        let v2 = has(&[
            "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3",
        ]);
        let v3 = v2
            && has(&[
                "avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave",
            ]);
        let avx512 = has(&["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]);
        let v4 = v3 && avx512;
        let mut hw = Vec::new();
        for (ok, name) in [(v4, "x86-64-v4"), (v3, "x86-64-v3"), (v2, "x86-64-v2")] {
            if ok {
                hw.push(name.to_string());
            }
        }
        // glibc 2.36's x86 cpu_features: AT_PLATFORM becomes "haswell" when AVX2, BMI1/2,
        // LZCNT, MOVBE, POPCNT (and FMA) are usable, "xeon_phi" with AVX512ER.
        let platform = if has(&["avx512er"]) && avx512 {
            "xeon_phi"
        } else if has(&["avx2", "bmi1", "bmi2", "abm", "movbe", "popcnt", "fma"]) {
            "haswell"
        } else {
            "x86_64"
        };
        let mut legacy = vec!["tls".to_string()];
        if platform != "x86_64" {
            legacy.push(platform.to_string());
        }
        if avx512 {
            legacy.push("avx512_1".into());
        }
        legacy.push("x86_64".into());
        return (hw, legacy, Some(platform.to_string()));
    }
    if machine == object::elf::EM_AARCH64.0 && cfg!(target_arch = "aarch64") {
        return (Vec::new(), vec!["tls".into()], Some("aarch64".into()));
    }
    (Vec::new(), vec!["tls".into()], None)
}

/// Expand `$ORIGIN`, `$LIB`, `$PLATFORM` (also `${...}`) in one search-path entry, as the
/// loader's `expand_dynamic_string_token`. `None`: the entry is dropped (an unknown origin
/// or platform).
pub fn expand_dst(entry: &str, origin: Option<&str>, dirs: &TargetDirs) -> Option<String> {
    let mut out = String::new();
    let mut rest = entry;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        let value = match name {
            "ORIGIN" => Some(origin?.to_string()),
            "LIB" => Some(dirs.lib.clone()),
            "PLATFORM" => Some(dirs.platform.clone()?),
            _ => None,
        };
        match value {
            Some(v) if len > 0 => {
                out.push_str(&v);
                rest = &after[len..];
            }
            _ => {
                // Not a token the loader knows: kept literally.
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// A path of the target (absolute: inside the sysroot; relative: from the current
/// directory) in host terms.
pub fn host_path(sysroot: &Path, target: &str) -> PathBuf {
    if let Some(rel) = target.strip_prefix('/') {
        if sysroot == Path::new("/") {
            PathBuf::from(target)
        } else {
            sysroot.join(rel)
        }
    } else {
        PathBuf::from(target)
    }
}

/// Resolve every symlink of `path` (a host path) as the target would, with absolute link
/// targets taken inside `sysroot`. A missing component ends the resolution: the rest is
/// appended as it is.
pub fn canonicalize_in(sysroot: &Path, path: &Path) -> PathBuf {
    if sysroot == Path::new("/") {
        return std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    }
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let Ok(inner) = abs.strip_prefix(sysroot) else {
        return std::fs::canonicalize(&abs).unwrap_or(abs);
    };
    let mut todo: Vec<std::ffi::OsString> = inner
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut done: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        if part == ".." {
            done.pop();
            continue;
        }
        let mut candidate = sysroot.to_path_buf();
        candidate.extend(&done);
        candidate.push(&part);
        match std::fs::read_link(&candidate) {
            Ok(target) if links < 40 => {
                links += 1;
                if target.is_absolute() {
                    done.clear();
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(n) => todo.push(n.to_os_string()),
                        Component::ParentDir => todo.push("..".into()),
                        _ => {}
                    }
                }
            }
            _ => done.push(part),
        }
    }
    let mut out = sysroot.to_path_buf();
    out.extend(&done);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> TargetDirs {
        TargetDirs {
            default_dirs: vec![],
            glibc_hwcaps: vec!["x86-64-v3".into()],
            legacy_hwcaps: vec!["tls".into(), "x86_64".into()],
            lib: "lib/x86_64-linux-gnu".into(),
            platform: Some("haswell".into()),
            interp: None,
        }
    }

    #[test]
    fn subdirs_in_loader_order() {
        assert_eq!(
            dirs().subdirs(),
            ["glibc-hwcaps/x86-64-v3", "tls/x86_64", "tls", "x86_64", ""]
        );
        let none = TargetDirs {
            glibc_hwcaps: vec![],
            legacy_hwcaps: vec![],
            ..dirs()
        };
        assert_eq!(none.subdirs(), [""]);
    }

    #[test]
    fn dst_expansion() {
        let d = dirs();
        assert_eq!(
            expand_dst("$ORIGIN/../${LIB}/$PLATFORM", Some("/o"), &d).as_deref(),
            Some("/o/../lib/x86_64-linux-gnu/haswell")
        );
        assert_eq!(expand_dst("$ORIGIN/x", None, &d), None);
        assert_eq!(expand_dst("/a/$FOO", None, &d).as_deref(), Some("/a/$FOO"));
    }

    #[test]
    fn sysroot_symlinks_stay_inside() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("lib/x")).unwrap();
        std::fs::write(root.join("lib/x/real.so"), b"").unwrap();
        std::fs::create_dir_all(root.join("lib64")).unwrap();
        std::os::unix::fs::symlink("/lib/x/real.so", root.join("lib64/abs.so")).unwrap();
        std::os::unix::fs::symlink("../lib/x/real.so", root.join("lib64/rel.so")).unwrap();
        let want = root.join("lib/x/real.so");
        assert_eq!(canonicalize_in(root, &root.join("lib64/abs.so")), want);
        assert_eq!(canonicalize_in(root, &root.join("lib64/rel.so")), want);
    }
}
