//! glibc version numbers: both release numbers (2.17) and symbol-version tags
//! (`GLIBC_2.2.5`), which glibc names after the release that introduced them.

use std::fmt;
use std::str::FromStr;

/// A glibc release / version-tag number: 2.2.5, 2.17, 2.34.
///
/// Ordering is numeric (`2.2.5 < 2.17`), which is the order in which glibc
/// introduced its version tags.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct GlibcVersion {
    /// Major number (2 for every glibc so far).
    pub major: u8,
    /// Minor number: the release (17 in 2.17).
    pub minor: u8,
    /// Patch number; only the early tags use it (5 in `GLIBC_2.2.5`).
    pub patch: u8,
}

/// The error of [`GlibcVersion::from_str`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a glibc version: {0:?} (expected e.g. 2.17, 2.2.5 or GLIBC_2.17)")]
pub struct ParseVersionError(pub String);

impl GlibcVersion {
    /// A version from its numbers.
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        GlibcVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parse `"2.17"`, `"2.2.5"`, `"2.17.0"` or a tag such as `"GLIBC_2.17"`.
    ///
    /// Returns `None` for anything else (`"2"`, `"2.x"`, `"GLIBCXX_3.4"`, numbers above 255).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("GLIBC_").unwrap_or(s);
        let mut parts = s.split('.');
        let major = parse_component(parts.next()?)?;
        let minor = parse_component(parts.next()?)?;
        let patch = match parts.next() {
            Some(p) => parse_component(p)?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(GlibcVersion::new(major, minor, patch))
    }

    /// The symbol-version tag: `"GLIBC_2.17"`, `"GLIBC_2.2.5"`.
    pub fn tag(&self) -> String {
        format!("GLIBC_{self}")
    }
}

fn parse_component(s: &str) -> Option<u8> {
    // Only plain decimal digits: u8::from_str would also take "+5".
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl FromStr for GlibcVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GlibcVersion::parse(s).ok_or_else(|| ParseVersionError(s.to_string()))
    }
}

impl serde::Serialize for GlibcVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for GlibcVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        GlibcVersion::parse(&s).ok_or_else(|| serde::de::Error::custom(ParseVersionError(s.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_forms() {
        assert_eq!(
            GlibcVersion::parse("2.17"),
            Some(GlibcVersion::new(2, 17, 0))
        );
        assert_eq!(
            GlibcVersion::parse("2.2.5"),
            Some(GlibcVersion::new(2, 2, 5))
        );
        assert_eq!(
            GlibcVersion::parse("GLIBC_2.34"),
            Some(GlibcVersion::new(2, 34, 0))
        );
        assert_eq!(
            GlibcVersion::parse("GLIBC_2.2.5"),
            Some(GlibcVersion::new(2, 2, 5))
        );
        assert_eq!(
            GlibcVersion::parse("2.17.0"),
            Some(GlibcVersion::new(2, 17, 0))
        );
        assert_eq!(
            GlibcVersion::parse(" 2.31 "),
            Some(GlibcVersion::new(2, 31, 0))
        );
        for bad in [
            "",
            "2",
            "2.",
            ".17",
            "2.x",
            "2.17.1.1",
            "GLIBCXX_3.4",
            "2.256",
            "2.+5",
            "v2.17",
        ] {
            assert_eq!(GlibcVersion::parse(bad), None, "{bad:?}");
        }
        assert!("2.17".parse::<GlibcVersion>().is_ok());
        assert!("nope".parse::<GlibcVersion>().is_err());
    }

    #[test]
    fn display_tag_and_order() {
        let v = GlibcVersion::new(2, 2, 5);
        assert_eq!(v.to_string(), "2.2.5");
        assert_eq!(v.tag(), "GLIBC_2.2.5");
        assert_eq!(GlibcVersion::new(2, 17, 0).to_string(), "2.17");
        assert_eq!(GlibcVersion::new(2, 17, 0).tag(), "GLIBC_2.17");
        assert!(GlibcVersion::new(2, 2, 5) < GlibcVersion::new(2, 17, 0));
        assert!(GlibcVersion::new(2, 3, 4) < GlibcVersion::new(2, 4, 0));
    }

    #[test]
    fn serde_as_string() {
        let v = GlibcVersion::new(2, 17, 0);
        assert_eq!(serde_json::to_string(&v).ok().as_deref(), Some("\"2.17\""));
        let back: Result<GlibcVersion, _> = serde_json::from_str("\"GLIBC_2.2.5\"");
        assert_eq!(back.ok(), Some(GlibcVersion::new(2, 2, 5)));
    }
}
