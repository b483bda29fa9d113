//! Trajectory files written to a temporary folder. The tests cover the accepted forms (plain and
//! gzip, 2-D and 3-D, header aliases, index, split column, hash split), every rejected input
//! with the file, line and value it must name, and the windowing built on top.

use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::Axis;
use softeq::Error;
use softeq::data::trajectory::{SplitSource, hash_split};
use softeq::data::{
    Centring, DataError, ReadOptions, Split, SplitCounts, TrackSet, WindowConfig, make_windows,
    read_opensky, read_tracks,
};

fn write_plain(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn write_gzip(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
    path
}

/// Rows `id,t,x,y,z[,split]` of a track moving at constant velocity from `start`, sampled at
/// `t0, t0 + dt, ..`.
fn track_rows(
    id: &str,
    n: usize,
    dt: f64,
    start: [f64; 3],
    velocity: [f64; 3],
    split: Option<&str>,
) -> String {
    let mut text = String::new();
    for i in 0..n {
        let t = i as f64 * dt;
        let p: Vec<String> = (0..3)
            .map(|axis| format!("{}", start[axis] + velocity[axis] * t))
            .collect();
        text.push_str(&format!("{id},{t},{}", p.join(",")));
        if let Some(split) = split {
            text.push_str(&format!(",{split}"));
        }
        text.push('\n');
    }
    text
}

/// A 3-D file with one moving track per split, 20 samples each at dt = 1 s.
fn three_split_file() -> String {
    let mut text = String::from("track_id,t_s,x_m,y_m,z_m,split\n");
    text += &track_rows(
        "a",
        20,
        1.0,
        [0.0, 0.0, 100.0],
        [10.0, 0.0, 1.0],
        Some("train"),
    );
    text += &track_rows(
        "b",
        20,
        1.0,
        [500.0, 0.0, 0.0],
        [0.0, -20.0, 0.0],
        Some("val"),
    );
    text += &track_rows(
        "c",
        20,
        1.0,
        [0.0, 50.0, 10.0],
        [5.0, 5.0, -1.0],
        Some("test"),
    );
    text
}

/// 3 past and 2 future positions at step 1: a window spans 5 samples.
fn small_windows() -> WindowConfig {
    WindowConfig {
        n_past: 3,
        n_future: 2,
        step: 1,
        stride: 1,
        drop_filled: false,
        centring: Centring::Past,
    }
}

fn read(path: &Path) -> softeq::Result<TrackSet> {
    read_tracks(path, &ReadOptions::default())
}

fn data_error(result: softeq::Result<TrackSet>) -> DataError {
    match result {
        Err(Error::Data(error)) => error,
        Err(other) => panic!("expected a data error, got {other}"),
        Ok(_) => panic!("expected a data error, got a track set"),
    }
}

#[test]
fn plain_3d_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.dim, 3);
    assert_eq!(tracks.dt_s, 1.0);
    assert_eq!(tracks.tracks.len(), 3);
    assert_eq!(tracks.summary.split_source, SplitSource::Column);
    assert_eq!(
        tracks.summary.tracks,
        SplitCounts {
            train: 1,
            val: 1,
            test: 1
        }
    );
    assert_eq!(tracks.summary.rows, 60);
    let a = &tracks.tracks[0];
    assert_eq!(a.id, "a");
    assert_eq!(a.split, Split::Train);
    assert_eq!(a.positions.row(2).to_vec(), vec![20.0, 0.0, 102.0]);
    assert_eq!(a.first_line, 2);
    assert!(a.filled.iter().all(|&f| !f));
}

#[test]
fn gzip_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let gzip_named_csv = write_gzip(dir.path(), "tracks.csv", &three_split_file());
    let plain_named_gz = write_plain(dir.path(), "plain.csv.gz", &three_split_file());
    let from_gzip = read(&gzip_named_csv).unwrap();
    let from_plain = read(&plain_named_gz).unwrap();
    assert_eq!(from_gzip.tracks, from_plain.tracks);
}

