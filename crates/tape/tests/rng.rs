//! Keyed random streams: determinism, independence and sampler ranges.

use rand::Rng;
use tape::rng;

fn first_outputs(seed: u64, key: &str, count: usize) -> Vec<u64> {
    let mut r = rng::stream(seed, key);
    (0..count).map(|_| r.next_u64()).collect()
}

#[test]
fn same_seed_and_key_same_stream() {
    assert_eq!(first_outputs(42, "init", 64), first_outputs(42, "init", 64));
}

#[test]
fn different_key_or_seed_different_stream() {
    let base = first_outputs(42, "init", 8);
    assert_ne!(base, first_outputs(42, "shuffle", 8));
    assert_ne!(base, first_outputs(43, "init", 8));
    assert_ne!(base, first_outputs(42, "init2", 8));
}

#[test]
fn hash_functions_match_reference_values() {
    // FNV-1a 64: offset basis for the empty input, published test vector for "a".
    assert_eq!(rng::fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(rng::fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    // First output of the SplitMix64 generator seeded with 0.
    assert_eq!(rng::splitmix64(0), 0xe220_a839_7b1d_cdaf);
}

#[test]
fn stream_is_seeded_as_documented() {
    use rand::SeedableRng;
    let seed = 7u64;
    let key = "fold3/pgd";
    let mut expected = rand_chacha::ChaCha8Rng::seed_from_u64(rng::splitmix64(
        seed ^ rng::fnv1a64(key.as_bytes()),
    ));
    let mut actual = rng::stream(seed, key);
    for _ in 0..16 {
        assert_eq!(actual.next_u64(), expected.next_u64());
    }
}

#[test]
fn uniform_stays_in_range() {
    let mut r = rng::stream(1, "uniform");
    let mut lowest = f64::INFINITY;
    let mut highest = f64::NEG_INFINITY;
    for _ in 0..10_000 {
        let x = rng::uniform(&mut r, -2.0, 3.0);
        assert!((-2.0..3.0).contains(&x), "{x} outside [-2, 3)");
        lowest = lowest.min(x);
        highest = highest.max(x);
    }
    assert!(
        lowest < -1.99 && highest > 2.99,
        "range not covered: {lowest}..{highest}"
    );
}

#[test]
fn normal_has_unit_moments() {
    let mut r = rng::stream(2, "normal");
    let n = 200_000;
    let samples: Vec<f64> = (0..n).map(|_| rng::standard_normal(&mut r)).collect();
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // Standard errors: 1/√n ≈ 0.0022 for the mean and √(2/n) ≈ 0.0032 for the variance.
    assert!(mean.abs() < 0.01, "mean {mean}");
    assert!((var - 1.0).abs() < 0.015, "variance {var}");
    assert!(samples.iter().all(|x| x.is_finite()));
}

#[test]
fn normal_mat_is_deterministic_and_scaled() {
    let a = rng::normal_mat(&mut rng::stream(3, "w"), 4, 5, 0.5);
    let b = rng::normal_mat(&mut rng::stream(3, "w"), 4, 5, 0.5);
    let c = rng::normal_mat(&mut rng::stream(3, "v"), 4, 5, 0.5);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Row-major fill: entry (0, 1) is the second draw.
    let mut r = rng::stream(3, "w");
    let _ = rng::standard_normal(&mut r);
    assert_eq!(a[(0, 1)], 0.5 * rng::standard_normal(&mut r));
}

#[test]
fn uniform_mat_range_and_shape() {
    let m = rng::uniform_mat(&mut rng::stream(4, "u"), 3, 7, 0.25, 0.5);
    assert_eq!(m.shape(), (3, 7));
    for j in 0..7 {
        for i in 0..3 {
            assert!((0.25..0.5).contains(&m[(i, j)]));
        }
    }
}

#[test]
fn shuffle_is_a_deterministic_permutation() {
    let mut a: Vec<usize> = (0..100).collect();
    let mut b = a.clone();
    rng::shuffle(&mut rng::stream(5, "shuffle"), &mut a);
    rng::shuffle(&mut rng::stream(5, "shuffle"), &mut b);
    assert_eq!(a, b);
    assert_ne!(a, (0..100).collect::<Vec<_>>());
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
}

#[test]
fn below_covers_range_evenly() {
    let mut r = rng::stream(6, "below");
    let mut counts = [0usize; 5];
    for _ in 0..50_000 {
        counts[rng::below(&mut r, 5)] += 1;
    }
    // Expected 10 000 each, standard deviation about 89.
    for (k, &c) in counts.iter().enumerate() {
        assert!((9_500..10_500).contains(&c), "value {k} drawn {c} times");
    }
}
