//! Offline two-sided range queries: "summarize the points above x and below y".
//!
//! Several properties ask, for each of many calls, about the other calls whose two
//! times both lie beyond a bound (invoked after this one returned, and returned before
//! the next Create began, ...). Answered for all queries at once by a sweep over x and a
//! Fenwick tree over y, that costs O((points + queries) log points) instead of
//! O(points * queries).

/// Coordinates are times in ns widened to `i128`, so that a bound can sit beyond every
/// time: [`NEVER`] is later than any `u64` time, `u64::MAX` included.
pub(crate) const NEVER: i128 = u64::MAX as i128 + 1;

/// What a query learns about a set of points: a commutative monoid, so that the
/// summaries of disjoint sets combine in any order into the summary of their union.
pub(crate) trait Summary: Clone {
    /// The summary of no points.
    fn empty() -> Self;
    /// Makes `self` the summary of the union of its points and `other`'s.
    fn absorb(&mut self, other: &Self);
}

/// The earliest (smallest) index among the points, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Earliest(pub Option<usize>);

impl Summary for Earliest {
    fn empty() -> Self {
        Earliest(None)
    }

    fn absorb(&mut self, other: &Self) {
        self.0 = match (self.0, other.0) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

impl<A: Summary, B: Summary> Summary for (A, B) {
    fn empty() -> Self {
        (A::empty(), B::empty())
    }

    fn absorb(&mut self, other: &Self) {
        self.0.absorb(&other.0);
        self.1.absorb(&other.1);
    }
}

/// A point `(x, y)` with the summary of itself.
pub(crate) type Point<S> = (i128, i128, S);

/// For each query `(x_above, y_below)`, in order, the summary of the points with
/// `x > x_above` and `y < y_below`.
pub(crate) fn dominated<S: Summary>(points: &[Point<S>], queries: &[(i128, i128)]) -> Vec<S> {
    let mut ys: Vec<i128> = points.iter().map(|&(_, y, _)| y).collect();
    ys.sort_unstable();
    ys.dedup();
    let mut by_x: Vec<&Point<S>> = points.iter().collect();
    by_x.sort_unstable_by_key(|&&(x, _, _)| std::cmp::Reverse(x));
    let mut order: Vec<usize> = (0..queries.len()).collect();
    order.sort_unstable_by_key(|&q| std::cmp::Reverse(queries[q].0));

    let mut tree = vec![S::empty(); ys.len() + 1];
    let mut answers = vec![S::empty(); queries.len()];
    let mut added = by_x.iter().peekable();
    for q in order {
        let (x_above, y_below) = queries[q];
        while let Some((_, y, summary)) = added.next_if(|&&&(x, _, _)| x > x_above) {
            // Fenwick positions are 1-based ranks of y.
            let mut at = ys.partition_point(|v| v < y) + 1;
            while at < tree.len() {
                tree[at].absorb(summary);
                at += at & at.wrapping_neg();
            }
        }
        let mut below = ys.partition_point(|&v| v < y_below);
        while below > 0 {
            answers[q].absorb(&tree[below]);
            below &= below - 1;
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answers, by looking at every point for every query.
    fn naive(points: &[Point<Earliest>], queries: &[(i128, i128)]) -> Vec<Earliest> {
        queries
            .iter()
            .map(|&(xa, yb)| {
                let mut s = Earliest::empty();
                for (x, y, p) in points {
                    if *x > xa && *y < yb {
                        s.absorb(p);
                    }
                }
                s
            })
            .collect()
    }

    #[test]
    fn answers_as_looking_at_every_point_would() {
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) % n) as i128
        };
        for round in 0..200 {
            let points: Vec<Point<Earliest>> = (0..round % 17)
                .map(|i| (next(10), next(10), Earliest(Some(next(1000) as usize + i))))
                .collect();
            let mut queries: Vec<(i128, i128)> =
                (0..round % 13).map(|_| (next(12) - 1, next(12))).collect();
            queries.push((-1, NEVER));
            assert_eq!(dominated(&points, &queries), naive(&points, &queries));
        }
    }

    #[test]
    fn bounds_are_strict_and_never_is_beyond_every_time() {
        let points = [
            (5, 5, Earliest(Some(3))),
            (6, u64::MAX as i128, Earliest(Some(1))),
        ];
        let got = dominated(&points, &[(5, NEVER), (4, 5), (4, 6), (6, NEVER)]);
        let got: Vec<Option<usize>> = got.into_iter().map(|e| e.0).collect();
        assert_eq!(got, [Some(1), None, Some(3), None]);
    }
}
