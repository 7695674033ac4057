//! Properties of the expansion: affine invariance, Gram = tensor route,
//! mode identities, and the Newton boundary report.

mod common;

use common::assert_rel;
use faer::Mat;
use pncrit::cumulant::Cloud;
use pncrit::expansion::{
    Expansion, ModelCumulants, RouteChoice, Truth, empirical_cloud, expansion, expansion_with,
};
use tape::rng::{normal_mat, stream, unit};

/// Draws a random skewed cloud of M points in ℝᵖ with random positive weights.
fn random_cloud(seed: u64, m: usize, p: usize) -> (Mat<f64>, Vec<f64>) {
    let mut rng = stream(seed, "cloud");
    let base = normal_mat(&mut rng, m, p, 1.0);
    let t = Mat::from_fn(m, p, |i, j| base[(i, j)] + 0.4 * base[(i, j)].powi(2));
    let raw: Vec<f64> = (0..m).map(|_| 0.2 + unit(&mut rng)).collect();
    let total: f64 = raw.iter().sum();
    (t, raw.iter().map(|w| w / total).collect())
}

fn affine(t: &Mat<f64>, c: &Mat<f64>, shift: &[f64]) -> Mat<f64> {
    let mapped = pncrit::linalg::mul(t.as_ref(), c.transpose());
    Mat::from_fn(t.nrows(), t.ncols(), |i, j| mapped[(i, j)] + shift[j])
}

fn assert_same(a: &Expansion, b: &Expansion, tol: f64) {
    assert_rel(a.a1, b.a1, tol, "a1");
    assert_rel(a.a2, b.a2, tol, "a2");
    assert_rel(a.parts.t, b.parts.t, tol, "T");
    assert_rel(a.parts.f, b.parts.f, tol, "F");
    assert_rel(a.parts.p, b.parts.p, tol, "P");
    assert_rel(a.parts.q, b.parts.q, tol, "Q");
}

#[test]
fn gram_route_equals_tensor_route() {
    let (u, w) = random_cloud(1, 60, 4);
    let (data, _) = random_cloud(2, 45, 4);
    let model = ModelCumulants::Cloud(Cloud::weighted(u.as_ref(), w).unwrap());
    let truth = Cloud::from_data(data.as_ref());
    let gram = expansion_with(&model, &Truth::Cloud(&truth), RouteChoice::Gram).unwrap();
    let tensor = expansion_with(&model, &Truth::Cloud(&truth), RouteChoice::Tensor).unwrap();
    assert_same(&gram, &tensor, 1e-10);
}

#[test]
fn affine_invariance_of_parts() {
    let (u, w) = random_cloud(3, 60, 4);
    let (data, _) = random_cloud(4, 45, 4);
    let mut rng = stream(5, "map");
    let noise = normal_mat(&mut rng, 4, 4, 0.3);
    let c = Mat::from_fn(4, 4, |i, j| noise[(i, j)] + if i == j { 1.0 } else { 0.0 });
    let shift = [0.5, -1.0, 2.0, 0.25];

    let run = |u: &Mat<f64>, data: &Mat<f64>| {
        let model = ModelCumulants::Cloud(Cloud::weighted(u.as_ref(), w.clone()).unwrap());
        expansion(&model, &Truth::Cloud(&Cloud::from_data(data.as_ref()))).unwrap()
    };
    let before = run(&u, &data);
    let after = run(&affine(&u, &c, &shift), &affine(&data, &c, &shift));
    assert_same(&before, &after, 1e-9);
}

#[test]
fn misspecified_equals_model_on_model_cloud() {
    let (u, w) = random_cloud(6, 40, 3);
    let cloud = Cloud::weighted(u.as_ref(), w).unwrap();
    let model = ModelCumulants::Cloud(cloud.clone());
    let mis = expansion(&model, &Truth::Cloud(&cloud)).unwrap();
    let same = expansion(&model, &Truth::SameAsModel).unwrap();
    assert_same(&mis, &same, 1e-12);
    let emp = empirical_cloud(&cloud).unwrap();
    assert_rel(emp.a2, same.a2, 1e-10, "empirical on the exact model");
}

