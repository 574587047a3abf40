/*
 * distance_sums.h
 *	  What the kernel files (distance.c, distance_half.c) share: the x86
 *	  detection and target attributes, and the one fixed tree in which every
 *	  variant adds up its sixteen partial sums.  Internal to those files;
 *	  plain C with no PostgreSQL dependency, like them.
 */
#ifndef VECINDEX_DISTANCE_SUMS_H
#define VECINDEX_DISTANCE_SUMS_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VEC_HAVE_X86 1
#include <immintrin.h>
#endif

/*
 * The same order as the final horizontal sum of the x86 variants (hsum512),
 * so that for n <= 16 all variants return the same bits (distance.c).
 */
static inline float
sum_lanes(const float *s)
{
	return (((s[0] + s[8]) + (s[4] + s[12])) + ((s[2] + s[10]) + (s[6] + s[14]))) +
		(((s[1] + s[9]) + (s[5] + s[13])) + ((s[3] + s[11]) + (s[7] + s[15])));
}

#ifdef VEC_HAVE_X86

#define AVX2_TARGET __attribute__((target("avx2,fma")))
#define AVX512_TARGET __attribute__((target("avx512f,avx2,fma")))

/* ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)): sum_lanes()'s tree */
AVX2_TARGET static inline float
hsum256(__m256 v)
{
	__m128		x = _mm_add_ps(_mm256_castps256_ps128(v),
							   _mm256_extractf128_ps(v, 1));

	x = _mm_add_ps(x, _mm_movehl_ps(x, x));
	x = _mm_add_ss(x, _mm_movehdup_ps(x));
	return _mm_cvtss_f32(x);
}

/* hsum256(lanes 0..7 + lanes 8..15): the order of sum_lanes() */
AVX512_TARGET static inline float
hsum512(__m512 v)
{
	__m256		lo = _mm512_castps512_ps256(v);
	__m256		hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));

	return hsum256(_mm256_add_ps(lo, hi));
}

#endif							/* VEC_HAVE_X86 */

#endif							/* VECINDEX_DISTANCE_SUMS_H */
