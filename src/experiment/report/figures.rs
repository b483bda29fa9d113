//! SVG figures of the report: strengths, regularizer curves, validation curves and
//! equivariance errors.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;

use super::super::plot::{Bar, Line, bar_chart, line_chart};
use super::{FoundRun, is_per};

/// Appends a Markdown image link to `name` inside the figures folder `dir`.
fn link(md: &mut String, alt: &str, dir: &Path, name: &str) {
    let folder = dir.file_name().unwrap_or_default().to_string_lossy();
    let _ = writeln!(md, "![{alt}]({folder}/{name})");
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
    let per: Vec<&FoundRun> = runs.iter().filter(|r| is_per(&r.label)).collect();
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
                        group: if r.label == "per" {
                            r.setting.clone()
                        } else {
                            format!("{} {}", r.setting, r.label)
                        },
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
        link(&mut md, &format!("{experiment}: strengths"), dir, &name);
    }
    for s in &settings {
        let in_setting: Vec<&FoundRun> = runs.iter().filter(|r| &r.setting == s).collect();
        for p in in_setting
            .iter()
            .filter(|r| is_per(&r.label) && !r.curves.is_empty())
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
            let name = if p.label == "per" {
                format!("{experiment}-{s}-regularizers.svg")
            } else {
                format!("{experiment}-{s}-{}-regularizers.svg", p.label)
            };
            line_chart(
                &dir.join(&name),
                &format!("{experiment} {s} {}: regularizer sums R_j", p.label),
                "epoch",
                "R_j",
                &lines,
                &markers,
            )?;
            link(&mut md, &format!("{s} {}: R_j", p.label), dir, &name);
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
            link(&mut md, &format!("{s}: validation"), dir, &name);
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
            link(&mut md, &format!("{s}: equivariance error"), dir, &name);
        }
    }
    Ok(md)
}
