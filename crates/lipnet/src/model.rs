//! Model ids, validated architectures and the [`LipModel`] trait.

use crate::activation::Activation;
use crate::baselines::BaselineNet;
use crate::effective::Effective;
use crate::error::{Error, Result};
use crate::init::{Init, ParamSource};
use crate::ldlt::{LdltResidual, LdltSequential, Variant};
use crate::network::Network;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use tape::{ParamId, ParamStore, Tape, Trans, Var};

/// The model families this build can construct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelId {
    /// Certified residual LDLᵀ network (the default).
    #[serde(rename = "ldlt-res")]
    LdltRes,
    /// Certified sequential LDLᵀ network.
    #[serde(rename = "ldlt-seq")]
    LdltSeq,
    /// Residual network with the published code's map; not a valid certificate.
    #[serde(rename = "ldlt-res-ref")]
    LdltResRef,
    /// Sequential network with the published code's map; unsafe for L < 1.
    #[serde(rename = "ldlt-seq-ref")]
    LdltSeqRef,
    /// SLL residual layers with a lift and an AOL head.
    #[serde(rename = "sll-res")]
    SllRes,
    /// SLL sequential dense layers with an AOL head.
    #[serde(rename = "sll-seq")]
    SllSeq,
    /// AOL dense layers and an AOL head.
    #[serde(rename = "aol")]
    Aol,
    /// Sandwich (LBDN) layers and the Sandwich head.
    #[serde(rename = "sandwich")]
    Sandwich,
    /// Convex potential layers with a lift and an AOL head.
    #[serde(rename = "cpl")]
    Cpl,
    /// Spectrally normalized dense layers (exact ‖W‖₂).
    #[serde(rename = "specnorm")]
    SpecNorm,
    /// Unconstrained MLP with the bound L·∏‖W_k‖₂.
    #[serde(rename = "mlp")]
    Mlp,
}

impl ModelId {
    /// Every id, in the order help texts list them.
    pub const ALL: [ModelId; 11] = [
        ModelId::LdltRes,
        ModelId::LdltSeq,
        ModelId::LdltResRef,
        ModelId::LdltSeqRef,
        ModelId::SllRes,
        ModelId::SllSeq,
        ModelId::Aol,
        ModelId::Sandwich,
        ModelId::Cpl,
        ModelId::SpecNorm,
        ModelId::Mlp,
    ];

    /// Returns the id as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelId::LdltRes => "ldlt-res",
            ModelId::LdltSeq => "ldlt-seq",
            ModelId::LdltResRef => "ldlt-res-ref",
            ModelId::LdltSeqRef => "ldlt-seq-ref",
            ModelId::SllRes => "sll-res",
            ModelId::SllSeq => "sll-seq",
            ModelId::Aol => "aol",
            ModelId::Sandwich => "sandwich",
            ModelId::Cpl => "cpl",
            ModelId::SpecNorm => "specnorm",
            ModelId::Mlp => "mlp",
        }
    }

    /// Parses a command-line id.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownModel`] listing the known ids.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|id| id.name() == name)
            .ok_or_else(|| Error::UnknownModel {
                id: name.to_string(),
                known: Self::ALL.map(|id| id.name()).join(", "),
            })
    }

    /// Returns the raw-to-effective map this id uses; every baseline is
    /// [`Variant::Certified`].
    pub fn variant(self) -> Variant {
        match self {
            ModelId::LdltResRef | ModelId::LdltSeqRef => Variant::ReferenceParity,
            _ => Variant::Certified,
        }
    }

    /// Returns true for residual LDLᵀ architectures (with a skip map A).
    pub fn is_residual(self) -> bool {
        matches!(self, ModelId::LdltRes | ModelId::LdltResRef)
    }

    /// Returns true for the baseline families of [`crate::baselines`].
    pub fn is_baseline(self) -> bool {
        !matches!(
            self,
            ModelId::LdltRes | ModelId::LdltSeq | ModelId::LdltResRef | ModelId::LdltSeqRef
        )
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Unchecked architecture settings, as read from flags or a model file.
///
/// Call [`ArchParams::check`] to obtain an [`Arch`]; everything downstream
/// takes the checked type and never re-validates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchParams {
    /// Model family.
    pub model: ModelId,
    /// Input dimension.
    pub n_in: usize,
    /// Output dimension (number of classes).
    pub n_out: usize,
    /// Hidden widths n_1..n_K.
    pub widths: Vec<usize>,
    /// The Lipschitz bound L > 0 the network is built to satisfy (ℓ₂ to ℓ₂).
    pub lip: f64,
    /// Hidden activation.
    pub activation: Activation,
    /// Weight initialization.
    pub init: Init,
    /// Fix every α at 1 instead of training it.
    pub freeze_alpha: bool,
}

