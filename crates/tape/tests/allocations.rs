//! Heap allocations of a repeated training step stay constant, which shows that
//! `Tape::reset` reuses node and adjoint buffers and that the buffer pool does
//! not grow when fresh constants enter every step.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::uniform;
use tape::{Adam, AdamConfig, Gram, Optimizer, ParamStore, Side, Tape, Trans, Uplo};

/// System allocator that counts allocation calls.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` and `layout` come from this allocator, which forwards to `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn training_step_allocations_are_constant() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(8, 5, "alloc/w")).unwrap();
    let ib = store.add("b", uniform(1, 8, "alloc/b")).unwrap();
    let x_batch = uniform(16, 5, "alloc/x");
    let labels: Vec<usize> = (0..16).map(|i| i % 3).collect();
    let mut adam = Adam::new(AdamConfig::default());
    let mut tape = Tape::new();
    let mut counts = Vec::new();

    for _ in 0..12 {
        let before = ALLOCATIONS.load(Ordering::Relaxed);

        tape.reset();
        let x = tape.constant(x_batch.clone());
        let w = tape.param(&store, iw);
        let b = tape.param(&store, ib);
        // Contraction Ŵ = W·P⁻ᵀ with PPᵀ = WᵀW + I, then a dense layer and a loss.
        let g = tape.gram(w, Gram::AtA);
        let a = tape.add_diag_const(g, 1.0);
        let p = tape.cholesky(a).unwrap();
        let wh = tape.solve_tri(p, w, Side::Right, Uplo::Lower, Trans::Yes);
        let z = tape.matmul(x, Trans::No, wh, Trans::Yes);
        let z = tape.add_bias(z, b);
        let z = tape.relu(z);
        let logits = tape.col_slice(z, 0, 3);
        let loss = tape.cross_entropy(logits, &labels);

        let grads = tape.backward(loss);
        adam.step(&mut store, &grads);
        tape.recycle(grads);
        counts.push(ALLOCATIONS.load(Ordering::Relaxed) - before);
    }

    let steady = &counts[3..];
    assert!(
        steady.iter().all(|&c| c == steady[0]),
        "allocations per step vary: {counts:?}"
    );
    // Once the pool is warm, only three allocations remain: the input clone, the
    // row buffer of the loss and the gradient list.
    assert!(steady[0] <= 3, "too many allocations per step: {counts:?}");
    assert!(
        counts[0] > steady[0],
        "the first step should allocate the buffers: {counts:?}"
    );
}
