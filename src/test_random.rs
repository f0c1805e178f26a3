//! A small reproducible random stream for unit tests (a 64-bit LCG), so randomized
//! tests need no seed machinery and fail the same way on every machine.

/// The stream's state; `next(n)` gives a number below `n`.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub(crate) fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The stream as a closure: `let mut next = stream(7); next(40)`.
pub(crate) fn stream(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut lcg = Lcg(seed);
    move |n| lcg.next(n)
}