#[test]
fn two_dimensional_file_loads_and_windows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,split\n");
    for (id, split) in [("p", "train"), ("q", "val"), ("r", "test")] {
        for i in 0..12 {
            text += &format!(
                "{id},{},{},{},{split}\n",
                0.5 * i as f64,
                3.0 * i as f64,
                -4.0 * i as f64
            );
        }
    }
    let path = write_gzip(dir.path(), "planar.csv.gz", &text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.dim, 2);
    assert_eq!(tracks.dt_s, 0.5);
    let windows = make_windows(&tracks, &small_windows()).unwrap();
    assert_eq!(windows.input_rep().to_string(), "3T1");
    assert_eq!(windows.splits().input_size(), 6);
    assert_eq!(windows.splits().output_size(), 4);
    assert_eq!(windows.candidate_groups()[0], "O(2)");
    // Straight-line motion: the constant-velocity forecast is exact.
    let predictions = windows.constant_velocity(Split::Test).unwrap();
    let metrics = windows.evaluate(Split::Test, &predictions).unwrap();
    assert!(metrics.ade_m < 1e-9, "ADE {}", metrics.ade_m);
}

#[test]
fn header_aliases_case_and_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Speed, X ,Track_ID,Z,T,Y\n\
                9,1.5,a,3,0,2\n\
                9,2.5,a,3,1,2\n";
    let path = write_plain(dir.path(), "aliases.csv", text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.dim, 3);
    assert_eq!(
        tracks.tracks[0].positions.row(1).to_vec(),
        vec![2.5, 2.0, 3.0]
    );
}

#[test]
fn missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "no_y.csv", "track_id,t,x\na,0,1\n");
    match data_error(read(&path)) {
        DataError::MissingColumn { file, column, .. } => {
            assert_eq!(file, path);
            assert_eq!(column, "y_m or y");
        }
        other => panic!("expected MissingColumn, got {other}"),
    }
}

#[test]
fn ambiguous_time_columns_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(
        dir.path(),
        "two_times.csv",
        "track_id,t,t_s,x,y\na,0,0,1,1\n",
    );
    assert!(matches!(
        data_error(read(&path)),
        DataError::AmbiguousColumn {
            quantity: "time",
            ..
        }
    ));
}

#[test]
fn bad_numbers_name_line_column_and_value() {
    let cases = [
        ("x_m", "abc"),
        ("x_m", "NaN"),
        ("z_m", "inf"),
        ("t_s", "-inf"),
        ("y_m", ""),
    ];
    for (column, bad) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = vec![
            ["a", "0", "1", "2", "3"],
            ["a", "1", "1", "2", "3"],
            ["a", "2", "1", "2", "3"],
        ];
        let position = ["track_id", "t_s", "x_m", "y_m", "z_m"]
            .iter()
            .position(|name| *name == column)
            .unwrap();
        rows[1][position] = bad;
        let mut text = String::from("track_id,t_s,x_m,y_m,z_m\n");
        for row in rows {
            text += &row.join(",");
            text.push('\n');
        }
        let path = write_plain(dir.path(), "bad.csv", &text);
        match data_error(read(&path)) {
            DataError::InvalidValue {
                file,
                line,
                column: named,
                value,
                ..
            } => {
                assert_eq!(file, path, "case {column}={bad}");
                assert_eq!(line, 3, "case {column}={bad}");
                assert_eq!(named, column, "case {column}={bad}");
                assert_eq!(value, bad, "case {column}={bad}");
            }
            other => panic!("case {column}={bad}: expected InvalidValue, got {other}"),
        }
    }
}

#[test]
fn bad_split_and_filled_values_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let split_path = write_plain(
        dir.path(),
        "split.csv",
        "track_id,t,x,y,split\na,0,0,0,train\na,1,0,0,validation\n",
    );
    match data_error(read(&split_path)) {
        DataError::InvalidValue { line, value, .. } => {
            assert_eq!(line, 3);
            assert_eq!(value, "validation");
        }
        other => panic!("expected InvalidValue, got {other}"),
    }
    let filled_path = write_plain(
        dir.path(),
        "filled.csv",
        "track_id,t,x,y,filled\na,0,0,0,0\na,1,0,0,yes\n",
    );
    assert!(matches!(
        data_error(read(&filled_path)),
        DataError::InvalidValue { line: 3, .. }
    ));
}

