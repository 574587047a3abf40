/*
 * distance.c
 *	  Distance kernels: portable C, AVX2+FMA and AVX-512F, chosen at run time.
 *
 * Plain C with no PostgreSQL headers, so the unit test can build it alone.
 *
 * All variants accumulate in single precision in many independent partial
 * sums, so that consecutive additions do not wait on one another (an FMA has
 * a latency of about 4 cycles, and a core can start two per cycle), and add
 * the partial sums up in a fixed order at the end.  Which partial sum an
 * element goes to depends only on its index, so
 *
 *	 - a variant's result depends only on the values and n, never on where the
 *	   vectors are in memory, and is the same on every call;
 *	 - every kernel is symmetric bit for bit: l2_squared(a, b, n) ==
 *	   l2_squared(b, a, n), and so on;
 *	 - AVX2 and AVX-512 return the same bits for every input;
 *	 - the portable variant sums in another order, without fused
 *	   multiply-add, so for n > 16 its results may differ from theirs in the
 *	   last bits (for n <= 16 all variants agree).
 *
 * Every kernel accepts any n >= 0 and pointers with only float alignment, and
 * reads nothing outside a[0..n-1] and b[0..n-1]: partial chunks are read with
 * masked loads, which neither read nor fault on masked-off elements.
 *
 * x86 variants are compiled with function target attributes, so no -march
 * flag is needed and the default build runs on any x86-64.
 */
#include "distance.h"
#include "distance_sums.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------
 * Portable variant
 *
 * Sixteen partial sums (element i goes to sum i % 16).  Written so that it is
 * fast without -ffast-math, which PostgreSQL builds do not use: an
 * auto-vectorizer maps the sixteen sums onto SIMD lanes without changing the
 * result (gcc -O2 and clang -O2 both do, on x86-64 and AArch64), and even as
 * scalar code the sums form independent dependency chains.
 * ---------------------------------------------------------------------
 */

#define PORTABLE_LANES 16

/*
 * Spelled out rather than as a loop over j: gcc -O2 does not fully unroll a
 * 16-iteration loop, and then keeps the sums in memory.
 */
#define FOR_LANES(M) \
	M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) \
	M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

static float
l2_squared_portable(const float *a, const float *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i = 0;
	int			j;

	for (; i + PORTABLE_LANES <= n; i += PORTABLE_LANES)
	{
#define L2_LANE(j) \
		{ \
			float		d = a[i + (j)] - b[i + (j)]; \
			s[j] += d * d; \
		}
		FOR_LANES(L2_LANE)
#undef L2_LANE
	}
	for (j = 0; i < n; i++, j++)
	{
		float		d = a[i] - b[i];

		s[j] += d * d;
	}
	return sum_lanes(s);
}

static float
inner_product_portable(const float *a, const float *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i = 0;
	int			j;

	for (; i + PORTABLE_LANES <= n; i += PORTABLE_LANES)
	{
#define IP_LANE(j) s[j] += a[i + (j)] * b[i + (j)];
		FOR_LANES(IP_LANE)
#undef IP_LANE
	}
	for (j = 0; i < n; i++, j++)
		s[j] += a[i] * b[i];
	return sum_lanes(s);
}

static float
l1_portable(const float *a, const float *b, int n)
{
	float		s[PORTABLE_LANES] = {0};
	int			i = 0;
	int			j;

	/* fabsf is a compiler builtin: one AND, no libm call */
	for (; i + PORTABLE_LANES <= n; i += PORTABLE_LANES)
	{
#define L1_LANE(j) s[j] += fabsf(a[i + (j)] - b[i + (j)]);
		FOR_LANES(L1_LANE)
#undef L1_LANE
	}
	for (j = 0; i < n; i++, j++)
		s[j] += fabsf(a[i] - b[i]);
	return sum_lanes(s);
}

