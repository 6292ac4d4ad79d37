//! Profiles: named sets of behaviour switches.
//!
//! The model follows runtime-rs 3.24.0 by default. Every way another version (or the Go
//! shim, which runtime-rs is compared with) behaves differently is ONE switch here, and the
//! model branches on the switch at the one place upstream differs. Each switch names the
//! upstream commit, PR or file it stands for.
//!
//! Two lists: [`Profile::ALL`] is what the main job (`kata-dst` with no command) runs,
//! kept to the three profiles of the article's table so that job stays fast;
//! [`Profile::EVERY`] is every built-in profile, which names resolve against and which the
//! matrix, the corpus and the verdict tests cover.

use std::fmt;

/// What `state_process` answers when the id is not in the container map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingContainerState {
    /// `Error::ContainerNotFound(id)` (runtime-rs 3.24.0,
    /// `virt_container/src/container_manager/manager.rs`, `state_process`).
    Error,
    /// Warn `Container not found in state query, returning stopped state` and answer a
    /// synthetic Stopped state with pid 0 and exit status 0 (kata-containers PR #12337,
    /// proposed for issue #12336; closed, never merged).
    SyntheticStopped,
    /// The sandbox's own id answers a synthetic Running state with the VMM pid; any other
    /// missing id is `Error::ContainerNotFound` (runtime-rs 3.25.0, PR #12167, commit
    /// 5b7e1cdaad, `manager.rs` `state_process`: the check is `container_id == sid`, so
    /// it applies with the Task API too).
    SandboxRunning,
}

/// How the ttrpc service layer turns a handler error into a ttrpc status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorMapping {
    /// Every error becomes `ttrpc::Error::Others(format!("failed to handle message {:?}", err))`,
    /// sent as status UNKNOWN (runtime-rs `service/src/task_service.rs`).
    OthersUnknown,
    /// A missing container is gRPC NotFound `container does not exist <id>: not found`; an
    /// error whose root cause says "not found" or "not exist" is NotFound with that text
    /// (Go `errors.go` toGRPC, `isNotFound`); other errors
    /// keep their text with code UNKNOWN (Go shim, `containerd-shim-v2/service.go`, errdefs).
    GoErrdefs,
}

/// Where `delete_process` removes the container from the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteOrder {
    /// Remove first, under the map's write lock, then poststop hooks and the state read
    /// (runtime-rs 3.24.0 `VirtContainerManager::delete_process`).
    RemoveFirst,
    /// Stop the container if not stopped, remove it in the VM, poststop hooks (warn only),
    /// and remove the map entry as the LAST step (Go shim `deleteContainer` in
    /// `containerd-shim-v2/delete.go`).
    RemoveLast,
}

/// Who signals a process's exit to Wait and publishes its TaskExit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiters {
    /// The exit watcher drops its sender; a `VirtSandbox::wait_process` waiter spawned at
    /// CreateContainer and ANOTHER spawned at StartProcess each publish a TaskExit
    /// (runtime-rs 3.24.0 `runtimes/src/manager.rs:446,561`).
    CreateAndStart,
    /// No waiter task: the one exit watcher, started by a successful Start, puts the exit
    /// code in the container's one-slot exit channel under `s.mu` (`wait.go:94`) and then
    /// publishes the TaskExit itself (`cReap`, `wait.go:97`, `utils.go:24`); Wait takes
    /// the code from the channel and puts it back (`service.go:1095-1099`); a failed
    /// Start puts 255 in it (`start.go:20-25`). A put waits while the slot is full
    /// (Go shim 3.24.0, `container.go:65`: `make(chan uint32, 1)`).
    WatcherReaps,
}

/// Which program serves the shim v2 Task API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// Kata's shim: `runtimes::RuntimeHandlerManager` (runtime-rs, or the Go shim through
    /// the switches below).
    Kata,
    /// containerd's reference shim, containerd-shim-runc-v2 (containerd 1.7.34
    /// `runtime/v2/runc/task/service.go`): `reference_shim::Service`. None of the Kata
    /// switches below applies to it.
    RuncV2,
}

