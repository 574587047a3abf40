/*
 * sparsevec.c
 *	  The `sparsevec` type: text and binary I/O, the typmod, casts from and
 *	  to vector, halfvec and arrays, distances, norms and the btree
 *	  comparison functions.
 *
 * The text and binary parsers and the text formatter are plain C in
 * sparsevecparse.c (test/fuzz/ fuzzes them), the distance merges plain C
 * in distance_sparse.c; here they are wrapped as SQL functions.  Every
 * input path ends in the same checks, so a stored sparse vector always has
 * 1..SPARSEVEC_MAX_DIM dimensions, at most SPARSEVEC_MAX_NNZ stored
 * elements, strictly increasing in-range indices and finite non-zero
 * values: the kernels rely on that and never re-check.
 */
#include "postgres.h"

#include "sparsevec.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "halfvec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "sparsevecparse.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "vector.h"

StaticAssertDecl(SPARSE_PARSE_MAX_DIM == SPARSEVEC_MAX_DIM,
				 "sparsevecparse.h and sparsevec.h disagree on the dimension limit");
StaticAssertDecl(SPARSE_PARSE_MAX_NNZ == SPARSEVEC_MAX_NNZ,
				 "sparsevecparse.h and sparsevec.h disagree on the element limit");

/* A half whose magnitude bits are all zero is +0 or -0. */
#define HALF_MAGNITUDE_MASK 0x7FFF
/* A half with every exponent bit and no mantissa bit is an infinity. */
#define HALF_INFINITY_BITS 0x7C00

/* ---------------------------------------------------------------------
 * Checks shared by every input path
 * ---------------------------------------------------------------------
 */

static void
CheckDim(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec must have at least 1 dimension")));
	if (dim > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d dimensions",
						SPARSEVEC_MAX_DIM)));
}

static void
ReportTooManyElements(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("sparsevec cannot have more than %d non-zero elements",
					SPARSEVEC_MAX_NNZ)));
}

static void
CheckNnz(int nnz, int dim)
{
	if (nnz < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sparsevec cannot have negative number of elements")));
	if (nnz > SPARSEVEC_MAX_NNZ)
		ReportTooManyElements();
	if (nnz > dim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more elements than dimensions")));
}

/* ERRORs unless the vector fits the column's typmod (-1: any). */
static void
CheckTypmod(int dim, int32 typmod)
{
	if (typmod != -1 && dim != typmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

static void
CheckDims(const SparseVector *a, const SparseVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different sparsevec dimensions %d and %d",
						a->dim, b->dim)));
}

/* ERRORs unless a value is finite: NaN and infinities have no distance. */
static void
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in sparsevec")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in sparsevec")));
}

/* A zeroed sparse vector, dim and nnz unchecked (nnz <= MAX_NNZ). */
static SparseVector *
AllocSparseVector(int dim, int nnz)
{
	SparseVector *v;

	Assert(nnz >= 0 && nnz <= SPARSEVEC_MAX_NNZ);
	v = (SparseVector *) palloc0(SPARSEVEC_SIZE(nnz));
	SET_VARSIZE(v, SPARSEVEC_SIZE(nnz));
	v->dim = dim;
	v->nnz = nnz;
	return v;
}

SparseVector *
InitSparseVector(int dim, int nnz)
{
	CheckDim(dim);
	CheckNnz(nnz, dim);
	return AllocSparseVector(dim, nnz);
}

/*
 * Raises the ERROR for a failed parse; str is the text input (for the
 * syntax message), NULL for binary input.
 */
static void ReportParseError(const SparseParseError *err, const char *str)
			pg_attribute_noreturn();

