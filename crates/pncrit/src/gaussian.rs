//! The analytic Gaussian route for the multivariate normal family.
//!
//! After whitening, the fitted model is N(0, I_d) and the statistic is
//! t(z) = (z₁..z_d, zᵢz_j for i ≤ j, row-major), p = d + d(d+1)/2. A direction
//! ℓ ∈ ℝᵖ maps to (b, C) with ℓᵀt = bᵀz + zᵀCz: b is the first d entries,
//! C_ii the entry of zᵢ², C_ij = C_ji = ½·(entry of zᵢz_j). Gaussian cumulants of
//! linear and quadratic forms then give (derived in the normlab pncrit
//! specification, from the cumulant generating function of quadratic forms):
//!
//! - κ₃(ℓ₁,ℓ₂,ℓ₃) = 2(b₁ᵀC₃b₂ + b₁ᵀC₂b₃ + b₂ᵀC₁b₃) + 8 tr(C₁C₂C₃);
//! - κ(X,X,Y,Y) = 32 tr(C_X²C_Y²) + 16 tr((C_XC_Y)²) + 8 b_XᵀC_Y²b_X + 8 b_YᵀC_X²b_Y
//!   + 16 b_XᵀC_XC_Y b_Y + 16 b_XᵀC_YC_X b_Y.
//!
//! G is diagonal (1 for zᵢ, 2 for zᵢ², 1 for zᵢz_j). The parts are computed in
//! the frame t̃ = G^{-1/2}t, where A = I: T = (1/n)Σᵢκ₃(Aωᵢ), F and P from the
//! explicit (sparse-built) Ψ₃, and Q = Σ_kl λ_kλ_l κ(e_k,e_k,e_l,e_l) over the
//! eigenpairs of S, so the p⁴ tensor Ψ₄ is never formed.
//!
//! ```
//! // Well-specified d = 2: a₂ = d(10d² + 51d + 61)/24 = 16.9166…
//! let e = pncrit::gaussian::expansion(2, None).unwrap();
//! assert!((e.a1 - 2.5).abs() < 1e-12);
//! assert!((e.a2 - 203.0 / 12.0).abs() < 1e-9);
//! ```

use faer::{Mat, MatRef};

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::expansion::{Expansion, Parts, Route, a2_from_parts, max_share};
use crate::linalg;
use crate::tensor::{self, Tensor3};

/// Returns p = d + d(d+1)/2, the dimension of the MVN statistic.
pub fn stat_dim(d: usize) -> usize {
    d + d * (d + 1) / 2
}

/// Returns the index of zᵢz_j (i ≤ j) in t.
pub fn quad_index(d: usize, i: usize, j: usize) -> usize {
    let row_start: usize = (0..i).map(|r| d - r).sum();
    d + row_start + (j - i)
}

/// Writes t(z) = (z, vech zzᵀ row-major) into `out` (length p).
pub fn stats(z: &[f64], out: &mut [f64]) {
    let d = z.len();
    out[..d].copy_from_slice(z);
    let mut k = d;
    for i in 0..d {
        for j in i..d {
            out[k] = z[i] * z[j];
            k += 1;
        }
    }
}

/// Returns the diagonal of G = Cov t under N(0, I_d).
pub fn fisher_diag(d: usize) -> Vec<f64> {
    let mut g = vec![1.0; stat_dim(d)];
    for i in 0..d {
        g[quad_index(d, i, i)] = 2.0;
    }
    g
}

/// A linear-plus-quadratic form bᵀz + zᵀCz.
struct Form {
    b: Vec<f64>,
    c: Mat<f64>,
}

fn form_of(d: usize, l: &[f64]) -> Form {
    let b = l[..d].to_vec();
    let mut c = Mat::<f64>::zeros(d, d);
    for i in 0..d {
        c[(i, i)] = l[quad_index(d, i, i)];
        for j in i + 1..d {
            let half = 0.5 * l[quad_index(d, i, j)];
            c[(i, j)] = half;
            c[(j, i)] = half;
        }
    }
    Form { b, c }
}