/// What Kill does when the container is missing or the agent's signal fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillRules {
    /// A missing container is ContainerNotFound; every agent error is logged and dropped
    /// (runtime-rs 3.24.0 `virt_container/src/container_manager/manager.rs`,
    /// `kill_process`).
    LogAndDrop,
    /// A missing container with SIGKILL or SIGTERM answers Ok with the warning `Signal {}
    /// ignored due to container not existing` (other signals: ContainerNotFound); a
    /// closed agent connection or an already terminated process is Ok for SIGKILL and
    /// SIGTERM; every other agent error PROPAGATES (runtime-rs 3.25.0, PR #12167, commit
    /// 5b7e1cdaad, `manager.rs` `kill_process`).
    TolerateTermSignals,
}

/// Which pid Create, Start, State and TaskExit carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidSource {
    /// The shim's own pid (runtime-rs 3.24.0 `VirtContainerManager.pid`).
    ShimPid,
    /// The VMM master thread id (runtime-rs 3.30.0, PR #12899, commit 3ad2de584f "return
    /// hypervisor PID from container manager methods"; the Go shim answers the
    /// hypervisor pid `s.hpid` throughout, `service.go:152`).
    VmmMasterTid,
}

/// What Shutdown decides and how the shim ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownRule {
    /// `need_shutdown_sandbox` (`is_now`, the sandbox id, or (see `shutdown_when_empty`)
    /// an empty map) -> `sandbox.shutdown()`, answer, then the shim exits (runtime-rs
    /// 3.24.0 `runtimes/src/manager.rs:561`).
    NeedShutdownSandbox,
    /// A no-op while any container remains, whatever the id or `now`; otherwise SIGKILL
    /// the VMM and `os.Exit(0)` WITHOUT answering (Go shim `service.go:960-999`).
    NoContainerLeft,
}

/// How a reply's exit time is written while the process has not exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsetExitTime {
    /// The field is left unset (runtime-rs 3.24.0 `service/src/task_service.rs`: the
    /// state's `exited_at` is an `Option` mapped into the reply).
    Omitted,
    /// Go's zero `time.Time` (0001-01-01T00:00:00Z) written through `timestamppb.New`: the
    /// Go shim's State, Delete and Wait (`containerd-shim-v2/service.go:552,684,1114`)
    /// and the reference shim (containerd 1.7.34 `runtime/v2/runc/task/service.go`,
    /// `protobuf.ToTimestamp`). containerd reads it back as the zero time, "no exit".
    GoZeroTime,
}

/// How the shim's events reach containerd: the program's event channel and the publisher
/// that drains it into containerd's Events.Forward. The model sends its events into the
/// channel; the simulation (`sim/src/publisher/`) plays the publisher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventPublisher {
    /// runtime-rs: `msg_sender` (8 messages, `MESSAGE_BUFFER_SIZE`) is read by the service
    /// manager's loop (`service/src/manager.rs:96-104`), which stamps each event's envelope
    /// (`event.rs:70-92`) and hands it to containerd-shim 0.10's `RemotePublisher`
    /// (`asynchronous/publisher.rs`): a queue of 1024 worked in order, each Forward with no
    /// deadline; a failed one is requeued behind newer events after n s (n = its attempt)
    /// and dropped after its sixth attempt.
    ShimCrate,
    /// The Go Kata shim: `s.events` (128, `service.go:55`) is read by
    /// `containerdForwarder.forward` (`event_forwarder.go`), which calls containerd
    /// 1.7.29's `RemoteEventsPublisher.Publish` (`runtime/v2/shim/publisher.go:109-134`)
    /// with a 5 s context it cancels as soon as Publish returns. One inline Forward (5 s);
    /// on failure the event is requeued after n s (`queue`, 99-107), and every requeued
    /// Forward runs on that cancelled context: ttrpc 1.2.7 writes the request to the
    /// socket before it looks at the context (`client.go:532-545`), so each copy is
    /// sent and reported failed at once, five times (`processQueue`, 84-97).
    GoKata,
    /// containerd-shim-runc-v2: `s.events` (128) is read by `forward` (containerd 1.7.34
    /// `runtime/v2/runc/task/service.go:782-792`) on a background context: the same
    /// publisher, but every requeued Forward has its own 5 s deadline.
    GoRunc,
}

