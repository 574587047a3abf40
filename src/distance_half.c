/*
 * distance_half.c
 *	  Distance kernels over IEEE binary16 ("half precision") copies of
 *	  vectors: portable C, AVX2+FMA+F16C and AVX-512F, chosen at run time.
 *
 * A build keeps a half-precision working copy of every vector in its memory
 * graph (hnsw_memgraph.h): the graph's own distances (search, neighbour
 * selection, pruning) then read half the bytes, and a larger graph stays in
 * the caches.  Vectors on pages, and every distance a scan reports, stay in
 * single precision; only the build's choice of links uses these.
 *
 * Conventions, which make the kernels short:
 *	 - a half copy holds vec_half_padded(dim) elements, the vector then
 *	   +0.0 up to a multiple of VEC_HALF_BLOCK, and a kernel is called with
 *	   that padded length: the padding adds 0 to every sum (0 - 0, 0 * 0),
 *	   so there is no partial chunk and nothing to mask;
 *	 - the halves are widened to float exactly and summed in float, in a
 *	   fixed order: a result depends only on the values, never on where the
 *	   vectors are, and every kernel is symmetric in a and b;
 *	 - from_float rounds to nearest, ties to even, in every variant, so all
 *	   variants make the same copies (the unit test checks this bit for bit).
 *
 * The halfvec type's SQL distances use the "_any" kernels, the same sums
 * over unpadded elements (any length; see distance.h).
 *
 * Plain C with no PostgreSQL headers, like distance.c.
 */
#include "distance.h"
#include "distance_sums.h"

#include <math.h>
#include <string.h>

#ifdef VEC_HAVE_X86
#include <cpuid.h>
#endif

/* A half's exponent bits: all set for infinity (and NaN) */
#define HALF_EXP_MASK 0x7c00
/* The largest finite half, 65504, without its sign */
#define HALF_MAX 0x7bff

/*
 * Saturates out[0..n-1] after a conversion: an infinity becomes +-65504, as
 * another build process may still measure with the copy, and under inner
 * product infinity times zero would be a NaN distance.  Returns 0 if any
 * element was saturated, else 1.
 */
static int
saturate(VecHalf *out, int n)
{
	int			ok = 1;
	int			i;

	for (i = 0; i < n; i++)
	{
		if ((out[i] & HALF_EXP_MASK) == HALF_EXP_MASK)
		{
			out[i] = (out[i] & 0x8000) | HALF_MAX;
			ok = 0;
		}
	}
	return ok;
}

/* ---------------------------------------------------------------------
 * Portable variant: conversions in software.  Slow (it is not "native", so
 * a build does not use half copies with it); it is the reference the unit
 * test checks the hardware variants against.
 * ---------------------------------------------------------------------
 */

