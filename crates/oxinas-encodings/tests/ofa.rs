//! Once-for-All MobileNetV3 encodings.

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::{EncodableSpace, EncodingError, VectorEncoding};
use oxinas_spaces::{OfaArch, OfaSpace};

fn samples(space: &OfaSpace, n: usize) -> Vec<OfaArch> {
    let mut rng = rng_from_seed(8);
    (0..n).map(|_| space.sample(&mut rng)).collect()
}

#[test]
fn sizes_with_and_without_resolutions() {
    let fixed = OfaSpace::new();
    assert_eq!(fixed.vector_encoding("categorical").unwrap().dim(), 120);
    assert_eq!(fixed.vector_encoding("compact").unwrap().dim(), 45);
    let searched = OfaSpace::with_resolutions(vec![160, 176, 192, 208, 224]).unwrap();
    assert_eq!(searched.vector_encoding("categorical").unwrap().dim(), 125);
    assert_eq!(searched.vector_encoding("compact").unwrap().dim(), 46);
}

#[test]
fn both_decode_to_the_canonical_form() {
    for space in [
        OfaSpace::new(),
        OfaSpace::with_resolutions(vec![160, 192, 224]).unwrap(),
    ] {
        for name in ["categorical", "compact"] {
            let encoding = space.vector_encoding(name).unwrap();
            let mut differs = 0;
            for arch in samples(&space, 2_000) {
                let code = encoding.encode(&arch);
                for block in encoding.one_hot_blocks() {
                    assert_eq!(code[block].iter().sum::<f64>(), 1.0, "{name}");
                }
                let back = encoding.decode(&code).unwrap();
                assert_eq!(back, space.canonical(&arch), "{name}");
                differs += usize::from(back != arch);
            }
            // Most samples have unused slots holding other values, so the check has teeth.
            assert!(differs > 1_000, "{name}: {differs}");
        }
    }
}

#[test]
fn unused_slots_are_zero_and_depth_is_read_from_them() {
    let space = OfaSpace::new();
    let text = r#"{"ks": [7,5,3,3, 3,3,3,3, 3,3,3,3, 3,3,3,3, 3,3,3,3], "e": [6,4,3,3, 3,3,3,3, 3,3,3,3, 3,3,3,3, 3,3,3,3], "d": [2,4,2,2,3]}"#;
    let arch = space.parse(text).unwrap();
    let categorical = space.vector_encoding("categorical").unwrap();
    let code = categorical.encode(&arch);
    // Slot 0: kernel 7 (index 2), expansion 6 (index 2); slot 1: kernel 5, expansion 4.
    assert_eq!(
        &code[..12],
        &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    );
    // Unit 0 has depth 2: slots 2 and 3 are all zero.
    assert!(code[12..24].iter().all(|&v| v == 0.0));
    let compact = space.vector_encoding("compact").unwrap().encode(&arch);
    assert_eq!(&compact[..4], &[7.0, 5.0, 0.0, 0.0]);
    assert_eq!(&compact[40..], &[2.0, 4.0, 2.0, 2.0, 3.0]);

    // A used slot after an unused one is no architecture.
    let mut gap = code.clone();
    gap[3 * 6] = 1.0;
    gap[3 * 6 + 3] = 1.0;
    let err = categorical.decode(&gap).unwrap_err();
    assert!(matches!(err, EncodingError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("unit 0"), "{err}");
}
