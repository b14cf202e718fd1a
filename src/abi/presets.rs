//! Distribution and policy baselines: the glibc (and, where known, libstdc++
//! and libgcc_s) versions of the system libraries of common distribution
//! releases and of the manylinux policies, for `--baseline centos7` and for a
//! "runs on" line.
//!
//! Sources: glibc versions as in DOMAIN.md ("Distribution baselines"). The
//! libstdc++ / libgcc_s versions are those of each release's system
//! `libstdc++.so.6` / `libgcc_s.so.1` on x86_64 (libgcc_s tags differ a little
//! between architectures): Debian 11, 12 and 13 read from the packages
//! themselves; the manylinux values are auditwheel's policy (6.8.2); the others
//! from each release's system GCC (RHEL 7: 4.8.5, RHEL 8: 8, RHEL 9: 11,
//! RHEL 10 / Ubuntu 24.04: 14, Ubuntu 16.04: 5, 18.04: 8 (libstdc++6 from
//! gcc-8), 20.04: 10, 22.04: 12, Debian 9: 6, 10: 8, Amazon Linux 2: 7.3,
//! 2023: 11).

use std::sync::OnceLock;

use super::GlibcVersion;

/// A distribution release or a packaging policy, as a compatibility baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Preset {
    /// Canonical name, e.g. `"rhel7"`, `"ubuntu-20.04"`, `"debian11"`, `"manylinux2014"`.
    pub name: &'static str,
    /// Other accepted names, e.g. `"centos7"`, `"el7"`, `"bullseye"`, `"manylinux_2_17"`
    /// (lookups also ignore case and `-`, `_`, `.`: `"ubuntu20.04"` finds `"ubuntu-20.04"`).
    pub aliases: &'static [&'static str],
    /// Human-readable name, e.g. `"RHEL/CentOS 7"`.
    pub display: &'static str,
    /// The family: `"rhel"`, `"ubuntu"`, `"debian"`, `"amazonlinux"`, `"manylinux"`.
    pub family: &'static str,
    /// The glibc release.
    pub glibc: GlibcVersion,
    /// Newest `GLIBCXX_3.4.N` of the system libstdc++, e.g. (3, 4, 19).
    pub glibcxx: Option<(u8, u8, u8)>,
    /// Newest `CXXABI_1.3.N` of the system libstdc++, e.g. (1, 3, 7).
    pub cxxabi: Option<(u8, u8, u8)>,
    /// Newest `GCC_x.y.z` of the system libgcc_s on x86_64, e.g. (4, 8, 0).
    pub gcc_s: Option<(u8, u8, u8)>,
}

impl Preset {
    /// Does this baseline provide glibc `v` (its release is `v` or newer)?
    pub fn has_glibc(&self, v: GlibcVersion) -> bool {
        self.glibc >= v
    }

    /// Does it provide `GLIBCXX_<v>`? `None` when the preset's libstdc++ is unknown.
    pub fn has_glibcxx(&self, v: (u8, u8, u8)) -> Option<bool> {
        self.glibcxx.map(|have| have >= v)
    }

    /// Does it provide `CXXABI_<v>`? `None` when unknown.
    pub fn has_cxxabi(&self, v: (u8, u8, u8)) -> Option<bool> {
        self.cxxabi.map(|have| have >= v)
    }

    /// Does it provide libgcc_s `GCC_<v>`? `None` when unknown.
    pub fn has_gcc_s(&self, v: (u8, u8, u8)) -> Option<bool> {
        self.gcc_s.map(|have| have >= v)
    }
}

const fn g(minor: u8) -> GlibcVersion {
    GlibcVersion::new(2, minor, 0)
}

const fn cxx(n: u8) -> Option<(u8, u8, u8)> {
    Some((3, 4, n))
}

const fn abi(n: u8) -> Option<(u8, u8, u8)> {
    Some((1, 3, n))
}

const fn gcc(major: u8, minor: u8) -> Option<(u8, u8, u8)> {
    Some((major, minor, 0))
}