static void
cosine_parts_portable(const float *a, const float *b, int n,
					  float *ab, float *aa, float *bb)
{
	float		sab[PORTABLE_LANES] = {0};
	float		saa[PORTABLE_LANES] = {0};
	float		sbb[PORTABLE_LANES] = {0};
	int			i = 0;
	int			j;

	for (; i + PORTABLE_LANES <= n; i += PORTABLE_LANES)
	{
#define COS_LANE(j) \
		{ \
			float		x = a[i + (j)]; \
			float		y = b[i + (j)]; \
			sab[j] += x * y; \
			saa[j] += x * x; \
			sbb[j] += y * y; \
		}
		FOR_LANES(COS_LANE)
#undef COS_LANE
	}
	for (j = 0; i < n; i++, j++)
	{
		float		x = a[i];
		float		y = b[i];

		sab[j] += x * y;
		saa[j] += x * x;
		sbb[j] += y * y;
	}
	*ab = sum_lanes(sab);
	*aa = sum_lanes(saa);
	*bb = sum_lanes(sbb);
}

#undef FOR_LANES

static const VecKernels kernels_portable = {
	"portable",
	l2_squared_portable,
	inner_product_portable,
	l1_portable,
	cosine_parts_portable
};

#ifdef VEC_HAVE_X86

/* ---------------------------------------------------------------------
 * Loop structure shared by the AVX2 and AVX-512 variants
 *
 * A W-float load that is not aligned to its own size may span two cache
 * lines and then costs about twice as much, and PostgreSQL vectors are only
 * 8-byte aligned (their elements follow an 8-byte header).  So the loop runs
 * over W-float chunks aligned for a: over a "virtual" index v = i + k, where
 * k is a's offset in floats past the previous 4W-byte boundary.  The first
 * chunk is masked to start at a[0], the last to end at a[n-1].  All loads
 * from a are then aligned, and so are b's when b has the same offset.
 *
 * NACC accumulators of W lanes take the chunks in turn, so position
 * p = v % (NACC * W) sums the elements i with (i + k) % (NACC * W) == p, in
 * increasing order of i.  Before the final reduction the accumulators are
 * rotated back by k lanes, so that element i always ends up in "group"
 * i % (NACC * W), whatever k is, and the groups are added in a fixed order:
 * the result does not depend on the addresses.  (Masked-off lanes add 0 * 0
 * or |0 - 0|, which changes no sum: every sum starts at +0 and so can never
 * be -0.)
 *
 * AVX2 uses twice as many accumulators as AVX-512 (8 and 4; 4 and 2 for
 * cosine_parts, which has three sums), so both have the same groups (64; 32
 * for cosine_parts), and their reductions add the groups in the same order:
 * the two variants return the same bits for every input.
 *
 * That order is: the 16-lane vector V with V[l] = g[l] + g[l + 16] + g[l + 32]
 * + g[l + 48], added left to right, then a fixed tree over V's lanes
 * (hsum512), the tree sum_lanes() uses in the portable variant.  While n is
 * at most 16 every group and every portable lane holds one element (fma(x, y,
 * 0) == x * y), so all variants return the same bits, on every platform; up
 * to n = 64 (32 for cosine_parts) they still do wherever the compiler does
 * not fuse the portable variant's multiply and add, as on baseline x86-64.
 * ---------------------------------------------------------------------
 */

/*
 * Declares k, the virtual starts pa and pb (k floats before a and b; those
 * k floats lie in masked-off lanes and are never read), the virtual length
 * nv and the virtual index v.
 */
#define CHUNK_PROLOGUE(W) \
	int			k = (int) (((uintptr_t) a / sizeof(float)) % (W)); \
	const float *pa = (const float *) ((uintptr_t) a - sizeof(float) * (uintptr_t) k); \
	const float *pb = (const float *) ((uintptr_t) b - sizeof(float) * (uintptr_t) k); \
	int			nv = n + k; \
	int			v = 0

/*
 * STEP(j, off) adds the full chunk at virtual index off into accumulator j;
 * MSTEP(j, off, m) a chunk with lane mask m, made by MASK(off).  The first
 * NACC chunks are peeled (the first one masked), then NACC full chunks per
 * iteration, then up to NACC more, masked.  Spelled out for each NACC, so the
 * accumulators stay in registers without relying on loop unrolling.
 */
