//! Tabular baseline networks: layer stacks of one family with a lift and a head.

use super::{Aol, BaselineLayer, Cpl, LayerKind, Plain, Sandwich, SllDense, SllResidual, SpecNorm};
use crate::error::{Error, Result};
use crate::init::ParamSource;
use crate::model::{Arch, LipModel, ModelId};
use crate::network::{LayerNet, LayerVars, Network, SlopeNet, check_finite, forward_layers};
use faer::Mat;
use tape::{ParamId, ParamStore, Tape, Var};

/// The zero-padding lift ℝⁿ → ℝʷ (w ≥ n), x ↦ (x, 0): an isometry without parameters.
#[derive(Clone, Debug)]
pub struct ZeroPad {
    n: usize,
    w: usize,
}

impl ZeroPad {
    /// Creates the lift from ℝⁿ to ℝʷ.
    ///
    /// # Panics
    ///
    /// When w < n.
    pub fn new(n: usize, w: usize) -> Self {
        assert!(w >= n, "zero padding cannot shrink {n} to {w}");
        Self { n, w }
    }
}

impl BaselineLayer for ZeroPad {
    fn record(&self, t: &mut Tape, _s: &ParamStore) -> Result<LayerVars> {
        let pad = Mat::from_fn(self.w, self.n, |i, j| if i == j { 1.0 } else { 0.0 });
        Ok(LayerVars::Linear {
            w: t.constant(pad),
            b: None,
        })
    }

    fn params(&self) -> Vec<ParamId> {
        Vec::new()
    }
}

/// A baseline network: the layers of one family, in forward order, with the
/// head last.
#[derive(Debug)]
pub struct BaselineNet {
    arch: Arch,
    layers: Vec<Box<dyn BaselineLayer>>,
    ids: Vec<ParamId>,
}

impl BaselineNet {
    /// Creates (or, for [`ParamSource::Existing`], finds) the parameters of
    /// the tabular network for `arch` (see [`crate::baselines`] for the layout).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for an LDLᵀ id, or a parameter that is missing,
    /// misshapen or already in the store.
    pub fn new(arch: &Arch, store: &mut ParamStore, mut source: ParamSource<'_>) -> Result<Self> {
        let layers = match arch.model() {
            ModelId::SllRes | ModelId::Cpl => residual_stack(arch, store, &mut source)?,
            ModelId::Sandwich
            | ModelId::SllSeq
            | ModelId::Aol
            | ModelId::SpecNorm
            | ModelId::Mlp => dense_stack(arch, store, &mut source)?,
            other => {
                return Err(Error::Unsupported {
                    what: "a baseline network",
                    model: other.name().into(),
                    fix: "build LDLᵀ models with lipnet::model::build",
                });
            }
        };
        let ids = layers.iter().flat_map(|l| l.params()).collect();
        Ok(Self {
            arch: arch.clone(),
            layers,
            ids,
        })
    }

    /// Records every layer on the tape, with the head output multiplied by L.
    ///
    /// # Errors
    ///
    /// Decomposition failures on non-finite parameters.
    pub fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<Vec<LayerVars>> {
        let mut vars = self
            .layers
            .iter()
            .map(|l| l.record(t, s))
            .collect::<Result<Vec<_>>>()?;

        let lip = self.arch.lip();
        if lip != 1.0 {
            let head = vars.last_mut().expect("a baseline network has a head");
            *head = scale_linear(t, *head, lip);
        }
        Ok(vars)
    }
}

/// Returns the linear layer `head` with weight and bias multiplied by `lip`.
fn scale_linear(t: &mut Tape, head: LayerVars, lip: f64) -> LayerVars {
    let LayerVars::Linear { w, b } = head else {
        unreachable!("every baseline head is linear");
    };
    LayerVars::Linear {
        w: t.scale_const(w, lip),
        b: b.map(|b| t.scale_const(b, lip)),
    }
}

impl LipModel for BaselineNet {
    fn arch(&self) -> &Arch {
        &self.arch
    }

    fn params(&self) -> &[ParamId] {
        &self.ids
    }

