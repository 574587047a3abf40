/*
 * distance_sq8.c
 *	  Squared L2 distance over 8-bit scalar-quantized copies of vectors:
 *	  portable C, AVX2 and AVX-512BW, chosen at run time.
 *
 * A serial build under L2 may keep, beside the half-precision copy, an
 * 8-bit copy of every vector in its memory graph (hnsw_memgraph.h): element x
 * is stored as the code round((x - lo) / step), clamped to 0..255, with one
 * lo and one step for the whole build.  The squared distance of two copies
 * is then step^2 times the sum of the squared code differences, a sum of
 * integers computed exactly: a quarter of the float vector's bytes per
 * distance, where a build's search spends most of its time waiting for
 * memory.  Data stored as small integers (pixels, counts) fits the codes
 * exactly.  Pages, and every distance a scan reports, stay in float.
 *
 * Conventions, as distance_half.c: a copy holds vec_sq8_padded(n) codes,
 * 0 after the vector, and a kernel takes that padded length (0 - 0 adds
 * nothing); every variant returns the same exact integer.
 *
 * Plain C with no PostgreSQL headers, like distance.c.
 */
#include "distance.h"
#include "distance_sums.h"

#include <math.h>
#include <string.h>

float
vec_sq8_encode(const float *in, VecSq8 *out, int n, float lo, float step)
{
	float		hi = lo + 255.0f * step;
	float		excess = 0.0f;
	int			i;

	for (i = 0; i < n; i++)
	{
		float		x = in[i];

		if (x < lo)
		{
			excess = fmaxf(excess, (lo - x) / step);
			out[i] = 0;
		}
		else if (x > hi)
		{
			excess = fmaxf(excess, (x - hi) / step);
			out[i] = 255;
		}
		else
		{
			/* rounds to nearest, ties to even; within 0..255 by the tests */
			float		q = rintf((x - lo) / step);

			out[i] = (VecSq8) fminf(q, 255.0f);
		}
	}
	memset(out + n, 0, vec_sq8_padded(n) - n);
	return excess;
}

static uint32_t
l2_squared_sq8_portable(const VecSq8 *a, const VecSq8 *b, int n)
{
	uint32_t	sum = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		int32_t		d = (int32_t) a[i] - (int32_t) b[i];

		sum += (uint32_t) (d * d);
	}
	return sum;
}

static const VecSq8Kernels sq8_portable = {
	"portable",
	l2_squared_sq8_portable
};

#ifdef VEC_HAVE_X86

/*
 * Codes are widened to 16 bits, subtracted (-255..255) and squared with
 * pmaddwd, which adds pairs into 32-bit lanes: no lane can overflow, as
 * the whole sum stays below 2^31 for any vector the type allows.
 */
AVX2_TARGET static uint32_t
l2_squared_sq8_avx2(const VecSq8 *a, const VecSq8 *b, int n)
{
	__m256i		s = _mm256_setzero_si256();
	int			i;

	for (i = 0; i < n; i += 16)
	{
		__m256i		d = _mm256_sub_epi16(
										 _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *) (a + i))),
										 _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *) (b + i))));

		s = _mm256_add_epi32(s, _mm256_madd_epi16(d, d));
	}
	{
		__m128i		x = _mm_add_epi32(_mm256_castsi256_si128(s),
									  _mm256_extracti128_si256(s, 1));

		x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
		x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
		return (uint32_t) _mm_cvtsi128_si32(x);
	}
}

static const VecSq8Kernels sq8_avx2 = {
	"avx2",
	l2_squared_sq8_avx2
};

#define AVX512BW_TARGET __attribute__((target("avx512f,avx512bw,avx2,fma")))

AVX512BW_TARGET static uint32_t
l2_squared_sq8_avx512(const VecSq8 *a, const VecSq8 *b, int n)
{
	__m512i		s = _mm512_setzero_si512();
	int			i;

	/* n is a multiple of VEC_SQ8_BLOCK (32) */
	for (i = 0; i < n; i += 32)
	{
		__m512i		d = _mm512_sub_epi16(
										 _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *) (a + i))),
										 _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *) (b + i))));

		s = _mm512_add_epi32(s, _mm512_madd_epi16(d, d));
	}
	return (uint32_t) _mm512_reduce_add_epi32(s);
}

static const VecSq8Kernels sq8_avx512 = {
	"avx512",
	l2_squared_sq8_avx512
};

#endif							/* VEC_HAVE_X86 */

/* ---------------------------------------------------------------------
 * Selection: the widest variant no wider than the float variant in use
 * (a setting that asks for narrower kernels gets narrower ones here too).
 * ---------------------------------------------------------------------
 */

const VecSq8Kernels *vec_sq8_kernels = &sq8_portable;

int
vec_sq8_kernel_variants(const VecSq8Kernels **out, int max)
{
	const VecKernels *fl[8];
	int			nfl = vec_kernel_variants(fl, 8);
	int			count = 0;
	int			i;

	if (count < max)
		out[count++] = &sq8_portable;
#ifdef VEC_HAVE_X86
	for (i = 1; i < nfl && count < max; i++)
	{
		if (strcmp(fl[i]->name, "avx2") == 0)
			out[count++] = &sq8_avx2;
		else if (strcmp(fl[i]->name, "avx512") == 0 &&
				 __builtin_cpu_supports("avx512bw"))
			out[count++] = &sq8_avx512;
	}
#else
	(void) fl;
	(void) nfl;
	(void) i;
#endif
	return count;
}

void
vec_sq8_kernels_init(void)
{
	const VecSq8Kernels *variants[8];
	int			count = vec_sq8_kernel_variants(variants, 8);
	int			wide = strcmp(vec_kernels->name, "avx512") == 0 ? 2 :
		strcmp(vec_kernels->name, "avx2") == 0 ? 1 : 0;
	int			i;

	vec_sq8_kernels = &sq8_portable;
	for (i = 0; i < count; i++)
	{
		if ((strcmp(variants[i]->name, "avx2") == 0 && wide >= 1) ||
			(strcmp(variants[i]->name, "avx512") == 0 && wide >= 2))
			vec_sq8_kernels = variants[i];
	}
}