#define CHUNK_LOOP(W, NACC, MASK, STEP, MSTEP) \
	do { \
		if (nv >= (NACC) * (W)) \
		{ \
			MSTEP(0, 0, MASK(0)); \
			CHUNK_PEEL##NACC(STEP, W); \
			for (v = (NACC) * (W); v + (NACC) * (W) <= nv; v += (NACC) * (W)) \
			{ \
				CHUNK_STEPS##NACC(STEP, v, W); \
			} \
		} \
		CHUNK_REST##NACC(MSTEP, MASK, W); \
	} while (0)

#define CHUNK_PEEL2(STEP, W) \
	STEP(1, (W))
#define CHUNK_PEEL4(STEP, W) \
	CHUNK_PEEL2(STEP, W); STEP(2, 2 * (W)); STEP(3, 3 * (W))
#define CHUNK_PEEL8(STEP, W) \
	CHUNK_PEEL4(STEP, W); STEP(4, 4 * (W)); STEP(5, 5 * (W)); \
	STEP(6, 6 * (W)); STEP(7, 7 * (W))

#define CHUNK_STEPS2(STEP, v, W) \
	STEP(0, (v)); STEP(1, (v) + (W))
#define CHUNK_STEPS4(STEP, v, W) \
	CHUNK_STEPS2(STEP, v, W); STEP(2, (v) + 2 * (W)); STEP(3, (v) + 3 * (W))
#define CHUNK_STEPS8(STEP, v, W) \
	CHUNK_STEPS4(STEP, v, W); STEP(4, (v) + 4 * (W)); STEP(5, (v) + 5 * (W)); \
	STEP(6, (v) + 6 * (W)); STEP(7, (v) + 7 * (W))

#define CHUNK_REST1(MSTEP, MASK, W, j) \
	if (v < nv) \
	{ \
		MSTEP(j, v, MASK(v)); \
		v += (W); \
	}
#define CHUNK_REST2(MSTEP, MASK, W) \
	CHUNK_REST1(MSTEP, MASK, W, 0) CHUNK_REST1(MSTEP, MASK, W, 1)
#define CHUNK_REST4(MSTEP, MASK, W) \
	CHUNK_REST2(MSTEP, MASK, W) \
	CHUNK_REST1(MSTEP, MASK, W, 2) CHUNK_REST1(MSTEP, MASK, W, 3)
#define CHUNK_REST8(MSTEP, MASK, W) \
	CHUNK_REST4(MSTEP, MASK, W) \
	CHUNK_REST1(MSTEP, MASK, W, 4) CHUNK_REST1(MSTEP, MASK, W, 5) \
	CHUNK_REST1(MSTEP, MASK, W, 6) CHUNK_REST1(MSTEP, MASK, W, 7)

/* ---------------------------------------------------------------------
 * AVX2 + FMA variant: W = 8.
 * ---------------------------------------------------------------------
 */


/* Lanes of the chunk at virtual index v that hold elements 0..n-1. */
AVX2_TARGET static inline __m256i
chunk_mask256(int v, int nv, int k)
{
	__m256i		iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	int			lo = v == 0 ? k : 0;
	int			hi = nv - v >= 8 ? 8 : nv - v;

	/* lo <= lane < hi */
	return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), iota),
							   _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), iota));
}

/*
 * Rotation of accumulators (s0 lane 0 first) down by k lanes: lanes l + k of
 * s, continuing into s_next.  For k = 0 it is the identity; doing it anyway
 * avoids a branch that would be unpredictable.
 */
typedef struct Rot256
{
	__m256i		perm;			/* (l + k) % 8 */
	__m256		wrap;			/* l + k >= 8: take from s_next */
} Rot256;

AVX2_TARGET static inline Rot256
rot256_make(int k)
{
	Rot256		r;
	__m256i		lk = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
									  _mm256_set1_epi32(k));

	r.perm = _mm256_and_si256(lk, _mm256_set1_epi32(7));
	r.wrap = _mm256_castsi256_ps(_mm256_cmpgt_epi32(lk, _mm256_set1_epi32(7)));
	return r;
}

