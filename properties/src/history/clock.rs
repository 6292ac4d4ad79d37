//! The one clock format of reports: simulated time since the run started, in seconds.

/// Formats `ns` (simulated ns since the run started, or a duration in ns) as seconds with
/// six decimals and a trailing `s`, truncating below the microsecond: `1_500_000_000`
/// is `1.500000s`, `2_999` is `0.000002s`. Every explanation, and any view of a run that
/// wants to line up with them, prints times this way.
///
/// ```
/// assert_eq!(properties::fmt_ns(1_500_000_000), "1.500000s");
/// assert_eq!(properties::fmt_ns(2_999), "0.000002s");
/// ```
pub fn fmt_ns(ns: u64) -> String {
    format!("{}.{:06}s", ns / 1_000_000_000, ns % 1_000_000_000 / 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_seconds_with_six_decimals_truncating_below_the_microsecond() {
        assert_eq!(fmt_ns(0), "0.000000s");
        assert_eq!(fmt_ns(999), "0.000000s");
        assert_eq!(fmt_ns(1_000), "0.000001s");
        assert_eq!(fmt_ns(10_000_000_000), "10.000000s");
        assert_eq!(fmt_ns(123_456_789_012), "123.456789s");
        assert_eq!(fmt_ns(u64::MAX), "18446744073.709551s");
    }
}
