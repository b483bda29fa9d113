//! Learning-rate schedules.

/// Cosine decay from `base` at epoch 0 to 0 at epoch `total`:
/// `lr(e) = base * (1 + cos(pi * e / total)) / 2`, evaluated once per epoch.
pub fn cosine_lr(base: f64, epoch: usize, total: usize) -> f64 {
    if total == 0 {
        return base;
    }
    let progress = (epoch.min(total) as f64) / (total as f64);
    0.5 * base * (1.0 + (std::f64::consts::PI * progress).cos())
}
