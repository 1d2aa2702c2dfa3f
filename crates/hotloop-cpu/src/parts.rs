//! Work cut into one part per thread: how the element-wise forms
//! ([`Pool::for_each_part`](crate::pool::Pool::for_each_part)) hand their
//! arrays to the pool.

/// Arrays that a parallel form cuts at the same element index: a slice, a
/// mutable slice, or a pair of them (an output and its input, two inputs).
pub trait Split: Sized + Send {
    /// Elements (of the first array: every array of a bundle is as long).
    fn elements(&self) -> usize;
    /// The elements before `at`, and those from `at`.
    fn cut(self, at: usize) -> (Self, Self);
}

impl<T: Send> Split for &mut [T] {
    fn elements(&self) -> usize {
        self.len()
    }
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

impl<T: Sync> Split for &[T] {
    fn elements(&self) -> usize {
        self.len()
    }
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at(at)
    }
}

impl<A: Split, B: Split> Split for (A, B) {
    fn elements(&self) -> usize {
        self.0.elements()
    }
    fn cut(self, at: usize) -> (Self, Self) {
        let (a0, a1) = self.0.cut(at);
        let (b0, b1) = self.1.cut(at);
        ((a0, b0), (a1, b1))
    }
}

impl<S: Split, const N: usize> Split for [S; N] {
    fn elements(&self) -> usize {
        self.first().map_or(0, Split::elements)
    }
    fn cut(self, at: usize) -> (Self, Self) {
        let (mut lo, mut hi) = (Vec::with_capacity(N), Vec::with_capacity(N));
        for s in self {
            let (a, b) = s.cut(at);
            lo.push(a);
            hi.push(b);
        }
        match (lo.try_into(), hi.try_into()) {
            (Ok(lo), Ok(hi)) => (lo, hi),
            // N elements in, N pieces of each side out.
            _ => unreachable!(),
        }
    }
}

/// Where part `p` of `parts` starts when `elements` are cut at multiples
/// of `chunk`: the chunks shared out as evenly as whole chunks allow.
pub fn part_start(p: usize, parts: usize, elements: usize, chunk: usize) -> usize {
    let chunks = elements.div_ceil(chunk);
    (p * chunks / parts * chunk).min(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_tile_the_elements_at_chunk_multiples() {
        for (elements, chunk) in [(0, 4), (1, 4), (7, 4), (8, 4), (1000, 64), (65537, 1 << 16)] {
            for parts in 1..=9 {
                let bounds: Vec<usize> = (0..=parts)
                    .map(|p| part_start(p, parts, elements, chunk))
                    .collect();
                assert_eq!(bounds[0], 0);
                assert_eq!(bounds[parts], elements);
                assert!(bounds.windows(2).all(|w| w[0] <= w[1]));
                assert!(
                    bounds[..parts]
                        .iter()
                        .all(|b| b % chunk == 0 || *b == elements)
                );
            }
        }
    }

    #[test]
    fn a_bundle_cuts_every_array_at_the_same_index() {
        let mut out = [0u8; 5];
        let input = [1u8, 2, 3, 4, 5];
        let ((o0, i0), (o1, i1)) = (&mut out[..], &input[..]).cut(2);
        assert_eq!(
            (o0.len(), i0, o1.len(), i1),
            (2, &[1u8, 2][..], 3, &[3u8, 4, 5][..])
        );
    }
}
