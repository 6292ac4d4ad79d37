//! The same seed gives the same trace, bit for bit: in a new process, in a batch in
//! another order, and again in the same process.

fn replay_summary(profile: &str, seed: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kata-dst"))
        .args(["replay", "--profile", profile, "--seed", seed])
        .env("RUST_LOG", "off")
        .output()
        .expect("kata-dst runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    stdout
        .lines()
        .find(|l| l.starts_with("summary:"))
        .expect("a summary line")
        .to_string()
}

#[test]
fn every_profile_replays_a_seed_bit_for_bit_in_a_new_process() {
    for profile in ["rs-3.24", "rs-3.24+pr12337", "go-3.24"] {
        let first = replay_summary(profile, "3");
        let again = replay_summary(profile, "3");
        assert_eq!(first, again, "{profile} seed 3");
        assert!(first.contains(" trace "), "{first}");
    }
}

#[test]
fn different_seeds_give_different_traces() {
    assert_ne!(
        replay_summary("go-3.24", "1"),
        replay_summary("go-3.24", "2")
    );
}

#[test]
fn a_batch_in_another_order_gives_the_same_traces() {
    use runtime_model::Profile;
    use sim::runner::{run_jobs, Job};
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_kata-dst"));
    let forward: Vec<Job> = Profile::ALL
        .iter()
        .flat_map(|&profile| (10..13).map(move |seed| Job { profile, seed }))
        .collect();
    let backward: Vec<Job> = forward.iter().rev().copied().collect();
    let a = run_jobs(exe, "article", &forward, 2, &|_, _| {}).expect("batch runs");
    let mut b = run_jobs(exe, "article", &backward, 2, &|_, _| {}).expect("batch runs");
    b.reverse();
    assert_eq!(a, b);
}

#[test]
fn a_few_hundred_small_seeds_repeat_in_reverse_order() {
    use runtime_model::Profile;
    use sim::runner::{run_jobs, Job, SeedRun};
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_kata-dst"));
    let forward: Vec<Job> = Profile::ALL
        .iter()
        .flat_map(|&profile| (0..70).map(move |seed| Job { profile, seed }))
        .collect();
    let backward: Vec<Job> = forward.iter().rev().copied().collect();
    let hashes = |runs: &[SeedRun]| -> Vec<u64> { runs.iter().map(|r| r.trace_hash).collect() };
    let a = run_jobs(exe, "article-small", &forward, 2, &|_, _| {}).expect("batch runs");
    let mut b = run_jobs(exe, "article-small", &backward, 2, &|_, _| {}).expect("batch runs");
    b.reverse();
    assert_eq!(hashes(&a), hashes(&b));
    let distinct: std::collections::BTreeSet<u64> = hashes(&a).into_iter().collect();
    assert!(
        distinct.len() > a.len() / 2,
        "seeds should give different traces"
    );
}

/// Runs in one process do not leak into each other either: a seed run again after
/// other seeds in the same process gives the same trace. (tokio's own `watch` channel
/// wakes its waiters in an order drawn from a process-global counter; the model and
/// the world use `runtime_model::sync::watch` instead.)
#[test]
fn a_seed_repeated_in_one_process_gives_one_trace() {
    use runtime_model::Profile;
    use sim::latency::Latencies;
    use sim::runner::{on_fresh_thread, run_article_seed, LogOutput};
    use sim::scenario::article::Article;
    let small = Article::by_name("article-small").expect("built-in scenario");
    for profile in Profile::ALL {
        for seed in 0..20 {
            let run = move || {
                on_fresh_thread(move || {
                    run_article_seed(small, profile, seed, Latencies::default(), LogOutput::Quiet)
                })
                .expect("the seed runs")
            };
            let first = run();
            for _ in 0..3 {
                assert_eq!(run(), first, "{profile} seed {seed}");
            }
        }
    }
}
