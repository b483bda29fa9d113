//! Markdown tables of the report.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::io::read_json;

use super::super::reproduce::ablation_default;
use super::super::run::{MeanStd, RunSummary};
use super::{FoundRun, is_per};

/// Formats `mean ± std` with `digits` decimals, or the mean alone for one trial.
fn pm(m: &MeanStd, trials: usize, digits: usize) -> String {
    if trials > 1 {
        format!("{:.digits$} ± {:.digits$}", m.mean, m.std)
    } else {
        format!("{:.digits$}", m.mean)
    }
}

/// Formats a strength with two decimals from 1 up and in scientific notation below, because
/// strengths span 1e-3 (cosine similarity) to 100 (inertia).
fn strength(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.2e}")
    }
}

/// Formats a strength's `mean ± std`, or the mean alone for one trial.
fn strength_pm(m: &MeanStd, trials: usize) -> String {
    if trials > 1 {
        format!("{} ± {}", strength(m.mean), strength(m.std))
    } else {
        strength(m.mean)
    }
}

/// Returns a run's headline test metric (ADE in metres for motion, else MSE) with its number
/// of decimals: one for metres, four for MSE on unit-scale data.
fn headline(s: &RunSummary) -> (MeanStd, usize) {
    match s.test_ade_m {
        Some(ade) => (ade, 1),
        None => (s.test_mse, 4),
    }
}

/// Writes a Markdown table header and its separator line.
fn header(out: &mut String, columns: &[String]) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        columns.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
}

/// Builds the Markdown tables of one experiment.
pub fn tables(runs: &[FoundRun]) -> String {
    let mut out = String::new();
    let mut settings: Vec<&str> = Vec::new();
    let mut models: Vec<&str> = Vec::new();
    for r in runs {
        if !settings.contains(&r.setting.as_str()) {
            settings.push(&r.setting);
        }
        if !models.contains(&r.label.as_str()) {
            models.push(&r.label);
        }
    }
    models.sort_by_key(|m| (super::model_rank(m), m.to_string()));

    let find = |s: &str, m: &str| runs.iter().find(|r| r.setting == s && r.label == m);
    let any_motion = runs.iter().any(|r| r.summary.test_ade_m.is_some());
    let metric = match (
        any_motion,
        runs.iter().all(|r| r.summary.test_ade_m.is_some()),
    ) {
        (true, true) => "test ADE (m)",
        (true, false) => "test MSE (ADE in m for motion settings)",
        _ => "test MSE",
    };
    let _ = writeln!(
        out,
        "**{metric}** (mean ± standard deviation over trials; trials in brackets; best in bold)\n"
    );

    let mut columns = vec!["setting".to_string()];
    columns.extend(models.iter().map(|m| m.to_string()));
    header(&mut out, &columns);
    for s in &settings {
        let mut row = format!("| {s} |");
        let best = models
            .iter()
            .filter_map(|m| find(s, m))
            .map(|r| headline(&r.summary).0.mean)
            .fold(f64::INFINITY, f64::min);
        for m in &models {
            let cell = match find(s, m) {
                Some(r) => {
                    let (v, digits) = headline(&r.summary);
                    let text = format!(
                        "{} ({})",
                        pm(&v, r.summary.trials, digits),
                        r.summary.trials
                    );
                    if v.mean == best {
                        format!("**{text}**")
                    } else {
                        text
                    }
                }
                None => "-".into(),
            };
            let _ = write!(row, " {cell} |");
        }
        let _ = writeln!(out, "{row}");
    }

    if any_motion {
        motion_details(&mut out, runs);
    }
    if runs.iter().any(|r| r.summary.ood_mse.is_some()) {
        let _ = writeln!(out, "\n**out-of-distribution MSE**\n");
        header(&mut out, &columns);
        for s in &settings {
            let cells: Vec<String> = models
                .iter()
                .map(|m| {
                    find(s, m)
                        .and_then(|r| r.summary.ood_mse.map(|o| pm(&o, r.summary.trials, 4)))
                        .unwrap_or_else(|| "-".into())
                })
                .collect();
            let _ = writeln!(out, "| {s} | {} |", cells.join(" | "));
        }
    }
    strengths(&mut out, runs);
    equivariance(&mut out, runs);
    out
}

