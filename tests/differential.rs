//! Differential test: our per-symbol requirements against `readelf -V --dyn-syms` and
//! against goblin's independent parser, on every ELF file under /usr and in testdata/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use elfcompat::elf::ElfFile;
use elfcompat::versym::Requirements;
use rayon::prelude::*;

/// (dynsym index) -> "name@VERSION" / "name@@VERSION" / "name" as readelf prints it.
type SymbolView = BTreeMap<usize, String>;

/// Our view, in readelf's notation: imports `name@VER`, defined default `name@@VER`,
/// hidden definitions `name@VER`, unversioned `name`.
fn ours(data: &[u8]) -> Option<SymbolView> {
    let file = ElfFile::parse(data).ok()?;
    let dynamic = file.dynamic.as_ref()?;
    let req = Requirements::of(&file);
    let mut view = SymbolView::new();
    for imp in &req.imports {
        let s = match &imp.version {
            Some(v) => format!("{}@{}", imp.name, v.as_str()),
            None => imp.name.to_string(),
        };
        view.insert(imp.dynsym_index, s);
    }
    for exp in &req.exports {
        // readelf prints the version-name symbols (`GLIBC_2.4` at SHN_ABS) bare.
        let s = match (&exp.version, exp.hidden) {
            (Some(v), _) if v.as_str() == exp.name => exp.name.to_string(),
            (Some(v), false) => format!("{}@@{}", exp.name, v.as_str()),
            (Some(v), true) => format!("{}@{}", exp.name, v.as_str()),
            (None, _) => exp.name.to_string(),
        };
        view.insert(exp.dynsym_index, s);
    }
    let _ = dynamic;
    Some(view)
}

/// readelf's view of the same symbols (global/weak, non-empty names).
fn readelf_view(path: &Path) -> Option<SymbolView> {
    let out = Command::new("readelf")
        .args(["--dyn-syms", "-W"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut view = SymbolView::new();
    let mut in_dynsym = false;
    for line in text.lines() {
        if line.starts_with("Symbol table '.dynsym'") {
            in_dynsym = true;
            continue;
        }
        if line.starts_with("Symbol table") {
            in_dynsym = false;
        }
        if !in_dynsym {
            continue;
        }
        // "   12: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@GLIBC_2.14 (5)"
        let mut cols = line.split_whitespace();
        let Some(num) = cols.next().and_then(|n| n.strip_suffix(':')) else {
            continue;
        };
        let Ok(index) = num.parse::<usize>() else {
            continue;
        };
        let rest: Vec<&str> = cols.collect();
        if rest.len() < 7 || index == 0 {
            continue;
        }
        let bind = rest[3];
        if bind == "LOCAL" {
            continue;
        }
        // The name is the last column, before a "(N)" version index; ppc64 adds a
        // "[<localentry>: 8]" column after the visibility.
        let mut tail = rest.iter().rev();
        let mut name = *tail.next().unwrap_or(&"");
        if name.starts_with('(') && name.ends_with(')') {
            name = tail.next().unwrap_or(&"");
        }
        if name.is_empty() {
            continue;
        }
        view.insert(index, name.to_string());
    }
    Some(view)
}

/// goblin's view, built from its own symver parser.
fn goblin_view(data: &[u8]) -> Option<SymbolView> {
    let elf = goblin::elf::Elf::parse(data).ok()?;
    let mut names: BTreeMap<u16, String> = BTreeMap::new();
    if let Some(vn) = &elf.verneed {
        for need in vn.iter() {
            for aux in need.iter() {
                let name = elf.dynstrtab.get_at(aux.vna_name)?.to_string();
                names.insert(aux.vna_other & 0x7fff, name);
            }
        }
    }
    let mut defs: BTreeMap<u16, (String, bool)> = BTreeMap::new();
    if let Some(vd) = &elf.verdef {
        for def in vd.iter() {
            let first = def.iter().next()?;
            let name = elf.dynstrtab.get_at(first.vda_name)?.to_string();
            defs.insert(def.vd_ndx & 0x7fff, (name, def.vd_flags & 1 != 0));
        }
    }
    let versym = elf.versym.as_ref();
    let mut view = SymbolView::new();
    for (i, sym) in elf.dynsyms.iter().enumerate().skip(1) {
        if sym.st_bind() == goblin::elf::sym::STB_LOCAL {
            continue;
        }
        let name = elf.dynstrtab.get_at(sym.st_name)?;
        if name.is_empty() {
            continue;
        }
        let vs = versym
            .and_then(|v| v.get_at(i))
            .map(|v| v.vs_val)
            .unwrap_or(1);
        let idx = vs & 0x7fff;
        let hidden = vs & 0x8000 != 0;
        let s = if let Some(v) = names.get(&idx) {
            format!("{name}@{v}")
        } else if let Some((v, base)) = defs.get(&idx) {
            if *base || sym.st_shndx == 0 || v == name {
                name.to_string()
            } else if hidden {
                format!("{name}@{v}")
            } else {
                format!("{name}@@{v}")
            }
        } else {
            name.to_string()
        };
        view.insert(i, s);
    }
    Some(view)
}

fn elf_files_under(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            elf_files_under(&p, out);
        } else if ft.is_file() && elfcompat::scan::looks_like_elf(&p).unwrap_or(false) {
            out.push(p);
        }
    }
}

