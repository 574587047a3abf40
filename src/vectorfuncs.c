/*
 * vectorfuncs.c
 *	  SQL functions on vectors: distances, norms, subvector, element-wise
 *	  arithmetic, concatenation and the avg/sum aggregates.
 *
 * Distances call the kernels in distance.c directly.  The kernels
 * accumulate in float4 for speed; when that overflows (only possible for
 * elements near the float4 limit) the SQL functions redo the sum in double,
 * so a SQL distance is never infinite for finite vectors.  The index never
 * needs that: it only compares distances.
 */
#include "postgres.h"

#include "vector.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "distance.h"
#include "hnswreuse.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

/* ---------------------------------------------------------------------
 * Distances
 * ---------------------------------------------------------------------
 */

typedef enum
{
	SUM_L2_SQUARED,
	SUM_DOT,
	SUM_L1
} SumKind;

/* The slow exact path, for when the float4 kernel overflowed. */
static double
sum_double(const Vector *a, const Vector *b, SumKind kind)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < a->dim; i++)
	{
		double		x = a->x[i];
		double		y = b->x[i];

		if (kind == SUM_L2_SQUARED)
			s += (x - y) * (x - y);
		else if (kind == SUM_DOT)
			s += x * y;
		else
			s += fabs(x - y);
	}
	return s;
}

/*
 * The sum an hnsw scan already computed for the row it just returned, when
 * a is that row's TOASTed vector and b the scan's query (hnswreuse.c): it
 * spares fetching a back from the TOAST relation.
 */
static bool
scan_sum(Datum a, const Vector *b, SumKind kind, float *f)
{
	static const HnswDistanceKind index_kind[] = {
		[SUM_L2_SQUARED] = HNSW_DIST_L2,
		[SUM_DOT] = HNSW_DIST_IP,
		[SUM_L1] = HNSW_DIST_L1
	};
	float		dist;

	if (!hnsw_reuse_distance(index_kind[kind], a, b, &dist))
		return false;
	/* an inner-product index orders by -dot */
	*f = kind == SUM_DOT ? -dist : dist;
	return isfinite(*f);
}

/* One of the three sums over two vectors of equal dimension. */
static double
vector_sum(FunctionCallInfo fcinfo, SumKind kind)
{
	Vector	   *a;
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	float		f;
	double		d;

	if (scan_sum(PG_GETARG_DATUM(0), b, kind, &f))
	{
		PG_FREE_IF_COPY(b, 1);
		return f;
	}
	a = PG_GETARG_VECTOR_P(0);
	CheckVectorDims(a, b);
	if (kind == SUM_L2_SQUARED)
		f = vec_kernels->l2_squared(a->x, b->x, a->dim);
	else if (kind == SUM_DOT)
		f = vec_kernels->inner_product(a->x, b->x, a->dim);
	else
		f = vec_kernels->l1(a->x, b->x, a->dim);
	d = isfinite(f) ? (double) f : sum_double(a, b, kind);
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return d;
}

PG_FUNCTION_INFO_V1(l2_distance);
Datum
l2_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sqrt(vector_sum(fcinfo, SUM_L2_SQUARED)));
}

PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
Datum
vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(vector_sum(fcinfo, SUM_L2_SQUARED));
}

PG_FUNCTION_INFO_V1(inner_product);
Datum
inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(vector_sum(fcinfo, SUM_DOT));
}

PG_FUNCTION_INFO_V1(vector_negative_inner_product);
Datum
vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(-vector_sum(fcinfo, SUM_DOT));
}

PG_FUNCTION_INFO_V1(l1_distance);
Datum
l1_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(vector_sum(fcinfo, SUM_L1));
}

/*
 * 1 - cos(a, b).  NaN when either vector is zero (the angle is undefined);
 * the cosine is clamped to [-1, 1] so rounding cannot give a distance
 * outside [0, 2].
 *
 * The cosine is ab / sqrt(aa * bb) in double precision, as pgvector computes
 * it, not ab / (sqrt(aa) * sqrt(bb)): the sums are floats, so aa * bb is
 * exact in double, and when b is a by a power of two (or a itself) the
 * kernel's sums make aa * bb the exact square of ab, whose square root is
 * exact.  Vectors pointing the same way then give exactly 0 rather than a
 * rounding error of 1e-16.  aa * bb neither overflows nor underflows in
 * double: each factor, if not 0, lies between the square of the smallest
 * float (1e-90) and 16000 times the square of the largest (2e81).
 */
