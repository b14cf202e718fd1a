//! `check` results in the formats CI systems read: GitHub Actions workflow commands (one
//! `::error` annotation per offending symbol) and a JUnit XML document (one test case per
//! ELF file). Both say what `check`'s text says, escaped for where they go.

use super::{FileReport, Outcome};
use crate::check::Violation;

/// The message of one violation, for people: `SYMBOL@VERSION (LIBRARY) ...: FIX`.
fn violation_message(v: &Violation, baseline: &str) -> String {
    let what = match &v.symbol {
        Some(s) => format!("{s}@{}", v.version.as_str()),
        None => format!("requirement {}", v.version.as_str()),
    };
    format!(
        "{what} ({}) is above {baseline}: {}",
        v.library,
        v.fix.describe()
    )
}

/// GitHub workflow-command escaping of a message: `%`, CR and LF.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow-command escaping of a property value: as a message, plus `:` and `,`.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The `::error` lines for a `check` run: one per offending symbol of each ELF file and
/// one per file that could not be read, each ending in a newline.
pub fn github_annotations(reports: &[FileReport<'_>], baseline: &str) -> String {
    reports
        .iter()
        .map(|r| github_annotations_of(r, baseline))
        .collect()
}

/// The `::error` lines of one file.
pub fn github_annotations_of(r: &FileReport<'_>, baseline: &str) -> String {
    let mut out = String::new();
    match &r.outcome {
        Outcome::Elf(a) => {
            for v in &a.violations {
                let title = match &v.symbol {
                    Some(s) => format!("{s} needs {}", v.version.as_str()),
                    None => format!("{} required", v.version.as_str()),
                };
                out.push_str(&format!(
                    "::error file={},title={}::{}\n",
                    gh_property(&r.path),
                    gh_property(&title),
                    gh_data(&violation_message(v, baseline))
                ));
            }
        }
        Outcome::Error { error } => out.push_str(&format!(
            "::error file={},title={}::{}\n",
            gh_property(&r.path),
            gh_property("elfcompat could not read this file"),
            gh_data(error)
        )),
        Outcome::NotElf => {}
    }
    out
}

/// Text escaped for XML content and attribute values. Characters XML 1.0 cannot hold at
/// all (controls other than tab, CR and LF; from odd file names) become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML document for a `check` run: one `<testcase>` per ELF file (failed with a
/// `<failure>` listing the offending symbols and their fixes) and per file that could not
/// be read (with an `<error>`); files that are not ELF are left out.
pub fn junit(reports: &[FileReport<'_>], baseline: &str) -> String {
    let mut suite = JunitSuite::default();
    for r in reports {
        suite.add(&junit_case(r, baseline));
    }
    suite.document(baseline)
}

/// One file's `<testcase>`, and whether it failed or could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JunitCase {
    /// The XML (empty for a file that is not ELF: no test case).
    pub xml: String,
    /// The file exceeds the baseline.
    pub failure: bool,
    /// The file could not be read.
    pub error: bool,
}

/// One file's test case.
pub fn junit_case(r: &FileReport<'_>, baseline: &str) -> JunitCase {
    let name = xml_escape(&r.path);
    match &r.outcome {
        Outcome::NotElf => JunitCase::default(),
        Outcome::Elf(a) if a.violations.is_empty() => JunitCase {
            xml: format!(
                "    <testcase classname=\"elfcompat.check\" name=\"{name}\" file=\"{name}\"/>\n"
            ),
            ..JunitCase::default()
        },
        Outcome::Elf(a) => {
            let fixable = a.violations.iter().filter(|v| v.fix.is_fixable()).count();
            let message = format!(
                "{} symbol requirement(s) above {baseline} ({fixable} fixable by `elfcompat patch`, {} blocker(s))",
                a.violations.len(),
                a.violations.len() - fixable
            );
            let body: Vec<String> = a
                .violations
                .iter()
                .map(|v| xml_escape(&violation_message(v, baseline)))
                .collect();
            JunitCase {
                xml: format!(
                    "    <testcase classname=\"elfcompat.check\" name=\"{name}\" file=\"{name}\">\n      <failure type=\"baseline\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_escape(&message),
                    body.join("\n")
                ),
                failure: true,
                error: false,
            }
        }
        Outcome::Error { error } => JunitCase {
            xml: format!(
                "    <testcase classname=\"elfcompat.check\" name=\"{name}\" file=\"{name}\">\n      <error type=\"unreadable\" message=\"{}\"/>\n    </testcase>\n",
                xml_escape(error)
            ),
            failure: false,
            error: true,
        },
    }
}

/// A wheel's manylinux verdict (`check --target manylinux_*`) as a test case of its own:
/// a failure when the wheel misses the requested policy, the verdict's text as its body.
pub fn junit_wheel_case(v: &crate::wheel::WheelVerdict) -> JunitCase {
    let name = xml_escape(&v.path);
    let head =
        format!("    <testcase classname=\"elfcompat.manylinux\" name=\"{name}\" file=\"{name}\"");
    if v.qualifies {
        return JunitCase {
            xml: format!("{head}/>\n"),
            ..JunitCase::default()
        };
    }
    let message = match &v.error {
        Some(e) => e.clone(),
        None => format!(
            "does not qualify for {} (auditwheel's tag: {})",
            v.requested,
            v.best.as_deref().unwrap_or("none")
        ),
    };
    let body = super::text::wheel_verdict(v, &super::text::Style { color: false });
    JunitCase {
        xml: format!(
            "{head}>\n      <failure type=\"manylinux\" message=\"{}\">{}</failure>\n    </testcase>\n",
            xml_escape(&message),
            xml_escape(body.trim_end())
        ),
        failure: true,
        error: false,
    }
}

/// The test cases of a run, gathered in order: the suite's counts head the document.
#[derive(Clone, Debug, Default)]
pub struct JunitSuite {
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
}

impl JunitSuite {
    /// Add one file's case (none for a file that is not ELF).
    pub fn add(&mut self, case: &JunitCase) {
        if case.xml.is_empty() {
            return;
        }
        self.cases.push_str(&case.xml);
        self.tests += 1;
        self.failures += usize::from(case.failure);
        self.errors += usize::from(case.error);
    }

    /// The whole document.
    pub fn document(&self, baseline: &str) -> String {
        let (tests, failures, errors, cases) =
            (self.tests, self.failures, self.errors, &self.cases);
        let suite = xml_escape(&format!("elfcompat check: {baseline}"));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_properties_and_data() {
        assert_eq!(gh_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
        assert_eq!(gh_data("50% of a:b\r\n"), "50%25 of a:b%0D%0A");
    }

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_escape("<a href=\"x\">'&'</a>\u{1}\t"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\u{FFFD}\t"
        );
    }

    #[test]
    fn non_elf_files_are_not_test_cases() {
        let reports = vec![FileReport {
            path: "notes.txt".into(),
            outcome: Outcome::NotElf,
        }];
        let doc = junit(&reports, "glibc 2.17");
        assert!(doc.contains("tests=\"0\""), "{doc}");
        assert!(!doc.contains("<testcase"), "{doc}");
        assert_eq!(github_annotations(&reports, "glibc 2.17"), "");
    }
}
