//! Version names and their numeric ordering.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// The family a version name belongs to: the prefix before the numbers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// `GLIBC_x.y[.z]` (glibc: libc, libm, libpthread, ld.so, ...).
    Glibc,
    /// `GLIBCXX_3.4.n` (libstdc++).
    Glibcxx,
    /// `CXXABI_1.3.n` (libstdc++'s C++ ABI support).
    Cxxabi,
    /// `GCC_x.y.z` (libgcc_s).
    Gcc,
    /// Any other name, kept as it is (`GLIBC_PRIVATE`, `OPENSSL_3.0.0`, `VERS_1.0`, ...).
    Other,
}

impl Family {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Glibc => "glibc",
            Family::Glibcxx => "glibcxx",
            Family::Cxxabi => "cxxabi",
            Family::Gcc => "gcc",
            Family::Other => "other",
        }
    }

    /// The prefix of version names in this family.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Glibc => "GLIBC_",
            Family::Glibcxx => "GLIBCXX_",
            Family::Cxxabi => "CXXABI_",
            Family::Gcc => "GCC_",
            Family::Other => "",
        }
    }
}

/// A parsed version name. Names of the known families with a numeric part order
/// numerically within their family; everything else orders by its text.
///
/// Shared, not copied: every symbol bound to a version holds the name, so a clone is a
/// reference count, not two allocations.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VersionName(Arc<Parsed>);

#[derive(Debug, PartialEq, Eq, Hash)]
struct Parsed {
    family: Family,
    numbers: Vec<u32>,
    text: String,
}

impl fmt::Debug for VersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VersionName")
            .field("family", &self.0.family)
            .field("numbers", &self.0.numbers)
            .field("text", &self.0.text)
            .finish()
    }
}

impl VersionName {
    /// Parse a version name as it appears in `.gnu.version_r` / `.gnu.version_d`.
    pub fn parse(text: &str) -> VersionName {
        // The same few hundred names recur in every file of a tree: each thread keeps the
        // ones it parsed (up to a bound), and hands out shares of them.
        const KEPT: usize = 4096;
        thread_local! {
            static SEEN: std::cell::RefCell<std::collections::HashMap<Box<str>, VersionName>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            if let Some(v) = seen.get(text) {
                return v.clone();
            }
            let v = Self::parse_new(text);
            if seen.len() < KEPT {
                seen.insert(text.into(), v.clone());
            }
            v
        })
    }

    fn parse_new(text: &str) -> VersionName {
        for family in [Family::Glibcxx, Family::Glibc, Family::Cxxabi, Family::Gcc] {
            if let Some(rest) = text.strip_prefix(family.prefix()) {
                if let Some(numbers) = parse_numbers(rest) {
                    return VersionName(Arc::new(Parsed {
                        family,
                        numbers,
                        text: text.to_string(),
                    }));
                }
            }
        }
        VersionName(Arc::new(Parsed {
            family: Family::Other,
            numbers: Vec::new(),
            text: text.to_string(),
        }))
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.0.family
    }

    /// The numeric components (`[2, 2, 5]` for `GLIBC_2.2.5`); empty for other names.
    pub fn numbers(&self) -> &[u32] {
        &self.0.numbers
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The number part as written (`2.2.5`), or the whole name for other names.
    pub fn number_str(&self) -> &str {
        let p = &*self.0;
        p.text.strip_prefix(p.family.prefix()).unwrap_or(&p.text)
    }

    /// How the numeric components compare with `numbers`, missing trailing components
    /// counting as zero (the order within a family, before the text breaks a tie).
    pub fn cmp_numbers(&self, numbers: &[u32]) -> Ordering {
        cmp_numbers(&self.0.numbers, numbers)
    }

    /// For a glibc version, the release as (major, minor, patch).
    pub fn glibc_triple(&self) -> Option<(u8, u8, u8)> {
        if self.0.family != Family::Glibc {
            return None;
        }
        let get = |i: usize| -> Option<u8> {
            match self.0.numbers.get(i) {
                Some(&n) => u8::try_from(n).ok(),
                None => Some(0),
            }
        };
        Some((get(0)?, get(1)?, get(2)?))
    }
}

/// "2.2.5" → [2, 2, 5]; None unless every component is a decimal number.
fn parse_numbers(s: &str) -> Option<Vec<u32>> {
    if s.is_empty() {
        return None;
    }
    s.split('.').map(|p| p.parse::<u32>().ok()).collect()
}

/// Compare number lists with missing trailing components as zero: 2.17 == 2.17.0.
fn cmp_numbers(a: &[u32], b: &[u32]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

impl Ord for VersionName {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&*self.0, &*other.0);
        a.family
            .cmp(&b.family)
            .then_with(|| cmp_numbers(&a.numbers, &b.numbers))
            .then_with(|| a.text.cmp(&b.text))
    }
}

impl PartialOrd for VersionName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for VersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.text)
    }
}

impl serde::Serialize for VersionName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(VersionName::parse("GLIBC_2.2.5").family(), Family::Glibc);
        assert_eq!(
            VersionName::parse("GLIBCXX_3.4.30").family(),
            Family::Glibcxx
        );
        assert_eq!(VersionName::parse("CXXABI_1.3.13").family(), Family::Cxxabi);
        assert_eq!(VersionName::parse("GCC_4.2.0").family(), Family::Gcc);
        assert_eq!(VersionName::parse("GLIBC_PRIVATE").family(), Family::Other);
        assert_eq!(VersionName::parse("CXXABI_TM_1").family(), Family::Other);
        assert_eq!(VersionName::parse("OPENSSL_3.0.0").family(), Family::Other);
        assert_eq!(
            VersionName::parse("GLIBC_2.17").glibc_triple(),
            Some((2, 17, 0))
        );
    }

    #[test]
    fn numeric_order() {
        let v = |s| VersionName::parse(s);
        assert!(v("GLIBC_2.2.5") < v("GLIBC_2.17"));
        assert!(v("GLIBC_2.17") < v("GLIBC_2.34"));
        assert!(v("GLIBC_2.3") < v("GLIBC_2.3.2"));
        assert!(v("GLIBCXX_3.4.9") < v("GLIBCXX_3.4.19"));
        assert!(v("GCC_3.0") < v("GCC_4.2.0"));
        assert_eq!(cmp_numbers(&[2, 17], &[2, 17, 0]), Ordering::Equal);
    }
}
