//! The YAHPO Gym NAS-Bench-301 surrogate network, run with tract.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxinas_core::DataError;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::{bail, format_err};
use tract_onnx::tract_hir::infer::InferenceOp;
use tract_onnx::tract_hir::ops::activations::Selu;
use tract_onnx::tract_hir::ops::expandable::expand;

use crate::NB301_CATEGORICAL_INPUTS;

/// The epochs the surrogate was trained on (NB301 trains for 98 epochs).
pub const NB301_EPOCHS: std::ops::RangeInclusive<u32> = 1..=98;

/// How many configurations the batched model runs at once.
const BATCH_CHUNK: usize = 512;

/// One surrogate prediction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nb301Prediction {
    /// Predicted CIFAR-10 validation accuracy (%).
    pub val_accuracy: f64,
    /// Predicted training time (s) up to the requested epoch.
    pub runtime_seconds: f64,
}

/// The runnable model behind a shared handle (plans are immutable; each run
/// spawns its own state, so one model serves all threads).
type Plan = Arc<TypedRunnableModel>;

/// YAHPO Gym's NB301 surrogate (`new_model.onnx`): a network from the 34
/// categorical DARTS inputs and the epoch to `[val_accuracy (%), runtime (s)]`.
///
/// The exported model has a fixed batch size of 1. At load time the graph is
/// also re-typed with a symbolic batch dimension; when that succeeds and
/// agrees with the batch-1 model on a probe batch, [`Nb301Surrogate::predict_batch`]
/// runs whole batches through it, otherwise it loops over the batch-1 model.
///
/// Predictions are deterministic: the surrogate's mean, without the noise
/// NB301's own ensemble surrogates can add.
#[derive(Clone)]
pub struct Nb301Surrogate {
    single: Plan,
    batched: Option<Plan>,
    path: PathBuf,
}

impl std::fmt::Debug for Nb301Surrogate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nb301Surrogate")
            .field("path", &self.path)
            .field("batched", &self.batched.is_some())
            .finish()
    }
}

/// Renders a tract error with its chain of causes on one line.
fn chain(error: &TractError) -> String {
    format!("{error:#}")
}

/// ONNX's default `Selu` coefficients (`alpha` and `gamma` in the operator's
/// spec, and in onnxruntime): SELU's alpha and lambda rounded to float32.
const ONNX_SELU_ALPHA: f32 = 1.673_263_2;
const ONNX_SELU_GAMMA: f32 = 1.050_701;

/// Parses an ONNX `Selu` node, defaulting a missing `alpha` or `gamma` to the
/// spec's value. tract-onnx 0.23 defaults them to 1.67326 and 1.0507, a
/// relative error of 2e-6 and 1e-6, and the six `Selu` nodes of
/// `new_model.onnx` carry no attributes: with tract's defaults its predictions
/// differ from onnxruntime's by up to 1.45e-4 points, with the spec's by
/// 1.5e-5 (`tests/nb301_parity.rs`).
fn selu(
    _ctx: &ParsingContext<'_>,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let alpha = node.get_attr_opt("alpha")?.unwrap_or(ONNX_SELU_ALPHA);
    let gamma = node.get_attr_opt("gamma")?.unwrap_or(ONNX_SELU_GAMMA);
    Ok((expand(Selu(alpha, gamma)), vec![]))
}

/// Parses the ONNX bytes into an inference model.
fn decode(bytes: &[u8], path: &Path) -> Result<InferenceModel, DataError> {
    let mut onnx = tract_onnx::onnx();
    onnx.op_register.insert("Selu", selu);
    onnx.model_for_read(&mut &bytes[..])
        .map_err(|e| DataError::malformed(path, "ONNX protobuf", chain(&e)))
}

