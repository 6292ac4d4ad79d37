//! Times every built-in check on a synthetic history of 70,000 calls of every kind with
//! random outcomes, and 7,000 TaskExits, over 6 containers on 3 shims: unlike the
//! article-like history, every check here has many candidates to compare (Kills after
//! Waits, Shutdowns, exit reports, duplicate exits), so a check that is quadratic in
//! any of them shows.
//!
//! `cargo run --release -p properties --example judge_mixed` prints the time each check
//! took. The numbers are a measurement, not a test.

use std::time::Instant;

use properties::{
    Call, Catalog, Code, Event, Failure, History, Op, Outcome, Reply, TaskExit, TaskStatus,
};

const CALLS: u64 = 70_000;
const EXITS: u64 = 7_000;
const US: u64 = 1_000;

/// A small deterministic generator (splitmix64), so the history is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// One of `choices`.
    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[(self.next() % choices.len() as u64) as usize]
    }
}

fn mixed() -> History {
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

fn main() {
    let h = mixed();
    println!(
        "history: {} calls, {} events",
        h.calls.len(),
        h.events.len()
    );
    let catalog = Catalog::builtin();
    let all = Instant::now();
    for p in catalog.properties() {
        let t = Instant::now();
        let verdict = if p.check(&h).is_pass() {
            "pass"
        } else {
            "violated"
        };
        println!("{:>10.3} ms  {} ({verdict})", ms(t), p.name());
    }
    for s in catalog.sometimes() {
        let t = Instant::now();
        let hit = if s.hit(&h) { "hit" } else { "missed" };
        println!("{:>10.3} ms  {} ({hit})", ms(t), s.name());
    }
    println!("{:>10.3} ms  all", ms(all));
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}
