//! The published metrics of the ten tasks (to be written).
