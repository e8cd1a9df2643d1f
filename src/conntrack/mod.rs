//! The `conntrack` layer (under construction).
