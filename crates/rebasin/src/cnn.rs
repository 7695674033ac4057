//! Built-in forward passes of the VGG-style and ResNet20 presets, and BatchNorm
//! repair.
//!
//! Feature maps are NCHW, row-major. Convolutions use stride 1 and zero padding
//! `k/2` ("same" for odd kernels) except where noted. Norm layers are read from
//! their tensors: with `running_mean`/`running_var` a BatchNorm
//! `y = γ(x − μ)/sqrt(σ² + ε) + β` per channel, without them a LayerNorm over the
//! channels of each position with per-channel γ, β; ε = 1e-5 (PyTorch's default).
//!
//! - VGG-style: the layers of the `vgg` preset in its order; each convolution is
//!   followed by its norms and ReLU. The last feature map is average-pooled to
//!   r = s × s cells, where the first linear layer reads `channels · r` features,
//!   and flattened channel-major (PyTorch's `flatten` of C×H×W). Linear layers
//!   have ReLU between them, none after the last.
//! - ResNet20 (He et al., "Deep Residual Learning", CVPR 2016, CIFAR variant):
//!   `relu(norm1(conv1 x))`; per block `relu(norm2(conv2 relu(norm1(conv1 x))) + sc)`
//!   with `sc` = x, or `shortcut.1(shortcut.0 x)` where the block has one; the first
//!   block of a stage with a shortcut convolution uses stride 2 in `conv1` and the
//!   shortcut. Then a global average pool and `linear`.
//!
//! BatchNorm repair recomputes `running_mean` and the unbiased `running_var`
//! (n − 1, n = samples × positions) of every BatchNorm from whole-split sums of
//! its input, in one pass in which each BatchNorm normalises with the statistics
//! of its minibatch (PyTorch's train mode).
//!
//! ```
//! use faer::Mat;
//! use rebasin::cnn::{Cnn, Image};
//! use rebasin::model::{Model, Tensor};
//!
//! let mut m = Model::default();
//! m.insert("features.0.weight", Tensor::from_f64(vec![2, 1, 3, 3], vec![0.1; 18]));
//! m.insert("classifier.weight", Tensor::from_f64(vec![3, 2], vec![1.0; 6]));
//! let net = Cnn::vgg(&m).unwrap();
//! let x = Mat::<f64>::zeros(4, 64);
//! let logits = net.forward(x.as_ref(), Image { c: 1, h: 8, w: 8 }).unwrap();
//! assert_eq!((logits.nrows(), logits.ncols()), (4, 3));
//! ```

use std::collections::BTreeMap;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::error::{Error, Result};
use crate::model::{Model, Tensor};
use crate::nn::logits_loss_acc;
use crate::presets::resnet_norm;

/// ε of every norm layer.
pub const NORM_EPS: f64 = 1e-5;

/// Rows per minibatch of evaluation passes.
const EVAL_BATCH: usize = 256;

/// Shape of one input image, channels first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    /// Channels.
    pub c: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
}

/// A batch of feature maps, NCHW row-major.
#[derive(Clone, Debug, PartialEq)]
struct Maps {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    data: Vec<f64>,
}

impl Maps {
    fn positions(&self) -> usize {
        self.h * self.w
    }

    /// Value index of (sample i, channel ch, position p).
    fn at(&self, i: usize, ch: usize, p: usize) -> usize {
        (i * self.c + ch) * self.positions() + p
    }
}

/// Network layout read from a model's tensor names.
#[derive(Clone, Debug, PartialEq)]
enum Arch {
    /// Layer prefixes in order, with the norm prefixes after each.
    Vgg(Vec<(String, Vec<String>)>),
    /// Stages of blocks: prefix and whether it has a shortcut convolution.
    ResNet(Vec<Vec<(String, bool)>>),
}

/// Per BatchNorm prefix: the per-channel mean and unbiased variance of its input.
pub type ChannelMoments = BTreeMap<String, (Vec<f64>, Vec<f64>)>;

