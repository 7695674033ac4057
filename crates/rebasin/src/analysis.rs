//! Singular values and singular-vector alignment of two models' layers.
//!
//! For `W = UΣVᵀ`, `PWQᵀ = (PU)Σ(QV)ᵀ` is again an SVD, so permutations never
//! change singular values; weight matching's term `⟨W_A, PW_BQᵀ⟩ =
//! Σ_ij σ_i^A σ_j^B (u_i^A·Pu_j^B)(v_i^A·Qv_j^B)` is dominated by large σ (Ito,
//! Yamada, Kumagai, "Analysis of Linear Mode Connectivity via Permutation-Based
//! Weight Matching", arXiv 2402.04051). Per layer, with M the weight as
//! (out, in·kh·kw), thin SVDs with σ descending, r = min(out, in·kh·kw) and
//! k = min(top_k, r):
//! - `mean_abs_cos_u = mean_{i<k} |u_i^A·u_i^B|`, `mean_abs_cos_v` likewise;
//! - `r_sigma = Σ_{i<k} w_i |u_i^A·u_i^B||v_i^A·v_i^B| / Σ_{i<k} w_i`, `w_i = σ_i^A σ_i^B`;
//! - `mean_best_cos_u = mean_{i<k} max_{j<r} |u_i^A·u_j^B|`, `_v` likewise;
//! - `overlap_u = ‖U_kᴬᵀ U_kᴮ‖_F² / k`, `_v` likewise;
//! - `cosine = ⟨M_A, M_B⟩/(‖M_A‖‖M_B‖)`, `topk_cross` the same with rank-k
//!   truncations in the numerator;
//! - model level `R_mean` (mean of r_sigma over layers) and `R_param_weighted`
//!   (weights out·in).
//!
//! The paper's own score R is not published in a form we could read, so these
//! definitions are derived in the normlab rebasin specification, §2.10.
//!
//! ```
//! use rebasin::analysis::layer_alignment;
//! use faer::Mat;
//!
//! let m = Mat::from_fn(4, 3, |i, j| (i * 3 + j) as f64 + if i == j { 5.0 } else { 0.0 });
//! let a = layer_alignment(m.as_ref(), m.as_ref(), 2).unwrap();
//! assert!((a.mean_abs_cos_u - 1.0).abs() < 1e-12);
//! assert!((a.cosine - 1.0).abs() < 1e-12);
//! ```

use faer::{Mat, MatRef};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::model::Model;

/// Alignment measures of one layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerAlignment {
    /// Number of leading singular pairs compared.
    pub k: usize,
    /// Largest k singular values of A.
    pub sigma_a_topk: Vec<f64>,
    /// Largest k singular values of B.
    pub sigma_b_topk: Vec<f64>,
    /// Mean |u_i^A·u_i^B| over i < k.
    pub mean_abs_cos_u: f64,
    /// Mean |v_i^A·v_i^B| over i < k.
    pub mean_abs_cos_v: f64,
    /// σ-weighted mean of |u_i^A·u_i^B||v_i^A·v_i^B|.
    pub r_sigma: f64,
    /// Mean over i < k of the best |u_i^A·u_j^B| over all j.
    pub mean_best_cos_u: f64,
    /// Mean over i < k of the best |v_i^A·v_j^B| over all j.
    pub mean_best_cos_v: f64,
    /// ‖U_kᴬᵀ U_kᴮ‖_F² / k, in [0, 1].
    pub overlap_u: f64,
    /// ‖V_kᴬᵀ V_kᴮ‖_F² / k, in [0, 1].
    pub overlap_v: f64,
    /// Cosine of the two weight matrices.
    pub cosine: f64,
    /// ⟨M_A^(k), M_B^(k)⟩ / (‖M_A‖‖M_B‖).
    pub topk_cross: f64,
}

struct Factors {
    u: Mat<f64>,
    s: Vec<f64>,
    v: Mat<f64>,
}

fn svd(m: MatRef<'_, f64>) -> Result<Factors> {
    let svd = m
        .thin_svd()
        .map_err(|e| Error::Data(format!("the singular value decomposition failed: {e:?}")))?;
    let s: Vec<f64> = (0..svd.S().dim()).map(|i| svd.S()[i]).collect();
    // faer returns σ in non-increasing order; the analysis relies on it.
    debug_assert!(s.windows(2).all(|w| w[0] >= w[1]));
    Ok(Factors {
        u: svd.U().to_owned(),
        s,
        v: svd.V().to_owned(),
    })
}

fn dot_cols(a: &Mat<f64>, i: usize, b: &Mat<f64>, j: usize) -> f64 {
    (0..a.nrows()).map(|r| a[(r, i)] * b[(r, j)]).sum()
}