impl EventPublisher {
    /// The capacity of the program's event channel: a sender waits while it is full.
    pub fn channel_capacity(self) -> usize {
        match self {
            EventPublisher::ShimCrate => 8,
            EventPublisher::GoKata | EventPublisher::GoRunc => 128,
        }
    }
}

/// Which task lifecycle events (TaskCreate, TaskStart, TaskDelete) the Kata shim
/// publishes besides TaskExit, and how. (containerd-shim-runc-v2 publishes all three,
/// with its own ordering: `reference_shim`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleEvents {
    /// None: runtime-rs 3.24.0 publishes TaskExit only.
    None,
    /// Each handler sends its event once its work is done, `msg_sender.send(..).await` on
    /// the 8-slot channel; a failed send fails the request after the state changed
    /// (runtime-rs 3.28.0, PR #12513, commits d2613025b7, 499e18c876, 2149fc0eee; main
    /// `runtimes/src/manager.rs:553-564, 669-679, 749-758`). TaskStart is queued after
    /// the waiter is spawned.
    SentByHandler,
    /// The Go shim queues TaskCreate in Create (`service.go:444`) and TaskDelete in Delete
    /// (543) under `s.mu`; Start holds `eventSendMu` from its beginning until TaskStart is
    /// queued (485-495), and the exit watcher queues TaskExit under it (`sendL`, 1133),
    /// so no TaskExit is queued while a Start is under way.
    GoEventSendMu,
}

