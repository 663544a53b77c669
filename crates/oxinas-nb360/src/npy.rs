//! `.npy` and `.npz` reading and writing (to be written).
