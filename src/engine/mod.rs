//! The `engine` layer (under construction).