/* rotated accumulator: blend of the permuted s and permuted s_next */
#define ROT256(r, ps, ps_next) _mm256_blendv_ps((ps), (ps_next), (r).wrap)

/*
 * 8 accumulators, 64 groups; the same order as reduce4_512: lo holds lanes
 * 0..7 of V (groups 0..7 + 16..23 + 32..39 + 48..55), hi lanes 8..15.
 */
AVX2_TARGET static inline float
reduce8_256(const __m256 *s, int k)
{
	Rot256		r = rot256_make(k);
	__m256		p0 = _mm256_permutevar8x32_ps(s[0], r.perm);
	__m256		p1 = _mm256_permutevar8x32_ps(s[1], r.perm);
	__m256		p2 = _mm256_permutevar8x32_ps(s[2], r.perm);
	__m256		p3 = _mm256_permutevar8x32_ps(s[3], r.perm);
	__m256		p4 = _mm256_permutevar8x32_ps(s[4], r.perm);
	__m256		p5 = _mm256_permutevar8x32_ps(s[5], r.perm);
	__m256		p6 = _mm256_permutevar8x32_ps(s[6], r.perm);
	__m256		p7 = _mm256_permutevar8x32_ps(s[7], r.perm);
	__m256		lo = ROT256(r, p0, p1);
	__m256		hi = ROT256(r, p1, p2);

	lo = _mm256_add_ps(lo, ROT256(r, p2, p3));
	hi = _mm256_add_ps(hi, ROT256(r, p3, p4));
	lo = _mm256_add_ps(lo, ROT256(r, p4, p5));
	hi = _mm256_add_ps(hi, ROT256(r, p5, p6));
	lo = _mm256_add_ps(lo, ROT256(r, p6, p7));
	hi = _mm256_add_ps(hi, ROT256(r, p7, p0));
	return hsum256(_mm256_add_ps(lo, hi));
}

/* 4 accumulators, 32 groups; same order as reduce2_512 */
AVX2_TARGET static inline float
reduce4_256(const __m256 *s, int k)
{
	Rot256		r = rot256_make(k);
	__m256		p0 = _mm256_permutevar8x32_ps(s[0], r.perm);
	__m256		p1 = _mm256_permutevar8x32_ps(s[1], r.perm);
	__m256		p2 = _mm256_permutevar8x32_ps(s[2], r.perm);
	__m256		p3 = _mm256_permutevar8x32_ps(s[3], r.perm);
	__m256		lo = _mm256_add_ps(ROT256(r, p0, p1), ROT256(r, p2, p3));
	__m256		hi = _mm256_add_ps(ROT256(r, p1, p2), ROT256(r, p3, p0));

	return hsum256(_mm256_add_ps(lo, hi));
}

#define MASK256(v) chunk_mask256((v), nv, k)
#define LDA256(off) _mm256_loadu_ps(pa + (off))
#define LDB256(off) _mm256_loadu_ps(pb + (off))
#define MLDA256(off, m) _mm256_maskload_ps(pa + (off), (m))
#define MLDB256(off, m) _mm256_maskload_ps(pb + (off), (m))
#define ZERO8_256(s) \
	((s)[0] = (s)[1] = (s)[2] = (s)[3] = (s)[4] = (s)[5] = (s)[6] = (s)[7] = \
	 _mm256_setzero_ps())

AVX2_TARGET static float
l2_squared_avx2(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(8);
	__m256		s[8];

	ZERO8_256(s);
#define L2_STEP(j, off) \
	do { \
		__m256		d_ = _mm256_sub_ps(LDA256(off), LDB256(off)); \
		s[j] = _mm256_fmadd_ps(d_, d_, s[j]); \
	} while (0)
#define L2_MSTEP(j, off, m) \
	do { \
		__m256i		m_ = (m); \
		__m256		d_ = _mm256_sub_ps(MLDA256(off, m_), MLDB256(off, m_)); \
		s[j] = _mm256_fmadd_ps(d_, d_, s[j]); \
	} while (0)
	CHUNK_LOOP(8, 8, MASK256, L2_STEP, L2_MSTEP);
#undef L2_STEP
#undef L2_MSTEP
	return reduce8_256(s, k);
}

