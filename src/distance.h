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

#endif							/* VECINDEX_DISTANCE_H */
