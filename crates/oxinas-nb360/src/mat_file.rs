//! MATLAB level-5 MAT-file reading and writing (to be written).
