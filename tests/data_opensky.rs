//! Tests on the real OpenSky ADS-B tracks. They read the data root from `SOFTEQ_DATA_DIR` (the
//! folder that contains `opensky_adsb/`) and are skipped, with a note on stderr, when it is
//! not set. The expected counts are those published with the derived files.

use std::path::PathBuf;

use softeq::data::trajectory::{SplitSource, opensky_dir};
use softeq::data::{
    DATA_DIR_ENV, Split, SplitCounts, TrackSet, WindowConfig, make_windows, read_opensky,
};

fn data_root(test: &str) -> Option<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(root) => Some(PathBuf::from(root)),
        None => {
            eprintln!("skipped {test}: set {DATA_DIR_ENV} to the data root to run it");
            None
        }
    }
}

fn load(root: &std::path::Path, name: &str) -> TrackSet {
    read_opensky(&opensky_dir(root), name).unwrap_or_else(|e| panic!("loading {name} failed: {e}"))
}

fn counts(train: usize, val: usize, test: usize) -> SplitCounts {
    SplitCounts { train, val, test }
}

fn window_counts(tracks: &TrackSet, step: usize, stride: usize) -> SplitCounts {
    let config = WindowConfig {
        step,
        stride,
        ..WindowConfig::for_dt(tracks.dt_s)
    };
    make_windows(tracks, &config).unwrap().summary().windows
}

#[test]
fn quickstart_splits_match_published_counts() {
    let Some(root) = data_root("quickstart_splits_match_published_counts") else {
        return;
    };
    let tracks = load(&root, "quickstart");
    let summary = &tracks.summary;
    assert_eq!(summary.split_source, SplitSource::Index);
    assert_eq!(tracks.dim, 3);
    assert_eq!(tracks.dt_s, 1.0);
    assert_eq!(summary.rows, 218_931);
    assert_eq!(summary.track_ids, 246);
    assert_eq!(summary.rows_per_split, counts(147_501, 38_815, 32_615));
    assert_eq!(summary.groups, counts(161, 39, 36));
    assert_eq!(summary.groups_in_several_splits, 0);
    assert_eq!(summary.gaps_split, 0);
    assert_eq!(summary.index_tracks_without_rows, 0);
}

#[test]
fn quickstart_flights_stay_in_one_split() {
    let Some(root) = data_root("quickstart_flights_stay_in_one_split") else {
        return;
    };
    let tracks = load(&root, "quickstart");
    let mut split_of = std::collections::HashMap::new();
    for track in &tracks.tracks {
        let flight = track.group.clone().expect("the index has flight_key");
        let first = *split_of.entry(flight.clone()).or_insert(track.split);
        assert_eq!(first, track.split, "flight {flight} is in two splits");
    }
    assert_eq!(split_of.len(), 236);
}

#[test]
fn quickstart_window_counts_match_published() {
    let Some(root) = data_root("quickstart_window_counts_match_published") else {
        return;
    };
    let tracks = load(&root, "quickstart");
    assert_eq!(
        window_counts(&tracks, 5, 1),
        counts(138_322, 36_457, 30_635)
    );
    assert_eq!(
        window_counts(&tracks, 1, 1),
        counts(145_664, 38_342, 32_219)
    );
    // Non-overlapping: starts 12 k samples apart, so a window and the next share no sample.
    assert_eq!(window_counts(&tracks, 5, 60), counts(2_382, 630, 528));
    assert_eq!(window_counts(&tracks, 1, 12), counts(12_209, 3_215, 2_704));
}

#[test]
fn savan_and_switzerland_counts_match_published() {
    let Some(root) = data_root("savan_and_switzerland_counts_match_published") else {
        return;
    };
    let savan = load(&root, "savan");
    assert_eq!(
        savan.summary.rows_per_split,
        counts(117_888, 32_138, 23_982)
    );
    assert_eq!(savan.summary.groups, counts(11, 3, 3));
    assert_eq!(window_counts(&savan, 5, 1), counts(111_222, 29_999, 20_869));
    assert_eq!(window_counts(&savan, 1, 1), counts(116_403, 31_665, 23_278));

    let switzerland = load(&root, "switzerland");
    assert_eq!(switzerland.dt_s, 10.0);
    assert_eq!(switzerland.summary.track_ids, 1_500);
    assert_eq!(
        switzerland.summary.rows_per_split,
        counts(98_382, 21_016, 19_654)
    );
    assert_eq!(switzerland.summary.groups, counts(880, 184, 179));
    assert_eq!(
        window_counts(&switzerland, 1, 1),
        counts(86_722, 18_541, 17_289)
    );
}

#[test]
fn constant_velocity_errors_are_plausible() {
    let Some(root) = data_root("constant_velocity_errors_are_plausible") else {
        return;
    };
    for name in ["quickstart", "savan", "switzerland"] {
        let tracks = load(&root, name);
        let config = WindowConfig::for_dt(tracks.dt_s);
        let windows = make_windows(&tracks, &config).unwrap();
        let predictions = windows.constant_velocity(Split::Test).unwrap();
        let metrics = windows.evaluate(Split::Test, &predictions).unwrap();
        let summary = windows.summary();
        eprintln!(
            "{name}: step {} ({} s), stride {}, windows {}/{}/{}, scale {:.1} m, \
             constant velocity on test: ADE {:.1} m, FDE {:.1} m, MSE {:.0} m^2",
            config.step,
            summary.step_s,
            config.stride,
            summary.windows.train,
            summary.windows.val,
            summary.windows.test,
            windows.scale_m(),
            metrics.ade_m,
            metrics.fde_m,
            metrics.mse_m2,
        );
        assert!(metrics.ade_m.is_finite());
        assert!(metrics.fde_m >= metrics.ade_m, "{name}: FDE below ADE");
        // Aircraft fly at 50-250 m/s, so a 30-60 s horizon cannot be forecast to within a
        // metre, and an error above 5 km would mean broken units or windows.
        assert!(metrics.ade_m > 1.0, "{name}: ADE {} m", metrics.ade_m);
        assert!(metrics.ade_m < 5_000.0, "{name}: ADE {} m", metrics.ade_m);
    }
}
