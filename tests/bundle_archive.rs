//! `elfcompat bundle` of release archives: a release tree (`app-1.0/` with a program that
//! links the host's zlib and calls arc4random, glibc 2.36; a private data file; a symbolic
//! link to the program) packed as `.tar.gz` and `.tar.xz` (by the system's `tar`), and
//! `.tar.zst` and `.zip` (by the crates the test shares with elfcompat), bundled for
//! debian11. Each output is the same kind of archive with the original members in their
//! order, modes and links kept, `lib/libz.so.1` added after them, and the program runs
//! from the unpacked output inside a bullseye chroot with the host's output.
//!
//! Needs gcc, zlib's headers, `tar` with xz, and the chroot harness (root); without them
//! the test is skipped, unless `CI` is set.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::chroot::{chroot_available, chroot_root, run_in_chroot};
use common::{run_command, run_in, Run};

const TEST: &str = "bundle_archive";

const PROGRAM: &str = r#"#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
int main(void) {
    printf("crc %lu, %u\n", crc32(0L, (const Bytef *)"hello", 5), arc4random_uniform(1));
    return 3;
}
"#;

fn unavailable(what: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{TEST}: {what} (required when CI is set)");
    }
    eprintln!("{TEST}: SKIPPED: {what}");
    None
}

#[track_caller]
fn must(cmd: Command) -> Run {
    let shown = format!("{cmd:?}");
    let r = run_command(cmd, Duration::from_secs(120));
    assert_eq!(r.code, Some(0), "{shown}\n{}", r.describe());
    r
}

/// A listing line per member: (path, type letter, mode, link target).
type Listing = Vec<(String, char, u32, String)>;

fn list_tar(bytes: &[u8]) -> Listing {
    let mut ar = tar::Archive::new(bytes);
    ar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            let t = match h.entry_type() {
                tar::EntryType::Directory => 'd',
                tar::EntryType::Symlink => 'l',
                _ => '-',
            };
            let link = e
                .link_name()
                .unwrap()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = e
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string();
            (path, t, h.mode().unwrap() & 0o7777, link)
        })
        .collect()
}

fn list_zip(bytes: &[u8]) -> Listing {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut m = z.by_index(i).unwrap();
            let t = if m.is_dir() {
                'd'
            } else if m.is_symlink() {
                'l'
            } else {
                '-'
            };
            let mode = m.unix_mode().unwrap_or(0) & 0o7777;
            let name = m.name().trim_end_matches('/').to_string();
            let mut link = String::new();
            if t == 'l' {
                m.read_to_string(&mut link).unwrap();
            }
            (name, t, mode, link)
        })
        .collect()
}

/// The tar stream inside a compressed archive.
fn tar_of(path: &Path) -> Vec<u8> {
    let f = std::fs::File::open(path).unwrap();
    let mut out = Vec::new();
    let name = path.to_string_lossy();
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(f)
            .read_to_end(&mut out)
            .unwrap();
    } else if name.ends_with(".xz") {
        xz2::read::XzDecoder::new(f).read_to_end(&mut out).unwrap();
    } else {
        zstd::stream::read::Decoder::new(f)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
    }
    out
}

fn listing(path: &Path) -> Listing {
    if path.to_string_lossy().ends_with(".zip") {
        list_zip(&std::fs::read(path).unwrap())
    } else {
        list_tar(&tar_of(path))
    }
}

/// The tree: app-1.0/{bin/app, bin/app-link -> app, share/data (0600)}.
fn make_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("app-1.0");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::create_dir_all(tree.join("share")).unwrap();
    let src = dir.join("app.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let mut c = Command::new("gcc");
    c.args(["-O2", "-o"])
        .arg(tree.join("bin/app"))
        .arg(&src)
        .arg("-lz");
    must(c);
    std::os::unix::fs::symlink("app", tree.join("bin/app-link")).unwrap();
    std::fs::write(tree.join("share/data"), "data\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        tree.join("share/data"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    tree
}

/// `app.tar.zst` and `app.zip` of `app-1.0/`, written with the crates.
fn pack_with_crates(dir: &Path) {
    let tar_gz = tar_of(&dir.join("app.tar.gz"));
    let zst = zstd::stream::encode_all(tar_gz.as_slice(), 1).unwrap();
    std::fs::write(dir.join("app.tar.zst"), zst).unwrap();
    let mut z = zip::ZipWriter::new(std::fs::File::create(dir.join("app.zip")).unwrap());
    let mut ar = tar::Archive::new(tar_gz.as_slice());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let path = e.path().unwrap().to_string_lossy().into_owned();
        let mode = e.header().mode().unwrap();
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        match e.header().entry_type() {
            tar::EntryType::Directory => z.add_directory(path, opts).unwrap(),
            tar::EntryType::Symlink => {
                let t = e
                    .link_name()
                    .unwrap()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                z.add_symlink(path, t, opts).unwrap()
            }
            _ => {
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                z.start_file(path, opts).unwrap();
                z.write_all(&data).unwrap();
            }
        }
    }
    z.finish().unwrap();
}