/// Per-channel whole-split moments of the input of each BatchNorm.
#[derive(Clone, Debug, Default)]
struct Moments {
    /// Prefix → (count, mean, sum of squared deviations) per channel.
    by_norm: BTreeMap<String, (usize, Vec<f64>, Vec<f64>)>,
}

impl Moments {
    /// Merges one batch's per-channel mean and squared deviations (Chan et al.'s
    /// pairwise update).
    fn add(&mut self, prefix: &str, count: usize, mean: &[f64], m2: &[f64]) {
        let c = mean.len();
        let entry = self
            .by_norm
            .entry(prefix.to_string())
            .or_insert_with(|| (0, vec![0.0; c], vec![0.0; c]));
        let (n_a, n_b) = (entry.0 as f64, count as f64);
        let n = n_a + n_b;
        for ch in 0..c {
            let delta = mean[ch] - entry.1[ch];
            entry.1[ch] += delta * n_b / n;
            entry.2[ch] += m2[ch] + delta * delta * n_a * n_b / n;
        }
        entry.0 += count;
    }

    /// Per prefix: mean and unbiased variance (count − 1) per channel.
    fn mean_and_unbiased_var(self) -> ChannelMoments {
        self.by_norm
            .into_iter()
            .map(|(prefix, (count, mean, m2))| {
                let var = m2.iter().map(|s| s / (count - 1).max(1) as f64).collect();
                (prefix, (mean, var))
            })
            .collect()
    }
}

/// Normalisation mode of the BatchNorm layers during a pass.
enum NormMode<'m> {
    /// With the stored running statistics (evaluation), optionally recording
    /// the input moments.
    Running(Option<&'m mut Moments>),
    /// With batch statistics, recording the input moments.
    Batch(&'m mut Moments),
    /// With the stored running statistics, recording each post-ReLU feature map
    /// under the name of the permutation group of its channels.
    Tap(&'m mut Vec<(String, Maps)>),
}

impl NormMode<'_> {
    /// Records `x` as an activation of group `group` when tapping.
    fn tap(&mut self, group: impl Into<String>, x: &Maps) {
        if let NormMode::Tap(taps) = self {
            taps.push((group.into(), x.clone()));
        }
    }
}

/// A VGG-style or ResNet20 network reading its weights from a [`Model`].
#[derive(Clone, Debug)]
pub struct Cnn<'a> {
    model: &'a Model,
    arch: Arch,
}