fn quad(x: &[f64], c: MatRef<'_, f64>, y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        for j in 0..y.len() {
            s += x[i] * c[(i, j)] * y[j];
        }
    }
    s
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

fn mat_vec(c: MatRef<'_, f64>, x: &[f64]) -> Vec<f64> {
    (0..c.nrows())
        .map(|i| (0..c.ncols()).map(|j| c[(i, j)] * x[j]).sum())
        .collect()
}

/// Returns κ₃(ℓᵀt) = 6bᵀCb + 8 tr(C³) under N(0, I_d), ℓ in raw coordinates.
fn kappa3_diag(d: usize, l: &[f64]) -> f64 {
    let form = form_of(d, l);
    let c2 = linalg::mul(form.c.as_ref(), form.c.as_ref());
    let tr_c3 = frobenius(c2.as_ref(), form.c.as_ref());
    6.0 * quad(&form.b, form.c.as_ref(), &form.b) + 8.0 * tr_c3
}

/// Returns Σ_ij X_ij Y_ij (= tr(XY) for symmetric X, Y).
fn frobenius(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            s += x[(i, j)] * y[(i, j)];
        }
    }
    s
}

/// A unit vector of the G = I frame as a sparse form: a linear index or
/// quadratic entries (row, col, value) of C.
enum Unit {
    Linear(usize),
    Quadratic(Vec<(usize, usize, f64)>),
}

fn units(d: usize) -> Vec<Unit> {
    let mut out: Vec<Unit> = (0..d).map(Unit::Linear).collect();
    for i in 0..d {
        for j in i..d {
            if i == j {
                out.push(Unit::Quadratic(vec![(i, i, 1.0 / 2f64.sqrt())]));
            } else {
                out.push(Unit::Quadratic(vec![(i, j, 0.5), (j, i, 0.5)]));
            }
        }
    }
    out
}

fn sparse_entry(c: &[(usize, usize, f64)], i: usize, j: usize) -> f64 {
    c.iter().filter(|e| e.0 == i && e.1 == j).map(|e| e.2).sum()
}

fn sparse_trace3(
    c1: &[(usize, usize, f64)],
    c2: &[(usize, usize, f64)],
    c3: &[(usize, usize, f64)],
) -> f64 {
    let mut s = 0.0;
    for &(r1, k1, v1) in c1 {
        for &(_, k2, v2) in c2.iter().filter(|e| e.0 == k1) {
            for &(_, _, v3) in c3.iter().filter(|e| e.0 == k2 && e.1 == r1) {
                s += v1 * v2 * v3;
            }
        }
    }
    s
}

fn unit_kappa3(x: &Unit, y: &Unit, z: &Unit) -> f64 {
    match (x, y, z) {
        (Unit::Quadratic(a), Unit::Quadratic(b), Unit::Quadratic(c)) => {
            8.0 * sparse_trace3(a, b, c)
        }
        (Unit::Linear(i), Unit::Linear(j), Unit::Quadratic(c))
        | (Unit::Linear(i), Unit::Quadratic(c), Unit::Linear(j))
        | (Unit::Quadratic(c), Unit::Linear(i), Unit::Linear(j)) => 2.0 * sparse_entry(c, *i, *j),
        _ => 0.0,
    }
}

/// Builds Ψ₃ of N(0, I_d) in the frame G = I.
pub fn psi3_whitened(d: usize) -> Tensor3 {
    let basis = units(d);
    let p = basis.len();
    let mut psi3 = Tensor3::zeros(p);
    for a in 0..p {
        for b in a..p {
            for c in b..p {
                let value = unit_kappa3(&basis[a], &basis[b], &basis[c]);
                if value != 0.0 {
                    psi3.set_sym(a, b, c, value);
                }
            }
        }
    }
    psi3
}

