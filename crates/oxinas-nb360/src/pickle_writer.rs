//! Writes pickles as Python and NumPy do, for tests and fixtures (to be written).
