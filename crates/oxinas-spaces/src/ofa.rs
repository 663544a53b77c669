//! The Once-for-All MobileNetV3 space (Cai et al., ICLR 2020): 5 units of 2 to
//! 4 inverted-residual layers; each layer picks a kernel size (3, 5, 7) and an
//! expansion ratio (3, 4, 6); optionally the input resolution is searched too.
//!
//! The official format is OFA's architecture dictionary as JSON:
//! `{"ks": [20 kernel sizes], "e": [20 expansion ratios], "d": [5 depths]}`
//! with an optional `"r": [resolution]`. Layer `4u + i` belongs to unit `u`;
//! only its first `d[u]` layers are used, the others are ignored.

use serde::{Deserialize, Serialize};

use oxinas_core::{ConfigError, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// Units of the network.
pub const OFA_UNITS: usize = 5;
/// Layer slots per unit (the largest depth).
pub const OFA_MAX_DEPTH: usize = 4;
/// Layer slots in all.
pub const OFA_LAYERS: usize = OFA_UNITS * OFA_MAX_DEPTH;

const KERNELS: [u8; 3] = [3, 5, 7];
const EXPANSIONS: [u8; 3] = [3, 4, 6];
const DEPTHS: [u8; 3] = [2, 3, 4];

/// One OFA MobileNetV3 sub-network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaArch {
    /// Kernel size of each of the 20 layer slots.
    pub ks: Vec<u8>,
    /// Expansion ratio of each of the 20 layer slots.
    pub e: Vec<u8>,
    /// Depth of each of the 5 units.
    pub d: Vec<u8>,
    /// The input resolution, as a one-element list, when it is searched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<Vec<u16>>,
}

impl OfaArch {
    /// Whether layer slot `layer` is used (its unit is deep enough).
    pub fn is_active(&self, layer: usize) -> bool {
        let unit = layer / OFA_MAX_DEPTH;
        (layer % OFA_MAX_DEPTH) < usize::from(self.d[unit])
    }

    /// The resolution, when searched.
    pub fn resolution(&self) -> Option<u16> {
        self.r.as_ref().and_then(|r| r.first().copied())
    }
}

/// The OFA MobileNetV3 space.
#[derive(Clone, Debug)]
pub struct OfaSpace {
    resolutions: Vec<u16>,
}

impl Default for OfaSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl OfaSpace {
    /// The space at a fixed input resolution (architectures carry no `r`).
    pub fn new() -> Self {
        Self {
            resolutions: Vec::new(),
        }
    }

    /// The space that also searches the input resolution among `resolutions`
    /// (OFA uses 128 to 224 in steps of 4).
    pub fn with_resolutions(resolutions: Vec<u16>) -> Result<Self, ConfigError> {
        let mut sorted = resolutions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.is_empty() || sorted.len() != resolutions.len() || sorted[0] == 0 {
            return Err(ConfigError::new(
                "resolutions",
                format!("a non-empty list of distinct positive sizes, found {resolutions:?}"),
            ));
        }
        Ok(Self { resolutions })
    }

    /// The resolutions searched (empty when the resolution is fixed).
    pub fn resolutions(&self) -> &[u16] {
        &self.resolutions
    }