impl ArchParams {
    /// Creates settings with ReLU, the reference initialization and trained α.
    pub fn new(model: ModelId, n_in: usize, n_out: usize, widths: Vec<usize>, lip: f64) -> Self {
        Self {
            model,
            n_in,
            n_out,
            widths,
            lip,
            activation: Activation::Relu,
            init: Init::Reference,
            freeze_alpha: false,
        }
    }

    /// Validates the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for L ≤ 0 or non-finite, a zero dimension or
    /// width, or a residual or baseline network without hidden layers.
    pub fn check(self) -> Result<Arch> {
        check_lip(self.lip)?;
        if self.n_in == 0 || self.n_out == 0 {
            return Err(Error::invalid(
                "n_in × n_out",
                format!("{} × {}", self.n_in, self.n_out),
                "the data must have at least one feature and one class",
            ));
        }
        if let Some(k) = self.widths.iter().position(|&w| w == 0) {
            return Err(Error::invalid(
                "widths",
                format_widths(&self.widths),
                format!("hidden width {} is 0; every width must be ≥ 1", k + 1),
            ));
        }
        if let Some(&w) = self.widths.iter().find(|&&w| w > MAX_WIDTH) {
            return Err(Error::invalid(
                "widths",
                format_widths(&self.widths),
                format!(
                    "width {w} exceeds {MAX_WIDTH}: each layer factors w × w matrices (8·w² bytes each)"
                ),
            ));
        }
        if self.model.is_residual() && self.widths.is_empty() {
            return Err(Error::invalid(
                "widths",
                "(none)",
                "a residual network needs at least one hidden layer, for example --widths 64,64",
            ));
        }
        if self.model.is_baseline() && self.widths.is_empty() {
            return Err(Error::invalid(
                "widths",
                "(none)",
                "a baseline network needs at least one hidden layer, for example --widths 64,64",
            ));
        }
        Ok(Arch(self))
    }
}

/// Largest hidden width accepted: one 8192 × 8192 f64 matrix takes 512 MiB,
/// and each layer keeps several.
pub const MAX_WIDTH: usize = 8192;

/// Checks that the Lipschitz bound L is finite and > 0.
///
/// # Errors
///
/// [`Error::InvalidParameter`] naming the value.
pub fn check_lip(lip: f64) -> Result<()> {
    if lip.is_finite() && lip > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "lip",
            lip,
            "the Lipschitz bound L must be a finite number > 0, for example --lip 1",
        ))
    }
}

