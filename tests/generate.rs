//! `elfcompat generate`: the man pages and shell completions made from the clap
//! definitions name every subcommand, so what a packager installs matches the binary.

mod common;

use common::{run, tempdir};

/// Every user-facing subcommand.
const SUBCOMMANDS: [&str; 6] = ["report", "check", "patch", "verify", "abi", "targets"];

#[test]
fn man_page_names_every_subcommand() {
    let r = run(["generate", "man"]);
    r.assert_code(0);
    assert!(r.stdout.starts_with(".ie"), "{}", r.describe());
    assert!(r.stdout.contains(".TH elfcompat 1"), "{}", r.describe());
    for sub in SUBCOMMANDS {
        assert!(
            r.stdout.contains(&format!("elfcompat\\-{sub}(1)")),
            "the man page does not mention {sub}"
        );
    }
    // The hidden generator is for packagers, not a page of its own.
    assert!(
        !r.stdout.contains("elfcompat\\-generate"),
        "{}",
        r.describe()
    );
}

#[test]
fn man_pages_into_a_directory() {
    let dir = tempdir();
    let r = run(["generate", "man", dir.path().to_str().unwrap()]);
    r.assert_code(0);
    for sub in SUBCOMMANDS {
        let page = dir.path().join(format!("elfcompat-{sub}.1"));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(&format!(".TH elfcompat-{sub} 1")), "{text}");
    }
    let top = std::fs::read_to_string(dir.path().join("elfcompat.1")).unwrap();
    assert_eq!(top, run(["generate", "man"]).stdout);
    // `patch`'s page documents its many-file options.
    let patch = std::fs::read_to_string(dir.path().join("elfcompat-patch.1")).unwrap();
    assert!(patch.contains("\\-\\-in\\-place"), "{patch}");
}

#[test]
fn completions_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let r = run(["generate", "completions", shell]);
        r.assert_code(0);
        assert!(r.stdout.len() > 1000, "{shell}: {}", r.describe());
        for sub in SUBCOMMANDS {
            assert!(
                r.stdout.contains(sub),
                "{shell} completions do not mention {sub}"
            );
        }
        // Options of subcommands are there too, e.g. check's --format values.
        assert!(
            r.stdout.contains("junit"),
            "{shell}: no check --format values"
        );
    }
    // Each is what the shell expects to load.
    assert!(run(["generate", "completions", "bash"])
        .stdout
        .contains("complete -F _elfcompat"));
    assert!(run(["generate", "completions", "zsh"])
        .stdout
        .starts_with("#compdef elfcompat"));
    assert!(run(["generate", "completions", "fish"])
        .stdout
        .contains("complete -c elfcompat"));
    run(["generate", "completions", "tcsh"]).assert_code(2);
}
