//! Random histories for comparing the indexed checks with the naive ones: a few
//! containers on two shims, calls of every kind overlapping in a short span of time,
//! pending calls, listed States, Creates in flight, statuses and exits drawn from small
//! sets (so that reports agree as often as they disagree), TaskExits and final states.
//! A few calls are malformed on purpose (returned before invoked, pending yet answered):
//! the checks must agree on those too.

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;

use crate::history::{
    Call, Code, Event, Failure, FinalState, History, Op, Outcome, Reply, TaskExit, TaskStatus,
};

const CONTAINERS: [&str; 3] = ["a", "b", "c"];
const SANDBOXES: [&str; 2] = ["s", "t"];

fn container() -> impl Strategy<Value = String> {
    prop::sample::select(&CONTAINERS[..]).prop_map(str::to_string)
}

/// An operation; Creates weigh `creates` (a Create in flight hides much from the
/// properties, so some histories have few or none).
fn op(creates: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::State),
        creates => Just(Op::Create),
        2 => Just(Op::Start),
        4 => (prop::sample::select(&[9u32, 15][..]), any::<bool>())
            .prop_map(|(signal, all)| Op::Kill { signal, all }),
        3 => Just(Op::Wait),
        3 => Just(Op::Delete),
        2 => Just(Op::Shutdown),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        1 => Just(Op::Connect),
    ]
}

fn exit_time() -> impl Strategy<Value = Option<u64>> {
    prop::sample::select(&[None, Some(10), Some(20), Some(35)][..])
}

fn reply() -> impl Strategy<Value = Reply> {
    let status = prop::sample::select(
        &[
            TaskStatus::Unknown,
            TaskStatus::Created,
            TaskStatus::Running,
            TaskStatus::Stopped,
            TaskStatus::Stopped,
            TaskStatus::Paused,
            TaskStatus::Pausing,
        ][..],
    );
    let exit_status = prop::sample::select(&[0u32, 137, 137][..]);
    (status, exit_status, exit_time()).prop_map(|(status, exit_status, exited_at_ns)| Reply {
        status,
        pid: 42,
        exit_status,
        exited_at_ns,
    })
}

fn outcome() -> impl Strategy<Value = Outcome> {
    let code = prop::sample::select(
        &[
            Code::NotFound,
            Code::NotFound,
            Code::Unknown,
            Code::Unavailable,
            Code::Other(12),
        ][..],
    );
    prop_oneof![
        8 => reply().prop_map(Outcome::Ok),
        5 => code.prop_map(|code| Outcome::Err(Failure::Status {
            code,
            message: "m".to_string(),
        })),
        1 => Just(Outcome::Err(Failure::Closed)),
        1 => Just(Outcome::Err(Failure::Timeout)),
        1 => Just(Outcome::Pending),
    ]
}

/// When a call invoked at `invoked` returned: mostly soon after, sometimes never,
/// rarely at any time at all (possibly before it was invoked).
fn returned(invoked: u64) -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        12 => (0..15u64).prop_map(move |took| Some(invoked + took)),
        2 => Just(None),
        1 => (0..50u64).prop_map(Some),
    ]
}

fn call(creates: u32) -> impl Strategy<Value = Call> {
    let head = (
        0..3u32,
        container(),
        prop::sample::select(&SANDBOXES[..]),
        op(creates),
    );
    let times = (0..40u64).prop_flat_map(|invoked| (Just(invoked), returned(invoked)));
    (head, times, outcome(), any::<bool>(), 0..10u8).prop_map(
        |((lane, container, sandbox, op), (invoked_ns, returned_ns), result, listed, odd)| {
            // A call that never returned is pending, but for one in ten; a Kill that
            // returned fails with Unknown four times in ten (runtime-rs's answer after
            // a Delete), or the Kills after an exit would rarely fail.
            let result = match (returned_ns, op) {
                (None, _) if odd > 0 => Outcome::Pending,
                (Some(_), Op::Kill { .. }) if odd < 4 => Outcome::Err(Failure::Status {
                    code: Code::Unknown,
                    message: "m".to_string(),
                }),
                _ => result,
            };
            Call {
                lane,
                container,
                sandbox: sandbox.to_string(),
                op,
                invoked_ns,
                returned_ns,
                result,
                listed_at_invoke: listed,
                direct: lane % 3 == 1,
            }
        },
    )
}