#[allow(clippy::too_many_arguments)]
const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    display: &'static str,
    family: &'static str,
    glibc: GlibcVersion,
    glibcxx: Option<(u8, u8, u8)>,
    cxxabi: Option<(u8, u8, u8)>,
    gcc_s: Option<(u8, u8, u8)>,
) -> Preset {
    Preset {
        name,
        aliases,
        display,
        family,
        glibc,
        glibcxx,
        cxxabi,
        gcc_s,
    }
}

/// Oldest first within each family.
static PRESETS: [Preset; 25] = [
    p(
        "rhel7",
        &["centos7", "el7", "ol7", "sl7"],
        "RHEL/CentOS 7",
        "rhel",
        g(17),
        cxx(19),
        abi(7),
        gcc(4, 8),
    ),
    p(
        "rhel8",
        &[
            "el8",
            "centos8",
            "almalinux8",
            "alma8",
            "rocky8",
            "rockylinux8",
            "ol8",
        ],
        "RHEL 8 (CentOS 8, Alma/Rocky 8)",
        "rhel",
        g(28),
        cxx(25),
        abi(11),
        gcc(7, 0),
    ),
    p(
        "rhel9",
        &[
            "el9",
            "centos9",
            "almalinux9",
            "alma9",
            "rocky9",
            "rockylinux9",
            "ol9",
        ],
        "RHEL 9 (Alma/Rocky 9)",
        "rhel",
        g(34),
        cxx(29),
        abi(13),
        gcc(7, 0),
    ),
    p(
        "rhel10",
        &[
            "el10",
            "centos10",
            "almalinux10",
            "alma10",
            "rocky10",
            "rockylinux10",
            "ol10",
        ],
        "RHEL 10 (Alma/Rocky 10)",
        "rhel",
        g(39),
        cxx(33),
        abi(15),
        gcc(14, 0),
    ),
    p(
        "ubuntu-16.04",
        &["xenial"],
        "Ubuntu 16.04",
        "ubuntu",
        g(23),
        cxx(21),
        abi(9),
        gcc(4, 8),
    ),
    p(
        "ubuntu-18.04",
        &["bionic"],
        "Ubuntu 18.04",
        "ubuntu",
        g(27),
        cxx(25),
        abi(11),
        gcc(7, 0),
    ),
    p(
        "ubuntu-20.04",
        &["focal"],
        "Ubuntu 20.04",
        "ubuntu",
        g(31),
        cxx(28),
        abi(12),
        gcc(7, 0),
    ),
    p(
        "ubuntu-22.04",
        &["jammy"],
        "Ubuntu 22.04",
        "ubuntu",
        g(35),
        cxx(30),
        abi(13),
        gcc(12, 0),
    ),
    p(
        "ubuntu-24.04",
        &["noble"],
        "Ubuntu 24.04",
        "ubuntu",
        g(39),
        cxx(33),
        abi(15),
        gcc(14, 0),
    ),
    p(
        "debian9",
        &["stretch"],
        "Debian 9 (stretch)",
        "debian",
        g(24),
        cxx(22),
        abi(10),
        gcc(4, 8),
    ),
    p(
        "debian10",
        &["buster"],
        "Debian 10 (buster)",
        "debian",
        g(28),
        cxx(25),
        abi(11),
        gcc(7, 0),
    ),
    p(
        "debian11",
        &["bullseye"],
        "Debian 11 (bullseye)",
        "debian",
        g(31),
        cxx(28),
        abi(12),
        gcc(7, 0),
    ),
    p(
        "debian12",
        &["bookworm"],
        "Debian 12 (bookworm)",
        "debian",
        g(36),
        cxx(30),
        abi(13),
        gcc(12, 0),
    ),
    p(
        "debian13",
        &["trixie"],
        "Debian 13 (trixie)",
        "debian",
        g(41),
        cxx(33),
        abi(15),
        gcc(14, 0),
    ),
    p(
        "amazonlinux2",
        &["al2", "amzn2"],
        "Amazon Linux 2",
        "amazonlinux",
        g(26),
        cxx(24),
        abi(11),
        gcc(7, 0),
    ),
    p(
        "amazonlinux2023",
        &["al2023", "amzn2023"],
        "Amazon Linux 2023",
        "amazonlinux",
        g(34),
        cxx(29),
        abi(13),
        gcc(7, 0),
    ),
    p(
        "manylinux1",
        &["manylinux_2_5"],
        "manylinux1 (glibc 2.5)",
        "manylinux",
        g(5),
        cxx(8),
        abi(1),
        gcc(4, 2),
    ),
    p(
        "manylinux2010",
        &["manylinux_2_12"],
        "manylinux2010 (glibc 2.12)",
        "manylinux",
        g(12),
        cxx(13),
        abi(3),
        gcc(4, 3),
    ),
    p(
        "manylinux2014",
        &["manylinux_2_17"],
        "manylinux2014 (glibc 2.17)",
        "manylinux",
        g(17),
        cxx(19),
        abi(7),
        gcc(4, 8),
    ),
    p(
        "manylinux_2_24",
        &[],
        "manylinux_2_24",
        "manylinux",
        g(24),
        cxx(22),
        abi(10),
        gcc(4, 8),
    ),
    p(
        "manylinux_2_28",
        &[],
        "manylinux_2_28",
        "manylinux",
        g(28),
        cxx(24),
        abi(11),
        gcc(7, 0),
    ),
    p(
        "manylinux_2_31",
        &[],
        "manylinux_2_31",
        "manylinux",
        g(31),
        cxx(28),
        abi(12),
        gcc(7, 0),
    ),
    p(
        "manylinux_2_34",
        &[],
        "manylinux_2_34",
        "manylinux",
        g(34),
        cxx(29),
        abi(13),
        gcc(7, 0),
    ),
    p(
        "manylinux_2_35",
        &[],
        "manylinux_2_35",
        "manylinux",
        g(35),
        cxx(30),
        abi(13),
        gcc(12, 0),
    ),
    p(
        "manylinux_2_39",
        &[],
        "manylinux_2_39",
        "manylinux",
        g(39),
        cxx(33),
        abi(15),
        gcc(14, 0),
    ),
];

