//! Regression values on the wine and abalone files (MVN in three modes, the
//! nested wine-red table, the Ising fit, decisions and the dominated flag).

mod common;

use common::{assert_rel, data_dir, golden, num};
use faer::Mat;
use pncrit::criterion::{Flag, Order, decide};
use pncrit::family::{Analysis, LogLinear, Mode, Mvn, analyze};
use pncrit::fit::FitOptions;
use pncrit::io::{ColumnSpec, binarize_median, read_table};

struct File {
    key: &'static str,
    name: &'static str,
    skip: usize,
    cols: &'static str,
}

const FILES: [File; 3] = [
    File {
        key: "wine_red",
        name: "winequality-red.csv",
        skip: 3,
        cols: "1-11",
    },
    File {
        key: "wine_white",
        name: "winequality-white.tab",
        skip: 3,
        cols: "1-11",
    },
    File {
        key: "abalone",
        name: "abalone.data",
        skip: 1,
        cols: "2-9",
    },
];

fn load(file: &File, cols: &str) -> Option<Mat<f64>> {
    let dir = data_dir()?;
    let spec = ColumnSpec::parse(cols).unwrap();
    Some(
        read_table(&dir.join(file.name), file.skip, Some(&spec))
            .unwrap()
            .x,
    )
}

fn mvn(x: &Mat<f64>, mode: Mode) -> Analysis {
    analyze(&Mvn::default(), x.as_ref(), mode).unwrap()
}

#[test]
fn column_means_match() {
    let Some(g) = golden("real_data.json") else {
        return;
    };
    let keys = [
        ("wine_red_all_12", 0, "1-12"),
        ("wine_white_all_12", 1, "1-12"),
        ("abalone_numeric_8", 2, "2-9"),
    ];
    for (key, file, cols) in keys {
        let Some(x) = load(&FILES[file], cols) else {
            return;
        };
        for (j, expected) in g["data_check_column_means"][key]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let mean = (0..x.nrows()).map(|i| x[(i, j)]).sum::<f64>() / x.nrows() as f64;
            assert_rel(mean, num(expected), 1e-9, key);
        }
    }
}

#[test]
fn mvn_three_files_three_modes() {
    let Some(g) = golden("real_data.json") else {
        return;
    };
    for file in &FILES {
        let Some(x) = load(file, file.cols) else {
            return;
        };
        for mode in [Mode::Model, Mode::Misspecified, Mode::Empirical] {
            let gold = &g["mvn"][file.key][mode.name()];
            let a = mvn(&x, mode);
            let what = format!("{} {}", file.key, mode.name());
            assert_rel(
                a.expansion.a1,
                num(&gold["a1"]),
                1e-8,
                &format!("{what} a1"),
            );
            assert_rel(
                a.expansion.a2,
                num(&gold["a2"]),
                1e-6,
                &format!("{what} a2"),
            );
            let parts = &gold["parts"];
            let pairs = if mode == Mode::Empirical {
                [
                    ("gamma_F", a.expansion.parts.f),
                    ("gamma_P", a.expansion.parts.p),
                    ("rho4", a.expansion.parts.q),
                    ("gamma_F", a.expansion.parts.t),
                ]
            } else {
                [
                    ("T", a.expansion.parts.t),
                    ("F", a.expansion.parts.f),
                    ("P", a.expansion.parts.p),
                    ("Q", a.expansion.parts.q),
                ]
            };
            for (name, value) in pairs {
                assert_rel(value, num(&parts[name]), 1e-6, &format!("{what} {name}"));
            }
            let v = decide(&a.expansion, a.n, 0.02, Order::Second);
            assert_rel(v.r1, num(&gold["R1"]), 1e-7, &format!("{what} R1"));
            assert_rel(v.r2, num(&gold["R2"]), 1e-7, &format!("{what} R2"));
            assert_rel(
                v.n_min_root,
                num(&gold["n_min"]["0.02"]),
                1e-6,
                &format!("{what} n_min"),
            );
            let expected_accept = g["decisions_at_r_0_02"][file.key][mode.name()]
                .as_str()
                .unwrap()
                .starts_with("accept");
            assert_eq!(v.accept, expected_accept, "{what} decision");
        }
    }
}