/// A named set of behaviour switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub program: Program,
    pub missing_container_state: MissingContainerState,
    pub error_mapping: ErrorMapping,
    /// One service mutex held for the whole of every Task handler (Go shim `s.mu`,
    /// `containerd-shim-v2/service.go`); runtime-rs has none.
    pub service_mutex: bool,
    pub delete_order: DeleteOrder,
    /// The exit watcher publishes exit code, exit time and Stopped together under one lock
    /// (Go shim `wait.go` under `s.mu`, with the exit time stamped when the wait returned,
    /// before the lock). runtime-rs stamps the time after stop_process and writes them
    /// through separate locks, and `Process::state` reads them through separate locks, so
    /// a State can see them torn.
    pub exit_state_atomic: bool,
    /// Stopping a container accepts it Created, Running or Paused (Go: virtcontainers
    /// `Container.stop` allows every transition to Stopped, called by `wait.go` with
    /// force and by `delete.go`). runtime-rs's `stop_process` demands Running, so a
    /// paused container whose process exits is never cleaned up.
    pub stop_any_status: bool,
    /// A Create for an id the sandbox already holds fails `Duplicated container: <id>`
    /// after the agent's CreateContainer, with no rollback (Go: virtcontainers
    /// `sandbox.go:1539-1545`, `addContainer` 1506). runtime-rs 3.24's create_container
    /// inserts over the existing entry (containerd refuses such a Create first, so only a
    /// client calling the shim directly reaches it).
    pub refuse_duplicate_id: bool,
    pub waiters: Waiters,
    pub kill_rules: KillRules,
    /// When agent wait_process fails the exit watcher records exit code 255 and goes on;
    /// a missing container is logged and the watcher goes on; the exit code and Stopped
    /// are always written (runtime-rs 3.25.0, PR #12167, commit 5b7e1cdaad,
    /// `process.rs` `run_io_wait`). 3.24.0 logs and returns on both.
    pub exit_watcher_recovers: bool,
    /// `need_shutdown_sandbox` is also true when the container map is empty (3.24.0
    /// `manager.rs`); runtime-rs 3.32.0 drops that clause (PR #12957, commit 3358c7634b).
    pub shutdown_when_empty: bool,
    pub pid_source: PidSource,
    /// A Shutdown that finds no runtime instance still ends the shim (runtime-rs 3.32.0,
    /// PR #13156, commit 80e2473440 "shut down shim daemon on a failed create"); 3.24.0
    /// answers `runtime not ready`.
    pub shutdown_without_instance: bool,
    pub shutdown_rule: ShutdownRule,
    /// Pause of a container that is not running, or Resume of one that is not paused,
    /// fails (Go: virtcontainers `container.go:1554-1580`, "Container not running,
    /// impossible to pause" / "Container not paused, impossible to resume"). runtime-rs
    /// warns and answers Ok (`container.rs:490,510`).
    pub pause_wrong_state_fails: bool,
    /// A Wait on the sandbox container stops the sandbox (runtime-rs
    /// `runtimes/src/manager.rs:561`, WaitProcess arm). The Go shim's Wait never does
    /// (`service.go:1071-1120`).
    pub wait_stops_sandbox: bool,
    /// A Start refused by the state check (the container is neither Created nor Stopped)
    /// stops the container, as every Start failure does in runtime-rs
    /// (`container.rs:293`, `start`: any `start_container` error -> `stop_process`). Go
    /// refuses it without stopping anything; only an agent failure stops (virtcontainers
    /// `container.go:1322-1337`).
    pub refused_start_stops: bool,
    pub unset_exit_time: UnsetExitTime,
    pub event_publisher: EventPublisher,
    /// The sandbox's start spawns runtime-rs's health monitor, which checks the agent
    /// every 30 s and ends the shim process when a check fails (3.24.0
    /// `virt_container/src/health_check.rs`, started at `sandbox.rs:735`). The Go shim's
    /// own monitor (virtcontainers `monitor.go`) is not modelled.
    pub health_monitor: bool,
    /// Connect answers the task's pid (`connect_container`'s, per `pid_source`) as
    /// `task_pid` and the shim process's own as `shim_pid` (runtime-rs 3.30.0, PR #12899,
    /// commit b1393f03c4 "fix ConnectResponse to set both shim_pid and task_pid", issue
    /// #9340; the Go shim answers `s.pid` and `s.hpid`, `service.go:938-958`). 3.24.0
    /// writes `connect_container`'s pid as `shim_pid` and leaves `task_pid` 0
    /// (`trans_into_shim.rs:313-328`), which containerd's Create then answers
    /// (`services/tasks/local.go:254`, `shimTask.PID`).
    pub connect_answers_task_pid: bool,
    /// `VirtSandbox::stop` reads the state without holding the sandbox's lock, stops the
    /// VM and waits for its exit, which records Stopped (runtime-rs 3.32.0, PR #12957,
    /// commit 2b980b3a34; PR #12293, commit 3095bd379b). 3.24.0 holds the write lock
    /// across the VM's stop.
    pub sandbox_stop_unlocked: bool,
    /// A Wait on the sandbox container also cleans the sandbox up (hypervisor, resources),
    /// and a cleanup runs once whoever calls it (runtime-rs 4.0.0, PR #13139, commit
    /// 478970131c; main `sandbox.rs:1369-1378`).
    pub cleanup_once: bool,
    /// Start of a container first rescans the pod's network, an await with no lock held
    /// (runtime-rs 3.30.0, PR #12899, commit 19bb8746f8).
    pub rescan_network_before_start: bool,
    pub lifecycle_events: LifecycleEvents,
}

