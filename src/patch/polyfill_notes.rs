//! What a user may notice about a polyfill that has no note of its own in
//! `plan::semantic_note`: the C23 math and stdlib polyfills (`polyfill/src/math_narrow.c`,
//! `fromfp.c`, `math_payload.c`, `fenv_c23.c`, `strfrom.c`; only strfrom differs, measured
//! side by side in tests/polyfill_{narrow,fromfp,fenv}.rs), `misc_tail.c`'s openat2, which
//! is not a cancellation point as glibc's is, and the C23 transcendental functions'
//! accuracy (`notes_c23`).

/// The note for a polyfilled `symbol`, if it differs observably from glibc's.
pub fn note(symbol: &str) -> Option<String> {
    if symbol.starts_with("strfrom") {
        return Some(format!(
            "{symbol} is polyfilled over the older snprintf: with a buffer size of 1 it writes \
             only the terminating NUL, as glibc 2.37 and later (2.25 to 2.36 write past such a \
             buffer, up to the first NUL in it)"
        ));
    }
    if symbol == "openat2" {
        return Some(
            "openat2 is polyfilled by its system call (ENOSYS before Linux 5.6, as glibc's); \
             glibc's is also a thread cancellation point (pthread_cancel), the polyfill's is not"
                .to_string(),
        );
    }
    super::notes_c23::note(symbol)
}
