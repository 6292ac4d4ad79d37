//! proptest strategies that generate [`Case`]s: concurrent client lanes of lifecycle
//! calls over one or two pods, the time each call is due, and every latency, all as
//! explicit data that proptest can shrink (fewer lanes, fewer steps, earlier times,
//! smaller latencies, fewer pods). The madsim seed is drawn but never shrunk.

use proptest::prelude::*;

use properties::Op;

use super::case::{Action, Case, Step, Target, Via};
use crate::agent::{SIGKILL, SIGTERM};
use crate::containerd::ListOrder;
use crate::fault::{AgentCall, Fault, FaultStep, Link, Swarm};
use crate::latency::{Latencies, Micros};
use properties::FaultKind;

/// The size of generated cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub max_pods: u8,
    pub max_containers_per_pod: u8,
    pub max_lanes: usize,
    pub max_steps_per_lane: usize,
    /// Steps are due within this many microseconds of the workload's start.
    pub window_us: u64,
    /// Whether clients also call shims directly (`ctr shim`), by-passing containerd.
    pub shim_calls: bool,
}

impl Default for Shape {
    /// One or two pods of one or two containers, up to four lanes of up to eight steps
    /// due within 120 ms (long enough for a container's whole life: create ~20-60 ms in
    /// the agent, start ~5-10 ms, remove ~5-15 ms); one call in five goes straight to a
    /// shim.
    fn default() -> Shape {
        Shape {
            max_pods: 2,
            max_containers_per_pod: 2,
            max_lanes: 4,
            max_steps_per_lane: 8,
            window_us: 120_000,
            shim_calls: true,
        }
    }
}

/// A point latency anywhere in `[range.lo, range.hi]` (shrinks toward its low end).
fn point(range: Micros) -> impl Strategy<Value = Micros> {
    (range.lo..=range.hi).prop_map(|us| Micros::new(us, us))
}

/// Every latency a fixed point within the node's named range.
pub fn latencies() -> impl Strategy<Value = Latencies> {
    let d = Latencies::default();
    (
        (point(d.grpc), point(d.ttrpc), point(d.vsock)),
        (
            point(d.agent_create),
            point(d.agent_start),
            point(d.agent_remove),
            point(d.agent_other),
        ),
        point(d.vm_boot),
    )
        .prop_map(
            move |(
                (grpc, ttrpc, vsock),
                (agent_create, agent_start, agent_remove, agent_other),
                vm_boot,
            )| {
                Latencies {
                    ctr_exec: Micros::new(d.ctr_exec.lo, d.ctr_exec.lo),
                    grpc,
                    ttrpc,
                    vsock,
                    agent_create,
                    agent_start,
                    agent_remove,
                    agent_other,
                    vm_boot,
                    hook: d.hook,
                }
            },
        )
}

/// A generated call, before its target is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RawOp {
    Task(Op),
    List,
}

const fn kill(signal: u32) -> RawOp {
    RawOp::Task(Op::Kill { signal, all: false })
}

/// A client call, weighted toward the lifecycle's racy calls.
fn client_op() -> impl Strategy<Value = RawOp> {
    prop_oneof![
        3 => Just(RawOp::Task(Op::State)),
        2 => Just(RawOp::List),
        2 => Just(RawOp::Task(Op::Create)),
        2 => Just(RawOp::Task(Op::Start)),
        2 => Just(kill(SIGKILL)),
        1 => Just(kill(SIGTERM)),
        1 => Just(RawOp::Task(Op::Wait)),
        2 => Just(RawOp::Task(Op::Delete)),
        1 => Just(RawOp::Task(Op::Pause)),
        1 => Just(RawOp::Task(Op::Resume)),
    ]
}

/// A step's target: container `k` of the shape (pod `k / max_containers_per_pod + 1`),
/// or now and then an id never created.
fn target(shape: Shape) -> impl Strategy<Value = Option<u8>> {
    let n = shape.max_pods * shape.max_containers_per_pod;
    prop_oneof![9 => container(n).prop_map(Some), 1 => Just(None)]
}

/// One of `n` containers, the first one half the time: races need two lanes on one
/// container.
fn container(n: u8) -> impl Strategy<Value = u8> {
    prop_oneof![Just(0), 0..n]
}

fn via(shape: Shape) -> impl Strategy<Value = Via> {
    prop_oneof![
        4 => Just(Via::Tasks),
        u32::from(shape.shim_calls) => Just(Via::Shim),
    ]
}

/// A lane of arbitrary steps at arbitrary times.
fn free_lane(shape: Shape) -> impl Strategy<Value = Vec<RawStep>> {
    proptest::collection::vec(raw_step(shape), 1..=shape.max_steps_per_lane)
}

