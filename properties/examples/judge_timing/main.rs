//! Times every built-in property and sometimes situation on two synthetic histories of
//! ~70,000 calls: one shaped like the article scenario's, one mixing calls of every kind.
//!
//! `cargo run --release -p properties --example judge_timing` prints the size of each
//! history and the time each check took. The numbers are a measurement, not a test.

mod article_like;
mod mixed;
mod rng;

use std::time::Instant;

use properties::{Catalog, History, Op};

fn main() {
    let catalog = Catalog::builtin();
    for (name, h) in [
        ("article-like", article_like::history()),
        ("mixed", mixed::history()),
    ] {
        let states = h.calls.iter().filter(|c| c.op == Op::State).count();
        println!(
            "{name} history: {} calls ({states} State), {} events",
            h.calls.len(),
            h.events.len()
        );
        time_every_check(&catalog, &h);
    }
}

fn time_every_check(catalog: &Catalog, h: &History) {
    let all = Instant::now();
    for p in catalog.properties() {
        let t = Instant::now();
        let verdict = if p.check(h).is_pass() {
            "pass"
        } else {
            "violated"
        };
        println!("{:>10.3} ms  {} ({verdict})", ms(t), p.name());
    }
    for s in catalog.sometimes() {
        let t = Instant::now();
        let hit = if s.hit(h) { "hit" } else { "missed" };
        println!("{:>10.3} ms  {} ({hit})", ms(t), s.name());
    }
    println!("{:>10.3} ms  all", ms(all));
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}
