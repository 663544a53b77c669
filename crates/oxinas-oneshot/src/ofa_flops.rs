//! Multiply-accumulate count of a Once-for-All sub-network, computed from its
//! shape alone (no forward pass), as the paper's FLOPs constraint counts them:
//! convolutions and the classifier; batch norm, activations, pooling and the
//! residual additions are left out.

use oxinas_spaces::{OFA_MAX_DEPTH, OFA_UNITS, OfaArch};
use oxinas_train::ImageShape;

use crate::ofa_settings::OfaNetworkSettings;

/// Side of a convolution's output: `kernel / 2` padding, so for odd kernels
/// the size depends only on the stride.
fn output_side(side: usize, kernel: usize, stride: usize) -> usize {
    (side + 2 * (kernel / 2)).saturating_sub(kernel) / stride.max(1) + 1
}

/// Multiply-accumulates of sub-network `arch` of the supernet shaped by
/// `network`, for images of `image` and `classes` classes.
pub fn ofa_macs(
    network: &OfaNetworkSettings,
    image: ImageShape,
    classes: usize,
    arch: &OfaArch,
) -> u64 {
    let mut h = output_side(image.height, 3, network.stem_stride);
    let mut w = output_side(image.width, 3, network.stem_stride);
    let mut macs = (image.channels * network.stem_channels * 9 * h * w) as u64;
    let mut channels = network.stem_channels;
    // Written with `get` so that settings or an architecture of the wrong
    // length count what they hold instead of panicking.
    let units = network
        .unit_widths
        .iter()
        .zip(&network.unit_strides)
        .take(OFA_UNITS);
    for (unit, (&width, &unit_stride)) in units.enumerate() {
        let depth = arch.d.get(unit).map_or(0, |&d| usize::from(d));
        for slot in 0..depth.min(OFA_MAX_DEPTH) {
            let layer = unit * OFA_MAX_DEPTH + slot;
            let (Some(&kernel), Some(&expansion)) = (arch.ks.get(layer), arch.e.get(layer)) else {
                continue;
            };
            let stride = if slot == 0 { unit_stride } else { 1 };
            let kernel = usize::from(kernel);
            let hidden = channels * usize::from(expansion);
            let expand = channels * hidden * h * w;
            h = output_side(h, kernel, stride);
            w = output_side(w, kernel, stride);
            let depthwise = hidden * kernel * kernel * h * w;
            let project = hidden * width * h * w;
            macs += (expand + depthwise + project) as u64;
            channels = width;
        }
    }
    macs + (channels * classes) as u64
}

/// [`ofa_macs`] in millions.
pub fn ofa_mflops(
    network: &OfaNetworkSettings,
    image: ImageShape,
    classes: usize,
    arch: &OfaArch,
) -> f64 {
    ofa_macs(network, image, classes, arch) as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ofa_supernet::{largest_arch, smallest_arch};

    fn network() -> OfaNetworkSettings {
        OfaNetworkSettings {
            stem_channels: 2,
            stem_stride: 1,
            unit_widths: vec![2, 3, 3, 4, 4],
            unit_strides: vec![1, 2, 1, 2, 1],
        }
    }

    const IMAGE: ImageShape = ImageShape {
        channels: 1,
        height: 4,
        width: 4,
    };

    #[test]
    fn smallest_sub_network_counted_by_hand() {
        // stem 1*2*9*16 = 288; unit 0 (2->2, 4x4, hidden 6): 2 x (192 + 864 + 192);
        // unit 1: (2->3, 4x4 -> 2x2) 192 + 216 + 72, then (hidden 9, 2x2) 108 + 324 + 108;
        // unit 2: 2 x 540; unit 3: (3->4, 2x2 -> 1x1) 108 + 81 + 36, then (hidden 12) 48 + 108 + 48;
        // unit 4: 2 x 204; classifier 4 * 10.
        let expected = 288 + 2 * 1248 + 480 + 540 + 2 * 540 + 225 + 204 + 2 * 204 + 40;
        assert_eq!(ofa_macs(&network(), IMAGE, 10, &smallest_arch()), expected);
    }

    #[test]
    fn one_changed_layer_changes_the_count_by_its_own_terms() {
        // Layer 0 from kernel 3, expansion 3 to kernel 7, expansion 6 (hidden 12, 4x4):
        // expand 2*12*16, depthwise 12*49*16, project 12*2*16 instead of 1248.
        let mut arch = smallest_arch();
        arch.ks[0] = 7;
        arch.e[0] = 6;
        let base = ofa_macs(&network(), IMAGE, 10, &smallest_arch());
        let changed = ofa_macs(&network(), IMAGE, 10, &arch);
        assert_eq!(changed - base, (384 + 9408 + 384) - 1248);
        // Unused layer slots do not count.
        let mut unused = smallest_arch();
        unused.ks[3] = 7;
        assert_eq!(ofa_macs(&network(), IMAGE, 10, &unused), base);
        assert!(ofa_macs(&network(), IMAGE, 10, &largest_arch()) > changed);
    }
}
