//! A synthetic history shaped like the article scenario's: six containers in three pods
//! going through Create, Start, Kill, Wait, Delete and Shutdown, two TaskExits per
//! container, and 150 lanes of `ctr task ls` whose State calls make up almost all of the
//! ~70,000 calls.

use properties::{Call, Code, Event, Failure, History, Op, Outcome, Reply, TaskExit, TaskStatus};

use crate::rng::Rng;

const MS: u64 = 1_000_000;
const CONTAINERS: u64 = 6;
const LANES: u32 = 150;
const RUN_NS: u64 = 3_000 * MS;
const EXIT_CODE: u32 = 137;

/// The lifecycle of one container, in ns since the run started.
struct Life {
    id: String,
    sandbox: String,
    create: (u64, u64),
    start: (u64, u64),
    exit_at: u64,
    delete: (u64, u64),
    /// When the shim forgets the container during its Delete.
    forgotten_at: u64,
}

impl Life {
    fn new(k: u64) -> Life {
        let create_inv = 10 * MS + k * 50 * MS;
        let start_inv = create_inv + 31 * MS;
        let exit_at = start_inv + 1_500 * MS + k * 100 * MS;
        let delete_inv = exit_at + 300 * MS;
        Life {
            id: format!("ctr-{k}"),
            sandbox: format!("pod-{}", k / 2),
            create: (create_inv, create_inv + 30 * MS),
            start: (start_inv, start_inv + 20 * MS),
            exit_at,
            delete: (delete_inv, delete_inv + 10 * MS),
            forgotten_at: delete_inv + 5 * MS,
        }
    }

    /// containerd lists the task from before its Create until its Delete returns.
    fn listed(&self, t: u64) -> bool {
        self.create.0 <= t && t < self.delete.1
    }

    /// What a State linearized at `t` answers.
    fn state(&self, t: u64) -> Outcome {
        let status = |status| {
            Outcome::Ok(Reply {
                status,
                pid: 1000,
                ..Reply::default()
            })
        };
        if t < self.create.1 || t >= self.delete.1 {
            not_found()
        } else if t < self.start.1 {
            status(TaskStatus::Created)
        } else if t < self.exit_at {
            status(TaskStatus::Running)
        } else if t < self.forgotten_at {
            Outcome::Ok(self.exited())
        } else {
            Outcome::Err(Failure::Status {
                code: Code::Unknown,
                message: format!("failed to find container {}", self.id),
            })
        }
    }

    fn exited(&self) -> Reply {
        Reply {
            status: TaskStatus::Stopped,
            pid: 1000,
            exit_status: EXIT_CODE,
            exited_at_ns: Some(self.exit_at),
        }
    }

    fn call(&self, op: Op, (invoked_ns, returned_ns): (u64, u64), result: Outcome) -> Call {
        Call {
            lane: 0,
            container: self.id.clone(),
            sandbox: self.sandbox.clone(),
            op,
            invoked_ns,
            returned_ns: Some(returned_ns),
            result,
            listed_at_invoke: self.listed(invoked_ns),
            direct: false,
        }
    }

    /// Create, Start, Wait, Kill, Delete and Shutdown, and two TaskExits.
    fn lifecycle(&self, calls: &mut Vec<Call>, events: &mut Vec<Event>) {
        let pid = Outcome::Ok(Reply {
            pid: 1000,
            ..Reply::default()
        });
        let empty = Outcome::Ok(Reply::default());
        calls.push(self.call(Op::Create, self.create, pid.clone()));
        calls.push(self.call(Op::Start, self.start, pid));
        let wait = (self.start.1 + MS, self.exit_at + MS / 2);
        calls.push(self.call(Op::Wait, wait, Outcome::Ok(self.exited())));
        let kill = Op::Kill {
            signal: 9,
            all: false,
        };
        calls.push(self.call(kill, (self.exit_at - MS, self.exit_at + MS), empty.clone()));
        calls.push(self.call(Op::Delete, self.delete, Outcome::Ok(self.exited())));
        let shutdown = (self.delete.1 + MS / 10, self.delete.1 + MS / 5);
        calls.push(self.call(Op::Shutdown, shutdown, empty));
        for after in [MS / 5, MS / 3] {
            events.push(Event::TaskExit(TaskExit {
                container: self.id.clone(),
                pid: 1000,
                exit_status: EXIT_CODE,
                exited_at_ns: Some(self.exit_at),
                at_ns: self.exit_at + after,
                published_ns: None,
            }));
        }
    }
}

fn not_found() -> Outcome {
    Outcome::Err(Failure::Status {
        code: Code::NotFound,
        message: "not found".to_string(),
    })
}

/// The synthetic article-like history.
pub fn history() -> History {
    let lives: Vec<Life> = (0..CONTAINERS).map(Life::new).collect();
    let (mut calls, mut events) = (Vec::new(), Vec::new());
    for life in &lives {
        life.lifecycle(&mut calls, &mut events);
    }
    let mut rng = Rng(0x6b61_7461_2d64_7374);
    for lane in 1..=LANES {
        let mut t = rng.between(0, 20 * MS);
        while t < RUN_NS {
            let snapshot: Vec<&Life> = lives.iter().filter(|l| l.listed(t)).collect();
            for life in snapshot {
                let took = rng.between(MS / 5, 3 * MS);
                let mut state = life.call(Op::State, (t, t + took), life.state(t + took / 2));
                state.lane = lane;
                state.listed_at_invoke = true;
                calls.push(state);
                t += took;
            }
            t += rng.between(10 * MS, 28 * MS);
        }
    }
    calls.sort_by_key(|c| c.invoked_ns);
    events.sort_by_key(|e| e.as_task_exit().map(|x| x.at_ns));
    History {
        calls,
        events,
        created_ids: lives.iter().map(|l| l.id.clone()).collect(),
        ended_ns: RUN_NS,
        ..History::default()
    }
}
