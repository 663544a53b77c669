//! NAS-Bench-Macro encodings over all 6,561 networks.

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_encodings::{EncodableSpace, EncodingError, VectorEncoding};
use oxinas_spaces::NbMacroSpace;

#[test]
fn categorical_and_compact_invert_over_all_networks() {
    let space = NbMacroSpace::new();
    let categorical = space.vector_encoding("categorical").unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    assert_eq!((categorical.dim(), compact.dim()), (24, 8));
    let mut count = 0;
    for arch in space.enumerate() {
        let code = categorical.encode(&arch);
        let blocks = categorical.one_hot_blocks();
        assert_eq!(blocks.len(), 8);
        for block in blocks {
            assert_eq!(code[block].iter().sum::<f64>(), 1.0);
        }
        assert_eq!(categorical.decode(&code).unwrap(), arch);
        assert_eq!(compact.decode(&compact.encode(&arch)).unwrap(), arch);
        count += 1;
    }
    assert_eq!(count, 6_561);
}

#[test]
fn compact_is_the_benchmark_key() {
    let space = NbMacroSpace::new();
    let best = space.parse("22212220").unwrap();
    let compact = space.vector_encoding("compact").unwrap().encode(&best);
    assert_eq!(compact, [2.0, 2.0, 2.0, 1.0, 2.0, 2.0, 2.0, 0.0]);
    let categorical = space.vector_encoding("categorical").unwrap().encode(&best);
    let hot: Vec<usize> = (0..24).filter(|&i| categorical[i] == 1.0).collect();
    assert_eq!(hot, [2, 5, 8, 10, 14, 17, 20, 21]);
}

#[test]
fn unknown_names_list_the_space_encodings() {
    let err = NbMacroSpace::new().vector_encoding("path").unwrap_err();
    assert!(matches!(err, EncodingError::UnknownEncoding { .. }));
    let message = err.to_string();
    assert!(message.contains("nas-bench-macro"), "{message}");
    assert!(
        message.contains("categorical (vector), compact (vector)"),
        "{message}"
    );
}