#[test]
fn short_time_step_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    // dt = 1 s inferred from the majority; 2.5 -> 3.0 is half a step.
    let text = "track_id,t,x,y\na,0,0,0\na,1,1,0\na,2,2,0\na,2.5,3,0\na,3.5,4,0\n";
    let path = write_plain(dir.path(), "short_step.csv", text);
    match data_error(read(&path)) {
        DataError::IrregularTime {
            file,
            line,
            track,
            previous,
            time,
            dt,
        } => {
            assert_eq!(file, path);
            assert_eq!(line, 5);
            assert_eq!(track, "a");
            assert_eq!((previous, time, dt), (2.0, 2.5, 1.0));
        }
        other => panic!("expected IrregularTime, got {other}"),
    }
}

#[test]
fn decreasing_or_repeated_time_is_rejected() {
    for (name, text) in [
        ("repeated", "track_id,t,x,y\na,0,0,0\na,1,1,0\na,1,2,0\n"),
        (
            "decreasing",
            "track_id,t,x,y\na,0,0,0\na,1,1,0\na,2,2,0\na,1.5,3,0\n",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_plain(dir.path(), "time.csv", text);
        assert!(
            matches!(data_error(read(&path)), DataError::IrregularTime { .. }),
            "{name}"
        );
    }
}

#[test]
fn time_gap_splits_track_into_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,split\n");
    for t in (0..8).chain(20..30) {
        text += &format!("a,{t},{},0,train\n", 10 * t);
    }
    let path = write_plain(dir.path(), "gap.csv", &text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.summary.gaps_split, 1);
    assert_eq!(tracks.tracks.len(), 2);
    assert_eq!(tracks.tracks[0].n_samples(), 8);
    assert_eq!(tracks.tracks[1].n_samples(), 10);
    assert_eq!(tracks.tracks[1].piece, 1);
    assert_eq!(tracks.tracks[1].t0_s, 20.0);
    assert_eq!(tracks.tracks[1].first_line, 10);
}

#[test]
fn interleaved_rows_are_grouped_by_track() {
    let dir = tempfile::tempdir().unwrap();
    let text = "track_id,t,x,y\na,0,0,0\nb,0,5,5\na,1,1,0\nb,1,6,5\n";
    let path = write_plain(dir.path(), "interleaved.csv", text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.tracks.len(), 2);
    assert_eq!(
        tracks.tracks[1].positions.column(0).to_vec(),
        vec![5.0, 6.0]
    );
}

#[test]
fn split_change_within_track_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let text = "track_id,t,x,y,split\na,0,0,0,train\na,1,1,0,train\na,2,2,0,test\n";
    let path = write_plain(dir.path(), "leak.csv", text);
    match data_error(read(&path)) {
        DataError::InconsistentTrack {
            line,
            track,
            column,
            first,
            value,
            ..
        } => {
            assert_eq!(line, 4);
            assert_eq!(&*track, "a");
            assert_eq!(column, "split");
            assert_eq!(&*first, "train");
            assert_eq!(&*value, "test");
        }
        other => panic!("expected InconsistentTrack, got {other}"),
    }
}

#[test]
fn ragged_row_is_a_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "ragged.csv", "track_id,t,x,y\na,0,0,0\na,1,1\n");
    assert!(matches!(
        data_error(read(&path)),
        DataError::Parse { line: 3, .. }
    ));
}

#[test]
fn header_only_and_empty_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("header.csv", "track_id,t,x,y\n"), ("empty.csv", "")] {
        let path = write_plain(dir.path(), name, text);
        assert!(
            matches!(data_error(read(&path)), DataError::EmptyFile { .. }),
            "{name}"
        );
    }
}