/// Returns Q = Σ_kl λ_kλ_l κ(Y_k,Y_k,Y_l,Y_l) over the eigenpairs of S (G = I frame).
fn q_part(d: usize, s: MatRef<'_, f64>) -> Result<f64> {
    let p = s.nrows();
    let scale: Vec<f64> = fisher_diag(d).iter().map(|g| 1.0 / g.sqrt()).collect();
    let (lambda, vectors) = linalg::sym_eigen(s).ok_or_else(|| {
        Error::invalid(
            "data",
            "statistics without an eigendecomposition",
            "rescale the columns so that x⁴ stays finite",
        )
    })?;
    let forms: Vec<Form> = (0..p)
        .map(|k| {
            let raw: Vec<f64> = (0..p).map(|a| vectors[(a, k)] * scale[a]).collect();
            form_of(d, &raw)
        })
        .collect();
    let squares: Vec<Mat<f64>> = forms
        .iter()
        .map(|f| linalg::mul(f.c.as_ref(), f.c.as_ref()))
        .collect();
    let cb: Vec<Vec<f64>> = forms.iter().map(|f| mat_vec(f.c.as_ref(), &f.b)).collect();

    let mut q = 0.0;
    for k in 0..p {
        for l in 0..p {
            let (x, y) = (&forms[k], &forms[l]);
            let cxcy = linalg::mul(x.c.as_ref(), y.c.as_ref());
            let kappa = 32.0 * frobenius(squares[k].as_ref(), squares[l].as_ref())
                + 16.0 * tensor::trace_of_square(cxcy.as_ref())
                + 8.0 * quad(&x.b, squares[l].as_ref(), &x.b)
                + 8.0 * quad(&y.b, squares[k].as_ref(), &y.b)
                + 16.0 * dot(&cb[k], &cb[l])
                + 16.0 * dot(&mat_vec(y.c.as_ref(), &x.b), &mat_vec(x.c.as_ref(), &y.b));
            q += lambda[k] * lambda[l] * kappa;
        }
    }
    Ok(q)
}

/// Computes the expansion for the MVN model N(0, I_d) fitted to whitened data.
///
/// `truth` is the centred cloud of t(zᵢ) (misspecified mode) or `None` for
/// the model's own cumulants (model mode, a₁ = p/2).
///
/// # Errors
///
/// [`Error::InvalidParameter`] when the statistics are not finite (values so
/// large that x⁴ overflows).
pub fn expansion(d: usize, truth: Option<&Cloud>) -> Result<Expansion> {
    let p = stat_dim(d);
    let g = fisher_diag(d);
    let psi3 = psi3_whitened(d);

    let (s, t_part, shares) = match truth {
        None => (Mat::<f64>::identity(p, p), psi3.dot(&psi3), f64::NAN),
        Some(cloud) => {
            let h = Mat::from_fn(cloud.len(), p, |i, a| cloud.points[(i, a)] / g[a].sqrt());
            let s = linalg::weighted_gram(h.as_ref(), &cloud.weights);
            let t_part: f64 = (0..cloud.len())
                .map(|i| {
                    let l: Vec<f64> = (0..p).map(|a| cloud.points[(i, a)] / g[a]).collect();
                    cloud.weights[i] * kappa3_diag(d, &l)
                })
                .sum();
            (s, t_part, max_share(h.as_ref(), &cloud.weights))
        }
    };

    let (f, p_part) = tensor::contract_f_p(&psi3, s.as_ref());
    if (0..p).any(|a| (0..p).any(|b| !s[(a, b)].is_finite())) {
        return Err(Error::invalid(
            "data",
            "non-finite statistics",
            "rescale the columns so that x⁴ stays finite",
        ));
    }
    let q = q_part(d, s.as_ref())?;
    let parts = Parts {
        t: t_part,
        f,
        p: p_part,
        q,
    };
    Ok(Expansion {
        a1: 0.5 * linalg::trace(s.as_ref()),
        a2: a2_from_parts(&parts),
        parts,
        route: Route::Gaussian,
        shares_max: shares,
    })
}