float
vec_half_to_float(VecHalf h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1f;
	uint32_t	man = h & 0x3ff;
	uint32_t	bits;
	float		f;

	if (exp == 0)
	{
		/* zero or subnormal: man * 2^-24, exact in float */
		f = ldexpf((float) man, -24);
		return sign ? -f : f;
	}
	if (exp == 31)
		bits = sign | 0x7f800000 | (man << 13);
	else
		bits = sign | ((exp + 112) << 23) | (man << 13);
	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* Round to nearest, ties to even; too large becomes infinity. */
VecHalf
vec_float_to_half(float f)
{
	uint32_t	x;
	uint32_t	ax;
	VecHalf		sign;

	memcpy(&x, &f, sizeof(x));
	sign = (VecHalf) ((x >> 16) & 0x8000);
	ax = x & 0x7fffffff;
	if (ax > 0x7f800000)
		return sign | 0x7e00;	/* NaN (vectors never hold one) */
	if (ax >= 0x477ff000)
		return sign | 0x7c00;	/* >= 65520: rounds to infinity */
	if (ax < 0x38800000)
	{
		/*
		 * Below 2^-14, half precision's smallest normal: a subnormal of unit
		 * 2^-24.  Scaling by 2^24 is exact, and rintf rounds ties to even;
		 * a result of 1024 is the smallest normal's encoding, as it should.
		 */
		float		a;

		memcpy(&a, &ax, sizeof(a));
		return sign | (VecHalf) rintf(a * 16777216.0f);
	}
	/* rebias the exponent (127 -> 15) and round away 13 mantissa bits */
	return sign | (VecHalf) ((ax - 0x38000000 + 0x0fff + ((ax >> 13) & 1)) >> 13);
}

static int
from_float_portable(const float *in, VecHalf *out, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		out[i] = vec_float_to_half(in[i]);
	for (; i < vec_half_padded(n); i++)
		out[i] = 0;
	return saturate(out, n);
}

#define PORTABLE_LANES VEC_HALF_BLOCK

static float
l2_squared_half_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;
	int			j;

	for (i = 0; i < n; i += PORTABLE_LANES)
		for (j = 0; j < PORTABLE_LANES; j++)
		{
			float		d = vec_half_to_float(a[i + j]) - vec_half_to_float(b[i + j]);

			s[j] += d * d;
		}
	return sum_lanes(s);
}

static float
inner_product_half_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;
	int			j;

	for (i = 0; i < n; i += PORTABLE_LANES)
		for (j = 0; j < PORTABLE_LANES; j++)
			s[j] += vec_half_to_float(a[i + j]) * vec_half_to_float(b[i + j]);
	return sum_lanes(s);
}

static float
l1_half_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;
	int			j;

	for (i = 0; i < n; i += PORTABLE_LANES)
		for (j = 0; j < PORTABLE_LANES; j++)
			s[j] += fabsf(vec_half_to_float(a[i + j]) - vec_half_to_float(b[i + j]));
	return sum_lanes(s);
}

/*
 * Over unpadded halves: element i goes to sum i % PORTABLE_LANES, as in the
 * padded kernels above, and the missing padding would only have added +0.
 */
static float
l2_squared_half_any_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;

	for (i = 0; i < n; i++)
	{
		float		d = vec_half_to_float(a[i]) - vec_half_to_float(b[i]);

		s[i % PORTABLE_LANES] += d * d;
	}
	return sum_lanes(s);
}

static float
inner_product_half_any_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;

	for (i = 0; i < n; i++)
		s[i % PORTABLE_LANES] += vec_half_to_float(a[i]) * vec_half_to_float(b[i]);
	return sum_lanes(s);
}

static float
l1_half_any_portable(const VecHalf *a, const VecHalf *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i;

	for (i = 0; i < n; i++)
		s[i % PORTABLE_LANES] += fabsf(vec_half_to_float(a[i]) - vec_half_to_float(b[i]));
	return sum_lanes(s);
}

static void
cosine_parts_half_any_portable(const VecHalf *a, const VecHalf *b, int n,
							   float *ab, float *aa, float *bb)
{
	float		sab[PORTABLE_LANES] = {0};
	float		saa[PORTABLE_LANES] = {0};
	float		sbb[PORTABLE_LANES] = {0};
	int			i;

	for (i = 0; i < n; i++)
	{
		float		x = vec_half_to_float(a[i]);
		float		y = vec_half_to_float(b[i]);

		sab[i % PORTABLE_LANES] += x * y;
		saa[i % PORTABLE_LANES] += x * x;
		sbb[i % PORTABLE_LANES] += y * y;
	}
	*ab = sum_lanes(sab);
	*aa = sum_lanes(saa);
	*bb = sum_lanes(sbb);
}

static void
to_float_portable(const VecHalf *in, float *out, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		out[i] = vec_half_to_float(in[i]);
}

static const VecHalfKernels half_portable = {
	"portable",
	l2_squared_half_portable,
	inner_product_half_portable,
	l1_half_portable,
	from_float_portable,
	0,
	l2_squared_half_any_portable,
	inner_product_half_any_portable,
	l1_half_any_portable,
	cosine_parts_half_any_portable,
	to_float_portable
};