PG_FUNCTION_INFO_V1(cosine_distance);
Datum
cosine_distance(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	float		fab,
				faa,
				fbb;
	double		ab,
				aa,
				bb,
				sim;

	CheckVectorDims(a, b);
	vec_kernels->cosine_parts(a->x, b->x, a->dim, &fab, &faa, &fbb);
	if (isfinite(fab) && isfinite(faa) && isfinite(fbb))
	{
		ab = fab;
		aa = faa;
		bb = fbb;
	}
	else
	{
		ab = sum_double(a, b, SUM_DOT);
		aa = sum_double(a, a, SUM_DOT);
		bb = sum_double(b, b, SUM_DOT);
	}
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);

	if (aa == 0.0 || bb == 0.0)
		PG_RETURN_FLOAT8(get_float8_nan());
	sim = ab / sqrt(aa * bb);
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	PG_RETURN_FLOAT8(1.0 - sim);
}

/* ---------------------------------------------------------------------
 * Dimensions, norms, subvector
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector_dims);
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);

	PG_RETURN_INT32(v->dim);
}

PG_FUNCTION_INFO_V1(vector_norm);
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(VectorNorm(PG_GETARG_VECTOR_P(0)));
}

/* The unit vector in v's direction; the zero vector stays zero. */
PG_FUNCTION_INFO_V1(l2_normalize);
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	Vector	   *r = InitVector(v->dim);
	double		norm = VectorNorm(v);
	int			i;

	if (norm > 0.0)
		for (i = 0; i < v->dim; i++)
			r->x[i] = (float) (v->x[i] / norm);
	PG_RETURN_VECTOR_P(r);
}

/*
 * count elements from the 1-based position start.  As with substring(),
 * the part of the range outside the vector is ignored; an empty result is
 * an error since a vector has at least one element.
 */
PG_FUNCTION_INFO_V1(subvector);
Datum
subvector(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		count = PG_GETARG_INT32(2);
	int64		end = start + count;	/* exclusive; int64 cannot overflow */
	Vector	   *r;

	if (count < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));
	if (start < 1)
		start = 1;
	if (end > (int64) v->dim + 1)
		end = (int64) v->dim + 1;
	if (end <= start)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));

	r = InitVector((int) (end - start));
	memcpy(r->x, v->x + (start - 1), sizeof(float) * r->dim);
	PG_RETURN_VECTOR_P(r);
}

/* ---------------------------------------------------------------------
 * Element-wise arithmetic and concatenation
 * ---------------------------------------------------------------------
 */

typedef enum
{
	ARITH_ADD,
	ARITH_SUB,
	ARITH_MUL
} ArithKind;

/*
 * a op b element by element.  A result that overflows to infinity, or a
 * product of non-zero elements that underflows to zero, is an error rather
 * than a silently wrong vector.
 */
static Vector *
vector_arith(FunctionCallInfo fcinfo, ArithKind kind)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *r;
	int			i;

	CheckVectorDims(a, b);
	r = InitVector(a->dim);
	for (i = 0; i < a->dim; i++)
	{
		float		x = a->x[i];
		float		y = b->x[i];
		float		z;

		z = kind == ARITH_ADD ? x + y : kind == ARITH_SUB ? x - y : x * y;
		if (unlikely(isinf(z)))
			float_overflow_error();
		if (unlikely(kind == ARITH_MUL && z == 0.0f && x != 0.0f && y != 0.0f))
			float_underflow_error();
		r->x[i] = z;
	}
	return r;
}

PG_FUNCTION_INFO_V1(vector_add);
Datum
vector_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(vector_arith(fcinfo, ARITH_ADD));
}

PG_FUNCTION_INFO_V1(vector_sub);
Datum
vector_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(vector_arith(fcinfo, ARITH_SUB));
}

PG_FUNCTION_INFO_V1(vector_mul);
Datum
vector_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(vector_arith(fcinfo, ARITH_MUL));
}