impl<'a> Cnn<'a> {
    /// Reads the VGG-style layout of the `vgg` preset.
    ///
    /// # Errors
    /// [`Error::NotCnn`] when the model has no convolution first.
    pub fn vgg(model: &'a Model) -> Result<Self> {
        let layers = crate::presets::vgg_layers(model).map_err(|e| Error::NotCnn(e.to_string()))?;
        let names = model.natural_names();
        let arch = layers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let next = layers.get(i + 1).copied();
                let norms = match next {
                    Some(_) => crate::presets::norms_after(model, &names, &layers, p),
                    None => Vec::new(),
                };
                (p.to_string(), norms.iter().map(|s| s.to_string()).collect())
            })
            .collect();
        Ok(Self {
            model,
            arch: Arch::Vgg(arch),
        })
    }

    /// Reads the ResNet20 layout of the `resnet20` preset (any number of stages
    /// and blocks named `layer{s}.{b}`).
    ///
    /// # Errors
    /// [`Error::NotCnn`] when `conv1.weight` or `linear.weight` is missing.
    pub fn resnet(model: &'a Model) -> Result<Self> {
        let stem_norm = format!("{}.weight", resnet_norm(model, "norm1"));
        for name in ["conv1.weight", stem_norm.as_str(), "linear.weight"] {
            if model.get(name).is_none() {
                return Err(Error::NotCnn(format!("the model has no {name}")));
            }
        }
        let mut stages = Vec::new();
        for s in 1.. {
            let blocks: Vec<(String, bool)> = (0..)
                .map(|b| format!("layer{s}.{b}"))
                .take_while(|p| model.get(&format!("{p}.conv1.weight")).is_some())
                .map(|p| {
                    let shortcut = model.get(&format!("{p}.shortcut.0.weight")).is_some();
                    (p, shortcut)
                })
                .collect();
            if blocks.is_empty() {
                break;
            }
            stages.push(blocks);
        }
        Ok(Self {
            model,
            arch: Arch::ResNet(stages),
        })
    }

    /// Returns the logits (n × classes) of the images in the rows of `x`
    /// (n × c·h·w, each row an image in C×H×W order).
    ///
    /// # Errors
    /// [`Error::NotCnn`] when a tensor is missing or a shape does not fit.
    pub fn forward(&self, x: MatRef<'_, f64>, image: Image) -> Result<Mat<f64>> {
        self.pass(x, image, &mut NormMode::Running(None))
    }

    /// Returns, per BatchNorm prefix, the per-channel mean and unbiased variance
    /// (n − 1, n = samples × positions) of its input over the rows of `x`, in
    /// evaluation mode.
    ///
    /// # Errors
    /// As [`Cnn::forward`].
    pub fn batchnorm_input_moments(
        &self,
        x: MatRef<'_, f64>,
        image: Image,
    ) -> Result<ChannelMoments> {
        let mut moments = Moments::default();
        for start in (0..x.nrows()).step_by(EVAL_BATCH) {
            let rows = EVAL_BATCH.min(x.nrows() - start);
            let mut mode = NormMode::Running(Some(&mut moments));
            self.pass(x.subrows(start, rows), image, &mut mode)?;
        }
        Ok(moments.mean_and_unbiased_var())
    }

    /// Returns the post-ReLU activations of the rows of `x`, in evaluation mode,
    /// as (group, samples × channels) pairs where every spatial position of an
    /// image is a sample. Groups are named as in the `vgg` and `resnet20`
    /// presets: `P_i` after layer i of a VGG, and for a ResNet `res_s` after the
    /// stem (s = 1) and after every block of stage s, and `layerS.B.inner`
    /// inside each block. A group that is read at several places appears once
    /// per place.
    ///
    /// # Errors
    /// As [`Cnn::forward`].
    pub fn group_activations(
        &self,
        x: MatRef<'_, f64>,
        image: Image,
    ) -> Result<Vec<(String, Mat<f64>)>> {
        let mut taps = Vec::new();
        self.pass(x, image, &mut NormMode::Tap(&mut taps))?;
        let samples = |m: &Maps| {
            let positions = m.positions();
            Mat::from_fn(m.n * positions, m.c, |row, ch| {
                m.data[m.at(row / positions, ch, row % positions)]
            })
        };
        Ok(taps
            .into_iter()
            .map(|(group, maps)| {
                let mat = samples(&maps);
                (group, mat)
            })
            .collect())
    }

    /// Returns (mean cross-entropy, accuracy in [0, 1]) on the rows of `x`.
    ///
    /// # Errors
    /// As [`Cnn::forward`].
    pub fn loss_acc(&self, x: MatRef<'_, f64>, image: Image, y: &[usize]) -> Result<(f64, f64)> {
        let mut loss = 0.0;
        let mut acc = 0.0;
        for start in (0..x.nrows()).step_by(EVAL_BATCH) {
            let rows = EVAL_BATCH.min(x.nrows() - start);
            let z = self.forward(x.subrows(start, rows), image)?;
            let (l, a) = logits_loss_acc(z.as_ref(), &y[start..start + rows]);
            loss += l * rows as f64;
            acc += a * rows as f64;
        }
        let n = x.nrows().max(1) as f64;
        Ok((loss / n, acc / n))
    }

    fn pass(&self, x: MatRef<'_, f64>, image: Image, mode: &mut NormMode<'_>) -> Result<Mat<f64>> {
        if x.ncols() != image.c * image.h * image.w {
            return Err(Error::NotCnn(format!(
                "the inputs have {} features but images of {}×{}×{} need {}",
                x.ncols(),
                image.c,
                image.h,
                image.w,
                image.c * image.h * image.w
            )));
        }
        let data = (0..x.nrows())
            .flat_map(|i| (0..x.ncols()).map(move |j| x[(i, j)]))
            .collect();
        let maps = Maps {
            n: x.nrows(),
            c: image.c,
            h: image.h,
            w: image.w,
            data,
        };
        let out = match &self.arch {
            Arch::Vgg(layers) => self.vgg_pass(layers, maps, mode)?,
            Arch::ResNet(stages) => self.resnet_pass(stages, maps, mode)?,
        };
        if out.positions() != 1 {
            return Err(Error::NotCnn(
                "the last layer is a convolution; the network must end in a linear layer".into(),
            ));
        }
        Ok(Mat::from_fn(out.n, out.c, |i, j| out.data[i * out.c + j]))
    }

    // NOTE: pooling layers leave no tensors, so this pass applies none between
    // convolutions. Barriers and BatchNorm repair of a VGG trained with
    // max-pooling are therefore not those of the trained network.
    fn vgg_pass(
        &self,
        layers: &[(String, Vec<String>)],
        mut x: Maps,
        mode: &mut NormMode<'_>,
    ) -> Result<Maps> {
        for (i, (p, norms)) in layers.iter().enumerate() {
            let w = self.tensor(&format!("{p}.weight"))?;
            if w.shape.len() == 2 && x.positions() > 1 {
                x = pool_to(&x, w.shape[1])?;
            }
            x = self.layer(p, &x, 1)?;
            for norm in norms {
                self.norm(norm, &mut x, mode)?;
            }
            if i + 1 < layers.len() {
                relu(&mut x);
                mode.tap(format!("P_{i}"), &x);
            }
        }
        Ok(x)
    }

    fn resnet_pass(
        &self,
        stages: &[Vec<(String, bool)>],
        x: Maps,
        mode: &mut NormMode<'_>,
    ) -> Result<Maps> {
        let mut x = self.layer("conv1", &x, 1)?;
        self.norm(&resnet_norm(self.model, "norm1"), &mut x, mode)?;
        relu(&mut x);
        mode.tap("res_1", &x);
        for (s, blocks) in stages.iter().enumerate() {
            for (p, shortcut) in blocks {
                x = self.block(p, *shortcut, &x, mode)?;
                mode.tap(format!("res_{}", s + 1), &x);
            }
        }
        let pooled = pool_to(&x, x.c)?;
        self.layer("linear", &pooled, 1)
    }

    /// Applies one residual block.
    fn block(&self, p: &str, shortcut: bool, x: &Maps, mode: &mut NormMode<'_>) -> Result<Maps> {
        let stride = if shortcut { 2 } else { 1 };
        let mut h = self.layer(&format!("{p}.conv1"), x, stride)?;
        self.norm(
            &resnet_norm(self.model, &format!("{p}.norm1")),
            &mut h,
            mode,
        )?;
        relu(&mut h);
        mode.tap(format!("{p}.inner"), &h);
        let mut h = self.layer(&format!("{p}.conv2"), &h, 1)?;
        self.norm(
            &resnet_norm(self.model, &format!("{p}.norm2")),
            &mut h,
            mode,
        )?;
        let sc = if shortcut {
            let mut s = self.layer(&format!("{p}.shortcut.0"), x, stride)?;
            self.norm(&format!("{p}.shortcut.1"), &mut s, mode)?;
            s
        } else {
            x.clone()
        };
        if sc.data.len() != h.data.len() {
            return Err(Error::NotCnn(format!(
                "block {p} changes the shape of the residual stream but has no shortcut.0 convolution"
            )));
        }
        for (v, s) in h.data.iter_mut().zip(&sc.data) {
            *v = (*v + s).max(0.0);
        }
        Ok(h)
    }

    fn tensor(&self, name: &str) -> Result<&'a Tensor> {
        self.model
            .get(name)
            .filter(|t| t.is_float())
            .ok_or_else(|| Error::NotCnn(format!("the model has no float tensor {name}")))
    }

    /// Applies the convolution or linear layer `p` (with its bias, if any).
    fn layer(&self, p: &str, x: &Maps, stride: usize) -> Result<Maps> {
        let w = self.tensor(&format!("{p}.weight"))?;
        let bias = match self.model.get(&format!("{p}.bias")) {
            Some(b) if b.shape == [w.shape[0]] => Some(b.values.as_slice()),
            Some(_) => {
                return Err(Error::NotCnn(format!(
                    "{p}.bias does not have {} entries",
                    w.shape[0]
                )));
            }
            None => None,
        };
        let x = if w.shape.len() == 2 {
            flatten(x)
        } else {
            x.clone()
        };
        conv2d(p, &x, w, bias, stride)
    }

    /// Applies norm layer `prefix` in place.
    fn norm(&self, prefix: &str, x: &mut Maps, mode: &mut NormMode<'_>) -> Result<()> {
        let gamma = self.channel_tensor(prefix, "weight", x.c)?;
        let beta = self.channel_tensor(prefix, "bias", x.c)?;
        if self.model.get(&format!("{prefix}.running_mean")).is_none() {
            layer_norm(x, gamma, beta);
            return Ok(());
        }
        let (mean, var) = match mode {
            NormMode::Tap(_) => (
                self.channel_tensor(prefix, "running_mean", x.c)?.to_vec(),
                self.channel_tensor(prefix, "running_var", x.c)?.to_vec(),
            ),
            NormMode::Running(record) => {
                if let Some(moments) = record {
                    let (mean, m2) = channel_moments(x);
                    moments.add(prefix, x.n * x.positions(), &mean, &m2);
                }
                (
                    self.channel_tensor(prefix, "running_mean", x.c)?.to_vec(),
                    self.channel_tensor(prefix, "running_var", x.c)?.to_vec(),
                )
            }
            NormMode::Batch(moments) => {
                let (mean, m2) = channel_moments(x);
                let count = x.n * x.positions();
                moments.add(prefix, count, &mean, &m2);
                let var = m2.iter().map(|s| s / count as f64).collect();
                (mean, var)
            }
        };
        batch_norm(x, gamma, beta, &mean, &var);
        Ok(())
    }

    fn channel_tensor(&self, prefix: &str, key: &str, c: usize) -> Result<&'a [f64]> {
        let t = self.tensor(&format!("{prefix}.{key}"))?;
        if t.shape != [c] {
            return Err(Error::NotCnn(format!(
                "{prefix}.{key} has shape {:?} but its input has {c} channels",
                t.shape
            )));
        }
        Ok(&t.values)
    }
}

