//! Times the Gram + Cholesky + triangular-solve chain Ŵ = W·P⁻ᵀ, P = chol(WᵀW + I),
//! for an n × n weight: plain faer calls, the same chain recorded on a tape, and
//! the tape with a backward pass. Prints the minimum time per run in µs, which
//! is the least disturbed by other processes on a shared machine.
//!
//! Run with `cargo bench -p tape --bench chain`. Everything is single-threaded.

use std::hint::black_box;
use std::time::Instant;

use faer::linalg::cholesky::llt::factor::{
    LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Accum, Mat, Par};
use tape::{Gram, ParamStore, Side, Tape, Trans, Uplo, rng};

/// Returns the minimum of `reps` timings of `f`, in microseconds, after warm-up.
fn min_us(reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..reps / 10 + 1 {
        f();
    }
    let times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.into_iter().fold(f64::INFINITY, f64::min)
}

/// The chain with direct faer calls and preallocated buffers.
struct Raw {
    gram: Mat<f64>,
    out: Mat<f64>,
    scratch: faer::dyn_stack::MemBuffer,
}

impl Raw {
    fn new(n: usize) -> Self {
        let req = cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default());
        Self {
            gram: Mat::zeros(n, n),
            out: Mat::zeros(n, n),
            scratch: faer::dyn_stack::MemBuffer::new(req),
        }
    }

    fn run(&mut self, w: &Mat<f64>) {
        let n = w.ncols();
        matmul(
            self.gram.as_mut(),
            Accum::Replace,
            w.transpose(),
            w.as_ref(),
            1.0,
            Par::Seq,
        );
        for i in 0..n {
            self.gram[(i, i)] += 1.0;
        }
        let stack = faer::dyn_stack::MemStack::new(&mut self.scratch);
        cholesky_in_place(
            self.gram.as_mut(),
            LltRegularization::default(),
            Par::Seq,
            stack,
            Default::default(),
        )
        .expect("WᵀW + I is positive definite");
        self.out.copy_from(w);
        // W·P⁻ᵀ = X  ⇔  P·Xᵀ = Wᵀ.
        solve_lower_triangular_in_place(
            self.gram.as_ref(),
            self.out.as_mut().transpose_mut(),
            Par::Seq,
        );
        black_box(&self.out);
    }
}

/// Runs the chain with faer's allocating high-level API.
fn idiomatic(w: &Mat<f64>) {
    let n = w.ncols();
    let mut gram = w.transpose() * w;
    for i in 0..n {
        gram[(i, i)] += 1.0;
    }
    let llt = gram
        .llt(faer::Side::Lower)
        .expect("WᵀW + I is positive definite");
    let p = llt.L().to_owned();
    let mut out = w.transpose().to_owned();
    solve_lower_triangular_in_place(p.as_ref(), out.as_mut(), Par::Seq);
    black_box(out);
}

fn tape_chain(t: &mut Tape, store: &ParamStore, backward: bool) {
    t.reset();
    let id = store.ids().next().expect("one parameter");
    let w = t.param(store, id);
    let g = t.gram(w, Gram::AtA);
    let a = t.add_diag_const(g, 1.0);
    let p = t.cholesky(a).expect("WᵀW + I is positive definite");
    let wh = t.solve_tri(p, w, Side::Right, Uplo::Lower, Trans::Yes);
    if backward {
        let sq = t.square(wh);
        let loss = t.sum(sq);
        let grads = t.backward(loss);
        black_box(grads.get(id));
        t.recycle(grads);
    } else {
        black_box(t.value(wh));
    }
}

fn main() {
    for (n, reps) in [(16, 20_000), (64, 2_000), (256, 60)] {
        let w = rng::normal_mat(
            &mut rng::stream(0, "bench/w"),
            n,
            n,
            1.0 / (n as f64).sqrt(),
        );
        let mut raw = Raw::new(n);
        let raw_us = min_us(reps, || raw.run(&w));
        let idiomatic_us = min_us(reps, || idiomatic(&w));
        let mut store = ParamStore::new();
        store.add("w", w.clone()).expect("fresh store");
        let mut t = Tape::new();
        let fwd_us = min_us(reps, || tape_chain(&mut t, &store, false));
        let both_us = min_us(reps, || tape_chain(&mut t, &store, true));
        println!(
            "n = {n:3}: raw faer {raw_us:8.2} µs, allocating faer {idiomatic_us:8.2} µs | \
             tape forward {fwd_us:8.2} µs ({:.3}× raw) | tape forward+backward {both_us:8.2} µs",
            fwd_us / raw_us
        );
    }
}
