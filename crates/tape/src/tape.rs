//! The define-by-run tape: leaves, node storage and the reverse sweep.

use std::fmt;
use std::mem::MaybeUninit;

use faer::dyn_stack::{MemStack, StackReq};
use faer::{Mat, MatRef};

use crate::grads::Grads;
use crate::ops::{self, Op};
use crate::pool::MatPool;
use crate::store::{ParamId, ParamStore};

/// Handle to a node of a [`Tape`]: the node's index in recording order.
///
/// A `Var` is only meaningful for the tape that created it and only until that
/// tape's next [`Tape::reset`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(pub(crate) usize);

impl Var {
    /// Returns the node index, the value that [`Error`](crate::Error) variants
    /// report in their `node` field.
    pub fn index(self) -> usize {
        self.0
    }
}

/// One recorded operation: its value, how it was computed and whether a
/// gradient has to flow through it.
pub(crate) struct Node {
    pub(crate) value: Mat<f64>,
    pub(crate) op: Op,
    pub(crate) needs_grad: bool,
}

/// Growable byte buffer handed to faer kernels that need workspace.
#[derive(Default)]
pub(crate) struct Scratch(Vec<MaybeUninit<u8>>);

impl Scratch {
    /// Returns a stack with room for `req`, growing the buffer when needed.
    pub(crate) fn stack(&mut self, req: StackReq) -> &mut MemStack {
        let bytes = req.unaligned_bytes_required();
        if self.0.len() < bytes {
            self.0.resize(bytes, MaybeUninit::uninit());
        }
        MemStack::new(&mut self.0)
    }
}

/// Define-by-run reverse-mode tape over dense `f64` matrices.
///
/// Every operation method evaluates its result immediately, records it as a new
/// node and returns the node's [`Var`]. [`Tape::backward`] then sweeps the nodes
/// in reverse and returns the gradients of the parameter leaves. A training loop
/// calls [`Tape::reset`] between steps, which keeps the matrix buffers for reuse.
///
/// All kernels run single-threaded (`faer::Par::Seq`), so the same inputs give
/// the same bits on the same build and machine.
pub struct Tape {
    pub(crate) nodes: Vec<Node>,
    pub(crate) pool: MatPool,
    pub(crate) scratch: Scratch,
    adjoint_slots: Vec<Option<Mat<f64>>>,
    requires_grad: bool,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Tape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tape")
            .field("nodes", &self.nodes.len())
            .field("requires_grad", &self.requires_grad)
            .finish()
    }
}

