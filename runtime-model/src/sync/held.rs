//! Lock holds and waits that span awaits, made visible: [`held`] wraps a lock guard with
//! a tracing span (target `kata_dst::timeline`, name `lock_hold`, TRACE level) that lives
//! exactly as long as the guard, so a timeline shows which task held which lock while it
//! waited on something else; [`acquire`] also spans the wait for the lock (`lock_wait`),
//! [`waiting`] and [`waiting_for_task`] any other wait a task can block on (`wait`), and
//! [`task_span`] names the
//! task they happen in (`task`), so a hang report can say who waits for what, held by
//! whom. The spans are never entered but the task's; disabled (as in every run that
//! records no timeline) each costs one check. Nothing here changes what the model does.

use std::future::Future;
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

/// Takes lock `lock` in `mode` for `container`: awaits `acquiring` (the lock's own
/// `read()`, `write()` or `lock()`) inside a `lock_wait` span, then [`held`].
pub async fn acquire<F: Future>(
    acquiring: F,
    lock: &'static str,
    mode: &'static str,
    container: &str,
) -> Held<F::Output> {
    let wait =
        tracing::trace_span!(target: "kata_dst::timeline", "lock_wait", lock, mode, container);
    let guard = acquiring.await;
    drop(wait);
    held(guard, lock, mode, container)
}

/// Awaits `fut`, a wait that is not for a lock, inside a `wait` span: `on` says what is
/// awaited, about `container` (`"the exit of"`, `"room in the exit channel of"`).
pub async fn waiting<F: Future>(fut: F, on: &'static str, container: &str) -> F::Output {
    let _wait = tracing::trace_span!(target: "kata_dst::timeline", "wait", on, container);
    fut.await
}

/// Awaits `fut`, the end of another task of the shim (`role` for `container`, as
/// [`task_span`] names it), inside a `wait` span.
pub async fn waiting_for_task<F: Future>(fut: F, role: &'static str, container: &str) -> F::Output {
    let _wait = tracing::trace_span!(target: "kata_dst::timeline", "wait", role, container);
    fut.await
}

/// The span of a task of the shim (`.instrument` its future with it): `role` is
/// `request` (with the Task API `method`), `exit watcher` or `waiter`, for `container`.
pub fn task_span(role: &'static str, method: &str, container: &str) -> tracing::Span {
    tracing::trace_span!(target: "kata_dst::timeline", "task", role, method, container)
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
