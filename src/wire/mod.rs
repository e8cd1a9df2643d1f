//! The `wire` layer (under construction).
