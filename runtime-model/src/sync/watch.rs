//! A single-producer, multi-consumer channel that keeps only the last value: the subset
//! of `tokio::sync::watch` that runtime-rs and the simulated world use, with the same
//! names and semantics, and a deterministic wake order.
//!
//! Why not tokio's own: `tokio::sync::watch` spreads its waiters over eight `Notify`s
//! and picks one with tokio's thread-local RNG, which is seeded from a process-global
//! counter (tokio `sync/watch.rs`, `BigNotify::notified`; `loom/std/mod.rs`, `seed`).
//! Under madsim the order in which waiters wake decides which task runs first, so two
//! runs of one seed in one process took different interleavings. Here every waiter
//! waits on one `tokio::sync::Notify`, which wakes its waiters in a fixed order.

use std::ops::Deref;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use tokio::sync::Notify;

/// The sender is gone: no value will change any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

struct Shared<T> {
    value: RwLock<T>,
    /// Bumped on every change; the sender's drop closes the channel.
    version: AtomicUsize,
    closed: std::sync::atomic::AtomicBool,
    changed: Notify,
}

/// Creates a channel holding `init`.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        closed: false.into(),
        changed: Notify::new(),
    });
    let rx = Receiver {
        shared: shared.clone(),
        seen: 0,
    };
    (Sender { shared }, rx)
}

/// The sending half. Dropping it closes the channel.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half; it remembers the last version it saw.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: usize,
}

/// A read borrow of the current value.
pub struct Ref<'a, T>(RwLockReadGuard<'a, T>);

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Shared<T> {
    fn replace(&self, value: T) -> T {
        let old = std::mem::replace(&mut *self.value.write().unwrap(), value);
        self.version.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        old
    }
}

impl<T> Sender<T> {
    /// Sets the value, wakes the receivers, and returns the old value.
    pub fn send_replace(&self, value: T) -> T {
        self.shared.replace(value)
    }

    /// The current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref(self.shared.value.read().unwrap())
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version.load(Ordering::SeqCst),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.changed.notify_waiters();
    }
}

impl<T> Receiver<T> {
    /// The current value.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref(self.shared.value.read().unwrap())
    }

    /// Waits for a value this receiver has not seen; `RecvError` once the sender is gone
    /// and every value was seen.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        loop {
            let mut notified = pin!(self.shared.changed.notified());
            notified.as_mut().enable();
            let version = self.shared.version.load(Ordering::SeqCst);
            if version != self.seen {
                self.seen = version;
                return Ok(());
            }
            if self.shared.closed.load(Ordering::SeqCst) {
                return Err(RecvError);
            }
            notified.await;
        }
    }

    /// Waits until the value satisfies `f` (checking the current value first); the
    /// value that did. `RecvError` if the sender is gone and the value never did.
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        loop {
            let mut notified = pin!(self.shared.changed.notified());
            notified.as_mut().enable();
            self.seen = self.shared.version.load(Ordering::SeqCst);
            {
                let value = self.shared.value.read().unwrap();
                if f(&value) {
                    return Ok(Ref(value));
                }
            }
            if self.shared.closed.load(Ordering::SeqCst) {
                return Err(RecvError);
            }
            notified.await;
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn changed_sees_each_new_value_once_and_fails_after_the_sender_is_gone() {
        let (tx, mut rx) = channel(0);
        assert!(poll_once(pin!(rx.changed())).is_pending());
        tx.send_replace(1);
        assert_eq!(poll_once(pin!(rx.changed())), Poll::Ready(Ok(())));
        assert_eq!(*rx.borrow(), 1);
        assert!(poll_once(pin!(rx.changed())).is_pending());
        drop(tx);
        assert_eq!(poll_once(pin!(rx.changed())), Poll::Ready(Err(RecvError)));
    }

    #[test]
    fn wait_for_checks_the_current_value_first() {
        let (tx, mut rx) = channel(Some(3));
        assert!(matches!(
            poll_once(pin!(rx.wait_for(|v| v.is_some()))),
            Poll::Ready(Ok(_))
        ));
        tx.send_replace(None);
        let mut rx2 = tx.subscribe();
        assert!(poll_once(pin!(rx2.wait_for(|v| v.is_some()))).is_pending());
        drop(tx);
        assert!(matches!(
            poll_once(pin!(rx2.wait_for(|v| v.is_some()))),
            Poll::Ready(Err(RecvError))
        ));
    }

    #[test]
    fn send_replace_hands_back_the_old_value_without_receivers_too() {
        let (tx, rx) = channel(0);
        drop(rx);
        assert_eq!(tx.send_replace(6), 0);
        assert_eq!(*tx.borrow(), 6);
    }
}
