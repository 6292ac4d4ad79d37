//! A synthetic history of 70,000 calls of every kind with random outcomes, and 7,000
//! TaskExits, over 6 containers on 3 shims: unlike the article-like history, every check
//! has many candidates to compare (Kills after Waits, Shutdowns, exit reports, duplicate
//! exits), so a check that is quadratic in any of them shows.

use properties::{Call, Code, Event, Failure, History, Op, Outcome, Reply, TaskExit, TaskStatus};

use crate::rng::Rng;

const CALLS: u64 = 70_000;
const EXITS: u64 = 7_000;
const US: u64 = 1_000;

pub fn history() -> History {
    let mut rng = Rng(0x006d_6978_6564);
    let ops = [
        Op::State,
        Op::State,
        Op::Create,
        Op::Start,
        Op::Kill {
            signal: 9,
            all: true,
        },
        Op::Wait,
        Op::Delete,
        Op::Shutdown,
        Op::Pause,
        Op::Resume,
    ];
    let statuses = [
        TaskStatus::Created,
        TaskStatus::Running,
        TaskStatus::Stopped,
    ];
    let mut calls: Vec<Call> = (0..CALLS)
        .map(|n| {
            let k = rng.next() % 6;
            let invoked_ns = n * 10 * US;
            let returned_ns = Some(invoked_ns + rng.next() % (500 * US));
            let result = match rng.next() % 10 {
                0..=6 => Outcome::Ok(Reply {
                    status: rng.pick(&statuses),
                    pid: 1000,
                    exit_status: rng.pick(&[0, 137]),
                    exited_at_ns: rng.pick(&[None, Some(invoked_ns)]),
                }),
                7 => Outcome::Err(Failure::Status {
                    code: rng.pick(&[Code::NotFound, Code::Unknown]),
                    message: "m".to_string(),
                }),
                8 => Outcome::Err(Failure::Closed),
                _ => Outcome::Ok(Reply::default()),
            };
            Call {
                lane: (rng.next() % 150) as u32,
                container: format!("ctr-{k}"),
                sandbox: format!("pod-{}", k / 2),
                op: rng.pick(&ops),
                invoked_ns,
                returned_ns,
                result,
                listed_at_invoke: rng.next() % 2 == 0,
                direct: false,
            }
        })
        .collect();
    calls.sort_by_key(|c| c.invoked_ns);
    let events = (0..EXITS)
        .map(|n| {
            let at_ns = n * 100 * US;
            Event::TaskExit(TaskExit {
                container: format!("ctr-{}", rng.next() % 6),
                pid: 1000,
                exit_status: rng.pick(&[0, 137]),
                exited_at_ns: Some(at_ns - at_ns % 7),
                at_ns,
                published_ns: None,
            })
        })
        .collect();
    History {
        calls,
        events,
        created_ids: (0..6).map(|k| format!("ctr-{k}")).collect(),
        ended_ns: CALLS * 10 * US,
        ..History::default()
    }
}
