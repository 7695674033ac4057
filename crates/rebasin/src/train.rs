//! Training of small MLPs with the workspace `tape` crate.
//!
//! Weights are He-normal (sd `sqrt(2 / in)`, Box–Muller normals from
//! `ChaCha8Rng::seed_from_u64(seed)`) and biases zero. Each epoch shuffles the
//! training rows with `ChaCha8Rng::seed_from_u64(seed + 1000)` and runs
//! minibatches in that order, keeping the last partial batch. Loss is the mean
//! cross-entropy; SGD with momentum in the PyTorch form `v = μv + g; θ −= lr·v`
//! (derived in the normlab rebasin specification, §2.11).
//!
//! ```
//! use rebasin::train::{TrainParams, train_mlp};
//! use faer::Mat;
//!
//! let x = Mat::from_fn(8, 2, |i, j| ((i + j) % 3) as f64);
//! let y: Vec<usize> = (0..8).map(|i| i % 2).collect();
//! let params = TrainParams { sizes: vec![2, 4, 2], epochs: 2, batch: 4, ..TrainParams::default() };
//! let model = train_mlp(&params.check().unwrap(), x.as_ref(), &y).unwrap();
//! assert!(model.get("layers.1.weight").is_some());
//! ```

use faer::{Mat, MatRef};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tape::{Optimizer, ParamId, ParamStore, Sgd, SgdConfig, Tape, Trans};

use crate::error::{Error, Result};
use crate::model::{Model, Tensor};

/// Largest layer size accepted: one 8192 × 8192 f64 weight takes 512 MiB, and
/// training keeps several copies of each.
pub const MAX_WIDTH: usize = 8192;

/// Largest number of layers accepted.
pub const MAX_LAYERS: usize = 1024;

/// Unchecked training hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainParams {
    /// Layer sizes, input first (default 64-256-256-256-10).
    pub sizes: Vec<usize>,
    /// Passes over the training rows (default 60).
    pub epochs: usize,
    /// Minibatch size (default 32).
    pub batch: usize,
    /// Learning rate (default 0.05).
    pub lr: f64,
    /// Momentum μ (default 0.9).
    pub momentum: f64,
    /// Seed of the initialisation; the shuffle uses seed + 1000.
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            sizes: vec![64, 256, 256, 256, 10],
            epochs: 60,
            batch: 32,
            lr: 0.05,
            momentum: 0.9,
            seed: 0,
        }
    }
}

/// Validated training hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions(TrainParams);

impl TrainOptions {
    /// Returns the validated parameters.
    pub fn params(&self) -> &TrainParams {
        &self.0
    }
}

