//! Lifecycle properties that judge the recorded history of one kata-dst run.
//!
//! The crate is pure: it never runs the simulation. A recorder in the simulator fills a
//! [`History`] (every Task API call containerd made to a shim, every event containerd
//! received, the final state of the world) and hands it to a [`Catalog`]: every
//! [`Property`] in it returns a [`Verdict`], every [`Sometimes`] situation says whether
//! the run reached it, and [`Catalog::judge`] gathers both into a [`Judgement`].
//! [`Catalog::builtin`] holds the built-in ones ([`builtin()`], [`builtin_sometimes()`]);
//! callers add their own.
//!
//! Each property's doc comment states its contract and where the contract comes from
//! (containerd's shim v2 contract, the reference shim containerd-shim-runc-v2, the Go Kata
//! shim, runtime-rs); [`Property::contract`] says the same in one line for reports.
//! Every built-in check runs in O(n log n) on a history of n calls and events
//! ([`ContainerIndex`] helps a new one do the same).
//!
//! `AUDIT.md`, beside this crate's `Cargo.toml`, maps every field of every Task API answer,
//! every error and every event to the property that checks it, or says why none is needed.
//!
//! # Adding a property
//!
//! Write one type that implements [`Property`]. For example, a property that a
//! successful Create answers a non-zero pid:
//!
//! ```
//! use properties::{Catalog, History, Op, Property, Verdict};
//!
//! /// A successful Create answers the task's pid, never 0.
//! ///
//! /// Contract: containerd shim v2, `CreateTaskResponse.pid` is the task's pid.
//! pub struct CreateAnswersPid;
//!
//! impl Property for CreateAnswersPid {
//!     fn name(&self) -> &'static str {
//!         "create_answers_pid"
//!     }
//!
//!     fn contract(&self) -> &'static str {
//!         "containerd shim v2: CreateTaskResponse.pid is the task's pid"
//!     }
//!
//!     fn check(&self, h: &History) -> Verdict {
//!         for (i, c) in h.calls.iter().enumerate() {
//!             if c.op == Op::Create && c.reply().is_some_and(|r| r.pid == 0) {
//!                 return Verdict::violation(format!("{} answered pid 0", h.describe(i)), vec![i]);
//!             }
//!         }
//!         Verdict::Pass
//!     }
//! }
//!
//! // Outside this crate: judge runs by the built-in catalog and this property.
//! let catalog = Catalog::builtin().with_property(Box::new(CreateAnswersPid));
//! # use properties::{Call, Outcome, Reply};
//! # let create = Call {
//! #     lane: 0,
//! #     container: "c".into(),
//! #     sandbox: "s".into(),
//! #     op: Op::Create,
//! #     invoked_ns: 0,
//! #     returned_ns: Some(10),
//! #     result: Outcome::Ok(Reply::default()),
//! #     listed_at_invoke: false,
//! #     direct: false,
//! # };
//! # let h = History { calls: vec![create], created_ids: ["c".to_string()].into(), ..History::default() };
//! let judgement = catalog.judge(&h);
//! assert_eq!(judgement.violation("create_answers_pid").unwrap().calls, [0]);
//! assert!(catalog.property("create_answers_pid").is_ok());
//! ```
//!
//! To make it built in instead, put it in a new file `src/builtin/<name>.rs` (with a
//! `mod <name>;` and a `pub use` in `src/builtin/mod.rs`) and add one line,
//! `Box::new(CreateAnswersPid),`, to the list in [`builtin()`]: [`Catalog::builtin`]
//! then holds it too.
//!
//! Give it unit tests in the same file: one hand-written history that passes and one
//! that violates it, built with the `properties::testing` builders (public with
//! the cargo feature `testing`). A [`Sometimes`] situation is added the same way, with
//! [`Catalog::with_sometimes`] or in [`builtin_sometimes()`].

#![forbid(unsafe_code)]

mod builtin;
mod catalog;
mod history;
mod index;
mod judgement;
mod property;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use builtin::*;
pub use catalog::{Catalog, UnknownName};
pub use history::{
    fmt_ns, Call, Code, Event, Failure, Fault, FaultKind, FinalState, GuestExit, History,
    Lifecycle, LifecycleEvent, Lock, Op, Outcome, Reply, StuckTask, TaskExit, TaskStatus, Waiting,
};
pub use index::ContainerIndex;
pub use judgement::{Judgement, Violation};
pub use property::{Property, Sometimes, Verdict};