/// Returns the logits of a VGG-style or ResNet20 model on 16 portable images
/// (values `2u − 1` from SplitMix64 seed 0). The side is 8, or the smallest
/// multiple of the pooled side above 8. Returns `None` when neither forward
/// reads the model or an output is not finite.
pub fn probe_logits(model: &Model) -> Option<Mat<f64>> {
    let resnet = model.get("conv1.weight").is_some() && model.get("linear.weight").is_some();
    let (net, first, side) = if resnet {
        (Cnn::resnet(model).ok()?, "conv1".to_string(), 1)
    } else {
        let layers = crate::presets::vgg_layers(model).ok()?;
        let shape = |p: &str| model.get(&format!("{p}.weight")).map(|t| t.shape.clone());
        let last_conv = layers
            .iter()
            .rev()
            .find(|p| shape(p).is_some_and(|s| s.len() == 4))?;
        let first_linear = layers
            .iter()
            .find(|p| shape(p).is_some_and(|s| s.len() == 2))?;
        let cells = shape(first_linear)?[1] / shape(last_conv)?[0].max(1);
        let side = (cells as f64).sqrt().round() as usize;
        (Cnn::vgg(model).ok()?, layers[0].to_string(), side.max(1))
    };
    let c = model.get(&format!("{first}.weight"))?.shape[1];
    let hw = 8usize.div_ceil(side) * side;
    let image = Image { c, h: hw, w: hw };
    let mut g = crate::prng::SplitMix64::new(0);
    let x = Mat::from_fn(16, c * hw * hw, |_, _| g.next_symmetric());
    let logits = net.forward(x.as_ref(), image).ok()?;
    let finite =
        (0..logits.ncols()).all(|j| (0..logits.nrows()).all(|i| logits[(i, j)].is_finite()));
    finite.then_some(logits)
}