impl TrainParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::Param`] for fewer than two sizes, a zero size, a size above
    /// [`MAX_WIDTH`], more than [`MAX_LAYERS`] layers, zero epochs or
    /// batch, a non-positive learning rate or a momentum outside [0, 1).
    pub fn check(self) -> Result<TrainOptions> {
        let bad = |name, value: String, rule| Err(Error::Param { name, value, rule });
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return bad(
                "arch",
                format!("{:?}", self.sizes),
                "give at least input and output sizes, all ≥ 1",
            );
        }
        if let Some(&n) = self.sizes.iter().find(|&&n| n > MAX_WIDTH) {
            return bad(
                "arch",
                n.to_string(),
                "every layer size must be ≤ 8192 (an 8192 × 8192 f64 weight takes 512 MiB)",
            );
        }
        if self.sizes.len() > MAX_LAYERS + 1 {
            return bad(
                "arch",
                format!("{} layers", self.sizes.len() - 1),
                "an MLP may have at most 1024 layers",
            );
        }
        if self.epochs == 0 {
            return bad("epochs", "0".into(), "epochs must be ≥ 1");
        }
        if self.batch == 0 {
            return bad("batch", "0".into(), "batch must be ≥ 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(
                "lr",
                self.lr.to_string(),
                "the learning rate must be finite and > 0",
            );
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad(
                "momentum",
                self.momentum.to_string(),
                "momentum must be in [0, 1)",
            );
        }
        Ok(TrainOptions(self))
    }
}

/// Returns a He-normal initialised MLP (biases zero) in F64.
pub fn init_mlp(sizes: &[usize], seed: u64) -> Model {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut model = Model::default();
    for (i, pair) in sizes.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let sd = (2.0 / fan_in as f64).sqrt();
        let w = (0..fan_in * fan_out)
            .map(|_| sd * tape::rng::standard_normal(&mut rng))
            .collect();
        model.insert(
            format!("layers.{i}.weight"),
            Tensor::from_f64(vec![fan_out, fan_in], w),
        );
        model.insert(
            format!("layers.{i}.bias"),
            Tensor::from_f64(vec![fan_out], vec![0.0; fan_out]),
        );
    }
    model
}

/// Trains an MLP on the rows of `x` with labels `y`.
///
/// # Errors
/// [`Error::Data`] when `x` does not have `sizes[0]` columns, `y` has the
/// wrong length or a label is ≥ the output size; [`Error::Tape`] from the tape.
pub fn train_mlp(options: &TrainOptions, x: MatRef<'_, f64>, y: &[usize]) -> Result<Model> {
    let p = options.params();
    check_data(p, x, y)?;
    let model = init_mlp(&p.sizes, p.seed);
    let (mut store, ids) = to_store(&model)?;
    let mut sgd = Sgd::new(SgdConfig {
        lr: p.lr,
        momentum: p.momentum,
    });
    let mut shuffle_rng = ChaCha8Rng::seed_from_u64(p.seed.wrapping_add(1000));
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    let mut t = Tape::new();
    for epoch in 0..p.epochs {
        tape::rng::shuffle(&mut shuffle_rng, &mut order);
        let mut epoch_loss = 0.0;
        for rows in order.chunks(p.batch) {
            let xb = Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)]);
            let yb: Vec<usize> = rows.iter().map(|&r| y[r]).collect();
            t.reset();
            let loss = mlp_loss(&mut t, &store, &ids, xb, &yb);
            let value = t.scalar_value(loss);
            if !value.is_finite() {
                return Err(Error::Diverged {
                    epoch: epoch + 1,
                    loss: value,
                });
            }
            epoch_loss += value * rows.len() as f64;
            let grads = t.backward(loss);
            sgd.step(&mut store, &grads);
            t.recycle(grads);
        }
        tracing::debug!(
            epoch,
            loss = epoch_loss / x.nrows() as f64,
            "training epoch"
        );
    }
    Ok(from_store(&store, &ids))
}

fn check_data(p: &TrainParams, x: MatRef<'_, f64>, y: &[usize]) -> Result<()> {
    let classes = *p.sizes.last().expect("checked: at least two sizes");
    if x.ncols() != p.sizes[0] {
        return Err(Error::Data(format!(
            "the data has {} features but the architecture takes {}",
            x.ncols(),
            p.sizes[0]
        )));
    }
    if y.len() != x.nrows() {
        return Err(Error::Data(format!(
            "{} labels for {} rows",
            y.len(),
            x.nrows()
        )));
    }
    if let Some(bad) = y.iter().find(|&&c| c >= classes) {
        return Err(Error::Data(format!(
            "label {bad} is ≥ the output size {classes}"
        )));
    }
    Ok(())
}

/// Parameter ids of one layer: (weight out × in, bias 1 × out).
pub(crate) type LayerIds = Vec<(ParamId, ParamId)>;

/// Copies the `layers.{i}` tensors of an MLP model into a parameter store.
pub(crate) fn to_store(model: &Model) -> Result<(ParamStore, LayerIds)> {
    let mlp = crate::nn::Mlp::from_model(model)?;
    let mut store = ParamStore::new();
    let mut ids = Vec::new();
    for (i, (w, b)) in mlp.layers.into_iter().enumerate() {
        let bias = Mat::from_fn(1, b.len(), |_, j| b[j]);
        let wid = store.add(format!("layers.{i}.weight"), w)?;
        let bid = store.add(format!("layers.{i}.bias"), bias)?;
        ids.push((wid, bid));
    }
    Ok((store, ids))
}

/// Converts a parameter store back to an F64 model.
pub(crate) fn from_store(store: &ParamStore, ids: &LayerIds) -> Model {
    let mut model = Model::default();
    for (i, (wid, bid)) in ids.iter().enumerate() {
        let w = store.get(*wid);
        let values = (0..w.nrows())
            .flat_map(|r| (0..w.ncols()).map(move |c| w[(r, c)]))
            .collect();
        model.insert(
            format!("layers.{i}.weight"),
            Tensor::from_f64(vec![w.nrows(), w.ncols()], values),
        );
        let b = store.get(*bid);
        let values = (0..b.ncols()).map(|j| b[(0, j)]).collect();
        model.insert(
            format!("layers.{i}.bias"),
            Tensor::from_f64(vec![b.ncols()], values),
        );
    }
    model
}

/// Records the mean cross-entropy of the MLP in `store` on one minibatch.
pub(crate) fn mlp_loss(
    t: &mut Tape,
    store: &ParamStore,
    ids: &LayerIds,
    x: Mat<f64>,
    y: &[usize],
) -> tape::Var {
    let mut h = t.constant(x);
    let last = ids.len() - 1;
    for (l, (wid, bid)) in ids.iter().enumerate() {
        let w = t.param(store, *wid);
        let b = t.param(store, *bid);
        let z = t.matmul(h, Trans::No, w, Trans::Yes);
        let z = t.add_bias(z, b);
        h = if l < last { t.relu(z) } else { z };
    }
    t.cross_entropy(h, y)
}
