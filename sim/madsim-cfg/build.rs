//! Fails the build within seconds, with one message naming the fix, when the simulation is
//! built without `--cfg madsim`: a `RUSTFLAGS` (or `CARGO_ENCODED_RUSTFLAGS`) in the
//! environment replaces `.cargo/config.toml`'s `build.rustflags`, and without the flag
//! madsim builds as plain tokio, which this crate cannot run on.

fn main() {
    println!("cargo:rerun-if-env-changed=RUSTFLAGS");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    if std::env::var_os("CARGO_CFG_MADSIM").is_none() {
        eprintln!(
            "error: kata-dst's simulation must be built with `--cfg madsim`, which .cargo/config.toml sets; \
             a RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS in the environment replaces it. \
             Fix: unset RUSTFLAGS (and CARGO_ENCODED_RUSTFLAGS), or add `--cfg madsim` to it."
        );
        std::process::exit(1);
    }
}
