//! Journals of evaluated queries: a search hands each evaluation to its
//! journal as soon as it finishes, and a search run again with the same
//! journal (after a crash, say) is answered from it instead of evaluating
//! the recorded queries again.
//!
//! Replaying needs no help from the optimizer: it is rebuilt from its seed
//! and asked again; each proposal that equals the recorded one is answered
//! with the recorded evaluation, so the optimizer reaches the first
//! unrecorded query in exactly the state an uninterrupted search would have.
//! The evaluator's random generator is brought to the same state too: the
//! journal keeps every draw an evaluation made, and a replay makes the same
//! draws (and checks their values).

use oxinas_core::{Evaluation, Proposal, RngCore};
use serde::{Deserialize, Serialize};

/// One call an evaluation made on the evaluator's random generator, with the
/// value it returned: together, a query's draws are its evaluation seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Draw {
    /// `next_u32`.
    U32(u32),
    /// `next_u64`.
    U64(u64),
    /// `fill_bytes`.
    Bytes(Vec<u8>),
}

/// An evaluated query as a journal holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntry<A> {
    /// What the optimizer proposed.
    pub proposal: Proposal<A>,
    /// The evaluation, test metric included (the optimizer is told only its
    /// observation, as when it was evaluated).
    pub evaluation: Evaluation,
    /// The draws the evaluation made from the generator it was given, in order.
    pub draws: Vec<Draw>,
}

/// Where a search's evaluated queries are kept as they finish.
///
/// Queries are numbered from 0 in the order the optimizer asked for them;
/// every charged query keeps its number in the search's history. Batched
/// searches evaluate several queries at once, so `record` is called from
/// several threads and not necessarily in query order.
pub trait QueryJournal<A>: Sync {
    /// The entry recorded for query `index`, if it has one.
    fn recorded(&self, index: u64) -> Option<JournalEntry<A>>;

    /// Keeps the evaluation of query `index`, which has just finished. An
    /// error ends the search.
    fn record(
        &self,
        index: u64,
        proposal: &Proposal<A>,
        evaluation: &Evaluation,
        draws: &[Draw],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// Passes draws through to `rng` and keeps them.
pub(crate) struct DrawRecorder<'a> {
    rng: &'a mut dyn RngCore,
    pub(crate) draws: Vec<Draw>,
}

impl<'a> DrawRecorder<'a> {
    pub(crate) fn new(rng: &'a mut dyn RngCore) -> Self {
        Self {
            rng,
            draws: Vec::new(),
        }
    }
}

impl RngCore for DrawRecorder<'_> {
    fn next_u32(&mut self) -> u32 {
        let value = self.rng.next_u32();
        self.draws.push(Draw::U32(value));
        value
    }

    fn next_u64(&mut self) -> u64 {
        let value = self.rng.next_u64();
        self.draws.push(Draw::U64(value));
        value
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.rng.fill_bytes(dst);
        self.draws.push(Draw::Bytes(dst.to_vec()));
    }
}

/// Makes the recorded `draws` on `rng` again. Returns the first draw that
/// differs (recorded, now) if the generator's stream is not the recorded one.
pub(crate) fn redraw(draws: &[Draw], rng: &mut dyn RngCore) -> Result<(), (Draw, Draw)> {
    for recorded in draws {
        let now = match recorded {
            Draw::U32(_) => Draw::U32(rng.next_u32()),
            Draw::U64(_) => Draw::U64(rng.next_u64()),
            Draw::Bytes(bytes) => {
                let mut buffer = vec![0; bytes.len()];
                rng.fill_bytes(&mut buffer);
                Draw::Bytes(buffer)
            }
        };
        if &now != recorded {
            return Err((recorded.clone(), now));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn redrawing_recorded_draws_leaves_the_generator_where_the_evaluation_did() {
        let mut original = rng_from_seed(9);
        let mut recorder = DrawRecorder::new(&mut original);
        recorder.next_u32();
        recorder.next_u64();
        let mut bytes = [0u8; 5];
        recorder.fill_bytes(&mut bytes);
        let draws = recorder.draws;
        assert_eq!(draws.len(), 3);
        let after = original.next_u64();

        let mut replayed = rng_from_seed(9);
        redraw(&draws, &mut replayed).unwrap();
        assert_eq!(replayed.next_u64(), after);

        // Another stream is caught at its first draw.
        let (recorded, now) = redraw(&draws, &mut rng_from_seed(10)).unwrap_err();
        assert_eq!(recorded, draws[0]);
        assert_ne!(now, recorded);
    }
}