#ifdef VEC_HAVE_X86

/*
 * The tail of a conversion (fewer than 16 floats) goes through a zeroed
 * buffer, so no load reads past the input and the padding comes out +0.
 */
#define FROM_FLOAT_BODY(CONVERT16) \
	int			i; \
	for (i = 0; i < n; i += 16) \
	{ \
		float		buf[16]; \
		const float *src = in + i; \
		if (n - i < 16) \
		{ \
			memset(buf, 0, sizeof(buf)); \
			memcpy(buf, in + i, sizeof(float) * (n - i)); \
			src = buf; \
		} \
		CONVERT16(src, out + i); \
	} \
	return saturate(out, n)

/*
 * The unpadded kernels run the padded kernels' steps over whole blocks of
 * 32 halves in place, and over the last partial block (fewer than 32) from
 * zeroed copies: the same sums as over the padded copies, read no further
 * than n.
 */
#define ANY_BLOCK 32

static inline int
copy_tail(const VecHalf *a, const VecHalf *b, int from, int n,
		  VecHalf *ta, VecHalf *tb)
{
	if (from >= n)
		return 0;
	memset(ta, 0, sizeof(VecHalf) * ANY_BLOCK);
	memset(tb, 0, sizeof(VecHalf) * ANY_BLOCK);
	memcpy(ta, a + from, sizeof(VecHalf) * (n - from));
	memcpy(tb, b + from, sizeof(VecHalf) * (n - from));
	return 1;
}

/* ---------------------------------------------------------------------
 * AVX2 + FMA + F16C: 8 lanes, four accumulators (32 halves per step)
 * ---------------------------------------------------------------------
 */
#define AVX2H_TARGET __attribute__((target("avx2,fma,f16c")))

#define LDH256(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (p)))

/*
 * Accumulator j takes the 8 halves at i + 8j for i = 0, 32, 64, ...; a
 * length that is 16 mod 32 leaves one 16-half block for accumulators 0, 1.
 */
#define AVX2H_KERNEL(NAME, STEP) \
AVX2H_TARGET static float \
NAME(const VecHalf *a, const VecHalf *b, int n) \
{ \
	__m256		s0 = _mm256_setzero_ps(); \
	__m256		s1 = _mm256_setzero_ps(); \
	__m256		s2 = _mm256_setzero_ps(); \
	__m256		s3 = _mm256_setzero_ps(); \
	int			i = 0; \
	for (; i + 32 <= n; i += 32) \
	{ \
		STEP(s0, i); STEP(s1, i + 8); STEP(s2, i + 16); STEP(s3, i + 24); \
	} \
	if (i < n) \
	{ \
		STEP(s0, i); STEP(s1, i + 8); \
	} \
	return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
}

#define L2_STEP256(s, off) \
	do { \
		__m256		d_ = _mm256_sub_ps(LDH256(a + (off)), LDH256(b + (off))); \
		(s) = _mm256_fmadd_ps(d_, d_, (s)); \
	} while (0)
#define IP_STEP256(s, off) \
	((s) = _mm256_fmadd_ps(LDH256(a + (off)), LDH256(b + (off)), (s)))
#define L1_STEP256(s, off) \
	((s) = _mm256_add_ps((s), _mm256_andnot_ps(_mm256_set1_ps(-0.0f), \
						  _mm256_sub_ps(LDH256(a + (off)), LDH256(b + (off))))))

AVX2H_KERNEL(l2_squared_half_avx2, L2_STEP256)
AVX2H_KERNEL(inner_product_half_avx2, IP_STEP256)
AVX2H_KERNEL(l1_half_avx2, L1_STEP256)