AVX2_TARGET static float
inner_product_avx2(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(8);
	__m256		s[8];

	ZERO8_256(s);
#define IP_STEP(j, off) \
	(s[j] = _mm256_fmadd_ps(LDA256(off), LDB256(off), s[j]))
#define IP_MSTEP(j, off, m) \
	do { \
		__m256i		m_ = (m); \
		s[j] = _mm256_fmadd_ps(MLDA256(off, m_), MLDB256(off, m_), s[j]); \
	} while (0)
	CHUNK_LOOP(8, 8, MASK256, IP_STEP, IP_MSTEP);
#undef IP_STEP
#undef IP_MSTEP
	return reduce8_256(s, k);
}

AVX2_TARGET static float
l1_avx2(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(8);
	__m256		absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256		s[8];

	ZERO8_256(s);
#define L1_STEP(j, off) \
	(s[j] = _mm256_add_ps(s[j], _mm256_and_ps(absmask, _mm256_sub_ps(LDA256(off), LDB256(off)))))
#define L1_MSTEP(j, off, m) \
	do { \
		__m256i		m_ = (m); \
		s[j] = _mm256_add_ps(s[j], _mm256_and_ps(absmask, \
								 _mm256_sub_ps(MLDA256(off, m_), MLDB256(off, m_)))); \
	} while (0)
	CHUNK_LOOP(8, 8, MASK256, L1_STEP, L1_MSTEP);
#undef L1_STEP
#undef L1_MSTEP
	return reduce8_256(s, k);
}

AVX2_TARGET static void
cosine_parts_avx2(const float *a, const float *b, int n,
				  float *ab, float *aa, float *bb)
{
	CHUNK_PROLOGUE(8);
	__m256		sab[4],
				saa[4],
				sbb[4];

	/*
	 * 12 accumulators + 2 inputs fit the 16 ymm registers.  (Not a loop: gcc
	 * turns that into memset calls before keeping the arrays in registers.)
	 */
	sab[0] = sab[1] = sab[2] = sab[3] = _mm256_setzero_ps();
	saa[0] = saa[1] = saa[2] = saa[3] = _mm256_setzero_ps();
	sbb[0] = sbb[1] = sbb[2] = sbb[3] = _mm256_setzero_ps();
#define COS_ACC(j, x, y) \
	do { \
		sab[j] = _mm256_fmadd_ps((x), (y), sab[j]); \
		saa[j] = _mm256_fmadd_ps((x), (x), saa[j]); \
		sbb[j] = _mm256_fmadd_ps((y), (y), sbb[j]); \
	} while (0)
#define COS_STEP(j, off) \
	do { \
		__m256		x_ = LDA256(off); \
		__m256		y_ = LDB256(off); \
		COS_ACC(j, x_, y_); \
	} while (0)
#define COS_MSTEP(j, off, m) \
	do { \
		__m256i		m_ = (m); \
		__m256		x_ = MLDA256(off, m_); \
		__m256		y_ = MLDB256(off, m_); \
		COS_ACC(j, x_, y_); \
	} while (0)
	CHUNK_LOOP(8, 4, MASK256, COS_STEP, COS_MSTEP);
#undef COS_ACC
#undef COS_STEP
#undef COS_MSTEP
	*ab = reduce4_256(sab, k);
	*aa = reduce4_256(saa, k);
	*bb = reduce4_256(sbb, k);
}

static const VecKernels kernels_avx2 = {
	"avx2",
	l2_squared_avx2,
	inner_product_avx2,
	l1_avx2,
	cosine_parts_avx2
};

/* ---------------------------------------------------------------------
 * AVX-512F variant: W = 16.
 * ---------------------------------------------------------------------
 */