#[test]
fn one_dim_cloud_matches_analytic() {
    // Bernoulli(0.3) as a two-point cloud against the 1-D formulas.
    let mu: f64 = 0.3;
    let t = Mat::from_fn(2, 1, |s, _| s as f64);
    let cloud = Cloud::weighted(t.as_ref(), vec![1.0 - mu, mu]).unwrap();
    let k2 = mu * (1.0 - mu);
    let analytic = ModelCumulants::Analytic1D {
        k2,
        k3: k2 * (1.0 - 2.0 * mu),
        k4: k2 * (1.0 - 6.0 * k2),
    };
    let a = expansion(&analytic, &Truth::SameAsModel).unwrap();
    let b = expansion(&ModelCumulants::Cloud(cloud), &Truth::SameAsModel).unwrap();
    assert_same(&a, &b, 1e-12);
}

#[test]
fn gaussian_route_matches_affine_copy() {
    // Misspecified MVN: the Gaussian route on whitened data equals the same
    // data after an invertible affine map of x (whitening removes it).
    let mut rng = stream(7, "mvn");
    let base = normal_mat(&mut rng, 300, 3, 1.0);
    let x = Mat::from_fn(300, 3, |i, j| base[(i, j)] + 0.3 * base[(i, j)].powi(2));
    let c = Mat::from_fn(3, 3, |i, j| if i == j { 2.0 } else { 0.3 * (i + j) as f64 });
    let y = affine(&x, &c, &[1.0, -2.0, 3.0]);
    let family = pncrit::family::Mvn::default();
    let a =
        pncrit::family::analyze(&family, x.as_ref(), pncrit::family::Mode::Misspecified).unwrap();
    let b =
        pncrit::family::analyze(&family, y.as_ref(), pncrit::family::Mode::Misspecified).unwrap();
    assert_same(&a.expansion, &b.expansion, 1e-9);
}

#[test]
fn mvn_gaussian_data_near_model_values() {
    // Data drawn from the model: the misspecified estimates approach p/2 and the closed-form a2.
    let mut rng = stream(8, "mvn-gram");
    let x = normal_mat(&mut rng, 2000, 2, 1.0);
    let family = pncrit::family::Mvn::default();
    let mis =
        pncrit::family::analyze(&family, x.as_ref(), pncrit::family::Mode::Misspecified).unwrap();
    assert!(
        (mis.expansion.a1 - 2.5).abs() < 0.3,
        "a1 = {}",
        mis.expansion.a1
    );
    assert!(
        (mis.expansion.a2 - 203.0 / 12.0).abs() < 8.0,
        "a2 = {}",
        mis.expansion.a2
    );
}

#[test]
fn newton_reports_boundary() {
    // Ising d = 3 where x1 = x2 = 1 never occurs: t̄_12 = 0 lies on a face.
    let rows = [
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 1.0],
        [1.0, 0.0, 1.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0],
    ];
    let x = Mat::from_fn(rows.len(), 3, |i, j| rows[i][j]);
    let family =
        pncrit::family::LogLinear::exact(2, pncrit::fit::FitOptions::default().check().unwrap())
            .unwrap();
    let err = pncrit::family::analyze(&family, x.as_ref(), pncrit::family::Mode::Misspecified)
        .unwrap_err();
    assert!(matches!(err, pncrit::Error::MleBoundary { .. }), "{err}");
}

/// Returns the 5-node Gauss–Hermite rule for N(0, 1) (exact to degree 9), by Golub–Welsch.
fn gauss_hermite5() -> (Vec<f64>, Vec<f64>) {
    let jacobi = Mat::from_fn(5, 5, |i, j| {
        if i.abs_diff(j) == 1 {
            (i.max(j) as f64).sqrt()
        } else {
            0.0
        }
    });
    let (nodes, vectors) = pncrit::linalg::sym_eigen(jacobi.as_ref()).unwrap();
    let weights = (0..5).map(|k| vectors[(0, k)].powi(2)).collect();
    (nodes, weights)
}