/// A lane that walks one container through its life as a client would: Create, Start,
/// a Kill, Wait, Delete, each step kept with probability 4/5, the first at a random time
/// and each next one as soon as the previous returns or after a short pause.
fn lifecycle_lane(shape: Shape) -> impl Strategy<Value = Vec<RawStep>> {
    let n = shape.max_pods * shape.max_containers_per_pod;
    let signal = prop_oneof![3 => Just(SIGKILL), 1 => Just(SIGTERM)];
    let phases = [
        RawOp::Task(Op::Create),
        RawOp::Task(Op::Start),
        kill(SIGKILL),
        RawOp::Task(Op::Wait),
        RawOp::Task(Op::Delete),
    ];
    let kept = proptest::collection::vec(proptest::bool::weighted(0.8), phases.len());
    let pauses = proptest::collection::vec(prop_oneof![Just(0u64), 0..2_000u64], phases.len());
    (
        0..shape.window_us,
        container(n),
        signal,
        via(shape),
        kept,
        pauses,
    )
        .prop_map(move |(start, k, signal, via, kept, pauses)| {
            let mut at = start;
            let mut steps = Vec::new();
            for ((op, keep), pause) in phases.iter().zip(kept).zip(pauses) {
                at += pause;
                if keep {
                    let op = if let RawOp::Task(Op::Kill { .. }) = op {
                        kill(signal)
                    } else {
                        *op
                    };
                    steps.push((at, op, Some(k), via));
                }
            }
            if steps.is_empty() {
                steps.push((start, RawOp::Task(Op::Create), Some(k), via));
            }
            steps
        })
}

/// A lane that watches: States and Lists a short pause apart, as `ctr task ls` loops
/// and kubelet's status polls do.
fn observer_lane(shape: Shape) -> impl Strategy<Value = Vec<RawStep>> {
    let n = shape.max_pods * shape.max_containers_per_pod;
    let look = prop_oneof![
        (container(n), via(shape)).prop_map(|(k, via)| (RawOp::Task(Op::State), Some(k), via)),
        Just((RawOp::List, None, Via::Tasks)),
    ];
    (
        0..shape.window_us,
        0..3_000u64,
        proptest::collection::vec(look, 1..=shape.max_steps_per_lane),
    )
        .prop_map(|(start, gap, looks)| {
            looks
                .into_iter()
                .enumerate()
                .map(|(i, (op, k, via))| (start + i as u64 * gap, op, k, via))
                .collect()
        })
}

/// One step, as generated: the container is still an index.
type RawStep = (u64, RawOp, Option<u8>, Via);

fn raw_step(shape: Shape) -> impl Strategy<Value = RawStep> {
    (0..shape.window_us, client_op(), target(shape), via(shape))
}

/// Builds the case from generated lanes: the pods and containers are those the lanes
/// name, so removing steps while shrinking also removes pods.
fn build(shape: Shape, raw: Vec<Vec<RawStep>>, seed: u64, latencies: Latencies) -> Case {
    let per_pod = shape.max_containers_per_pod;
    let container_of = |k: u8| Target::Container {
        pod: k / per_pod + 1,
        index: k % per_pod + 1,
    };
    let lanes = raw
        .into_iter()
        .map(|lane| {
            lane.into_iter()
                .map(|(at_us, op, target, via)| {
                    let action = match (op, target) {
                        // A shim has no List; a List through the shim is a State on its socket.
                        (RawOp::List, Some(k)) if via == Via::Shim => {
                            Action::Call(Op::State, container_of(k))
                        }
                        (RawOp::List, None) if via == Via::Shim => {
                            Action::Call(Op::State, Target::NeverCreated)
                        }
                        (RawOp::List, _) => Action::List,
                        // The never-created id is never the target of a Create.
                        (RawOp::Task(Op::Create), None) => {
                            Action::Call(Op::Create, Target::Container { pod: 1, index: 1 })
                        }
                        (RawOp::Task(op), None) => Action::Call(op, Target::NeverCreated),
                        (RawOp::Task(op), Some(k)) => Action::Call(op, container_of(k)),
                    };
                    Step { at_us, action, via }
                })
                .collect()
        })
        .collect();
    Case {
        madsim_seed: seed,
        pods: shape.max_pods,
        containers_per_pod: per_pod,
        latencies,
        list_order: ListOrder::ById,
        lanes,
        faults: Vec::new(),
    }
    .fitted()
}

/// Cases of the given shape. The lanes come first, so proptest shrinks the schedule
/// (fewer lanes, fewer steps, simpler steps) before it shrinks the latencies.
pub fn case(shape: Shape) -> impl Strategy<Value = Case> {
    let lane = prop_oneof![
        free_lane(shape),
        lifecycle_lane(shape),
        observer_lane(shape),
    ];
    let lanes = proptest::collection::vec(lane, 1..=shape.max_lanes);
    let list_order = prop_oneof![Just(ListOrder::ById), Just(ListOrder::ByIdReversed)];
    (lanes, any::<u64>().no_shrink(), latencies(), list_order).prop_map(
        move |(raw, seed, latencies, list_order)| Case {
            list_order,
            ..build(shape, raw, seed, latencies)
        },
    )
}