/// Formats widths as `64,64,64`.
pub fn format_widths(widths: &[usize]) -> String {
    widths
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Validated architecture settings; see [`ArchParams::check`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arch(ArchParams);

impl Arch {
    /// Returns the unchecked settings (for saving).
    pub fn params(&self) -> &ArchParams {
        &self.0
    }
    /// Returns the model family.
    pub fn model(&self) -> ModelId {
        self.0.model
    }
    /// Returns n_in.
    pub fn n_in(&self) -> usize {
        self.0.n_in
    }
    /// Returns n_out.
    pub fn n_out(&self) -> usize {
        self.0.n_out
    }
    /// Returns the hidden widths.
    pub fn widths(&self) -> &[usize] {
        &self.0.widths
    }
    /// Returns L.
    pub fn lip(&self) -> f64 {
        self.0.lip
    }
    /// Returns the activation.
    pub fn activation(&self) -> Activation {
        self.0.activation
    }
    /// Returns true when every α is fixed at 1.
    pub fn freeze_alpha(&self) -> bool {
        self.0.freeze_alpha
    }
    /// Returns [n_in, n_1, …, n_K, n_out].
    pub fn dims(&self) -> Vec<usize> {
        let mut d = vec![self.0.n_in];
        d.extend(&self.0.widths);
        d.push(self.0.n_out);
        d
    }
}

/// Tape nodes of the effective weights; see [`Effective`] for their meaning.
#[derive(Clone, Debug)]
pub struct EffectiveVars {
    /// Skip map A, residual networks only.
    pub a: Option<Var>,
    /// C_1..C_K.
    pub c: Vec<Var>,
    /// b_1..b_K (1 × n_k rows).
    pub hidden_bias: Vec<Var>,
    /// Output weight B.
    pub b: Var,
    /// Output bias (1 × n_out).
    pub out_bias: Var,
}

/// A network with a Lipschitz certificate (or, for reference variants, a claim).
pub trait LipModel: Send + Sync {
    /// Returns the architecture.
    fn arch(&self) -> &Arch;

    /// Returns the ids of all trainable parameters.
    fn params(&self) -> &[ParamId];

    /// Records the raw-to-effective map of an LDLᵀ network on the tape.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for models without the LDLᵀ form (the default).
    fn parameterize(&self, _t: &mut Tape, _s: &ParamStore) -> Result<EffectiveVars> {
        Err(Error::Unsupported {
            what: "the LDLᵀ form",
            model: self.arch().model().name().into(),
            fix: "use LipModel::network, which every model provides",
        })
    }

    /// Returns the Lipschitz bound the construction guarantees (ℓ₂ to ℓ₂).
    /// For reference-parity variants this is only the claimed bound.
    fn lip_bound(&self, _s: &ParamStore) -> Result<f64> {
        Ok(self.arch().lip())
    }

    /// Returns true when [`LipModel::lip_bound`] is proved by the construction.
    fn is_certified(&self) -> bool {
        self.arch().model().variant() == Variant::Certified
    }

    /// Records the forward pass of a batch `x` (rows are samples) on the tape.
    fn forward(&self, t: &mut Tape, s: &ParamStore, x: Var) -> Result<Var> {
        let ev = self.parameterize(t, s)?;
        Ok(forward_effective(t, self.arch().activation(), &ev, x))
    }

    /// Computes the f64 description the verifiers read: the LDLᵀ effective
    /// weights by default, a layer list for the baselines.
    fn network(&self, s: &ParamStore) -> Result<Network> {
        Ok(Network::Ldlt(self.effective(s)?))
    }

    /// Computes the LDLᵀ effective weights in f64 (LDLᵀ models only).
    fn effective(&self, s: &ParamStore) -> Result<Effective> {
        let mut t = Tape::new();
        t.set_requires_grad(false);
        let ev = self.parameterize(&mut t, s)?;
        Ok(Effective {
            a: ev.a.map(|a| t.value(a).to_owned()),
            c: ev.c.iter().map(|&c| t.value(c).to_owned()).collect(),
            hidden_bias: ev
                .hidden_bias
                .iter()
                .map(|&b| t.value(b).to_owned())
                .collect(),
            b: t.value(ev.b).to_owned(),
            out_bias: t.value(ev.out_bias).to_owned(),
            activation: self.arch().activation(),
        })
    }
}

/// Records z_k = σ(z_{k−1}C_kᵀ + b_k), y = xAᵀ + z_KBᵀ + b_out for a batch.
pub fn forward_effective(t: &mut Tape, act: Activation, ev: &EffectiveVars, x: Var) -> Var {
    let mut z = x;
    for (&c, &bias) in ev.c.iter().zip(&ev.hidden_bias) {
        let v = t.matmul(z, Trans::No, c, Trans::Yes);
        let v = t.add_bias(v, bias);
        z = act.apply(t, v);
    }

    let mut y = t.matmul(z, Trans::No, ev.b, Trans::Yes);
    if let Some(a) = ev.a {
        let skip = t.matmul(x, Trans::No, a, Trans::Yes);
        y = t.add(y, skip);
    }
    t.add_bias(y, ev.out_bias)
}

impl LipModel for LdltSequential {
    fn arch(&self) -> &Arch {
        LdltSequential::arch(self)
    }
    fn params(&self) -> &[ParamId] {
        LdltSequential::params(self)
    }
    fn parameterize(&self, t: &mut Tape, s: &ParamStore) -> Result<EffectiveVars> {
        LdltSequential::parameterize(self, t, s)
    }
}

impl LipModel for LdltResidual {
    fn arch(&self) -> &Arch {
        LdltResidual::arch(self)
    }
    fn params(&self) -> &[ParamId] {
        LdltResidual::params(self)
    }
    fn parameterize(&self, t: &mut Tape, s: &ParamStore) -> Result<EffectiveVars> {
        LdltResidual::parameterize(self, t, s)
    }
}

/// Creates a model with freshly initialized parameters in `store`.
///
/// # Errors
///
/// Fails when a parameter name is already in the store.
pub fn build(
    arch: &Arch,
    store: &mut ParamStore,
    rng: &mut ChaCha8Rng,
) -> Result<Box<dyn LipModel>> {
    let init = arch.params().init;
    make(arch, store, ParamSource::Fresh(rng, init))
}

/// Attaches a model to parameters already in `store` (a loaded model).
///
/// # Errors
///
/// [`Error::MissingParameter`] or [`Error::Shape`] when the store does not
/// match the architecture.
pub fn attach(arch: &Arch, store: &mut ParamStore) -> Result<Box<dyn LipModel>> {
    make(arch, store, ParamSource::Existing)
}

fn make(arch: &Arch, store: &mut ParamStore, source: ParamSource<'_>) -> Result<Box<dyn LipModel>> {
    let variant = arch.model().variant();
    if arch.model().is_baseline() {
        Ok(Box::new(BaselineNet::new(arch, store, source)?))
    } else if arch.model().is_residual() {
        Ok(Box::new(LdltResidual::new(arch, variant, store, source)?))
    } else {
        Ok(Box::new(LdltSequential::new(arch, variant, store, source)?))
    }
}
