//! Motion forecasting end to end on trajectory files: a generated 2-D file with O(2), SO(2)
//! and an axis reflection as candidates, and the OpenSky data when `SOFTEQ_DATA_DIR` is set.

use std::fmt::Write as _;

use softeq::data::DATA_DIR_ENV;
use softeq::experiment::config::RunConfig;
use softeq::experiment::run::{RunOptions, run};
use softeq::experiment::task::TaskData;

fn small_motion(data: &str, groups: &[&str]) -> RunConfig {
    let mut c = RunConfig::preset("motion").unwrap();
    c.task.data = data.into();
    c.task.groups = groups.iter().map(|g| g.to_string()).collect();
    c.model.ch = 12;
    c.model.rpp_ch = 12;
    c.train.epochs = 3;
    c.train.tuning.adjust_at = 0;
    c.train.select_after = Some(1);
    c.train.trials = 1;
    c.train.equivariance_inputs = 8;
    c.train.equivariance_samples = 2;
    c
}

/// Writes circular 2-D tracks (1-s steps) with an explicit split column.
fn write_planar_tracks(path: &std::path::Path) {
    let mut text = String::from("track_id,t,x,y,split\n");
    for track in 0..30 {
        let split = match track % 6 {
            0 => "val",
            1 => "test",
            _ => "train",
        };
        let radius = 500.0 + 20.0 * track as f64;
        for step in 0..80 {
            let angle = 0.02 * step as f64 + track as f64;
            let _ = writeln!(
                text,
                "{track},{step},{},{},{split}",
                radius * angle.cos(),
                radius * angle.sin()
            );
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn planar_tracks_train_with_planar_groups() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("planar.csv");
    write_planar_tracks(&file);
    let config = small_motion(file.to_str().unwrap(), &["O(2)", "SO(2)", "Reflect_x(2)"]);
    let task = TaskData::load(&config.task).unwrap();
    assert_eq!(task.dim, 2);
    assert_eq!(task.rep_in, "6T1");
    for model in ["per", "emlp", "mlp"] {
        let mut c = config.clone();
        c.model.name = model.into();
        let summary = run(
            &c,
            &task,
            &RunOptions {
                out: dir.path().join(model),
                ..Default::default()
            },
        )
        .unwrap();
        let ade = summary.test_ade_m.unwrap().mean;
        assert!(ade.is_finite() && ade > 0.0, "{model}: ADE {ade}");
        assert_eq!(summary.groups.len(), 3);
    }
}

#[test]
fn opensky_quickstart_trains_per() {
    let Some(root) = std::env::var_os(DATA_DIR_ENV) else {
        eprintln!(
            "skipped: set {DATA_DIR_ENV} to the data folder (../shared/data) to run this test"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_motion(root.to_str().unwrap(), &[]);
    config.train.epochs = 1;
    config.task.stride = 200;
    let task = TaskData::load(&config.task).unwrap();
    assert_eq!(task.groups, vec!["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"]);
    let summary = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().to_path_buf(),
            ..Default::default()
        },
    )
    .unwrap();
    let ade = summary.test_ade_m.unwrap().mean;
    assert!(ade.is_finite() && ade > 10.0, "ADE {ade} m");
    assert_eq!(summary.lambda.len(), 4);
}