#[test]
fn corrupt_gzip_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.csv.gz");
    std::fs::write(&path, [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]).unwrap();
    assert!(matches!(read(&path), Err(Error::Io { .. })));
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        read(&dir.path().join("absent.csv")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn index_split_takes_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let tracks_path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let index_path = write_plain(
        dir.path(),
        "index.csv",
        "track_id,flight_key,split,dt_s,n\n\
         a,F1,test,1,20\nb,F2,train,1,20\nc,F1,test,1,20\nz,F9,val,1,0\n",
    );
    let options = ReadOptions {
        index: Some(index_path),
        dt_s: None,
    };
    let tracks = read_tracks(&tracks_path, &options).unwrap();
    assert_eq!(tracks.summary.split_source, SplitSource::Index);
    assert_eq!(tracks.tracks[0].split, Split::Test);
    assert_eq!(tracks.tracks[0].group.as_deref(), Some("F1"));
    assert_eq!(
        tracks.summary.groups,
        SplitCounts {
            train: 1,
            val: 0,
            test: 1
        }
    );
    assert_eq!(tracks.summary.index_tracks_without_rows, 1);
}

#[test]
fn track_missing_from_index_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let tracks_path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let index_path = write_plain(dir.path(), "index.csv", "track_id,split\na,train\nb,val\n");
    let options = ReadOptions {
        index: Some(index_path),
        dt_s: None,
    };
    match data_error(read_tracks(&tracks_path, &options)) {
        DataError::IndexMismatch {
            file, line, track, ..
        } => {
            assert_eq!(file, tracks_path);
            assert_eq!(line, 42);
            assert_eq!(track, "c");
        }
        other => panic!("expected IndexMismatch, got {other}"),
    }
}

#[test]
fn duplicate_index_entry_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let tracks_path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let index_path = write_plain(
        dir.path(),
        "index.csv",
        "track_id,split\na,train\nb,val\na,test\n",
    );
    let options = ReadOptions {
        index: Some(index_path.clone()),
        dt_s: None,
    };
    match data_error(read_tracks(&tracks_path, &options)) {
        DataError::IndexMismatch { file, line, .. } => {
            assert_eq!(file, index_path);
            assert_eq!(line, 4);
        }
        other => panic!("expected IndexMismatch, got {other}"),
    }
}

#[test]
fn index_dt_must_be_one_value() {
    let dir = tempfile::tempdir().unwrap();
    let tracks_path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let index_path = write_plain(
        dir.path(),
        "index.csv",
        "track_id,split,dt_s\na,train,1\nb,val,10\nc,test,1\n",
    );
    let options = ReadOptions {
        index: Some(index_path),
        dt_s: None,
    };
    assert!(matches!(
        data_error(read_tracks(&tracks_path, &options)),
        DataError::InvalidValue { line: 3, .. }
    ));
}

#[test]
fn dt_option_conflicting_with_index_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let tracks_path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let index_path = write_plain(
        dir.path(),
        "index.csv",
        "track_id,split,dt_s\na,train,1\nb,val,1\nc,test,1\n",
    );
    let options = ReadOptions {
        index: Some(index_path),
        dt_s: Some(2.0),
    };
    assert!(matches!(
        read_tracks(&tracks_path, &options),
        Err(Error::InvalidSetting { .. })
    ));
}

#[test]
fn hash_split_without_split_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,z\n");
    for i in 0..40 {
        text += &track_rows(&format!("t{i}"), 3, 1.0, [0.0; 3], [1.0, 0.0, 0.0], None);
    }
    let path = write_plain(dir.path(), "nosplit.csv", &text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.summary.split_source, SplitSource::Hash);
    for track in &tracks.tracks {
        assert_eq!(track.split, hash_split(&track.id), "track {}", track.id);
    }
    let again = read(&path).unwrap();
    assert_eq!(tracks.tracks, again.tracks);
    assert!(tracks.summary.tracks.train > 0);
    assert!(tracks.summary.tracks.test > 0);
}

#[test]
fn hash_split_keeps_group_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,group\n");
    for i in 0..30 {
        let group = format!("g{}", i / 3);
        for t in 0..3 {
            text += &format!("t{i},{t},{t},0,{group}\n");
        }
    }
    let path = write_plain(dir.path(), "groups.csv", &text);
    let tracks = read(&path).unwrap();
    for track in &tracks.tracks {
        let group = track.group.as_deref().unwrap();
        assert_eq!(track.split, hash_split(group), "track {}", track.id);
    }
}

