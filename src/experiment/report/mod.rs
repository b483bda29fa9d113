//! The report: tables and figures built only from the files a reproduction wrote.
//!
//! For every `<results>/<experiment>/<setting>/<model>/summary.json` the report reads the
//! aggregate and, from trial 0, the per-epoch curves: `metrics.jsonl` when present (it is not
//! committed), else the `curves.csv` it wrote from it earlier (committed, at most 500 rows).
//! Tables go into `paper/README.md` between the markers
//! `<!-- report:<experiment>:begin -->` and `<!-- report:<experiment>:end -->`, figures into
//! `paper/figures/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::{read_json, write_atomic};

use super::run::RunSummary;

mod figures;
mod tables;

pub use figures::figures;
pub use tables::tables;

/// One run found in the results folder.
pub struct FoundRun {
    /// Setting folder name.
    pub setting: String,
    /// Model folder name.
    pub label: String,
    /// The aggregate.
    pub summary: RunSummary,
    /// Per-epoch curves of trial 0.
    pub curves: Vec<CurvePoint>,
}

/// One epoch of a run's curves.
#[derive(Clone, Debug)]
pub struct CurvePoint {
    /// 1-based epoch.
    pub epoch: f64,
    /// Validation metric (MSE, or ADE in metres for motion).
    pub val: f64,
    /// Regularizer sums `R_j` (PER).
    pub r: Vec<f64>,
    /// Strengths `lambda_j` (PER).
    pub lambda: Vec<f64>,
}

const MAX_CURVE_ROWS: usize = 500;

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Reads (and caches as `curves.csv`) the curves of trial 0 of a run.
fn curves(run: &Path) -> Result<Vec<CurvePoint>> {
    let metrics = run.join("trial-0").join("metrics.jsonl");
    let csv = run.join("curves.csv");
    if metrics.is_file() {
        let text =
            std::fs::read_to_string(&metrics).map_err(|e| Error::io("cannot read", &metrics, e))?;
        let rows: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let stride = rows.len().div_ceil(MAX_CURVE_ROWS).max(1);
        let mut out = String::from("epoch,val,r,lambda\n");
        let mut parsed = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            // Keep every stride-th epoch and every epoch where the strengths changed.
            let changed = i > 0 && row["lambda"] != rows[i - 1]["lambda"];
            if i % stride != 0 && !changed && i + 1 != rows.len() {
                continue;
            }
            let nums = |key: &str| -> Vec<f64> {
                row[key]
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                    .unwrap_or_default()
            };
            let epoch = row["epoch"].as_f64().unwrap_or(0.0);
            let val = row["val_ade_m"]
                .as_f64()
                .or_else(|| row["val_mse"].as_f64())
                .unwrap_or(f64::NAN);
            let (r, lambda) = (nums("r"), nums("lambda"));
            let join = |v: &[f64]| {
                v.iter()
                    .map(|x| format!("{x:e}"))
                    .collect::<Vec<_>>()
                    .join(";")
            };
            let _ = writeln!(out, "{epoch},{val:e},{},{}", join(&r), join(&lambda));
            parsed.push(CurvePoint {
                epoch,
                val,
                r,
                lambda,
            });
        }
        write_atomic(&csv, out.as_bytes())?;
        return Ok(parsed);
    }
    if !csv.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&csv).map_err(|e| Error::io("cannot read", &csv, e))?;
    let list = |s: &str| -> Vec<f64> {
        s.split(';')
            .filter(|t| !t.is_empty())
            .filter_map(|t| t.parse().ok())
            .collect()
    };
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (f.len() == 4).then(|| CurvePoint {
                epoch: f[0].parse().unwrap_or(0.0),
                val: f[1].parse().unwrap_or(f64::NAN),
                r: list(f[2]),
                lambda: list(f[3]),
            })
        })
        .collect())
}

