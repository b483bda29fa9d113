//! The command line as a user runs it: bad input gives a plain error and a non-zero exit.

use std::process::Command;

fn softeq(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_softeq"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn assert_rejected(args: &[&str], needle: &str) {
    let (ok, text) = softeq(args);
    assert!(!ok, "{args:?} succeeded: {text}");
    assert!(
        text.contains(needle),
        "{args:?}: expected '{needle}' in: {text}"
    );
}

#[test]
fn unknown_task_is_rejected() {
    assert_rejected(&["train", "--task", "mnist"], "unknown task 'mnist'");
}

#[test]
fn unknown_model_is_rejected() {
    assert_rejected(
        &["train", "--model", "transformer", "--quick"],
        "unknown model 'transformer'",
    );
}

#[test]
fn unknown_axis_is_rejected() {
    assert_rejected(
        &[
            "train",
            "--axis",
            "w",
            "--quick",
            "--epochs",
            "2",
            "--adjust-at",
            "0",
        ],
        "unknown axis 'w'",
    );
}

#[test]
fn unknown_group_is_rejected() {
    assert_rejected(
        &[
            "train",
            "--groups",
            "O(3),Q(2)",
            "--quick",
            "--epochs",
            "2",
            "--adjust-at",
            "0",
        ],
        "Q(2)",
    );
}

#[test]
fn tuning_epoch_after_training_is_rejected() {
    assert_rejected(&["train", "--epochs", "10", "--adjust-at", "10"], "T_adj");
}

#[test]
fn negative_learning_rate_is_rejected() {
    assert_rejected(&["train", "--quick", "--lr=-0.001"], "learning rate");
}

#[test]
fn zero_batch_is_rejected() {
    assert_rejected(&["train", "--quick", "--batch-size", "0"], "batch size");
}

#[test]
fn malformed_set_is_rejected() {
    assert_rejected(&["train", "--quick", "--set", "train.epochs"], "KEY=VALUE");
}

#[test]
fn missing_checkpoint_is_rejected() {
    assert_rejected(
        &["eval", "--checkpoint", "/nonexistent/best.safetensors"],
        "cannot read",
    );
}

#[test]
fn groups_lists_dimensions() {
    let (ok, text) = softeq(&[
        "groups",
        "--groups",
        "O(3),O(2)_xy",
        "--rep-in",
        "V",
        "--rep-out",
        "V",
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("T1 -> T1: weights 1 of 9"), "{text}");
    assert!(text.contains("T1 -> T1: weights 2 of 9"), "{text}");
}