/* Lanes of the chunk at virtual index v that hold elements 0..n-1. */
AVX512_TARGET static inline __mmask16
chunk_mask512(int v, int nv, int k)
{
	unsigned	lo = v == 0 ? (unsigned) k : 0;
	unsigned	hi = nv - v >= 16 ? 16 : (unsigned) (nv - v);

	return (__mmask16) (((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/*
 * Index for _mm512_permutex2var_ps(s, idx, s_next) to rotate down by k lanes:
 * l + k, where 16..31 select lane l + k - 16 of s_next.  For k = 0 it is the
 * identity; doing it anyway avoids a branch that would be unpredictable.
 */
AVX512_TARGET static inline __m512i
rot512_index(int k)
{
	return _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8,
											 7, 6, 5, 4, 3, 2, 1, 0),
							_mm512_set1_epi32(k));
}

/* 4 accumulators, 64 groups: hsum512(((c0 + c1) + c2) + c3) */
AVX512_TARGET static inline float
reduce4_512(const __m512 *s, int k)
{
	__m512i		idx = rot512_index(k);
	__m512		c0 = _mm512_permutex2var_ps(s[0], idx, s[1]);
	__m512		c1 = _mm512_permutex2var_ps(s[1], idx, s[2]);
	__m512		c2 = _mm512_permutex2var_ps(s[2], idx, s[3]);
	__m512		c3 = _mm512_permutex2var_ps(s[3], idx, s[0]);

	return hsum512(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), c2), c3));
}

/* 2 accumulators, 32 groups: hsum512(c0 + c1) */
AVX512_TARGET static inline float
reduce2_512(const __m512 *s, int k)
{
	__m512i		idx = rot512_index(k);
	__m512		c0 = _mm512_permutex2var_ps(s[0], idx, s[1]);
	__m512		c1 = _mm512_permutex2var_ps(s[1], idx, s[0]);

	return hsum512(_mm512_add_ps(c0, c1));
}

#define MASK512(v) chunk_mask512((v), nv, k)
#define LDA512(off) _mm512_loadu_ps(pa + (off))
#define LDB512(off) _mm512_loadu_ps(pb + (off))
#define MLDA512(off, m) _mm512_maskz_loadu_ps((m), pa + (off))
#define MLDB512(off, m) _mm512_maskz_loadu_ps((m), pb + (off))

AVX512_TARGET static float
l2_squared_avx512(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(16);
	__m512		s[4];

	s[0] = s[1] = s[2] = s[3] = _mm512_setzero_ps();
#define L2_STEP(j, off) \
	do { \
		__m512		d_ = _mm512_sub_ps(LDA512(off), LDB512(off)); \
		s[j] = _mm512_fmadd_ps(d_, d_, s[j]); \
	} while (0)
#define L2_MSTEP(j, off, m) \
	do { \
		__mmask16	m_ = (m); \
		__m512		d_ = _mm512_sub_ps(MLDA512(off, m_), MLDB512(off, m_)); \
		s[j] = _mm512_fmadd_ps(d_, d_, s[j]); \
	} while (0)
	CHUNK_LOOP(16, 4, MASK512, L2_STEP, L2_MSTEP);
#undef L2_STEP
#undef L2_MSTEP
	return reduce4_512(s, k);
}

AVX512_TARGET static float
inner_product_avx512(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(16);
	__m512		s[4];

	s[0] = s[1] = s[2] = s[3] = _mm512_setzero_ps();
#define IP_STEP(j, off) \
	(s[j] = _mm512_fmadd_ps(LDA512(off), LDB512(off), s[j]))
#define IP_MSTEP(j, off, m) \
	do { \
		__mmask16	m_ = (m); \
		s[j] = _mm512_fmadd_ps(MLDA512(off, m_), MLDB512(off, m_), s[j]); \
	} while (0)
	CHUNK_LOOP(16, 4, MASK512, IP_STEP, IP_MSTEP);
#undef IP_STEP
#undef IP_MSTEP
	return reduce4_512(s, k);
}

