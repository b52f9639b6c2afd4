//! Loss event counts drawn straight from their distribution, when the yearly rate is bounded.
//!
//! A year's count N is Poisson given its rate Λ = frequency × TEF × vulnerability (or × LEF),
//! and Λ is itself drawn, so N follows a mixed Poisson distribution:
//! `P(N = n) = E[e^(−Λ) Λⁿ / n!]`. Given N, the year's losses do not depend on Λ, so drawing N
//! from that distribution with one random number gives the same annual losses as drawing Λ and
//! then the arrivals — without two quantile draws and an exponential gap per year, which is most
//! of the work when most years have no event.
//!
//! The expectation is a double integral over two Beta distributions (the PERT estimates; a
//! constant is one point), computed by Gauss–Jacobi quadrature: the Beta density is the
//! quadrature's weight and the Poisson term is a smooth (entire) function of the rate, so
//! [`NODES`] nodes a dimension give the probabilities to about 10⁻¹² (a test checks them against
//! a quadrature of twice the size). A lognormal rate is unbounded; those scenarios, and rates
//! that may exceed [`MAX_RATE`] events a year, keep drawing rates and gaps.

use crate::estimate::Estimate;

/// Quadrature nodes per estimate.
const NODES: usize = 16;
/// Largest yearly rate (frequency × highest TEF × highest vulnerability) for which counts are
/// tabulated; beyond it most work is per event anyway.
pub(crate) const MAX_RATE: f64 = 16.0;
/// Length of the padded distribution function (a power of two above the longest table, 84).
const PADDED: usize = 128;
/// Counts compared first, without a branch, when they hold nearly all the probability.
const HEAD: usize = 4;

/// The distribution function of a year's loss event count.
#[derive(Debug, Clone)]
pub(crate) struct CountTable {
    /// `P(N ≤ n)` for `n < cdf.len()`; larger counts have a probability below 10⁻²⁰ together.
    cdf: Box<[f64]>,
    /// `cdf` padded with 2 (never reached), for a search of fixed steps without branches.
    padded: Box<[f64; PADDED]>,
    /// The first [`HEAD`] entries of `padded`.
    head: [f64; HEAD],
    /// Whether counts below [`HEAD`] have probability 0.98 or more (then the head is compared
    /// first and the rest searched only when needed).
    mostly_head: bool,
}

impl CountTable {
    /// The table for the rate `frequency × rate × vulnerability`, if both estimates are bounded
    /// and the rate stays within [`MAX_RATE`].
    pub(crate) fn new(rate: &Estimate, vulnerability: &Estimate, frequency: f64) -> Option<Self> {
        let rates = nodes(rate)?;
        let vulnerabilities = nodes(vulnerability)?;
        let highest = |nodes: &[(f64, f64)]| nodes.iter().map(|n| n.0).fold(0.0, f64::max);
        let unreduced = highest(&rates) * highest(&vulnerabilities);
        let bound = frequency * unreduced;
        // Decided on the scenario's own rate, not the reduced one, so that a scenario and its
        // re-runs under controls (frequency ≤ 1) draw their counts the same way: common random
        // numbers, year by year.
        if !(unreduced <= MAX_RATE && bound <= MAX_RATE && frequency >= 0.0) {
            return None;
        }
        // Poisson(16) exceeds 83 with probability below 10⁻²⁰.
        let len = (bound + 12.0 * bound.sqrt() + 20.0).ceil() as usize;
        debug_assert!(len <= PADDED);
        let mut pmf = vec![0.0; len];
        for &(t, wt) in &rates {
            for &(v, wv) in &vulnerabilities {
                let lambda = frequency * t * v;
                let mut term = wt * wv * (-lambda).exp();
                for (n, p) in pmf.iter_mut().enumerate() {
                    *p += term;
                    term *= lambda / (n + 1) as f64;
                }
            }
        }
        let mut total = 0.0;
        let cdf: Box<[f64]> = pmf
            .iter()
            .map(|p| {
                total += p;
                total
            })
            .collect();
        let mut padded = Box::new([2.0; PADDED]);
        padded[..cdf.len()].copy_from_slice(&cdf);
        let mut head = [2.0; HEAD];
        head.copy_from_slice(&padded[..HEAD]);
        Some(CountTable {
            mostly_head: head[HEAD - 1] >= 0.98,
            cdf,
            padded,
            head,
        })
    }

