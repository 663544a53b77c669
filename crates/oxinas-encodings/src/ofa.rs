//! Encodings of Once-for-All MobileNetV3 sub-networks: 5 units of 2 to 4
//! layers, each layer with a kernel size (3, 5, 7) and an expansion ratio
//! (3, 4, 6), and optionally the input resolution.
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 20 layer slots x (3 kernel + 3 expansion) + resolutions = 120 + R | up to unused slots |
//! | `compact` | vector | 20 kernels, 20 expansions, 5 depths (+ resolution) = 45 (+ 1) | up to unused slots |
//!
//! `categorical` is the encoding of OFA's own accuracy predictor: a one-hot
//! kernel size and expansion ratio per layer slot, all zero for slots past
//! their unit's depth (so the depth is read from which slots are set), then a
//! one-hot resolution when the space searches it. `compact` writes the values
//! themselves, 0 for unused slots. Unused slots carry nothing, so both decode
//! to the space's canonical form (unused slots at kernel 3, expansion 3).

use oxinas_core::SearchSpace;
use oxinas_spaces::{OFA_LAYERS, OFA_MAX_DEPTH, OFA_UNITS, OfaArch, OfaSpace};

use crate::error::check_len;
use crate::one_hot::decode_one_hot;
use crate::{EncodableSpace, EncodingError, EncodingRegistry, VectorEncoding};

/// OFA's kernel sizes, expansion ratios and depths.
const KERNELS: [u8; 3] = [3, 5, 7];
const EXPANSIONS: [u8; 3] = [3, 4, 6];
const DEPTHS: [u8; 3] = [2, 3, 4];
/// Entries per layer slot in `categorical`.
const SLOT: usize = KERNELS.len() + EXPANSIONS.len();
/// The shallowest depth: the first two slots of every unit are always used.
const MIN_DEPTH: usize = 2;

/// Whether layer slot `layer` is used; malformed depths count as unused.
fn active(arch: &OfaArch, layer: usize) -> bool {
    let depth = arch.d.get(layer / OFA_MAX_DEPTH).copied().unwrap_or(0);
    layer % OFA_MAX_DEPTH < usize::from(depth)
}

/// The position of `value` in `list`.
fn position(list: &[u8], value: Option<&u8>) -> Option<usize> {
    value.and_then(|v| list.iter().position(|x| x == v))
}

/// An architecture with `depths` and the decoded slots; unused slots get
/// kernel 3, expansion 3 (the space's canonical filler).
fn assemble(depths: Vec<u8>, slots: Vec<Option<(u8, u8)>>, r: Option<u16>) -> OfaArch {
    let (ks, e) = slots
        .into_iter()
        .map(|slot| slot.unwrap_or((KERNELS[0], EXPANSIONS[0])))
        .unzip();
    OfaArch {
        ks,
        e,
        d: depths,
        r: r.map(|r| vec![r]),
    }
}

/// One-hot kernel and expansion per used layer slot, then a one-hot
/// resolution when searched.
#[derive(Clone, Debug)]
pub struct OfaOneHot {
    resolutions: Vec<u16>,
}

impl OfaOneHot {
    /// The encoding for a space searching `resolutions` (empty: fixed).
    pub fn new(resolutions: Vec<u16>) -> Self {
        Self { resolutions }
    }
}

impl VectorEncoding<OfaArch> for OfaOneHot {
    fn name(&self) -> &'static str {
        "categorical"
    }

    fn dim(&self) -> usize {
        OFA_LAYERS * SLOT + self.resolutions.len()
    }

    /// Values outside OFA's lists leave their block zero.
    fn write(&self, arch: &OfaArch, out: &mut [f64]) {
        out.fill(0.0);
        for layer in (0..OFA_LAYERS).filter(|&l| active(arch, l)) {
            if let Some(k) = position(&KERNELS, arch.ks.get(layer)) {
                out[layer * SLOT + k] = 1.0;
            }
            if let Some(e) = position(&EXPANSIONS, arch.e.get(layer)) {
                out[layer * SLOT + KERNELS.len() + e] = 1.0;
            }
        }
        if let Some(r) = arch
            .resolution()
            .and_then(|r| self.resolutions.iter().position(|&x| x == r))
        {
            out[OFA_LAYERS * SLOT + r] = 1.0;
        }
    }

    /// The kernel and expansion blocks of the slots every depth uses, and the
    /// resolution block.
    fn one_hot_blocks(&self) -> Vec<std::ops::Range<usize>> {
        let mut blocks = Vec::new();
        for unit in 0..OFA_UNITS {
            for slot in 0..MIN_DEPTH {
                let start = (unit * OFA_MAX_DEPTH + slot) * SLOT;
                blocks.push(start..start + KERNELS.len());
                blocks.push(start + KERNELS.len()..start + SLOT);
            }
        }
        if !self.resolutions.is_empty() {
            blocks.push(OFA_LAYERS * SLOT..self.dim());
        }
        blocks
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<OfaArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut depths = Vec::with_capacity(OFA_UNITS);
        let mut slots = Vec::with_capacity(OFA_LAYERS);
        for unit in 0..OFA_UNITS {
            let mut depth = 0;
            for i in 0..OFA_MAX_DEPTH {
                let layer = unit * OFA_MAX_DEPTH + i;
                let block = &code[layer * SLOT..(layer + 1) * SLOT];
                if block.iter().all(|&v| v == 0.0) && i >= MIN_DEPTH {
                    slots.push(None);
                    continue;
                }
                if depth != i {
                    return Err(EncodingError::Decode {
                        encoding: self.name(),
                        message: format!(
                            "unit {unit}: used layer slots first, found slot {i} used after an unused one"
                        ),
                    });
                }
                let what = |part: &str| format!("{part} of layer slot {layer}");
                let k = decode_one_hot(self.name(), &block[..KERNELS.len()], || what("kernel"))?;
                let e = decode_one_hot(self.name(), &block[KERNELS.len()..], || what("expansion"))?;
                slots.push(Some((KERNELS[k], EXPANSIONS[e])));
                depth += 1;
            }
            // depth is 2 to 4: the first two slots always decode or fail.
            depths.push(depth as u8);
        }
        let r = if self.resolutions.is_empty() {
            None
        } else {
            let r = decode_one_hot(self.name(), &code[OFA_LAYERS * SLOT..], || {
                "resolution".into()
            })?;
            Some(self.resolutions[r])
        };
        Ok(assemble(depths, slots, r))
    }
}

