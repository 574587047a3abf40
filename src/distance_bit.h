/*
 * distance_bit.h
 *	  Popcount kernels for bit strings (Hamming and Jaccard distances),
 *	  called directly from C (no fmgr per distance).
 *
 * Plain C with no PostgreSQL dependency, like distance.h, so the unit test
 * (test/unit/test_distance_bit.c) can build distance_bit.c standalone.
 *
 * A bit string here is a byte array in PostgreSQL's bit/varbit layout
 * (VARBITS(), VARBITBYTES()): bit 0 is the most significant bit of byte 0.
 * The kernels count bits, so the order of bits within a byte does not
 * matter to them.
 *
 * What the caller must guarantee:
 *
 *	 - a and b each hold nbytes readable bytes (nbytes >= 0; any alignment);
 *	   the kernels read nothing outside them;
 *	 - the padding bits -- those of the last byte after the string's last
 *	   bit, when its length is not a multiple of 8 -- are zero in both
 *	   strings.  The kernels count whole bytes, so a set padding bit would
 *	   be counted as if it were part of the string.  PostgreSQL keeps them
 *	   zero in every bit and varbit value (bit_in, bit_recv and every bit
 *	   function pad with zeros), so the bytes of a stored datum can be passed
 *	   as they are; a caller that builds strings itself must clear them.
 *
 * Results are exact counts, so every variant returns the same value as the
 * portable one for every input, whichever argument comes first and wherever
 * the strings lie in memory.  A count is at most 8 * nbytes, which fits in
 * 32 bits for any PostgreSQL bit string (at most 2^31 - 1 bits).
 */
#ifndef VECINDEX_DISTANCE_BIT_H
#define VECINDEX_DISTANCE_BIT_H

#include <stdint.h>

typedef struct VecBitKernels
{
	const char *name;			/* "portable", "popcnt", "avx2", "avx512" */

	/* popcount(a XOR b): the Hamming distance */
	uint32_t	(*hamming) (const uint8_t *a, const uint8_t *b, int nbytes);

	/*
	 * In one pass: *both = popcount(a AND b), *either = popcount(a OR b);
	 * vec_bit_jaccard() turns them into the Jaccard distance.
	 */
	void		(*jaccard_counts) (const uint8_t *a, const uint8_t *b, int nbytes,
								   uint32_t *both, uint32_t *either);
} VecBitKernels;

/* The variant in use; valid (portable) even before vec_bit_kernels_init(). */
extern const VecBitKernels *vec_bit_kernels;

/* Selects the fastest variant this CPU runs.  Idempotent, cheap. */
extern void vec_bit_kernels_init(void);

/*
 * Fills out[] with every variant this CPU can run (portable first) and
 * returns how many; for the unit test and benchmarks.
 */
extern int	vec_bit_kernel_variants(const VecBitKernels **out, int max);

/*
 * The Jaccard distance 1 - |a AND b| / |a OR b| from the counts, as pgvector
 * computes it (in double precision).  With nothing in common, including two
 * strings without a set bit, it is 1.
 */
static inline double
vec_bit_jaccard(uint32_t both, uint32_t either)
{
	if (both == 0)
		return 1.0;
	return 1.0 - (double) both / (double) either;
}

#endif							/* VECINDEX_DISTANCE_BIT_H */