    /// The count at probability `u` in [0, 1): the least `n` with `u < P(N ≤ n)`.
    #[inline]
    pub(crate) fn draw(&self, u: f64) -> u32 {
        if self.mostly_head {
            let n: u32 = self.head.iter().map(|&c| u32::from(u >= c)).sum();
            if n < HEAD as u32 {
                return n;
            }
        }
        self.search(u)
    }

    /// The count by binary search, the steps chosen without branches.
    #[inline]
    fn search(&self, u: f64) -> u32 {
        let mut below = 0;
        let mut step = PADDED / 2;
        while step > 0 {
            let up = self.padded[below + step - 1] <= u;
            below = std::hint::select_unpredictable(up, below + step, below);
            step /= 2;
        }
        below.min(self.cdf.len() - 1) as u32
    }
}

/// Quadrature nodes and weights (summing to 1) for an estimate's distribution, if bounded.
fn nodes(estimate: &Estimate) -> Option<Vec<(f64, f64)>> {
    match *estimate {
        Estimate::Constant(c) => Some(vec![(c, 1.0)]),
        Estimate::Pert { min, .. } => Some(match estimate.beta_shape() {
            Some((alpha, beta, min, range)) => gauss_jacobi(alpha, beta, NODES)
                .into_iter()
                .map(|(y, w)| (min + range * y, w))
                .collect(),
            None => vec![(min, 1.0)],
        }),
        Estimate::Lognormal90 { .. } => None,
    }
}