impl Profile {
    /// runtime-rs as released in Kata Containers 3.24.0 (tag 3.24.0, commit c7d0c270ee).
    pub const RS_3_24: Profile = Profile {
        name: "rs-3.24",
        program: Program::Kata,
        missing_container_state: MissingContainerState::Error,
        error_mapping: ErrorMapping::OthersUnknown,
        service_mutex: false,
        delete_order: DeleteOrder::RemoveFirst,
        exit_state_atomic: false,
        stop_any_status: false,
        refuse_duplicate_id: false,
        waiters: Waiters::CreateAndStart,
        kill_rules: KillRules::LogAndDrop,
        exit_watcher_recovers: false,
        shutdown_when_empty: true,
        pid_source: PidSource::ShimPid,
        shutdown_without_instance: false,
        shutdown_rule: ShutdownRule::NeedShutdownSandbox,
        pause_wrong_state_fails: false,
        wait_stops_sandbox: true,
        refused_start_stops: true,
        unset_exit_time: UnsetExitTime::Omitted,
        event_publisher: EventPublisher::ShimCrate,
        health_monitor: true,
        connect_answers_task_pid: false,
        sandbox_stop_unlocked: false,
        cleanup_once: false,
        rescan_network_before_start: false,
        lifecycle_events: LifecycleEvents::None,
    };

    /// 3.24.0 plus PR #12337's synthetic stopped state for a missing container.
    pub const RS_3_24_PR12337: Profile = Profile {
        name: "rs-3.24+pr12337",
        missing_container_state: MissingContainerState::SyntheticStopped,
        ..Profile::RS_3_24
    };

    /// The Go shim (`src/runtime/pkg/containerd-shim-v2`, 3.24.0).
    pub const GO_3_24: Profile = Profile {
        name: "go-3.24",
        program: Program::Kata,
        missing_container_state: MissingContainerState::Error,
        error_mapping: ErrorMapping::GoErrdefs,
        service_mutex: true,
        delete_order: DeleteOrder::RemoveLast,
        exit_state_atomic: true,
        stop_any_status: true,
        refuse_duplicate_id: true,
        waiters: Waiters::WatcherReaps,
        kill_rules: KillRules::LogAndDrop,
        exit_watcher_recovers: false,
        shutdown_when_empty: true,
        pid_source: PidSource::VmmMasterTid,
        shutdown_without_instance: false,
        shutdown_rule: ShutdownRule::NoContainerLeft,
        pause_wrong_state_fails: true,
        wait_stops_sandbox: false,
        refused_start_stops: false,
        unset_exit_time: UnsetExitTime::GoZeroTime,
        event_publisher: EventPublisher::GoKata,
        health_monitor: false,
        connect_answers_task_pid: true,
        sandbox_stop_unlocked: false,
        cleanup_once: false,
        rescan_network_before_start: false,
        lifecycle_events: LifecycleEvents::GoEventSendMu,
    };

    /// runtime-rs at kata-containers main (~4.1, commit 7c6ba40c54): 3.24.0 with every
    /// later change the model has a switch for, each naming its release and PR.
    /// Unchanged at main: Delete is still remove-first, two waiters per container.
    pub const RS_MAIN: Profile = Profile {
        name: "rs-main",
        missing_container_state: MissingContainerState::SandboxRunning,
        kill_rules: KillRules::TolerateTermSignals,
        exit_watcher_recovers: true,
        shutdown_when_empty: false,
        pid_source: PidSource::VmmMasterTid,
        shutdown_without_instance: true,
        connect_answers_task_pid: true,
        sandbox_stop_unlocked: true,
        cleanup_once: true,
        rescan_network_before_start: true,
        lifecycle_events: LifecycleEvents::SentByHandler,
        ..Profile::RS_3_24
    };

    /// containerd's reference shim, containerd-shim-runc-v2 (containerd 1.7.34): the
    /// judge of the properties. Only `program`, `unset_exit_time` and `event_publisher` matter; the Kata
    /// switches keep 3.24.0's values and are never read.
    pub const RUNC_V2: Profile = Profile {
        name: "runc-v2",
        program: Program::RuncV2,
        unset_exit_time: UnsetExitTime::GoZeroTime,
        event_publisher: EventPublisher::GoRunc,
        ..Profile::RS_3_24
    };

