//! pncrit (work in progress).
