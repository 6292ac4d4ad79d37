//! `service/src`: the shim's ttrpc services.

pub mod task_service;

pub use task_service::{ServiceReply, TaskHandler, TaskService, TASK_SERVICE};