/// Kernel sizes, expansion ratios (0 for unused slots), depths and the
/// resolution when searched, as numbers.
#[derive(Clone, Debug)]
pub struct OfaCompact {
    resolutions: Vec<u16>,
}

impl OfaCompact {
    /// The encoding for a space searching `resolutions` (empty: fixed).
    pub fn new(resolutions: Vec<u16>) -> Self {
        Self { resolutions }
    }
}

impl VectorEncoding<OfaArch> for OfaCompact {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        2 * OFA_LAYERS + OFA_UNITS + usize::from(!self.resolutions.is_empty())
    }

    fn write(&self, arch: &OfaArch, out: &mut [f64]) {
        out.fill(0.0);
        for layer in (0..OFA_LAYERS).filter(|&l| active(arch, l)) {
            out[layer] = f64::from(arch.ks.get(layer).copied().unwrap_or(0));
            out[OFA_LAYERS + layer] = f64::from(arch.e.get(layer).copied().unwrap_or(0));
        }
        for (unit, &d) in arch.d.iter().take(OFA_UNITS).enumerate() {
            out[2 * OFA_LAYERS + unit] = f64::from(d);
        }
        if !self.resolutions.is_empty() {
            out[2 * OFA_LAYERS + OFA_UNITS] = f64::from(arch.resolution().unwrap_or(0));
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<OfaArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let err = |message: String| EncodingError::Decode {
            encoding: "compact",
            message,
        };
        let pick = |value: f64, list: &[u8], what: String| {
            list.iter()
                .copied()
                .find(|&v| f64::from(v) == value)
                .ok_or_else(|| err(format!("{what}: one of {list:?}, found {value}")))
        };
        let mut depths = Vec::with_capacity(OFA_UNITS);
        for unit in 0..OFA_UNITS {
            depths.push(pick(
                code[2 * OFA_LAYERS + unit],
                &DEPTHS,
                format!("depth of unit {unit}"),
            )?);
        }
        let mut slots = Vec::with_capacity(OFA_LAYERS);
        for layer in 0..OFA_LAYERS {
            let used = layer % OFA_MAX_DEPTH < usize::from(depths[layer / OFA_MAX_DEPTH]);
            let (k, e) = (code[layer], code[OFA_LAYERS + layer]);
            if used {
                let k = pick(k, &KERNELS, format!("kernel of layer slot {layer}"))?;
                let e = pick(e, &EXPANSIONS, format!("expansion of layer slot {layer}"))?;
                slots.push(Some((k, e)));
            } else if k != 0.0 || e != 0.0 {
                return Err(err(format!(
                    "layer slot {layer} past its unit's depth: kernel and expansion 0, found {k} and {e}"
                )));
            } else {
                slots.push(None);
            }
        }
        let r = if self.resolutions.is_empty() {
            None
        } else {
            let value = code[2 * OFA_LAYERS + OFA_UNITS];
            let r = self
                .resolutions
                .iter()
                .copied()
                .find(|&r| f64::from(r) == value)
                .ok_or_else(|| {
                    err(format!(
                        "resolution: one of {:?}, found {value}",
                        self.resolutions
                    ))
                })?;
            Some(r)
        };
        Ok(assemble(depths, slots, r))
    }
}

impl EncodableSpace for OfaSpace {
    fn encodings(&self) -> EncodingRegistry<OfaArch> {
        let one_hot = self.resolutions().to_vec();
        let compact = self.resolutions().to_vec();
        EncodingRegistry::new(self.name())
            .with_vector(
                "categorical",
                "one-hot kernel and expansion per used layer slot (+ resolution), OFA's predictor input",
                move || OfaOneHot::new(one_hot.clone()),
            )
            .with_vector(
                "compact",
                "kernels, expansions (0 if unused), depths (+ resolution)",
                move || OfaCompact::new(compact.clone()),
            )
    }
}