/// Returns a model label's position in the comparison order of the paper's tables: baselines
/// first, PER last.
pub fn model_rank(label: &str) -> usize {
    const ORDER: [&str; 6] = [
        "constant-velocity",
        "mlp",
        "emlp",
        "rpp",
        "mixed-rpp",
        "per",
    ];
    ORDER
        .iter()
        .rposition(|name| label == *name || label.starts_with(&format!("{name}-")))
        .unwrap_or(ORDER.len())
}

/// Tells whether a label names a PER run (`per`, or a variant such as `per-l0-1`).
pub fn is_per(label: &str) -> bool {
    label == "per" || label.starts_with("per-")
}

/// Finds every run of `experiment` under `results`.
pub fn find_runs(results: &Path, experiment: &str) -> Result<Vec<FoundRun>> {
    let mut runs = Vec::new();
    for setting in subdirs(&results.join(experiment)) {
        for model in subdirs(&setting) {
            let path = model.join("summary.json");
            if !path.is_file() {
                continue;
            }
            runs.push(FoundRun {
                setting: setting
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                label: model
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                summary: read_json(&path)?,
                curves: curves(&model)?,
            });
        }
    }
    // Settings keep the folder order and models follow the comparison order of `model_rank`.
    runs.sort_by(|a, b| {
        (a.setting.as_str(), model_rank(&a.label), a.label.as_str()).cmp(&(
            b.setting.as_str(),
            model_rank(&b.label),
            b.label.as_str(),
        ))
    });
    Ok(runs)
}

/// Replaces the text between the experiment's markers in `readme` (or appends a section).
pub fn splice(readme: &str, experiment: &str, body: &str) -> String {
    let begin = format!("<!-- report:{experiment}:begin -->");
    let end = format!("<!-- report:{experiment}:end -->");
    match (readme.find(&begin), readme.find(&end)) {
        (Some(b), Some(e)) if b < e => format!("{}{begin}\n{body}\n{}", &readme[..b], &readme[e..]),
        _ => format!("{readme}\n{begin}\n{body}\n{end}\n"),
    }
}

/// Builds tables and figures for every experiment found under `results`.
pub fn build(results: &Path, readme: &Path, figures_dir: &Path) -> Result<Vec<String>> {
    let mut text = if readme.exists() {
        std::fs::read_to_string(readme).map_err(|e| Error::io("cannot read", readme, e))?
    } else {
        String::from("# softeq results\n")
    };
    let mut done = Vec::new();
    for experiment in super::reproduce::EXPERIMENTS {
        let runs = find_runs(results, experiment)?;
        if runs.is_empty() {
            continue;
        }
        let mut body = tables(&runs);
        if experiment == "ablations" {
            body.push_str(&tables::ablation_comparison(results, &runs)?);
        }
        body.push('\n');
        body.push_str(&figures(experiment, &runs, figures_dir)?);
        text = splice(&text, experiment, &body);
        done.push(format!("{experiment}: {} runs", runs.len()));
    }
    write_atomic(readme, text.as_bytes())?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_rank_follows_paper_order() {
        let mut labels = vec![
            "per-l0-1",
            "per",
            "mixed-rpp",
            "rpp",
            "emlp-o3",
            "mlp",
            "constant-velocity",
            "frame-averaging",
        ];
        labels.sort_by_key(|l| (model_rank(l), l.to_string()));
        assert_eq!(
            labels,
            [
                "constant-velocity",
                "mlp",
                "emlp-o3",
                "rpp",
                "mixed-rpp",
                "per",
                "per-l0-1",
                "frame-averaging"
            ]
        );
        assert!(is_per("per-size-corrected"));
        assert!(!is_per("perceptron"));
    }

    #[test]
    fn every_ablation_has_default_run() {
        for planned in
            super::super::reproduce::plan("ablations", super::super::reproduce::Length::Quick)
                .unwrap()
        {
            assert!(
                super::super::reproduce::ablation_default(&planned.setting).is_some(),
                "{}",
                planned.setting
            );
        }
    }
}