/* The unpadded form: a and b are the steps' names, moved to the copies */
#define AVX2H_ANY_KERNEL(NAME, STEP) \
AVX2H_TARGET static float \
NAME(const VecHalf *a, const VecHalf *b, int n) \
{ \
	__m256		s0 = _mm256_setzero_ps(); \
	__m256		s1 = _mm256_setzero_ps(); \
	__m256		s2 = _mm256_setzero_ps(); \
	__m256		s3 = _mm256_setzero_ps(); \
	VecHalf		ta[ANY_BLOCK]; \
	VecHalf		tb[ANY_BLOCK]; \
	int			i = 0; \
	for (; i + ANY_BLOCK <= n; i += ANY_BLOCK) \
	{ \
		STEP(s0, i); STEP(s1, i + 8); STEP(s2, i + 16); STEP(s3, i + 24); \
	} \
	if (copy_tail(a, b, i, n, ta, tb)) \
	{ \
		a = ta; \
		b = tb; \
		STEP(s0, 0); STEP(s1, 8); STEP(s2, 16); STEP(s3, 24); \
	} \
	return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
}

AVX2H_ANY_KERNEL(l2_squared_half_any_avx2, L2_STEP256)
AVX2H_ANY_KERNEL(inner_product_half_any_avx2, IP_STEP256)
AVX2H_ANY_KERNEL(l1_half_any_avx2, L1_STEP256)

/* Accumulator j of each sum as in inner_product_half_any_avx2 */
#define COS_STEP256(j, off) \
	do { \
		__m256		x_ = LDH256(a + (off)); \
		__m256		y_ = LDH256(b + (off)); \
		sab[j] = _mm256_fmadd_ps(x_, y_, sab[j]); \
		saa[j] = _mm256_fmadd_ps(x_, x_, saa[j]); \
		sbb[j] = _mm256_fmadd_ps(y_, y_, sbb[j]); \
	} while (0)
#define HSUM4_256(s) \
	hsum256(_mm256_add_ps(_mm256_add_ps((s)[0], (s)[1]), _mm256_add_ps((s)[2], (s)[3])))

AVX2H_TARGET static void
cosine_parts_half_any_avx2(const VecHalf *a, const VecHalf *b, int n,
						   float *ab, float *aa, float *bb)
{
	__m256		sab[4];
	__m256		saa[4];
	__m256		sbb[4];
	VecHalf		ta[ANY_BLOCK];
	VecHalf		tb[ANY_BLOCK];
	int			i = 0;
	int			j;

	for (j = 0; j < 4; j++)
		sab[j] = saa[j] = sbb[j] = _mm256_setzero_ps();
	for (; i + ANY_BLOCK <= n; i += ANY_BLOCK)
	{
		COS_STEP256(0, i); COS_STEP256(1, i + 8);
		COS_STEP256(2, i + 16); COS_STEP256(3, i + 24);
	}
	if (copy_tail(a, b, i, n, ta, tb))
	{
		a = ta;
		b = tb;
		COS_STEP256(0, 0); COS_STEP256(1, 8);
		COS_STEP256(2, 16); COS_STEP256(3, 24);
	}
	*ab = HSUM4_256(sab);
	*aa = HSUM4_256(saa);
	*bb = HSUM4_256(sbb);
}

#define CONVERT16_AVX2(src, dst) \
	do { \
		_mm_storeu_si128((__m128i *) (dst), \
						 _mm256_cvtps_ph(_mm256_loadu_ps(src), _MM_FROUND_TO_NEAREST_INT)); \
		_mm_storeu_si128((__m128i *) ((dst) + 8), \
						 _mm256_cvtps_ph(_mm256_loadu_ps((src) + 8), _MM_FROUND_TO_NEAREST_INT)); \
	} while (0)

AVX2H_TARGET static int
from_float_avx2(const float *in, VecHalf *out, int n)
{
	FROM_FLOAT_BODY(CONVERT16_AVX2);
}

