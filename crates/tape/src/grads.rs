//! Parameter gradients returned by a backward pass.

use faer::Mat;

use crate::ops::kernels;
use crate::pool::MatPool;
use crate::store::ParamId;

/// Gradients of a scalar loss with respect to parameters, indexed by [`ParamId`].
///
/// Each gradient has the shape of its parameter. A parameter that the loss does
/// not depend on (or that was never recorded on the tape) has no entry.
#[derive(Clone, Debug, Default)]
pub struct Grads {
    grads: Vec<Option<Mat<f64>>>,
}

impl Grads {
    /// Returns the gradient of parameter `id`, if the loss depends on it.
    pub fn get(&self, id: ParamId) -> Option<&Mat<f64>> {
        self.grads.get(id.0).and_then(Option::as_ref)
    }

    /// Iterates over `(id, gradient)` in increasing id order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &Mat<f64>)> {
        self.grads
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.as_ref().map(|g| (ParamId(i), g)))
    }

    /// Number of parameters with a gradient.
    pub fn len(&self) -> usize {
        self.grads.iter().filter(|g| g.is_some()).count()
    }

    /// Returns whether no parameter has a gradient.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Euclidean norm of all gradient entries taken together.
    pub fn global_norm(&self) -> f64 {
        let mut sum = 0.0;
        for (_, g) in self.iter() {
            for j in 0..g.ncols() {
                sum += g.col_as_slice(j).iter().map(|x| x * x).sum::<f64>();
            }
        }
        sum.sqrt()
    }

    /// Returns whether every gradient entry is finite.
    pub fn all_finite(&self) -> bool {
        self.iter()
            .all(|(_, g)| (0..g.ncols()).all(|j| g.col_as_slice(j).iter().all(|x| x.is_finite())))
    }

    /// Adds `grad` to the gradient of `id`, moving it in when there is none yet.
    pub(crate) fn accumulate(&mut self, id: ParamId, grad: Mat<f64>, pool: &mut MatPool) {
        if self.grads.len() <= id.0 {
            self.grads.resize_with(id.0 + 1, || None);
        }
        match &mut self.grads[id.0] {
            Some(existing) => {
                kernels::add_assign(existing, &grad);
                pool.put(grad);
            }
            slot @ None => *slot = Some(grad),
        }
    }

    /// Consumes the gradients and returns their buffers.
    pub(crate) fn into_mats(self) -> impl Iterator<Item = Mat<f64>> {
        self.grads.into_iter().flatten()
    }
}