#[test]
fn dominated_flag_on_outlier_files() {
    for (file, expected) in FILES.iter().zip([false, true, true]) {
        let Some(x) = load(file, file.cols) else {
            return;
        };
        let a = mvn(&x, Mode::Misspecified);
        let v = decide(&a.expansion, a.n, 0.02, Order::Second);
        assert_eq!(
            v.flags.contains(&Flag::Dominated),
            expected,
            "{}: share {}",
            file.key,
            a.expansion.shares_max
        );
    }
}

#[test]
fn nested_wine_red_p_max() {
    let Some(g) = golden("real_data.json") else {
        return;
    };
    let Some(x) = load(&FILES[0], "1-11") else {
        return;
    };
    let rows = g["wine_red_nested_prefix"]["rows"].as_array().unwrap();
    let mut accepted = [Vec::new(), Vec::new()];
    for (d, gold) in (1..=11).zip(rows) {
        let sub = x.as_ref().subcols(0, d).to_owned();
        let model = mvn(&sub, Mode::Model);
        let mis = mvn(&sub, Mode::Misspecified);
        let emp = mvn(&sub, Mode::Empirical);
        assert_rel(model.expansion.a2, num(&gold["a2_model"]), 1e-9, "a2 model");
        assert_rel(mis.expansion.a1, num(&gold["a1_mis"]), 1e-8, "a1 mis");
        assert_rel(mis.expansion.a2, num(&gold["a2_mis"]), 1e-6, "a2 mis");
        assert_rel(emp.expansion.a2, num(&gold["a2_emp"]), 1e-6, "a2 emp");
        for (k, a) in [model, mis].iter().enumerate() {
            accepted[k].push((a.p, decide(&a.expansion, a.n, 0.02, Order::Second).accept));
        }
    }
    let (p_model, _) = pncrit::criterion::p_max(&accepted[0]);
    let (p_mis, _) = pncrit::criterion::p_max(&accepted[1]);
    assert_eq!(p_model, Some(pncrit::gaussian::stat_dim(9)));
    assert_eq!(p_mis, Some(pncrit::gaussian::stat_dim(5)));
}

#[test]
fn ising_wine_red_fit_and_expansion() {
    let Some(g) = golden("real_data.json") else {
        return;
    };
    let Some(x) = load(&FILES[0], "1-11") else {
        return;
    };
    let gold = &g["ising_wine_red"];
    let (b, medians) = binarize_median(x.as_ref());
    for (m, expected) in medians.iter().zip(gold["medians"].as_array().unwrap()) {
        assert_eq!(*m, num(expected));
    }
    let family = LogLinear::exact(2, FitOptions::default().check().unwrap()).unwrap();
    let mis = analyze(&family, b.as_ref(), Mode::Misspecified).unwrap();
    let fit = mis.fit.as_ref().unwrap();
    for (t, expected) in fit.theta.iter().zip(gold["theta_hat"].as_array().unwrap()) {
        assert!((t - num(expected)).abs() < 1e-8, "theta {t} vs {expected}");
    }
    assert!(
        (fit.loglik - num(&gold["loglik_per_obs"])).abs() < 1e-10,
        "loglik {}",
        fit.loglik
    );
    assert_rel(mis.expansion.a1, 33.08475446, 1e-9, "Ising a1");
    assert_rel(mis.expansion.a2, 762.5637632, 1e-9, "Ising a2");
    let model = analyze(&family, b.as_ref(), Mode::Model).unwrap();
    assert_rel(
        model.expansion.a2,
        num(&gold["model"]["a2"]),
        1e-6,
        "Ising model a2",
    );
    let emp = analyze(&family, b.as_ref(), Mode::Empirical).unwrap();
    assert_rel(
        emp.expansion.a2,
        num(&gold["empirical"]["a2"]),
        1e-6,
        "Ising empirical a2",
    );
}

#[test]
fn bootstrap_spread_abalone_and_red() {
    let Some(red) = load(&FILES[0], FILES[0].cols) else {
        return;
    };
    let Some(abalone) = load(&FILES[2], FILES[2].cols) else {
        return;
    };
    let red_spread = pncrit::bootstrap::bootstrap_a1(&Mvn::default(), red.as_ref(), 40, 0).unwrap();
    let abalone_spread =
        pncrit::bootstrap::bootstrap_a1(&Mvn::default(), abalone.as_ref(), 40, 0).unwrap();
    assert!(red_spread.cv() < 0.1, "red {red_spread:?}");
    assert!(abalone_spread.cv() > 0.2, "abalone {abalone_spread:?}");
}