#[test]
fn requirements_agree_with_readelf_and_goblin() {
    let mut files = Vec::new();
    elf_files_under(Path::new("/usr"), &mut files);
    elf_files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin"),
        &mut files,
    );
    assert!(
        files.len() > 100,
        "expected many ELF files under /usr, found {}",
        files.len()
    );

    struct Outcome {
        path: PathBuf,
        readelf: Option<String>,
        goblin: Option<String>,
        compared_goblin: bool,
        symbols: usize,
    }
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .filter_map(|path| {
            let data = std::fs::read(path).ok()?;
            let mine = ours(&data)?;
            let theirs = readelf_view(path)?;
            let has_sections = goblin::elf::Elf::parse_header(&data)
                .map(|h| h.e_shnum > 0)
                .unwrap_or(false);
            // readelf reads .dynsym through the section headers: without them it prints nothing.
            let readelf = if has_sections && mine != theirs {
                let diff: Vec<String> = mine
                    .iter()
                    .filter(|(k, v)| theirs.get(k) != Some(v))
                    .map(|(k, v)| format!("#{k}: ours {v} readelf {:?}", theirs.get(k)))
                    .chain(
                        theirs
                            .iter()
                            .filter(|(k, _)| !mine.contains_key(k))
                            .map(|(k, v)| format!("#{k}: readelf only {v}")),
                    )
                    .take(5)
                    .collect();
                Some(diff.join("; "))
            } else {
                None
            };
            let g = goblin_view(&data);
            let goblin = match &g {
                Some(g) if has_sections && *g != mine => {
                    let diff: Vec<String> = mine
                        .iter()
                        .filter(|(k, v)| g.get(k) != Some(v))
                        .map(|(k, v)| format!("#{k}: ours {v} goblin {:?}", g.get(k)))
                        .chain(
                            g.iter()
                                .filter(|(k, _)| !mine.contains_key(k))
                                .map(|(k, v)| format!("#{k}: goblin only {v}")),
                        )
                        .take(5)
                        .collect();
                    Some(diff.join("; "))
                }
                _ => None,
            };
            Some(Outcome {
                path: path.clone(),
                readelf,
                goblin,
                compared_goblin: g.is_some() && has_sections,
                symbols: mine.len(),
            })
        })
        .collect();

    let compared = outcomes.len();
    let symbols: usize = outcomes.iter().map(|o| o.symbols).sum();
    let goblin_compared = outcomes.iter().filter(|o| o.compared_goblin).count();
    let readelf_bad: Vec<_> = outcomes.iter().filter(|o| o.readelf.is_some()).collect();
    let goblin_bad: Vec<_> = outcomes.iter().filter(|o| o.goblin.is_some()).collect();
    println!(
        "differential: {compared} ELF files with a dynamic symbol table compared ({symbols} symbols); \
         readelf disagreements {}, goblin compared {goblin_compared}, goblin disagreements {}",
        readelf_bad.len(),
        goblin_bad.len()
    );
    for o in readelf_bad.iter().take(10) {
        println!(
            "readelf mismatch {}: {}",
            o.path.display(),
            o.readelf.as_deref().unwrap_or("")
        );
    }
    for o in goblin_bad.iter().take(10) {
        println!(
            "goblin mismatch {}: {}",
            o.path.display(),
            o.goblin.as_deref().unwrap_or("")
        );
    }
    assert!(compared > 100, "too few files compared: {compared}");
    assert!(
        readelf_bad.is_empty(),
        "{} files disagree with readelf",
        readelf_bad.len()
    );
    assert!(
        goblin_bad.is_empty(),
        "{} files disagree with goblin",
        goblin_bad.len()
    );
}

