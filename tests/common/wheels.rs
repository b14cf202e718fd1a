//! Helpers of the wheel tests (`tests/bundle_wheel.rs`, `tests/bundle_pypi.rs`): the wheels
//! in a directory, auditwheel's verdict, bullseye's own Python for the chroot.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{run_command, Run};

/// The venv `.ci/run` makes with setuptools, wheel and auditwheel from PyPI.
pub fn wheel_venv() -> PathBuf {
    std::env::var_os("ELFCOMPAT_WHEEL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/elfcompat/wheel-venv")
        })
}

/// Run a command (up to `timeout`), panicking with its output on failure.
#[track_caller]
pub fn must(cmd: Command, timeout: Duration) -> Run {
    let shown = format!("{cmd:?}");
    let r = run_command(cmd, timeout);
    assert_eq!(r.code, Some(0), "{shown}\n{}", r.describe());
    r
}

/// The `.whl` files in `dir`, sorted.
pub fn wheels_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "whl"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A path's last component.
pub fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// `auditwheel show`'s answer (auditwheel of `venv`): the platform tag it says the wheel
/// is consistent with, and all it said on one line.
pub fn auditwheel_tag(venv: &Path, wheel: &Path) -> (String, String) {
    let mut c = Command::new(venv.join("bin/auditwheel"));
    c.arg("show").arg(wheel);
    let r = must(c, Duration::from_secs(300));
    let text = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let tag = text
        .split("consistent with the following platform tag: \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("auditwheel show said:\n{}", r.stdout))
        .to_string();
    (tag, text)
}

/// Bullseye's own Python (3.9, glibc 2.31) in a root for the chroot
/// (`tools/old-python.sh`), or why there is none.
pub fn bullseye_python() -> Result<PathBuf, String> {
    super::chroot::chroot_available("amd64")?;
    let mut c = Command::new("bash");
    c.arg(super::crate_root().join("tools/old-python.sh"))
        .args(["bullseye", "amd64"]);
    let r = run_command(c, Duration::from_secs(600));
    if r.code != Some(0) {
        return Err(format!("cannot get bullseye's python: {}", r.describe()));
    }
    r.stdout
        .lines()
        .last()
        .map(PathBuf::from)
        .ok_or_else(|| "tools/old-python.sh printed no root".to_string())
}

/// A wheel's ELF members: (name, bytes), in the archive's order.
pub fn elf_members(wheel: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut m = z.by_index(i).unwrap();
        let mut data = Vec::new();
        m.read_to_end(&mut data).unwrap();
        if data.starts_with(b"\x7fELF") {
            out.push((m.name().to_string(), data));
        }
    }
    out
}

/// The System V ELF hash of the gABI (what vd_hash and vna_hash hold), written here
/// independently of elfcompat and of the object crate that writes it.
pub fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(u32::from(c));
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}

/// The version families auditwheel 6.8's policies cap (`symbol_versions` of its
/// `manylinux-policy.json`): a requirement named `FAMILY_...` is judged against the
/// system's library, whichever library it is required from.
const JUDGED: &[&str] = &[
    "GLIBC_",
    "GLIBCXX_",
    "CXXABI_",
    "GCC_",
    "ZLIB_",
    "LIBATOMIC_",
];

/// What [`check_version_links`] found.
#[derive(Debug, Default)]
pub struct VersionLinks {
    /// The libraries of `.libs/` whose version names are private to them.
    pub private_copies: Vec<String>,
    /// Requirements (vernaux entries) of the members on those copies.
    pub private_requirements: usize,
}

/// The version tables of a bundled wheel's ELF members, read by goblin (a parser
/// independent of elfcompat's), must be consistent:
/// - every vd_hash and vna_hash is the ELF hash of its name;
/// - every version a member requires of another member (named by its soname) is one that
///   member defines (non-weak, as the loader checks at load time);
/// - a library in a `.libs/` directory has its soname as its VER_FLG_BASE definition, and
///   none of its other definitions is named in a family auditwheel judges (`GLIBCXX_...`):
///   a copy that has such versions carries them under names private to it, with the hash of
///   its unique soname (`GLIBCXX-1a2b3c4d_3.4.30`), numbers kept.
pub fn check_version_links(members: &[(String, Vec<u8>)]) -> VersionLinks {
    use goblin::elf::Elf;
    const VER_FLG_BASE: u16 = 1;
    const VER_FLG_WEAK: u16 = 2;
    let mut found = VersionLinks::default();
    let parsed: Vec<(&str, Elf)> = members
        .iter()
        .map(|(n, d)| {
            (
                n.as_str(),
                Elf::parse(d).unwrap_or_else(|e| panic!("{n}: {e}")),
            )
        })
        .collect();
    // soname -> (member, definitions other than the base)
    let mut defined: BTreeMap<String, (&str, Vec<String>)> = BTreeMap::new();
    for (name, elf) in &parsed {
        let Some(vd) = &elf.verdef else { continue };
        let mut names = Vec::new();
        let mut base = None;
        for d in vd.iter() {
            let aux: Vec<String> = d
                .iter()
                .map(|a| elf.dynstrtab.get_at(a.vda_name).unwrap().to_string())
                .collect();
            let first = aux
                .first()
                .unwrap_or_else(|| panic!("{name}: a verdef without a name"));
            assert_eq!(
                d.vd_hash,
                elf_hash(first.as_bytes()),
                "{name}: vd_hash of {first}"
            );
            if d.vd_flags & VER_FLG_BASE != 0 {
                base = Some(first.clone());
            } else {
                names.push(first.clone());
            }
        }
        let in_libs = name.contains(".libs/");
        if in_libs {
            let soname = elf.soname.unwrap_or_else(|| panic!("{name}: no soname"));
            assert_eq!(
                base.as_deref(),
                Some(soname),
                "{name}: VER_FLG_BASE definition"
            );
            let tag = soname
                .split_once(".so")
                .and_then(|(stem, _)| stem.rsplit_once('-'))
                .map(|(_, t)| t)
                .unwrap_or_else(|| panic!("{name}: {soname} has no hash"));
            for n in &names {
                assert!(
                    !JUDGED.iter().any(|p| n.starts_with(p)),
                    "{name}: defines {n}, a name auditwheel counts as the system's"
                );
            }
            if names.iter().any(|n| n.contains(&format!("-{tag}"))) {
                for n in &names {
                    let family = n.split_once('_').map_or(n.as_str(), |(f, _)| f);
                    assert!(
                        family.ends_with(&format!("-{tag}")),
                        "{name}: {n} is not private"
                    );
                }
                found.private_copies.push(name.to_string());
            }
        }
        if let Some(s) = elf.soname {
            defined.insert(s.to_string(), (name, names));
        }
    }
    for (name, elf) in &parsed {
        let Some(vn) = &elf.verneed else { continue };
        for need in vn.iter() {
            let file = elf.dynstrtab.get_at(need.vn_file).unwrap();
            let target = defined.get(file);
            for aux in need.iter() {
                let v = elf.dynstrtab.get_at(aux.vna_name).unwrap();
                assert_eq!(
                    aux.vna_hash,
                    elf_hash(v.as_bytes()),
                    "{name}: vna_hash of {v}"
                );
                let Some((member, defs)) = target else {
                    continue;
                };
                if aux.vna_flags & VER_FLG_WEAK == 0 {
                    assert!(
                        defs.iter().any(|d| d == v),
                        "{name} requires {v} of {file}, which {member} does not define"
                    );
                }
                if found.private_copies.iter().any(|c| c == member) {
                    found.private_requirements += 1;
                }
            }
        }
    }
    found
}
