//! Standard exponential draws by the ziggurat method, inlined into the trial loops.
//!
//! The same algorithm and tables as `rand_distr::Exp1` (Marsaglia and Tsang's 256 layers; the
//! tables are recomputed here, and a test checks that both give the same draws from the same
//! numbers), with the rare slow path (about 1 % of draws) kept out of line so the common one, a
//! random word, a table read, a multiply and a comparison, stays small.

use crate::engine::Generator;
use rand::RngCore;
use std::sync::OnceLock;

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// Right edge of the base layer.
const R: f64 = 7.697_117_470_131_05;
/// Area of every layer.
const AREA: f64 = 0.003_949_659_822_581_557;

/// The ziggurat's layer edges `x` and the density at them, `f = exp(−x)`.
#[derive(Debug)]
pub(crate) struct Ziggurat {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

/// The tables, computed once.
pub(crate) fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; LAYERS + 1];
        x[0] = AREA * R.exp();
        x[1] = R;
        for i in 1..LAYERS - 1 {
            x[i + 1] = -((-x[i]).exp() + AREA / x[i]).ln();
        }
        let f = x.map(|x| (-x).exp());
        Ziggurat { x, f }
    })
}

impl Ziggurat {
    /// One standard exponential draw (one random word 99 % of the time).
    #[inline]
    pub(crate) fn sample(&self, rng: &mut Generator) -> f64 {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        let u = f64::from_bits((bits >> 12) | 0x3ff0_0000_0000_0000) - (1.0 - f64::EPSILON / 2.0);
        let x = u * self.x[i];
        if x < self.x[i + 1] {
            return x;
        }
        self.slow(rng, i, x)
    }

    /// The base layer's tail, or a point in a layer's wedge: accepted, or drawn again.
    #[cold]
    #[inline(never)]
    fn slow(&self, rng: &mut Generator, mut i: usize, mut x: f64) -> f64 {
        loop {
            if i == 0 {
                return R - uniform(rng).ln();
            }
            if self.f[i + 1] + (self.f[i] - self.f[i + 1]) * uniform(rng) < (-x).exp() {
                return x;
            }
            let bits = rng.next_u64();
            i = (bits & 0xff) as usize;
            let u =
                f64::from_bits((bits >> 12) | 0x3ff0_0000_0000_0000) - (1.0 - f64::EPSILON / 2.0);
            x = u * self.x[i];
            if x < self.x[i + 1] {
                return x;
            }
        }
    }
}

/// A uniform number in [0, 1) from the top 53 bits of a random word (as `rand`'s `gen::<f64>()`).
#[inline]
fn uniform(rng: &mut Generator) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Purpose, Stream};
    use rand_distr::{Distribution, Exp1};

    #[test]
    fn same_draws_as_rand_distr() {
        let z = ziggurat();
        assert_eq!(z.x[LAYERS], 0.0);
        let mut ours = Stream::new(3, 1).generator(7, Purpose::Gaps);
        let mut theirs = ours;
        for _ in 0..1_000_000 {
            let want: f64 = Exp1.sample(&mut theirs);
            assert_eq!(z.sample(&mut ours).to_bits(), want.to_bits());
        }
    }
}
