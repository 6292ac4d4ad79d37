//! Stabbing queries over a fixed set of closed time intervals.

/// A fixed set of closed intervals `[start, end]` (ns), sorted by start, answering in
/// O(log n) the two questions the properties ask of them.
pub(crate) struct Intervals {
    /// The starts, ascending.
    starts: Vec<u64>,
    /// `reach[k]`: the largest end among the intervals `0..=k` in start order.
    reach: Vec<u64>,
}

impl Intervals {
    pub(crate) fn new(intervals: impl IntoIterator<Item = (u64, u64)>) -> Intervals {
        let mut all: Vec<(u64, u64)> = intervals.into_iter().collect();
        all.sort_unstable();
        let starts = all.iter().map(|&(start, _)| start).collect();
        let reach = all
            .iter()
            .scan(0, |reach, &(_, end)| {
                *reach = end.max(*reach);
                Some(*reach)
            })
            .collect();
        Intervals { starts, reach }
    }

    /// The largest end among the intervals that start at or before `t`, if any does.
    pub(crate) fn reach_of_starts_by(&self, t: u64) -> Option<u64> {
        let started = self.starts.partition_point(|&s| s <= t);
        started.checked_sub(1).map(|last| self.reach[last])
    }

    /// Whether some interval meets `[from, to]`: starts at or before `to` and ends at or
    /// after `from`.
    pub(crate) fn meets(&self, from: u64, to: u64) -> bool {
        self.reach_of_starts_by(to).is_some_and(|end| end >= from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_is_the_largest_end_among_intervals_started_by_then() {
        let set = Intervals::new([(10, 50), (20, 30), (40, 45)]);
        assert_eq!(set.reach_of_starts_by(9), None);
        assert_eq!(set.reach_of_starts_by(10), Some(50));
        assert_eq!(set.reach_of_starts_by(45), Some(50));
        let set = Intervals::new([(20, 30), (10, 15)]);
        assert_eq!(set.reach_of_starts_by(19), Some(15));
        assert_eq!(set.reach_of_starts_by(20), Some(30));
    }

    #[test]
    fn meets_is_closed_interval_intersection() {
        let set = Intervals::new([(10, 20), (40, 50)]);
        assert!(set.meets(20, 30));
        assert!(set.meets(0, 10));
        assert!(set.meets(45, 46));
        assert!(!set.meets(21, 39));
        assert!(!set.meets(51, u64::MAX));
        assert!(!Intervals::new([]).meets(0, u64::MAX));
    }
}
