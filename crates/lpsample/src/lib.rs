//! lpsample (work in progress).
