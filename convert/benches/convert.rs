//! The converter alone, in process: a CSV to zstd Parquet parts in a local
//! lake, with the daemon's default settings, and none of its HTTP, catalog
//! or scanning. `bench/convert.sh` compares the whole daemon against
//! DuckDB, polars and pyarrow; this one is for looking inside the
//! converter. Wall time on a shared machine swings by a tenth from run to
//! run, so judge small changes by instruction counts, which repeat:
//!
//! ```sh
//! cargo bench -p airlock-convert --bench convert      # a generated 256 MiB CSV
//! BENCH_CSV=big.csv BENCH_ROUNDS=1 cargo bench -p airlock-convert --bench convert
//! BENCH_LAKE=out cargo bench -p airlock-convert --bench convert   # keeps the last round's parts in out/v
//! # instructions, the same from run to run (build with `cargo bench --no-run`):
//! BENCH_SIZE_MIB=32 BENCH_ROUNDS=1 valgrind --tool=callgrind target/release/deps/convert-HASH --bench
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

use airlock_convert::{ConvertOptions, Source, to_parquet};

fn var(name: &str, default: usize) -> anyhow::Result<usize> {
    std::env::var(name).map_or(Ok(default), |v| v.parse().context(name.to_owned()))
}

fn main() -> anyhow::Result<()> {
    // `cargo test --benches` runs this without `--bench`: nothing to do.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let csv = match std::env::var_os("BENCH_CSV") {
        Some(path) => PathBuf::from(path),
        None => {
            let path = dir.path().join("data.csv");
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/gen_csv.py");
            let mib = var("BENCH_SIZE_MIB", 256)?.to_string();
            let status = std::process::Command::new("python3")
                .arg(script)
                .arg(&path)
                .arg(mib)
                .status()?;
            anyhow::ensure!(status.success(), "{script} failed");
            path
        }
    };
    let bytes = std::fs::metadata(&csv)?.len() as f64;
    let opts = ConvertOptions::default();
    let source = Source::of("data.csv", None).context("a CSV source")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let lake =
        std::env::var_os("BENCH_LAKE").map_or_else(|| dir.path().join("lake"), PathBuf::from);
    // Only the bench's own version directory is cleared: BENCH_LAKE may
    // name a directory that holds other things.
    let version = lake.join("v");
    for round in 1..=var("BENCH_ROUNDS", 3)? {
        if version.exists() {
            std::fs::remove_dir_all(&version)?;
        }
        std::fs::create_dir_all(&lake)?;
        let store = Arc::new(LocalFileSystem::new_with_prefix(&lake)?);
        let start = Instant::now();
        let converted = runtime.block_on(to_parquet(
            csv.clone(),
            source,
            store,
            Path::from("v"),
            &opts,
        ))?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "round {round}: {} rows in {secs:.2} s, {:.0} MB/s, {} parts, {:.1} MiB of Parquet",
            converted.rows,
            bytes / 1e6 / secs,
            converted.parts.len(),
            converted.size_bytes as f64 / f64::from(1 << 20),
        );
    }
    Ok(())
}
