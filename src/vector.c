/*
 * vector.c
 *	  The `vector` type: text and binary I/O, the typmod, casts from and to
 *	  arrays, and the btree comparison functions.
 *
 * The text and binary parsers and the text formatter themselves are plain C
 * in vectorparse.c (test/fuzz/ fuzzes them); here they are wrapped as SQL
 * functions, their errors turned into ereports.
 *
 * Distances, arithmetic and aggregates are in vectorfuncs.c.  Every input
 * path (text, binary, arrays, typmod casts) ends in the same checks, so a
 * stored vector always has 1..VECTOR_MAX_DIM finite elements: the index and
 * the distance kernels rely on that and never re-check.
 */
#include "postgres.h"

#include "vector.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "vectorparse.h"

StaticAssertDecl(VECTOR_PARSE_MAX_DIM == VECTOR_MAX_DIM,
				 "vectorparse.h and vector.h disagree on the dimension limit");

/* ---------------------------------------------------------------------
 * Shared helpers
 * ---------------------------------------------------------------------
 */

Vector *
InitVector(int dim)
{
	Vector	   *v;

	CheckVectorDimCount(dim);
	v = (Vector *) palloc0(VECTOR_SIZE(dim));
	SET_VARSIZE(v, VECTOR_SIZE(dim));
	v->dim = dim;
	return v;
}

void
CheckVectorDimCount(int dim)
{
	CheckDimCountOf(dim, "vector", VECTOR_MAX_DIM);
}

void
CheckDimCountOf(int dim, const char *typname, int max_dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must have at least 1 dimension", typname)));
	if (dim > max_dim)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot have more than %d dimensions",
						typname, max_dim)));
}

void
CheckVectorDims(const Vector *a, const Vector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d",
						a->dim, b->dim)));
}

double
FloatArrayNorm(const float *x, int n)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		s += (double) x[i] * (double) x[i];
	return sqrt(s);
}

double
VectorNorm(const Vector *v)
{
	return FloatArrayNorm(v->x, v->dim);
}

void
ReportNonFiniteElement(bool is_nan, const char *typname)
{
	if (is_nan)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in %s", typname)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("infinite value not allowed in %s", typname)));
}

/* ERRORs unless an element is finite: NaN and infinities have no distance. */
static inline void
CheckElement(float value)
{
	if (isnan(value) || isinf(value))
		ReportNonFiniteElement(isnan(value), "vector");
}

void
CheckVectorTypmod(int dim, int32 typmod)
{
	if (typmod != -1 && dim != typmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

/*
 * A double as a float4 element: finite, within float4 range, and not a
 * non-zero value that rounds to zero (silently losing it would be a wrong
 * answer).
 */
static float
DoubleToElement(double d)
{
	float		f;

	if (isnan(d) || isinf(d))
		CheckElement((float) d);
	f = (float) d;
	if (isinf(f))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow")));
	if (f == 0.0f && d != 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: underflow")));
	return f;
}

/* ---------------------------------------------------------------------
 * Text I/O
 * ---------------------------------------------------------------------
 */

void
ReportVectorParseError(const VectorParseError *err, const char *str,
					   const char *typname, int max_dim, int elem_size)
{
	switch (err->status)
	{
		case VECTOR_PARSE_OK:
			break;
		case VECTOR_PARSE_SYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", typname, str),
					 err->detail ? errdetail_internal("%s", err->detail) : 0));
			break;
		case VECTOR_PARSE_NO_DIMS:
		case VECTOR_PARSE_TOO_MANY_DIMS:
			CheckDimCountOf(err->dim, typname, max_dim);
			break;
		case VECTOR_PARSE_OUT_OF_RANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%.*s\" is out of range for type %s",
							err->token_len, err->token, typname)));
			break;
		case VECTOR_PARSE_NAN:
		case VECTOR_PARSE_INF:
			ReportNonFiniteElement(err->status == VECTOR_PARSE_NAN, typname);
			break;
		case VECTOR_PARSE_BIN_SHORT_HEADER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary %s: truncated header", typname)));
			break;
		case VECTOR_PARSE_BIN_RESERVED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary %s: reserved field is %d, not 0",
							typname, err->value)));
			break;
		case VECTOR_PARSE_BIN_SHORT_DATA:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary %s: %d dimensions need %d bytes, %d left",
							typname, err->dim, err->dim * elem_size, err->avail)));
			break;
	}
	elog(ERROR, "%s parser failed with unexpected status %d",
		 typname, (int) err->status);
}

static void ReportParseError(const VectorParseError *err, const char *str)
			pg_attribute_noreturn();

static void
ReportParseError(const VectorParseError *err, const char *str)
{
	ReportVectorParseError(err, str, "vector", VECTOR_MAX_DIM, sizeof(float));
}

PG_FUNCTION_INFO_V1(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	float	   *x = palloc(sizeof(float) * VectorTextMaxElements(str));
	VectorParseError err;
	int			dim;
	Vector	   *v;

	dim = VectorParseText(str, x, &err);
	if (dim < 0)
		ReportParseError(&err, str);

	CheckVectorTypmod(dim, typmod);
	v = InitVector(dim);
	memcpy(v->x, x, sizeof(float) * dim);
	pfree(x);
	PG_RETURN_VECTOR_P(v);
}

/*
 * Shortest text that reads back as the same float4 (the Ryu algorithm
 * float4out uses), whatever extra_float_digits says: a vector read back
 * must be bit-identical, or distances to it change.
 */
