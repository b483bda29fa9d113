//! Explicit, seeded randomness.
//!
//! Every random choice in softeq (initial weights, data, group samples, the bilinear layer's
//! choice of tensor copies) draws from a [`SeededRng`] created from a `u64` seed. The generator
//! is Xoshiro256++ from `rand_xoshiro`, whose output stream is fixed by its specification, so a
//! seed gives the same numbers on every platform and across releases of `rand`.

use rand::SeedableRng;

/// The generator used everywhere in softeq.
pub type SeededRng = rand_xoshiro::Xoshiro256PlusPlus;

/// Creates the generator for `seed`.
pub fn rng_from_seed(seed: u64) -> SeededRng {
    SeededRng::seed_from_u64(seed)
}

/// Derives an independent seed for a named sub-stream (for example one per trial or per layer),
/// so that adding a consumer of randomness does not shift the numbers every other consumer sees.
///
/// The mixing is SplitMix64's finaliser applied to `seed` combined with `stream`.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
