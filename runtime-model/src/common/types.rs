//! `runtimes/common/src/types/`: the requests the shim's service layer hands to the runtime.

use std::time::SystemTime;

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
    /// An empty exec id, or one equal to the container id, names the init process
    /// (`ContainerProcess::new` upstream).
    pub fn new(container_id: &str, exec_id: &str) -> Self {
        let process_type = if exec_id.is_empty() || exec_id == container_id {
            ProcessType::Container
        } else {
            ProcessType::Exec
        };
        ContainerProcess {
            container_id: container_id.to_string(),
            exec_id: exec_id.to_string(),
            process_type,
        }
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
    ShutdownContainer(bool),
    PauseContainer,
    ResumeContainer,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_or_own_exec_id_is_the_init_process() {
        assert_eq!(
            ContainerProcess::new("c", "").process_type,
            ProcessType::Container
        );
        assert_eq!(
            ContainerProcess::new("c", "c").process_type,
            ProcessType::Container
        );
        assert_eq!(
            ContainerProcess::new("c", "e1").process_type,
            ProcessType::Exec
        );
    }

    #[test]
    fn status_discriminants_match_upstream() {
        assert_eq!(ProcessStatus::Unknown as i32, 0);
        assert_eq!(ProcessStatus::Stopped as i32, 3);
        assert_eq!(ProcessStatus::Pausing as i32, 5);
    }
}