/// Returns `model` with the running statistics of every BatchNorm recomputed
/// on the rows of `x` in minibatches of `batch` rows (the last one partial).
///
/// # Errors
/// [`Error::Param`] for `batch` = 0 or fewer than 2 rows; errors of the forward.
pub fn repair_batchnorm(
    net: &Cnn<'_>,
    x: MatRef<'_, f64>,
    image: Image,
    batch: usize,
) -> Result<Model> {
    if batch == 0 || x.nrows() < 2 {
        return Err(Error::Param {
            name: "bn_batch",
            value: format!("{batch} (with {} rows)", x.nrows()),
            rule: "BatchNorm repair needs a batch size ≥ 1 and at least 2 rows",
        });
    }
    let mut moments = Moments::default();
    for start in (0..x.nrows()).step_by(batch) {
        let rows = batch.min(x.nrows() - start);
        net.pass(
            x.subrows(start, rows),
            image,
            &mut NormMode::Batch(&mut moments),
        )?;
    }
    let mut out = net.model.clone();
    for (prefix, (mean, var)) in moments.mean_and_unbiased_var() {
        for (key, values) in [("running_mean", mean), ("running_var", var)] {
            let name = format!("{prefix}.{key}");
            let t = out.tensors.get_mut(&name).expect("read by the pass");
            *t = t.with_values(values);
        }
    }
    Ok(out)
}

