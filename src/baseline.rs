//! A baseline: the oldest system a binary must run on, as library versions.

use crate::abi::{self, GlibcVersion, Preset};
use crate::versym::{Family, VersionName};

/// The versions a target system provides. `None` for a family means "not constrained".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// The glibc release.
    pub glibc: GlibcVersion,
    /// Newest `GLIBCXX_` version of the system's libstdc++.
    pub glibcxx: Option<VersionName>,
    /// Newest `CXXABI_` version of the system's libstdc++.
    pub cxxabi: Option<VersionName>,
    /// Newest `GCC_` version of the system's libgcc_s.
    pub gcc: Option<VersionName>,
    /// The preset it came from, if any (`rhel7`, `manylinux2014`).
    pub preset: Option<&'static str>,
}

/// Why a baseline could not be formed from the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// `--glibc` is not a version.
    #[error("'{0}' is not a glibc version (expected e.g. 2.17 or 2.2.5)")]
    BadGlibc(String),
    /// `--target` names no known distribution or policy.
    #[error("unknown target '{0}' (see `elfcompat targets` for the list)")]
    UnknownTarget(String),
    /// A `--glibcxx`-style value is not a version.
    #[error("'{0}' is not a {1} version")]
    BadVersion(String, &'static str),
}

impl Baseline {
    /// A baseline of a glibc release alone.
    pub fn glibc(glibc: GlibcVersion) -> Baseline {
        Baseline {
            glibc,
            glibcxx: None,
            cxxabi: None,
            gcc: None,
            preset: None,
        }
    }

    /// The baseline of a distribution release or manylinux policy.
    pub fn from_preset(p: &'static Preset) -> Baseline {
        let v = |family: Family, t: Option<(u8, u8, u8)>| {
            t.map(|(a, b, c)| VersionName::parse(&format!("{}{a}.{b}.{c}", family.prefix())))
        };
        Baseline {
            glibc: p.glibc,
            glibcxx: v(Family::Glibcxx, p.glibcxx),
            cxxabi: v(Family::Cxxabi, p.cxxabi),
            gcc: p
                .gcc_s
                .map(|(a, b, c)| VersionName::parse(&gcc_version_text(a, b, c))),
            preset: Some(p.name),
        }
    }

    /// Build from command-line words: `--glibc X` or `--target NAME`, refined by
    /// `--glibcxx Y` (accepts `3.4.19` or `GLIBCXX_3.4.19`).
    pub fn from_args(
        glibc: Option<&str>,
        target: Option<&str>,
        glibcxx: Option<&str>,
    ) -> Result<Option<Baseline>, BaselineError> {
        let mut base = match (glibc, target) {
            (Some(g), _) => Baseline::glibc(
                GlibcVersion::parse(g).ok_or_else(|| BaselineError::BadGlibc(g.to_string()))?,
            ),
            (None, Some(t)) => Baseline::from_preset(
                abi::preset(t).ok_or_else(|| BaselineError::UnknownTarget(t.to_string()))?,
            ),
            (None, None) => return Ok(None),
        };
        if let Some(x) = glibcxx {
            let text = if x.starts_with("GLIBCXX_") {
                x.to_string()
            } else {
                format!("GLIBCXX_{x}")
            };
            let v = VersionName::parse(&text);
            if v.family() != Family::Glibcxx {
                return Err(BaselineError::BadVersion(x.to_string(), "GLIBCXX"));
            }
            base.glibcxx = Some(v);
        }
        Ok(Some(base))
    }

    /// The newest version this baseline allows in a family; `None` = unconstrained.
    pub fn limit(&self, family: Family) -> Option<VersionName> {
        match family {
            Family::Glibc => Some(VersionName::parse(&self.glibc.tag())),
            Family::Glibcxx => self.glibcxx.clone(),
            Family::Cxxabi => self.cxxabi.clone(),
            Family::Gcc => self.gcc.clone(),
            Family::Other => None,
        }
    }

    /// A short description: "glibc 2.17" or "rhel7 (glibc 2.17, GLIBCXX_3.4.19)".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("glibc {}", self.glibc)];
        for v in [&self.glibcxx, &self.cxxabi, &self.gcc]
            .into_iter()
            .flatten()
        {
            parts.push(v.to_string());
        }
        match self.preset {
            Some(p) => format!("{p} ({})", parts.join(", ")),
            None => parts.join(", "),
        }
    }
}

/// libgcc_s names its versions `GCC_3.0`, `GCC_4.2.0`, `GCC_7.0.0`: trailing `.0` kept
/// only where the real names have it.
fn gcc_version_text(a: u8, b: u8, c: u8) -> String {
    if a < 4 && c == 0 {
        format!("GCC_{a}.{b}")
    } else {
        format!("GCC_{a}.{b}.{c}")
    }
}
