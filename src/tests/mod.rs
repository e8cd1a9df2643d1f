//! Tests that need the whole crate: a lower layer's behaviour checked
//! through a `Host` (and the sinks above it). They live here, at the top,
//! so that no layer imports a layer above it, not even in its tests
//! (ARCHITECTURE.md).

mod ct_helper;
mod ct_timeout;
mod eval_headers;
mod eval_matches;
