//! NAS-Bench-NLP obeys the laws of every search space, and its canonical key
//! is invariant under renumbering nodes, reordering commutative inputs and
//! swapping hidden elements 1 and 2.

use oxinas_core::RngCore;
use oxinas_spaces::{NlpCell, NlpInput, NlpNode, NlpSpace};
use oxinas_testkit::SpaceLaws;
use rand::Rng;
use rand::seq::SliceRandom;

/// An isomorphic copy of `cell`: a random topological order of its nodes,
/// shuffled inputs for commutative ops, hidden elements 1 and 2 swapped at random.
fn relabel(cell: &NlpCell, rng: &mut dyn RngCore) -> NlpCell {
    let nodes = cell.nodes();
    let n = nodes.len();
    let swap = cell.hidden_size() == 3 && rng.random_bool(0.5);
    let hidden = |k: u8| if swap && k > 0 { 3 - k } else { k };
    let mut placed = vec![false; n];
    let mut position = vec![0u16; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let ready: Vec<usize> = (0..n)
            .filter(|&i| {
                !placed[i]
                    && nodes[i].inputs.iter().all(|input| match input {
                        NlpInput::Node(j) => placed[usize::from(*j)],
                        _ => true,
                    })
            })
            .collect();
        let next = ready[rng.random_range(0..ready.len())];
        placed[next] = true;
        position[next] = order.len() as u16;
        order.push(next);
    }
    let new_nodes: Vec<NlpNode> = order
        .iter()
        .map(|&i| {
            let mut inputs: Vec<NlpInput> = nodes[i]
                .inputs
                .iter()
                .map(|input| match *input {
                    NlpInput::Node(j) => NlpInput::Node(position[usize::from(j)]),
                    NlpInput::HPrev(k) => NlpInput::HPrev(hidden(k)),
                    NlpInput::X => NlpInput::X,
                })
                .collect();
            if nodes[i].op.is_commutative() {
                inputs.shuffle(&mut RngAdapter(rng));
            }
            NlpNode {
                op: nodes[i].op,
                inputs,
            }
        })
        .collect();
    let mut outputs = vec![0u16; cell.hidden_size()];
    for (k, &o) in cell.outputs().iter().enumerate() {
        outputs[usize::from(hidden(k as u8))] = position[usize::from(o)];
    }
    NlpCell::new(new_nodes, outputs).expect("an isomorphic copy of a valid cell is valid")
}

/// `SliceRandom::shuffle` wants a sized generator.
struct RngAdapter<'a>(&'a mut dyn RngCore);

impl RngCore for RngAdapter<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
}

#[test]
fn nlp_obeys_the_space_laws() {
    let space = NlpSpace::new();
    SpaceLaws::new(&space, |cell| {
        space.is_valid(cell) && cell.generator_violations().is_empty()
    })
    .relabel(relabel)
    .cases(512)
    .assert();
}
