//! Convolutional presets: ResNet20 and VGG-style chains, torch layout.
//!
//! ResNet20 (He et al., "Deep Residual Learning", CVPR 2016, CIFAR variant):
//! stem `conv1`, `norm1`; blocks `layer{s}.{b}.conv1|norm1|conv2|norm2` for
//! s = 1..3, b = 0..2; `layer{s}.0.shortcut.0|1` for s = 2, 3; head `linear`.
//! Every tensor that reads or writes stage s's residual stream shares `res_s`;
//! each block's inner channels get their own group, 12 groups in all:
//! `conv1 [inner, res_in]`, `norm1 [inner]`, `conv2 [res_s, inner]`,
//! `norm2 [res_s]`, `shortcut.0 [res_s, res_{s−1}]`, `shortcut.1 [res_s]`,
//! `linear.weight [null, res_3]`. BatchNorm running statistics are permuted with
//! cost weight 0 (derived in the normlab rebasin specification, §2.6).
//!
//! VGG-style chain: 4-D `*.weight` convolutions, then 2-D linear layers, each in
//! natural name order; each output (with its bias and any 1-D norm tensors of the next
//! prefix) is one group, the last layer's output is free, and the first linear
//! layer reads the last convolution's channels as blocks of H·W features.
//!
//! ```
//! use rebasin::model::{Model, Tensor};
//! use rebasin::spec::PermSpec;
//!
//! let mut m = Model::default();
//! m.insert("features.0.weight", Tensor::from_f64(vec![4, 3, 3, 3], vec![0.0; 108]));
//! m.insert("classifier.weight", Tensor::from_f64(vec![2, 16], vec![0.0; 32]));
//! let spec = PermSpec::vgg(&m).unwrap();
//! assert_eq!(spec.validate(&m).unwrap(), vec![4]);
//! ```

use crate::error::{Error, Result};
use crate::model::{Model, natural_cmp};
use crate::spec::{AxisMap, PermSpec, TensorSpec};

struct Builder<'a> {
    model: &'a Model,
    groups: Vec<String>,
    tensors: Vec<(String, TensorSpec)>,
}

impl<'a> Builder<'a> {
    fn new(model: &'a Model) -> Self {
        Self {
            model,
            groups: Vec::new(),
            tensors: Vec::new(),
        }
    }

    fn group(&mut self, name: String) -> usize {
        self.groups.push(name);
        self.groups.len() - 1
    }

    fn add(&mut self, name: String, axes: Vec<AxisMap>, cost_weight: f64) {
        if self.model.tensors.contains_key(&name) {
            self.tensors.push((name, TensorSpec { axes, cost_weight }));
        }
    }

    /// Adds `prefix.weight` with output and input groups (other axes free) and
    /// `prefix.bias` on the output group.
    fn layer(&mut self, prefix: &str, out: AxisMap, inp: AxisMap) {
        let rank = self
            .model
            .get(&format!("{prefix}.weight"))
            .map_or(2, |t| t.shape.len());
        let mut axes = vec![out, inp];
        axes.resize(rank.max(2), AxisMap::Free);
        self.add(format!("{prefix}.weight"), axes, 1.0);
        self.add(format!("{prefix}.bias"), vec![out], 1.0);
    }

    /// Adds the norm tensors of `prefix` on group g.
    fn norm(&mut self, prefix: &str, g: usize) {
        let axis = AxisMap::Group(g);
        self.add(format!("{prefix}.weight"), vec![axis], 1.0);
        self.add(format!("{prefix}.bias"), vec![axis], 1.0);
        self.add(format!("{prefix}.running_mean"), vec![axis], 0.0);
        self.add(format!("{prefix}.running_var"), vec![axis], 0.0);
        self.add(
            format!("{prefix}.num_batches_tracked"),
            vec![AxisMap::Free],
            1.0,
        );
    }

    fn finish(mut self) -> Result<PermSpec> {
        self.tensors.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        let spec = PermSpec {
            groups: self.groups,
            tensors: self.tensors,
        };
        spec.check_covers(self.model)?;
        Ok(spec)
    }
}

