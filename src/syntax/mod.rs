//! The `syntax` layer (under construction).
