//! What DARTS needs from a supernet: a forward with mixture weights, a
//! forward for one architecture, and the discretisation of the weights.

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use oxinas_spaces::{DARTS_NODES, DartsArch, DartsCell, DartsEdge, DartsOp, Nb201Arch, Nb201Op};

use crate::darts_supernet::{DARTS_SEARCH_EDGES, DARTS_SEARCH_OPS, DartsSupernet};
use crate::nb201_supernet::{NB201_OPS, Nb201Supernet};

/// Mixture weights as numbers: one `[edge][op]` matrix per logit tensor.
pub type Mixture = Vec<Vec<Vec<f64>>>;

/// A supernet whose cells DARTS can relax.
pub trait SearchSupernet<B: Backend>: Module<B> {
    /// A discrete architecture of the space.
    type Arch: Clone + std::fmt::Debug + PartialEq;

    /// Shapes `[edges, ops]` of the architecture logits (one tensor per cell kind).
    fn logit_shapes() -> Vec<[usize; 2]>;

    /// Logits `[batch, classes]` with every edge mixed by `mixtures` (one
    /// softmaxed `[edges, ops]` tensor per entry of [`Self::logit_shapes`]).
    fn forward_mixture(&self, images: Tensor<B, 4>, mixtures: &[Tensor<B, 2>]) -> Tensor<B, 2>;

    /// Logits `[batch, classes]` of `arch`'s sub-network, with the shared weights.
    fn forward_arch(&self, images: Tensor<B, 4>, arch: &Self::Arch) -> Tensor<B, 2>;

    /// The architecture the mixture weights stand for.
    fn derive(mixture: &Mixture) -> Self::Arch;

    /// A short name of `arch` (op digits, compact genotype).
    fn short_name(arch: &Self::Arch) -> String;

    /// `arch` in its space's published string format.
    fn long_name(arch: &Self::Arch) -> String;

    /// Skip connections in `arch` (DARTS' known collapse is towards them).
    fn skip_connections(arch: &Self::Arch) -> usize;
}

fn strongest(row: &[f64], from: usize) -> usize {
    (from..row.len()).fold(from, |best, i| if row[i] > row[best] { i } else { best })
}

impl<B: Backend> SearchSupernet<B> for Nb201Supernet<B> {
    type Arch = Nb201Arch;

    fn logit_shapes() -> Vec<[usize; 2]> {
        vec![[oxinas_spaces::NB201_EDGES.len(), NB201_OPS]]
    }

    fn forward_mixture(&self, images: Tensor<B, 4>, mixtures: &[Tensor<B, 2>]) -> Tensor<B, 2> {
        Nb201Supernet::forward_mixture(self, images, mixtures[0].clone())
    }

    fn forward_arch(&self, images: Tensor<B, 4>, arch: &Nb201Arch) -> Tensor<B, 2> {
        Nb201Supernet::forward_arch(self, images, arch)
    }

    /// The strongest op of every edge, `none` included (as the benchmark's DARTS code).
    fn derive(mixture: &Mixture) -> Nb201Arch {
        let mut ops = [Nb201Op::None; 6];
        for (op, row) in ops.iter_mut().zip(&mixture[0]) {
            *op = Nb201Op::ALL[strongest(row, 0)];
        }
        Nb201Arch { ops }
    }

    fn short_name(arch: &Nb201Arch) -> String {
        arch.op_digits()
    }

    fn long_name(arch: &Nb201Arch) -> String {
        let name = |edge: usize| arch.ops[edge].name();
        format!(
            "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
            name(0),
            name(1),
            name(2),
            name(3),
            name(4),
            name(5)
        )
    }

    fn skip_connections(arch: &Nb201Arch) -> usize {
        arch.ops
            .iter()
            .filter(|&&op| op == Nb201Op::SkipConnect)
            .count()
    }
}

impl<B: Backend> SearchSupernet<B> for DartsSupernet<B> {
    type Arch = DartsArch;

    fn logit_shapes() -> Vec<[usize; 2]> {
        vec![[DARTS_SEARCH_EDGES, DARTS_SEARCH_OPS]; 2]
    }

    fn forward_mixture(&self, images: Tensor<B, 4>, mixtures: &[Tensor<B, 2>]) -> Tensor<B, 2> {
        DartsSupernet::forward_mixture(self, images, mixtures[0].clone(), mixtures[1].clone())
    }

