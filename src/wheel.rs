//! Which manylinux policies a wheel qualifies for, by auditwheel's rules, and what
//! `elfcompat bundle` could change about the others.
//!
//! auditwheel (`auditwheel show`) lets a wheel carry a policy's tag when, for every ELF
//! file in it: every version it requires in a family the policy caps (GLIBC, GLIBCXX,
//! CXXABI, GCC, ZLIB, ...; the loader's own versions aside) is one the policy lists for
//! the wheel's architecture; every library it needs is on the policy's whitelist or
//! inside the wheel; and it imports no blacklisted symbol from a whitelisted library.
//! The facts are gathered member by member while each member's bytes are in memory
//! ([`WheelFacts::add`]); the verdict is made at the end ([`WheelFacts::verdict`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::abi::manylinux::{self, Allowed, Policy};
use crate::baseline::Baseline;
use crate::report::{self, Analysis};
use crate::versym::VersionName;

/// What one policy's verdict rests on, for one required version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TooNew {
    /// The version (`GLIBC_2.34`).
    pub version: String,
    /// The library it is required from.
    pub library: String,
    /// The wheel's files that require it.
    pub files: Vec<String>,
    /// Whether elfcompat's planner can lower every use of it in every one of those files.
    pub fixable: bool,
}

/// The verdict for one policy.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PolicyVerdict {
    /// The policy (`manylinux_2_17`).
    pub policy: String,
    /// Its legacy names (`manylinux2014`).
    pub aliases: Vec<String>,
    /// Its glibc release.
    pub glibc: String,
    /// Whether `auditwheel show` would accept the wheel for it as it is.
    pub qualifies: bool,
    /// Required versions the policy does not allow.
    pub too_new: Vec<TooNew>,
    /// Needed libraries neither on the policy's whitelist nor inside the wheel.
    pub external: Vec<String>,
    /// Blacklisted symbols imported from whitelisted libraries, as `library: symbol`.
    pub blacklisted: Vec<String>,
    /// Whether `elfcompat bundle` could make it qualify: every too-new version
    /// lowerable, no blacklisted symbol (external libraries are bundled, and lowered in
    /// turn).
    pub fixable_by_bundle: bool,
}

/// The verdict for a wheel as a whole.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WheelVerdict {
    /// The wheel, as given.
    pub path: String,
    /// auditwheel's name of the wheel's architecture; None for a wheel without ELF files.
    pub arch: Option<String>,
    /// The policy asked for (`--target`).
    pub requested: String,
    /// Whether the wheel qualifies for it.
    pub qualifies: bool,
    /// The oldest policy it qualifies for: the tag `auditwheel show` gives it (None:
    /// none, a plain `linux` wheel; or a wheel without ELF files).
    pub best: Option<String>,
    /// Every policy with data for the architecture, newest first.
    pub policies: Vec<PolicyVerdict>,
    /// Why no verdict could be made (ELF files of several architectures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Per policy, what one member contributes.
#[derive(Default)]
struct MemberFindings {
    /// (library, version) not allowed, with whether the planner can lower it here.
    too_new: Vec<(String, String, bool)>,
    blacklisted: Vec<String>,
}

/// What the wheel's ELF members said, gathered one member at a time.
#[derive(Default)]
pub struct WheelFacts {
    arches: BTreeSet<String>,
    /// Basenames and sonames of the ELF members: libraries the wheel provides.
    provided: BTreeSet<String>,
    /// Every DT_NEEDED, with the first member that needs it.
    needed: BTreeMap<String, String>,
    /// Per policy name, per member name, the findings.
    findings: BTreeMap<&'static str, Vec<(String, MemberFindings)>>,
}

/// The loader is not a library a wheel needs (auditwheel skips its versions too).
fn is_loader(soname: &str) -> bool {
    soname.starts_with("ld-linux") || soname == "ld64.so.1" || soname == "ld64.so.2"
}

/// The baseline a policy sets on an architecture, for elfcompat's planner.
pub fn policy_baseline(p: &'static Policy, arch: &str) -> Baseline {
    let v = |family: &str| {
        p.newest(arch, family)
            .map(|n| VersionName::parse(&format!("{family}_{n}")))
    };
    Baseline {
        glibc: p.glibc(),
        glibcxx: v("GLIBCXX"),
        cxxabi: v("CXXABI"),
        gcc: v("GCC"),
        preset: Some(p.name.as_str()),
    }
}