/// Gauss quadrature for the Beta(α, β) distribution on [0, 1] (α, β ≥ 1): `m` nodes and weights
/// summing to 1, exact for polynomials of degree below 2m.
///
/// Golub and Welsch: the nodes are the eigenvalues of the Jacobi matrix of the orthogonal
/// polynomials for the weight `(1 − x)^a (1 + x)^b` on [−1, 1] (a = β − 1, b = α − 1), the weights
/// the squared first components of its eigenvectors. The symmetric tridiagonal eigenproblem is
/// solved by the implicit QL method with Wilkinson shifts, carrying only the eigenvectors' first
/// components.
fn gauss_jacobi(alpha: f64, beta: f64, m: usize) -> Vec<(f64, f64)> {
    let (a, b) = (beta - 1.0, alpha - 1.0);
    // Diagonal d, subdiagonal e (e[i] joins i and i + 1), first eigenvector components z.
    let mut d = vec![0.0; m];
    let mut e = vec![0.0; m];
    let mut z = vec![0.0; m];
    z[0] = 1.0;
    for n in 0..m {
        let nf = n as f64;
        let s = 2.0 * nf + a + b;
        d[n] = if n == 0 {
            (b - a) / (a + b + 2.0)
        } else {
            (b * b - a * a) / (s * (s + 2.0))
        };
        if n + 1 < m {
            let n1 = nf + 1.0;
            let s1 = 2.0 * n1 + a + b;
            e[n] = (4.0 * n1 * (n1 + a) * (n1 + b) * (n1 + a + b)
                / (s1 * s1 * (s1 + 1.0) * (s1 - 1.0)))
                .sqrt();
        }
    }
    for l in 0..m {
        for _iteration in 0..60 {
            let mut end = l;
            while end + 1 < m && e[end].abs() > f64::EPSILON * (d[end].abs() + d[end + 1].abs()) {
                end += 1;
            }
            if end == l {
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let r = g.hypot(1.0);
            g = d[end] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut split = false;
            for i in (l..end).rev() {
                let f = s * e[i];
                let bb = c * e[i];
                let r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[end] = 0.0;
                    split = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                let r = (d[i] - g) * s + 2.0 * c * bb;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - bb;
                let h = z[i + 1];
                z[i + 1] = s * z[i] + c * h;
                z[i] = c * z[i] - s * h;
            }
            if !split {
                d[l] -= p;
                e[l] = g;
                e[end] = 0.0;
            }
        }
    }
    let total: f64 = z.iter().map(|v| v * v).sum();
    d.iter()
        .zip(&z)
        .map(|(x, v)| ((x + 1.0) / 2.0, v * v / total))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature_has_the_beta_moments() {
        for (alpha, beta) in [(1.0, 1.0), (1.0, 5.0), (2.2, 3.8), (5.0, 1.0), (3.0, 3.0)] {
            let q = gauss_jacobi(alpha, beta, 12);
            let mut exact = 1.0;
            for k in 0..20 {
                let got: f64 = q.iter().map(|(y, w)| w * y.powi(k)).sum();
                assert!(
                    (got - exact).abs() < 1e-12 * exact,
                    "Beta({alpha}, {beta}) moment {k}"
                );
                exact *= (alpha + f64::from(k)) / (alpha + beta + f64::from(k));
            }
            assert!(q.iter().all(|&(y, w)| (0.0..=1.0).contains(&y) && w > 0.0));
        }
    }

    fn pert(min: f64, mode: f64, max: f64) -> Estimate {
        Estimate::Pert { min, mode, max }
    }

    #[test]
    fn probabilities_converge_and_match_a_poisson_for_a_constant_rate() {
        let constant = CountTable::new(&Estimate::Constant(3.0), &Estimate::Constant(1.0), 1.0)
            .expect("bounded");
        let mut p = (-3.0f64).exp();
        let mut cdf = 0.0;
        for n in 0..20 {
            cdf += p;
            assert!((constant.cdf[n] - cdf).abs() < 1e-15);
            p *= 3.0 / (n + 1) as f64;
        }
        // The bench scenario's rate, and a wide one, against twice the nodes.
        for (t, v, f) in [
            (pert(0.5, 2.0, 6.0), pert(0.1, 0.25, 0.5), 1.0),
            (pert(0.0, 1.0, 16.0), pert(0.0, 0.99, 1.0), 1.0),
            (pert(0.5, 2.0, 6.0), pert(0.1, 0.25, 0.5), 0.3),
        ] {
            let table = CountTable::new(&t, &v, f).expect("bounded");
            let fine = |s: &Estimate| match s.beta_shape() {
                Some((alpha, beta, min, range)) => gauss_jacobi(alpha, beta, 2 * NODES)
                    .into_iter()
                    .map(|(y, w)| (min + range * y, w))
                    .collect::<Vec<_>>(),
                _ => unreachable!(),
            };
            let mut pmf = vec![0.0; table.cdf.len()];
            for (tv, tw) in fine(&t) {
                for &(vv, vw) in &fine(&v) {
                    let lambda = f * tv * vv;
                    for (n, p) in pmf.iter_mut().enumerate() {
                        let ln = -lambda + n as f64 * lambda.ln() - ln_factorial(n);
                        *p += tw
                            * vw
                            * if lambda > 0.0 {
                                ln.exp()
                            } else {
                                f64::from(n == 0)
                            };
                    }
                }
            }
            let mut cdf = 0.0;
            for (n, p) in pmf.iter().enumerate() {
                cdf += p;
                assert!((table.cdf[n] - cdf).abs() < 1e-12, "n = {n}");
            }
            assert!((1.0 - cdf).abs() < 1e-12);
        }
    }

    fn ln_factorial(n: usize) -> f64 {
        (1..=n).map(|k| (k as f64).ln()).sum()
    }

    #[test]
    fn draws_invert_the_distribution_function() {
        let t = CountTable::new(&Estimate::Constant(9.0), &Estimate::Constant(1.0), 1.0).unwrap();
        for u in [0.0, 1e-9, 0.3, 0.5, 0.9, 0.999_999, 1.0 - f64::EPSILON] {
            let n = t.draw(u) as usize;
            assert!(u < t.cdf[n] || n == t.cdf.len() - 1, "{u}");
            assert!(n == 0 || u >= t.cdf[n - 1], "{u}");
        }
        assert!(CountTable::new(&pert(1.0, 5.0, 20.0), &Estimate::Constant(1.0), 1.0).is_none());
        let lognormal = Estimate::Lognormal90 {
            low: 1.0,
            high: 2.0,
        };
        assert!(CountTable::new(&lognormal, &Estimate::Constant(1.0), 1.0).is_none());
    }
}