    fn forward_arch(&self, images: Tensor<B, 4>, arch: &DartsArch) -> Tensor<B, 2> {
        DartsSupernet::forward_arch(self, images, arch)
    }

    /// DARTS' discretisation: each node keeps its two inputs whose strongest
    /// non-`none` op weighs most, with that op.
    fn derive(mixture: &Mixture) -> DartsArch {
        let cell = |weights: &Vec<Vec<f64>>| {
            let mut edges = Vec::with_capacity(2 * DARTS_NODES);
            let mut offset = 0;
            for node in 0..DARTS_NODES {
                let inputs = 2 + node;
                let mut candidates: Vec<(usize, usize, f64)> = (0..inputs)
                    .map(|input| {
                        let row = &weights[offset + input];
                        let op = strongest(row, 1);
                        (input, op, row[op])
                    })
                    .collect();
                // Strongest first; the earlier input on ties.
                candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
                let mut chosen = [candidates[0], candidates[1]];
                chosen.sort_by_key(|c| c.0);
                for (input, op, _) in chosen {
                    edges.push(DartsEdge::new(input as u8, DartsOp::ALL[op - 1]));
                }
                offset += inputs;
            }
            let edges: [DartsEdge; 8] = edges.try_into().expect("four nodes of two edges");
            DartsCell::new(edges).expect("two distinct inputs below each node")
        };
        DartsArch::new(cell(&mixture[0]), cell(&mixture[1]))
    }

    fn short_name(arch: &DartsArch) -> String {
        arch.to_compact()
    }

    fn long_name(arch: &DartsArch) -> String {
        arch.to_genotype()
    }

    fn skip_connections(arch: &DartsArch) -> usize {
        [&arch.normal, &arch.reduce]
            .iter()
            .flat_map(|cell| cell.edges().iter())
            .filter(|e| e.op == DartsOp::SkipConnect)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;

    use super::*;

    #[test]
    fn nb201_derivation_takes_each_edges_strongest_op() {
        let mut rows = vec![vec![0.2; NB201_OPS]; 6];
        for (row, d) in rows.iter_mut().zip([3, 0, 4, 1, 2, 3]) {
            row[d] = 0.5;
        }
        let arch = <Nb201Supernet<NdArray> as SearchSupernet<NdArray>>::derive(&vec![rows]);
        assert_eq!(arch.op_digits(), "304123");
    }

    #[test]
    fn darts_derivation_keeps_two_strongest_inputs_per_node_ignoring_none() {
        // Every edge prefers `none` (index 0) most; below it, edge weights
        // decide. Node 0 (edges 0-1): input 1 via sep_conv_3x3 (0.3) and input
        // 0 via max_pool (0.1). Node 1 (edges 2-4): inputs 2 (dil 0.4) and 0
        // (skip 0.35) beat input 1 (0.2).
        let mut normal = vec![vec![0.0; DARTS_SEARCH_OPS]; DARTS_SEARCH_EDGES];
        for row in &mut normal {
            row[0] = 0.9;
            row[1] = 0.05;
        }
        normal[0][1] = 0.1; // input 0, max_pool_3x3
        normal[1][4] = 0.3; // input 1, sep_conv_3x3
        normal[2][3] = 0.35; // input 0, skip_connect
        normal[3][1] = 0.2; // input 1, max_pool_3x3
        normal[4][6] = 0.4; // input 2, dil_conv_3x3
        let reduce = normal.clone();
        let arch =
            <DartsSupernet<NdArray> as SearchSupernet<NdArray>>::derive(&vec![normal, reduce]);
        let e = arch.normal.edges();
        assert_eq!((e[0].input, e[0].op), (0, DartsOp::MaxPool3x3));
        assert_eq!((e[1].input, e[1].op), (1, DartsOp::SepConv3x3));
        assert_eq!((e[2].input, e[2].op), (0, DartsOp::SkipConnect));
        assert_eq!((e[3].input, e[3].op), (2, DartsOp::DilConv3x3));
        assert_eq!(
            <DartsSupernet<NdArray> as SearchSupernet<NdArray>>::skip_connections(&arch),
            2
        );
    }
}
