//! Pickle decoder for the NumPy-holding pickles the benchmark publishes (to be written).