/// N(0, I_d) as an exact product-quadrature cloud of t(z) (moments up to degree 9 per axis).
fn gaussian_cloud(d: usize) -> Cloud {
    let (nodes, weights) = gauss_hermite5();
    let m = 5usize.pow(d as u32);
    let p = pncrit::gaussian::stat_dim(d);
    let mut t = Mat::<f64>::zeros(m, p);
    let mut w = vec![1.0; m];
    let mut row = vec![0.0; p];
    for s in 0..m {
        let digits: Vec<usize> = (0..d).map(|j| (s / 5usize.pow(j as u32)) % 5).collect();
        let z: Vec<f64> = digits.iter().map(|&k| nodes[k]).collect();
        w[s] = digits.iter().map(|&k| weights[k]).product();
        pncrit::gaussian::stats(&z, &mut row);
        for a in 0..p {
            t[(s, a)] = row[a];
        }
    }
    let total: f64 = w.iter().sum();
    Cloud::weighted(t.as_ref(), w.iter().map(|x| x / total).collect()).unwrap()
}

#[test]
fn gaussian_route_equals_quadrature_cloud() {
    for d in 1..=3 {
        let cloud = gaussian_cloud(d);
        let analytic = expansion(&ModelCumulants::Gaussian { d }, &Truth::SameAsModel).unwrap();
        let numeric =
            expansion(&ModelCumulants::Cloud(cloud.clone()), &Truth::SameAsModel).unwrap();
        assert_same(&analytic, &numeric, 1e-9);

        // Misspecified: a skewed truth cloud of t(z) (data from a non-Gaussian law).
        let mut rng = stream(10 + d as u64, "truth");
        let base = normal_mat(&mut rng, 80, d, 1.0);
        let p = pncrit::gaussian::stat_dim(d);
        let mut t = Mat::<f64>::zeros(80, p);
        let mut row = vec![0.0; p];
        for i in 0..80 {
            let z: Vec<f64> = (0..d)
                .map(|j| base[(i, j)] + 0.3 * base[(i, j)].powi(2))
                .collect();
            pncrit::gaussian::stats(&z, &mut row);
            for a in 0..p {
                t[(i, a)] = row[a];
            }
        }
        let truth = Cloud::from_data(t.as_ref());
        let analytic = expansion(&ModelCumulants::Gaussian { d }, &Truth::Cloud(&truth)).unwrap();
        let numeric = expansion(&ModelCumulants::Cloud(cloud), &Truth::Cloud(&truth)).unwrap();
        assert_same(&analytic, &numeric, 1e-9);
    }
}

#[test]
fn q_identity_equals_explicit_psi4() {
    let (u, w) = random_cloud(11, 30, 3);
    let (data, _) = random_cloud(12, 25, 3);
    let model = Cloud::weighted(u.as_ref(), w.clone()).unwrap();
    let truth = Cloud::from_data(data.as_ref());
    let e = expansion(&ModelCumulants::Cloud(model.clone()), &Truth::Cloud(&truth)).unwrap();

    // Explicit route: G, A = G⁻¹, S = A K₂ A, Ψ₄ = E u⁴ − three pairings of G.
    let g = model.covariance();
    let a = invert3(&g);
    let k2 = truth.covariance();
    let s = pncrit::linalg::mul(
        pncrit::linalg::mul(a.as_ref(), k2.as_ref()).as_ref(),
        a.as_ref(),
    );
    let pts = &model.points;
    let mut q = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                for l in 0..3 {
                    let moment: f64 = (0..pts.nrows())
                        .map(|r| w[r] * pts[(r, i)] * pts[(r, j)] * pts[(r, k)] * pts[(r, l)])
                        .sum();
                    let psi4 = moment
                        - g[(i, j)] * g[(k, l)]
                        - g[(i, k)] * g[(j, l)]
                        - g[(i, l)] * g[(j, k)];
                    q += psi4 * s[(i, j)] * s[(k, l)];
                }
            }
        }
    }
    assert_rel(e.parts.q, q, 1e-10, "Q");
}

/// Inverts a 3 × 3 matrix by cofactors.
fn invert3(m: &Mat<f64>) -> Mat<f64> {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[(r0, c0)] * m[(r1, c1)] - m[(r0, c1)] * m[(r1, c0)]
    };
    let det: f64 = (0..3).map(|j| m[(0, j)] * c(0, j)).sum();
    Mat::from_fn(3, 3, |i, j| c(j, i) / det)
}
