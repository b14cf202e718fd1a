//! Helpers of the wheel tests (`tests/bundle_wheel.rs`, `tests/bundle_pypi.rs`): the wheels
//! in a directory, auditwheel's verdict, bullseye's own Python for the chroot.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{run_command, Run};

/// The venv `.ci/run` makes with setuptools, wheel and auditwheel from PyPI.
pub fn wheel_venv() -> PathBuf {
    std::env::var_os("ELFCOMPAT_WHEEL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/elfcompat/wheel-venv")
        })
}

/// Run a command (up to `timeout`), panicking with its output on failure.
#[track_caller]
pub fn must(cmd: Command, timeout: Duration) -> Run {
    let shown = format!("{cmd:?}");
    let r = run_command(cmd, timeout);
    assert_eq!(r.code, Some(0), "{shown}\n{}", r.describe());
    r
}

/// The `.whl` files in `dir`, sorted.
pub fn wheels_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "whl"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A path's last component.
pub fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// `auditwheel show`'s answer (auditwheel of `venv`): the platform tag it says the wheel
/// is consistent with, and all it said on one line.
pub fn auditwheel_tag(venv: &Path, wheel: &Path) -> (String, String) {
    let mut c = Command::new(venv.join("bin/auditwheel"));
    c.arg("show").arg(wheel);
    let r = must(c, Duration::from_secs(300));
    let text = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    let tag = text
        .split("consistent with the following platform tag: \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("auditwheel show said:\n{}", r.stdout))
        .to_string();
    (tag, text)
}

/// Bullseye's own Python (3.9, glibc 2.31) in a root for the chroot
/// (`tools/old-python.sh`), or why there is none.
pub fn bullseye_python() -> Result<PathBuf, String> {
    super::chroot::chroot_available("amd64")?;
    let mut c = Command::new("bash");
    c.arg(super::crate_root().join("tools/old-python.sh"))
        .args(["bullseye", "amd64"]);
    let r = run_command(c, Duration::from_secs(600));
    if r.code != Some(0) {
        return Err(format!("cannot get bullseye's python: {}", r.describe()));
    }
    r.stdout
        .lines()
        .last()
        .map(PathBuf::from)
        .ok_or_else(|| "tools/old-python.sh printed no root".to_string())
}
