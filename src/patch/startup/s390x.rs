//! The startup shim on s390x (64-bit z/Architecture, big-endian). glibc's `_start`
//! (`sysdeps/s390/s390-64/start.S`) loads `init` into `%r5` (NULL since 2.34), `fini`
//! into `%r6`, puts the stack end at 160(%r15) and calls
//! `brasl %r14, __libc_start_main@plt`; the PLT stub is
//! `larl %r1, slot; lg %r1, 0(%r1); br %r1`. The call becomes `brasl %r14, shim` (the
//! same six bytes); the shim puts its own `init` into `%r5` when it is zero and branches
//! to the PLT stub with `%r14` and the stack untouched.
//!
//! Instructions are big-endian byte strings whatever the host, and every relative
//! operand counts halfwords from the instruction's own address.

use object::build::elf::Builder;

use crate::patch::PatchError;

fn refuse(msg: impl Into<String>) -> PatchError {
    PatchError::Refused(msg.into())
}

/// The 32-bit halfword offset of a `larl`/`brasl`/`brcl` at `from` to `to`.
fn rel32(from: u64, to: u64) -> Result<[u8; 4], PatchError> {
    let d = to as i64 - from as i64;
    if d % 2 != 0 {
        return Err(refuse(format!(
            "s390x: {to:#x} is not halfword-aligned, so no relative instruction reaches it"
        )));
    }
    i32::try_from(d / 2)
        .map(i32::to_be_bytes)
        .map_err(|_| refuse("s390x: shim out of relative range (±4 GiB) of _start"))
}

/// A six-byte RIL instruction (`larl`, `brasl`, `brcl`): the first two bytes, then the
/// halfword offset from `at` to `to`.
fn ril(op: [u8; 2], at: u64, to: u64) -> Result<[u8; 6], PatchError> {
    let r = rel32(at, to)?;
    Ok([op[0], op[1], r[0], r[1], r[2], r[3]])
}

/// `brasl %r14, to` at `from`: the call `_start` makes, redirected.
pub(super) fn call(from: u64, to: u64) -> Result<[u8; 6], PatchError> {
    ril([0xc0, 0xe5], from, to)
}

/// `brasl %r14` within 64 bytes of the entry point whose target is a PLT stub loading
/// `slot` (`larl %r1, slot; lg %r1, 0(%r1); br %r1`). Returns the offset in the section,
/// the call's address and the PLT stub's.
pub(super) fn find_call(
    b: &Builder<'_>,
    bytes: &[u8],
    start: usize,
    sh_addr: u64,
    slot: u64,
) -> Option<(usize, u64, u64)> {
    let end = (start + 64).min(bytes.len().saturating_sub(6));
    (start..end).step_by(2).find_map(|i| {
        let insn = bytes.get(i..i + 6)?;
        if insn[..2] != [0xc0, 0xe5] {
            return None;
        }
        let pc = sh_addr + i as u64;
        let target = relative_target(pc, insn)?;
        (plt_slot(b, target)? == slot).then_some((i, pc, target))
    })
}

/// Where the RIL instruction `insn` at `pc` points.
fn relative_target(pc: u64, insn: &[u8]) -> Option<u64> {
    let halfwords = i32::from_be_bytes(insn.get(2..6)?.try_into().ok()?);
    Some((pc as i64 + 2 * i64::from(halfwords)) as u64)
}

/// The GOT slot the PLT stub at `stub` jumps through.
fn plt_slot(b: &Builder<'_>, stub: u64) -> Option<u64> {
    let (_, pb, off) = super::code_at(b, stub, 14)?;
    let code = pb.get(off..off + 14)?;
    // larl %r1, slot; lg %r1, 0(%r1); br %r1
    if code[..2] != [0xc0, 0x10] || code[6..14] != [0xe3, 0x10, 0x10, 0x00, 0x00, 0x04, 0x07, 0xf1]
    {
        return None;
    }
    relative_target(stub, &code[..6])
}

