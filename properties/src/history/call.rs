//! One client call to the shim's Task API, as containerd made it, and what came back.

use std::fmt;

use super::clock::fmt_ns;
use super::op::Op;
use super::outcome::{Code, Failure, Outcome, Reply};

/// One client call to the shim's Task API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Which concurrent client issued it; [`Call::FIXTURE_LANE`] for a call no client
    /// lane made (the CRI plugin's pod setup and exit monitors).
    pub lane: u32,
    /// The task (container) id.
    pub container: String,
    /// The sandbox whose shim got the call.
    pub sandbox: String,
    /// The operation.
    pub op: Op,
    /// Simulated time of invocation, in ns since the run started.
    pub invoked_ns: u64,
    /// Simulated time of return; `None` if it never returned before the run ended.
    pub returned_ns: Option<u64>,
    /// What came back.
    pub result: Outcome,
    /// Whether containerd held `container` in its task list when it decided to make the
    /// call: when the call was invoked, or, for a State made by a List, when the List
    /// took its snapshot of the task list.
    pub listed_at_invoke: bool,
    /// Whether a client sent the call straight to the shim's socket (as `ctr shim` does),
    /// by-passing containerd; otherwise containerd made it.
    pub direct: bool,
}

impl Call {
    /// The lane of the calls no client lane made: the CRI plugin's pod setup and exit
    /// monitors.
    pub const FIXTURE_LANE: u32 = u32::MAX;

    /// The end of the call's interval `[invoked_ns, end_ns()]`: its return time, or
    /// `u64::MAX` (forever) if it never returned.
    ///
    /// ```
    /// # use properties::{Call, Op, Outcome};
    /// # fn call(invoked_ns: u64, returned_ns: Option<u64>) -> Call {
    /// #     Call { lane: 0, container: "c".into(), sandbox: "s".into(), op: Op::State,
    /// #            invoked_ns, returned_ns, result: Outcome::Pending, listed_at_invoke: false,
    /// #            direct: false }
    /// # }
    /// assert_eq!(call(10, Some(20)).end_ns(), 20);
    /// assert_eq!(call(10, None).end_ns(), u64::MAX);
    /// ```
    pub fn end_ns(&self) -> u64 {
        self.returned_ns.unwrap_or(u64::MAX)
    }

    /// Whether this call returned strictly before `later` was invoked: real-time order,
    /// the only order between two calls that a client can observe. Calls that share an
    /// instant, or of which one never returned, do not precede each other that way.
    ///
    /// ```
    /// # use properties::{Call, Op, Outcome};
    /// # fn call(invoked_ns: u64, returned_ns: Option<u64>) -> Call {
    /// #     Call { lane: 0, container: "c".into(), sandbox: "s".into(), op: Op::State,
    /// #            invoked_ns, returned_ns, result: Outcome::Pending, listed_at_invoke: false,
    /// #            direct: false }
    /// # }
    /// let (a, b) = (call(0, Some(10)), call(11, Some(20)));
    /// assert!(a.precedes(&b) && !b.precedes(&a));
    /// assert!(!a.precedes(&call(10, Some(20)))); // touching at 10 ns: overlapping
    /// assert!(!call(0, None).precedes(&b)); // never returned
    /// ```
    pub fn precedes(&self, later: &Call) -> bool {
        self.returned_ns.is_some_and(|r| r < later.invoked_ns)
    }

    /// The answer, if the call succeeded (`Outcome::Ok`); `None` for an error, a closed
    /// connection, a client timeout or a call still pending.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.result {
            Outcome::Ok(reply) => Some(reply),
            _ => None,
        }
    }

    /// The ttrpc status code, if the shim answered with an error status; `None` for a
    /// success, a closed connection, a client timeout or a call still pending.
    pub fn status_code(&self) -> Option<Code> {
        match &self.result {
            Outcome::Err(Failure::Status { code, .. }) => Some(*code),
            _ => None,
        }
    }
}

/// `lane 3 State c [0.000001s .. 0.000002s] -> Unknown: <message>`: the lane (`cri` for
/// [`Call::FIXTURE_LANE`]), the operation, the container, the interval in seconds since the run started (`never`
/// for a return that did not come) and the [`Outcome`].
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let returned = self.returned_ns.map_or_else(|| "never".to_string(), fmt_ns);
        let lane = if self.lane == Call::FIXTURE_LANE {
            "cri".to_string()
        } else {
            self.lane.to_string()
        };
        write!(
            f,
            "lane {lane} {} {} [{} .. {returned}] -> {}",
            self.op,
            self.container,
            fmt_ns(self.invoked_ns),
            self.result
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn display_prints_seconds_and_the_outcome_once() {
        let failed = call(KILL9, "c", 1_000, 2_000).lane(3).fails(Code::Unknown);
        assert_eq!(
            failed.to_string(),
            "lane 3 Kill(9, all) c [0.000001s .. 0.000002s] -> Unknown: Unknown"
        );
        let pending = call(Op::Wait, "c", 1_500_000_000, 0).pending();
        assert_eq!(
            pending.to_string(),
            "lane 0 Wait c [1.500000s .. never] -> pending"
        );
    }
}