/// Every built-in preset, grouped by family, oldest first within a family.
pub fn presets() -> &'static [Preset] {
    &PRESETS
}

/// Lower-case, without separators: "Ubuntu-20.04", "ubuntu20.04" and
/// "ubuntu_2004" all become "ubuntu2004".
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A preset by name or alias, case-insensitively and ignoring `-`, `_`, `.`
/// ("centos7", "el7", "ubuntu-20.04", "ubuntu20.04", "debian11", "bullseye",
/// "manylinux2014", "manylinux_2_17"). Any other PEP 600 `manylinux_X_Y`
/// becomes a manylinux baseline of glibc X.Y (libstdc++ unknown).
pub fn preset(name: &str) -> Option<&'static Preset> {
    let want = normalize(name);
    if want.is_empty() {
        return None;
    }
    let found = PRESETS
        .iter()
        .find(|p| normalize(p.name) == want || p.aliases.iter().any(|a| normalize(a) == want));
    if found.is_some() {
        return found;
    }
    let (major, minor) = parse_manylinux(name)?;
    if major != 2 {
        return None;
    }
    generated_manylinux().get(usize::from(minor))
}

/// `manylinux_X_Y` (PEP 600) to (X, Y).
fn parse_manylinux(name: &str) -> Option<(u8, u8)> {
    let lower = name.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("manylinux_")?;
    let (x, y) = rest.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(x) || !digits(y) {
        return None;
    }
    Some((x.parse().ok()?, y.parse().ok()?))
}