/// The shim at `base`: `init` in `%r5` when the caller passed none, then on to the PLT
/// stub `plt`. Its `init(argc, argv, envp)` (`%r2`-`%r4`) runs DT_INIT, then each
/// DT_INIT_ARRAY entry with the same arguments, under the ELF ABI's rules: `%r6`-`%r15`
/// saved in the caller's register save area, a 160-byte frame with its back chain.
pub(super) fn code(
    base: u64,
    plt: u64,
    init: Option<u64>,
    init_array: Option<(u64, u64)>,
) -> Result<Vec<u8>, PatchError> {
    let mut c: Vec<u8> = Vec::new();
    let here = |c: &Vec<u8>| base + c.len() as u64;
    let init_at = base + 20; // the init routine follows the jg below
    c.extend_from_slice(&[0xb9, 0x02, 0x00, 0x55]); // ltgr %r5, %r5
    c.extend_from_slice(&[0xa7, 0x74, 0x00, 0x05]); // jne over the larl (+10 bytes)
    let larl = ril([0xc0, 0x50], here(&c), init_at)?; // larl %r5, init
    c.extend_from_slice(&larl);
    let jg = ril([0xc0, 0xf4], here(&c), plt)?; // jg __libc_start_main@plt
    c.extend_from_slice(&jg);
    debug_assert_eq!(here(&c), init_at);
    c.extend_from_slice(&[0xeb, 0x6f, 0xf0, 0x30, 0x00, 0x24]); // stmg %r6, %r15, 48(%r15)
    c.extend_from_slice(&[0xb9, 0x04, 0x00, 0x1f]); // lgr %r1, %r15
    c.extend_from_slice(&[0xa7, 0xfb, 0xff, 0x60]); // aghi %r15, -160
    c.extend_from_slice(&[0xe3, 0x10, 0xf0, 0x00, 0x00, 0x24]); // stg %r1, 0(%r15)
    c.extend_from_slice(&[0xb9, 0x04, 0x00, 0x92]); // lgr %r9, %r2 (argc)
    c.extend_from_slice(&[0xb9, 0x04, 0x00, 0xa3]); // lgr %r10, %r3 (argv)
    c.extend_from_slice(&[0xb9, 0x04, 0x00, 0xb4]); // lgr %r11, %r4 (envp)
    if let Some(init) = init {
        let call = ril([0xc0, 0xe5], here(&c), init)?; // brasl %r14, DT_INIT
        c.extend_from_slice(&call);
    }
    if let Some((arr, size)) = init_array {
        let first = ril([0xc0, 0xc0], here(&c), arr)?; // larl %r12, init_array
        c.extend_from_slice(&first);
        let end = ril([0xc0, 0xd0], here(&c), arr + size)?; // larl %r13, init_array_end
        c.extend_from_slice(&end);
        c.extend_from_slice(&[
            0xb9, 0x21, 0x00, 0xcd, // loop: clgr %r12, %r13
            0xa7, 0xa4, 0x00, 0x10, // jhe done (+32 bytes)
            0xe3, 0x10, 0xc0, 0x00, 0x00, 0x04, // lg %r1, 0(%r12)
            0xb9, 0x04, 0x00, 0x29, // lgr %r2, %r9
            0xb9, 0x04, 0x00, 0x3a, // lgr %r3, %r10
            0xb9, 0x04, 0x00, 0x4b, // lgr %r4, %r11
            0x0d, 0xe1, // basr %r14, %r1
            0xa7, 0xcb, 0x00, 0x08, // aghi %r12, 8
            0xa7, 0xf4, 0xff, 0xf0, // j loop (-32 bytes)
        ]);
    }
    c.extend_from_slice(&[0xeb, 0x6f, 0xf0, 0xd0, 0x00, 0x04]); // done: lmg %r6, %r15, 208(%r15)
    c.extend_from_slice(&[0x07, 0xfe]); // br %r14
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `brasl` of a Debian s390x `_start` (objdump: `6b2: c0 e5 ff ff ff a7  brasl
    /// %r14,600`) and the whole shim, checked against GNU as 2.40 assembling the same
    /// instructions at the same addresses.
    #[test]
    fn encodings() {
        assert_eq!(
            call(0x6b2, 0x600).expect("in range"),
            [0xc0, 0xe5, 0xff, 0xff, 0xff, 0xa7]
        );
        assert!(call(0x6b2, 0x601).is_err(), "odd target");
        assert_eq!(
            relative_target(0x6b2, &[0xc0, 0xe5, 0xff, 0xff, 0xff, 0xa7]),
            Some(0x600)
        );
        // Shim at 0x3000, PLT stub at 0x600, DT_INIT at 0x580, DT_INIT_ARRAY 0x1dc8 (16
        // bytes).
        let got = code(0x3000, 0x600, Some(0x580), Some((0x1dc8, 16))).expect("encodes");
        let want: &[u8] = &[
            0xb9, 0x02, 0x00, 0x55, 0xa7, 0x74, 0x00, 0x05, 0xc0, 0x50, 0x00, 0x00, 0x00, 0x06,
            0xc0, 0xf4, 0xff, 0xff, 0xea, 0xf9, 0xeb, 0x6f, 0xf0, 0x30, 0x00, 0x24, 0xb9, 0x04,
            0x00, 0x1f, 0xa7, 0xfb, 0xff, 0x60, 0xe3, 0x10, 0xf0, 0x00, 0x00, 0x24, 0xb9, 0x04,
            0x00, 0x92, 0xb9, 0x04, 0x00, 0xa3, 0xb9, 0x04, 0x00, 0xb4, 0xc0, 0xe5, 0xff, 0xff,
            0xea, 0xa6, 0xc0, 0xc0, 0xff, 0xff, 0xf6, 0xc7, 0xc0, 0xd0, 0xff, 0xff, 0xf6, 0xcc,
            0xb9, 0x21, 0x00, 0xcd, 0xa7, 0xa4, 0x00, 0x10, 0xe3, 0x10, 0xc0, 0x00, 0x00, 0x04,
            0xb9, 0x04, 0x00, 0x29, 0xb9, 0x04, 0x00, 0x3a, 0xb9, 0x04, 0x00, 0x4b, 0x0d, 0xe1,
            0xa7, 0xcb, 0x00, 0x08, 0xa7, 0xf4, 0xff, 0xf0, 0xeb, 0x6f, 0xf0, 0xd0, 0x00, 0x04,
            0x07, 0xfe,
        ];
        assert_eq!(got, want);
    }
}
