//! Untrained weights for Diff-eRank: every tensor of a checkpoint, with the
//! same name and shape, drawn afresh as transformers' `_init_weights` does
//! for BERT, GPT-2, GPT-NeoX and Llama:
//! - linear and embedding weights ~ 𝒩(0, σ²), σ = `initializer_range` from
//!   `config.json` (0.02 when absent);
//! - GPT-2 `c_proj` weights (attention and MLP) ~ 𝒩(0, σ²/(2·n_layer));
//! - biases 0, LayerNorm and RMSNorm weights 1;
//! - the pad token's row of BERT's and Llama's token embedding 0, as
//!   `nn.Embedding(padding_idx=pad_token_id)` is zeroed there.
//!
//! The loaders of the trained models then read these tensors in place of the
//! checkpoint's, so the untrained model runs the same forward code with the
//! same config and tokenizer.
//!
//! Reproducibility: a ChaCha8 stream seeded with the user's seed yields one
//! u64 per normal tensor, taken in the byte order of the tensor names. Each
//! tensor is then filled by the Box–Muller transform from its own ChaCha8
//! stream seeded with that u64 ([`crate::bench::standard_normal_f32`]). The
//! weights are bit-for-bit the same for a seed on one machine. They do not
//! follow PyTorch's random stream, so Diff-eRank matches the Python reference
//! only statistically.
//!
//! ```no_run
//! use mnn::models::{ModelSpec, WeightMode, init};
//!
//! let spec = ModelSpec {
//!     path: "models/all-MiniLM-L6-v2".into(),
//!     arch: None,
//!     weights: WeightMode::F32,
//! };
//! let untrained = init::load_untrained(&spec, 0)?;
//! # Ok::<(), mnn::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{Device, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::gguf_llama::LlamaGguf;
use super::gguf_reader::{GgufFile, model_error};
use super::hf_config::{model_dir, read_config};
use super::hf_layers::forward_error;
use super::hf_weights::Weights;
use super::{Arch, HiddenStates, ModelSpec, WeightMode, bert, detect_arch, gpt_neox, gpt2};
use crate::Error;

/// transformers' default `initializer_range` for all four architectures.
pub const DEFAULT_INITIALIZER_RANGE: f64 = 0.02;

/// The initialisation of one tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TensorInit {
    /// 𝒩(0, std²) entries.
    Normal { std: f64 },
    /// All zeros (biases).
    Zeros,
    /// All ones (norm weights).
    Ones,
}

/// The init parameters of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InitScheme {
    /// σ of linear and embedding weights.
    pub initializer_range: f64,
    /// The block count of a GPT-2 model, which scales its `c_proj` weights;
    /// `None` for the other architectures.
    pub gpt2_n_layer: Option<usize>,
    /// The embedding row that is zeroed after drawing, if any.
    pub padding: Option<PaddingRow>,
}

/// The pad token's row of a token embedding, which transformers zeroes
/// after drawing the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaddingRow {
    /// The end of the embedding's tensor name, such as
    /// `word_embeddings.weight`.
    pub tensor_suffix: &'static str,
    /// The row index, which is the pad token id.
    pub row: usize,
}

impl InitScheme {
    /// Returns the init of tensor `name` with `shape`, or `None` for a
    /// tensor that is neither a weight nor a bias (buffers such as GPT-2's
    /// `attn.masked_bias` are not parameters and no loader reads them).
    ///
    /// Every rank-1 `.weight` in the supported architectures is a LayerNorm
    /// or RMSNorm scale, and every linear or embedding weight has rank 2.
    pub fn tensor_init(&self, name: &str, shape: &[usize]) -> Option<TensorInit> {
        if name.ends_with(".bias") {
            return Some(TensorInit::Zeros);
        }
        if !name.ends_with(".weight") {
            return None;
        }
        if shape.len() == 1 {
            return Some(TensorInit::Ones);
        }
        let std = match self.gpt2_n_layer {
            Some(n_layer) if name.ends_with("c_proj.weight") => {
                self.initializer_range / (2.0 * n_layer as f64).sqrt()
            }
            _ => self.initializer_range,
        };
        Some(TensorInit::Normal { std })
    }
}