fn task_exit() -> impl Strategy<Value = Event> {
    let exit_status = prop::sample::select(&[0u32, 137, 137][..]);
    let published = prop::option::of(0..3u64);
    (container(), exit_status, exit_time(), 0..50u64, published).prop_map(
        |(container, exit_status, exited_at_ns, at_ns, published_ns)| {
            Event::TaskExit(TaskExit {
                container,
                pid: 42,
                exit_status,
                exited_at_ns,
                at_ns,
                published_ns,
            })
        },
    )
}

fn containers() -> impl Strategy<Value = BTreeSet<String>> {
    btree_set(container(), 0..3)
}

/// Which of the two shims hold which containers.
fn by_sandbox() -> impl Strategy<Value = BTreeMap<String, BTreeSet<String>>> {
    vec(containers(), 2).prop_flat_map(|held| {
        btree_set(0..2usize, 0..=2).prop_map(move |alive| {
            alive
                .into_iter()
                .map(|s| (SANDBOXES[s].to_string(), held[s].clone()))
                .collect()
        })
    })
}

fn final_state() -> impl Strategy<Value = FinalState> {
    (
        containers(),
        by_sandbox(),
        by_sandbox(),
        containers(),
        containers(),
    )
        .prop_map(
            |(task_list, shims, guests, rootfs_mounted, volumes_mounted)| FinalState {
                task_list,
                shims,
                guests,
                rootfs_mounted,
                volumes_mounted,
                running_vms: BTreeSet::new(),
            },
        )
}

/// A random history of up to 30 calls and 6 TaskExits, its calls mostly in invocation
/// order and its events mostly in order of receipt. In half of the histories every time
/// is rounded down to a multiple of 10 ns, so that many times coincide: the checks'
/// strict and non-strict comparisons must agree at those ties.
pub fn history() -> impl Strategy<Value = History> {
    let creates = prop::sample::select(&[0u32, 1, 3][..]);
    let calls = creates.prop_flat_map(|creates| {
        (vec(call(creates), 0..30), 0..5u8).prop_map(|(mut calls, shuffled)| {
            if shuffled > 0 {
                calls.sort_by_key(|c| c.invoked_ns);
            }
            calls
        })
    });
    let events = (vec(task_exit(), 0..6), 0..5u8).prop_map(|(mut events, shuffled)| {
        if shuffled > 0 {
            events.sort_by_key(|e| e.as_task_exit().map(|x| x.at_ns));
        }
        events
    });
    let run = (calls, events, containers(), 0..60u64, final_state());
    (run, any::<bool>()).prop_map(
        |((calls, events, created_ids, ended_ns, final_state), coarse)| {
            let h = History {
                calls,
                events,
                created_ids,
                ended_ns,
                final_state,
                ..History::default()
            };
            if coarse {
                rounded(h)
            } else {
                h
            }
        },
    )
}

/// `h` with every time rounded down to a multiple of 10 ns.
fn rounded(mut h: History) -> History {
    let round = |t: &mut u64| *t -= *t % 10;
    for c in &mut h.calls {
        round(&mut c.invoked_ns);
        c.returned_ns.iter_mut().for_each(round);
        if let Outcome::Ok(reply) = &mut c.result {
            reply.exited_at_ns.iter_mut().for_each(round);
        }
    }
    for exit in h.events.iter_mut().filter_map(|e| match e {
        Event::TaskExit(exit) => Some(exit),
        Event::Fault(_) | Event::GuestExit(_) => None,
    }) {
        round(&mut exit.at_ns);
        exit.exited_at_ns.iter_mut().for_each(round);
    }
    h
}
