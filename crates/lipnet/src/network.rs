//! The verify-facing description of a network: its forward pass and its
//! Jacobian for a given activation slope pattern.
//!
//! Every model of this crate is piecewise smooth in its activations: once the
//! slope σ'(v) of every hidden unit is fixed, the input-output Jacobian is a
//! product of known matrices. Two descriptions implement [`SlopeNet`]:
//!
//! - [`Effective`]: the LDLᵀ form z_k = σ(C_k z_{k−1} + b_k), y = A x + B z_K + b_out,
//!   with J = A + B D_K C_K ⋯ D_1 C_1.
//! - [`LayerNet`]: a composition of [`Layer`]s, each one of
//!
//!   ```text
//!   Linear   y = W x + b                       J = W
//!   Dense    y = σ(W x + b)                    J = D W
//!   Block    y = s·x + U σ(W x + b) + c        J = s·I + U D W   (s ∈ {0, 1})
//!   ```
//!
//!   with J the product of the per-layer Jacobians. The residual baselines
//!   (SLL, CPL: s = 1, U = −Wᵀ·diag(·)) and the Sandwich layer (s = 0) are blocks.
//!
//! D is the diagonal of slopes of one activation group; the groups are listed
//! by [`SlopeNet::slope_widths`] in forward order. The exhaustive, greedy,
//! sampled and PGD checks of [`crate::verify`] work on any [`SlopeNet`]; the LMI
//! needs the LDLᵀ form ([`Network::effective`]).
//!
//! ```
//! use faer::mat;
//! use lipnet::activation::Activation;
//! use lipnet::network::{Layer, LayerNet, SlopeNet};
//!
//! // y = x − 2·wᵀ relu(w x) for w = [0.6, 0.8]: a reflection on the half-space w·x > 0.
//! let w = mat![[0.6, 0.8]];
//! let w_out = mat![[-1.2], [-1.6]];
//! let net = LayerNet::new(
//!     vec![Layer::block(true, w, None, w_out, None)],
//!     Activation::Relu,
//! );
//! let j = net.jacobian_for_slopes(&[vec![1.0]]);
//! assert!((j[(0, 0)] - (1.0 - 2.0 * 0.36)).abs() < 1e-15);
//! let y = net.forward(mat![[1.0, 0.0]].as_ref());
//! assert!((y[(0, 0)] - (1.0 - 2.0 * 0.36)).abs() < 1e-15);
//! ```

use crate::activation::Activation;
use crate::effective::Effective;
use crate::error::{Error, Result};
use crate::verify::spectral_norm;
use faer::{Mat, MatRef};
use tape::{Tape, Trans, Var};

/// A network whose Jacobian is fixed by the slopes of its activations.
pub trait SlopeNet {
    /// Returns the input dimension.
    fn n_in(&self) -> usize;

    /// Returns the output dimension.
    fn n_out(&self) -> usize;

    /// Returns the size of every activation group, in forward order.
    fn slope_widths(&self) -> Vec<usize>;

    /// Returns the activation σ.
    fn activation(&self) -> Activation;

    /// Evaluates a batch (rows are samples) and returns the outputs and the
    /// pre-activations of every activation group.
    fn forward_with_preactivations(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Vec<Mat<f64>>);

    /// Returns the Jacobian (n_out × n_in) for the slope vectors `slopes`,
    /// one per activation group.
    fn jacobian_for_slopes(&self, slopes: &[Vec<f64>]) -> Mat<f64>;

    /// Returns a sound upper bound on the Lipschitz constant from per-layer
    /// spectral norms (looser than the exhaustive bound).
    ///
    /// # Errors
    ///
    /// [`Error::Decomposition`] when a norm computation fails.
    fn naive_bound(&self) -> Result<f64>;

    /// Evaluates a batch (rows are samples).
    fn forward(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.forward_with_preactivations(x).0
    }

    /// Returns the slopes of the actual pre-activations of the input row `x`
    /// (ReLU slope 0 at exactly 0).
    fn slopes_at(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let row = Mat::from_fn(1, x.len(), |_, j| x[j]);
        let (_, pre) = self.forward_with_preactivations(row.as_ref());
        let act = self.activation();
        pre.iter()
            .map(|v| (0..v.ncols()).map(|j| act.slope(v[(0, j)])).collect())
            .collect()
    }

    /// Returns the Jacobian at the input row `x` (length n_in).
    fn jacobian_at(&self, x: &[f64]) -> Mat<f64> {
        self.jacobian_for_slopes(&self.slopes_at(x))
    }
}

