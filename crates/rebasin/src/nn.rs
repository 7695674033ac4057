//! Built-in MLP: a plain faer forward for evaluation and `tape` for training.
//!
//! `z_l = W_l h_{l−1} + b_l`, `h_l = relu(z_l)` for l < L, logits `z_L`, with
//! W_l stored out × in under `layers.{l−1}.weight`. Loss is the mean
//! cross-entropy `−log softmax(z)_y` computed with log-sum-exp; accuracy takes the
//! argmax with ties to the lowest class (derived in the normlab rebasin
//! specification, §2.2 and §2.11).
//!
//! ```
//! use faer::Mat;
//! use rebasin::nn::Mlp;
//!
//! let model = rebasin::prng::portable_mlp(&[4, 8, 3], 0);
//! let mlp = Mlp::from_model(&model).unwrap();
//! let x = Mat::<f64>::zeros(2, 4);
//! let (loss, acc) = mlp.loss_acc(x.as_ref(), &[0, 1]);
//! assert!(loss > 0.0 && (0.0..=1.0).contains(&acc));
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::error::{Error, Result};
use crate::model::Model;

/// Dense layers of an MLP read from `layers.{i}.weight|bias`.
#[derive(Clone, Debug)]
pub struct Mlp {
    /// Weight (out × in) and bias (out) of each layer.
    pub layers: Vec<(Mat<f64>, Vec<f64>)>,
}

impl Mlp {
    /// Reads the layers `layers.0`, `layers.1`, … of `model`.
    ///
    /// # Errors
    /// [`Error::NotMlp`] when a tensor is missing or the shapes do not chain.
    pub fn from_model(model: &Model) -> Result<Self> {
        let mut layers = Vec::new();
        let mut found = 0;
        while let Some(w) = model.get(&format!("layers.{}.weight", layers.len())) {
            let i = layers.len();
            if w.shape.len() != 2 || !w.is_float() {
                return Err(Error::NotMlp(format!(
                    "layers.{i}.weight is not a 2-D float tensor"
                )));
            }
            let (out, inp) = (w.shape[0], w.shape[1]);
            let bias = match model.get(&format!("layers.{i}.bias")) {
                Some(b) if b.shape == [out] && b.is_float() => b.values.clone(),
                Some(_) => {
                    return Err(Error::NotMlp(format!(
                        "layers.{i}.bias does not have {out} entries"
                    )));
                }
                None => return Err(Error::NotMlp(format!("layers.{i}.bias is missing"))),
            };
            if let Some((prev, _)) = layers.last()
                && Mat::<f64>::nrows(prev) != inp
            {
                return Err(Error::NotMlp(format!(
                    "layers.{i}.weight takes {inp} inputs but layers.{}.weight gives {}",
                    i - 1,
                    Mat::<f64>::nrows(prev)
                )));
            }
            let values = &w.values;
            layers.push((Mat::from_fn(out, inp, |r, c| values[r * inp + c]), bias));
            found += 2;
        }
        if layers.is_empty() {
            return Err(Error::NotMlp("the model has no layers.0.weight".into()));
        }
        if found != model.tensors.len() {
            let extra = model
                .natural_names()
                .into_iter()
                .find(|n| !n.starts_with("layers."))
                .unwrap_or("a layers.* tensor out of sequence");
            return Err(Error::NotMlp(format!(
                "the model has the extra tensor {extra}"
            )));
        }
        Ok(Self { layers })
    }

