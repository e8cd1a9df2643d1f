//! The `replay` layer (under construction).
