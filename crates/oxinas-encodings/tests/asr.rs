//! NAS-Bench-ASR encodings over all 13,824 cells.

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_encodings::{EncodableSpace, VectorEncoding};
use oxinas_spaces::AsrSpace;

#[test]
fn categorical_and_compact_invert_over_all_cells() {
    let space = AsrSpace::new();
    let categorical = space.vector_encoding("categorical").unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    assert_eq!((categorical.dim(), compact.dim()), (30, 9));
    let blocks = categorical.one_hot_blocks();
    assert_eq!(blocks.len(), 9);
    let mut count = 0;
    for arch in space.enumerate() {
        let code = categorical.encode(&arch);
        for block in &blocks {
            assert_eq!(code[block.clone()].iter().sum::<f64>(), 1.0);
        }
        assert_eq!(categorical.decode(&code).unwrap(), arch);
        assert_eq!(compact.decode(&compact.encode(&arch)).unwrap(), arch);
        count += 1;
    }
    assert_eq!(count, 13_824);
}

#[test]
fn compact_is_the_benchmark_list_flattened() {
    let space = AsrSpace::new();
    let arch = space.parse("[[0, 1], [5, 1, 0], [3, 1, 1, 1]]").unwrap();
    let compact = space.vector_encoding("compact").unwrap().encode(&arch);
    assert_eq!(compact, [0.0, 1.0, 5.0, 1.0, 0.0, 3.0, 1.0, 1.0, 1.0]);
    let categorical = space.vector_encoding("categorical").unwrap().encode(&arch);
    let hot: Vec<usize> = (0..30).filter(|&i| categorical[i] == 1.0).collect();
    // op0 0 | s0 1 | op1 5 | s0 1, s1 0 | op2 3 | s0 1, s1 1, s2 1
    assert_eq!(hot, [0, 7, 8 + 5, 15, 16, 18 + 3, 25, 27, 29]);
}