#[test]
fn group_split_across_splits_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = "track_id,t,x,y,group,split\n\
                a,0,0,0,g,train\na,1,1,0,g,train\n\
                b,0,0,0,g,test\nb,1,1,0,g,test\n\
                c,0,0,0,h,test\nc,1,1,0,h,test\n";
    let path = write_plain(dir.path(), "leaky_groups.csv", text);
    let tracks = read(&path).unwrap();
    assert_eq!(tracks.summary.groups_in_several_splits, 1);
    assert_eq!(
        tracks.summary.groups,
        SplitCounts {
            train: 1,
            val: 0,
            test: 2
        }
    );
}

#[test]
fn short_tracks_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = three_split_file();
    text += &track_rows("tiny", 4, 1.0, [0.0; 3], [1.0; 3], Some("train"));
    let path = write_plain(dir.path(), "short.csv", &text);
    let tracks = read(&path).unwrap();
    let windows = make_windows(&tracks, &small_windows()).unwrap();
    let summary = windows.summary();
    assert_eq!(
        summary.tracks_skipped_short,
        SplitCounts {
            train: 1,
            val: 0,
            test: 0
        }
    );
    assert_eq!(
        summary.tracks_used,
        SplitCounts {
            train: 1,
            val: 1,
            test: 1
        }
    );
    // 20 samples, span 5, stride 1: 16 windows per track.
    assert_eq!(
        summary.windows,
        SplitCounts {
            train: 16,
            val: 16,
            test: 16
        }
    );
}

#[test]
fn empty_split_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t_s,x_m,y_m,z_m,split\n");
    text += &track_rows("a", 20, 1.0, [0.0; 3], [1.0; 3], Some("train"));
    text += &track_rows("b", 20, 1.0, [0.0; 3], [1.0; 3], Some("test"));
    text += &track_rows("c", 3, 1.0, [0.0; 3], [1.0; 3], Some("val"));
    let path = write_plain(dir.path(), "noval.csv", &text);
    let tracks = read(&path).unwrap();
    match make_windows(&tracks, &small_windows()) {
        Err(Error::Data(DataError::EmptySplit {
            source_name,
            split,
            reason,
        })) => {
            assert_eq!(split, "val");
            assert!(source_name.ends_with("noval.csv"), "{source_name}");
            assert!(reason.contains("1 shorter than one window"), "{reason}");
        }
        other => panic!("expected EmptySplit, got {other:?}"),
    }
}

#[test]
fn filled_windows_can_be_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,filled,split\n");
    for (id, split) in [("a", "train"), ("b", "val"), ("c", "test")] {
        for t in 0..10 {
            let filled = u8::from(id == "a" && t == 4);
            text += &format!("{id},{t},{},{},{filled},{split}\n", t * 7, t * t);
        }
    }
    let path = write_plain(dir.path(), "filled.csv", &text);
    let tracks = read(&path).unwrap();
    let all = make_windows(&tracks, &small_windows()).unwrap();
    assert_eq!(all.summary().windows.train, 6);
    let config = WindowConfig {
        drop_filled: true,
        ..small_windows()
    };
    let dropped = make_windows(&tracks, &config).unwrap();
    // Sample 4 lies in windows starting at 0..=4; starts 5 remains.
    assert_eq!(dropped.summary().windows.train, 1);
    assert_eq!(dropped.summary().windows_dropped_filled.train, 5);
    assert_eq!(dropped.summary().windows.val, 6);
}

#[test]
fn stride_and_step_select_start_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let tracks = read(&path).unwrap();
    let config = WindowConfig {
        step: 2,
        stride: 3,
        ..small_windows()
    };
    let windows = make_windows(&tracks, &config).unwrap();
    // Span (3 + 2 - 1) * 2 + 1 = 9 samples; starts 0, 3, .., 9 fit in 20 samples.
    assert_eq!(windows.meta(Split::Train).unwrap().start, vec![0, 3, 6, 9]);
}

