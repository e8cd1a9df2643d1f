//! The `model` layer (under construction).
