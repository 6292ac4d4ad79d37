//! kata-dst's simulated world on madsim: the fake kata-agent and VMM, the shim nodes
//! running the runtime-rs model, containerd with `ctr` and CRI, the wires between them,
//! and the one pipeline every run goes through ([`run`]): a [`scenario::Scenario`] (the
//! article's script or a generated case) drives the world, the recorder keeps the
//! [`properties::History`], and a [`properties::Catalog`] of properties judges it.
//!
//! A user checks their own property by adding it to a catalog and handing that to a
//! campaign: see `examples/custom_property.rs`.
#![forbid(unsafe_code)]

pub mod agent;
pub mod batch;
pub mod bench;
pub mod clock;
pub mod containerd;
pub mod corpus;
pub mod cri;
pub mod ctr;
pub mod explore;
pub mod fault;
pub mod lanes;
pub mod latency;
pub mod log;
pub mod matrix;
pub mod net;
pub mod nodes;
pub mod pool;
pub mod publisher;
pub mod recorder;
pub mod replay;
pub mod reproduce;
pub mod run;
pub mod scenario;
pub mod shim;
pub mod timeline;
pub mod vmm;
pub mod world;
