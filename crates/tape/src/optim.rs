//! First-order optimizers with PyTorch's update rules (`torch.optim.Adam` and
//! `torch.optim.SGD`, single-tensor code path).

use faer::Mat;

use crate::grads::Grads;
use crate::store::{ParamId, ParamStore};

/// An optimizer updates the parameters of a store in place from their gradients.
///
/// Parameters without a gradient in `grads` are left unchanged, and their state
/// (moments, step count) does not advance, as in PyTorch.
pub trait Optimizer {
    /// Applies one update to every parameter that has a gradient.
    ///
    /// # Panics
    /// When a gradient's shape differs from its parameter's shape.
    fn step(&mut self, store: &mut ParamStore, grads: &Grads);
    /// Sets the learning rate used by the following steps.
    fn set_lr(&mut self, lr: f64);
    /// Returns the current learning rate.
    fn lr(&self) -> f64;
}

/// Adam hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay rate of the first-moment estimate.
    pub beta1: f64,
    /// Decay rate of the second-moment estimate.
    pub beta2: f64,
    /// Term added to the bias-corrected √v in the denominator.
    pub eps: f64,
    /// L2 penalty: `weight_decay · θ` is added to the gradient (not decoupled).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    /// PyTorch's defaults: lr 1e-3, β = (0.9, 0.999), ε = 1e-8, no weight decay.
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

/// Moment estimates and step count of one parameter.
#[derive(Clone, Debug)]
struct AdamState {
    m: Mat<f64>,
    v: Mat<f64>,
    step: u64,
}

/// Adam (Kingma and Ba, 2015) with bias correction, as in `torch.optim.Adam`.
///
/// Per parameter and step t: g ← g + λθ; m ← lerp(m, g, 1 − β₁);
/// v ← β₂v + (1 − β₂)g²; θ ← θ − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε).
#[derive(Clone, Debug)]
pub struct Adam {
    cfg: AdamConfig,
    state: Vec<Option<AdamState>>,
}

impl Adam {
    /// Creates an optimizer with empty state.
    pub fn new(cfg: AdamConfig) -> Self {
        Self {
            cfg,
            state: Vec::new(),
        }
    }

    /// Returns the hyper-parameters (with the current learning rate).
    pub fn config(&self) -> &AdamConfig {
        &self.cfg
    }

    fn state_for(&mut self, id: ParamId, rows: usize, cols: usize) -> &mut AdamState {
        if self.state.len() <= id.0 {
            self.state.resize_with(id.0 + 1, || None);
        }
        self.state[id.0].get_or_insert_with(|| AdamState {
            m: Mat::zeros(rows, cols),
            v: Mat::zeros(rows, cols),
            step: 0,
        })
    }
}

/// `torch.lerp(start, end, weight)` on CPU: two formulas chosen by the weight so
/// that the endpoints are exact.
fn lerp(start: f64, end: f64, weight: f64) -> f64 {
    if weight < 0.5 {
        start + weight * (end - start)
    } else {
        end - (end - start) * (1.0 - weight)
    }
}

#[track_caller]
fn assert_grad_shape(store: &ParamStore, id: ParamId, grad: &Mat<f64>) {
    let param = store.get(id);
    assert!(
        param.shape() == grad.shape(),
        "optimizer: gradient of {:?} is {}×{} but the parameter is {}×{}",
        store.name(id),
        grad.nrows(),
        grad.ncols(),
        param.nrows(),
        param.ncols()
    );
}

impl Optimizer for Adam {
    fn step(&mut self, store: &mut ParamStore, grads: &Grads) {
        let cfg = self.cfg;
        for (id, grad) in grads.iter() {
            assert_grad_shape(store, id, grad);
            let param = store.get_mut(id);
            let state = self.state_for(id, grad.nrows(), grad.ncols());
            state.step += 1;
            let t = state.step as f64;
            let step_size = cfg.lr / (1.0 - cfg.beta1.powf(t));
            let bias_correction2_sqrt = (1.0 - cfg.beta2.powf(t)).sqrt();
            for j in 0..param.ncols() {
                let p = param.col_as_slice_mut(j);
                let g = grad.col_as_slice(j);
                let m = state.m.col_as_slice_mut(j);
                let v = state.v.col_as_slice_mut(j);
                for i in 0..p.len() {
                    let gi = g[i] + cfg.weight_decay * p[i];
                    m[i] = lerp(m[i], gi, 1.0 - cfg.beta1);
                    v[i] = v[i] * cfg.beta2 + (1.0 - cfg.beta2) * gi * gi;
                    let denom = v[i].sqrt() / bias_correction2_sqrt + cfg.eps;
                    p[i] += -step_size * (m[i] / denom);
                }
            }
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    fn lr(&self) -> f64 {
        self.cfg.lr
    }
}

/// SGD hyper-parameters (no dampening, no Nesterov, no weight decay).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor μ; 0 turns momentum off.
    pub momentum: f64,
}

/// Stochastic gradient descent with heavy-ball momentum, as in `torch.optim.SGD`:
/// buf = g at the first step, then buf ← μ·buf + g; θ ← θ − lr·buf.
#[derive(Clone, Debug)]
pub struct Sgd {
    cfg: SgdConfig,
    buffers: Vec<Option<Mat<f64>>>,
}

impl Sgd {
    /// Creates an optimizer with empty momentum buffers.
    pub fn new(cfg: SgdConfig) -> Self {
        Self {
            cfg,
            buffers: Vec::new(),
        }
    }

    /// Returns the hyper-parameters (with the current learning rate).
    pub fn config(&self) -> &SgdConfig {
        &self.cfg
    }

    /// Updates the momentum buffer of `id` with `grad` and returns it.
    fn momentum_buffer(&mut self, id: ParamId, grad: &Mat<f64>) -> &Mat<f64> {
        if self.buffers.len() <= id.0 {
            self.buffers.resize_with(id.0 + 1, || None);
        }
        let momentum = self.cfg.momentum;
        let slot = &mut self.buffers[id.0];
        match slot {
            Some(buf) => {
                for j in 0..buf.ncols() {
                    let g = grad.col_as_slice(j);
                    for (b, &gi) in buf.col_as_slice_mut(j).iter_mut().zip(g) {
                        *b = *b * momentum + gi;
                    }
                }
            }
            None => *slot = Some(grad.clone()),
        }
        slot.as_ref().expect("the buffer was set above")
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, store: &mut ParamStore, grads: &Grads) {
        let lr = self.cfg.lr;
        for (id, grad) in grads.iter() {
            assert_grad_shape(store, id, grad);
            let direction = if self.cfg.momentum != 0.0 {
                self.momentum_buffer(id, grad)
            } else {
                grad
            };
            let param = store.get_mut(id);
            for j in 0..param.ncols() {
                let d = direction.col_as_slice(j);
                for (p, &di) in param.col_as_slice_mut(j).iter_mut().zip(d) {
                    *p += -lr * di;
                }
            }
        }
    }

    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    fn lr(&self) -> f64 {
        self.cfg.lr
    }
}