    fn check(&self, arch: &OfaArch) -> Result<(), String> {
        if arch.ks.len() != OFA_LAYERS || arch.e.len() != OFA_LAYERS || arch.d.len() != OFA_UNITS {
            return Err(format!(
                "{OFA_LAYERS} kernel sizes, {OFA_LAYERS} expansion ratios and {OFA_UNITS} depths; found {}, {} and {}",
                arch.ks.len(),
                arch.e.len(),
                arch.d.len()
            ));
        }
        let find = |list: &[u8], allowed: &[u8]| list.iter().position(|v| !allowed.contains(v));
        if let Some(i) = find(&arch.ks, &KERNELS) {
            return Err(format!(
                "a kernel size among 3, 5, 7 at ks[{i}], found {}",
                arch.ks[i]
            ));
        }
        if let Some(i) = find(&arch.e, &EXPANSIONS) {
            return Err(format!(
                "an expansion ratio among 3, 4, 6 at e[{i}], found {}",
                arch.e[i]
            ));
        }
        if let Some(i) = find(&arch.d, &DEPTHS) {
            return Err(format!(
                "a depth among 2, 3, 4 at d[{i}], found {}",
                arch.d[i]
            ));
        }
        match (&arch.r, self.resolutions.is_empty()) {
            (None, true) => Ok(()),
            (Some(_), true) => Err("no `r`: this space has a fixed resolution".to_owned()),
            (None, false) => Err(format!("`r`: [one of {:?}]", self.resolutions)),
            (Some(r), false) if r.len() == 1 && self.resolutions.contains(&r[0]) => Ok(()),
            (Some(r), false) => Err(format!("`r`: [one of {:?}], found {r:?}", self.resolutions)),
        }
    }

    /// All single-choice changes of `arch`, in a fixed order: the kernel size
    /// then the expansion of each active layer, each unit's depth, the resolution.
    fn changes(&self, arch: &OfaArch) -> Vec<OfaArch> {
        let mut out = Vec::new();
        for layer in (0..OFA_LAYERS).filter(|&l| arch.is_active(l)) {
            for k in KERNELS.into_iter().filter(|&k| k != arch.ks[layer]) {
                let mut n = arch.clone();
                n.ks[layer] = k;
                out.push(n);
            }
            for e in EXPANSIONS.into_iter().filter(|&e| e != arch.e[layer]) {
                let mut n = arch.clone();
                n.e[layer] = e;
                out.push(n);
            }
        }
        for unit in 0..OFA_UNITS {
            for d in DEPTHS.into_iter().filter(|&d| d != arch.d[unit]) {
                let mut n = arch.clone();
                n.d[unit] = d;
                out.push(n);
            }
        }
        if let Some(r) = arch.resolution() {
            for &res in self.resolutions.iter().filter(|&&res| res != r) {
                let mut n = arch.clone();
                n.r = Some(vec![res]);
                out.push(n);
            }
        }
        out
    }
}

impl SearchSpace for OfaSpace {
    type Arch = OfaArch;
    type Canonical = OfaArch;

