//! docs/coverage.md is what the planner says today: regenerated through the real binary
//! (`elfcompat generate coverage`) and compared, so the document cannot drift from the code.
//! `abi --coverage` answers for any baseline and architecture with the same planner.

use std::process::Command;

fn elfcompat(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_elfcompat"))
        .args(args)
        .output()
        .expect("elfcompat");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8")
}

#[test]
fn committed_coverage_document_is_current() {
    let generated = elfcompat(&["generate", "coverage"]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/coverage.md");
    if std::env::var_os("ELFCOMPAT_UPDATE_COVERAGE").is_some() {
        std::fs::write(path, &generated).expect("write");
    }
    let committed = std::fs::read_to_string(path).expect("docs/coverage.md");
    assert!(
        committed == generated,
        "docs/coverage.md is stale: run `elfcompat generate coverage > docs/coverage.md`"
    );
    for line in generated
        .lines()
        .filter(|l| l.starts_with("- x86_64") || l.starts_with("- aarch64"))
    {
        println!("coverage at 2.17: {line}");
    }
}

#[test]
fn coverage_agrees_with_check_on_a_real_requirement() {
    // The table's answer for a symbol is the planner's: spot-check three classes.
    let json = elfcompat(&[
        "abi",
        "--coverage",
        "--glibc",
        "2.17",
        "--arch",
        "x86_64",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let row = |s: &str| {
        v["symbols"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["symbol"] == s)
            .cloned()
            .unwrap_or_else(|| panic!("{s} not in the table"))
    };
    assert_eq!(row("sinf64")["how"], "rename");
    assert_eq!(row("sinf64")["to"], "sin@GLIBC_2.2.5");
    assert_eq!(row("pthread_create")["how"], "move-library");
    assert!(
        row("sinf128")["how"].is_null(),
        "x86_64 has no binary128 long double"
    );
    assert!(!row("sinf128")["note"].as_str().unwrap_or("").is_empty());
    let total = v["new"]["total"].as_u64().expect("total");
    assert!(total > 1000, "{total}");
    // At the newest release nothing is newer.
    let newest = elfcompat(&[
        "abi",
        "--coverage",
        "--glibc",
        "2.44",
        "--arch",
        "aarch64",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&newest).expect("json");
    assert_eq!(v["symbols"].as_array().map(Vec::len), Some(0));
}

/// Issue #12's bar: at 2.17, at least 85% of the symbols glibc added are handled on x86_64
/// and 90% on aarch64, and every remaining blocker says what the user can do instead (the
/// reason goes on past "first available in glibc X (no older version").
#[test]
fn every_blocker_at_2_17_says_what_to_do() {
    for (arch, aim) in [("x86_64", 85.0), ("aarch64", 90.0)] {
        let json = elfcompat(&[
            "abi",
            "--coverage",
            "--glibc",
            "2.17",
            "--arch",
            arch,
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        let rows = v["symbols"].as_array().expect("rows");
        let bare: Vec<&str> = rows
            .iter()
            .filter(|r| r["how"].is_null())
            .filter(|r| {
                let note = r["note"].as_str().unwrap_or("");
                note.is_empty() || note.ends_with("(no older version)")
            })
            .map(|r| r["symbol"].as_str().unwrap_or("?"))
            .collect();
        assert!(
            bare.is_empty(),
            "{arch}: {} blockers give no advice: {bare:?}",
            bare.len()
        );
        let total = v["new"]["total"].as_f64().expect("total");
        let handled = total - v["new"]["blocker"].as_f64().expect("blocker count");
        let percent = 100.0 * handled / total;
        println!("{arch} at 2.17: {handled} of {total} handled ({percent:.1}%)");
        assert!(percent >= aim, "{arch}: {percent:.1}% handled, aim {aim}%");
    }
}