/// Draws an f32 tensor for every entry of `shapes` that
/// [`InitScheme::tensor_init`] covers, in the order of the names (see the
/// module docs for the random streams).
///
/// # Errors
///
/// [`Error::TooLarge`] for a tensor over [`crate::MAX_ELEMENTS`] entries,
/// [`Error::Forward`] when candle cannot build a tensor.
pub fn random_tensors(
    shapes: &BTreeMap<String, Vec<usize>>,
    scheme: &InitScheme,
    seed: u64,
) -> Result<HashMap<String, Tensor>, Error> {
    let mut seeds = ChaCha8Rng::seed_from_u64(seed);
    let mut tensors = HashMap::new();
    for (name, shape) in shapes {
        let Some(init) = scheme.tensor_init(name, shape) else {
            continue;
        };
        let count: usize = shape.iter().product();
        let values = match init {
            TensorInit::Zeros => vec![0.0f32; count],
            TensorInit::Ones => vec![1.0f32; count],
            TensorInit::Normal { std } => {
                let tensor_seed = seeds.random::<u64>();
                let mut values = crate::bench::standard_normal_f32(1, count, tensor_seed)?;
                let std = std as f32;
                values.iter_mut().for_each(|value| *value *= std);
                zero_padding_row(&mut values, name, shape, scheme.padding);
                values
            }
        };
        let tensor = Tensor::from_vec(values, shape.as_slice(), &Device::Cpu);
        tensors.insert(name.clone(), tensor.map_err(forward_error)?);
    }
    Ok(tensors)
}

/// Zeroes the padding row of `values` when `name` is the padded embedding.
fn zero_padding_row(values: &mut [f32], name: &str, shape: &[usize], padding: Option<PaddingRow>) {
    let Some(padding) = padding else {
        return;
    };
    if !name.ends_with(padding.tensor_suffix) || shape.len() != 2 || padding.row >= shape[0] {
        return;
    }
    let width = shape[1];
    values[padding.row * width..(padding.row + 1) * width].fill(0.0);
}

/// Builds the model of `spec` (same architecture, config and tokenizer) with
/// untrained f32 weights drawn with `seed`. GGUF models always run with f32
/// weights, so `spec.weights` is ignored.
///
/// # Errors
///
/// The errors of loading the trained model: [`Error::Model`] for an unknown
/// architecture, an invalid config or a missing tensor.
pub fn load_untrained(spec: &ModelSpec, seed: u64) -> Result<Box<dyn HiddenStates>, Error> {
    let arch = match spec.arch {
        Some(arch) => arch,
        None => detect_arch(&spec.path)?,
    };
    let path = spec.path.display();
    tracing::info!(%path, arch = arch.name(), seed, "drawing untrained weights");
    match arch {
        Arch::LlamaGguf => load_untrained_gguf(&spec.path, seed),
        Arch::Bert => bert::load_with(&spec.path, Some(untrained_hf(&spec.path, arch, seed)?)),
        Arch::Gpt2 => gpt2::load_with(&spec.path, Some(untrained_hf(&spec.path, arch, seed)?)),
        Arch::GptNeox => {
            gpt_neox::load_with(&spec.path, Some(untrained_hf(&spec.path, arch, seed)?))
        }
    }
}

/// The `config.json` fields that set the init.
#[derive(Debug, Deserialize)]
struct InitConfig {
    #[serde(default = "default_initializer_range")]
    initializer_range: f64,
    /// GPT-2's block count.
    #[serde(default)]
    n_layer: Option<usize>,
    /// BERT's pad token id: 0 when absent, as in transformers' `BertConfig`,
    /// and no padding row when null.
    #[serde(default = "default_pad_token_id")]
    pad_token_id: Option<usize>,
}

fn default_pad_token_id() -> Option<usize> {
    Some(0)
}

fn default_initializer_range() -> f64 {
    DEFAULT_INITIALIZER_RANGE
}

/// Draws untrained weights named and shaped as the checkpoint in the
/// Hugging Face folder of `path`.
fn untrained_hf(path: &Path, arch: Arch, seed: u64) -> Result<Weights, Error> {
    let dir = model_dir(path);
    let (model_type, arch_name) = match arch {
        Arch::Gpt2 => ("gpt2", "GPT-2"),
        Arch::GptNeox => ("gpt_neox", "GPT-NeoX"),
        _ => ("bert", "BERT"),
    };
    let config: InitConfig = read_config(dir, &[model_type], arch_name)?;
    let scheme = InitScheme {
        initializer_range: config.initializer_range,
        gpt2_n_layer: if arch == Arch::Gpt2 {
            config.n_layer
        } else {
            None
        },
        // Of BERT, GPT-2 and GPT-NeoX, only BERT builds its token embedding with
        // a padding_idx.
        padding: if arch == Arch::Bert {
            config.pad_token_id.map(|row| PaddingRow {
                tensor_suffix: "word_embeddings.weight",
                row,
            })
        } else {
            None
        },
    };

    let shapes = Weights::load(dir)?.float_shapes();
    let tensors = random_tensors(&shapes, &scheme, seed)?;
    Ok(Weights::from_tensors(tensors, dir))
}