impl WheelFacts {
    /// Add one ELF member: `name` inside the wheel, its analysis and its bytes (analysed
    /// again against each policy it fails, so the planner says what it can fix).
    pub fn add(&mut self, name: &str, a: &Analysis<'_>, bytes: &[u8]) {
        let arch = manylinux::arch_name(a.machine).to_string();
        let base = name.rsplit('/').next().unwrap_or(name);
        self.provided.insert(base.to_string());
        if let Some(s) = &a.soname {
            self.provided.insert(s.to_string());
        }
        for n in &a.needed {
            self.needed
                .entry(n.to_string())
                .or_insert_with(|| name.to_string());
        }
        let groups: Vec<(String, String)> = a
            .requires
            .iter()
            .flat_map(|f| f.versions.iter())
            .chain(a.other_versions.iter())
            .flat_map(|g| {
                g.libraries
                    .iter()
                    .filter(|l| !is_loader(l))
                    .map(move |l| (l.to_string(), g.version.as_str().to_string()))
            })
            .collect();
        for p in manylinux::policies().iter().filter(|p| p.has_arch(&arch)) {
            let mut found = MemberFindings::default();
            let offending: Vec<&(String, String)> = groups
                .iter()
                .filter(|(_, v)| p.allows(&arch, v) == Allowed::No)
                .collect();
            if !offending.is_empty() {
                let b = policy_baseline(p, &arch);
                let violations = report::analyze_bytes(bytes, Some(&b))
                    .map(|x| x.violations)
                    .unwrap_or_default();
                for (lib, v) in offending {
                    let mine: Vec<_> = violations
                        .iter()
                        .filter(|x| x.library == *lib && x.version.as_str() == v)
                        .collect();
                    let fixable = !mine.is_empty() && mine.iter().all(|x| x.fix.is_fixable());
                    found.too_new.push((lib.clone(), v.clone(), fixable));
                }
            }
            for s in &a.symbols {
                if let Some(lib) = s.library.as_deref() {
                    if p.whitelists(lib) && p.blacklisted(lib, &s.name) {
                        found.blacklisted.push(format!("{lib}: {}", s.name));
                    }
                }
            }
            self.findings
                .entry(p.name.as_str())
                .or_default()
                .push((name.to_string(), found));
        }
        self.arches.insert(arch);
    }

    /// The verdict, for the wheel at `path` and the policy asked for.
    pub fn verdict(self, path: &str, requested: &Baseline) -> WheelVerdict {
        let requested_name = requested.preset.unwrap_or("manylinux").to_string();
        let mut v = WheelVerdict {
            path: path.to_string(),
            arch: None,
            requested: requested_name,
            qualifies: true,
            best: None,
            policies: Vec::new(),
            error: None,
        };
        if self.arches.len() > 1 {
            let all: Vec<&str> = self.arches.iter().map(String::as_str).collect();
            v.error = Some(format!(
                "ELF files of several architectures: {}",
                all.join(", ")
            ));
            v.qualifies = false;
            return v;
        }
        let Some(arch) = self.arches.iter().next().cloned() else {
            return v;
        };
        for p in manylinux::policies().iter().filter(|p| p.has_arch(&arch)) {
            v.policies.push(self.policy_verdict(p));
        }
        // The requested policy, or for a glibc no policy has, the newest policy below it.
        let want = requested.glibc;
        v.qualifies = v
            .policies
            .iter()
            .zip(manylinux::policies().iter().filter(|p| p.has_arch(&arch)))
            .find(|(_, p)| p.glibc() <= want)
            .is_some_and(|(pv, _)| pv.qualifies);
        v.best = v
            .policies
            .iter()
            .rev()
            .find(|p| p.qualifies)
            .map(|p| p.policy.clone());
        v.arch = Some(arch);
        v
    }

    fn policy_verdict(&self, p: &'static Policy) -> PolicyVerdict {
        let mut too_new: BTreeMap<(String, String), TooNew> = BTreeMap::new();
        let mut blacklisted = BTreeSet::new();
        for (member, f) in self.findings.get(p.name.as_str()).into_iter().flatten() {
            for (lib, version, fixable) in &f.too_new {
                let t = too_new
                    .entry((version.clone(), lib.clone()))
                    .or_insert_with(|| TooNew {
                        version: version.clone(),
                        library: lib.clone(),
                        files: Vec::new(),
                        fixable: true,
                    });
                t.files.push(member.clone());
                t.fixable &= fixable;
            }
            blacklisted.extend(f.blacklisted.iter().cloned());
        }
        let mut too_new: Vec<TooNew> = too_new.into_values().collect();
        // Newest first, like `report`.
        too_new.sort_by(|a, b| {
            VersionName::parse(&b.version)
                .cmp(&VersionName::parse(&a.version))
                .then_with(|| a.library.cmp(&b.library))
        });
        let external: Vec<String> = self
            .needed
            .keys()
            .filter(|n| !p.whitelists(n) && !self.provided.contains(*n) && !is_loader(n))
            .cloned()
            .collect();
        let qualifies = too_new.is_empty() && external.is_empty() && blacklisted.is_empty();
        PolicyVerdict {
            policy: p.name.clone(),
            aliases: p.aliases.clone(),
            glibc: p.glibc().to_string(),
            qualifies,
            fixable_by_bundle: too_new.iter().all(|t| t.fixable) && blacklisted.is_empty(),
            too_new,
            external,
            blacklisted: blacklisted.into_iter().collect(),
        }
    }
}

/// Whether a baseline is a manylinux policy's (`--target manylinux_2_17`).
pub fn is_manylinux(b: &Baseline) -> bool {
    b.preset
        .and_then(crate::abi::preset)
        .is_some_and(|p| p.family == "manylinux")
}