static void
ReportParseError(const SparseParseError *err, const char *str)
{
	switch (err->status)
	{
		case SPARSE_PARSE_OK:
			break;
		case SPARSE_PARSE_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type sparsevec: \"%s\"", str),
					 err->detail ? errdetail_internal("%s", err->detail) : 0));
			break;
		case SPARSE_PARSE_TOO_MANY_NNZ:
			ReportTooManyElements();
			break;
		case SPARSE_PARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%.*s\" is out of range for type sparsevec",
							err->token_len, err->token)));
			break;
		case SPARSE_PARSE_NAN:
			CheckElement(get_float4_nan());
			break;
		case SPARSE_PARSE_INF:
			CheckElement(get_float4_infinity());
			break;
		case SPARSE_PARSE_NO_DIMS:
		case SPARSE_PARSE_TOO_MANY_DIMS:
			CheckDim(err->value);
			break;
		case SPARSE_PARSE_NEGATIVE_NNZ:
			CheckNnz(-1, 0);
			break;
		case SPARSE_PARSE_NNZ_OVER_DIM:
			CheckNnz(1, 0);
			break;
		case SPARSE_PARSE_INDEX_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec index out of bounds")));
			break;
		case SPARSE_PARSE_INDEX_ORDER:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must be in ascending order")));
			break;
		case SPARSE_PARSE_INDEX_DUPLICATE:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("sparsevec indices must not contain duplicates")));
			break;
		case SPARSE_PARSE_BIN_SHORT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("insufficient data left in message")));
			break;
		case SPARSE_PARSE_BIN_UNUSED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("expected unused to be 0, not %d", err->value)));
			break;
		case SPARSE_PARSE_BIN_ZERO:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("binary representation of sparsevec cannot contain zero values")));
			break;
	}
	elog(ERROR, "sparsevec parser failed with unexpected status %d",
		 (int) err->status);
}

/* ---------------------------------------------------------------------
 * Text I/O
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec_in);
Datum
sparsevec_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	SparseElement *elems;
	SparseParseError err;
	SparseVector *v;
	int			dim;
	int			nnz;

	elems = palloc(sizeof(SparseElement) * SparseTextMaxElements(str));
	nnz = SparseParseText(str, elems, &dim, &err);
	if (nnz < 0)
		ReportParseError(&err, str);
	CheckTypmod(dim, typmod);

	/*
	 * nnz may exceed dim here (then an index is out of range or repeated,
	 * which SparseSortElements reports)
	 */
	v = AllocSparseVector(dim, nnz);
	if (!SparseSortElements(elems, nnz, dim, v->indices, SPARSEVEC_VALUES(v),
							&err))
		ReportParseError(&err, str);
	pfree(elems);
	PG_RETURN_SPARSEVEC_P(v);
}

/*
 * Values as the shortest text that reads back as the same float4, whatever
 * extra_float_digits says, as vector_out does.
 */
PG_FUNCTION_INFO_V1(sparsevec_out);
Datum
sparsevec_out(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	char	   *buf = palloc(SPARSE_TEXT_BUFSIZE(v->nnz));

	SparseFormatText(v->dim, v->nnz, v->indices, SPARSEVEC_VALUES(v), buf);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

/* ---------------------------------------------------------------------
 * Typmod: sparsevec(n), n the dimension count
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec_typmod_in);
Datum
sparsevec_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier")));
	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type sparsevec must be at least 1")));
	if (*tl > SPARSEVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type sparsevec cannot exceed %d",
						SPARSEVEC_MAX_DIM)));
	PG_RETURN_INT32(*tl);
}

/* The length-coercion cast sparsevec(n) -> sparsevec(m). */
PG_FUNCTION_INFO_V1(sparsevec);
Datum
sparsevec(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);

	CheckTypmod(v->dim, PG_GETARG_INT32(1));
	PG_RETURN_SPARSEVEC_P(v);
}

