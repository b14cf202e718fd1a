//! A patched file as the input plus the pages that differ from it.
//!
//! A patch changes a few tables of a file that may be hundreds of megabytes. Holding the
//! result as a full copy costs a fresh page for every 4 KiB of it, and writing it costs a
//! copy through user space again. An [`Image`] keeps only the pages that differ (copied on
//! first write) and the length; writing it copies the unchanged ranges inside the kernel
//! (`copy_file_range`, what `cp` does) and writes the changed pages.

use std::fs::File;
use std::os::unix::fs::FileExt;

const PAGE: usize = 4096;

/// The input and the pages of the output that differ from it.
pub struct Image<'a> {
    base: &'a [u8],
    len: u64,
    /// Indexed by page number: the output's bytes of that page when it differs from the
    /// input (a full page; past `len` unused). A slot per page of the file: 8 bytes per
    /// 4 KiB, and a lookup on every small write the Builder makes is an index.
    pages: Vec<Option<Box<[u8]>>>,
    /// Where [`object::write::WritableBuffer`] appends next.
    pos: u64,
    /// Set when a write reached past [`Image::limit`]: the output is not what was asked.
    overflowed: bool,
}

/// The longest output an image holds: twice the input and 64 MiB. A patch adds tables that
/// moved and polyfills, never more than the input again; a layout reaching further comes
/// from hostile headers, and is refused rather than written (or looped over) page by page.
fn limit(base_len: usize) -> u64 {
    (base_len as u64).saturating_mul(2).saturating_add(64 << 20)
}

impl<'a> Image<'a> {
    /// An output equal to `base`.
    pub fn unchanged(base: &'a [u8]) -> Self {
        Image {
            base,
            len: base.len() as u64,
            pages: Vec::new(),
            pos: 0,
            overflowed: false,
        }
    }

    /// An output to be written from the start by [`object::write::WritableBuffer`] calls:
    /// empty, with `base` as what unchanged pages are compared with.
    pub fn empty(base: &'a [u8]) -> Self {
        Image {
            base,
            len: 0,
            pages: Vec::new(),
            pos: 0,
            overflowed: false,
        }
    }

