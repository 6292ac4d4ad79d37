//! How a campaign's cases are generated, besides its number: whether clients also call
//! shims directly, and whether (and which) faults are injected. Everything a replay of
//! a generated case needs to regenerate it.

use properties::{Catalog, FaultKind};
use runtime_model::Profile;

use super::engine::Campaign;
use super::strategy::Shape;
use crate::fault::Swarm;

/// The generation options of a campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generation {
    /// Only calls through containerd's Tasks service (no direct shim calls).
    pub tasks_only: bool,
    /// Faults in the cases: None for none; else the kinds the campaign's swarm draws
    /// from (every kind when empty).
    pub faults: Option<Vec<FaultKind>>,
}

impl Generation {
    /// The case shape.
    pub fn shape(&self) -> Shape {
        Shape {
            shim_calls: !self.tasks_only,
            ..Shape::default()
        }
    }

    /// The swarm of campaign `number`, if its cases have faults.
    pub fn swarm(&self, number: u64) -> Option<Swarm> {
        self.faults.as_ref().map(|kinds| Swarm::draw(number, kinds))
    }

    /// Campaign `number` on `profile`, run by `workers` threads.
    pub fn campaign(&self, profile: Profile, number: u64, workers: usize) -> Campaign {
        let campaign = Campaign::new(profile, self.shape(), number, workers);
        match self.swarm(number) {
            Some(swarm) => campaign.with_faults(swarm),
            None => campaign,
        }
    }

    /// The built-in catalog for campaign `number`: with faults, it also holds the
    /// sometimes situations of the fault kinds the campaign's swarm injects.
    pub fn catalog(&self, number: u64) -> Catalog {
        match self.swarm(number) {
            Some(swarm) => {
                let kinds: Vec<FaultKind> = swarm.active().map(|(k, _)| k).collect();
                Catalog::builtin_with_faults(&kinds)
            }
            None => Catalog::builtin(),
        }
    }

    /// The command-line flags that ask for these options (empty for the defaults):
    /// ` --tasks-only --faults --fault vm-crash`.
    pub fn flags(&self) -> String {
        let mut out = String::new();
        if self.tasks_only {
            out.push_str(" --tasks-only");
        }
        if let Some(kinds) = &self.faults {
            out.push_str(" --faults");
            for k in kinds {
                out.push_str(&format!(" --fault {k}"));
            }
        }
        out
    }

    /// A few words for a report header: `(tasks only, faults: vm-crash 2 (up to 1 fault a case))`.
    pub fn describe(&self, number: u64) -> String {
        let mut parts = Vec::new();
        if self.tasks_only {
            parts.push("tasks only".to_string());
        }
        if let Some(swarm) = self.swarm(number) {
            parts.push(format!("faults: {swarm}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_ask_for_exactly_these_options() {
        assert_eq!(Generation::default().flags(), "");
        let g = Generation {
            tasks_only: true,
            faults: Some(vec![FaultKind::VmCrash, FaultKind::AgentError]),
        };
        assert_eq!(
            g.flags(),
            " --tasks-only --faults --fault vm-crash --fault agent-error"
        );
        assert!(g.describe(3).starts_with(" (tasks only, faults: "));
        assert_eq!(Generation::default().describe(3), "");
    }

    #[test]
    fn a_fault_free_generation_has_no_swarm_and_one_with_faults_has_its_campaign_s() {
        assert!(Generation::default()
            .campaign(Profile::RS_3_24, 4, 1)
            .swarm
            .is_none());
        let g = Generation {
            tasks_only: false,
            faults: Some(Vec::new()),
        };
        assert_eq!(
            g.campaign(Profile::RS_3_24, 4, 1).swarm,
            Some(Swarm::draw(4, &[]))
        );
    }
}
