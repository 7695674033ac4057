//! rebasin (work in progress).