/* 8 halves at a time (F16C), the tail one by one */
AVX2H_TARGET static void
to_float_avx2(const VecHalf *in, float *out, int n)
{
	int			i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(out + i,
						 _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (in + i))));
	for (; i < n; i++)
		out[i] = _cvtsh_ss(in[i]);
}

static const VecHalfKernels half_avx2 = {
	"avx2",
	l2_squared_half_avx2,
	inner_product_half_avx2,
	l1_half_avx2,
	from_float_avx2,
	1,
	l2_squared_half_any_avx2,
	inner_product_half_any_avx2,
	l1_half_any_avx2,
	cosine_parts_half_any_avx2,
	to_float_avx2
};

/* ---------------------------------------------------------------------
 * AVX-512F: 16 lanes, two accumulators (32 halves per step)
 * ---------------------------------------------------------------------
 */
#define AVX512H_TARGET __attribute__((target("avx512f,avx2,fma,f16c")))

#define LDH512(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (p)))


#define AVX512H_KERNEL(NAME, STEP) \
AVX512H_TARGET static float \
NAME(const VecHalf *a, const VecHalf *b, int n) \
{ \
	__m512		s0 = _mm512_setzero_ps(); \
	__m512		s1 = _mm512_setzero_ps(); \
	int			i = 0; \
	for (; i + 32 <= n; i += 32) \
	{ \
		STEP(s0, i); STEP(s1, i + 16); \
	} \
	if (i < n) \
		STEP(s0, i); \
	return hsum512(_mm512_add_ps(s0, s1)); \
}

#define L2_STEP512(s, off) \
	do { \
		__m512		d_ = _mm512_sub_ps(LDH512(a + (off)), LDH512(b + (off))); \
		(s) = _mm512_fmadd_ps(d_, d_, (s)); \
	} while (0)
#define IP_STEP512(s, off) \
	((s) = _mm512_fmadd_ps(LDH512(a + (off)), LDH512(b + (off)), (s)))
#define L1_STEP512(s, off) \
	((s) = _mm512_add_ps((s), _mm512_abs_ps(_mm512_sub_ps(LDH512(a + (off)), \
														   LDH512(b + (off))))))

AVX512H_KERNEL(l2_squared_half_avx512, L2_STEP512)
AVX512H_KERNEL(inner_product_half_avx512, IP_STEP512)
AVX512H_KERNEL(l1_half_avx512, L1_STEP512)

#define AVX512H_ANY_KERNEL(NAME, STEP) \
AVX512H_TARGET static float \
NAME(const VecHalf *a, const VecHalf *b, int n) \
{ \
	__m512		s0 = _mm512_setzero_ps(); \
	__m512		s1 = _mm512_setzero_ps(); \
	VecHalf		ta[ANY_BLOCK]; \
	VecHalf		tb[ANY_BLOCK]; \
	int			i = 0; \
	for (; i + ANY_BLOCK <= n; i += ANY_BLOCK) \
	{ \
		STEP(s0, i); STEP(s1, i + 16); \
	} \
	if (copy_tail(a, b, i, n, ta, tb)) \
	{ \
		a = ta; \
		b = tb; \
		STEP(s0, 0); STEP(s1, 16); \
	} \
	return hsum512(_mm512_add_ps(s0, s1)); \
}

AVX512H_ANY_KERNEL(l2_squared_half_any_avx512, L2_STEP512)
AVX512H_ANY_KERNEL(inner_product_half_any_avx512, IP_STEP512)
AVX512H_ANY_KERNEL(l1_half_any_avx512, L1_STEP512)

#define COS_STEP512(j, off) \
	do { \
		__m512		x_ = LDH512(a + (off)); \
		__m512		y_ = LDH512(b + (off)); \
		sab[j] = _mm512_fmadd_ps(x_, y_, sab[j]); \
		saa[j] = _mm512_fmadd_ps(x_, x_, saa[j]); \
		sbb[j] = _mm512_fmadd_ps(y_, y_, sbb[j]); \
	} while (0)

