//! TransNAS-Bench-101 macro encodings over all 3,256 networks.

use oxinas_core::Enumerable;
use oxinas_encodings::{EncodableSpace, EncodingError, VectorEncoding};
use oxinas_spaces::{TransNasMacroArch, TransNasMacroSpace};

#[test]
fn categorical_and_compact_invert_over_all_networks() {
    let space = TransNasMacroSpace::new();
    let categorical = space.vector_encoding("categorical").unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    assert_eq!((categorical.dim(), compact.dim()), (30, 6));
    let mut count = 0;
    for arch in space.enumerate() {
        let code = categorical.encode(&arch);
        for block in categorical.one_hot_blocks() {
            assert_eq!(code[block].iter().sum::<f64>(), 1.0);
        }
        assert_eq!(categorical.decode(&code).unwrap(), arch);
        assert_eq!(compact.decode(&compact.encode(&arch)).unwrap(), arch);
        count += 1;
    }
    assert_eq!(count, 3_256);
}

#[test]
fn short_networks_are_padded_with_code_zero() {
    let space = TransNasMacroSpace::new();
    let arch = TransNasMacroArch::new(&[1, 3, 2, 4]).unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    assert_eq!(compact.encode(&arch), [1.0, 3.0, 2.0, 4.0, 0.0, 0.0]);
    let categorical = space.vector_encoding("categorical").unwrap().encode(&arch);
    let hot: Vec<usize> = (0..30).filter(|&i| categorical[i] == 1.0).collect();
    assert_eq!(hot, [1, 8, 12, 19, 20, 25]);
}

#[test]
fn vectors_that_are_no_network_are_rejected() {
    let compact = TransNasMacroSpace::new()
        .vector_encoding("compact")
        .unwrap();
    // A stage after a missing one.
    let gap = compact.decode(&[1.0, 0.0, 3.0, 4.0, 2.0, 0.0]).unwrap_err();
    assert!(matches!(gap, EncodingError::Decode { .. }), "{gap:?}");
    // No downsampling stage: not in the space.
    assert!(compact.decode(&[1.0, 2.0, 1.0, 2.0, 0.0, 0.0]).is_err());
    // A code out of range.
    let err = compact.decode(&[5.0, 3.0, 3.0, 2.0, 0.0, 0.0]).unwrap_err();
    assert!(
        err.to_string()
            .contains("position 0: an integer from 0 to 4, found 5"),
        "{err}"
    );
}