/// Exit codes a process that exits by itself is given: success, common failures, and
/// the codes of SIGKILL and SIGTERM (a process killed from inside the guest).
const EXIT_CODES: [i32; 5] = [0, 1, 2, 137, 143];

/// When a drawn fault is due: anywhere in the shape's window, or aimed at a step of the
/// case (up to 3 ms after the time that step is due), so that faults land while calls
/// are in flight. The aimed step is an index resolved against the case's steps once the
/// case is known, so the case and its faults shrink independently.
#[derive(Clone, Debug)]
enum Due {
    InWindow(u64),
    Aimed(proptest::sample::Index, u64),
}

/// One fault as drawn: when it is due, and the fault itself.
type FaultDraw = (Due, Fault);

/// One fault of a kind `swarm` draws, on a pod and container of the shape, due half of
/// the time anywhere in the window and half of the time aimed at a step.
fn fault_draw(shape: Shape, swarm: &Swarm) -> impl Strategy<Value = FaultDraw> {
    let kinds: Vec<(u32, BoxedStrategy<FaultKind>)> = swarm
        .active()
        .map(|(kind, weight)| (weight, Just(kind).boxed()))
        .collect();
    let due = prop_oneof![
        (0..shape.window_us).prop_map(Due::InWindow),
        (any::<proptest::sample::Index>(), 0..3_000u64)
            .prop_map(|(step, jitter)| Due::Aimed(step, jitter)),
    ];
    (
        due,
        proptest::strategy::Union::new_weighted(kinds),
        1..=shape.max_pods,
        1..=shape.max_containers_per_pod,
        proptest::sample::select(EXIT_CODES.to_vec()),
        proptest::sample::select(AgentCall::ALL.to_vec()),
        proptest::sample::select(Link::ALL.to_vec()),
        (0..3_000u32, proptest::bool::weighted(0.3)),
    )
        .prop_map(
            |(due, kind, pod, index, code, call, link, (delay_ms, fails))| {
                let fault = match kind {
                    FaultKind::VmCrash => Fault::VmCrash { pod },
                    FaultKind::ShimCrash => Fault::ShimCrash { pod },
                    FaultKind::ProcessExit => Fault::ProcessExit { pod, index, code },
                    FaultKind::AgentError => Fault::AgentError { pod, call },
                    FaultKind::AgentStall => Fault::AgentStall { pod, call },
                    FaultKind::AgentClose => Fault::AgentClose { pod },
                    FaultKind::LinkHold => Fault::LinkHold { pod, link },
                    FaultKind::LinkPartition => Fault::LinkPartition { pod, link },
                    FaultKind::HookError => Fault::HookError { pod },
                    FaultKind::HookSlow => Fault::HookSlow { pod, delay_ms },
                    FaultKind::VmBoot => Fault::VmBoot {
                        pod,
                        delay_ms,
                        fails,
                    },
                };
                (due, fault)
            },
        )
}

/// The fault step of `draw` in a case whose steps are due at `step_times` (a boot fault
/// is armed before the pods are set up: its time is the start).
fn resolve((due, fault): FaultDraw, step_times: &[u64]) -> FaultStep {
    let at_us = match (&fault, due) {
        (Fault::VmBoot { .. }, _) => 0,
        (_, Due::InWindow(at)) => at,
        (_, Due::Aimed(step, jitter)) => match step_times.len() {
            0 => jitter,
            n => step_times[step.index(n)] + jitter,
        },
    };
    FaultStep { at_us, fault }
}

/// Cases of the given shape with up to `swarm.max_faults` faults of the kinds `swarm`
/// draws. The case without its faults is exactly the one [`case`] generates from the same
/// randomness (the faults are drawn after it), so a campaign with faults explores the
/// schedules of the fault-free campaign of the same number, with faults added. The case
/// and its faults are two independent parts: proptest shrinks the case (its lanes, then
/// its latencies), then the faults (fewer, earlier, simpler), each part without
/// regenerating the other.
pub fn case_with_faults(shape: Shape, swarm: Swarm) -> impl Strategy<Value = Case> {
    let draws = proptest::collection::vec(fault_draw(shape, &swarm), 0..=swarm.max_faults);
    (case(shape), draws).prop_map(|(case, draws)| {
        let step_times: Vec<u64> = case.lanes.iter().flatten().map(|s| s.at_us).collect();
        let mut faults: Vec<FaultStep> = draws
            .into_iter()
            .map(|draw| resolve(draw, &step_times))
            .collect();
        faults.sort_by_key(|f| f.at_us);
        Case { faults, ..case }.fitted()
    })
}