/// Computes the alignment measures of `a` and `b` (equal shapes).
///
/// # Errors
/// [`Error::Data`] when the shapes differ or the SVD fails.
pub fn layer_alignment(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    top_k: usize,
) -> Result<LayerAlignment> {
    if a.shape() != b.shape() {
        return Err(Error::Data(format!(
            "layer shapes {:?} and {:?} differ",
            a.shape(),
            b.shape()
        )));
    }
    let (fa, fb) = (svd(a)?, svd(b)?);
    let r = fa.s.len();
    let k = top_k.min(r);
    let mean = |f: &dyn Fn(usize) -> f64| (0..k).map(f).sum::<f64>() / k as f64;
    let cu = |i: usize, j: usize| dot_cols(&fa.u, i, &fb.u, j).abs();
    let cv = |i: usize, j: usize| dot_cols(&fa.v, i, &fb.v, j).abs();
    let best =
        |c: &dyn Fn(usize, usize) -> f64, i: usize| (0..r).map(|j| c(i, j)).fold(0.0, f64::max);
    let overlap = |c: &dyn Fn(usize, usize) -> f64| {
        (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| c(i, j).powi(2))
            .sum::<f64>()
            / k as f64
    };
    let weights: Vec<f64> = (0..k).map(|i| fa.s[i] * fb.s[i]).collect();
    let r_sigma = (0..k)
        .map(|i| weights[i] * cu(i, i) * cv(i, i))
        .sum::<f64>()
        / weights.iter().sum::<f64>();
    let norm = |m: MatRef<'_, f64>| m.norm_l2();
    let inner: f64 = (0..a.nrows())
        .flat_map(|i| (0..a.ncols()).map(move |j| (i, j)))
        .map(|(i, j)| a[(i, j)] * b[(i, j)])
        .sum();
    let denom = norm(a) * norm(b);
    // ⟨A_k, B_k⟩ = Σ_{i,j<k} σ_i^A σ_j^B (u_i^A·u_j^B)(v_i^A·v_j^B).
    let topk: f64 = (0..k)
        .flat_map(|i| (0..k).map(move |j| (i, j)))
        .map(|(i, j)| {
            fa.s[i] * fb.s[j] * dot_cols(&fa.u, i, &fb.u, j) * dot_cols(&fa.v, i, &fb.v, j)
        })
        .sum();
    Ok(LayerAlignment {
        k,
        sigma_a_topk: fa.s[..k].to_vec(),
        sigma_b_topk: fb.s[..k].to_vec(),
        mean_abs_cos_u: mean(&|i| cu(i, i)),
        mean_abs_cos_v: mean(&|i| cv(i, i)),
        r_sigma,
        mean_best_cos_u: mean(&|i| best(&cu, i)),
        mean_best_cos_v: mean(&|i| best(&cv, i)),
        overlap_u: overlap(&cu),
        overlap_v: overlap(&cv),
        cosine: inner / denom,
        topk_cross: topk / denom,
    })
}

/// Weight tensors analysed: every float tensor named `*.weight` with at least
/// two axes, in natural order, viewed as (out, product of the other axes).
fn weight_names(model: &Model) -> Vec<&str> {
    model
        .natural_names()
        .into_iter()
        .filter(|n| {
            n.ends_with(".weight")
                && model.tensors[*n].shape.len() >= 2
                && model.tensors[*n].is_float()
        })
        .collect()
}

/// Returns per-layer measures keyed by layer prefix (`layers.0`) plus `R_mean`
/// and `R_param_weighted`, as a JSON object.
///
/// # Errors
/// [`Error::MissingTensor`] or [`Error::ShapeMismatch`] when the models differ,
/// [`Error::Data`] when an SVD fails.
pub fn svd_alignment(a: &Model, b: &Model, top_k: usize) -> Result<Value> {
    a.check_same_layout(b, ("A", "B"))?;
    let mut out = Map::new();
    let (mut r_sum, mut r_count, mut w_sum, mut w_total) = (0.0, 0usize, 0.0, 0.0);
    for name in weight_names(a) {
        let (ta, tb) = (&a.tensors[name], &b.tensors[name]);
        let rows = ta.shape[0];
        let cols = ta.len() / rows;
        let ma = MatRef::from_row_major_slice(&ta.values, rows, cols);
        let mb = MatRef::from_row_major_slice(&tb.values, rows, cols);
        let layer = layer_alignment(ma, mb, top_k)?;
        r_sum += layer.r_sigma;
        r_count += 1;
        w_sum += layer.r_sigma * (rows * cols) as f64;
        w_total += (rows * cols) as f64;
        let key = name.strip_suffix(".weight").unwrap_or(name);
        out.insert(key.to_string(), json!(layer));
    }
    out.insert("R_mean".into(), json!(r_sum / r_count.max(1) as f64));
    out.insert("R_param_weighted".into(), json!(w_sum / w_total.max(1.0)));
    Ok(Value::Object(out))
}
