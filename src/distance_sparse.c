/*
 * distance_sparse.c
 *	  Sorted-index merge kernels for sparse vectors (see distance_sparse.h
 *	  for what they promise about bits).
 *
 * Each kernel is written once as a macro over its accumulator type and
 * instantiated for float and double: both walk the union of the two index
 * lists in increasing order and add one term per position.
 */
#include "distance_sparse.h"

#include <math.h>

/*
 * MERGE_SUM(acc, T, a, b, BOTH, ONLY): walks the union of a's and b's
 * indices in increasing order; at a position both hold it adds
 * BOTH(x, y), at one only one of them holds it adds ONLY(x) of that value.
 * BOTH must be symmetric in x and y, bit for bit.
 */
#define MERGE_SUM(acc, T, a, b, BOTH, ONLY) \
	do { \
		int			i_ = 0; \
		int			j_ = 0; \
		while (i_ < (a)->nnz && j_ < (b)->nnz) \
		{ \
			int32_t		ai_ = (a)->indices[i_]; \
			int32_t		bj_ = (b)->indices[j_]; \
			T			x_; \
			if (ai_ == bj_) \
			{ \
				T			y_ = (T) (b)->values[j_++]; \
				x_ = (T) (a)->values[i_++]; \
				(acc) += BOTH(x_, y_); \
				continue; \
			} \
			x_ = ai_ < bj_ ? (T) (a)->values[i_++] : (T) (b)->values[j_++]; \
			(acc) += ONLY(x_); \
		} \
		for (; i_ < (a)->nnz; i_++) \
		{ \
			T			x_ = (T) (a)->values[i_]; \
			(acc) += ONLY(x_); \
		} \
		for (; j_ < (b)->nnz; j_++) \
		{ \
			T			x_ = (T) (b)->values[j_]; \
			(acc) += ONLY(x_); \
		} \
	} while (0)

/* Terms.  (x - y)^2 == (y - x)^2 and |x - y| == |y - x| exactly. */
#define TERM_SQ_DIFF(x, y)	(((x) - (y)) * ((x) - (y)))
#define TERM_SQ(x)			((x) * (x))
#define TERM_ABS_DIFF_F(x, y)	fabsf((x) - (y))
#define TERM_ABS_F(x)		fabsf(x)
#define TERM_ABS_DIFF_D(x, y)	fabs((x) - (y))
#define TERM_ABS_D(x)		fabs(x)
#define TERM_PRODUCT(x, y)	((x) * (y))

/*
 * The inner product only has terms where both operands hold a value: a
 * position only one holds would add x * 0 = +-0, which leaves a sum that
 * starts at +0 unchanged, so skipping it keeps the dense result's bits.
 */
#define DOT_SUM(acc, T, a, b) \
	do { \
		int			i_ = 0; \
		int			j_ = 0; \
		while (i_ < (a)->nnz && j_ < (b)->nnz) \
		{ \
			int32_t		ai_ = (a)->indices[i_]; \
			int32_t		bj_ = (b)->indices[j_]; \
			if (ai_ == bj_) \
				(acc) += (T) (a)->values[i_++] * (T) (b)->values[j_++]; \
			else if (ai_ < bj_) \
				i_++; \
			else \
				j_++; \
		} \
	} while (0)

float
vec_sparse_inner_product(const VecSparse *a, const VecSparse *b)
{
	float		s = 0.0f;

	DOT_SUM(s, float, a, b);
	return s;
}

double
vec_sparse_inner_product_double(const VecSparse *a, const VecSparse *b)
{
	double		s = 0.0;

	DOT_SUM(s, double, a, b);
	return s;
}

float
vec_sparse_l2_squared(const VecSparse *a, const VecSparse *b)
{
	float		s = 0.0f;

	MERGE_SUM(s, float, a, b, TERM_SQ_DIFF, TERM_SQ);
	return s;
}

double
vec_sparse_l2_squared_double(const VecSparse *a, const VecSparse *b)
{
	double		s = 0.0;

	MERGE_SUM(s, double, a, b, TERM_SQ_DIFF, TERM_SQ);
	return s;
}

float
vec_sparse_l1(const VecSparse *a, const VecSparse *b)
{
	float		s = 0.0f;

	MERGE_SUM(s, float, a, b, TERM_ABS_DIFF_F, TERM_ABS_F);
	return s;
}

double
vec_sparse_l1_double(const VecSparse *a, const VecSparse *b)
{
	double		s = 0.0;

	MERGE_SUM(s, double, a, b, TERM_ABS_DIFF_D, TERM_ABS_D);
	return s;
}

float
vec_sparse_sum_squares(const VecSparse *a)
{
	float		s = 0.0f;
	int			i;

	for (i = 0; i < a->nnz; i++)
		s += a->values[i] * a->values[i];
	return s;
}

double
vec_sparse_sum_squares_double(const VecSparse *a)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < a->nnz; i++)
		s += (double) a->values[i] * (double) a->values[i];
	return s;
}