PG_FUNCTION_INFO_V1(vector_out);
Datum
vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	char	   *buf = palloc(VECTOR_TEXT_BUFSIZE(v->dim));

	VectorFormatText(v->x, v->dim, buf);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

/* ---------------------------------------------------------------------
 * Typmod: vector(n)
 * ---------------------------------------------------------------------
 */

int32
VectorTypmodIn(ArrayType *ta, const char *typname, int max_dim)
{
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
				 errmsg("dimensions for type %s must be at least 1", typname)));
	if (*tl > max_dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type %s cannot exceed %d",
						typname, max_dim)));
	return *tl;
}

PG_FUNCTION_INFO_V1(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(VectorTypmodIn(PG_GETARG_ARRAYTYPE_P(0), "vector",
								   VECTOR_MAX_DIM));
}

PG_FUNCTION_INFO_V1(vector_typmod_out);
Datum
vector_typmod_out(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(0);

	if (typmod < 0)
		PG_RETURN_CSTRING(pstrdup(""));
	PG_RETURN_CSTRING(psprintf("(%d)", typmod));
}

/* The length-coercion cast vector(n) -> vector(m), used on assignment too. */
PG_FUNCTION_INFO_V1(vector);
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);

	CheckVectorTypmod(v->dim, PG_GETARG_INT32(1));
	PG_RETURN_VECTOR_P(v);
}

/* ---------------------------------------------------------------------
 * Binary I/O: int16 dim, int16 reserved (0), dim float4, network order
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(vector_recv);
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const char *data = buf->data + buf->cursor;
	VectorParseError err;
	int			dim;
	Vector	   *v;

	dim = VectorParseBinaryHeader(data, buf->len - buf->cursor, &err);
	if (dim < 0)
		ReportParseError(&err, NULL);
	CheckVectorTypmod(dim, typmod);

	v = InitVector(dim);
	if (!VectorParseBinaryElements(data, dim, v->x, &err))
		ReportParseError(&err, NULL);
	buf->cursor += VECTOR_BINARY_SIZE(dim);
	PG_RETURN_VECTOR_P(v);
}

PG_FUNCTION_INFO_V1(vector_send);
Datum
vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, v->dim);
	pq_sendint16(&buf, 0);
	for (i = 0; i < v->dim; i++)
		pq_sendfloat4(&buf, v->x[i]);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------
 * Casts from and to arrays
 * ---------------------------------------------------------------------
 */

/* One array element as a vector element, by the array's element type. */
static float
ArrayElementToFloat(Datum d, Oid elemtype)
{
	switch (elemtype)
	{
		case INT4OID:
			/* every int4 is within float4 range (rounded above 2^24) */
			return (float) DatumGetInt32(d);
		case FLOAT4OID:
			CheckElement(DatumGetFloat4(d));
			return DatumGetFloat4(d);
		case FLOAT8OID:
			return DoubleToElement(DatumGetFloat8(d));
		case NUMERICOID:
			/* NaN and infinities come through as such and are refused */
			return DoubleToElement(DatumGetFloat8(DirectFunctionCall1(numeric_float8, d)));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("unsupported array element type %s for vector",
							format_type_be(elemtype))));
	}
	return 0.0f;				/* keep compiler quiet */
}

Datum *
VectorArrayElements(ArrayType *array, int32 typmod, const char *typname,
					int max_dim, int *n)
{
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;

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
					  &elems, NULL, n);
	CheckDimCountOf(*n, typname, max_dim);
	CheckVectorTypmod(*n, typmod);
	return elems;
}

PG_FUNCTION_INFO_V1(array_to_vector);
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int			n;
	Datum	   *elems = VectorArrayElements(array, PG_GETARG_INT32(1),
											"vector", VECTOR_MAX_DIM, &n);
	int			i;
	Vector	   *v;

	v = InitVector(n);
	for (i = 0; i < n; i++)
		v->x[i] = ArrayElementToFloat(elems[i], elemtype);
	pfree(elems);
	PG_RETURN_VECTOR_P(v);
}

PG_FUNCTION_INFO_V1(vector_to_float4);
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	Datum	   *d = palloc(sizeof(Datum) * v->dim);
	ArrayType  *result;
	int			i;

	for (i = 0; i < v->dim; i++)
		d[i] = Float4GetDatum(v->x[i]);
	result = construct_array(d, v->dim, FLOAT4OID, sizeof(float4), true,
							 TYPALIGN_INT);
	pfree(d);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_POINTER(result);
}

/* ---------------------------------------------------------------------
 * btree comparison: element by element, then the shorter vector first
 * ---------------------------------------------------------------------
 */

static int
vector_cmp_internal(const Vector *a, const Vector *b)
{
	int			n = Min(a->dim, b->dim);
	int			i;

	for (i = 0; i < n; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	if (a->dim != b->dim)
		return a->dim < b->dim ? -1 : 1;
	return 0;
}

/* Compares the two arguments, freeing detoasted copies (btree calls often). */
static int
vector_cmp_args(FunctionCallInfo fcinfo)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	int			c = vector_cmp_internal(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

PG_FUNCTION_INFO_V1(vector_cmp);
Datum
vector_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(vector_cmp_args(fcinfo));
}

#define VECTOR_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(vector_cmp_args(fcinfo) op 0); \
}

VECTOR_CMP_FN(vector_lt, <)
VECTOR_CMP_FN(vector_le, <=)
VECTOR_CMP_FN(vector_eq, ==)
VECTOR_CMP_FN(vector_ne, !=)
VECTOR_CMP_FN(vector_ge, >=)
VECTOR_CMP_FN(vector_gt, >)
