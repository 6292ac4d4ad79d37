//! Nothing but a build script: the simulation crate depends on this crate so that a
//! build without `--cfg madsim` stops within seconds, with one message naming the fix,
//! instead of failing minutes later with errors that never mention the cause.
#![forbid(unsafe_code)]
