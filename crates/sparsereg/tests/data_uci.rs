//! Optional data test: the spectral design `low-res-spect` of the UCI-121
//! collection (read from `NORMLAB_UCI121`) has worse restricted conditioning
//! than a Gaussian design of the same shape.

use std::path::PathBuf;

use sparsereg::design::Design;
use sparsereg::diagnostic::restricted_conditioning;
use sparsereg::instance::{InstanceSpec, Noise, generate};

fn uci_root() -> Option<PathBuf> {
    let Ok(value) = std::env::var("NORMLAB_UCI121") else {
        println!("skipped: NORMLAB_UCI121 not set");
        return None;
    };
    let path = PathBuf::from(value);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(if path.is_absolute() {
        path
    } else {
        root.join(path)
    })
}

#[test]
fn low_res_spect_is_worse_than_gaussian() {
    let Some(root) = uci_root() else { return };
    let file = root.join("low-res-spect/low-res-spect_R.dat");
    let design = Design::parse(&format!("file:{}", file.display())).unwrap();
    let Design::FromMatrix { x, .. } = &design else {
        panic!("file design expected")
    };
    assert_eq!((x.nrows(), x.ncols()), (531, 100));

    let gauss = generate(&InstanceSpec {
        design: Design::Gauss,
        n: 531,
        d: 100,
        k: 5,
        n_test: 1,
        ..Default::default()
    })
    .unwrap();
    let real = restricted_conditioning(x.as_ref(), 5, 300, 0).unwrap();
    let reference = restricted_conditioning(gauss.x.as_ref(), 5, 300, 0).unwrap();
    assert!(
        real.q05 < reference.q05,
        "low-res-spect q05 {} vs Gaussian {}",
        real.q05,
        reference.q05
    );

    let spec = InstanceSpec {
        design,
        n: 300,
        d: 0,
        k: 5,
        noise: Noise::Snr(3.0),
        n_test: 2000,
        seed: 2,
        ..Default::default()
    };
    let inst = generate(&spec).unwrap();
    assert_eq!(inst.x.nrows(), 300);
    assert_eq!(
        inst.x_test.nrows(),
        231,
        "the rows not used for training form the test design"
    );
}