AVX512_TARGET static float
l1_avx512(const float *a, const float *b, int n)
{
	CHUNK_PROLOGUE(16);
	/* |x| as an integer AND: vandps on zmm would need AVX512DQ */
	__m512i		absmask = _mm512_set1_epi32(0x7fffffff);
	__m512		s[4];

	s[0] = s[1] = s[2] = s[3] = _mm512_setzero_ps();
#define ABS512(x) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), absmask))
#define L1_STEP(j, off) \
	(s[j] = _mm512_add_ps(s[j], ABS512(_mm512_sub_ps(LDA512(off), LDB512(off)))))
#define L1_MSTEP(j, off, m) \
	do { \
		__mmask16	m_ = (m); \
		s[j] = _mm512_add_ps(s[j], ABS512(_mm512_sub_ps(MLDA512(off, m_), MLDB512(off, m_)))); \
	} while (0)
	CHUNK_LOOP(16, 4, MASK512, L1_STEP, L1_MSTEP);
#undef L1_STEP
#undef L1_MSTEP
#undef ABS512
	return reduce4_512(s, k);
}

AVX512_TARGET static void
cosine_parts_avx512(const float *a, const float *b, int n,
					float *ab, float *aa, float *bb)
{
	CHUNK_PROLOGUE(16);
	__m512		sab[2],
				saa[2],
				sbb[2];

	sab[0] = sab[1] = saa[0] = saa[1] = sbb[0] = sbb[1] = _mm512_setzero_ps();
#define COS_ACC(j, x, y) \
	do { \
		sab[j] = _mm512_fmadd_ps((x), (y), sab[j]); \
		saa[j] = _mm512_fmadd_ps((x), (x), saa[j]); \
		sbb[j] = _mm512_fmadd_ps((y), (y), sbb[j]); \
	} while (0)
#define COS_STEP(j, off) \
	do { \
		__m512		x_ = LDA512(off); \
		__m512		y_ = LDB512(off); \
		COS_ACC(j, x_, y_); \
	} while (0)
#define COS_MSTEP(j, off, m) \
	do { \
		__mmask16	m_ = (m); \
		__m512		x_ = MLDA512(off, m_); \
		__m512		y_ = MLDB512(off, m_); \
		COS_ACC(j, x_, y_); \
	} while (0)
	CHUNK_LOOP(16, 2, MASK512, COS_STEP, COS_MSTEP);
#undef COS_ACC
#undef COS_STEP
#undef COS_MSTEP
	*ab = reduce2_512(sab, k);
	*aa = reduce2_512(saa, k);
	*bb = reduce2_512(sbb, k);
}

static const VecKernels kernels_avx512 = {
	"avx512",
	l2_squared_avx512,
	inner_product_avx512,
	l1_avx512,
	cosine_parts_avx512
};

static int
cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int
cpu_has_avx512(void)
{
	/* __builtin_cpu_supports also checks that the OS saves the registers */
	return cpu_has_avx2() && __builtin_cpu_supports("avx512f");
}

#endif							/* VEC_HAVE_X86 */

/* ---------------------------------------------------------------------
 * Selection
 * ---------------------------------------------------------------------
 */

/* Valid before vec_kernels_init(), so an early caller is merely slower. */
const VecKernels *vec_kernels = &kernels_portable;

int
vec_kernel_variants(const VecKernels **out, int max)
{
	int			count = 0;

	if (count < max)
		out[count++] = &kernels_portable;
#ifdef VEC_HAVE_X86
	if (cpu_has_avx2() && count < max)
		out[count++] = &kernels_avx2;
	if (cpu_has_avx512() && count < max)
		out[count++] = &kernels_avx512;
#endif
	return count;
}

void
vec_kernels_init(void)
{
	/* Every call picks the same variant, so concurrent calls are harmless. */
	const VecKernels *variants[8];
	int			count = vec_kernel_variants(variants, 8);

	vec_kernels = variants[count - 1];
}

int
vec_kernels_select(const char *name)
{
	const VecKernels *variants[8];
	int			count = vec_kernel_variants(variants, 8);
	int			i;

	if (name == NULL || strcmp(name, "auto") == 0)
	{
		vec_kernels = variants[count - 1];
		return 1;
	}
	for (i = 0; i < count; i++)
	{
		if (strcmp(name, variants[i]->name) == 0)
		{
			vec_kernels = variants[i];
			return 1;
		}
	}
	return 0;
}
