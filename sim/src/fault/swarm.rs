//! Swarm testing (as TigerBeetle's VOPR does it): each campaign draws which fault kinds it
//! injects and how often from its own number, so some campaigns hammer one kind and
//! others mix them. The draw is printed with the campaign.

use std::fmt;

use properties::FaultKind;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// A campaign's fault mix: a weight per kind (0: never) and how many faults a case has
/// at most.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Swarm {
    pub weights: Vec<(FaultKind, u32)>,
    pub max_faults: usize,
}

impl Swarm {
    /// The swarm of campaign `campaign` over the kinds `kinds` (every kind when empty):
    /// each kind's weight drawn from 0..=4, at least one kind above 0, and up to 1..=3
    /// faults a case.
    pub fn draw(campaign: u64, kinds: &[FaultKind]) -> Swarm {
        let kinds: Vec<FaultKind> = if kinds.is_empty() {
            FaultKind::ALL.to_vec()
        } else {
            kinds.to_vec()
        };
        let mut rng = StdRng::seed_from_u64(campaign ^ 0x5357_4152_4d00_0000);
        let mut weights: Vec<(FaultKind, u32)> =
            kinds.iter().map(|&k| (k, rng.gen_range(0..=4))).collect();
        if weights.iter().all(|&(_, w)| w == 0) {
            let k = rng.gen_range(0..weights.len());
            weights[k].1 = 1 + rng.gen_range(0..4);
        }
        Swarm {
            weights,
            max_faults: rng.gen_range(1..=3),
        }
    }

    /// The kinds this swarm injects, with their weights above 0.
    pub fn active(&self) -> impl Iterator<Item = (FaultKind, u32)> + '_ {
        self.weights.iter().copied().filter(|&(_, w)| w > 0)
    }
}

/// `vm-crash 3, agent-error 1 (up to 2 faults a case)`.
impl fmt::Display for Swarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<String> = self.active().map(|(k, w)| format!("{k} {w}")).collect();
        write!(
            f,
            "{} (up to {} fault{} a case)",
            kinds.join(", "),
            self.max_faults,
            if self.max_faults == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_draws_the_same_swarm_every_time_and_campaigns_differ() {
        assert_eq!(Swarm::draw(7, &[]), Swarm::draw(7, &[]));
        let distinct: std::collections::BTreeSet<String> =
            (0..20).map(|c| Swarm::draw(c, &[]).to_string()).collect();
        assert!(distinct.len() > 10, "{distinct:?}");
    }

    #[test]
    fn a_named_kind_is_the_only_one_and_always_active() {
        for c in 0..50 {
            let swarm = Swarm::draw(c, &[FaultKind::VmCrash]);
            let active: Vec<FaultKind> = swarm.active().map(|(k, _)| k).collect();
            assert_eq!(active, [FaultKind::VmCrash]);
            assert!((1..=3).contains(&swarm.max_faults));
        }
    }
}
