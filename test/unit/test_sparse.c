/*
 * test_sparse.c
 *	  Standalone test of the sparse merge kernels (distance_sparse.c).
 *
 *	  make test/unit/test_sparse && test/unit/test_sparse
 *
 * For random pairs of sparse vectors (various dimension counts and
 * densities: empty, disjoint, identical, overlapping, one inside the other)
 * it checks every kernel
 *   - against a dense reference that expands both operands and sums over
 *     every position in index order, in the kernel's accumulator type: the
 *     results must be the same bits (distance_sparse.h promises it);
 *   - for symmetry: swapping the operands gives the same bits;
 *   - on values near the float4 limit, where the float sums overflow and
 *     the double ones must still match their reference exactly.
 *
 * Prints "N passed, M failed"; exits non-zero on any failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distance_sparse.h"

#define MAX_DIM 3000
#define ROUNDS 400

static long n_passed;
static long n_failed;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state >> 16);
}

/* A random float: mostly ordinary, sometimes tiny or (if big) huge. */
static float
random_value(int big)
{
	float		f = ((float) (rng() % 2000001) - 1000000.0f) / 1000.0f;

	if (f == 0.0f)
		f = 1.0f;
	if (big)
		return f > 0 ? 3e38f : -3e38f;
	if (rng() % 17 == 0)
		f *= 1e-30f;
	return f;
}

/*
 * Fills dense[0..dim-1] (zeros elsewhere) and the sparse form with
 * roughly density/100 of the positions non-zero.
 */
static void
random_sparse(int dim, int density, int big, float *dense, int32_t *idx,
			  float *val, int *nnz)
{
	int			i;

	*nnz = 0;
	for (i = 0; i < dim; i++)
	{
		dense[i] = 0.0f;
		if ((int) (rng() % 100) < density)
		{
			dense[i] = random_value(big);
			idx[*nnz] = i;
			val[(*nnz)++] = dense[i];
		}
	}
}

/* The dense references, summing in index order over every position. */
static float
ref_float(const float *a, const float *b, int dim, int kind)
{
	float		s = 0.0f;
	int			i;

	for (i = 0; i < dim; i++)
	{
		if (kind == 0)
			s += (a[i] - b[i]) * (a[i] - b[i]);
		else if (kind == 1)
			s += a[i] * b[i];
		else if (kind == 2)
			s += fabsf(a[i] - b[i]);
		else
			s += a[i] * a[i];
	}
	return s;
}

static double
ref_double(const float *a, const float *b, int dim, int kind)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < dim; i++)
	{
		double		x = a[i];
		double		y = b[i];

		if (kind == 0)
			s += (x - y) * (x - y);
		else if (kind == 1)
			s += x * y;
		else if (kind == 2)
			s += fabs(x - y);
		else
			s += x * x;
	}
	return s;
}

static void
check_bits(const char *what, int dim, double got, double want)
{
	/* compare as doubles: a float result widens exactly */
	if (memcmp(&got, &want, sizeof(double)) == 0 ||
		(isnan(got) && isnan(want)))
		n_passed++;
	else
	{
		n_failed++;
		if (n_failed <= 20)
			printf("FAIL %s dim %d: got %.17g, want %.17g\n",
				   what, dim, got, want);
	}
}

static void
check_pair(const float *da, const float *db, int dim, const VecSparse *a,
		   const VecSparse *b)
{
	static const char *const names[] = {"l2_squared", "inner_product", "l1"};
	float		(*const f[]) (const VecSparse *, const VecSparse *) = {
		vec_sparse_l2_squared, vec_sparse_inner_product, vec_sparse_l1
	};
	double		(*const d[]) (const VecSparse *, const VecSparse *) = {
		vec_sparse_l2_squared_double, vec_sparse_inner_product_double,
		vec_sparse_l1_double
	};
	int			k;

	for (k = 0; k < 3; k++)
	{
		char		what[64];

		snprintf(what, sizeof(what), "%s float", names[k]);
		check_bits(what, dim, f[k] (a, b), ref_float(da, db, dim, k));
		snprintf(what, sizeof(what), "%s float swapped", names[k]);
		check_bits(what, dim, f[k] (b, a), f[k] (a, b));
		snprintf(what, sizeof(what), "%s double", names[k]);
		check_bits(what, dim, d[k] (a, b), ref_double(da, db, dim, k));
		snprintf(what, sizeof(what), "%s double swapped", names[k]);
		check_bits(what, dim, d[k] (b, a), d[k] (a, b));
	}
	check_bits("sum_squares float", dim, vec_sparse_sum_squares(a),
			   ref_float(da, da, dim, 3));
	check_bits("sum_squares double", dim, vec_sparse_sum_squares_double(a),
			   ref_double(da, da, dim, 3));
}

int
main(void)
{
	static float da[MAX_DIM],
				db[MAX_DIM],
				va[MAX_DIM],
				vb[MAX_DIM];
	static int32_t ia[MAX_DIM],
				ib[MAX_DIM];
	static const int densities[] = {0, 1, 5, 30, 70, 100};
	int			r;

	for (r = 0; r < ROUNDS; r++)
	{
		int			dim = 1 + (int) (rng() % (r < 100 ? 20 : MAX_DIM));
		int			big = r % 10 == 9;
		VecSparse	a,
					b;

		random_sparse(dim, densities[r % 6], big, da, ia, va, &a.nnz);
		random_sparse(dim, densities[(r / 6) % 6], 0, db, ib, vb, &b.nnz);
		a.indices = ia;
		a.values = va;
		b.indices = ib;
		b.values = vb;
		check_pair(da, db, dim, &a, &b);
		/* against itself: l2 and l1 exactly 0 */
		check_pair(da, da, dim, &a, &a);
		check_bits("l2_squared self", dim, vec_sparse_l2_squared(&a, &a), 0.0);
		check_bits("l1 self", dim, vec_sparse_l1(&a, &a), 0.0);
	}

	printf("sparse kernels: %ld passed, %ld failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