/// `manylinux_2_Y` for every Y, built once: index Y. Known policies keep their
/// library versions; the others have only the glibc version.
fn generated_manylinux() -> &'static [Preset] {
    static NAMES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    static GENERATED: OnceLock<Vec<Preset>> = OnceLock::new();
    GENERATED.get_or_init(|| {
        let names = NAMES.get_or_init(|| {
            (0..=u8::MAX)
                .map(|y| {
                    (
                        format!("manylinux_2_{y}"),
                        format!("manylinux_2_{y} (glibc 2.{y})"),
                    )
                })
                .collect()
        });
        names
            .iter()
            .zip(0..=u8::MAX)
            .map(|((name, display), y)| {
                let known = PRESETS
                    .iter()
                    .find(|p| p.family == "manylinux" && p.glibc == g(y));
                // A policy auditwheel has and no preset lists (manylinux_2_26, _2_40):
                // its x86_64 limits.
                let policy = super::manylinux::policy_of_glibc(g(y));
                let from_policy = |family: &str| {
                    policy
                        .and_then(|p| p.newest("x86_64", family))
                        .and_then(version_triple)
                };
                Preset {
                    name: name.as_str(),
                    aliases: &[],
                    display: display.as_str(),
                    family: "manylinux",
                    glibc: g(y),
                    glibcxx: known
                        .map(|k| k.glibcxx)
                        .unwrap_or_else(|| from_policy("GLIBCXX")),
                    cxxabi: known
                        .map(|k| k.cxxabi)
                        .unwrap_or_else(|| from_policy("CXXABI")),
                    gcc_s: known.map(|k| k.gcc_s).unwrap_or_else(|| from_policy("GCC")),
                }
            })
            .collect()
    })
}

/// `3.4.19` or `7.0` as (3, 4, 19), (7, 0, 0).
fn version_triple(v: &str) -> Option<(u8, u8, u8)> {
    let mut parts = v.split('.').map(|p| p.parse::<u8>().ok());
    let a = parts.next()??;
    let b = parts.next().unwrap_or(Some(0))?;
    let c = parts.next().unwrap_or(Some(0))?;
    parts.next().is_none().then_some((a, b, c))
}

/// The oldest preset of `family` ("rhel", "ubuntu", "debian", "amazonlinux",
/// "manylinux"; case-insensitive) whose glibc is at least `glibc`.
pub fn oldest_satisfying(family: &str, glibc: GlibcVersion) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .filter(|p| p.family.eq_ignore_ascii_case(family) && p.glibc >= glibc)
        .min_by_key(|p| p.glibc)
}