    /// The profiles the main job runs, in the order reports list them: the article's
    /// table (runtime-rs 3.24, PR #12337, the Go shim). Kept short: the main job runs
    /// every one over 40 article seeds.
    pub const ALL: [Profile; 3] = [Profile::RS_3_24, Profile::RS_3_24_PR12337, Profile::GO_3_24];

    /// Every built-in profile, in the order reports list them: [`Profile::ALL`], then
    /// runtime-rs main and the reference shim. Names resolve against this list; the
    /// matrix, the corpus and the verdict tests cover it.
    pub const EVERY: [Profile; 5] = [
        Profile::RS_3_24,
        Profile::RS_3_24_PR12337,
        Profile::GO_3_24,
        Profile::RS_MAIN,
        Profile::RUNC_V2,
    ];

    /// Looks a profile up by name.
    pub fn by_name(name: &str) -> Option<Profile> {
        Profile::EVERY.into_iter().find(|p| p.name == name)
    }

    /// The valid names, for error messages: `rs-3.24, rs-3.24+pr12337, go-3.24, rs-main,
    /// runc-v2`.
    pub fn names() -> String {
        Profile::EVERY
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl PartialOrd for Profile {
    fn partial_cmp(&self, other: &Profile) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Profiles order by name (their identity: no two built-in profiles share one).
impl Ord for Profile {
    fn cmp(&self, other: &Profile) -> std::cmp::Ordering {
        self.name.cmp(other.name)
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    /// A built-in profile by name; the error lists the valid names.
    fn from_str(name: &str) -> Result<Profile, String> {
        Profile::by_name(name)
            .ok_or_else(|| format!("unknown profile '{name}' (valid: {})", Profile::names()))
    }
}

/// A profile is written as its name.
impl serde::Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

impl<'de> serde::Deserialize<'de> for Profile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Profile, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_resolve() {
        for p in Profile::EVERY {
            assert_eq!(Profile::by_name(p.name), Some(p));
        }
        assert_eq!(Profile::by_name("rs-9.99"), None);
        assert_eq!(
            Profile::names(),
            "rs-3.24, rs-3.24+pr12337, go-3.24, rs-main, runc-v2"
        );
        assert_eq!(Profile::EVERY[..3], Profile::ALL);
    }

    #[test]
    fn a_profile_is_written_and_parsed_as_its_name() {
        assert_eq!("go-3.24".parse::<Profile>(), Ok(Profile::GO_3_24));
        assert_eq!(
            "rs-9".parse::<Profile>().unwrap_err(),
            "unknown profile 'rs-9' (valid: rs-3.24, rs-3.24+pr12337, go-3.24, rs-main, runc-v2)"
        );
        assert!(Profile::GO_3_24 < Profile::RS_3_24);
    }

    #[test]
    fn pr12337_differs_from_release_in_one_switch() {
        let mut p = Profile::RS_3_24_PR12337;
        p.name = Profile::RS_3_24.name;
        p.missing_container_state = MissingContainerState::Error;
        assert_eq!(p, Profile::RS_3_24);
    }

    #[test]
    fn main_differs_from_release_only_in_its_documented_switches() {
        let mut p = Profile::RS_MAIN;
        p.name = Profile::RS_3_24.name;
        p.missing_container_state = MissingContainerState::Error;
        p.kill_rules = KillRules::LogAndDrop;
        p.exit_watcher_recovers = false;
        p.shutdown_when_empty = true;
        p.pid_source = PidSource::ShimPid;
        p.shutdown_without_instance = false;
        p.connect_answers_task_pid = false;
        p.sandbox_stop_unlocked = false;
        p.cleanup_once = false;
        p.rescan_network_before_start = false;
        p.lifecycle_events = LifecycleEvents::None;
        assert_eq!(p, Profile::RS_3_24);
    }
}