/// Builds a Llama model from the GGUF file at `path` with untrained f32
/// weights named and shaped as the file's tensors.
fn load_untrained_gguf(path: &Path, seed: u64) -> Result<Box<dyn HiddenStates>, Error> {
    let mut gguf = GgufFile::open(path)?;
    let shapes: BTreeMap<String, Vec<usize>> = gguf
        .content
        .tensor_infos
        .iter()
        .map(|(name, info)| (name.clone(), info.shape.dims().to_vec()))
        .collect();
    let scheme = InitScheme {
        initializer_range: gguf_initializer_range(&gguf)?,
        gpt2_n_layer: None,
        padding: gguf
            .usize("tokenizer.ggml.padding_token_id")
            .ok()
            .map(|row| PaddingRow {
                tensor_suffix: "token_embd.weight",
                row,
            }),
    };
    gguf.replace_tensors(random_tensors(&shapes, &scheme, seed)?);
    Ok(Box::new(LlamaGguf::from_file(gguf, WeightMode::F32)?))
}

/// Returns σ for a GGUF model: the value of a metadata key ending in
/// `initializer_range` when the file has one, else 0.02.
///
/// NOTE: this fallback is our choice. GGUF converters do not write the
/// `initializer_range` of `config.json` (no standard GGUF key exists for
/// it); 0.02 is what SmolLM2's and most Llama configs set.
fn gguf_initializer_range(gguf: &GgufFile) -> Result<f64, Error> {
    let key = gguf
        .content
        .metadata
        .keys()
        .find(|key| key.ends_with("initializer_range"))
        .cloned();
    let Some(key) = key else {
        return Ok(DEFAULT_INITIALIZER_RANGE);
    };
    let sigma = gguf.f64(&key)?;
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(model_error(
            &gguf.path,
            &format!("metadata {key} is {sigma}, not a positive number"),
            "fix the metadata or use a file without it",
        ));
    }
    Ok(sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tiny")
            .join(name)
    }

    fn fixture_shapes(name: &str) -> BTreeMap<String, Vec<usize>> {
        Weights::load(&fixture(name)).unwrap().float_shapes()
    }

    fn values(tensor: &Tensor) -> Vec<f32> {
        tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    fn sample_std(values: &[f32]) -> f64 {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let squares: f64 = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum();
        (squares / (n - 1.0)).sqrt()
    }

    /// Checks every tensor of a tiny fixture against its init rule. The
    /// smallest normal tensor has 32·32 entries, so the sample std has a
    /// standard error of about 2.2 %, and 8 % is over 3.5 standard errors.
    fn check_init_statistics(name: &str, gpt2_n_layer: Option<usize>) {
        let sigma = 0.02;
        let scheme = InitScheme {
            initializer_range: sigma,
            gpt2_n_layer,
            padding: None,
        };
        let shapes = fixture_shapes(name);
        let tensors = random_tensors(&shapes, &scheme, 7).unwrap();
        let mut n_normal = 0;
        for (tensor_name, shape) in &shapes {
            let Some(init) = scheme.tensor_init(tensor_name, shape) else {
                continue;
            };
            let data = values(&tensors[tensor_name]);
            match init {
                TensorInit::Zeros => assert!(data.iter().all(|&v| v == 0.0), "{tensor_name}"),
                TensorInit::Ones => assert!(data.iter().all(|&v| v == 1.0), "{tensor_name}"),
                TensorInit::Normal { std } => {
                    let expected =
                        if tensor_name.ends_with("c_proj.weight") && gpt2_n_layer.is_some() {
                            sigma / 2.0
                        } else {
                            sigma
                        };
                    assert_eq!(std, expected, "{tensor_name}");
                    let found = sample_std(&data);
                    assert!(
                        (found / expected - 1.0).abs() < 0.08,
                        "{tensor_name}: sample std {found}, expected {expected}"
                    );
                    n_normal += 1;
                }
            }
        }
        assert!(n_normal >= 6, "{name}: only {n_normal} normal tensors");
    }

    #[test]
    fn gpt2_init_statistics() {
        check_init_statistics("gpt2-a", Some(2));
    }

    #[test]
    fn neox_init_statistics() {
        check_init_statistics("neox-a", None);
    }

    #[test]
    fn bert_init_statistics() {
        check_init_statistics("bert-a", None);
    }

    #[test]
    fn gpt2_c_proj_scaled_by_layers() {
        let scheme = InitScheme {
            initializer_range: 0.02,
            gpt2_n_layer: Some(8),
            padding: None,
        };
        let attn = scheme.tensor_init("h.3.attn.c_proj.weight", &[32, 32]);
        let mlp = scheme.tensor_init("h.3.mlp.c_proj.weight", &[128, 32]);
        let fc = scheme.tensor_init("h.3.mlp.c_fc.weight", &[32, 128]);
        assert_eq!(attn, Some(TensorInit::Normal { std: 0.005 }));
        assert_eq!(mlp, Some(TensorInit::Normal { std: 0.005 }));
        assert_eq!(fc, Some(TensorInit::Normal { std: 0.02 }));
    }

    #[test]
    fn buffers_are_left_out() {
        let scheme = InitScheme {
            initializer_range: 0.02,
            gpt2_n_layer: Some(2),
            padding: None,
        };
        assert_eq!(scheme.tensor_init("h.0.attn.masked_bias", &[]), None);
        assert_eq!(
            scheme.tensor_init("h.0.attn.bias", &[1, 1, 4, 4]),
            Some(TensorInit::Zeros)
        );
        assert_eq!(
            scheme.tensor_init("blk.0.attn_norm.weight", &[8]),
            Some(TensorInit::Ones)
        );
    }

    #[test]
    fn same_seed_same_bits() {
        let scheme = InitScheme {
            initializer_range: 0.02,
            gpt2_n_layer: None,
            padding: None,
        };
        let shapes = fixture_shapes("neox-a");
        let first = random_tensors(&shapes, &scheme, 3).unwrap();
        let second = random_tensors(&shapes, &scheme, 3).unwrap();
        let other = random_tensors(&shapes, &scheme, 4).unwrap();
        for name in first.keys() {
            let bits = |t: &HashMap<String, Tensor>| -> Vec<u32> {
                values(&t[name]).iter().map(|v| v.to_bits()).collect()
            };
            assert_eq!(bits(&first), bits(&second), "{name}");
            if name.ends_with(".weight") && shapes[name].len() == 2 {
                assert_ne!(bits(&first), bits(&other), "{name}");
            }
        }
    }

    #[test]
    fn bert_padding_row_zeroed() {
        let path = fixture("bert-a");
        let weights = untrained_hf(&path, Arch::Bert, 1).unwrap();
        let table = weights
            .get("embeddings.word_embeddings.weight", &[96, 32])
            .unwrap();
        let pad_row = values(&table.get(0).unwrap());
        let next_row = values(&table.get(1).unwrap());
        assert!(pad_row.iter().all(|&v| v == 0.0));
        assert!(next_row.iter().all(|&v| v != 0.0));
    }

    #[test]
    fn untrained_gpt2_runs_forward() {
        let spec = ModelSpec {
            path: fixture("gpt2-a"),
            arch: None,
            weights: WeightMode::F32,
        };
        let mut model = load_untrained(&spec, 0).unwrap();
        let mut trained = super::super::load_model(&spec).unwrap();
        let ids = [1u32, 5, 9, 17, 33];
        let states = |model: &mut dyn HiddenStates| {
            let mut out = Vec::new();
            let mut sink = |_: super::super::Layer, data: &[f32], _: usize, _: usize| {
                out = data.to_vec();
                Ok(())
            };
            model
                .forward(&ids, &super::super::LayerSel::Last, &mut sink)
                .unwrap();
            out
        };
        let untrained_states = states(model.as_mut());
        let trained_states = states(trained.as_mut());
        assert_eq!(untrained_states.len(), 5 * 32);
        assert!(untrained_states.iter().all(|v| v.is_finite()));
        assert_ne!(untrained_states, trained_states);
    }
}
