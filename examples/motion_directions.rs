//! Prints how the motion windows are spread over directions: the horizontal direction of each
//! training window's displacement (first past to last future position) in 22.5-degree bins,
//! and the RMS displacement per axis in metres. A flat histogram means the horizontal
//! directions are sampled evenly, so the data alone would favour rotations about the vertical.
//!
//! `SOFTEQ_DATA_DIR=../shared/data cargo run --release --example motion_directions [dataset]`

use softeq::data::Split;
use softeq::experiment::config::RunConfig;
use softeq::experiment::task::TaskData;

const BINS: usize = 8;

fn main() -> softeq::Result<()> {
    let mut config = RunConfig::preset("motion")?;
    if let Some(dataset) = std::env::args().nth(1) {
        config.task.dataset = dataset;
    }
    let task = TaskData::load(&config.task)?;

    let windows = task
        .windows
        .as_ref()
        .expect("a motion task always carries its windows");
    let d = task.dim;
    let train = task
        .splits
        .get(Split::Train)
        .expect("motion has a train split");
    let (x, y) = (train.x(), train.y());
    let last = y.ncols() / d - 1;

    let mut histogram = [0usize; BINS];
    let mut sum_squares = vec![0.0_f64; d];
    for (past, future) in x.rows().into_iter().zip(y.rows()) {
        let delta: Vec<f64> = (0..d)
            .map(|k| (future[last * d + k] - past[k]) * windows.scale_m())
            .collect();
        for (s, v) in sum_squares.iter_mut().zip(&delta) {
            *s += v * v;
        }
        // East and west share a bin because the angle is taken modulo pi.
        let angle = delta[1].atan2(delta[0]).rem_euclid(std::f64::consts::PI);
        histogram[((angle / std::f64::consts::PI * BINS as f64) as usize).min(BINS - 1)] += 1;
    }

    let n = x.nrows() as f64;
    println!("{} training windows of {}", x.nrows(), task.label);
    for (b, count) in histogram.iter().enumerate() {
        let from = b as f64 * 180.0 / BINS as f64;
        println!(
            "  direction {from:5.1}..{:5.1} deg from east: {:5.1} % (even spread: {:.1} %)",
            from + 180.0 / BINS as f64,
            100.0 * *count as f64 / n,
            100.0 / BINS as f64
        );
    }

    let rms: Vec<String> = sum_squares
        .iter()
        .zip(["x (east)", "y (north)", "z (up)"])
        .map(|(s, axis)| format!("{axis} {:.0} m", (s / n).sqrt()))
        .collect();
    println!("  RMS displacement over the window: {}", rms.join(", "));
    Ok(())
}