/// Per-channel mean and sum of squared deviations over samples and positions.
fn channel_moments(x: &Maps) -> (Vec<f64>, Vec<f64>) {
    let count = (x.n * x.positions()) as f64;
    let mut mean = vec![0.0; x.c];
    let mut m2 = vec![0.0; x.c];
    for ch in 0..x.c {
        let values =
            || (0..x.n).flat_map(move |i| (0..x.positions()).map(move |p| x.data[x.at(i, ch, p)]));
        mean[ch] = values().sum::<f64>() / count;
        m2[ch] = values().map(|v| (v - mean[ch]).powi(2)).sum();
    }
    (mean, m2)
}

fn batch_norm(x: &mut Maps, gamma: &[f64], beta: &[f64], mean: &[f64], var: &[f64]) {
    let positions = x.positions();
    for (k, v) in x.data.iter_mut().enumerate() {
        let ch = (k / positions) % gamma.len();
        *v = gamma[ch] * (*v - mean[ch]) / (var[ch] + NORM_EPS).sqrt() + beta[ch];
    }
}

/// LayerNorm over the channels of each position.
fn layer_norm(x: &mut Maps, gamma: &[f64], beta: &[f64]) {
    let c = x.c as f64;
    for i in 0..x.n {
        for p in 0..x.positions() {
            let idx: Vec<usize> = (0..x.c).map(|ch| x.at(i, ch, p)).collect();
            let mean = idx.iter().map(|&k| x.data[k]).sum::<f64>() / c;
            let var = idx.iter().map(|&k| (x.data[k] - mean).powi(2)).sum::<f64>() / c;
            let scale = 1.0 / (var + NORM_EPS).sqrt();
            for (ch, &k) in idx.iter().enumerate() {
                x.data[k] = gamma[ch] * (x.data[k] - mean) * scale + beta[ch];
            }
        }
    }
}

fn relu(x: &mut Maps) {
    for v in &mut x.data {
        *v = v.max(0.0);
    }
}