    /// The output's length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether a write reached past the limit (twice the input and 64 MiB) and was dropped.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Whether the output is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The input the unchanged pages come from.
    pub fn base(&self) -> &'a [u8] {
        self.base
    }

    /// Whether the output is byte for byte the input.
    pub fn is_base(&self) -> bool {
        self.len == self.base.len() as u64
            && self.dirty().all(|(n, p)| {
                let (s, e) = self.page_range(n);
                p[..e - s] == self.base[s..e]
            })
    }

    /// How many pages differ from the input.
    pub fn dirty_pages(&self) -> usize {
        self.dirty().count()
    }

    /// The changed pages in order, with their numbers.
    fn dirty(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(n, p)| p.as_deref().map(|p| (n as u64, p)))
    }

    fn is_dirty(&self, n: usize) -> bool {
        self.pages.get(n).is_some_and(|p| p.is_some())
    }

    /// The output's byte range of page `n`, clipped to its length.
    fn page_range(&self, n: u64) -> (usize, usize) {
        let s = n as usize * PAGE;
        let e = (s + PAGE).min(self.len as usize);
        (s, e.max(s))
    }

    fn page_mut(&mut self, n: u64) -> &mut [u8] {
        let base = self.base;
        let n = n as usize;
        if self.pages.len() <= n {
            self.pages.resize_with(n + 1, || None);
        }
        self.pages[n].get_or_insert_with(|| {
            let mut p = vec![0u8; PAGE].into_boxed_slice();
            let s = n * PAGE;
            if s < base.len() {
                let e = (s + PAGE).min(base.len());
                p[..e - s].copy_from_slice(&base[s..e]);
            }
            p
        })
    }

    /// The input's bytes at `off..off+len`, if the input is that long.
    fn base_at(&self, off: usize, len: usize) -> Option<&'a [u8]> {
        self.base.get(off..off.checked_add(len)?)
    }

    /// Write `bytes` at `off`, growing the output if it ends past it. Only pages whose
    /// content actually changes are copied.
    pub fn write_at(&mut self, off: u64, bytes: &[u8]) {
        if off.saturating_add(bytes.len() as u64) > limit(self.base.len()) {
            self.overflowed = true;
            return;
        }
        let mut at = off as usize;
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = at / PAGE;
            let in_page = (PAGE - at % PAGE).min(rest.len());
            let (chunk, tail) = rest.split_at(in_page);
            let same = !self.is_dirty(n) && self.base_at(at, chunk.len()) == Some(chunk);
            if !same {
                let o = at % PAGE;
                self.page_mut(n as u64)[o..o + chunk.len()].copy_from_slice(chunk);
            }
            at += in_page;
            rest = tail;
        }
        self.len = self.len.max(at as u64);
    }

    /// Zeros at `off..off+len`.
    pub fn zero_at(&mut self, off: u64, len: u64) {
        if off.saturating_add(len) > limit(self.base.len()) {
            self.overflowed = true;
            return;
        }
        let mut at = off as usize;
        let end = (off + len) as usize;
        while at < end {
            let n = at / PAGE;
            let in_page = (PAGE - at % PAGE).min(end - at);
            let clean = !self.is_dirty(n);
            let base_zero = match self.base_at(at, in_page) {
                Some(b) => b.iter().all(|&x| x == 0),
                // Past the input a page nobody wrote is zeros.
                None => at >= self.base.len(),
            };
            if !(clean && base_zero) {
                let o = at % PAGE;
                self.page_mut(n as u64)[o..o + in_page].fill(0);
            }
            at += in_page;
        }
        self.len = self.len.max(end as u64);
    }

    /// The output's bytes at `off..off+len` (within its length).
    pub fn read(&self, off: u64, len: usize) -> Option<Vec<u8>> {
        let end = off.checked_add(len as u64)?;
        if end > self.len {
            return None;
        }
        let mut v = Vec::with_capacity(len);
        let mut at = off as usize;
        while at < end as usize {
            let n = at / PAGE;
            let in_page = (PAGE - at % PAGE).min(end as usize - at);
            match self.pages.get(n).and_then(|p| p.as_deref()) {
                Some(p) => v.extend_from_slice(&p[at % PAGE..at % PAGE + in_page]),
                None => {
                    // The input where it reaches, zeros past it.
                    let have = self.base.len().saturating_sub(at).min(in_page);
                    if have > 0 {
                        v.extend_from_slice(&self.base[at..at + have]);
                    }
                    v.resize(v.len() + in_page - have, 0);
                }
            }
            at += in_page;
        }
        Some(v)
    }

    /// The whole output, materialised.
    pub fn to_vec(&self) -> Vec<u8> {
        self.read(0, self.len as usize).unwrap_or_default()
    }

    /// Runs of the output in order: consecutive changed pages together, and the ranges
    /// between them, equal to the input (or zeros past it).
    fn runs(&self) -> Vec<Run<'_>> {
        let mut runs: Vec<Run<'_>> = Vec::new();
        let mut at = 0usize;
        let len = self.len as usize;
        for (n, p) in self.dirty() {
            let (s, e) = self.page_range(n);
            if s >= len {
                break;
            }
            if at < s {
                runs.push(Run::Base {
                    off: at,
                    len: s - at,
                });
            }
            match runs.last_mut() {
                Some(Run::Owned { off, pages })
                    if *off + pages.iter().map(|p| p.len()).sum::<usize>() == s =>
                {
                    pages.push(&p[..e - s])
                }
                _ => runs.push(Run::Owned {
                    off: s,
                    pages: vec![&p[..e - s]],
                }),
            }
            at = e;
        }
        if at < len {
            runs.push(Run::Base {
                off: at,
                len: len - at,
            });
        }
        runs
    }

    /// Write the output into `out` (an empty file): its length first, then the changed
    /// pages, and the unchanged ranges copied from `base_file` (the file `base` maps) inside
    /// the kernel. Without `base_file`, or where the kernel cannot copy, the bytes are
    /// written from `base`.
    pub fn write_to(&self, out: &File, base_file: Option<&File>) -> std::io::Result<()> {
        out.set_len(self.len)?;
        let blen = self.base.len();
        for run in self.runs() {
            match run {
                Run::Owned { off, pages } => out.write_all_at(&pages.concat(), off as u64)?,
                Run::Base { off, len } => {
                    // Past the input the output is zeros: set_len made them.
                    let end = (off + len).min(blen);
                    if off >= end {
                        continue;
                    }
                    let copied = match base_file {
                        Some(f) => copy_range(f, out, off as u64, (end - off) as u64)?,
                        None => 0,
                    };
                    let from = off + copied as usize;
                    if from < end {
                        out.write_all_at(&self.base[from..end], from as u64)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Write only what differs from the input into `out`, which already holds a copy of
    /// the whole input: its length, then the changed pages.
    pub fn write_changes(&self, out: &File) -> std::io::Result<()> {
        out.set_len(self.len)?;
        for run in self.runs() {
            if let Run::Owned { off, pages } = run {
                out.write_all_at(&pages.concat(), off as u64)?;
            }
        }
        Ok(())
    }

    /// Whether `back` (the written file, read back) is this output: its length and every
    /// changed page. The unchanged ranges were copied by the kernel, as `cp` does.
    pub fn written_as(&self, back: &[u8]) -> bool {
        back.len() as u64 == self.len
            && self.runs().iter().all(|r| match r {
                Run::Owned { off, pages } => {
                    let mut at = *off;
                    pages.iter().all(|p| {
                        let ok = back.get(at..at + p.len()) == Some(*p);
                        at += p.len();
                        ok
                    })
                }
                Run::Base { .. } => true,
            })
    }
}

enum Run<'b> {
    Base { off: usize, len: usize },
    Owned { off: usize, pages: Vec<&'b [u8]> },
}

/// Copy `len` bytes at `off` of `from` to the same offset of `to` with copy_file_range.
/// Returns how many bytes were copied: fewer (0 included) when the kernel or the file
/// systems cannot, for the caller to write the rest itself.
pub(super) fn copy_range(from: &File, to: &File, off: u64, len: u64) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    let mut done = 0u64;
    while done < len {
        let mut off_in = (off + done) as i64;
        let mut off_out = (off + done) as i64;
        let want = (len - done).min(1 << 30) as usize;
        // SAFETY: both descriptors are open for the duration of the call and the offsets
        // are valid pointers to locals.
        let n = unsafe {
            libc::copy_file_range(
                from.as_raw_fd(),
                &mut off_in,
                to.as_raw_fd(),
                &mut off_out,
                want,
                0,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.raw_os_error() {
                // Not supported here (old kernel, cross-device, special file systems):
                // the caller writes instead.
                Some(libc::ENOSYS | libc::EXDEV | libc::EINVAL | libc::EOPNOTSUPP) => Ok(done),
                Some(libc::EINTR) => continue,
                _ => Err(e),
            };
        }
        if n == 0 {
            break;
        }
        done += n as u64;
    }
    Ok(done)
}

impl object::write::WritableBuffer for Image<'_> {
    fn reserve(&mut self, _size: u64) -> Result<(), ()> {
        Ok(())
    }

    fn write_zeros(&mut self, additional: u64) {
        self.zero_at(self.pos, additional);
        self.pos = self.pos.saturating_add(additional);
    }

    fn write_bytes(&mut self, val: &[u8]) {
        let at = self.pos;
        // Data the Builder borrowed from the input, written back where it was: nothing to do.
        let borrowed = self
            .base_at(at as usize, val.len())
            .is_some_and(|b| std::ptr::eq(b.as_ptr(), val.as_ptr()) && b.len() == val.len());
        if borrowed && !self.pages_overlap(at, val.len()) {
            self.len = self.len.max(at + val.len() as u64);
        } else {
            self.write_at(at, val);
        }
        self.pos = at.saturating_add(val.len() as u64);
    }
}

impl Image<'_> {
    fn pages_overlap(&self, off: u64, len: usize) -> bool {
        if len == 0 {
            return false;
        }
        let first = off as usize / PAGE;
        let last = (off as usize + len - 1) / PAGE;
        (first..=last).any(|n| self.is_dirty(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object::write::WritableBuffer;

    fn base() -> Vec<u8> {
        (0..3 * PAGE + 100).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn writes_equal_to_the_input_dirty_nothing() {
        let b = base();
        let mut im = Image::unchanged(&b);
        im.write_at(10, &b[10..5000]);
        assert_eq!(im.dirty_pages(), 0);
        assert!(im.is_base());
        im.write_at(5000, &[1, 2, 3]);
        assert_eq!(im.dirty_pages(), 1);
        let mut want = b.clone();
        want[5000..5003].copy_from_slice(&[1, 2, 3]);
        assert!(im.to_vec() == want);
    }

    #[test]
    fn growth_and_zeros_past_the_input() {
        let b = base();
        let mut im = Image::unchanged(&b);
        let end = b.len() as u64;
        im.zero_at(end, 10_000);
        im.write_at(end + 20_000, b"tail");
        let mut want = b.clone();
        want.resize(b.len() + 20_000, 0);
        want.extend_from_slice(b"tail");
        assert!(im.to_vec() == want);
        assert_eq!(im.len(), want.len() as u64);
    }

    #[test]
    fn writable_buffer_matches_a_vec() {
        let b = base();
        let mut im = Image::empty(&b);
        let mut v: Vec<u8> = Vec::new();
        type Step<'s> = &'s dyn Fn(&mut dyn WritableBuffer);
        let steps: [Step<'_>; 5] = [
            &|w| w.write_bytes(&b[..100]),
            &|w| w.write_bytes(&[9; 50]),
            &|w| w.write_zeros(5000 - 150),
            &|w| w.write_bytes(&b[5000..9000]),
            &|w| w.write_zeros(3 * PAGE as u64 + 400 - 9000),
        ];
        for s in steps {
            s(&mut im);
            s(&mut v);
            assert_eq!(im.len(), v.len() as u64);
        }
        assert!(im.to_vec() == v);
    }

    #[test]
    fn written_file_equals_the_image() {
        let b = base();
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in");
        std::fs::write(&src, &b).unwrap();
        let mut im = Image::unchanged(&b);
        im.write_at(PAGE as u64 + 7, b"changed");
        im.write_at(b.len() as u64 + 9000, b"appended");
        for base_file in [Some(File::open(&src).unwrap()), None] {
            let dst = dir.path().join("out");
            let out = File::create(&dst).unwrap();
            im.write_to(&out, base_file.as_ref()).unwrap();
            drop(out);
            let back = std::fs::read(&dst).unwrap();
            assert!(back == im.to_vec());
            assert!(im.written_as(&back));
        }
    }
}
