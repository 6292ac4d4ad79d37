//! `runtimes/common/src/types/`: the requests the shim's service layer hands to the runtime.

use std::time::SystemTime;

use anyhow::{Context, Result};

/// A process id as the runtime reports it (the shim's own pid in 3.24.0).
pub type Pid = u32;

/// The kind of process a [`ContainerProcess`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessType {
    Container,
    Exec,
}

/// `ContainerProcess{container_id, exec_id, process_type}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContainerProcess {
    pub container_id: String,
    pub exec_id: String,
    pub process_type: ProcessType,
}

impl ContainerProcess {
    /// `ContainerProcess::new` (`runtimes/common/src/types/mod.rs:113-126`): an empty exec
    /// id, or one equal to the container id, names the init process and is stored empty;
    /// any other exec id is verified ("verify exec id"), then the container id ("verify
    /// container id", `ContainerID::new`, 91-97).
    pub fn new(container_id: &str, exec_id: &str) -> Result<Self> {
        let (exec_id, process_type) = if exec_id.is_empty() || exec_id == container_id {
            (String::new(), ProcessType::Container)
        } else {
            verify_id(exec_id).context("verify exec id")?;
            (exec_id.to_string(), ProcessType::Exec)
        };
        verify_id(container_id).context("verify container id")?;
        Ok(ContainerProcess {
            container_id: container_id.to_string(),
            exec_id,
            process_type,
        })
    }

    /// The init process of a container the runtime already holds (its id was verified
    /// when the request carrying it was translated).
    pub fn init(container_id: &str) -> Self {
        ContainerProcess {
            container_id: container_id.to_string(),
            exec_id: String::new(),
            process_type: ProcessType::Container,
        }
    }
}

/// The id is not a valid container or exec id.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error("invalid container ID {0}")]
pub struct InvalidContainerId(pub String);

/// `validate::verify_id` (`libs/kata-sys-util/src/validate.rs:17-28`): an alphanumeric
/// first character, then at least one more of alphanumerics, `.`, `-` and `_`.
pub fn verify_id(id: &str) -> Result<(), InvalidContainerId> {
    let mut chars = id.chars();
    let valid = matches!(chars.next(), Some(first) if first.is_alphanumeric()
        && id.len() > 1
        && chars.all(|c| c.is_alphanumeric() || ['.', '-', '_'].contains(&c)));
    if valid {
        Ok(())
    } else {
        Err(InvalidContainerId(id.to_string()))
    }
}

/// `ProcessStatus`, with upstream's discriminants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ProcessStatus {
    #[default]
    Unknown = 0,
    Created = 1,
    Running = 2,
    Stopped = 3,
    Paused = 4,
    Pausing = 5,
}

/// `ProcessExitStatus{exit_code, exit_time}`; the default is (0, None).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ProcessExitStatus {
    pub exit_code: i32,
    pub exit_time: Option<SystemTime>,
}

/// `ProcessStateInfo`, the answer of State and Delete.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProcessStateInfo {
    pub container_id: String,
    pub exec_id: String,
    pub pid: Pid,
    pub bundle: String,
    pub stdin: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub terminal: bool,
    pub status: ProcessStatus,
    pub exit_status: i32,
    pub exited_at: Option<SystemTime>,
}

/// `ContainerConfig`, what CreateContainer carries.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ContainerConfig {
    pub container_id: String,
    pub bundle: String,
    pub terminal: bool,
    pub stdin: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// `KillRequest{process, signal, all}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillRequest {
    pub process: ContainerProcess,
    pub signal: u32,
    pub all: bool,
}

/// `ShutdownRequest{container_id, is_now}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShutdownRequest {
    pub container_id: String,
    pub is_now: bool,
}

/// `TaskRequest`: the requests the modelled handlers serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskRequest {
    CreateContainer(ContainerConfig),
    DeleteProcess(ContainerProcess),
    KillProcess(KillRequest),
    WaitProcess(ContainerProcess),
    StartProcess(ContainerProcess),
    StateProcess(ContainerProcess),
    ShutdownContainer(ShutdownRequest),
    PauseContainer(ContainerProcess),
    ResumeContainer(ContainerProcess),
    ConnectContainer(ContainerProcess),
}