/* ---------------------------------------------------------------------
 * Binary I/O: int32 dim, int32 nnz, int32 reserved (0), nnz int32 0-based
 * indices, nnz float4 values, network order
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(sparsevec_recv);
Datum
sparsevec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const char *data = buf->data + buf->cursor;
	int			len = buf->len - buf->cursor;
	SparseBinaryHeader hdr;
	SparseParseError err;
	SparseVector *v;

	if (!SparseParseBinaryHeader(data, len, &hdr, &err))
		ReportParseError(&err, NULL);
	CheckTypmod(hdr.dim, typmod);

	v = InitSparseVector(hdr.dim, hdr.nnz);
	if (!SparseParseBinaryBody(data, len, &hdr, v->indices,
							   SPARSEVEC_VALUES(v), &err))
		ReportParseError(&err, NULL);
	buf->cursor += SPARSE_BINARY_SIZE(hdr.nnz);
	PG_RETURN_SPARSEVEC_P(v);
}

PG_FUNCTION_INFO_V1(sparsevec_send);
Datum
sparsevec_send(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SPARSEVEC_VALUES(v);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, v->dim);
	pq_sendint32(&buf, v->nnz);
	pq_sendint32(&buf, 0);
	for (i = 0; i < v->nnz; i++)
		pq_sendint32(&buf, v->indices[i]);
	for (i = 0; i < v->nnz; i++)
		pq_sendfloat4(&buf, values[i]);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------
 * Casts from and to vector and halfvec
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector_to_sparsevec);
Datum
vector_to_sparsevec(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	SparseVector *v;
	float	   *values;
	int			nnz = 0;
	int			i;

	CheckTypmod(vec->dim, PG_GETARG_INT32(1));
	for (i = 0; i < vec->dim; i++)
		nnz += vec->x[i] != 0.0f;
	v = InitSparseVector(vec->dim, nnz);
	values = SPARSEVEC_VALUES(v);
	nnz = 0;
	for (i = 0; i < vec->dim; i++)
	{
		if (vec->x[i] != 0.0f)
		{
			v->indices[nnz] = i;
			values[nnz++] = vec->x[i];
		}
	}
	PG_RETURN_SPARSEVEC_P(v);
}

PG_FUNCTION_INFO_V1(sparsevec_to_vector);
Datum
sparsevec_to_vector(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SPARSEVEC_VALUES(v);
	Vector	   *vec;
	int			i;

	CheckVectorDimCount(v->dim);
	CheckTypmod(v->dim, PG_GETARG_INT32(1));
	vec = InitVector(v->dim);
	for (i = 0; i < v->nnz; i++)
		vec->x[v->indices[i]] = values[i];
	PG_RETURN_VECTOR_P(vec);
}

PG_FUNCTION_INFO_V1(halfvec_to_sparsevec);
Datum
halfvec_to_sparsevec(PG_FUNCTION_ARGS)
{
	HalfVector *h = PG_GETARG_HALFVEC_P(0);
	SparseVector *v;
	float	   *values;
	int			nnz = 0;
	int			i;

	CheckTypmod(h->dim, PG_GETARG_INT32(1));
	for (i = 0; i < h->dim; i++)
		nnz += (h->x[i] & HALF_MAGNITUDE_MASK) != 0;
	v = InitSparseVector(h->dim, nnz);
	values = SPARSEVEC_VALUES(v);
	nnz = 0;
	for (i = 0; i < h->dim; i++)
	{
		if ((h->x[i] & HALF_MAGNITUDE_MASK) != 0)
		{
			v->indices[nnz] = i;
			values[nnz++] = vec_half_to_float(h->x[i]);
		}
	}
	PG_RETURN_SPARSEVEC_P(v);
}

/*
 * Each value rounded to the nearest half; one that rounds to an infinity
 * (|x| >= 65520) is an error, one that rounds to zero becomes zero.
 */
PG_FUNCTION_INFO_V1(sparsevec_to_halfvec);
Datum
sparsevec_to_halfvec(PG_FUNCTION_ARGS)
{
	SparseVector *v = PG_GETARG_SPARSEVEC_P(0);
	float	   *values = SPARSEVEC_VALUES(v);
	HalfVector *h;
	int			i;

	if (v->dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("halfvec cannot have more than %d dimensions",
						HALFVEC_MAX_DIM)));
	CheckTypmod(v->dim, PG_GETARG_INT32(1));

	h = (HalfVector *) palloc0(HALFVEC_SIZE(v->dim));
	SET_VARSIZE(h, HALFVEC_SIZE(v->dim));
	h->dim = v->dim;
	for (i = 0; i < v->nnz; i++)
	{
		VecHalf		x = vec_float_to_half(values[i]);

		if ((x & HALF_MAGNITUDE_MASK) == HALF_INFINITY_BITS)
		{
			char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

			float_to_shortest_decimal_buf(values[i], buf);
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type halfvec", buf)));
		}
		h->x[v->indices[i]] = x;
	}
	PG_RETURN_HALFVEC_P(h);
}

/* ---------------------------------------------------------------------
 * Casts from arrays: the non-zero elements become the stored ones
 * ---------------------------------------------------------------------
 */

/*
 * One array element as a float4, by the array's element type.  A NaN or an
 * infinity comes back as such for CheckElement to refuse; a double outside
 * float4 range, or a non-zero one that rounds to zero, is an error (as for
 * vector) rather than an infinity or an element silently lost.
 */
static float
ArrayElementToFloat(Datum d, Oid elemtype)
{
	switch (elemtype)
	{
		case INT4OID:
			return (float) DatumGetInt32(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			{
				double		x = DatumGetFloat8(d);
				float		f = (float) x;

				if (isinf(f) && !isinf(x))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value out of range: overflow")));
				if (f == 0.0f && x != 0.0)
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value out of range: underflow")));
				return f;
			}
		case NUMERICOID:
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("unsupported array element type %s for sparsevec",
							format_type_be(elemtype))));
	}
	return 0.0f;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(array_to_sparsevec);
