//! The manylinux policies (PEP 600) as auditwheel defines them: for each policy the
//! symbol versions a wheel may require per architecture, the libraries it may assume on
//! the target, and the symbols of those libraries it must not use. Embedded from
//! `data/manylinux-policy.json`, which `tools/gen-manylinux-policy.sh` writes from
//! auditwheel's own `policy/manylinux-policy.json` (provenance in docs/abi-data.md).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::GlibcVersion;

/// The embedded policy document.
const DATA: &str = include_str!("../../data/manylinux-policy.json");

/// One manylinux policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Policy {
    /// The PEP 600 name, `manylinux_2_17`.
    pub name: String,
    /// Legacy names, `manylinux2014`.
    pub aliases: Vec<String>,
    /// auditwheel's order: a higher priority is an older, wider policy.
    pub priority: u32,
    /// The glibc release, as text (`2.17`).
    glibc: String,
    /// Per architecture (auditwheel's names: `x86_64`, `i686`, `aarch64`, `armv7l`,
    /// `ppc64le`, `s390x`, `riscv64`, `loongarch64`), per version family (the part of a
    /// version name before its first `_`: `GLIBC`, `GLIBCXX`, `CXXABI`, `GCC`, `ZLIB`,
    /// ...), the versions allowed.
    pub symbol_versions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// The sonames a wheel may need without shipping them.
    pub lib_whitelist: Vec<String>,
    /// Per whitelisted soname, the symbols a wheel must not import from it.
    pub blacklist: BTreeMap<String, Vec<String>>,
}

#[derive(serde::Deserialize)]
struct Document {
    policies: Vec<Policy>,
}

/// What a required version is, for a policy on one architecture.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    /// The policy allows it.
    Yes,
    /// The policy caps the version's family and this version is not allowed.
    No,
    /// The policy says nothing about the family (another library's own versions).
    Unconstrained,
}

impl Policy {
    /// The glibc release.
    pub fn glibc(&self) -> GlibcVersion {
        GlibcVersion::parse(&self.glibc).unwrap_or(GlibcVersion::new(2, 0, 0))
    }

    /// Whether the policy has data for an architecture.
    pub fn has_arch(&self, arch: &str) -> bool {
        self.symbol_versions.contains_key(arch)
    }

    /// Whether a required version (`GLIBC_2.17`) is allowed on `arch`, by auditwheel's
    /// rule: the family is the part before the first `_`, and a capped family allows
    /// exactly the versions listed.
    pub fn allows(&self, arch: &str, version: &str) -> Allowed {
        let (family, rest) = version.split_once('_').unwrap_or((version, ""));
        let Some(list) = self.symbol_versions.get(arch).and_then(|f| f.get(family)) else {
            return Allowed::Unconstrained;
        };
        if list.iter().any(|v| v == rest) {
            Allowed::Yes
        } else {
            Allowed::No
        }
    }

    /// The newest numeric version of a family allowed on `arch` (`"3.4.19"` for
    /// GLIBCXX under manylinux_2_17), None when the family allows none or is not capped.
    pub fn newest(&self, arch: &str, family: &str) -> Option<&str> {
        let key = |v: &str| -> Option<Vec<u32>> { v.split('.').map(|p| p.parse().ok()).collect() };
        self.symbol_versions
            .get(arch)?
            .get(family)?
            .iter()
            .filter_map(|v| key(v).map(|k| (k, v.as_str())))
            .max()
            .map(|(_, v)| v)
    }

    /// Whether a soname may be assumed on the target.
    pub fn whitelists(&self, soname: &str) -> bool {
        self.lib_whitelist.iter().any(|l| l == soname)
    }

    /// Whether a symbol must not be imported from a library.
    pub fn blacklisted(&self, library: &str, symbol: &str) -> bool {
        self.blacklist
            .get(library)
            .is_some_and(|syms| syms.binary_search_by(|s| s.as_str().cmp(symbol)).is_ok())
    }

    /// The name and aliases, `manylinux_2_17 (manylinux2014)`.
    pub fn display(&self) -> String {
        if self.aliases.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.aliases.join(", "))
        }
    }
}

/// Whether any policy caps a version family (`GLIBCXX`, `ZLIB`: the part of a version
/// name before its first `_`) on `arch`.
pub fn caps_family(arch: &str, family: &str) -> bool {
    policies().iter().any(|p| {
        p.symbol_versions
            .get(arch)
            .is_some_and(|f| f.contains_key(family))
    })
}

/// Every policy, newest (lowest priority) first.
pub fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        // The document is embedded and checked by the tests: it always parses.
        let mut p = serde_json::from_str::<Document>(DATA)
            .map(|d| d.policies)
            .unwrap_or_default();
        p.sort_by_key(|p| p.priority);
        p
    })
}

