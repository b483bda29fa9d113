//! The report: tables and figures built from the files that small real runs wrote.

mod common;

use softeq::experiment::config::RunConfig;
use softeq::experiment::report;
use softeq::experiment::reproduce::{Length, plan};
use softeq::experiment::run::{RunOptions, run};
use softeq::experiment::task::TaskData;

/// Returns the settings of a small inertia run of `model` that tunes its strengths at epoch 2.
fn small_config(model: &str) -> RunConfig {
    let mut c = common::small_inertia_config(model);
    c.train.tuning.adjust_at = 2;
    c
}

#[test]
fn report_tables_come_from_run_files() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for model in ["per", "mlp"] {
        let config = small_config(model);
        let task = TaskData::load(&config.task).unwrap();
        let options = RunOptions {
            out: results.join("inertia").join("axis-z-eps-1").join(model),
            ..Default::default()
        };
        run(&config, &task, &options).unwrap();
    }
    let readme = dir.path().join("README.md");
    std::fs::write(
        &readme,
        "# kept\n<!-- report:inertia:begin -->\nold\n<!-- report:inertia:end -->\ntail\n",
    )
    .unwrap();
    let figures = dir.path().join("figures");
    let done = report::build(&results, &readme, &figures).unwrap();
    assert_eq!(done, ["inertia: 2 runs"]);

    let text = std::fs::read_to_string(&readme).unwrap();
    assert!(text.starts_with("# kept\n"));
    assert!(text.ends_with("tail\n"));
    assert!(!text.contains("\nold\n"));
    assert!(text.contains("| setting | mlp | per |"), "{text}");
    assert!(text.contains("PER's strengths after tuning"));
    for name in [
        "inertia-lambda.svg",
        "inertia-axis-z-eps-1-regularizers.svg",
        "inertia-axis-z-eps-1-validation.svg",
        "inertia-axis-z-eps-1-equivariance.svg",
    ] {
        let svg = std::fs::read_to_string(figures.join(name)).unwrap();
        assert!(svg.starts_with("<svg"), "{name}");
        assert!(text.contains(name), "{name} not linked");
    }
    // The committed curves file lets the report rebuild without the per-epoch metrics.
    let per = results.join("inertia").join("axis-z-eps-1").join("per");
    assert!(per.join("curves.csv").is_file());
    std::fs::remove_file(per.join("trial-0").join("metrics.jsonl")).unwrap();
    let runs = report::find_runs(&results, "inertia").unwrap();
    let per_run = runs.iter().find(|r| r.label == "per").unwrap();
    assert_eq!(per_run.curves.len(), 6);
}

#[test]
fn every_experiment_plans_its_runs() {
    let motion = plan("motion", Length::Full).unwrap();
    let labels: Vec<&str> = motion.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "constant-velocity",
            "mlp",
            "emlp-o3",
            "emlp-o2xy",
            "rpp",
            "mixed-rpp",
            "per",
            "per-tadj-200"
        ]
    );
    assert!(motion.iter().all(|r| r.config.train.trials == 3));
    let inertia = plan("inertia", Length::Full).unwrap();
    assert!(inertia.iter().all(|r| r.config.train.trials == 5));
    let quick = plan("inertia", Length::Quick).unwrap();
    assert!(quick.iter().all(|r| r.config.train.trials == 1));
    assert!(quick.iter().all(|r| r.config.train.epochs < 1000));
    assert!(plan("inertia-typo", Length::Quick).is_err());
}