#[test]
fn windows_are_centred_scaled_and_map_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,z,split\n");
    for (id, split) in [("a", "train"), ("b", "val"), ("c", "test")] {
        for t in 0..15 {
            let angle = 0.3 * t as f64;
            text += &format!(
                "{id},{t},{},{},{},{split}\n",
                1000.0 * angle.cos(),
                1000.0 * angle.sin(),
                5.0 * t as f64
            );
        }
    }
    let path = write_plain(dir.path(), "arc.csv", &text);
    let tracks = read(&path).unwrap();
    let windows = make_windows(&tracks, &small_windows()).unwrap();
    let train = windows.splits().train();

    // Past positions of every window average to zero on each axis.
    for row in train.x().rows() {
        for axis in 0..3 {
            let mean = (0..3).map(|j| row[3 * j + axis]).sum::<f64>() / 3.0;
            assert!(mean.abs() < 1e-12, "axis {axis}: mean {mean}");
        }
    }
    // One common scale: the training inputs have unit mean square.
    let mean_square = train.x().mapv(|v| v * v).mean().unwrap();
    assert!(
        (mean_square - 1.0).abs() < 1e-12,
        "mean square {mean_square}"
    );

    // Targets map back to the original positions.
    let metres = windows.targets_metres(Split::Val).unwrap();
    let meta = windows.meta(Split::Val).unwrap();
    let track = &tracks.tracks[meta.track[0]];
    let first_future = track.positions.row(meta.start[0] + 3);
    for axis in 0..3 {
        assert!((metres[[0, axis]] - first_future[axis]).abs() < 1e-9);
    }
    // Perfect predictions have zero error.
    let perfect = windows.splits().test().y().clone();
    let metrics = windows.evaluate(Split::Test, &perfect).unwrap();
    assert_eq!(metrics.ade_m, 0.0);
    assert!(windows.evaluate(Split::Ood, &perfect).is_err());
}

#[test]
fn leaky_centring_uses_future_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let tracks = read(&path).unwrap();
    let config = WindowConfig {
        centring: Centring::PastAndFuture,
        ..small_windows()
    };
    let windows = make_windows(&tracks, &config).unwrap();
    let train = windows.splits().train();
    let row_sum = train.x().sum_axis(Axis(1)) + train.y().sum_axis(Axis(1));
    assert!(row_sum.iter().all(|s| s.abs() < 1e-12));
}

#[test]
fn summary_serialises_to_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let tracks = read(&path).unwrap();
    let windows = make_windows(&tracks, &small_windows()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&windows.summary().to_json()).unwrap();
    assert_eq!(json["windows"]["train"], 16);
    assert_eq!(json["load"]["split_source"], "column");
    assert_eq!(json["config"]["centring"], "past");
    assert!(json["scale_m"].as_f64().unwrap() > 0.0);
}

#[test]
fn zero_window_settings_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_plain(dir.path(), "tracks.csv", &three_split_file());
    let tracks = read(&path).unwrap();
    let config = WindowConfig {
        stride: 0,
        ..small_windows()
    };
    assert!(matches!(
        make_windows(&tracks, &config),
        Err(Error::InvalidSetting { .. })
    ));
}

#[test]
fn stationary_tracks_give_degenerate_scale() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("track_id,t,x,y,split\n");
    for (id, split) in [("a", "train"), ("b", "val"), ("c", "test")] {
        for t in 0..6 {
            text += &format!("{id},{t},7,7,{split}\n");
        }
    }
    let path = write_plain(dir.path(), "still.csv", &text);
    let tracks = read(&path).unwrap();
    assert!(matches!(
        make_windows(&tracks, &small_windows()),
        Err(Error::Data(DataError::DegenerateScale { .. }))
    ));
}

#[test]
fn default_window_step_follows_dt() {
    assert_eq!(WindowConfig::for_dt(1.0).step, 5);
    assert_eq!(WindowConfig::for_dt(10.0).step, 1);
    assert_eq!(WindowConfig::for_dt(0.1).step, 50);
    assert_eq!(WindowConfig::for_dt(1.0).stride, 10);
}

#[test]
fn unknown_opensky_name_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        read_opensky(dir.path(), "paris"),
        Err(Error::UnknownName { .. })
    ));
}