/// Types the two inputs with `batch` rows and optimises the graph.
fn build(mut model: InferenceModel, batch: TDim, path: &Path) -> Result<Plan, DataError> {
    let place = |step: &str| format!("model graph ({step})");
    let inputs = model.inputs.len();
    let outputs = model.outputs.len();
    if inputs != 2 || outputs != 1 {
        return Err(DataError::malformed(
            path,
            place("inputs/outputs"),
            format!(
                "expected inputs x_cat, x_cont and one output, found {inputs} input(s) and {outputs} output(s)"
            ),
        ));
    }
    let cat = i32::fact([batch.clone(), TDim::from(NB301_CATEGORICAL_INPUTS)]);
    let cont = f32::fact([batch, TDim::from(1)]);
    model = model
        .with_input_fact(0, cat.into())
        .and_then(|m| m.with_input_fact(1, cont.into()))
        .map_err(|e| DataError::malformed(path, place("input types"), chain(&e)))?;
    model
        .into_optimized()
        .and_then(|m| m.into_runnable())
        .map_err(|e| DataError::malformed(path, place("type inference"), chain(&e)))
}

/// Runs `plan` on `rows` configurations and returns the `[rows, 2]` output.
fn run(
    plan: &Plan,
    x_cat: &[[i32; NB301_CATEGORICAL_INPUTS]],
    epochs: &[f32],
) -> TractResult<Vec<Nb301Prediction>> {
    let rows = x_cat.len();
    let flat: Vec<i32> = x_cat.iter().flatten().copied().collect();
    let cat = Tensor::from_shape(&[rows, NB301_CATEGORICAL_INPUTS], &flat)?;
    let cont = Tensor::from_shape(&[rows, 1], epochs)?;
    let outputs = plan.run(tvec!(cat.into(), cont.into()))?;
    let output = outputs
        .first()
        .ok_or_else(|| format_err!("the model returned no output"))?;
    let view = output.to_plain_array_view::<f32>()?;
    let shape = view.shape();
    if shape.len() != 2 || shape[0] != rows || shape[1] != 2 {
        bail!("expected an output of shape [{rows}, 2], found {shape:?}");
    }
    Ok(view
        .outer_iter()
        .map(|row| Nb301Prediction {
            val_accuracy: f64::from(row[0]),
            runtime_seconds: f64::from(row[1]),
        })
        .collect())
}