impl PermSpec {
    /// Builds the ResNet20 preset for the tensors of `model`.
    ///
    /// # Errors
    /// [`Error::Spec`] naming a tensor the preset does not cover, or when the
    /// stem `conv1.weight` is missing.
    pub fn resnet20(model: &Model) -> Result<Self> {
        if let Some(name) = resnet_foreign_name(model) {
            return Err(Error::Spec(format!(
                "tensor {name} is not a resnet20 preset name; the preset expects conv1, norm1 (or bn1), layerS.B.conv1|norm1|conv2|norm2 (or bn1, bn2), layerS.0.shortcut.0|shortcut.1 and linear, each with .weight and .bias (norms also .running_mean, .running_var, .num_batches_tracked); rename the tensors or pass a JSON spec"
            )));
        }
        if model.get("conv1.weight").is_none() {
            return Err(Error::Spec(
                "the resnet20 preset needs conv1.weight; check the tensor names or pass a JSON spec".into(),
            ));
        }
        let mut b = Builder::new(model);
        let res: Vec<usize> = (1..=3).map(|s| b.group(format!("res_{s}"))).collect();
        b.layer("conv1", AxisMap::Group(res[0]), AxisMap::Free);
        b.norm(&resnet_norm(model, "norm1"), res[0]);
        for s in 1..=3 {
            let res_s = res[s - 1];
            for blk in 0..3 {
                let p = format!("layer{s}.{blk}");
                let inner = b.group(format!("{p}.inner"));
                let res_in = if s > 1 && blk == 0 { res[s - 2] } else { res_s };
                b.layer(
                    &format!("{p}.conv1"),
                    AxisMap::Group(inner),
                    AxisMap::Group(res_in),
                );
                b.norm(&resnet_norm(model, &format!("{p}.norm1")), inner);
                b.layer(
                    &format!("{p}.conv2"),
                    AxisMap::Group(res_s),
                    AxisMap::Group(inner),
                );
                b.norm(&resnet_norm(model, &format!("{p}.norm2")), res_s);
                if s > 1 && blk == 0 {
                    b.layer(
                        &format!("{p}.shortcut.0"),
                        AxisMap::Group(res_s),
                        AxisMap::Group(res_in),
                    );
                    b.norm(&format!("{p}.shortcut.1"), res_s);
                }
            }
        }
        b.layer("linear", AxisMap::Free, AxisMap::Group(res[2]));
        b.finish()
    }

    /// Builds the VGG-style preset for the tensors of `model`.
    ///
    /// # Errors
    /// [`Error::Spec`] when there is no convolution, the first linear input is
    /// not a multiple of the last convolution's channels, or a tensor is not
    /// covered.
    pub fn vgg(model: &Model) -> Result<Self> {
        let names = model.natural_names();
        let layers = vgg_layers(model)?;
        let shape = |p: &str| model.tensors[&format!("{p}.weight")].shape.clone();
        let mut b = Builder::new(model);
        let mut prev: Option<(usize, usize, bool)> = None; // (group, size, conv)
        for (i, p) in layers.iter().enumerate() {
            let s = shape(p);
            let last = i + 1 == layers.len();
            let inp = match prev {
                None => AxisMap::Free,
                Some((g, n, true)) if s.len() == 2 => {
                    if s[1] % n != 0 {
                        return Err(Error::Spec(format!(
                            "{p}.weight reads {} features, not a multiple of the {n} channels before it",
                            s[1]
                        )));
                    }
                    AxisMap::Block {
                        group: g,
                        block: s[1] / n,
                    }
                }
                Some((g, _, _)) => AxisMap::Group(g),
            };
            let out = if last {
                AxisMap::Free
            } else {
                let g = b.group(format!("P_{i}"));
                prev = Some((g, s[0], s.len() == 4));
                AxisMap::Group(g)
            };
            b.layer(p, out, inp);
            if let AxisMap::Group(g) = out {
                attach_norms(&mut b, model, &names, &layers, p, g);
            }
        }
        b.finish()
    }
}

