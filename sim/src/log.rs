//! A run's log: where it goes, and the clock it is stamped with (simulated node time
//! since the run started, the clock every report of kata-dst uses).

use std::sync::{Arc, Mutex};

use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::recorder::{LogTally, TallyLayer};
use crate::timeline::Timeline;

/// Where a run's log goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogOutput {
    /// Tallied only (bulk runs).
    Quiet,
    /// Printed to stdout, filtered by RUST_LOG (default `info`).
    Stdout,
    /// Kept, filtered like `Stdout`, and handed back with the run.
    Capture,
}

/// Stamps each line with the run's node time, in the format of [`properties::fmt_ns`].
struct SimTime;

impl tracing_subscriber::fmt::time::FormatTime for SimTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        match crate::clock::try_now() {
            Some(t) => write!(w, "{:>12}", properties::fmt_ns(t.as_nanos() as u64)),
            None => write!(w, "{:>12}", "-"),
        }
    }
}

/// The sink of [`LogOutput::Capture`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The subscriber of one run: warnings and errors tallied into `tally` always, the log
/// written where `output` says (into `captured` for [`LogOutput::Capture`]), and the
/// run's [`Timeline`] filled if one is given. A quiet run has no log layer at all: an
/// absent layer would still enable every span and event.
pub fn subscriber(
    output: LogOutput,
    tally: Arc<LogTally>,
    captured: &Captured,
    timeline: Option<&Timeline>,
) -> Box<dyn Subscriber + Send + Sync> {
    if output == LogOutput::Quiet && timeline.is_none() {
        // Only the tally reads this run: filtered globally, no span exists at all.
        return Box::new(
            Registry::default()
                .with(TallyLayer(tally))
                .with(TalliedOnly),
        );
    }
    // The tally reads warning and error events only: with a per-layer filter, madsim's
    // task spans (at ERROR level, entered on every poll) still exist in the registry for
    // the other layers (the log prints them as each line's context).
    let tally =
        TallyLayer(tally).with_filter(filter_fn(tallied).with_max_level_hint(LevelFilter::WARN));
    let writer = match output {
        LogOutput::Quiet => {
            return Box::new(
                Registry::default()
                    .with(tally)
                    .with(timeline.map(|t| t.layer())),
            )
        }
        LogOutput::Stdout => BoxMakeWriter::new(std::io::stdout),
        LogOutput::Capture => {
            let sink = captured.clone();
            BoxMakeWriter::new(move || sink.clone())
        }
    };
    let log = tracing_subscriber::fmt::layer()
        .with_timer(SimTime)
        .with_target(false)
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")));
    Box::new(
        Registry::default()
            .with(tally)
            .with(log)
            .with(timeline.map(|t| t.layer())),
    )
}

/// What the tally reads: warning and error events.
fn tallied(m: &Metadata<'_>) -> bool {
    m.is_event() && matches!(*m.level(), Level::ERROR | Level::WARN)
}

/// The global filter of a quiet run without a timeline: every span (madsim's task spans
/// included) and every event the tally does not read is disabled at its callsite, so it
/// costs nothing, where a per-layer filter would still have the registry create, enter
/// and close every span.
struct TalliedOnly;

impl<S: Subscriber> Layer<S> for TalliedOnly {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if tallied(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        tallied(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::WARN)
    }
}