impl TaskRequest {
    /// The container the request is about.
    pub fn container_id(&self) -> &str {
        match self {
            TaskRequest::CreateContainer(c) => &c.container_id,
            TaskRequest::KillProcess(k) => &k.process.container_id,
            TaskRequest::ShutdownContainer(s) => &s.container_id,
            TaskRequest::DeleteProcess(p)
            | TaskRequest::WaitProcess(p)
            | TaskRequest::StartProcess(p)
            | TaskRequest::StateProcess(p)
            | TaskRequest::PauseContainer(p)
            | TaskRequest::ResumeContainer(p)
            | TaskRequest::ConnectContainer(p) => &p.container_id,
        }
    }
}

/// `TaskResponse`, one variant per [`TaskRequest`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskResponse {
    CreateContainer(Pid),
    DeleteProcess(ProcessStateInfo),
    KillProcess,
    WaitProcess(ProcessExitStatus),
    StartProcess(Pid),
    StateProcess(ProcessStateInfo),
    ShutdownContainer(ShimExit),
    PauseContainer,
    ResumeContainer,
    ConnectContainer(ConnectPids),
}

/// What a Connect answers, as the shim writes it into `ConnectResponse`: its own pid and
/// the task's (0 when it sets none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectPids {
    pub shim_pid: Pid,
    pub task_pid: Pid,
}

/// What a Shutdown does to the shim process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShimExit {
    /// The shim keeps serving.
    Stay,
    /// The shim answers, then exits.
    AfterReply,
    /// The shim exits without answering (Go's `os.Exit(0)` inside Shutdown).
    WithoutReply,
}

/// The TaskExit event the runtime publishes to containerd (`TaskExit` in
/// containerd's `events/task.proto`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskExit {
    pub container_id: String,
    pub id: String,
    pub pid: Pid,
    pub exit_status: i32,
    pub exited_at: Option<SystemTime>,
}

/// An event the shim publishes, as it puts it into its event channel (runtime-rs
/// `Message::new(Action::Event(..))` on `msg_sender`; the Go shims' `s.send`), with the
/// fields of containerd's `events/task.proto` message the model fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskEvent {
    /// `TaskCreate { container_id, bundle, pid }`.
    Create {
        container_id: String,
        bundle: String,
        pid: Pid,
    },
    /// `TaskStart { container_id, pid }`.
    Start { container_id: String, pid: Pid },
    /// `TaskDelete { container_id, pid, exit_status, exited_at }`.
    Delete {
        container_id: String,
        pid: Pid,
        exit_status: i32,
        exited_at: Option<SystemTime>,
    },
    /// `TaskExit`.
    Exit(TaskExit),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_own_exec_id_is_the_init_process() {
        let p = |c, e| ContainerProcess::new(c, e).unwrap();
        assert_eq!(p("c1", ""), ContainerProcess::init("c1"));
        assert_eq!(p("c1", "c1"), ContainerProcess::init("c1"));
        assert_eq!(p("c1", "e1").process_type, ProcessType::Exec);
    }

    #[test]
    fn ids_are_verified_as_upstream_does() {
        assert!(verify_id("pod1-c1.x_2").is_ok());
        for bad in ["", "c", "-c1", "c/1"] {
            assert_eq!(verify_id(bad), Err(InvalidContainerId(bad.to_string())));
        }
        let err = ContainerProcess::new("c", "").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "verify container id: invalid container ID c"
        );
        let err = ContainerProcess::new("c1", "-e").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "verify exec id: invalid container ID -e"
        );
    }

    #[test]
    fn status_discriminants_match_upstream() {
        assert_eq!(ProcessStatus::Unknown as i32, 0);
        assert_eq!(ProcessStatus::Stopped as i32, 3);
        assert_eq!(ProcessStatus::Pausing as i32, 5);
    }
}