    fn forward(&self, t: &mut Tape, s: &ParamStore, x: Var) -> Result<Var> {
        let vars = self.record(t, s)?;
        Ok(forward_layers(t, self.arch.activation(), &vars, x))
    }

    fn network(&self, s: &ParamStore) -> Result<Network> {
        let mut t = Tape::new();
        t.set_requires_grad(false);
        let vars = self.record(&mut t, s)?;
        let layers = vars.iter().map(|v| v.to_layer(&t)).collect();
        let net = LayerNet::new(layers, self.arch.activation());
        check_finite(&net)?;
        Ok(Network::Layers(net))
    }

    /// Returns L for the 1-Lipschitz families and L·∏‖W_k‖₂ for `mlp`.
    fn lip_bound(&self, s: &ParamStore) -> Result<f64> {
        match self.arch.model() {
            ModelId::Mlp => self.network(s)?.naive_bound(),
            _ => Ok(self.arch.lip()),
        }
    }

    fn is_certified(&self) -> bool {
        true
    }
}

fn residual_stack(
    arch: &Arch,
    store: &mut ParamStore,
    source: &mut ParamSource<'_>,
) -> Result<Vec<Box<dyn BaselineLayer>>> {
    let widths = arch.widths();
    let width = widths[0];
    let mut layers: Vec<Box<dyn BaselineLayer>> = Vec::with_capacity(widths.len() + 2);

    if width >= arch.n_in() {
        layers.push(Box::new(ZeroPad::new(arch.n_in(), width)));
    } else {
        let lift = Aol::new(
            store,
            source,
            "lift.",
            arch.n_in(),
            width,
            LayerKind::Linear,
        )?;
        layers.push(Box::new(lift));
    }

    for (k, &inner) in widths.iter().enumerate() {
        let prefix = format!("layer{}.", k + 1);
        let layer: Box<dyn BaselineLayer> = match arch.model() {
            ModelId::Cpl => Box::new(Cpl::new(store, source, &prefix, width, inner)?),
            _ => Box::new(SllResidual::new(store, source, &prefix, width, inner)?),
        };
        layers.push(layer);
    }

    let head = Aol::new(
        store,
        source,
        "head.",
        width,
        arch.n_out(),
        LayerKind::Linear,
    )?;
    layers.push(Box::new(head));
    Ok(layers)
}

fn dense_stack(
    arch: &Arch,
    store: &mut ParamStore,
    source: &mut ParamSource<'_>,
) -> Result<Vec<Box<dyn BaselineLayer>>> {
    let dims = arch.dims();
    let last = dims.len() - 1;
    let mut layers: Vec<Box<dyn BaselineLayer>> = Vec::with_capacity(last);

    for k in 1..=last {
        let (n, m) = (dims[k - 1], dims[k]);
        let (prefix, kind) = if k < last {
            (format!("layer{k}."), LayerKind::Dense)
        } else {
            ("head.".to_string(), LayerKind::Linear)
        };
        layers.push(family_layer(
            arch.model(),
            store,
            source,
            &prefix,
            n,
            m,
            kind,
        )?);
    }
    Ok(layers)
}

/// Creates one dense-stack layer of the family `id`.
fn family_layer(
    id: ModelId,
    store: &mut ParamStore,
    source: &mut ParamSource<'_>,
    prefix: &str,
    n: usize,
    m: usize,
    kind: LayerKind,
) -> Result<Box<dyn BaselineLayer>> {
    Ok(match (id, kind) {
        (ModelId::SllSeq, LayerKind::Dense) => {
            Box::new(SllDense::new(store, source, prefix, n, m)?)
        }
        (ModelId::SllSeq | ModelId::Aol, _) => {
            Box::new(Aol::new(store, source, prefix, n, m, kind)?)
        }
        (ModelId::Sandwich, _) => Box::new(Sandwich::new(store, source, prefix, n, m, kind)?),
        (ModelId::SpecNorm, _) => Box::new(SpecNorm::new(store, source, prefix, n, m, kind)?),
        _ => Box::new(Plain::new(store, source, prefix, n, m, kind)?),
    })
}
