//! DT_RELR expansion on a big-endian file: the relative relocations of an s390x
//! executable (`testdata/bin/s390x/hello`, whose places hold their addends as the linker
//! wrote them) are taken out of its DT_RELA table and packed into a DT_RELR section of
//! big-endian words, with a bitmap; `relr::expand` must give back exactly the linker's
//! relocations, addends read from the places in the file's byte order. (binutils 2.40
//! ignores `-z pack-relative-relocs` on s390x, so no packed fixture can be linked.)

use object::build::elf::{Builder, Dynamic, SectionData};
use object::elf;

use super::relr;

/// RELR words for sorted, 8-byte aligned addresses: an address, then bitmaps of the 63
/// words after it.
fn encode(addrs: &[u64]) -> Vec<u64> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < addrs.len() {
        words.push(addrs[i]);
        let mut base = addrs[i] + 8;
        i += 1;
        loop {
            let mut bitmap = 0u64;
            while i < addrs.len() && addrs[i] >= base && addrs[i] < base + 63 * 8 {
                bitmap |= 1 << ((addrs[i] - base) / 8);
                i += 1;
            }
            if bitmap == 0 {
                break;
            }
            words.push((bitmap << 1) | 1);
            base += 63 * 8;
        }
    }
    words
}

fn relatives(b: &Builder<'_>, table: object::build::elf::SectionId) -> Vec<(u64, i64)> {
    let SectionData::DynamicRelocation(v) = &b.sections.get(table).data else {
        panic!("not a relocation table");
    };
    let mut out: Vec<(u64, i64)> = v
        .iter()
        .filter(|r| r.r_type.0 == elf::R_390_RELATIVE.0)
        .map(|r| (r.r_offset, r.r_addend))
        .collect();
    out.sort();
    out
}

#[test]
fn s390x_relr_expands_to_the_linkers_relocations() {
    let data = std::fs::read("testdata/bin/s390x/hello").expect("fixture");
    let mut b = Builder::read(data.as_slice()).expect("read");
    assert_eq!(b.endian, object::Endianness::Big);
    let (table, rela) = relr::table_of(&b).expect("DT_RELA");
    assert!(rela);
    let want = relatives(&b, table);
    assert!(want.len() >= 8, "{want:?}");
    if let SectionData::DynamicRelocation(v) = &mut b.sections.get_mut(table).data {
        v.retain(|r| r.r_type.0 != elf::R_390_RELATIVE.0);
    }
    let addrs: Vec<u64> = want.iter().map(|w| w.0).collect();
    let words = encode(&addrs);
    assert!(
        words.iter().any(|w| w & 1 == 1) && words.len() < addrs.len(),
        "packed with a bitmap: {words:x?}"
    );
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    let relr_addr = 0x10_0000;
    let sec = b.sections.add();
    sec.name = b".relr.dyn".to_vec().into();
    sec.sh_type = elf::SHT_RELR;
    sec.sh_flags = elf::SHF_ALLOC;
    sec.sh_addr = relr_addr;
    sec.sh_size = bytes.len() as u64;
    sec.data = SectionData::Data(bytes.into());
    let dynamic = b.dynamic_data_mut().expect("dynamic");
    dynamic.push(Dynamic::Integer {
        tag: elf::DT_RELR,
        val: relr_addr,
    });
    let expanded = relr::expand(&mut b).expect("expands");
    assert_eq!(expanded.added, want.len() as u64);
    assert_eq!(relatives(&b, table), want);
}