PG_FUNCTION_INFO_V1(vector_concat);
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *r = InitVector(a->dim + b->dim);

	memcpy(r->x, a->x, sizeof(float) * a->dim);
	memcpy(r->x + a->dim, b->x, sizeof(float) * b->dim);
	PG_RETURN_VECTOR_P(r);
}

/* ---------------------------------------------------------------------
 * avg(vector): the state is a float8[] {count, sum_1, ..., sum_dim};
 * the initial state {0} has no dimension yet.  float8 sums of float4
 * elements cannot overflow and keep the average exact for any realistic
 * row count.  sum(vector) is vector_add as both transition and combine
 * function (declared in the install script).
 * ---------------------------------------------------------------------
 */

/* The state's values after checking it is a 1-D float8[] without NULLs. */
float8 *
CheckAggState(ArrayType *state, int *n)
{
	if (ARR_NDIM(state) != 1 || ARR_HASNULL(state) ||
		ARR_ELEMTYPE(state) != FLOAT8OID || ARR_DIMS(state)[0] < 1 ||
		ARR_DIMS(state)[0] > VECTOR_MAX_DIM + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid vector aggregate state")));
	*n = ARR_DIMS(state)[0];
	return (float8 *) ARR_DATA_PTR(state);
}

static ArrayType *
NewAggState(int dim)
{
	Datum	   *d = palloc(sizeof(Datum) * (dim + 1));
	ArrayType  *a;
	int			i;

	for (i = 0; i <= dim; i++)
		d[i] = Float8GetDatum(0.0);
	a = construct_array(d, dim + 1, FLOAT8OID, sizeof(float8),
						FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(d);
	return a;
}

/*
 * The state to add into: the input itself when called as an aggregate
 * transition (it was made by us in the aggregate's context, as float8_accum
 * does), else a copy; a new zeroed state when the input has no dimension.
 */
ArrayType *
WritableAggState(FunctionCallInfo fcinfo, ArrayType *state, int dim)
{
	int			n;

	CheckAggState(state, &n);
	if (n == 1)
	{
		MemoryContext agg;
		MemoryContext old;
		ArrayType  *fresh;

		if (!AggCheckCallContext(fcinfo, &agg))
			agg = CurrentMemoryContext;
		old = MemoryContextSwitchTo(agg);
		fresh = NewAggState(dim);
		MemoryContextSwitchTo(old);
		((float8 *) ARR_DATA_PTR(fresh))[0] = ((float8 *) ARR_DATA_PTR(state))[0];
		return fresh;
	}
	if (n != dim + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", n - 1, dim)));
	if (AggCheckCallContext(fcinfo, NULL))
		return state;
	{
		ArrayType  *copy = palloc(VARSIZE(state));

		memcpy(copy, state, VARSIZE(state));
		return copy;
	}
}

PG_FUNCTION_INFO_V1(vector_accum);
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	Vector	   *v = PG_GETARG_VECTOR_P(1);
	float8	   *s;
	int			i;

	state = WritableAggState(fcinfo, state, v->dim);
	s = (float8 *) ARR_DATA_PTR(state);
	s[0] += 1.0;
	for (i = 0; i < v->dim; i++)
		s[i + 1] += v->x[i];
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(vector_combine);
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			na;
	int			nb;
	float8	   *sb = CheckAggState(b, &nb);
	float8	   *sa;
	int			i;

	CheckAggState(a, &na);
	/* a partial state without vectors adds nothing */
	if (nb == 1)
		PG_RETURN_ARRAYTYPE_P(a);
	if (na == 1)
		PG_RETURN_ARRAYTYPE_P(b);	/* the executor copies it if needed */
	a = WritableAggState(fcinfo, a, nb - 1);
	sa = (float8 *) ARR_DATA_PTR(a);
	for (i = 0; i < nb; i++)
		sa[i] += sb[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(vector_avg);
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	int			n;
	float8	   *s = CheckAggState(state, &n);
	Vector	   *r;
	int			i;

	if (n == 1 || s[0] == 0.0)
		PG_RETURN_NULL();
	r = InitVector(n - 1);
	for (i = 0; i < r->dim; i++)
	{
		float		f = (float) (s[i + 1] / s[0]);

		if (isinf(f))
			float_overflow_error();
		r->x[i] = f;
	}
	PG_RETURN_VECTOR_P(r);
}