AVX512H_TARGET static void
cosine_parts_half_any_avx512(const VecHalf *a, const VecHalf *b, int n,
							 float *ab, float *aa, float *bb)
{
	__m512		sab[2];
	__m512		saa[2];
	__m512		sbb[2];
	VecHalf		ta[ANY_BLOCK];
	VecHalf		tb[ANY_BLOCK];
	int			i = 0;
	int			j;

	for (j = 0; j < 2; j++)
		sab[j] = saa[j] = sbb[j] = _mm512_setzero_ps();
	for (; i + ANY_BLOCK <= n; i += ANY_BLOCK)
	{
		COS_STEP512(0, i);
		COS_STEP512(1, i + 16);
	}
	if (copy_tail(a, b, i, n, ta, tb))
	{
		a = ta;
		b = tb;
		COS_STEP512(0, 0);
		COS_STEP512(1, 16);
	}
	*ab = hsum512(_mm512_add_ps(sab[0], sab[1]));
	*aa = hsum512(_mm512_add_ps(saa[0], saa[1]));
	*bb = hsum512(_mm512_add_ps(sbb[0], sbb[1]));
}

#define CONVERT16_AVX512(src, dst) \
	_mm256_storeu_si256((__m256i *) (dst), \
						_mm512_cvtps_ph(_mm512_loadu_ps(src), _MM_FROUND_TO_NEAREST_INT))

AVX512H_TARGET static int
from_float_avx512(const float *in, VecHalf *out, int n)
{
	FROM_FLOAT_BODY(CONVERT16_AVX512);
}

/* 16 halves at a time, the tail one by one (F16C) */
AVX512H_TARGET static void
to_float_avx512(const VecHalf *in, float *out, int n)
{
	int			i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(out + i,
						 _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (in + i))));
	for (; i < n; i++)
		out[i] = _cvtsh_ss(in[i]);
}

static const VecHalfKernels half_avx512 = {
	"avx512",
	l2_squared_half_avx512,
	inner_product_half_avx512,
	l1_half_avx512,
	from_float_avx512,
	1,
	l2_squared_half_any_avx512,
	inner_product_half_any_avx512,
	l1_half_any_avx512,
	cosine_parts_half_any_avx512,
	to_float_avx512
};

/* F16C, from CPUID leaf 1 (ECX bit 29); the AVX checks are distance.c's */
static int
cpu_has_f16c(void)
{
	unsigned int eax,
				ebx,
				ecx,
				edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return 0;
	return (ecx & bit_F16C) != 0;
}

#endif							/* VEC_HAVE_X86 */

/* ---------------------------------------------------------------------
 * Selection: the half variant of the float variant in use, if there is one
 * and the CPU converts in hardware; else the portable one.
 * ---------------------------------------------------------------------
 */

const VecHalfKernels *vec_half_kernels = &half_portable;

int
vec_half_kernel_variants(const VecHalfKernels **out, int max)
{
	const VecKernels *fl[8];
	int			nfl = vec_kernel_variants(fl, 8);
	int			count = 0;
	int			i;

	if (count < max)
		out[count++] = &half_portable;
#ifdef VEC_HAVE_X86
	if (!cpu_has_f16c())
		return count;
	for (i = 1; i < nfl && count < max; i++)
	{
		if (strcmp(fl[i]->name, "avx2") == 0)
			out[count++] = &half_avx2;
		else if (strcmp(fl[i]->name, "avx512") == 0)
			out[count++] = &half_avx512;
	}
#else
	(void) fl;
	(void) nfl;
	(void) i;
#endif
	return count;
}

void
vec_half_kernels_init(void)
{
	const VecHalfKernels *variants[8];
	int			count = vec_half_kernel_variants(variants, 8);
	int			i;

	vec_half_kernels = &half_portable;
	for (i = 0; i < count; i++)
		if (strcmp(variants[i]->name, vec_kernels->name) == 0)
			vec_half_kernels = variants[i];
}