impl Tape {
    /// Creates an empty tape with gradient recording on.
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            pool: MatPool::default(),
            scratch: Scratch::default(),
            adjoint_slots: Vec::new(),
            requires_grad: true,
        }
    }

    /// Removes every node and keeps the gradient-recording setting.
    ///
    /// Node buffers go back to an internal pool, so a rerun of the same graph
    /// reuses them instead of allocating. Every `Var` of the tape becomes invalid.
    pub fn reset(&mut self) {
        for node in self.nodes.drain(..) {
            self.pool.put(node.value);
            ops::release(node.op, &mut self.pool);
        }
        self.pool.next_generation();
    }

    /// Turns gradient recording on (the default) or off.
    ///
    /// Nodes recorded while it is off keep no backward data and pass no gradient,
    /// so a `backward` through them returns no gradient for the parameters behind
    /// them. Forward values are identical either way.
    pub fn set_requires_grad(&mut self, on: bool) {
        self.requires_grad = on;
    }

    /// Returns whether gradient recording is on.
    pub fn requires_grad(&self) -> bool {
        self.requires_grad
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Returns whether no node has been recorded since the last reset.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Records a copy of parameter `id` of `store` as a leaf whose gradient
    /// [`Tape::backward`] reports in [`Grads`].
    ///
    /// # Panics
    /// When `id` does not belong to `store`.
    pub fn param(&mut self, store: &ParamStore, id: ParamId) -> Var {
        let value = self.pool.take_copy(store.get(id).as_ref());
        let needs_grad = self.requires_grad;
        self.push_node(value, Op::Param(id), needs_grad)
    }

    /// Records `value` as a leaf without gradient.
    pub fn constant(&mut self, value: Mat<f64>) -> Var {
        self.push_node(value, Op::Constant, false)
    }

    /// Records the 1 × 1 constant `value`.
    pub fn scalar(&mut self, value: f64) -> Var {
        let mut m = self.pool.take(1, 1);
        m[(0, 0)] = value;
        self.constant(m)
    }

    /// Returns the value of `v`.
    ///
    /// # Panics
    /// When `v` does not belong to this tape (index out of range).
    pub fn value(&self, v: Var) -> MatRef<'_, f64> {
        self.nodes[v.0].value.as_ref()
    }

    /// Returns the value of the 1 × 1 node `v`.
    ///
    /// # Panics
    /// When `v` is not 1 × 1.
    #[track_caller]
    pub fn scalar_value(&self, v: Var) -> f64 {
        let m = &self.nodes[v.0].value;
        assert!(
            m.nrows() == 1 && m.ncols() == 1,
            "scalar_value: node {} is {}×{}, expected 1×1",
            v.0,
            m.nrows(),
            m.ncols()
        );
        m[(0, 0)]
    }

    /// Returns `(rows, cols)` of `v`.
    pub fn shape(&self, v: Var) -> (usize, usize) {
        let m = &self.nodes[v.0].value;
        (m.nrows(), m.ncols())
    }

    /// Returns the stored value of `v` (crate-internal shorthand).
    pub(crate) fn val(&self, v: Var) -> &Mat<f64> {
        &self.nodes[v.0].value
    }

    /// Returns whether a node computed from `inputs` has to pass gradients.
    pub(crate) fn needs_grad(&self, inputs: &[Var]) -> bool {
        self.requires_grad && inputs.iter().any(|v| self.nodes[v.0].needs_grad)
    }

    /// Records a node computed from `inputs`. A node that needs no gradient is
    /// stored as a constant so that its backward data is dropped at once.
    pub(crate) fn push(&mut self, value: Mat<f64>, op: Op, inputs: &[Var]) -> Var {
        let needs_grad = self.needs_grad(inputs);
        if needs_grad {
            self.push_node(value, op, true)
        } else {
            ops::release(op, &mut self.pool);
            self.push_node(value, Op::Constant, false)
        }
    }

    fn push_node(&mut self, value: Mat<f64>, op: Op, needs_grad: bool) -> Var {
        self.nodes.push(Node {
            value,
            op,
            needs_grad,
        });
        Var(self.nodes.len() - 1)
    }

    /// Returns the node list, the buffer pool and the scratch space as disjoint
    /// borrows, so that an operation can read inputs while it allocates.
    pub(crate) fn parts(&mut self) -> (&[Node], &mut MatPool, &mut Scratch) {
        (&self.nodes, &mut self.pool, &mut self.scratch)
    }

    /// Computes the gradient of the 1 × 1 node `loss` with respect to every
    /// parameter leaf recorded before it.
    ///
    /// Adjoints accumulate: a node used by several operations, and a parameter
    /// recorded by several `param` calls, receive the sum of all paths. Parameters
    /// that `loss` does not depend on have no entry in the result. The tape stays
    /// intact, so `backward` may be called again.
    ///
    /// # Panics
    /// When `loss` is not 1 × 1.
    #[track_caller]
    pub fn backward(&mut self, loss: Var) -> Grads {
        let (rows, cols) = self.shape(loss);
        assert!(
            rows == 1 && cols == 1,
            "backward: the loss node {} is {rows}×{cols}, expected 1×1",
            loss.0
        );
        let mut grads = Grads::default();
        if !self.nodes[loss.0].needs_grad {
            return grads;
        }
        let count = loss.0 + 1;
        let mut slots = std::mem::take(&mut self.adjoint_slots);
        slots.clear();
        slots.resize_with(count, || None);
        let mut sweep = Sweep {
            nodes: &self.nodes[..count],
            adjoints: slots,
            pool: &mut self.pool,
            scratch: &mut self.scratch,
        };
        let mut seed = sweep.pool.take(1, 1);
        seed[(0, 0)] = 1.0;
        sweep.adjoints[loss.0] = Some(seed);
        for i in (0..count).rev() {
            sweep.visit(i, &mut grads);
        }
        self.adjoint_slots = sweep.adjoints;
        grads
    }

    /// Returns the gradient buffers of `grads` to the tape's pool so that the
    /// next backward pass can reuse them.
    pub fn recycle(&mut self, grads: Grads) {
        for m in grads.into_mats() {
            self.pool.put(m);
        }
    }
}

