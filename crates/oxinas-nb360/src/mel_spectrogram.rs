//! Log-mel spectrograms as the FSD50K pipeline computes them (to be written).