Datum
array_to_sparsevec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	int			n;
	int			nnz = 0;
	int			i;
	SparseVector *v;
	float	   *values;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be 1-D")));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("array must not contain nulls")));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, NULL, &n);
	CheckDim(n);
	CheckTypmod(n, typmod);

	/* count first, so that the element limit is checked before the values */
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		nnz += ArrayElementToFloat(elems[i], elemtype) != 0.0f;
	}
	v = InitSparseVector(n, nnz);
	values = SPARSEVEC_VALUES(v);
	nnz = 0;
	for (i = 0; i < n; i++)
	{
		float		f;

		CHECK_FOR_INTERRUPTS();
		f = ArrayElementToFloat(elems[i], elemtype);
		if (f != 0.0f)
		{
			CheckElement(f);
			v->indices[nnz] = i;
			values[nnz++] = f;
		}
	}
	pfree(elems);
	PG_RETURN_SPARSEVEC_P(v);
}

/* ---------------------------------------------------------------------
 * Distances and norms
 *
 * The kernels accumulate in float4 (bit-identical to pgvector's results);
 * when a float4 sum is not finite, which only elements near the float4
 * limit can cause, the sum is redone in double, so a distance between
 * finite vectors is never infinite.
 * ---------------------------------------------------------------------
 */

typedef enum
{
	SPARSE_SUM_L2_SQUARED,
	SPARSE_SUM_DOT,
	SPARSE_SUM_L1
} SparseSumKind;

/* One of the three sums over two sparse vectors of equal dimension. */
static double
sparsevec_sum(FunctionCallInfo fcinfo, SparseSumKind kind)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);
	VecSparse	sa = SparseVectorOperand(a);
	VecSparse	sb = SparseVectorOperand(b);
	float		f;
	double		d;

	CheckDims(a, b);
	switch (kind)
	{
		case SPARSE_SUM_L2_SQUARED:
			f = vec_sparse_l2_squared(&sa, &sb);
			d = isfinite(f) ? f : vec_sparse_l2_squared_double(&sa, &sb);
			break;
		case SPARSE_SUM_DOT:
			f = vec_sparse_inner_product(&sa, &sb);
			d = isfinite(f) ? f : vec_sparse_inner_product_double(&sa, &sb);
			break;
		default:
			f = vec_sparse_l1(&sa, &sb);
			d = isfinite(f) ? f : vec_sparse_l1_double(&sa, &sb);
			break;
	}
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return d;
}

PG_FUNCTION_INFO_V1(sparsevec_l2_distance);
Datum
sparsevec_l2_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sqrt(sparsevec_sum(fcinfo, SPARSE_SUM_L2_SQUARED)));
}

PG_FUNCTION_INFO_V1(sparsevec_l2_squared_distance);
Datum
sparsevec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sparsevec_sum(fcinfo, SPARSE_SUM_L2_SQUARED));
}

PG_FUNCTION_INFO_V1(sparsevec_inner_product);
Datum
sparsevec_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sparsevec_sum(fcinfo, SPARSE_SUM_DOT));
}

PG_FUNCTION_INFO_V1(sparsevec_negative_inner_product);
Datum
sparsevec_negative_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(-sparsevec_sum(fcinfo, SPARSE_SUM_DOT));
}

PG_FUNCTION_INFO_V1(sparsevec_l1_distance);
Datum
sparsevec_l1_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sparsevec_sum(fcinfo, SPARSE_SUM_L1));
}

/*
 * 1 - cos(a, b), the cosine computed in double from the three sums and
 * clamped to [-1, 1]: two vectors pointing the same way are exactly 0
 * apart, never a rounding below it.  NaN when either vector is zero.
 */