/// State of one reverse sweep: the adjoint of every node up to the loss.
pub(crate) struct Sweep<'a> {
    nodes: &'a [Node],
    adjoints: Vec<Option<Mat<f64>>>,
    pub(crate) pool: &'a mut MatPool,
    pub(crate) scratch: &'a mut Scratch,
}

impl<'a> Sweep<'a> {
    /// Propagates the adjoint of node `i` to its inputs, or into `grads` when the
    /// node is a parameter leaf.
    fn visit(&mut self, i: usize, grads: &mut Grads) {
        let Some(grad) = self.adjoints[i].take() else {
            return;
        };
        let nodes = self.nodes;
        match &nodes[i].op {
            Op::Param(id) => grads.accumulate(*id, grad, self.pool),
            Op::Constant => self.pool.put(grad),
            op => {
                ops::backward(op, i, &grad, self);
                self.pool.put(grad);
            }
        }
    }

    /// Returns the forward value of node `i`.
    pub(crate) fn value(&self, i: usize) -> &'a Mat<f64> {
        let nodes = self.nodes;
        &nodes[i].value
    }

    /// Returns whether node `i` takes a gradient.
    pub(crate) fn needs(&self, i: usize) -> bool {
        self.nodes[i].needs_grad
    }

    /// Returns the adjoint buffer of node `i`, zero-filled on first use, or `None`
    /// when the node takes no gradient.
    pub(crate) fn adjoint(&mut self, i: usize) -> Option<&mut Mat<f64>> {
        if !self.nodes[i].needs_grad {
            return None;
        }
        let slot = &mut self.adjoints[i];
        if slot.is_none() {
            let v = &self.nodes[i].value;
            *slot = Some(self.pool.take_zeroed(v.nrows(), v.ncols()));
        }
        slot.as_mut()
    }

    /// Adds `alpha · src` to the adjoint of node `i` (if it takes a gradient),
    /// writing it directly into a fresh buffer when the adjoint is still empty.
    pub(crate) fn add_to_adjoint(&mut self, i: usize, alpha: f64, src: MatRef<'_, f64>) {
        if !self.nodes[i].needs_grad {
            return;
        }
        match &mut self.adjoints[i] {
            Some(adjoint) => ops::kernels::add_scaled_ref(adjoint, alpha, src),
            slot @ None => {
                let mut m = self.pool.take_copy(src);
                if alpha != 1.0 {
                    m.for_each_mut(|x| *x *= alpha);
                }
                *slot = Some(m);
            }
        }
    }

    /// Adds `contribution` to the adjoint of node `i`, moving the buffer in when
    /// the adjoint is still empty. The buffer is recycled in every other case.
    pub(crate) fn accumulate(&mut self, i: usize, contribution: Mat<f64>) {
        if !self.nodes[i].needs_grad {
            self.pool.put(contribution);
            return;
        }
        match &mut self.adjoints[i] {
            Some(adjoint) => {
                ops::kernels::add_assign(adjoint, &contribution);
                self.pool.put(contribution);
            }
            slot @ None => *slot = Some(contribution),
        }
    }
}
