//! sparsereg (work in progress).
