//! Properties of the synthetic tasks: exact symmetries to round-off, broken ones clearly broken,
//! determinism in the seed, the OOD transforms, and input validation.

use ndarray::{Array2, s};
use rand::RngExt;
use rand_distr::StandardNormal;
use softeq::Error;
use softeq::data::{OodConfig, OodKind, Split, Splits, SyntheticConfig, Task, generate};
use softeq::rng::{SeededRng, rng_from_seed};

type Matrix3 = [[f64; 3]; 3];

fn matmul(a: &Matrix3, b: &Matrix3) -> Matrix3 {
    let mut c = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

fn transpose(a: &Matrix3) -> Matrix3 {
    let mut t = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            t[i][j] = a[j][i];
        }
    }
    t
}

fn apply(q: &Matrix3, v: &[f64]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for i in 0..3 {
        out[i] = (0..3).map(|k| q[i][k] * v[k]).sum();
    }
    out
}

/// A random orthogonal matrix from Gram-Schmidt on Gaussian columns; `improper` flips the
/// last column so that det = -1.
fn random_orthogonal(rng: &mut SeededRng, improper: bool) -> Matrix3 {
    let mut columns: Vec<[f64; 3]> = Vec::new();
    while columns.len() < 3 {
        let mut v = [0.0; 3];
        for value in &mut v {
            *value = rng.sample(StandardNormal);
        }
        for u in &columns {
            let dot: f64 = (0..3).map(|i| u[i] * v[i]).sum();
            for i in 0..3 {
                v[i] -= dot * u[i];
            }
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        columns.push(v.map(|a| a / norm));
    }
    let cross = [
        columns[0][1] * columns[1][2] - columns[0][2] * columns[1][1],
        columns[0][2] * columns[1][0] - columns[0][0] * columns[1][2],
        columns[0][0] * columns[1][1] - columns[0][1] * columns[1][0],
    ];
    let sign = if improper { -1.0 } else { 1.0 };
    columns[2] = cross.map(|a| sign * a);
    let mut q = [[0.0; 3]; 3];
    for (j, column) in columns.iter().enumerate() {
        for i in 0..3 {
            q[i][j] = column[i];
        }
    }
    q
}

/// Rotation by `angle` about coordinate axis `axis` (0 = x, 1 = y, 2 = z).
fn rotation_about(axis: usize, angle: f64) -> Matrix3 {
    let (i, j) = ((axis + 1) % 3, (axis + 2) % 3);
    let mut q = [[0.0; 3]; 3];
    q[axis][axis] = 1.0;
    q[i][i] = angle.cos();
    q[j][j] = angle.cos();
    q[i][j] = -angle.sin();
    q[j][i] = angle.sin();
    q
}

/// The mirror that negates coordinate `axis`.
fn mirror(axis: usize) -> Matrix3 {
    let mut q = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    q[axis][axis] = -1.0;
    q
}

/// Applies `q` to every 3-vector of a row whose first `n_scalars` entries are scalars.
fn transform_row(row: &[f64], n_scalars: usize, q: &Matrix3) -> Vec<f64> {
    let mut out = row[..n_scalars].to_vec();
    for v in row[n_scalars..].chunks_exact(3) {
        out.extend_from_slice(&apply(q, v));
    }
    out
}

/// Largest relative error max_rows |Y(Q x) - Q Y(x) Q^T| / (1 + |Y(x)|) of the inertia target.
fn inertia_equivariance_error(task: &Task, x: &Array2<f64>, q: &Matrix3) -> f64 {
    let mut worst: f64 = 0.0;
    for row in x.rows() {
        let row = row.to_vec();
        let y = task.target(&row).unwrap();
        let y_rotated_input = task.target(&transform_row(&row, 5, q)).unwrap();
        let y_matrix: Matrix3 = [[y[0], y[1], y[2]], [y[3], y[4], y[5]], [y[6], y[7], y[8]]];
        let expected = matmul(&matmul(q, &y_matrix), &transpose(q));
        let size = y.iter().map(|a| a * a).sum::<f64>().sqrt();
        for i in 0..3 {
            for j in 0..3 {
                let error = (y_rotated_input[3 * i + j] - expected[i][j]).abs() / (1.0 + size);
                worst = worst.max(error);
            }
        }
    }
    worst
}

/// Largest relative change max_rows |y(g x) - y(x)| / (1 + |y(x)|) of a scalar target, where
/// g rotates every vector by `q` and multiplies it by `scale`.
fn invariance_error(task: &Task, x: &Array2<f64>, q: &Matrix3, scale: f64) -> f64 {
    let mut worst: f64 = 0.0;
    for row in x.rows() {
        let row = row.to_vec();
        let y = task.target(&row).unwrap()[0];
        let moved: Vec<f64> = transform_row(&row, 0, q)
            .iter()
            .map(|a| a * scale)
            .collect();
        let y_moved = task.target(&moved).unwrap()[0];
        worst = worst.max((y_moved - y).abs() / (1.0 + y.abs()));
    }
    worst
}

fn small_config(task: Task, seed: u64) -> SyntheticConfig {
    SyntheticConfig {
        n_train: 200,
        n_val: 50,
        n_test: 50,
        ..SyntheticConfig::new(task, seed)
    }
}

fn train_inputs(task: Task) -> Array2<f64> {
    generate(&small_config(task, 11))
        .unwrap()
        .train()
        .x()
        .clone()
}

const EXACT: f64 = 1e-10;
const BROKEN: f64 = 1e-2;

#[test]
fn inertia_eps_zero_is_o3_equivariant() {
    let task = Task::parse("inertia", "z", 0.0).unwrap();
    let x = train_inputs(task);
    let mut rng = rng_from_seed(1);
    for trial in 0..6 {
        let q = random_orthogonal(&mut rng, trial % 2 == 1);
        let error = inertia_equivariance_error(&task, &x, &q);
        assert!(error < EXACT, "trial {trial}: error {error}");
    }
}

#[test]
fn inertia_axis_keeps_only_its_o2() {
    // (axis name, axis index, the other two axes)
    let cases = [("x", 0, [1, 2]), ("y", 1, [0, 2]), ("z", 2, [0, 1])];
    for (name, axis, others) in cases {
        let task = Task::parse("inertia", name, -1.0).unwrap();
        let x = train_inputs(task);
        let about_axis = rotation_about(axis, 0.9);
        let error = inertia_equivariance_error(&task, &x, &about_axis);
        assert!(
            error < EXACT,
            "axis {name}: rotation about it gives {error}"
        );
        let error = inertia_equivariance_error(&task, &x, &mirror(others[0]));
        assert!(error < EXACT, "axis {name}: mirror fixing it gives {error}");
        for other in others {
            let error = inertia_equivariance_error(&task, &x, &rotation_about(other, 0.9));
            assert!(
                error > BROKEN,
                "axis {name}: rotation about {other} gives {error}"
            );
        }
    }
}

#[test]
fn inertia_no_axis_breaks_every_o2() {
    let task = Task::parse("inertia", "none", -0.3).unwrap();
    let x = train_inputs(task);
    for axis in 0..3 {
        let error = inertia_equivariance_error(&task, &x, &rotation_about(axis, 0.9));
        assert!(error > BROKEN, "rotation about {axis} gives {error}");
    }
    assert!(task.exact_groups().is_empty());
}

#[test]
fn inertia_layout_and_groups() {
    let task = Task::parse("inertia", "z", -1.0).unwrap();
    let splits = generate(&small_config(task, 3)).unwrap();
    assert_eq!(task.input_rep().to_string(), "5T0+5T1");
    assert_eq!(task.output_rep().to_string(), "1T2");
    assert_eq!(splits.input_size(), 20);
    assert_eq!(splits.output_size(), 9);
    assert_eq!(
        task.candidate_groups(),
        ["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"]
    );
    assert_eq!(task.exact_groups(), ["O(2)_xy"]);
    let masses = splits.train().x().slice(s![.., 0..5]).to_owned();
    assert!(
        masses.iter().all(|&m| m > 0.0),
        "masses must be softplus values"
    );
}

#[test]
fn generated_targets_match_target_function() {
    for task in [
        Task::parse("inertia", "y", -1.0).unwrap(),
        Task::parse("cossim", "none", 0.5).unwrap(),
        Task::parse("radius", "x", 0.5).unwrap(),
    ] {
        let splits = generate(&small_config(task, 5)).unwrap();
        for split in Split::MAIN {
            let dataset = splits.get(split).unwrap();
            let expected = task.targets(dataset.x()).unwrap();
            assert_eq!(dataset.y(), &expected, "{task}, split {split}");
        }
    }
}

#[test]
fn cossim_exact_invariant_to_rotation_and_scale() {
    let task = Task::parse("cossim", "both", 0.7).unwrap();
    let x = train_inputs(task);
    let mut rng = rng_from_seed(2);
    let q = random_orthogonal(&mut rng, false);
    assert!(invariance_error(&task, &x, &q, 1.0) < EXACT);
    assert!(invariance_error(&task, &x, &identity(), 3.5) < EXACT);
    assert!(invariance_error(&task, &x, &q, 0.2) < EXACT);
}

fn identity() -> Matrix3 {
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
}

#[test]
fn cossim_so3_keeps_rotation_breaks_scale() {
    let task = Task::parse("cossim", "so3", 1.0).unwrap();
    let x = train_inputs(task);
    let q = random_orthogonal(&mut rng_from_seed(3), false);
    assert!(invariance_error(&task, &x, &q, 1.0) < EXACT);
    assert!(invariance_error(&task, &x, &identity(), 2.0) > BROKEN);
    assert_eq!(task.exact_groups(), ["SO(3)"]);
}

#[test]
fn cossim_scale_keeps_scale_breaks_rotation() {
    let task = Task::parse("cossim", "scale", 1.0).unwrap();
    let x = train_inputs(task);
    let q = random_orthogonal(&mut rng_from_seed(4), false);
    assert!(invariance_error(&task, &x, &identity(), 2.0) < EXACT);
    assert!(invariance_error(&task, &x, &q, 1.0) > BROKEN);
    assert_eq!(task.exact_groups(), ["Scaling(3)"]);
}

#[test]
fn cossim_none_breaks_both() {
    let task = Task::parse("cossim", "none", 1.0).unwrap();
    let x = train_inputs(task);
    let q = random_orthogonal(&mut rng_from_seed(5), false);
    assert!(invariance_error(&task, &x, &identity(), 2.0) > BROKEN);
    assert!(invariance_error(&task, &x, &q, 1.0) > BROKEN);
}

#[test]
fn cossim_layout_and_groups() {
    let task = Task::parse("cos-sim", "so3", 1.0).unwrap();
    assert_eq!(task.input_rep().to_string(), "3T1");
    assert_eq!(task.output_rep().to_string(), "1T0");
    assert_eq!(
        task.candidate_groups(),
        ["SO(3)xScaling", "SO(3)", "Scaling(3)"]
    );
}

#[test]
fn radius_eps_zero_breaks_only_scaling() {
    let task = Task::parse("radius", "none", 0.0).unwrap();
    let x = train_inputs(task);
    let q = random_orthogonal(&mut rng_from_seed(6), true);
    assert!(invariance_error(&task, &x, &q, 1.0) < EXACT);
    assert!(invariance_error(&task, &x, &identity(), 2.0) > BROKEN);
}

#[test]
fn radius_axis_z_keeps_rotations_about_z() {
    let task = Task::parse("radius", "z", 1.0).unwrap();
    let x = train_inputs(task);
    assert!(invariance_error(&task, &x, &rotation_about(2, 1.1), 1.0) < EXACT);
    assert!(invariance_error(&task, &x, &mirror(0), 1.0) < EXACT);
    assert!(invariance_error(&task, &x, &rotation_about(0, 1.1), 1.0) > BROKEN);
    assert!(invariance_error(&task, &x, &rotation_about(1, 1.1), 1.0) > BROKEN);
    assert_eq!(task.exact_groups(), ["O(2)_xy"]);
}

#[test]
fn same_seed_gives_identical_data() {
    let task = Task::parse("inertia", "x", -1.0).unwrap();
    let first = generate(&small_config(task, 42)).unwrap();
    let second = generate(&small_config(task, 42)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn different_seeds_give_different_data() {
    let task = Task::parse("inertia", "x", -1.0).unwrap();
    let first = generate(&small_config(task, 42)).unwrap();
    let second = generate(&small_config(task, 43)).unwrap();
    assert_ne!(first.train().x(), second.train().x());
    assert_ne!(first.test().x(), second.test().x());
}

#[test]
fn splits_are_independent_draws() {
    let task = Task::parse("cossim", "both", 0.0).unwrap();
    let splits = generate(&small_config(task, 8)).unwrap();
    assert_ne!(
        splits.val().x().row(0),
        splits.test().x().row(0),
        "val and test must come from different streams"
    );
    let bigger = SyntheticConfig {
        n_train: 500,
        ..small_config(task, 8)
    };
    let resized = generate(&bigger).unwrap();
    assert_eq!(
        resized.test(),
        splits.test(),
        "test must not depend on n_train"
    );
}

#[test]
fn default_sizes_are_1000() {
    let task = Task::parse("radius", "z", 0.5).unwrap();
    let splits = generate(&SyntheticConfig::new(task, 0)).unwrap();
    assert_eq!(splits.train().n_samples(), 1000);
    assert_eq!(splits.val().n_samples(), 1000);
    assert_eq!(splits.test().n_samples(), 1000);
    assert!(splits.ood().is_none());
}

fn with_ood(task: Task, kind: OodKind) -> Splits {
    let config = SyntheticConfig {
        ood: Some(OodConfig {
            kind,
            n_samples: 400,
        }),
        ..small_config(task, 9)
    };
    generate(&config).unwrap()
}

#[test]
fn ood_shift_moves_positions_only() {
    let task = Task::parse("inertia", "z", -1.0).unwrap();
    let shifted = with_ood(task, OodKind::DEFAULT_SHIFT);
    let flipped = with_ood(task, OodKind::SignFlip);
    let shifted_x = shifted.ood().unwrap().x();
    let flipped_x = flipped.ood().unwrap().x();
    // Same draws underneath: masses equal, shifted positions = 1 - flipped positions.
    assert_eq!(shifted_x.slice(s![.., 0..5]), flipped_x.slice(s![.., 0..5]));
    let residual = shifted_x.slice(s![.., 5..]).to_owned() + flipped_x.slice(s![.., 5..]) - 1.0;
    assert!(residual.iter().all(|r| r.abs() < 1e-12));
    let mean_position = shifted_x.slice(s![.., 5..]).mean().unwrap();
    assert!((mean_position - 1.0).abs() < 0.1, "mean {mean_position}");
}

#[test]
fn ood_targets_follow_the_task() {
    let task = Task::parse("inertia", "z", -1.0).unwrap();
    for kind in [OodKind::DEFAULT_SHIFT, OodKind::SignFlip] {
        let splits = with_ood(task, kind);
        let ood = splits.ood().unwrap();
        assert_eq!(ood.n_samples(), 400);
        assert_eq!(ood.y(), &task.targets(ood.x()).unwrap());
    }
    assert_eq!(OodKind::parse("sign-flip").unwrap(), OodKind::SignFlip);
}

#[test]
fn unknown_names_list_valid_ones() {
    let cases = [
        ("inertial", "z", "inertia, cossim"),
        ("inertia", "w", "x, y, z, none"),
        ("radius", "up", "x, y, z, none"),
        ("cossim", "rotation", "both, exact, so3, scale, none"),
    ];
    for (task, variant, listed) in cases {
        match Task::parse(task, variant, 0.0) {
            Err(Error::UnknownName { valid, .. }) => {
                assert!(valid.contains(listed), "{task}/{variant}: {valid}")
            }
            other => panic!("{task}/{variant}: expected UnknownName, got {other:?}"),
        }
    }
    assert!(matches!(
        OodKind::parse("rotate"),
        Err(Error::UnknownName { .. })
    ));
}

#[test]
fn zero_samples_are_rejected() {
    let task = Task::parse("inertia", "z", 0.0).unwrap();
    for config in [
        SyntheticConfig {
            n_train: 0,
            ..SyntheticConfig::new(task, 0)
        },
        SyntheticConfig {
            n_test: 0,
            ..SyntheticConfig::new(task, 0)
        },
        SyntheticConfig {
            ood: Some(OodConfig {
                kind: OodKind::SignFlip,
                n_samples: 0,
            }),
            ..SyntheticConfig::new(task, 0)
        },
    ] {
        assert!(matches!(
            generate(&config),
            Err(Error::InvalidSetting { .. })
        ));
    }
}

#[test]
fn invalid_eps_is_rejected() {
    assert!(matches!(
        Task::parse("inertia", "z", f64::NAN),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        Task::parse("radius", "z", -1.0),
        Err(Error::InvalidSetting { .. })
    ));
    assert!(matches!(
        Task::parse("radius", "none", 1.5),
        Err(Error::InvalidSetting { .. })
    ));
}
