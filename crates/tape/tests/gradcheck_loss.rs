//! Finite-difference checks of the fused losses.

mod common;

use common::{assert_gradcheck, stream, uniform};
use faer::Mat;
use tape::{ParamStore, rng};

const LABELS: [usize; 6] = [0, 2, 1, 3, 3, 0];

fn logits_store(key: &str) -> (ParamStore, tape::ParamId) {
    let mut store = ParamStore::new();
    let mut z = uniform(6, 4, key);
    for (i, &y) in LABELS.iter().enumerate() {
        z[(i, y)] += 0.5;
    }
    let id = store.add("z", z).unwrap();
    (store, id)
}

#[test]
fn cross_entropy_gradient() {
    let (store, iz) = logits_store("ce");
    assert_gradcheck(&store, |t, s| {
        let z = t.param(s, iz);
        Ok(t.cross_entropy(z, &LABELS))
    });
}

#[test]
fn xent_offset_temperature_gradient() {
    let (store, iz) = logits_store("xent");
    assert_gradcheck(&store, |t, s| {
        let z = t.param(s, iz);
        Ok(t.xent(z, &LABELS, 2.121_320_343_559_643, 0.25))
    });
}

/// Logits whose hinge terms μ − z_y + z_j all lie at least 0.05 away from 0,
/// so the loss is differentiable there.
fn margin_logits(margin: f64) -> Mat<f64> {
    let mut r = stream("margin/z");
    loop {
        let z = rng::uniform_mat(&mut r, 6, 4, -1.0, 1.0);
        let clear = LABELS.iter().enumerate().all(|(i, &y)| {
            (0..4)
                .filter(|&j| j != y)
                .all(|j| (margin - z[(i, y)] + z[(i, j)]).abs() > 0.05)
        });
        if clear {
            return z;
        }
    }
}

#[test]
fn multi_margin_gradient() {
    let margin = 0.7;
    let mut store = ParamStore::new();
    let iz = store.add("z", margin_logits(margin)).unwrap();
    assert_gradcheck(&store, |t, s| {
        let z = t.param(s, iz);
        let loss = t.multi_margin(z, &LABELS, margin);
        // Some hinges are active and some are not, so the loss must be positive.
        assert!(t.scalar_value(loss) > 0.0);
        Ok(loss)
    });
}
