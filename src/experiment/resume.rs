//! Resumable training state: model, optimizer moments and loop bookkeeping.
//!
//! A trial directory holds `resume/` with `model.safetensors`, `optimizer.safetensors` and
//! `state.json`. The three files are written into `resume.tmp/` first and the folder is then
//! swapped in, so a crash at any moment leaves either the previous complete state or the new
//! one (in `resume.old/` during the swap, which [`load`] also accepts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::io::{read_json, write_atomic, write_json};
use crate::method::StrengthTuner;
use crate::nn::Model;
use crate::nn::checkpoint::{load_model, save_model};
use crate::optim::Adam;
use crate::symmetry::BasisCache;

/// Bookkeeping of the training loop at the end of an epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoopState {
    /// Last completed epoch (1-based).
    pub epoch: usize,
    /// Strength tuner, for PER.
    pub tuner: Option<StrengthTuner>,
    /// Best validation value so far among selectable epochs, and its epoch.
    pub best: Option<(f64, usize)>,
    /// Selectable epochs since the last improvement.
    pub stale_epochs: usize,
    /// Seconds spent training before this state was written.
    pub elapsed_s: f64,
    /// Adam's step count.
    pub adam_steps: u64,
}

fn state_dir(trial_dir: &Path) -> PathBuf {
    trial_dir.join("resume")
}

fn moments_bytes<F: Float>(adam: &Adam<F>, names: &[String]) -> Result<Vec<u8>> {
    let dtype = if F::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    };
    let to_bytes = |a: &Array2<F>| -> Vec<u8> {
        a.iter()
            .flat_map(|&v| {
                if F::NAME == "f32" {
                    (v.to_f64() as f32).to_le_bytes().to_vec()
                } else {
                    v.to_f64().to_le_bytes().to_vec()
                }
            })
            .collect()
    };
    let mut buffers = Vec::new();
    for (name, (m, v)) in names.iter().zip(adam.m.iter().zip(&adam.v)) {
        buffers.push((format!("m.{name}"), m.shape().to_vec(), to_bytes(m)));
        buffers.push((format!("v.{name}"), v.shape().to_vec(), to_bytes(v)));
    }
    let views = buffers
        .iter()
        .map(|(n, s, b)| TensorView::new(dtype, s.clone(), b).map(|v| (n.clone(), v)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid("optimizer state", "", e.to_string()))?;
    safetensors::serialize(views, None)
        .map_err(|e| Error::invalid("optimizer state", "", e.to_string()))
}

/// Writes the resumable state of a trial.
pub fn save<F: Float>(
    trial_dir: &Path,
    model: &Model<F>,
    adam: &Adam<F>,
    state: &LoopState,
) -> Result<()> {
    let tmp = trial_dir.join("resume.tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io("cannot create directory", &tmp, e))?;
    save_model(model, &tmp.join("model.safetensors"), &HashMap::new())?;
    let names: Vec<String> = model
        .params()
        .ids()
        .map(|id| model.params().name(id).to_string())
        .collect();
    write_atomic(
        &tmp.join("optimizer.safetensors"),
        &moments_bytes(adam, &names)?,
    )?;
    write_json(&tmp.join("state.json"), state)?;
    let target = state_dir(trial_dir);
    let old = trial_dir.join("resume.old");
    let _ = std::fs::remove_dir_all(&old);
    if target.exists() {
        std::fs::rename(&target, &old).map_err(|e| Error::io("cannot rename", &target, e))?;
    }
    std::fs::rename(&tmp, &target).map_err(|e| Error::io("cannot rename", &tmp, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// A resumed trial: model, optimizer and loop state.
pub struct Resumed<F: Float> {
    /// The model at the saved epoch.
    pub model: Model<F>,
    /// The optimizer at the saved epoch.
    pub adam: Adam<F>,
    /// The loop bookkeeping.
    pub state: LoopState,
}

/// Reads the state saved by [`save`], or `None` if the trial has none.
pub fn load<F: Float>(
    trial_dir: &Path,
    mut adam: Adam<F>,
    cache: &BasisCache,
) -> Result<Option<Resumed<F>>> {
    let dir = [state_dir(trial_dir), trial_dir.join("resume.old")]
        .into_iter()
        .find(|d| d.join("state.json").is_file());
    let Some(dir) = dir else { return Ok(None) };
    let state: LoopState = read_json(&dir.join("state.json"))?;
    let model = load_model::<F>(&dir.join("model.safetensors"), cache)?.model;
    let path = dir.join("optimizer.safetensors");
    let bytes = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| Error::Checkpoint {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let params = model.params();
    for (k, id) in params.ids().enumerate() {
        for (prefix, target) in [("m", &mut adam.m[k]), ("v", &mut adam.v[k])] {
            let name = format!("{prefix}.{}", params.name(id));
            let view = tensors.tensor(&name).map_err(|e| Error::Checkpoint {
                path: path.clone(),
                message: format!("{name}: {e}"),
            })?;
            let values: Vec<F> = match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|b| F::of(f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64))
                    .collect(),
                _ => view
                    .data()
                    .chunks_exact(8)
                    .map(|b| F::of(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                    .collect(),
            };
            *target = Array2::from_shape_vec(target.raw_dim(), values).map_err(|e| {
                Error::Checkpoint {
                    path: path.clone(),
                    message: format!("{name}: {e}"),
                }
            })?;
        }
    }
    adam.t = state.adam_steps;
    Ok(Some(Resumed { model, adam, state }))
}
