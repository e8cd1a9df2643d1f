//! The `host` layer (under construction).
