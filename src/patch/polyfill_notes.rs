//! What a user may notice about a polyfill that has no note of its own in
//! `plan::semantic_note`: the C23 math and stdlib polyfills (`polyfill/src/math_narrow.c`,
//! `fromfp.c`, `math_payload.c`, `fenv_c23.c`, `strfrom.c`; only strfrom differs, measured
//! side by side in tests/polyfill_{narrow,fromfp,fenv}.rs), `misc_tail.c`'s openat2, which
//! is not a cancellation point as glibc's is, the C23 transcendental functions'
//! accuracy (`notes_c23`), and the 32-bit `_TIME_BITS=64` calendar functions of
//! `time64.c`, which refuse local times past 2038 as the target's own functions do.

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
    if let Some(n) = time64_note(symbol) {
        return Some(n);
    }
    super::notes_c23::note(symbol)
}

/// `polyfill/src/time64.c` (32-bit targets): what glibc 2.34's `_TIME_BITS=64` functions do
/// that the older 32-bit ones they are made of cannot.
fn time64_note(symbol: &str) -> Option<String> {
    let local = match symbol {
        "__localtime64" | "__localtime64_r" => "localtime",
        "__ctime64" | "__ctime64_r" => "ctime",
        "__mktime64" => "mktime",
        "__timer_settime64" => {
            return Some(
                "__timer_settime64 is polyfilled over the older librt's timer_settime (whose                  timer_t the older timer_create made): an interval or expiry time past                  2038-01-19 fails with EOVERFLOW there, glibc 2.34 and later accept it"
                    .to_string(),
            )
        }
        _ => return None,
    };
    Some(format!(
        "{symbol} is polyfilled over the older 32-bit {local}: times from 1901-12-13 to \
         2038-01-19 are glibc's own answer; a local time outside that range fails with \
         EOVERFLOW (NULL or -1), as on the target's own 32-bit functions, where glibc 2.34 and \
         later answer it (the zone's rules past 2038 are read only by glibc's private \
         time-zone code); gmtime, timegm and difftime are exact over the whole range"
    ))
}
