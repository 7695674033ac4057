//! The language-model head shared by the causal architectures: logits =
//! states · Wᵀ with W the `[vocab, d]` head matrix, and the mean next-token
//! negative log-likelihood over one text.
//!
//! For ids t₀ … t_{N−1} and final states h₀ … h_{N−1} (after the final norm),
//! loss = (1 / (N − 1)) Σ_{i<N−1} −log softmax(W hᵢ)[t_{i+1}], in nats. The
//! logits are computed in f32 chunks, and the log-sum-exp in f64. Example: a
//! head that gives every token the same logit has loss ln(vocab).

use candle_core::{Device, Tensor};

use crate::Error;

/// Rows of logits computed at once, which bounds memory to 128 × vocab f32.
const ROWS_PER_CHUNK: usize = 128;

/// Computes the mean next-token negative log-likelihood in nats of `ids` from
/// their `final_states` (row-major, N × d) through `head` (`[vocab, d]`, f32).
/// Returns `Ok(None)` for N < 2, where nothing is predicted.
///
/// # Errors
/// [`Error::Forward`] when `final_states` is not N × d, an id is not below
/// the head's vocabulary size, or the matmul fails.
pub fn mean_next_token_nll(
    head: &Tensor,
    ids: &[u32],
    final_states: &[f32],
) -> Result<Option<f64>, Error> {
    let n = ids.len();
    if n < 2 {
        return Ok(None);
    }
    let (vocab, d) = head.dims2().map_err(forward_error)?;
    check_inputs(ids, final_states, vocab, d)?;

    let states = Tensor::from_slice(&final_states[..(n - 1) * d], (n - 1, d), &Device::Cpu)
        .map_err(forward_error)?;
    let head_t = head.t().map_err(forward_error)?;
    let mut total = 0.0f64;
    for start in (0..n - 1).step_by(ROWS_PER_CHUNK) {
        let rows = ROWS_PER_CHUNK.min(n - 1 - start);
        let logits: Vec<Vec<f32>> = states
            .narrow(0, start, rows)
            .and_then(|chunk| chunk.matmul(&head_t))
            .and_then(|logits| logits.to_vec2())
            .map_err(forward_error)?;
        for (offset, row) in logits.iter().enumerate() {
            total += negative_log_softmax(row, ids[start + offset + 1] as usize);
        }
    }
    Ok(Some(total / (n - 1) as f64))
}

fn check_inputs(ids: &[u32], final_states: &[f32], vocab: usize, d: usize) -> Result<(), Error> {
    let n = ids.len();
    if final_states.len() != n * d {
        return Err(Error::Forward(format!(
            "{} final-state values for {n} tokens of width {d}; expected {}",
            final_states.len(),
            n * d
        )));
    }
    if let Some(&id) = ids.iter().find(|&&id| id as usize >= vocab) {
        return Err(Error::Forward(format!(
            "token id {id} is not below the LM head's vocabulary size {vocab}"
        )));
    }
    Ok(())
}

/// Returns −log softmax(logits)[target], computed in f64.
pub fn negative_log_softmax(logits: &[f32], target: usize) -> f64 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = logits.iter().map(|&z| (z as f64 - max).exp()).sum();
    max + sum.ln() - logits[target] as f64
}

fn forward_error(error: candle_core::Error) -> Error {
    Error::Forward(super::candle_message(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_head_gives_ln_vocab() {
        let head = Tensor::zeros((5, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        let states = vec![0.5f32; 4 * 3];
        let loss = mean_next_token_nll(&head, &[0, 1, 2, 3], &states)
            .unwrap()
            .unwrap();
        assert!((loss - 5f64.ln()).abs() < 1e-12, "loss {loss}");
    }

    #[test]
    fn single_token_has_no_loss() {
        let head = Tensor::zeros((5, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        let loss = mean_next_token_nll(&head, &[1], &[0.0; 3]).unwrap();
        assert_eq!(loss, None);
    }

    #[test]
    fn id_beyond_head_is_error() {
        let head = Tensor::zeros((5, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        let result = mean_next_token_nll(&head, &[1, 7], &[0.0; 6]);
        assert!(matches!(result, Err(Error::Forward(_))));
    }
}