/// Writes the validation ADE, test FDE, size and speed of the motion runs.
fn motion_details(out: &mut String, runs: &[FoundRun]) {
    let _ = writeln!(
        out,
        "\n**validation ADE and test FDE (m)** (selection and tuning use validation only; \
         s/epoch with the trials sharing 2 cores)\n"
    );
    let _ = writeln!(
        out,
        "| setting | model | validation ADE | test FDE | parameters | s/epoch |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in runs {
        let Some(fde) = r.summary.test_fde_m else {
            continue;
        };
        let params = r
            .summary
            .per_trial
            .first()
            .map(|t| t.parameters)
            .unwrap_or(0);
        let val: Vec<f64> = r
            .summary
            .per_trial
            .iter()
            .filter_map(|t| t.val.ade_m)
            .collect();
        let val = MeanStd::of(&val);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.3} |",
            r.setting,
            r.label,
            pm(&val, r.summary.trials, 1),
            pm(&fde, r.summary.trials, 1),
            params,
            r.summary.seconds_per_epoch
        );
    }
}

/// Writes the strengths every PER run ended with.
fn strengths(out: &mut String, runs: &[FoundRun]) {
    let per_runs: Vec<&FoundRun> = runs.iter().filter(|r| is_per(&r.label)).collect();
    if per_runs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n**PER's strengths after tuning** (lambda per candidate group; the full group has \
         lambda = 0)"
    );
    group_rows(out, &per_runs, |r| {
        r.summary
            .lambda
            .iter()
            .map(|l| strength_pm(l, r.summary.trials))
            .collect()
    });
}

/// Writes the relative equivariance error of every selected model per candidate group.
fn equivariance(out: &mut String, runs: &[FoundRun]) {
    let _ = writeln!(
        out,
        "\n**Relative equivariance error of the selected models** (per candidate group)"
    );
    let all: Vec<&FoundRun> = runs.iter().collect();
    group_rows(out, &all, |r| {
        r.summary
            .equivariance
            .iter()
            .map(|e| format!("{:.2e}", e.mean))
            .collect()
    });
}

/// Writes one row per run with a cell per candidate group, and starts a new table with setting,
/// model and group columns whenever the candidate groups change.
fn group_rows(out: &mut String, runs: &[&FoundRun], cells: impl Fn(&FoundRun) -> Vec<String>) {
    let mut groups: Option<&Vec<String>> = None;
    for r in runs {
        if groups != Some(&r.summary.groups) {
            let mut columns = vec!["setting".to_string(), "model".to_string()];
            columns.extend(r.summary.groups.iter().cloned());
            out.push('\n');
            header(out, &columns);
            groups = Some(&r.summary.groups);
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            r.setting,
            r.label,
            cells(r).join(" | ")
        );
    }
}

/// Formats trial 0's test metric (ADE in metres for motion, else MSE) and strengths.
fn first_trial(s: &RunSummary) -> Option<(String, String)> {
    let t = s.per_trial.first()?;
    let metric = match t.test.ade_m {
        Some(ade) => format!("{ade:.1}"),
        None => format!("{:.4}", t.test.mse),
    };
    let lambda: Vec<String> = t.lambda.iter().map(|l| strength(*l)).collect();
    Some((metric, format!("[{}]", lambda.join(", "))))
}

/// Tabulates each ablation next to trial 0 of the default run it changes one choice of. Both
/// use the same seed, so they differ only by that choice.
pub fn ablation_comparison(results: &Path, runs: &[FoundRun]) -> Result<String> {
    let mut out = String::from(
        "\n**Each difference against softeq's default** (trial 0 of both, the same seed; the \
         default run comes from its experiment's folder; test ADE in m for motion, test MSE \
         otherwise)\n\n",
    );
    out.push_str("| setting | model | test metric | default's | lambda | default's lambda |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for r in runs {
        let Some((experiment, setting, model)) = ablation_default(&r.setting) else {
            continue;
        };
        let Some((metric, lambda)) = first_trial(&r.summary) else {
            continue;
        };
        let path = results
            .join(experiment)
            .join(&setting)
            .join(model)
            .join("summary.json");
        let default = if path.is_file() {
            first_trial(&read_json::<RunSummary>(&path)?)
        } else {
            None
        };
        let (dm, dl) = default.unwrap_or_else(|| ("not run".into(), "-".into()));
        let _ = writeln!(
            out,
            "| {} | {} | {metric} | {dm} | {lambda} | {dl} |",
            r.setting, r.label
        );
    }
    Ok(out)
}