    fn name(&self) -> &'static str {
        "ofa-mobilenetv3"
    }

    /// Every choice uniform, as OFA samples sub-networks.
    fn sample(&self, rng: &mut dyn RngCore) -> OfaArch {
        let mut pick = |list: &[u8]| list[rng.random_range(0..list.len())];
        let ks = (0..OFA_LAYERS).map(|_| pick(&KERNELS)).collect();
        let e = (0..OFA_LAYERS).map(|_| pick(&EXPANSIONS)).collect();
        let d = (0..OFA_UNITS).map(|_| pick(&DEPTHS)).collect();
        let r = (!self.resolutions.is_empty())
            .then(|| vec![self.resolutions[rng.random_range(0..self.resolutions.len())]]);
        OfaArch { ks, e, d, r }
    }

    /// One uniformly chosen change among [`SearchSpace::neighbors`]; a depth
    /// increase re-activates the layer slot with the choices it holds.
    fn mutate(&self, arch: &OfaArch, rng: &mut dyn RngCore) -> OfaArch {
        let changes = self.changes(arch);
        changes[rng.random_range(0..changes.len())].clone()
    }

    fn neighbors(&self, arch: &OfaArch) -> Vec<OfaArch> {
        self.changes(arch)
    }

    /// Unused layer slots set to kernel 3, expansion 3: sub-networks that
    /// differ only there are the same network.
    fn canonical(&self, arch: &OfaArch) -> OfaArch {
        let mut c = arch.clone();
        for layer in (0..OFA_LAYERS).filter(|&l| !arch.is_active(l)) {
            c.ks[layer] = KERNELS[0];
            c.e[layer] = EXPANSIONS[0];
        }
        c
    }

    /// Distinct networks: per unit 9^2 + 9^3 + 9^4 = 7,371 layer settings, to
    /// the 5th power, times the number of resolutions (about 2.2e19).
    fn cardinality(&self) -> Option<u128> {
        let per_unit: u128 = DEPTHS.iter().map(|&d| 9u128.pow(u32::from(d))).sum();
        Some(per_unit.pow(OFA_UNITS as u32) * self.resolutions.len().max(1) as u128)
    }

    fn format(&self, arch: &OfaArch) -> String {
        serde_json::to_string(arch).unwrap_or_default()
    }

    fn parse(&self, text: &str) -> Result<OfaArch, ParseArchError> {
        let err = |expected: String| ParseArchError::new("ofa-mobilenetv3", text, expected);
        let arch: OfaArch = serde_json::from_str(text).map_err(|e| {
            err(format!("a JSON object {{\"ks\": [..], \"e\": [..], \"d\": [..]}} (optional \"r\": [size]): {e}"))
        })?;
        self.check(&arch).map_err(err)?;
        Ok(arch)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn cardinality_matches_the_closed_form() {
        assert_eq!(OfaSpace::new().cardinality(), Some(7_371u128.pow(5)));
        let with_r = OfaSpace::with_resolutions((128..=224).step_by(4).collect()).unwrap();
        assert_eq!(with_r.cardinality(), Some(7_371u128.pow(5) * 25));
        assert!(OfaSpace::with_resolutions(vec![]).is_err());
        assert!(OfaSpace::with_resolutions(vec![128, 128]).is_err());
    }

    #[test]
    fn format_parse_round_trip_and_errors() {
        let space = OfaSpace::with_resolutions(vec![160, 192, 224]).unwrap();
        let mut rng = rng_from_seed(6);
        for _ in 0..100 {
            let a = space.sample(&mut rng);
            assert_eq!(space.parse(&space.format(&a)).unwrap(), a);
        }
        let fixed = OfaSpace::new();
        let text = r#"{"ks": [3,5,7,3,3,5,7,3,3,5,7,3,3,5,7,3,3,5,7,3], "e": [3,4,6,3,3,4,6,3,3,4,6,3,3,4,6,3,3,4,6,3], "d": [2,3,4,2,3]}"#;
        let a = fixed.parse(text).unwrap();
        assert!(a.is_active(1) && !a.is_active(2) && a.is_active(10) && !a.is_active(19));
        for (bad, expected) in [
            (text.replacen("[3,5,7", "[4,5,7", 1), "ks[0], found 4"),
            (text.replace("[2,3,4,2,3]", "[2,3,4,2]"), "5 depths"),
            (text.replace("[2,3,4,2,3]", "[2,3,4,2,5]"), "d[4], found 5"),
            (text.replace("}", ", \"r\": [224]}"), "fixed resolution"),
            (text.replace("\"e\"", "\"x\""), "unknown field"),
        ] {
            let message = fixed.parse(&bad).unwrap_err().to_string();
            assert!(message.contains(expected), "{bad}: {message}");
        }
        let message = space.parse(text).unwrap_err().to_string();
        assert!(message.contains("`r`"), "{message}");
    }

    #[test]
    fn canonical_ignores_unused_slots_and_neighbors_change_one_choice() {
        let space = OfaSpace::new();
        let mut rng = rng_from_seed(2);
        for _ in 0..50 {
            let a = space.sample(&mut rng);
            let mut b = a.clone();
            for layer in (0..OFA_LAYERS).filter(|&l| !a.is_active(l)) {
                b.ks[layer] = 7;
            }
            assert_eq!(space.canonical(&a), space.canonical(&b));
            let n = space.neighbors(&a);
            let active = (0..OFA_LAYERS).filter(|&l| a.is_active(l)).count();
            assert_eq!(n.len(), active * 4 + OFA_UNITS * 2);
            assert_eq!(n.iter().collect::<HashSet<_>>().len(), n.len());
            assert!(n.contains(&space.mutate(&a, &mut rng)));
            for m in &n {
                assert_ne!(space.canonical(m), space.canonical(&a));
            }
        }
    }
}
