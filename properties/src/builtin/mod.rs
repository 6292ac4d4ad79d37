//! The built-in properties and sometimes situations, one file each, and their registry.

mod during_create;
mod during_delete;
mod exit_event_follows_a_start;
mod exit_status_agrees;
mod exit_status_matches_the_guest;
mod fault_during_op;
mod kill_after_exit_is_harmless;
mod no_call_hangs;
mod one_exit_event_per_process;
#[cfg(test)]
mod oracle;
mod pid_agrees;
mod resources_released_after_delete;
mod run_does_not_panic;
mod shutdown_waits_for_the_last_container;
mod start_event_precedes_its_exit;
mod state_in_delete_window;
mod state_is_stopped_after_the_exit;
mod state_never_errors_for_known_id;
mod status_transitions_are_legal;
mod stopped_state_carries_the_exit;
mod teardown_leaves_nothing;
mod unknown_id_is_not_found;

pub use during_create::StateDuringCreate;
pub use during_delete::{KillDuringDelete, StateDuringDelete};
pub use exit_event_follows_a_start::ExitEventFollowsAStart;
pub use exit_status_agrees::ExitStatusAgrees;
pub use exit_status_matches_the_guest::ExitStatusMatchesTheGuest;
pub use fault_during_op::FaultDuringOp;
pub use kill_after_exit_is_harmless::KillAfterExitIsHarmless;
pub use no_call_hangs::{NoCallHangs, HANG_BOUND_NS};
pub use one_exit_event_per_process::OneExitEventPerProcess;
pub use pid_agrees::PidAgrees;
pub use resources_released_after_delete::ResourcesReleasedAfterDelete;
pub use run_does_not_panic::RunDoesNotPanic;
pub use shutdown_waits_for_the_last_container::ShutdownWaitsForTheLastContainer;
pub use start_event_precedes_its_exit::StartEventPrecedesItsExit;
pub use state_in_delete_window::StateInDeleteWindow;
pub use state_is_stopped_after_the_exit::StateIsStoppedAfterTheExit;
pub use state_never_errors_for_known_id::StateNeverErrorsForKnownId;
pub use status_transitions_are_legal::StatusTransitionsAreLegal;
pub use stopped_state_carries_the_exit::StoppedStateCarriesTheExit;
pub use teardown_leaves_nothing::TeardownLeavesNothing;
pub use unknown_id_is_not_found::UnknownIdIsNotFound;

use crate::property::{Property, Sometimes};

/// Every built-in property, the mission property first ([`Catalog::builtin`](crate::Catalog::builtin)
/// holds them in this order).
pub fn builtin() -> Vec<Box<dyn Property>> {
    vec![
        Box::new(StateNeverErrorsForKnownId),
        Box::new(UnknownIdIsNotFound),
        Box::new(StatusTransitionsAreLegal),
        Box::new(ExitStatusAgrees),
        Box::new(KillAfterExitIsHarmless),
        Box::new(ResourcesReleasedAfterDelete),
        Box::new(OneExitEventPerProcess),
        Box::new(ExitEventFollowsAStart),
        Box::new(ShutdownWaitsForTheLastContainer),
        Box::new(NoCallHangs),
        Box::new(ExitStatusMatchesTheGuest),
        Box::new(TeardownLeavesNothing),
        Box::new(RunDoesNotPanic),
        Box::new(PidAgrees),
        Box::new(StateIsStoppedAfterTheExit),
        Box::new(StoppedStateCarriesTheExit),
        Box::new(StartEventPrecedesItsExit),
    ]
}

/// Every built-in sometimes situation ([`Catalog::builtin`](crate::Catalog::builtin) holds
/// them in this order).
pub fn builtin_sometimes() -> Vec<Box<dyn Sometimes>> {
    vec![
        Box::new(StateDuringDelete),
        Box::new(StateInDeleteWindow),
        Box::new(KillDuringDelete),
        Box::new(StateDuringCreate),
    ]
}

/// The sometimes situations of the failure paths of `kinds`: each of those fault kinds
/// landing while each lifecycle operation is in flight
/// ([`Catalog::builtin_with_faults`](crate::Catalog::builtin_with_faults) adds them after
/// the others).
pub fn fault_sometimes(kinds: &[crate::FaultKind]) -> Vec<Box<dyn Sometimes>> {
    FaultDuringOp::all()
        .into_iter()
        .filter(|s| kinds.contains(&s.kind))
        .map(|s| Box::new(s) as Box<dyn Sometimes>)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_snake_case() {
        let names: Vec<&str> = builtin()
            .iter()
            .map(|p| p.name())
            .chain(builtin_sometimes().iter().map(|s| s.name()))
            .chain(
                fault_sometimes(&crate::FaultKind::ALL)
                    .iter()
                    .map(|s| s.name()),
            )
            .collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
    }

    #[test]
    fn every_property_cites_its_contract_and_passes_the_empty_history() {
        let empty = crate::history::History::default();
        for p in builtin() {
            assert!(!p.contract().is_empty(), "{}", p.name());
            assert!(p.check(&empty).is_pass(), "{}", p.name());
        }
        assert!(builtin_sometimes().iter().all(|s| !s.hit(&empty)));
        assert!(fault_sometimes(&crate::FaultKind::ALL)
            .iter()
            .all(|s| !s.hit(&empty)));
        assert_eq!(fault_sometimes(&[crate::FaultKind::VmCrash]).len(), 6);
    }
}