impl SlopeNet for Effective {
    fn n_in(&self) -> usize {
        Effective::n_in(self)
    }
    fn n_out(&self) -> usize {
        Effective::n_out(self)
    }
    fn slope_widths(&self) -> Vec<usize> {
        self.widths()
    }
    fn activation(&self) -> Activation {
        self.activation
    }
    fn forward_with_preactivations(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Vec<Mat<f64>>) {
        Effective::forward_with_preactivations(self, x)
    }
    fn jacobian_for_slopes(&self, slopes: &[Vec<f64>]) -> Mat<f64> {
        Effective::jacobian_for_slopes(self, slopes)
    }
    fn naive_bound(&self) -> Result<f64> {
        crate::verify::naive_bound(self)
    }
}

/// One layer of a [`LayerNet`], in f64. Biases are 1 × m rows.
#[derive(Clone, Debug)]
pub enum Layer {
    /// y = W x + b.
    Linear {
        /// Weight (m × n).
        w: Mat<f64>,
        /// Optional bias.
        b: Option<Mat<f64>>,
    },
    /// y = σ(W x + b).
    Dense {
        /// Weight (m × n).
        w: Mat<f64>,
        /// Bias.
        b: Mat<f64>,
    },
    /// y = s·x + U σ(W x + b) + c, with s = 1 when `skip` is set and 0 otherwise.
    Block {
        /// Adds the identity skip connection (requires U of shape n × m).
        skip: bool,
        /// Inner weight W (m × n).
        w_in: Mat<f64>,
        /// Inner bias b (1 × m), or none.
        b_in: Option<Mat<f64>>,
        /// Outer weight U (n_out × m).
        w_out: Mat<f64>,
        /// Outer bias c, or none.
        b_out: Option<Mat<f64>>,
    },
}

impl Layer {
    /// Builds a [`Layer::Block`].
    pub fn block(
        skip: bool,
        w_in: Mat<f64>,
        b_in: Option<Mat<f64>>,
        w_out: Mat<f64>,
        b_out: Option<Mat<f64>>,
    ) -> Self {
        Layer::Block {
            skip,
            w_in,
            b_in,
            w_out,
            b_out,
        }
    }

    /// Returns the number of activations in this layer (0 for linear layers).
    pub fn n_slopes(&self) -> usize {
        match self {
            Layer::Linear { .. } => 0,
            Layer::Dense { w, .. } => w.nrows(),
            Layer::Block { w_in, .. } => w_in.nrows(),
        }
    }

    fn n_in(&self) -> usize {
        match self {
            Layer::Linear { w, .. } | Layer::Dense { w, .. } => w.ncols(),
            Layer::Block { w_in, .. } => w_in.ncols(),
        }
    }

    fn n_out(&self) -> usize {
        match self {
            Layer::Linear { w, .. } | Layer::Dense { w, .. } => w.nrows(),
            Layer::Block { w_out, .. } => w_out.nrows(),
        }
    }

    /// Evaluates the layer on a batch; returns the output and, for layers with
    /// activations, the pre-activation.
    fn forward(&self, act: Activation, x: &Mat<f64>) -> (Mat<f64>, Option<Mat<f64>>) {
        match self {
            Layer::Linear { w, b } => (affine(x, w, b.as_ref()), None),
            Layer::Dense { w, b } => {
                let v = affine(x, w, Some(b));
                (map(act, &v), Some(v))
            }
            Layer::Block {
                skip,
                w_in,
                b_in,
                w_out,
                b_out,
            } => {
                let v = affine(x, w_in, b_in.as_ref());
                let mut y = affine(&map(act, &v), w_out, b_out.as_ref());
                if *skip {
                    y += x;
                }
                (y, Some(v))
            }
        }
    }

    /// Returns the layer Jacobian for the slopes `d` (empty for linear layers).
    fn jacobian(&self, d: &[f64]) -> Mat<f64> {
        match self {
            Layer::Linear { w, .. } => w.clone(),
            Layer::Dense { w, .. } => scale_rows(w, d),
            Layer::Block {
                skip, w_in, w_out, ..
            } => {
                let mut j = w_out * scale_rows(w_in, d);
                if *skip {
                    for i in 0..j.nrows() {
                        j[(i, i)] += 1.0;
                    }
                }
                j
            }
        }
    }

