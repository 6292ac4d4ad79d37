//! Indexes built once from a [`History`](crate::History) so that checks over large
//! histories (tens of thousands of calls) run in O(n log n) rather than comparing every
//! pair of calls.

mod container_index;
mod dominance;
mod intervals;

pub use container_index::ContainerIndex;
pub(crate) use dominance::{dominated, Earliest, Point, Summary, NEVER};
pub(crate) use intervals::Intervals;