/// Views every sample as one vector (channel-major, PyTorch's flatten).
fn flatten(x: &Maps) -> Maps {
    Maps {
        n: x.n,
        c: x.c * x.positions(),
        h: 1,
        w: 1,
        data: x.data.clone(),
    }
}

/// Average-pools each channel to s × s cells so that the result has
/// `features` = c·s² values per sample.
fn pool_to(x: &Maps, features: usize) -> Result<Maps> {
    let cells = features / x.c.max(1);
    let side = (cells as f64).sqrt().round() as usize;
    if side == 0 || side * side * x.c != features || x.h % side != 0 || x.w % side != 0 {
        return Err(Error::NotCnn(format!(
            "a {}×{} map of {} channels cannot be average-pooled to {features} features",
            x.h, x.w, x.c
        )));
    }
    let (fh, fw) = (x.h / side, x.w / side);
    let mut out = Maps {
        n: x.n,
        c: x.c,
        h: side,
        w: side,
        data: vec![0.0; x.n * features],
    };
    for i in 0..x.n {
        for ch in 0..x.c {
            for (p, v) in x.data[x.at(i, ch, 0)..x.at(i, ch, 0) + x.positions()]
                .iter()
                .enumerate()
            {
                let cell = (p / x.w / fh) * side + (p % x.w) / fw;
                let k = out.at(i, ch, cell);
                out.data[k] += v / (fh * fw) as f64;
            }
        }
    }
    Ok(out)
}

/// Convolution (4-D weight) or linear layer (2-D weight on a flattened input)
/// with zero padding k/2.
fn conv2d(p: &str, x: &Maps, w: &Tensor, bias: Option<&[f64]>, stride: usize) -> Result<Maps> {
    let (co, ci, kh, kw) = match *w.shape.as_slice() {
        [co, ci, kh, kw] => (co, ci, kh, kw),
        [co, ci] => (co, ci, 1, 1),
        _ => return Err(Error::NotCnn(format!("{p}.weight is not 2-D or 4-D"))),
    };
    if ci != x.c {
        return Err(Error::NotCnn(format!(
            "{p}.weight reads {ci} channels but its input has {}",
            x.c
        )));
    }
    let (ph, pw) = (kh / 2, kw / 2);
    let oh = (x.h + 2 * ph).saturating_sub(kh) / stride + 1;
    let ow = (x.w + 2 * pw).saturating_sub(kw) / stride + 1;
    let wm = MatRef::from_row_major_slice(&w.values, co, ci * kh * kw);
    let mut out = Maps {
        n: x.n,
        c: co,
        h: oh,
        w: ow,
        data: vec![0.0; x.n * co * oh * ow],
    };
    let mut cols = Mat::<f64>::zeros(ci * kh * kw, oh * ow);
    for i in 0..x.n {
        for ((c, dy), dx) in (0..ci)
            .flat_map(|c| (0..kh).map(move |dy| (c, dy)))
            .flat_map(|cd| (0..kw).map(move |dx| (cd, dx)))
        {
            let row = (c * kh + dy) * kw + dx;
            for (oy, ox) in (0..oh).flat_map(|oy| (0..ow).map(move |ox| (oy, ox))) {
                let (y, xx) = (
                    (oy * stride + dy).wrapping_sub(ph),
                    (ox * stride + dx).wrapping_sub(pw),
                );
                cols[(row, oy * ow + ox)] = if y < x.h && xx < x.w {
                    x.data[x.at(i, c, y * x.w + xx)]
                } else {
                    0.0
                };
            }
        }
        let block = &mut out.data[i * co * oh * ow..(i + 1) * co * oh * ow];
        let o = MatMut::from_row_major_slice_mut(block, co, oh * ow);
        matmul(o, Accum::Replace, wm, cols.as_ref(), 1.0, Par::Seq);
        if let Some(b) = bias {
            for (k, v) in block.iter_mut().enumerate() {
                *v += b[k / (oh * ow)];
            }
        }
    }
    Ok(out)
}