    /// Returns an upper bound on the layer's Lipschitz constant for slopes in [0, 1].
    fn naive_bound(&self) -> Result<f64> {
        match self {
            Layer::Linear { w, .. } | Layer::Dense { w, .. } => spectral_norm(w.as_ref()),
            Layer::Block {
                skip, w_in, w_out, ..
            } => {
                let inner = spectral_norm(w_out.as_ref())? * spectral_norm(w_in.as_ref())?;
                Ok(inner + if *skip { 1.0 } else { 0.0 })
            }
        }
    }
}

/// A composition of [`Layer`]s with one activation.
#[derive(Clone, Debug)]
pub struct LayerNet {
    layers: Vec<Layer>,
    activation: Activation,
}

impl LayerNet {
    /// Creates the network x ↦ layer_last(⋯ layer_1(x)).
    ///
    /// # Panics
    ///
    /// When `layers` is empty or the shapes of consecutive layers do not chain;
    /// both are programming errors in a model's assembly.
    pub fn new(layers: Vec<Layer>, activation: Activation) -> Self {
        assert!(!layers.is_empty(), "a layer network needs a layer");
        for pair in layers.windows(2) {
            assert_eq!(pair[0].n_out(), pair[1].n_in(), "layer shapes do not chain");
        }
        Self { layers, activation }
    }

    /// Returns the layers in forward order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
}

impl SlopeNet for LayerNet {
    fn n_in(&self) -> usize {
        self.layers[0].n_in()
    }

    fn n_out(&self) -> usize {
        self.layers[self.layers.len() - 1].n_out()
    }

    fn slope_widths(&self) -> Vec<usize> {
        self.layers
            .iter()
            .map(Layer::n_slopes)
            .filter(|&n| n > 0)
            .collect()
    }

    fn activation(&self) -> Activation {
        self.activation
    }

    fn forward_with_preactivations(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Vec<Mat<f64>>) {
        let mut z = x.to_owned();
        let mut pre = Vec::new();
        for layer in &self.layers {
            let (y, v) = layer.forward(self.activation, &z);
            pre.extend(v);
            z = y;
        }
        (z, pre)
    }

    fn jacobian_for_slopes(&self, slopes: &[Vec<f64>]) -> Mat<f64> {
        let mut groups = slopes.iter();
        let mut prod = Mat::<f64>::identity(self.n_in(), self.n_in());
        for layer in &self.layers {
            let d: &[f64] = if layer.n_slopes() > 0 {
                groups
                    .next()
                    .expect("one slope vector per activation group")
            } else {
                &[]
            };
            prod = layer.jacobian(d) * &prod;
        }
        prod
    }

    fn naive_bound(&self) -> Result<f64> {
        let mut bound = 1.0;
        for layer in &self.layers {
            bound *= layer.naive_bound()?;
        }
        Ok(bound)
    }
}

/// The f64 description of a model: the LDLᵀ form or a layer list.
#[derive(Clone, Debug)]
pub enum Network {
    /// An LDLᵀ network, which also supports the LMI check.
    Ldlt(Effective),
    /// A composition of layers (the baselines).
    Layers(LayerNet),
}

impl Network {
    /// Returns the LDLᵀ effective weights, which only LDLᵀ models have.
    pub fn effective(&self) -> Option<&Effective> {
        match self {
            Network::Ldlt(e) => Some(e),
            Network::Layers(_) => None,
        }
    }

    /// Returns the description as a [`SlopeNet`].
    pub fn as_slope_net(&self) -> &dyn SlopeNet {
        match self {
            Network::Ldlt(e) => e,
            Network::Layers(l) => l,
        }
    }
}

impl SlopeNet for Network {
    fn n_in(&self) -> usize {
        self.as_slope_net().n_in()
    }
    fn n_out(&self) -> usize {
        self.as_slope_net().n_out()
    }
    fn slope_widths(&self) -> Vec<usize> {
        self.as_slope_net().slope_widths()
    }
    fn activation(&self) -> Activation {
        self.as_slope_net().activation()
    }
    fn forward_with_preactivations(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Vec<Mat<f64>>) {
        self.as_slope_net().forward_with_preactivations(x)
    }
    fn jacobian_for_slopes(&self, slopes: &[Vec<f64>]) -> Mat<f64> {
        self.as_slope_net().jacobian_for_slopes(slopes)
    }
    fn naive_bound(&self) -> Result<f64> {
        self.as_slope_net().naive_bound()
    }
}

