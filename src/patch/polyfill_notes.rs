//! What a user may notice about the C23 math and stdlib polyfills (`polyfill/src/
//! math_narrow.c`, `strfrom.c`): the plan's note for each, where the polyfill differs
//! from the glibc release it stands in for.

/// The note for a polyfilled `symbol`, if it differs observably from glibc's.
pub fn note(symbol: &str) -> Option<String> {
    let narrowing = ["add", "sub", "mul", "div", "fma", "sqrt"]
        .iter()
        .any(|op| {
            [
                format!("f{op}"),
                format!("f{op}l"),
                format!("d{op}l"),
                format!("f32{op}f64"),
                format!("f32{op}f32x"),
                format!("f32{op}f64x"),
                format!("f32x{op}f64x"),
                format!("f64{op}f64x"),
            ]
            .iter()
            .any(|n| n == symbol)
        });
    if narrowing {
        return Some(format!(
            "{symbol} is polyfilled as glibc's (one rounding through round-to-odd, its errno and \
             exceptions); the exceptions of its intermediate step are merged back as flags, so a \
             program that enabled floating-point traps (feenableexcept) gets no SIGFPE from them \
             where glibc raises one"
        ));
    }
    if symbol.starts_with("strfrom") {
        return Some(format!(
            "{symbol} is polyfilled over the older snprintf: with a buffer size of 1 it writes \
             only the terminating NUL, as glibc 2.37 and later (2.25 to 2.36 write past such a \
             buffer, up to the first NUL in it)"
        ));
    }
    None
}
