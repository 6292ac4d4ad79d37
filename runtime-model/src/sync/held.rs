//! Lock holds that span awaits, made visible: [`held`] wraps a lock guard with a tracing
//! span (target `kata_dst::timeline`, name `lock_hold`, TRACE level) that lives exactly
//! as long as the guard, so a timeline shows which task held which lock while it waited
//! on something else. The span is never entered; disabled (as in every run that records
//! no timeline) it costs one check. Nothing here changes what the model does.

use std::ops::{Deref, DerefMut};

/// A lock guard and the span of its hold; the guard is released first.
pub struct Held<G> {
    guard: G,
    _span: tracing::Span,
}

/// `guard` of lock `lock` (taken in `mode`, `read`, `write` or `lock`), held for
/// `container`.
pub fn held<G>(guard: G, lock: &'static str, mode: &'static str, container: &str) -> Held<G> {
    let span =
        tracing::trace_span!(target: "kata_dst::timeline", "lock_hold", lock, mode, container);
    Held { guard, _span: span }
}

impl<G: Deref> Deref for Held<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: DerefMut> DerefMut for Held<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}
