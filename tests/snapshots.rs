//! Snapshots of what people and machines read: `report` (text, JSON, JSON with the
//! symbol table) and `check --glibc 2.17` (text, JSON) for a representative set of
//! fixtures across architectures, classes, byte orders and linkage kinds.
//!
//! The binary runs in the crate root with relative fixture paths, so the paths in the
//! output do not depend on where the checkout is. The only other thing normalised is
//! the tool's version in the JSON `tool` field, so a version bump does not rewrite
//! every snapshot.
//!
//! Each snapshot was reviewed against `readelf -V --dyn-syms -d` and
//! `testdata/README.md` when it was accepted; review changes the same way
//! (`cargo insta review`).

mod common;

use common::{fixture, run, Run};

const TOOL: &str = concat!("\"tool\": \"elfcompat ", env!("CARGO_PKG_VERSION"), "\"");

/// Exit code, stdout and (when there is any) stderr of a text command.
fn text_snapshot(run: &Run) -> String {
    let mut s = format!("exit code: {}\n{}", run.code(), run.stdout);
    if !run.stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&run.stderr);
    }
    s
}

/// The JSON document as printed, after checking that it parses and names its schema.
fn json_snapshot(run: &Run) -> String {
    let v = common::json_of(run);
    assert_eq!(v["schema"], "elfcompat-report/1", "{}", run.describe());
    assert!(
        run.stdout.contains(TOOL),
        "tool field missing\n{}",
        run.describe()
    );
    run.stdout
        .replace(TOOL, "\"tool\": \"elfcompat [version]\"")
}

/// All five views of one fixture. `name` keys the snapshot files.
fn snapshot_fixture(arch_and_name: &str, name: &str) {
    let path = fixture(arch_and_name);
    let path = path.to_str().expect("fixture paths are UTF-8");

    let r = run(["report", "--color", "never", path]);
    r.assert_code(0);
    insta::assert_snapshot!(format!("{name}__report"), text_snapshot(&r));

    let r = run(["report", "--json", path]);
    r.assert_code(0);
    insta::assert_snapshot!(format!("{name}__report_json"), json_snapshot(&r));

    let r = run(["report", "--json", "--symbols", path]);
    r.assert_code(0);
    insta::assert_snapshot!(format!("{name}__report_json_symbols"), json_snapshot(&r));

    let r = run(["check", "--color", "never", "--glibc", "2.17", path]);
    let code = r.code();
    assert!(code == 0 || code == 1, "{}", r.describe());
    insta::assert_snapshot!(format!("{name}__check_2_17"), text_snapshot(&r));

    let r = run(["check", "--json", "--glibc", "2.17", path]);
    assert_eq!(
        r.code(),
        code,
        "text and JSON check disagree\n{}",
        r.describe()
    );
    let doc = json_snapshot(&r);
    let v = common::json_of(&r);
    assert_eq!(v["baseline"], "glibc 2.17");
    assert_eq!(
        v["summary"]["violating"].as_u64() == Some(1),
        code == 1,
        "exit code and summary.violating disagree\n{}",
        r.describe()
    );
    insta::assert_snapshot!(format!("{name}__check_2_17_json"), doc);
}

macro_rules! fixtures {
    ($($test:ident => $path:literal,)*) => {
        $(
            #[test]
            fn $test() {
                snapshot_fixture($path, stringify!($test));
            }
        )*
    };
}

fixtures! {
    x86_64_hello => "x86_64/hello",
    x86_64_hello_nopie => "x86_64/hello-nopie",
    x86_64_nosections => "x86_64/nosections",
    x86_64_libverdef => "x86_64/libverdef.so",
    x86_64_uselib => "x86_64/uselib",
    x86_64_cxx => "x86_64/cxx",
    x86_64_static => "x86_64/static",
    x86_64_static_pie => "x86_64/static-pie",
    x86_64_relr => "x86_64/relr",
    x86_64_hello_weakver => "x86_64/hello-weakver",
    aarch64_hello => "aarch64/hello",
    armhf_hello => "armhf/hello",
    s390x_hello => "s390x/hello",
    riscv64_hello => "riscv64/hello",
    i686_hello => "i686/hello",
    ppc64le_cxx => "ppc64le/cxx",
}

/// The human `--symbols` table, for the fixtures where it says most: every import of a
/// typical program, and the two `vd_value` imports at different versions of `uselib`.
#[test]
fn text_symbol_tables() {
    for (path, name) in [
        ("x86_64/hello", "x86_64_hello"),
        ("x86_64/uselib", "x86_64_uselib"),
    ] {
        let p = fixture(path);
        let r = run([
            "report",
            "--color",
            "never",
            "--symbols",
            p.to_str().expect("UTF-8"),
        ]);
        r.assert_code(0);
        insta::assert_snapshot!(format!("{name}__report_symbols"), text_snapshot(&r));
    }
}
