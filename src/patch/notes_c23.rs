//! What the C23 libm polyfills (`polyfill/src/math_c23.c`) answer differently from glibc:
//! per function family, how it is computed and how far a finite result may be from
//! glibc's, as `tests/polyfill_c23.rs` measures and asserts. Special cases (signed zeros,
//! integers, poles, infinities, NaNs), errno and the exceptions are glibc's.

/// The families: name, what the polyfill computes from, and its accuracy against glibc.
const FAMILIES: &[(&str, &str, &str)] = &[
    ("sinpi", SINCOS, PI_BOUND),
    ("cospi", SINCOS, PI_BOUND),
    ("tanpi", TAN, TANPI_BOUND),
    ("asinpi", "the baseline's asin times 1/pi", PI_BOUND),
    ("acospi", "the baseline's acos times 1/pi", PI_BOUND),
    ("atanpi", "the baseline's atan times 1/pi", PI_BOUND),
    ("atan2pi", "the baseline's atan2 times 1/pi", PI_BOUND),
    ("exp2m1", "the baseline's expm1 and exp2", EXP_BOUND),
    ("exp10m1", "the baseline's expm1", EXP10_BOUND),
    ("log2p1", "the baseline's log1p times 1/ln 2", EXP_BOUND),
    ("log10p1", "the baseline's log1p times 1/ln 10", EXP_BOUND),
    ("logp1", LOG1P, "results identical to glibc 2.41's"),
    ("pown", POW, POWN_BOUND),
    (
        "powr",
        "the baseline's pow after glibc 2.42's domain checks",
        POWR_BOUND,
    ),
    (
        "rootn",
        "the baseline's pow with 1/n as head and tail",
        ROOTN_BOUND,
    ),
    (
        "rsqrt",
        "the baseline's sqrt and one Newton step",
        RSQRT_BOUND,
    ),
    ("compoundn", COMPOUND, COMPOUNDN_BOUND),
];

const SINCOS: &str = "the baseline's sin and cos, after exact reduction modulo 2";
const TAN: &str = "the baseline's tan, after exact reduction modulo 2";
const LOG1P: &str = "the baseline's log1p (glibc's logp1 is its alias), float through double";
const POW: &str = "the baseline's pow (powl for long double), split beyond 2^53 as glibc does";
const COMPOUND: &str = "the baseline's pow and exp with 1 + x as head and tail";
const PI_BOUND: &str = "finite results within 2 ulp of glibc 2.41's (its float versions are computed in float; the polyfill's in double, then rounded once)";
const TANPI_BOUND: &str = "finite results within 2 ulp of glibc 2.41's, 3 for double on aarch64 (computed in double there, with the running glibc's tan)";
const EXP_BOUND: &str = "finite results within 2 ulp of glibc 2.41's, float ones identical (correctly rounded, as glibc 2.41's CORE-MATH float versions)";
const EXP10_BOUND: &str = "finite results within 3 ulp of glibc 2.41's double version (its own error) and 2 of the long double one, float ones identical (correctly rounded, as glibc 2.41's CORE-MATH float version)";
const NO_REF: &str = "no glibc before 2.42 to compare with";
const POWN_BOUND: &str = "within 1 ulp of the exact value for double (glibc 2.42's pown is the same pow), 3 for x87 long double (x86_64's powl, which glibc 2.42 calls too), powl itself for binary128 long double (aarch64), as glibc 2.42's, float correctly rounded on every argument tested";
const POWR_BOUND: &str = "pow itself for x > 0, as glibc 2.42's powr: within 1 ulp of the exact value for double, float correctly rounded on every argument tested";
const ROOTN_BOUND: &str = "within 1 ulp of the exact value for double on x86_64, 2 on aarch64 and for long double, float correctly rounded on every argument tested";
const RSQRT_BOUND: &str = "within 1 ulp of the exact value for double, correctly rounded on every argument tested for float and long double (glibc 2.42's is 1/sqrt, up to 1 ulp)";
const COMPOUNDN_BOUND: &str = "within 2 ulp of the exact value for double and long double, float correctly rounded on every argument tested";

/// The note for a C23 libm polyfill, if `symbol` is one (any type suffix).
pub(super) fn note(symbol: &str) -> Option<String> {
    let (base, how, bound) = FAMILIES
        .iter()
        .filter(|(base, _, _)| symbol.starts_with(base))
        .max_by_key(|(base, _, _)| base.len())?;
    let suffix = &symbol[base.len()..];
    if !["", "f", "l", "f32", "f64", "f32x", "f64x", "f128"].contains(&suffix) {
        return None;
    }
    let reference = if ["pown", "powr", "rootn", "rsqrt", "compoundn"].contains(base) {
        format!("special cases, errno and exceptions by glibc 2.42's rules; {NO_REF}: ")
    } else {
        "special cases, errno and exceptions as glibc's; ".to_string()
    };
    Some(format!(
        "{symbol} is polyfilled from {how}; {reference}{bound}"
    ))
}

#[cfg(test)]
mod tests {
    use super::note;

    #[test]
    fn families_and_their_type_suffixes_have_notes() {
        assert!(note("sinpif32x").is_some_and(|n| n.contains("sin and cos")));
        assert!(note("atan2pil").is_some_and(|n| n.contains("atan2 ")));
        assert!(note("atanpi").is_some_and(|n| n.contains("atan ")));
        assert!(note("exp10m1f").is_some_and(|n| n.contains("3 ulp")));
        assert!(note("pownf64x").is_some_and(|n| n.contains("2.42")));
        assert!(note("powrf").is_some_and(|n| n.contains("domain checks")));
        assert_eq!(note("sinpix"), None);
        assert_eq!(note("log1p"), None);
    }
}