/// For a "runs on" line: per family (in preset order), the oldest release whose
/// glibc is at least `glibc`. Families with no such release are left out.
pub fn oldest_per_family(glibc: GlibcVersion) -> Vec<&'static Preset> {
    let mut families: Vec<&str> = Vec::new();
    for p in PRESETS.iter() {
        if !families.contains(&p.family) {
            families.push(p.family);
        }
    }
    families
        .into_iter()
        .filter_map(|f| oldest_satisfying(f, glibc))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glibc(name: &str) -> Option<String> {
        preset(name).map(|p| p.glibc.to_string())
    }

    #[test]
    fn names_and_aliases() {
        assert_eq!(glibc("centos7").as_deref(), Some("2.17"));
        assert_eq!(glibc("el7").as_deref(), Some("2.17"));
        assert_eq!(glibc("RHEL7").as_deref(), Some("2.17"));
        assert_eq!(glibc("rhel8").as_deref(), Some("2.28"));
        assert_eq!(glibc("rhel9").as_deref(), Some("2.34"));
        assert_eq!(glibc("rhel10").as_deref(), Some("2.39"));
        assert_eq!(glibc("ubuntu-20.04").as_deref(), Some("2.31"));
        assert_eq!(glibc("ubuntu20.04").as_deref(), Some("2.31"));
        assert_eq!(glibc("Ubuntu-16.04").as_deref(), Some("2.23"));
        assert_eq!(glibc("jammy").as_deref(), Some("2.35"));
        assert_eq!(glibc("ubuntu-24.04").as_deref(), Some("2.39"));
        assert_eq!(glibc("debian11").as_deref(), Some("2.31"));
        assert_eq!(glibc("bullseye").as_deref(), Some("2.31"));
        assert_eq!(glibc("bookworm").as_deref(), Some("2.36"));
        assert_eq!(glibc("trixie").as_deref(), Some("2.41"));
        assert_eq!(glibc("debian9").as_deref(), Some("2.24"));
        assert_eq!(glibc("debian10").as_deref(), Some("2.28"));
        assert_eq!(glibc("al2").as_deref(), Some("2.26"));
        assert_eq!(glibc("amazonlinux2023").as_deref(), Some("2.34"));
        assert_eq!(glibc("manylinux1").as_deref(), Some("2.5"));
        assert_eq!(glibc("manylinux2010").as_deref(), Some("2.12"));
        assert_eq!(glibc("manylinux2014").as_deref(), Some("2.17"));
        assert_eq!(glibc("manylinux_2_17").as_deref(), Some("2.17"));
        assert_eq!(glibc("manylinux_2_28").as_deref(), Some("2.28"));
        assert_eq!(glibc("nonesuch"), None);
        assert_eq!(glibc(""), None);
        assert_eq!(
            preset("manylinux_2_17").map(|p| p.name),
            Some("manylinux2014")
        );
    }

    #[test]
    fn any_manylinux_x_y() {
        let p = preset("manylinux_2_30");
        assert_eq!(
            p.map(|p| (p.name, p.glibc)),
            Some(("manylinux_2_30", g(30)))
        );
        assert_eq!(p.and_then(|p| p.glibcxx), None);
        assert_eq!(preset("MANYLINUX_2_38").map(|p| p.glibc), Some(g(38)));
        assert_eq!(preset("manylinux_3_1"), None);
        assert_eq!(preset("manylinux_2_"), None);
        assert_eq!(preset("manylinux_2_x"), None);
        // Same object on every call.
        assert!(std::ptr::eq(
            preset("manylinux_2_30").map_or(std::ptr::null(), |p| p as *const Preset),
            preset("manylinux_2_30").map_or(std::ptr::null(), |p| p as *const Preset),
        ));
    }

    #[test]
    fn cxx_versions() {
        let rhel7 = preset("centos7");
        assert_eq!(rhel7.and_then(|p| p.glibcxx), Some((3, 4, 19)));
        assert_eq!(rhel7.and_then(|p| p.cxxabi), Some((1, 3, 7)));
        let d11 = preset("debian11");
        assert_eq!(d11.and_then(|p| p.glibcxx), Some((3, 4, 28)));
        assert_eq!(d11.and_then(|p| p.has_glibcxx((3, 4, 29))), Some(false));
        assert_eq!(d11.and_then(|p| p.has_cxxabi((1, 3, 12))), Some(true));
        assert_eq!(d11.and_then(|p| p.has_gcc_s((7, 0, 0))), Some(true));
    }

    #[test]
    fn presets_are_consistent() {
        let mut seen = std::collections::HashSet::new();
        for p in presets() {
            for n in std::iter::once(p.name).chain(p.aliases.iter().copied()) {
                assert!(seen.insert(normalize(n)), "duplicate preset name {n}");
                assert_eq!(preset(n).map(|q| q.name), Some(p.name), "{n}");
            }
        }
        // Within a family, newer releases never have older libraries.
        for w in presets().windows(2) {
            if w[0].family == w[1].family {
                assert!(w[0].glibc < w[1].glibc, "{} / {}", w[0].name, w[1].name);
                assert!(
                    w[0].glibcxx <= w[1].glibcxx,
                    "{} / {}",
                    w[0].name,
                    w[1].name
                );
                assert!(w[0].cxxabi <= w[1].cxxabi, "{} / {}", w[0].name, w[1].name);
                assert!(w[0].gcc_s <= w[1].gcc_s, "{} / {}", w[0].name, w[1].name);
            }
        }
    }

    #[test]
    fn runs_on() {
        assert_eq!(
            oldest_satisfying("rhel", g(17)).map(|p| p.name),
            Some("rhel7")
        );
        assert_eq!(
            oldest_satisfying("rhel", g(18)).map(|p| p.name),
            Some("rhel8")
        );
        assert_eq!(
            oldest_satisfying("RHEL", g(34)).map(|p| p.name),
            Some("rhel9")
        );
        assert_eq!(
            oldest_satisfying("debian", g(29)).map(|p| p.name),
            Some("debian11")
        );
        assert_eq!(oldest_satisfying("ubuntu", g(40)), None);
        let line: Vec<_> = oldest_per_family(g(28)).iter().map(|p| p.name).collect();
        assert_eq!(
            line,
            [
                "rhel8",
                "ubuntu-20.04",
                "debian10",
                "amazonlinux2023",
                "manylinux_2_28"
            ]
        );
        assert!(preset("debian12").is_some_and(|p| p.has_glibc(g(36)) && !p.has_glibc(g(37))));
    }
}
