//! A progress line on stderr while a person watches a campaign: cases done, cases/s,
//! violations so far and the time left. Nothing at all when stderr is not a terminal (CI
//! logs, pipes, tests). It only reads counters: it never decides which cases run.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(250);

struct State {
    done: AtomicU64,
    violating: AtomicU64,
    stop: AtomicBool,
}

/// The progress of one campaign; the line disappears when it is dropped.
pub struct Progress {
    state: Arc<State>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the line if stderr is a terminal: `total` cases at most (None: unbounded),
    /// within `budget` of wall time from now.
    pub fn start(total: Option<u64>, budget: Option<Duration>) -> Progress {
        let state = Arc::new(State {
            done: AtomicU64::new(0),
            violating: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let ticker = std::io::stderr().is_terminal().then(|| {
            let state = state.clone();
            let started = Instant::now();
            std::thread::spawn(move || {
                while !state.stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(TICK);
                    if state.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let text = line(
                        state.done.load(Ordering::Relaxed),
                        state.violating.load(Ordering::Relaxed),
                        started.elapsed(),
                        total,
                        budget,
                    );
                    let _ = write!(std::io::stderr(), "\r\x1b[2K{text}");
                }
                let _ = write!(std::io::stderr(), "\r\x1b[2K");
            })
        });
        Progress { state, ticker }
    }

    /// One more case ran; it violated what the campaign looks for, or not.
    pub fn case(&self, violated: bool) {
        self.state.done.fetch_add(1, Ordering::Relaxed);
        if violated {
            self.state.violating.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The line: `1200/4000 cases, 2980 cases/s, 3 violating, ETA 0.9 s`.
fn line(
    done: u64,
    violating: u64,
    elapsed: Duration,
    total: Option<u64>,
    budget: Option<Duration>,
) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-9);
    let by_count = total
        .filter(|_| rate > 0.0)
        .map(|t| Duration::from_secs_f64(t.saturating_sub(done) as f64 / rate));
    let by_budget = budget.map(|b| b.saturating_sub(elapsed));
    let eta = match (by_count, by_budget) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let of = total.map_or(String::new(), |t| format!("/{t}"));
    let eta = eta.map_or("-".to_string(), |e| format!("{:.1} s", e.as_secs_f64()));
    format!("{done}{of} cases, {rate:.0} cases/s, {violating} violating, ETA {eta}")
}

#[cfg(test)]
mod tests {
    use super::line;
    use std::time::Duration;

    #[test]
    fn the_line_has_rate_violations_and_the_nearer_end() {
        let s = Duration::from_secs;
        assert_eq!(
            line(100, 2, s(1), Some(400), None),
            "100/400 cases, 100 cases/s, 2 violating, ETA 3.0 s"
        );
        assert_eq!(
            line(100, 0, s(1), Some(400), Some(s(2))),
            "100/400 cases, 100 cases/s, 0 violating, ETA 1.0 s"
        );
        assert_eq!(
            line(0, 0, s(1), None, None),
            "0 cases, 0 cases/s, 0 violating, ETA -"
        );
    }
}