PG_FUNCTION_INFO_V1(sparsevec_cosine_distance);
Datum
sparsevec_cosine_distance(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);
	VecSparse	sa = SparseVectorOperand(a);
	VecSparse	sb = SparseVectorOperand(b);
	float		fab,
				faa,
				fbb;
	double		ab,
				aa,
				bb,
				sim;

	CheckDims(a, b);
	fab = vec_sparse_inner_product(&sa, &sb);
	faa = vec_sparse_sum_squares(&sa);
	fbb = vec_sparse_sum_squares(&sb);
	if (isfinite(fab) && isfinite(faa) && isfinite(fbb))
	{
		ab = fab;
		aa = faa;
		bb = fbb;
	}
	else
	{
		ab = vec_sparse_inner_product_double(&sa, &sb);
		aa = vec_sparse_sum_squares_double(&sa);
		bb = vec_sparse_sum_squares_double(&sb);
	}
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);

	/* sqrt of the product: exact for a == b, so that sim is exactly 1 */
	sim = ab / sqrt(aa * bb);
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	PG_RETURN_FLOAT8(1.0 - sim);
}

PG_FUNCTION_INFO_V1(sparsevec_l2_norm);
Datum
sparsevec_l2_norm(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	VecSparse	sa = SparseVectorOperand(a);
	double		norm = sqrt(vec_sparse_sum_squares_double(&sa));

	PG_FREE_IF_COPY(a, 0);
	PG_RETURN_FLOAT8(norm);
}

/*
 * a / |a|; the zero vector stays zero.  A value so much smaller than the
 * norm that its quotient rounds to zero is no longer stored.
 */
PG_FUNCTION_INFO_V1(sparsevec_l2_normalize);
Datum
sparsevec_l2_normalize(PG_FUNCTION_ARGS)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	VecSparse	sa = SparseVectorOperand(a);
	float	   *ax = SPARSEVEC_VALUES(a);
	double		norm = sqrt(vec_sparse_sum_squares_double(&sa));
	SparseVector *r;
	float	   *rx;
	int			nnz = 0;
	int			i;

	if (norm == 0.0)
		PG_RETURN_SPARSEVEC_P(InitSparseVector(a->dim, 0));

	for (i = 0; i < a->nnz; i++)
		nnz += (float) (ax[i] / norm) != 0.0f;
	r = InitSparseVector(a->dim, nnz);
	rx = SPARSEVEC_VALUES(r);
	nnz = 0;
	for (i = 0; i < a->nnz; i++)
	{
		float		x = (float) (ax[i] / norm);

		if (isinf(x))
			float_overflow_error();
		if (x != 0.0f)
		{
			r->indices[nnz] = a->indices[i];
			rx[nnz++] = x;
		}
	}
	PG_RETURN_SPARSEVEC_P(r);
}

/* ---------------------------------------------------------------------
 * btree comparison: as the dense vectors compare, element by element
 * (over the dimensions both have), then the one with fewer dimensions
 * first
 * ---------------------------------------------------------------------
 */

static int
sparsevec_cmp_internal(const SparseVector *a, const SparseVector *b)
{
	const float *ax = SPARSEVEC_VALUES(a);
	const float *bx = SPARSEVEC_VALUES(b);
	int32		common = Min(a->dim, b->dim);
	int			i = 0;
	int			j = 0;

	/* only positions where one of them is non-zero can differ */
	for (;;)
	{
		int32		ai = i < a->nnz ? a->indices[i] : common;
		int32		bj = j < b->nnz ? b->indices[j] : common;
		int32		pos = Min(ai, bj);
		float		x = 0.0f;
		float		y = 0.0f;

		if (pos >= common)
			break;
		if (ai == pos)
			x = ax[i++];
		if (bj == pos)
			y = bx[j++];
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (a->dim != b->dim)
		return a->dim < b->dim ? -1 : 1;
	return 0;
}

/* Compares the two arguments, freeing detoasted copies (btree calls often). */
static int
sparsevec_cmp_args(FunctionCallInfo fcinfo)
{
	SparseVector *a = PG_GETARG_SPARSEVEC_P(0);
	SparseVector *b = PG_GETARG_SPARSEVEC_P(1);
	int			c = sparsevec_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

PG_FUNCTION_INFO_V1(sparsevec_cmp);
Datum
sparsevec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(sparsevec_cmp_args(fcinfo));
}

#define SPARSEVEC_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(sparsevec_cmp_args(fcinfo) op 0); \
}

SPARSEVEC_CMP_FN(sparsevec_lt, <)
SPARSEVEC_CMP_FN(sparsevec_le, <=)
SPARSEVEC_CMP_FN(sparsevec_eq, ==)
SPARSEVEC_CMP_FN(sparsevec_ne, !=)
SPARSEVEC_CMP_FN(sparsevec_ge, >=)
SPARSEVEC_CMP_FN(sparsevec_gt, >)