    /// Number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.layers[0].0.ncols()
    }

    /// Returns the logits (n × classes) of the rows of `x` (n × inputs).
    pub fn forward(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut h = x.to_owned();
        let last = self.layers.len() - 1;
        for (l, (w, b)) in self.layers.iter().enumerate() {
            let mut z = Mat::<f64>::zeros(h.nrows(), w.nrows());
            matmul(
                z.as_mut(),
                Accum::Replace,
                h.as_ref(),
                w.transpose(),
                1.0,
                Par::Seq,
            );
            for j in 0..z.ncols() {
                for i in 0..z.nrows() {
                    let v = z[(i, j)] + b[j];
                    z[(i, j)] = if l < last { v.max(0.0) } else { v };
                }
            }
            h = z;
        }
        h
    }

    /// Returns the post-ReLU activations (n × width) of every hidden layer.
    pub fn hidden_activations(&self, x: MatRef<'_, f64>) -> Vec<Mat<f64>> {
        let mut out = Vec::new();
        let mut h = x.to_owned();
        for (w, b) in &self.layers[..self.layers.len() - 1] {
            let mut z = Mat::<f64>::zeros(h.nrows(), w.nrows());
            matmul(
                z.as_mut(),
                Accum::Replace,
                h.as_ref(),
                w.transpose(),
                1.0,
                Par::Seq,
            );
            for j in 0..z.ncols() {
                for i in 0..z.nrows() {
                    z[(i, j)] = (z[(i, j)] + b[j]).max(0.0);
                }
            }
            out.push(z.clone());
            h = z;
        }
        out
    }

    /// Returns (mean cross-entropy, accuracy in [0, 1]) on the rows of `x`.
    pub fn loss_acc(&self, x: MatRef<'_, f64>, y: &[usize]) -> (f64, f64) {
        logits_loss_acc(self.forward(x).as_ref(), y)
    }
}

/// Returns (mean cross-entropy, accuracy in [0, 1]) of the logits `z`
/// (n × classes) for labels `y`: loss `−log softmax(z)_y` by log-sum-exp,
/// argmax ties to the lowest class.
pub fn logits_loss_acc(z: MatRef<'_, f64>, y: &[usize]) -> (f64, f64) {
    let mut loss = 0.0;
    let mut correct = 0usize;
    for (i, &label) in y.iter().enumerate() {
        let row: Vec<f64> = (0..z.ncols()).map(|j| z[(i, j)]).collect();
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        loss += lse - row[label];
        let argmax = (0..row.len()).fold(0, |best, j| if row[j] > row[best] { j } else { best });
        correct += usize::from(argmax == label);
    }
    let n = y.len().max(1) as f64;
    (loss / n, correct as f64 / n)
}

/// Logits of a built-in MLP on 64 portable inputs, else of a built-in CNN.
fn probe_logits(model: &Model) -> Option<Mat<f64>> {
    let Ok(mlp) = Mlp::from_model(model) else {
        return crate::cnn::probe_logits(model);
    };
    let mut g = crate::prng::SplitMix64::new(0);
    let n_in = mlp.n_inputs();
    let values: Vec<f64> = (0..64 * n_in).map(|_| g.next_symmetric()).collect();
    Some(mlp.forward(MatRef::from_row_major_slice(&values, 64, n_in)))
}

/// Checks that `permuted` computes the same function as `original` on 64
/// portable inputs (values `2u − 1` from SplitMix64 seed 0): outputs agree within
/// `1e-9·(1 + max|out|)`. VGG-style and ResNet20 models are checked on 16
/// portable images ([`crate::cnn::probe_logits`]); other models are not checked
/// (`Ok(false)`).
///
/// # Errors
/// [`Error::Spec`] when the outputs differ, which means the spec is wrong.
pub fn functional_check(original: &Model, permuted: &Model) -> Result<bool> {
    let (Some(y0), Some(y1)) = (probe_logits(original), probe_logits(permuted)) else {
        return Ok(false);
    };
    let mut max_out = 0.0f64;
    let mut max_diff = 0.0f64;
    for j in 0..y0.ncols() {
        for i in 0..y0.nrows() {
            max_out = max_out.max(y0[(i, j)].abs());
            max_diff = max_diff.max((y0[(i, j)] - y1[(i, j)]).abs());
        }
    }
    if max_diff > 1e-9 * (1.0 + max_out) {
        return Err(Error::Spec(format!(
            "the permuted model differs from the original by {max_diff:e} on test inputs, so the spec does not describe a symmetry of this network"
        )));
    }
    Ok(true)
}
