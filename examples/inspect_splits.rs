//! Prints the spread of the targets of each split of a synthetic task, to see how heavy the
//! tails of the MSE are: `cargo run --release --example inspect_splits -- inertia z 0`.

use softeq::data::synthetic::{SyntheticConfig, Task, generate};

fn main() -> softeq::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let task = Task::parse(
        args.get(1).map_or("inertia", |s| s),
        args.get(2).map_or("z", |s| s),
        args.get(3).map_or(0.0, |s| s.parse().unwrap_or(0.0)),
    )?;
    let splits = generate(&SyntheticConfig::new(task, 0))?;
    for (name, data) in [
        ("train", splits.train()),
        ("val", splits.val()),
        ("test", splits.test()),
    ] {
        let mut norms: Vec<f64> = data
            .y()
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|v| v * v).sum::<f64>())
            .collect();
        norms.sort_by(|a, b| a.total_cmp(b));
        let n = norms.len();
        let mean = norms.iter().sum::<f64>() / n as f64;
        println!(
            "{name}: mean |y|^2 {mean:.2}, median {:.2}, 99th percentile {:.2}, max {:.2}, share of the largest sample {:.1} %",
            norms[n / 2],
            norms[n * 99 / 100],
            norms[n - 1],
            100.0 * norms[n - 1] / (mean * n as f64)
        );
    }
    Ok(())
}