/// A policy by name or alias (`manylinux_2_17`, `manylinux2014`; case-insensitive).
pub fn policy(name: &str) -> Option<&'static Policy> {
    let want = name.trim().to_ascii_lowercase();
    policies()
        .iter()
        .find(|p| p.name == want || p.aliases.contains(&want))
}

/// The policy of a glibc release: the one with exactly that glibc.
pub fn policy_of_glibc(glibc: GlibcVersion) -> Option<&'static Policy> {
    policies().iter().find(|p| p.glibc() == glibc)
}

/// auditwheel's name of an architecture, from elfcompat's machine name (`armhf` is
/// `armv7l`; the others are the same).
pub fn arch_name(machine: &str) -> &str {
    match machine {
        "armhf" => "armv7l",
        m => m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses_and_is_ordered() {
        let p = policies();
        assert!(p.len() >= 15, "{} policies", p.len());
        assert_eq!(p.last().map(|p| p.name.as_str()), Some("manylinux_2_5"));
        assert!(p.windows(2).all(|w| w[0].glibc() > w[1].glibc()));
        let m2014 = policy("manylinux2014").expect("alias");
        assert_eq!(m2014.name, "manylinux_2_17");
        assert_eq!(m2014.glibc(), GlibcVersion::new(2, 17, 0));
        assert_eq!(m2014.allows("x86_64", "GLIBC_2.17"), Allowed::Yes);
        assert_eq!(m2014.allows("x86_64", "GLIBC_2.18"), Allowed::No);
        assert_eq!(m2014.allows("x86_64", "GLIBC_PRIVATE"), Allowed::No);
        assert_eq!(m2014.allows("x86_64", "CXXABI_TM_1"), Allowed::Yes);
        assert_eq!(
            m2014.allows("x86_64", "OPENSSL_3.0.0"),
            Allowed::Unconstrained
        );
        assert_eq!(m2014.newest("x86_64", "GLIBCXX"), Some("3.4.19"));
        assert!(m2014.whitelists("libz.so.1"));
        assert!(!m2014.whitelists("libssl.so.3"));
        assert!(!m2014.has_arch("riscv64"));
    }

    fn triple(v: Option<&str>) -> Option<(u8, u8, u8)> {
        let v = v?;
        let mut n = v.split('.').map(|p| p.parse::<u8>().unwrap_or(0));
        Some((
            n.next().unwrap_or(0),
            n.next().unwrap_or(0),
            n.next().unwrap_or(0),
        ))
    }

    /// The presets' manylinux entries agree with auditwheel's policies: names, aliases,
    /// glibc, and the x86_64 libstdc++/libgcc_s limits; and every policy name and alias
    /// is a `--target`.
    #[test]
    fn presets_agree_with_the_policies() {
        let presets: Vec<_> = crate::abi::presets()
            .iter()
            .filter(|p| p.family == "manylinux")
            .collect();
        assert!(presets.len() >= 9);
        for pre in presets {
            let pol = policy(pre.name)
                .or_else(|| pre.aliases.iter().find_map(|a| policy(a)))
                .unwrap_or_else(|| panic!("{}: no auditwheel policy", pre.name));
            assert_eq!(pre.glibc, pol.glibc(), "{}", pre.name);
            let mut names: Vec<&str> = vec![pre.name];
            names.extend(pre.aliases.iter().copied());
            names.sort();
            let mut theirs: Vec<&str> = vec![pol.name.as_str()];
            theirs.extend(pol.aliases.iter().map(String::as_str));
            theirs.sort();
            assert_eq!(names, theirs, "{}", pre.name);
            assert_eq!(
                pre.glibcxx,
                triple(pol.newest("x86_64", "GLIBCXX")),
                "{}",
                pre.name
            );
            assert_eq!(
                pre.cxxabi,
                triple(pol.newest("x86_64", "CXXABI")),
                "{}",
                pre.name
            );
            assert_eq!(
                pre.gcc_s,
                triple(pol.newest("x86_64", "GCC")),
                "{}",
                pre.name
            );
        }
        for pol in policies() {
            for name in std::iter::once(&pol.name).chain(&pol.aliases) {
                let pre = crate::abi::preset(name)
                    .unwrap_or_else(|| panic!("--target {name} is not accepted"));
                assert_eq!(pre.glibc, pol.glibc(), "{name}");
                assert_eq!(pre.family, "manylinux");
                assert_eq!(
                    pre.glibcxx,
                    triple(pol.newest("x86_64", "GLIBCXX")),
                    "{name}"
                );
            }
        }
    }
}
