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

use super::plot::{Bar, Line, bar_chart, line_chart};
use super::run::{MeanStd, RunSummary};

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
    Ok(runs)
}

fn pm(m: &MeanStd, trials: usize) -> String {
    if trials > 1 {
        format!("{:.4} ± {:.4}", m.mean, m.std)
    } else {
        format!("{:.4}", m.mean)
    }
}

/// Markdown tables of one experiment.
pub fn tables(experiment: &str, runs: &[FoundRun]) -> String {
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
    let find = |s: &str, m: &str| runs.iter().find(|r| r.setting == s && r.label == m);
    let motion = experiment.starts_with("motion");
    let metric = if motion { "test ADE (m)" } else { "test MSE" };
    let _ = writeln!(
        out,
        "**{metric}** (mean ± standard deviation over trials; trials in brackets)\n"
    );
    let _ = writeln!(out, "| setting | {} |", models.join(" | "));
    let _ = writeln!(
        out,
        "|---|{}|",
        models.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for s in &settings {
        let mut row = format!("| {s} |");
        let best = models
            .iter()
            .filter_map(|m| find(s, m))
            .map(|r| {
                r.summary
                    .test_ade_m
                    .map(|a| a.mean)
                    .unwrap_or(r.summary.test_mse.mean)
            })
            .fold(f64::INFINITY, f64::min);
        for m in &models {
            let cell = match find(s, m) {
                Some(r) => {
                    let v = r.summary.test_ade_m.unwrap_or(r.summary.test_mse);
                    let text = format!("{} ({})", pm(&v, r.summary.trials), r.summary.trials);
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
    if motion {
        let _ = writeln!(
            out,
            "\n**validation ADE and test FDE (m)** (selection and tuning use validation only)\n"
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
                pm(&val, r.summary.trials),
                pm(&fde, r.summary.trials),
                params,
                r.summary.seconds_per_epoch
            );
        }
    } else if runs.iter().any(|r| r.summary.ood_mse.is_some()) {
        let _ = writeln!(out, "\n**out-of-distribution MSE**\n");
        let _ = writeln!(out, "| setting | {} |", models.join(" | "));
        let _ = writeln!(
            out,
            "|---|{}|",
            models.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for s in &settings {
            let cells: Vec<String> = models
                .iter()
                .map(|m| {
                    find(s, m)
                        .and_then(|r| r.summary.ood_mse.map(|o| pm(&o, r.summary.trials)))
                        .unwrap_or_else(|| "-".into())
                })
                .collect();
            let _ = writeln!(out, "| {s} | {} |", cells.join(" | "));
        }
    }
    let per_runs: Vec<&FoundRun> = runs.iter().filter(|r| r.label == "per").collect();
    if let Some(first) = per_runs.first() {
        let groups = &first.summary.groups;
        let _ = writeln!(
            out,
            "\n**PER's strengths after tuning** (lambda per candidate group; the full group has lambda = 0)\n"
        );
        let _ = writeln!(out, "| setting | {} |", groups.join(" | "));
        let _ = writeln!(
            out,
            "|---|{}|",
            groups.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for r in &per_runs {
            let cells: Vec<String> = r
                .summary
                .lambda
                .iter()
                .map(|l| pm(l, r.summary.trials))
                .collect();
            let _ = writeln!(out, "| {} | {} |", r.setting, cells.join(" | "));
        }
    }
    let _ = writeln!(
        out,
        "\n**Relative equivariance error of the selected models** (per candidate group)\n"
    );
    let groups = runs
        .first()
        .map(|r| r.summary.groups.clone())
        .unwrap_or_default();
    let _ = writeln!(out, "| setting | model | {} |", groups.join(" | "));
    let _ = writeln!(
        out,
        "|---|---|{}|",
        groups.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in runs {
        let cells: Vec<String> = r
            .summary
            .equivariance
            .iter()
            .map(|e| format!("{:.2e}", e.mean))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            r.setting,
            r.label,
            cells.join(" | ")
        );
    }
    out
}

/// Figures of one experiment; returns the Markdown that shows them.
pub fn figures(experiment: &str, runs: &[FoundRun], dir: &Path) -> Result<String> {
    let mut md = String::new();
    let settings: Vec<String> = {
        let mut s: Vec<String> = Vec::new();
        for r in runs {
            if !s.contains(&r.setting) {
                s.push(r.setting.clone());
            }
        }
        s
    };
    let per: Vec<&FoundRun> = runs.iter().filter(|r| r.label == "per").collect();
    if !per.is_empty() {
        let bars: Vec<Bar> = per
            .iter()
            .flat_map(|r| {
                r.summary
                    .groups
                    .iter()
                    .zip(&r.summary.lambda)
                    .skip(1)
                    .map(move |(g, l)| Bar {
                        group: r.setting.clone(),
                        series: g.clone(),
                        value: l.mean,
                    })
            })
            .collect();
        let name = format!("{experiment}-lambda.svg");
        bar_chart(
            &dir.join(&name),
            &format!("{experiment}: PER's strength per candidate group"),
            "lambda after tuning",
            &bars,
            true,
        )?;
        let _ = writeln!(
            md,
            "![{experiment}: strengths]({}/{name})",
            dir.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    for s in &settings {
        let in_setting: Vec<&FoundRun> = runs.iter().filter(|r| &r.setting == s).collect();
        if let Some(p) = in_setting
            .iter()
            .find(|r| r.label == "per")
            .filter(|p| !p.curves.is_empty())
        {
            let groups = &p.summary.groups;
            let lines: Vec<Line> = groups
                .iter()
                .enumerate()
                .map(|(j, g)| Line {
                    name: format!("R for {g}"),
                    points: p
                        .curves
                        .iter()
                        .filter_map(|c| c.r.get(j).map(|r| (c.epoch, *r)))
                        .collect(),
                })
                .collect();
            let tuned = p
                .summary
                .per_trial
                .first()
                .and_then(|t| t.tuning.as_ref())
                .map(|t| t.epoch as f64);
            let markers: Vec<(f64, &str)> =
                tuned.map(|e| vec![(e, "tuning epoch")]).unwrap_or_default();
            let name = format!("{experiment}-{s}-regularizers.svg");
            line_chart(
                &dir.join(&name),
                &format!("{experiment} {s}: PER regularizer sums R_j"),
                "epoch",
                "R_j",
                &lines,
                &markers,
            )?;
            let _ = writeln!(
                md,
                "![{s}: R_j]({}/{name})",
                dir.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        let lines: Vec<Line> = in_setting
            .iter()
            .filter(|r| !r.curves.is_empty())
            .map(|r| Line {
                name: r.label.clone(),
                points: r.curves.iter().map(|c| (c.epoch, c.val)).collect(),
            })
            .collect();
        if !lines.is_empty() {
            let name = format!("{experiment}-{s}-validation.svg");
            let y = if experiment.starts_with("motion") {
                "validation ADE (m)"
            } else {
                "validation MSE"
            };
            line_chart(
                &dir.join(&name),
                &format!("{experiment} {s}: validation"),
                "epoch",
                y,
                &lines,
                &[],
            )?;
            let _ = writeln!(
                md,
                "![{s}: validation]({}/{name})",
                dir.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        let bars: Vec<Bar> = in_setting
            .iter()
            .flat_map(|r| {
                r.summary
                    .groups
                    .iter()
                    .zip(&r.summary.equivariance)
                    .map(move |(g, e)| Bar {
                        group: r.label.clone(),
                        series: g.clone(),
                        value: e.mean,
                    })
            })
            .collect();
        if !bars.is_empty() {
            let name = format!("{experiment}-{s}-equivariance.svg");
            bar_chart(
                &dir.join(&name),
                &format!("{experiment} {s}: equivariance error"),
                "relative error",
                &bars,
                true,
            )?;
            let _ = writeln!(
                md,
                "![{s}: equivariance error]({}/{name})",
                dir.file_name().unwrap_or_default().to_string_lossy()
            );
        }
    }
    Ok(md)
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
        let mut body = tables(experiment, &runs);
        body.push('\n');
        body.push_str(&figures(experiment, &runs, figures_dir)?);
        text = splice(&text, experiment, &body);
        done.push(format!("{experiment}: {} runs", runs.len()));
    }
    write_atomic(readme, text.as_bytes())?;
    Ok(done)
}