/// A library with more dynamic symbols than the reader looks up in one piece (it splits
/// the names of large tables into parts, in parallel): 20,000 functions in three version
/// nodes, built here, read the same by us, readelf and goblin, symbol by symbol, values and
/// sizes included.
#[test]
fn a_large_symbol_table_agrees_with_readelf_and_goblin() {
    if !common::have_tool("gcc") {
        eprintln!("SKIPPED a_large_symbol_table_agrees_with_readelf_and_goblin: no gcc");
        return;
    }
    const N: usize = 20_000;
    let dir = common::tempdir();
    let mut c = String::new();
    for i in 0..N {
        c.push_str(&format!(
            "int elfcompat_large_{i}(int x) {{ return x + {i}; }}\n"
        ));
    }
    std::fs::write(dir.path().join("large.c"), c).unwrap();
    let mut map = String::from("LARGE_1 { global: ");
    for i in (0..N).step_by(3) {
        map.push_str(&format!("elfcompat_large_{i}; "));
    }
    map.push_str("local: *; };\nLARGE_2 { global: ");
    for i in (1..N).step_by(3) {
        map.push_str(&format!("elfcompat_large_{i}; "));
    }
    map.push_str("} LARGE_1;\nLARGE_3 { global: ");
    for i in (2..N).step_by(3) {
        map.push_str(&format!("elfcompat_large_{i}; "));
    }
    map.push_str("} LARGE_2;\n");
    std::fs::write(dir.path().join("large.map"), map).unwrap();
    let lib = dir.path().join("liblarge.so");
    let st = Command::new("gcc")
        .current_dir(dir.path())
        .args([
            "-O0",
            "-shared",
            "-fPIC",
            "-Wl,--version-script=large.map",
            "large.c",
            "-o",
        ])
        .arg(&lib)
        .status()
        .expect("gcc");
    assert!(st.success(), "gcc failed");
    let data = std::fs::read(&lib).unwrap();

    let file = ElfFile::parse(&data).expect("parse");
    let symbols = &file.dynamic.as_ref().expect("dynamic").symbols;
    assert!(symbols.len() > N, "{} symbols", symbols.len());
    let elf = goblin::elf::Elf::parse(&data).expect("goblin");
    let theirs: Vec<_> = elf.dynsyms.iter().collect();
    assert_eq!(symbols.len(), theirs.len());
    for (i, (m, t)) in symbols.iter().zip(&theirs).enumerate() {
        let name = elf.dynstrtab.get_at(t.st_name).unwrap_or("");
        assert_eq!(
            (&*m.name, m.value, m.size, m.shndx as usize),
            (name, t.st_value, t.st_size, t.st_shndx),
            "symbol #{i}"
        );
    }
    let mine = ours(&data).expect("ours");
    assert_eq!(Some(&mine), goblin_view(&data).as_ref(), "against goblin");
    assert_eq!(Some(&mine), readelf_view(&lib).as_ref(), "against readelf");
    let versioned = mine.values().filter(|v| v.contains("@@LARGE_")).count();
    assert!(versioned >= N, "{versioned} symbols with a LARGE_ version");
}
