/*
 * distance.h
 *	  Distance kernels, called directly from C (no fmgr per distance).
 *
 * This header and distance.c are plain C with no PostgreSQL dependency, so
 * the unit test (test/unit/test_distance.c) can build them standalone.
 *
 * Several variants exist (portable, AVX2+FMA, AVX-512); vec_kernels_init()
 * picks the best one the running CPU supports, so a default build is fast on
 * any x86-64 and correct on every other architecture.
 */
#ifndef VECINDEX_DISTANCE_H
#define VECINDEX_DISTANCE_H

#include <stdint.h>

typedef struct VecKernels
{
	const char *name;			/* "portable", "avx2", "avx512" */

	/* sum((a[i] - b[i])^2) */
	float		(*l2_squared) (const float *a, const float *b, int n);
	/* sum(a[i] * b[i]) */
	float		(*inner_product) (const float *a, const float *b, int n);
	/* sum(|a[i] - b[i]|) */
	float		(*l1) (const float *a, const float *b, int n);
	/* in one pass: *ab = sum(a*b), *aa = sum(a*a), *bb = sum(b*b) */
	void		(*cosine_parts) (const float *a, const float *b, int n,
								 float *ab, float *aa, float *bb);
} VecKernels;

/* The variant in use; valid after vec_kernels_init(). */
extern const VecKernels *vec_kernels;

/* Selects the best variant for this CPU.  Idempotent, cheap. */
extern void vec_kernels_init(void);

/*
 * Fills out[] with every variant this CPU can run (portable first) and
 * returns how many; used by the unit test and by the diagnostics function.
 */
extern int	vec_kernel_variants(const VecKernels **out, int max);

/*
 * Makes the variant called name ("portable", "avx2", "avx512") the one in
 * use, if this CPU can run it; NULL or "auto" chooses as vec_kernels_init()
 * does.  Returns 1 on success, 0 (changing nothing) for an unknown name or a
 * variant this CPU cannot run.  For a setting, tests and benchmarks.
 *
 * Results: a variant's results depend only on the values (never on the
 * addresses) and are symmetric in a and b, bit for bit; "avx2" and "avx512"
 * return the same bits; all variants agree bit for bit while n <= 16, and
 * otherwise differ from "portable" by float rounding only.
 */
extern int	vec_kernels_select(const char *name);

/*
 * Half precision (IEEE binary16) copies, for the build's memory graph
 * (distance_half.c).  A copy of an n-element vector holds
 * vec_half_padded(n) halves, +0.0 after the vector; the kernels take that
 * padded length.
 */
typedef uint16_t VecHalf;

#define VEC_HALF_BLOCK 16

static inline int
vec_half_padded(int n)
{
	return (n + VEC_HALF_BLOCK - 1) / VEC_HALF_BLOCK * VEC_HALF_BLOCK;
}

typedef struct VecHalfKernels
{
	const char *name;			/* that of the float variant it goes with */
	float		(*l2_squared) (const VecHalf *a, const VecHalf *b, int n);
	float		(*inner_product) (const VecHalf *a, const VecHalf *b, int n);
	float		(*l1) (const VecHalf *a, const VecHalf *b, int n);

	/*
	 * out[0..vec_half_padded(n)-1] = in[0..n-1] rounded to nearest (ties
	 * to even), then +0.0.  An element too large for half precision (|x| >=
	 * 65520, which rounds to infinity) becomes +-65504 instead, and the
	 * result is then 0; else 1.
	 */
	int			(*from_float) (const float *in, VecHalf *out, int n);
	int			native;			/* converts in hardware: worth using */

	/*
	 * The same sums over exactly n halves, any n >= 0 (the halfvec type's
	 * elements, which have no padding); nothing beyond a[n-1] or b[n-1] is
	 * read.  Each returns the bits its padded kernel returns for the padded
	 * copies, so it too depends only on the values and is symmetric in a
	 * and b.  cosine_parts_any sums a*b, a*a and b*b in one pass, each as
	 * inner_product_any would.
	 */
	float		(*l2_squared_any) (const VecHalf *a, const VecHalf *b, int n);
	float		(*inner_product_any) (const VecHalf *a, const VecHalf *b, int n);
	float		(*l1_any) (const VecHalf *a, const VecHalf *b, int n);
	void		(*cosine_parts_any) (const VecHalf *a, const VecHalf *b, int n,
									 float *ab, float *aa, float *bb);

	/*
	 * out[0..n-1] = in[0..n-1] widened (exactly, as vec_half_to_float), any
	 * n >= 0; nothing beyond in[n-1] is read or out[n-1] written.
	 */
	void		(*to_float) (const VecHalf *in, float *out, int n);
} VecHalfKernels;

/* The variant in use; valid after vec_half_kernels_init(). */
extern const VecHalfKernels *vec_half_kernels;

/*
 * Picks the half variant of the float variant in use (vec_kernels), or the
 * portable one when it has none or the CPU lacks F16C.  Call after
 * vec_kernels_init() or vec_kernels_select().
 */
extern void vec_half_kernels_init(void);

/* Every half variant this CPU can run (portable first), as above. */
extern int	vec_half_kernel_variants(const VecHalfKernels **out, int max);

/* Exact widening of one half, in software. */
extern float vec_half_to_float(VecHalf h);

/*
 * One float rounded to half precision in software (to nearest, ties to
 * even); |f| >= 65520 becomes an infinity of its sign, a NaN a NaN.
 */
extern VecHalf vec_float_to_half(float f);

/*
 * 8-bit scalar-quantized copies, for the build's memory graph under L2
 * (distance_sq8.c).  A copy of an n-element vector holds vec_sq8_padded(n)
 * codes: element x becomes round((x - lo) / step) clamped to 0..255, then
 * 0 after the vector, with one lo and step for all dimensions; step^2 times
 * the kernel's sum is then the squared distance up to each element's
 * rounding to its code.
 */
typedef uint8_t VecSq8;

#define VEC_SQ8_BLOCK 32

static inline int
vec_sq8_padded(int n)
{
	return (n + VEC_SQ8_BLOCK - 1) / VEC_SQ8_BLOCK * VEC_SQ8_BLOCK;
}

typedef struct VecSq8Kernels
{
	const char *name;			/* "portable", "avx2", "avx512" */
	/* sum((a[i] - b[i])^2), exact (below 2^31 for n <= 16000); n padded */
	uint32_t	(*l2_squared) (const VecSq8 *a, const VecSq8 *b, int n);
} VecSq8Kernels;

/* The variant in use; valid after vec_sq8_kernels_init(). */
extern const VecSq8Kernels *vec_sq8_kernels;

/*
 * Picks the widest variant no wider than the float variant in use (AVX-512
 * also needs AVX-512BW).  Call after vec_kernels_init() or _select().
 */
extern void vec_sq8_kernels_init(void);

/* Every variant this CPU can run (portable first), as above. */
extern int	vec_sq8_kernel_variants(const VecSq8Kernels **out, int max);

/*
 * Encodes in[0..n-1] into out[0..vec_sq8_padded(n)-1] as above (step > 0).
 * Returns how far, in steps, the element farthest outside lo..lo+255*step
 * lies beyond it (0 when all are inside; those outside are clamped).
 */
extern float vec_sq8_encode(const float *in, VecSq8 *out, int n, float lo,
							float step);

#endif							/* VECINDEX_DISTANCE_H */