/// Unpack an archive with the system's tools (`tar`; zip through the crate).
fn unpack(archive: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    if archive.to_string_lossy().ends_with(".zip") {
        let mut z = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
        for i in 0..z.len() {
            let mut m = z.by_index(i).unwrap();
            let dest = into.join(m.name());
            if m.is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else if m.is_symlink() {
                let mut t = String::new();
                m.read_to_string(&mut t).unwrap();
                std::os::unix::fs::symlink(t, &dest).unwrap();
            } else {
                let mut data = Vec::new();
                m.read_to_end(&mut data).unwrap();
                std::fs::write(&dest, data).unwrap();
                use std::os::unix::fs::PermissionsExt;
                let mode = m.unix_mode().unwrap_or(0o644) & 0o777;
                std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
    } else {
        let tar = tar_of(archive);
        let file = into.join("stream.tar");
        std::fs::write(&file, tar).unwrap();
        let mut c = Command::new("tar");
        c.arg("-xpf").arg(&file).arg("-C").arg(into);
        must(c);
    }
}

#[test]
fn release_archives_bundled() {
    if let Err(e) = chroot_available("amd64") {
        unavailable(&e);
        return;
    }
    for tool in ["gcc", "tar", "xz"] {
        if !common::have_tool(tool) {
            unavailable(&format!("{tool} not found"));
            return;
        }
    }
    let root = match chroot_root("bullseye", "amd64") {
        Ok(r) => r,
        Err(e) => {
            unavailable(&format!("cannot get bullseye amd64: {e}"));
            return;
        }
    };
    let tmp = common::tempdir();
    let dir = tmp.path();
    let tree = make_tree(dir);
    let host = must_code(Command::new(tree.join("bin/app")), 3);
    for (flag, name) in [("-czf", "app.tar.gz"), ("-cJf", "app.tar.xz")] {
        let mut c = Command::new("tar");
        c.current_dir(dir).args([flag, name, "app-1.0"]);
        must(c);
    }
    pack_with_crates(dir);
    for name in ["app.tar.gz", "app.tar.xz", "app.tar.zst", "app.zip"] {
        let input = dir.join(name);
        let before = std::fs::read(&input).unwrap();
        let r = run_in(dir, ["bundle", "--target", "debian11", name, "-o", "dist"]);
        r.assert_code(0);
        let out = dir.join("dist").join(name);
        assert_eq!(
            std::fs::read(&input).unwrap(),
            before,
            "{name}: input modified"
        );
        // The originals in order, modes and links kept; then lib/ and the library.
        let old = listing(&input);
        let new = listing(&out);
        assert_eq!(&new[..old.len()], &old[..], "{name}: {new:#?}");
        let added: Vec<&str> = new[old.len()..].iter().map(|e| e.0.as_str()).collect();
        assert_eq!(added, ["app-1.0/lib", "app-1.0/lib/libz.so.1"], "{name}");
        assert!(
            new.iter()
                .any(|e| e.0 == "app-1.0/share/data" && e.2 == 0o600),
            "{name}: {new:#?}"
        );
        assert!(
            new.iter()
                .any(|e| e.0 == "app-1.0/bin/app-link" && e.1 == 'l' && e.3 == "app"),
            "{name}: {new:#?}"
        );
        let unpacked = dir.join(format!("unpacked-{name}"));
        unpack(&out, &unpacked);
        let ran = run_in_chroot(
            &root,
            &[(&unpacked.join("app-1.0"), "/opt/app")],
            &["/opt/app/bin/app-link"],
        );
        assert_eq!(
            (ran.code, ran.stdout.as_str()),
            (Some(3), host.stdout.as_str()),
            "{name}: {}",
            ran.describe()
        );
        // `-o FILE` names the output; a second bundle writes the same bytes.
        let again = dir.join(format!("again-{name}"));
        run_in(
            dir,
            [
                "bundle",
                "--target",
                "debian11",
                name,
                "-o",
                again.to_str().unwrap(),
            ],
        )
        .assert_code(0);
        assert!(
            std::fs::read(&again).unwrap() == std::fs::read(&out).unwrap(),
            "{name}: two bundles differ"
        );
    }
}

#[track_caller]
fn must_code(mut cmd: Command, code: i32) -> Run {
    cmd.env("LD_BIND_NOW", "1");
    let r = run_command(cmd, Duration::from_secs(60));
    assert_eq!(r.code, Some(code), "{}", r.describe());
    r
}