/// Returns the layer prefixes of a VGG-style model: 4-D `*.weight`
/// convolutions, then 2-D linear layers, each in natural name order.
///
/// # Errors
/// [`Error::Spec`] when the first layer is not a convolution.
pub(crate) fn vgg_layers(model: &Model) -> Result<Vec<&str>> {
    let mut layers: Vec<&str> = model
        .natural_names()
        .into_iter()
        .filter(|n| n.ends_with(".weight") && matches!(model.tensors[*n].shape.len(), 2 | 4))
        .map(|n| n.strip_suffix(".weight").expect("filtered on the suffix"))
        .collect();
    // Convolutions come before linear layers whatever their names
    // (`classifier` sorts before `features`); the sort is stable.
    layers.sort_by_key(|p| model.tensors[&format!("{p}.weight")].shape.len() == 2);
    let first_is_conv = layers
        .first()
        .is_some_and(|p| model.tensors[&format!("{p}.weight")].shape.len() == 4);
    if !first_is_conv {
        return Err(Error::Spec(
            "the vgg preset needs a 4-D *.weight convolution first; pass a JSON spec".into(),
        ));
    }
    Ok(layers)
}

/// Attaches the 1-D norm tensors that sit between layer `p` and the next layer.
fn attach_norms(
    b: &mut Builder<'_>,
    model: &Model,
    names: &[&str],
    layers: &[&str],
    p: &str,
    g: usize,
) {
    for prefix in norms_after(model, names, layers, p) {
        b.norm(prefix, g);
    }
}

/// Returns the prefixes of the 1-D tensors that sort after layer `p` and
/// before the layer that follows `p` in natural name order (its norm layers).
///
/// Name order, not execution order, matters here: in torchvision's VGG the BatchNorm
/// `features.26` follows the last convolution `features.25`, while the next layer
/// run, `classifier.0`, sorts before both.
pub(crate) fn norms_after<'m>(
    model: &Model,
    names: &[&'m str],
    layers: &[&str],
    p: &str,
) -> Vec<&'m str> {
    let own = format!("{p}.");
    let next = layers
        .iter()
        .map(|q| format!("{q}."))
        .filter(|q| natural_cmp(q, &own).is_gt())
        .min_by(|x, y| natural_cmp(x, y));
    let after = format!("{p}.bias");
    let mut prefixes: Vec<&str> = Vec::new();
    for n in names {
        let beyond_p = natural_cmp(n, &after).is_gt() && !n.starts_with(&format!("{p}."));
        let before_next = next.as_ref().is_none_or(|q| natural_cmp(n, q).is_lt());
        let t = &model.tensors[*n];
        if beyond_p && before_next && t.shape.len() == 1 {
            let prefix = n.rsplit_once('.').map_or(*n, |(pre, _)| pre);
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
    }
    prefixes
}

/// Returns the name of a ResNet norm layer in `model`. That is `prefix` (such as
/// `layer1.0.norm1`) when the model has it, else its BatchNorm spelling
/// (`layer1.0.bn1`) when the model has that, else `prefix`.
pub(crate) fn resnet_norm(model: &Model, prefix: &str) -> String {
    if model.get(&format!("{prefix}.weight")).is_some() {
        return prefix.to_string();
    }
    let (head, last) = prefix
        .rsplit_once('.')
        .map_or(("", prefix), |(h, l)| (h, l));
    let Some(index) = last.strip_prefix("norm") else {
        return prefix.to_string();
    };
    let bn = if head.is_empty() {
        format!("bn{index}")
    } else {
        format!("{head}.bn{index}")
    };
    if model.get(&format!("{bn}.weight")).is_some() {
        bn
    } else {
        prefix.to_string()
    }
}

/// Returns the first tensor whose layer name is not in the resnet20 preset, if any.
fn resnet_foreign_name(model: &Model) -> Option<String> {
    let known_layer = |layer: &str| {
        let parts: Vec<&str> = layer.split('.').collect();
        let norm_or_conv = |s: &str| {
            matches!(
                s,
                "conv1" | "conv2" | "norm1" | "norm2" | "bn1" | "bn2" | "linear"
            )
        };
        match parts.as_slice() {
            [one] => norm_or_conv(one),
            [stage, block, part] => {
                stage.starts_with("layer") && block.parse::<usize>().is_ok() && norm_or_conv(part)
            }
            [stage, block, "shortcut", "0" | "1"] => {
                stage.starts_with("layer") && block.parse::<usize>().is_ok()
            }
            _ => false,
        }
    };
    model
        .natural_names()
        .into_iter()
        .find(|name| !known_layer(name.rsplit_once('.').map_or(name, |(l, _)| l)))
        .map(str::to_string)
}