/// Tape nodes of one [`Layer`], as a model's parameterization records them.
#[derive(Clone, Copy, Debug)]
pub enum LayerVars {
    /// y = W x + b.
    Linear {
        /// Weight (m × n).
        w: Var,
        /// Optional bias (1 × m).
        b: Option<Var>,
    },
    /// y = σ(W x + b).
    Dense {
        /// Weight (m × n).
        w: Var,
        /// Bias (1 × m).
        b: Var,
    },
    /// y = s·x + U σ(W x + b) + c.
    Block {
        /// Adds the identity skip connection.
        skip: bool,
        /// Inner weight W (m × n).
        w_in: Var,
        /// Inner bias (1 × m), or none.
        b_in: Option<Var>,
        /// Outer weight U (n_out × m).
        w_out: Var,
        /// Outer bias, or none.
        b_out: Option<Var>,
    },
}

impl LayerVars {
    /// Records the layer on a batch `x` (rows are samples).
    pub fn forward(&self, t: &mut Tape, act: Activation, x: Var) -> Var {
        match *self {
            LayerVars::Linear { w, b } => affine_var(t, x, w, b),
            LayerVars::Dense { w, b } => {
                let v = affine_var(t, x, w, Some(b));
                act.apply(t, v)
            }
            LayerVars::Block {
                skip,
                w_in,
                b_in,
                w_out,
                b_out,
            } => {
                let v = affine_var(t, x, w_in, b_in);
                let z = act.apply(t, v);
                let y = affine_var(t, z, w_out, b_out);
                if skip { t.add(y, x) } else { y }
            }
        }
    }

    /// Copies the recorded values into an f64 [`Layer`].
    pub fn to_layer(&self, t: &Tape) -> Layer {
        let value = |v: Var| t.value(v).to_owned();
        match *self {
            LayerVars::Linear { w, b } => Layer::Linear {
                w: value(w),
                b: b.map(value),
            },
            LayerVars::Dense { w, b } => Layer::Dense {
                w: value(w),
                b: value(b),
            },
            LayerVars::Block {
                skip,
                w_in,
                b_in,
                w_out,
                b_out,
            } => Layer::Block {
                skip,
                w_in: value(w_in),
                b_in: b_in.map(value),
                w_out: value(w_out),
                b_out: b_out.map(value),
            },
        }
    }
}

/// Records a list of layers on a batch `x`.
pub fn forward_layers(t: &mut Tape, act: Activation, layers: &[LayerVars], x: Var) -> Var {
    layers.iter().fold(x, |z, layer| layer.forward(t, act, z))
}

/// Returns an error unless every entry of every layer is finite.
///
/// # Errors
///
/// [`Error::NonFinite`] naming the first non-finite layer.
pub fn check_finite(net: &LayerNet) -> Result<()> {
    for (i, layer) in net.layers.iter().enumerate() {
        let finite = match layer {
            Layer::Linear { w, b } => {
                w.is_all_finite() && b.as_ref().is_none_or(|b| b.is_all_finite())
            }
            Layer::Dense { w, b } => w.is_all_finite() && b.is_all_finite(),
            Layer::Block {
                w_in,
                b_in,
                w_out,
                b_out,
                ..
            } => {
                w_in.is_all_finite()
                    && w_out.is_all_finite()
                    && b_in.as_ref().is_none_or(|b| b.is_all_finite())
                    && b_out.as_ref().is_none_or(|b| b.is_all_finite())
            }
        };
        if !finite {
            return Err(Error::NonFinite {
                what: format!("the effective weights of layer {}", i + 1),
                fix: "lower the learning rate (--lr) or restart from a saved model".into(),
            });
        }
    }
    Ok(())
}

/// Returns x·Wᵀ + b for a batch x.
fn affine(x: &Mat<f64>, w: &Mat<f64>, b: Option<&Mat<f64>>) -> Mat<f64> {
    let mut y = x * w.transpose();
    if let Some(b) = b {
        for i in 0..y.nrows() {
            for j in 0..y.ncols() {
                y[(i, j)] += b[(0, j)];
            }
        }
    }
    y
}

fn affine_var(t: &mut Tape, x: Var, w: Var, b: Option<Var>) -> Var {
    let y = t.matmul(x, Trans::No, w, Trans::Yes);
    match b {
        Some(b) => t.add_bias(y, b),
        None => y,
    }
}

fn map(act: Activation, v: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(v.nrows(), v.ncols(), |i, j| act.eval(v[(i, j)]))
}

/// Returns diag(d)·W.
fn scale_rows(w: &Mat<f64>, d: &[f64]) -> Mat<f64> {
    Mat::from_fn(w.nrows(), w.ncols(), |i, j| d[i] * w[(i, j)])
}
