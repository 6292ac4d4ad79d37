//! Which cases of a campaign a run takes: a shard of its case indices, a bound on them,
//! and a wall-time budget.
//!
//! Shard `I/N` (1 <= I <= N) takes the case indices `i` with `i % N == I - 1`, in
//! increasing order: the shards `1/N .. N/N` of a campaign bounded by `--cases C` are
//! disjoint and together are exactly cases `0..C`, case for case (case `i` is a pure
//! function of the campaign and `i`). Strided rather than contiguous, so a shard cut short
//! by a budget still samples the whole range of indices.
//!
//! A budget only decides how many of the shard's cases run, never what a case does: the
//! cases that run are always the shard's first `k`, which [`Ran`] names so the run can be
//! repeated exactly with `--shard I/N --cases B`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Shard `index/count` of a campaign's case indices (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

impl Shard {
    /// The whole campaign: shard 1/1.
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Shard `index/count`, if `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// The case index of the shard's `k`-th case (from 0), if it fits in a u64.
    pub fn case_index(&self, k: u64) -> Option<u64> {
        k.checked_mul(self.count)?.checked_add(self.index - 1)
    }

    /// How many of the shard's cases are below case index `bound`.
    pub fn cases_below(&self, bound: u64) -> u64 {
        match bound.checked_sub(self.index - 1) {
            Some(n) if n > 0 => (n - 1) / self.count + 1,
            _ => 0,
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl serde::Serialize for Shard {
    /// As its `I/N` text.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        s.split_once('/')
            .and_then(|(i, n)| Shard::new(i.parse().ok()?, n.parse().ok()?))
            .ok_or_else(|| {
                format!(
                    "'{s}' is not a shard (valid: I/N with whole numbers 1 <= I <= N, such as 2/4)"
                )
            })
    }
}

/// The cases a campaign run takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub shard: Shard,
    /// Only case indices below this (None: no bound; then a budget or a stop ends it).
    pub cases: Option<u64>,
    /// Start no case once this much wall time has passed (the first case always runs).
    pub budget: Option<Duration>,
}

impl Plan {
    /// Cases `0..cases`, all of them.
    pub fn first(cases: u64) -> Plan {
        Plan {
            shard: Shard::WHOLE,
            cases: Some(cases),
            budget: None,
        }
    }

    /// How many cases the plan takes at most (None: unbounded).
    pub fn most(&self) -> Option<u64> {
        self.cases.map(|c| self.shard.cases_below(c))
    }
}

/// The cases a run took: the first `count` cases of `shard`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ran {
    pub shard: Shard,
    pub count: u64,
}

impl Ran {
    /// The `--cases` bound that, with `--shard`, takes exactly these cases again.
    pub fn bound(&self) -> u64 {
        match self.count.checked_sub(1) {
            Some(last) => self.shard.case_index(last).map_or(u64::MAX, |i| i + 1),
            None => 0,
        }
    }
}

impl fmt::Display for Ran {
    /// `N cases (every case index below B)` or, for a shard,
    /// `N cases (shard I/N: indices i < B with i % N == I-1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = self.bound();
        if self.shard == Shard::WHOLE {
            write!(f, "{} cases (indices 0..{bound})", self.count)
        } else {
            write!(
                f,
                "{} cases (shard {}: indices i < {bound} with i % {} == {})",
                self.count,
                self.shard,
                self.shard.count,
                self.shard.index - 1
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_is_not_one() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse(), Ok(Shard::WHOLE));
        for bad in ["3/2", "0/0", "0/3", "a/b", "2", "1/", "/1", "-1/2", "1/2/3"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(&format!("'{bad}' is not a shard")), "{err}");
        }
    }

    #[test]
    fn the_shards_of_a_bound_partition_its_indices() {
        for count in 1..=5 {
            for bound in 0..=23 {
                let mut all: Vec<u64> = (1..=count)
                    .flat_map(|i| {
                        let s = Shard::new(i, count).unwrap();
                        let n = s.cases_below(bound);
                        (0..n).map(move |k| s.case_index(k).unwrap())
                    })
                    .collect();
                assert!(all.iter().all(|&i| i < bound));
                all.sort();
                assert_eq!(
                    all,
                    (0..bound).collect::<Vec<_>>(),
                    "{count} shards of {bound}"
                );
            }
        }
    }

    #[test]
    fn a_run_names_the_bound_that_takes_its_cases_again() {
        let shard = Shard::new(2, 3).unwrap();
        let ran = Ran { shard, count: 4 };
        assert_eq!(ran.bound(), 11);
        assert_eq!(shard.cases_below(ran.bound()), 4);
        assert_eq!(
            ran.to_string(),
            "4 cases (shard 2/3: indices i < 11 with i % 3 == 1)"
        );
        assert_eq!(
            Ran {
                shard: Shard::WHOLE,
                count: 7
            }
            .to_string(),
            "7 cases (indices 0..7)"
        );
        assert_eq!(Ran { shard, count: 0 }.bound(), 0);
    }
}
