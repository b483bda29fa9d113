//! Model files in the safetensors format.
//!
//! A model file holds one tensor per parameter, named as in the model's parameter store
//! (`block0.linear.weight`, ...), in the training precision (`F32` or `F64`). Its metadata
//! holds `format = "softeq-model"`, the softeq version, the precision and `config`: the JSON of
//! the [`ModelConfig`], which records every random choice (hidden allocation, bilinear copies,
//! seeds). Loading rebuilds the model from `config` and replaces every parameter, so a reloaded
//! model gives bitwise-identical outputs. Any safetensors reader (Python `safetensors`, for
//! example) can open the file.

use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;
use safetensors::tensor::{Dtype, TensorView};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::io::write_atomic;
use crate::symmetry::BasisCache;

use super::model::{Model, ModelConfig};
use super::network::load_named;

/// Metadata value of the `format` key.
pub const FORMAT: &str = "softeq-model";

fn checkpoint_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Serialises the model's parameters and configuration, with `extra` metadata entries.
pub fn model_bytes<F: Float>(model: &Model<F>, extra: &HashMap<String, String>) -> Result<Vec<u8>> {
    let params = model.params();
    let dtype = if F::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    };
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = params
        .ids()
        .map(|id| {
            let value = params.get(id);
            let bytes: Vec<u8> = value
                .iter()
                .flat_map(|&v| {
                    if F::NAME == "f32" {
                        (v.to_f64() as f32).to_le_bytes().to_vec()
                    } else {
                        v.to_f64().to_le_bytes().to_vec()
                    }
                })
                .collect();
            (params.name(id).to_string(), value.shape().to_vec(), bytes)
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(dtype, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::invalid("tensor", name, format!("cannot serialise: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut metadata = extra.clone();
    metadata.insert("format".into(), FORMAT.into());
    metadata.insert("softeq_version".into(), env!("CARGO_PKG_VERSION").into());
    metadata.insert("dtype".into(), F::NAME.into());
    let config = serde_json::to_string(&model.config())
        .map_err(|e| Error::invalid("model configuration", "", format!("cannot serialise: {e}")))?;
    metadata.insert("config".into(), config);
    safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::invalid("model file", "", format!("cannot serialise: {e}")))
}

/// Writes the model to `path` atomically.
pub fn save_model<F: Float>(
    model: &Model<F>,
    path: &Path,
    extra: &HashMap<String, String>,
) -> Result<()> {
    write_atomic(path, &model_bytes(model, extra)?)
}

/// A model read from a file, with the file's metadata.
pub struct LoadedModel<F: Float> {
    /// The rebuilt model.
    pub model: Model<F>,
    /// All metadata entries of the file.
    pub metadata: HashMap<String, String>,
}

/// Reads a model file written by [`save_model`], converting the precision to `F` if needed
/// (`f32` to `f64` is exact).
pub fn load_model<F: Float>(path: &Path, cache: &BasisCache) -> Result<LoadedModel<F>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| checkpoint_error(path, format!("not a safetensors file: {e}")))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    if metadata.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(checkpoint_error(
            path,
            format!("metadata key format is not '{FORMAT}'; was it written by softeq?"),
        ));
    }
    let config_text = metadata
        .get("config")
        .ok_or_else(|| checkpoint_error(path, "metadata has no model config"))?;
    let config: ModelConfig = serde_json::from_str(config_text)
        .map_err(|e| checkpoint_error(path, format!("invalid model config: {e}")))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| checkpoint_error(path, format!("invalid tensors: {e}")))?;
    let mut values = Vec::new();
    for (name, view) in tensors.tensors() {
        let shape = view.shape();
        let (rows, cols) = match shape {
            [r, c] => (*r, *c),
            _ => {
                return Err(checkpoint_error(
                    path,
                    format!("tensor {name} has shape {shape:?}; expected 2 axes"),
                ));
            }
        };
        let data: Vec<F> = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| F::of(f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64))
                .collect(),
            Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|b| F::of(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                .collect(),
            other => {
                return Err(checkpoint_error(
                    path,
                    format!("tensor {name} has dtype {other:?}; expected F32 or F64"),
                ));
            }
        };
        let array = Array2::from_shape_vec((rows, cols), data)
            .map_err(|e| checkpoint_error(path, format!("tensor {name}: {e}")))?;
        if array.iter().any(|v| !v.is_finite()) {
            return Err(checkpoint_error(
                path,
                format!("tensor {name} contains NaN or infinite values"),
            ));
        }
        values.push((name, array));
    }
    let mut model = Model::<F>::build(&config, cache)?;
    load_named(model.params_mut(), &values).map_err(|e| checkpoint_error(path, e.to_string()))?;
    Ok(LoadedModel { model, metadata })
}