impl Nb301Surrogate {
    /// Loads `new_model.onnx` and prepares it for inference.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        Self::from_bytes(&bytes, path)
    }

    /// Prepares the model held in `bytes`; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, DataError> {
        let single = build(decode(bytes, path)?, TDim::from(1), path)?;
        let surrogate = Self {
            single,
            batched: None,
            path: path.to_owned(),
        };
        // A probe run surfaces a model that parses but cannot execute.
        let probe = [[0; NB301_CATEGORICAL_INPUTS]];
        run(&surrogate.single, &probe, &[1.0])
            .map_err(|e| DataError::malformed(path, "model graph (probe run)", chain(&e)))?;
        let batched = decode(bytes, path)
            .ok()
            .and_then(|model| {
                let batch = model.sym("N");
                build(model, TDim::Sym(batch), path).ok()
            })
            .filter(|plan| surrogate.batch_agrees(plan));
        Ok(Self {
            batched,
            ..surrogate
        })
    }

    /// Whether the re-typed `plan` reproduces the batch-1 model on a probe
    /// batch of distinct inputs (some exported graphs bake the batch size in).
    fn batch_agrees(&self, plan: &Plan) -> bool {
        let x_cat: Vec<[i32; NB301_CATEGORICAL_INPUTS]> = (0..3)
            .map(|row| std::array::from_fn(|i| ((i + row) % 3) as i32))
            .collect();
        let epochs = [1.0, 50.0, 98.0];
        let Ok(batched) = run(plan, &x_cat, &epochs) else {
            return false;
        };
        x_cat.iter().zip(epochs).zip(&batched).all(|((x, e), b)| {
            run(&self.single, std::slice::from_ref(x), &[e]).is_ok_and(|single| {
                (single[0].val_accuracy - b.val_accuracy).abs() < 1e-3
                    && (single[0].runtime_seconds - b.runtime_seconds).abs() < 1e-2
            })
        })
    }

    /// The file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether [`Nb301Surrogate::predict_batch`] runs batches in one pass.
    pub fn is_batched(&self) -> bool {
        self.batched.is_some()
    }

    /// Predicts one configuration at `epoch` (the caller checks 1..=98).
    pub fn predict(
        &self,
        x_cat: &[i32; NB301_CATEGORICAL_INPUTS],
        epoch: u32,
    ) -> Result<Nb301Prediction, String> {
        run(&self.single, std::slice::from_ref(x_cat), &[epoch as f32])
            .map(|p| p[0])
            .map_err(|e| chain(&e))
    }

    /// Predicts many configurations, each at its epoch.
    pub fn predict_batch(
        &self,
        x_cat: &[[i32; NB301_CATEGORICAL_INPUTS]],
        epochs: &[u32],
    ) -> Result<Vec<Nb301Prediction>, String> {
        if x_cat.len() != epochs.len() {
            return Err(format!(
                "{} configurations but {} epochs",
                x_cat.len(),
                epochs.len()
            ));
        }
        let epochs: Vec<f32> = epochs.iter().map(|&e| e as f32).collect();
        let mut out = Vec::with_capacity(x_cat.len());
        match &self.batched {
            Some(plan) => {
                for (cat, cont) in x_cat.chunks(BATCH_CHUNK).zip(epochs.chunks(BATCH_CHUNK)) {
                    out.extend(run(plan, cat, cont).map_err(|e| chain(&e))?);
                }
            }
            None => {
                for (cat, &cont) in x_cat.iter().zip(&epochs) {
                    out.extend(
                        run(&self.single, std::slice::from_ref(cat), &[cont])
                            .map_err(|e| chain(&e))?,
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use tract_onnx::pb::tensor_proto::DataType;
    use tract_onnx::pb::type_proto::{Tensor as TensorType, Value};
    use tract_onnx::pb::{GraphProto, ModelProto, OperatorSetIdProto, TypeProto, ValueInfoProto};

    use super::*;

    /// An ONNX model of one `Selu` node without attributes, `x` to `y`
    /// (float32 tensors; the test gives `x` its shape).
    fn bare_selu() -> Vec<u8> {
        let value = |name: &str| ValueInfoProto {
            name: name.into(),
            r#type: Some(TypeProto {
                value: Some(Value::TensorType(TensorType {
                    elem_type: DataType::Float as i32,
                    shape: None,
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let node = NodeProto {
            op_type: "Selu".into(),
            input: vec!["x".into()],
            output: vec!["y".into()],
            ..Default::default()
        };
        ModelProto {
            ir_version: 7,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: 12,
            }],
            graph: Some(GraphProto {
                node: vec![node],
                input: vec![value("x")],
                output: vec![value("y")],
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn selu_without_attributes_takes_the_onnx_defaults() {
        // SELU's alpha and lambda in float64 (the spec's defaults are these in float32).
        let (alpha, lambda) = (1.673_263_242_354_377_2_f64, 1.050_700_987_355_480_5_f64);
        let xs = [2.0_f32, 1.0, 0.5, -0.5, -1.0, -3.0];
        let model = decode(&bare_selu(), Path::new("selu.onnx"))
            .unwrap()
            .with_input_fact(0, f32::fact([xs.len()]).into())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap();
        let out = model.run(tvec!(tensor1(&xs).into())).unwrap();
        let ys = out[0].to_plain_array_view::<f32>().unwrap();
        for (&x, &y) in xs.iter().zip(ys.iter()) {
            let x = f64::from(x);
            let want = if x > 0.0 {
                lambda * x
            } else {
                lambda * alpha * (x.exp() - 1.0)
            };
            // A few float32 steps; tract's own defaults are 1e-6 to 3e-6 off.
            assert!(
                (f64::from(y) - want).abs() <= 3e-7 * want.abs(),
                "selu({x}) = {y}, want {want}"
            );
        }
    }
}
