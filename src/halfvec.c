/*
 * halfvec.c
 *	  The `halfvec` type: a vector of IEEE binary16 (half precision)
 *	  elements, with pgvector's SQL surface for it: text and binary I/O, the
 *	  typmod, casts from and to vector and arrays, distances, norms,
 *	  subvector, binary quantization, element-wise arithmetic, the btree
 *	  comparison functions and the avg/sum aggregates.
 *
 * The parsers are plain C in halfvecparse.c (test/fuzz/ fuzzes them); the
 * distances are the unpadded half kernels of distance_half.c, which sum in
 * float4 (a sum of products of halves cannot overflow a float4: at most
 * 16000 * (2 * 65504)^2).  Every element is rounded to the nearest half,
 * ties to even; a finite value that rounds beyond +-65504 is an error, as
 * are NaN and infinities, so a stored halfvec always has 1..HALFVEC_MAX_DIM
 * finite elements.
 *
 * Arithmetic is done in float4 and rounded once to half: a float4 holds
 * more than twice a half's precision (24 >= 2 * 11 + 2 bits), so this
 * double rounding gives the correctly rounded half result of +, - and *.
 */
#include "postgres.h"

#include "halfvec.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "halfvecparse.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/varbit.h"
#include "vector.h"

StaticAssertDecl(HALFVEC_PARSE_MAX_DIM == HALFVEC_MAX_DIM,
				 "halfvecparse.h and halfvec.h disagree on the dimension limit");

/* ---------------------------------------------------------------------
 * Shared helpers
 * ---------------------------------------------------------------------
 */

/* ERRORs unless dim is within 1..HALFVEC_MAX_DIM. */
static inline void
CheckHalfvecDimCount(int dim)
{
	CheckDimCountOf(dim, "halfvec", HALFVEC_MAX_DIM);
}

/* A zero-filled halfvec of the given dimension (palloc). */
static HalfVector *
InitHalfVector(int dim)
{
	HalfVector *v;

	CheckHalfvecDimCount(dim);
	v = (HalfVector *) palloc0(HALFVEC_SIZE(dim));
	SET_VARSIZE(v, HALFVEC_SIZE(dim));
	v->dim = dim;
	return v;
}

static void
CheckHalfvecDims(const HalfVector *a, const HalfVector *b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different halfvec dimensions %d and %d",
						a->dim, b->dim)));
}

/*
 * A float4 as a halfvec element: finite and, rounded to half, within
 * +-65504; the error names the value as float4 text would.
 */
static VecHalf
FloatToElement(float f)
{
	VecHalf		h;

	if (isnan(f) || isinf(f))
		ReportNonFiniteElement(isnan(f), "halfvec");
	h = vec_float_to_half(f);
	if (HalfvecCheckElement(h) != VECTOR_PARSE_OK)
	{
		char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

		float_to_shortest_decimal_buf(f, buf);
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" is out of range for type halfvec", buf)));
	}
	return h;
}

/*
 * The result of arithmetic on halves, computed in float4, rounded to half:
 * beyond +-65504 it overflows (the operands are finite, so f is too).
 */
static inline VecHalf
ArithResult(float f)
{
	VecHalf		h = vec_float_to_half(f);

	if (unlikely(HalfvecCheckElement(h) != VECTOR_PARSE_OK))
		float_overflow_error();
	return h;
}

/* ---------------------------------------------------------------------
 * Text I/O
 * ---------------------------------------------------------------------
 */

/* Raises the ERROR for a failed HalfvecParse* (str NULL: binary input). */
static void ReportParseError(const VectorParseError *err, const char *str)
			pg_attribute_noreturn();

static void
ReportParseError(const VectorParseError *err, const char *str)
{
	ReportVectorParseError(err, str, "halfvec", HALFVEC_MAX_DIM, sizeof(VecHalf));
}

PG_FUNCTION_INFO_V1(halfvec_in);
Datum
halfvec_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			max = VectorTextMaxElements(str);
	float	   *scratch = palloc(sizeof(float) * max);
	VecHalf    *x = palloc(sizeof(VecHalf) * max);
	VectorParseError err;
	int			dim;
	HalfVector *v;

	dim = HalfvecParseText(str, scratch, x, &err);
	if (dim < 0)
		ReportParseError(&err, str);

	CheckVectorTypmod(dim, typmod);
	v = InitHalfVector(dim);
	memcpy(v->x, x, sizeof(VecHalf) * dim);
	pfree(scratch);
	pfree(x);
	PG_RETURN_HALFVEC_P(v);
}

/*
 * Each element as the shortest text that reads back as the same float4
 * (vector's formatter): exact, and it reads back as the same half.
 */
PG_FUNCTION_INFO_V1(halfvec_out);
Datum
halfvec_out(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	float	   *f = palloc(sizeof(float) * v->dim);
	char	   *buf = palloc(VECTOR_TEXT_BUFSIZE(v->dim));
	int			i;

	for (i = 0; i < v->dim; i++)
		f[i] = vec_half_to_float(v->x[i]);
	VectorFormatText(f, v->dim, buf);
	pfree(f);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_CSTRING(buf);
}

/* ---------------------------------------------------------------------
 * Typmod: halfvec(n)
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_typmod_in);
Datum
halfvec_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(VectorTypmodIn(PG_GETARG_ARRAYTYPE_P(0), "halfvec",
								   HALFVEC_MAX_DIM));
}

/* The length-coercion cast halfvec(n) -> halfvec(m), used on assignment too. */
PG_FUNCTION_INFO_V1(halfvec);
Datum
halfvec(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);

	CheckVectorTypmod(v->dim, PG_GETARG_INT32(1));
	PG_RETURN_HALFVEC_P(v);
}

/* ---------------------------------------------------------------------
 * Binary I/O: int16 dim, int16 reserved (0), dim halves, network order
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_recv);
Datum
halfvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	const char *data = buf->data + buf->cursor;
	VectorParseError err;
	int			dim;
	HalfVector *v;

	dim = HalfvecParseBinaryHeader(data, buf->len - buf->cursor, &err);
	if (dim < 0)
		ReportParseError(&err, NULL);
	CheckVectorTypmod(dim, typmod);

	v = InitHalfVector(dim);
	if (!HalfvecParseBinaryElements(data, dim, v->x, &err))
		ReportParseError(&err, NULL);
	buf->cursor += HALFVEC_BINARY_SIZE(dim);
	PG_RETURN_HALFVEC_P(v);
}

PG_FUNCTION_INFO_V1(halfvec_send);
Datum
halfvec_send(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	StringInfoData buf;
	int			i;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, v->dim);
	pq_sendint16(&buf, 0);
	for (i = 0; i < v->dim; i++)
		pq_sendint16(&buf, v->x[i]);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------
 * Casts from and to vector and arrays
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_to_vector);
Datum
halfvec_to_vector(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	Vector	   *r;

	CheckVectorTypmod(v->dim, PG_GETARG_INT32(1));
	r = InitVector(v->dim);
	vec_half_kernels->to_float(v->x, r->x, v->dim);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_VECTOR_P(r);
}

PG_FUNCTION_INFO_V1(vector_to_halfvec);
Datum
vector_to_halfvec(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	HalfVector *r;
	int			i;

	CheckVectorTypmod(v->dim, PG_GETARG_INT32(1));
	CheckHalfvecDimCount(v->dim);

	/*
	 * The kernel converts whole blocks (F16C where the CPU has it: this
	 * cast runs for every row of ORDER BY embedding::halfvec <-> ... and of
	 * ALTER COLUMN TYPE), so the value gets room for the padding it
	 * writes; its rounding is vec_float_to_half's.  A vector's elements
	 * are finite, so the only failure is an element beyond half range,
	 * which the element-wise conversion then reports.
	 */
	r = (HalfVector *) palloc(HALFVEC_SIZE(vec_half_padded(v->dim)));
	SET_VARSIZE(r, HALFVEC_SIZE(v->dim));
	r->dim = v->dim;
	r->unused = 0;
	if (!vec_half_kernels->from_float(v->x, r->x, v->dim))
	{
		for (i = 0; i < v->dim; i++)
			r->x[i] = FloatToElement(v->x[i]);
	}
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_HALFVEC_P(r);
}

/*
 * One array element as a float4, by the array's element type, as pgvector
 * converts it (a float8 beyond float4 range becomes an infinity, which is
 * then refused; a numeric goes through float4 and its range error).
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
			return (float) DatumGetFloat8(d);
		case NUMERICOID:
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("unsupported array element type %s for halfvec",
							format_type_be(elemtype))));
	}
	return 0.0f;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(array_to_halfvec);
Datum
array_to_halfvec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int			n;
	Datum	   *elems = VectorArrayElements(array, PG_GETARG_INT32(1),
											"halfvec", HALFVEC_MAX_DIM, &n);
	int			i;
	HalfVector *v;

	v = InitHalfVector(n);
	for (i = 0; i < n; i++)
		v->x[i] = FloatToElement(ArrayElementToFloat(elems[i], elemtype));
	pfree(elems);
	PG_RETURN_HALFVEC_P(v);
}

PG_FUNCTION_INFO_V1(halfvec_to_float4);
Datum
halfvec_to_float4(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	Datum	   *d = palloc(sizeof(Datum) * v->dim);
	ArrayType  *result;
	int			i;

	for (i = 0; i < v->dim; i++)
		d[i] = Float4GetDatum(vec_half_to_float(v->x[i]));
	result = construct_array(d, v->dim, FLOAT4OID, sizeof(float4), true,
							 TYPALIGN_INT);
	pfree(d);
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_POINTER(result);
}

/* ---------------------------------------------------------------------
 * Distances: the unpadded half kernels, in float4, returned as float8
 * ---------------------------------------------------------------------
 */

typedef enum
{
	HALF_SUM_L2_SQUARED,
	HALF_SUM_DOT,
	HALF_SUM_L1
} HalfSumKind;

static float
halfvec_sum(FunctionCallInfo fcinfo, HalfSumKind kind)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	float		f;

	CheckHalfvecDims(a, b);
	if (kind == HALF_SUM_L2_SQUARED)
		f = vec_half_kernels->l2_squared_any(a->x, b->x, a->dim);
	else if (kind == HALF_SUM_DOT)
		f = vec_half_kernels->inner_product_any(a->x, b->x, a->dim);
	else
		f = vec_half_kernels->l1_any(a->x, b->x, a->dim);
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return f;
}

PG_FUNCTION_INFO_V1(halfvec_l2_distance);
Datum
halfvec_l2_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(sqrt((double) halfvec_sum(fcinfo, HALF_SUM_L2_SQUARED)));
}

PG_FUNCTION_INFO_V1(halfvec_l2_squared_distance);
Datum
halfvec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8((double) halfvec_sum(fcinfo, HALF_SUM_L2_SQUARED));
}

PG_FUNCTION_INFO_V1(halfvec_inner_product);
Datum
halfvec_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8((double) halfvec_sum(fcinfo, HALF_SUM_DOT));
}

PG_FUNCTION_INFO_V1(halfvec_negative_inner_product);
Datum
halfvec_negative_inner_product(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(-(double) halfvec_sum(fcinfo, HALF_SUM_DOT));
}

PG_FUNCTION_INFO_V1(halfvec_l1_distance);
Datum
halfvec_l1_distance(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8((double) halfvec_sum(fcinfo, HALF_SUM_L1));
}

/*
 * 1 - cos(a, b), the cosine computed in double from the float4 sums as
 * ab / sqrt(aa * bb) (so vectors pointing the same way give exactly 0 when
 * the sums are exact) and clamped to [-1, 1].  NaN when either vector is
 * zero: the angle is undefined.
 */
PG_FUNCTION_INFO_V1(halfvec_cosine_distance);
Datum
halfvec_cosine_distance(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	float		ab,
				aa,
				bb;
	double		sim;

	CheckHalfvecDims(a, b);
	vec_half_kernels->cosine_parts_any(a->x, b->x, a->dim, &ab, &aa, &bb);
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);

	if (aa == 0.0f || bb == 0.0f)
		PG_RETURN_FLOAT8(get_float8_nan());
	sim = (double) ab / sqrt((double) aa * (double) bb);
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	PG_RETURN_FLOAT8(1.0 - sim);
}

/*
 * The angle between unit vectors as a fraction of pi, from their inner
 * product (clamped to [-1, 1]).
 */
PG_FUNCTION_INFO_V1(halfvec_spherical_distance);
Datum
halfvec_spherical_distance(PG_FUNCTION_ARGS)
{
	double		dot = halfvec_sum(fcinfo, HALF_SUM_DOT);

	if (dot > 1.0)
		dot = 1.0;
	else if (dot < -1.0)
		dot = -1.0;
	PG_RETURN_FLOAT8(acos(dot) / M_PI);
}

/* ---------------------------------------------------------------------
 * Dimensions, norms, subvector, binary quantization
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_vector_dims);
Datum
halfvec_vector_dims(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_INT32(v->dim);
}

/* Euclidean norm, accumulated in double. */
static double
HalfvecNorm(const HalfVector *v)
{
	double		s = 0.0;
	int			i;

	for (i = 0; i < v->dim; i++)
	{
		double		x = vec_half_to_float(v->x[i]);

		s += x * x;
	}
	return sqrt(s);
}

PG_FUNCTION_INFO_V1(halfvec_l2_norm);
Datum
halfvec_l2_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(HalfvecNorm(PG_GETARG_HALFVEC_P(0)));
}

/* The unit vector in v's direction, rounded to half; zero stays zero. */
PG_FUNCTION_INFO_V1(halfvec_l2_normalize);
Datum
halfvec_l2_normalize(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	HalfVector *r = InitHalfVector(v->dim);
	double		norm = HalfvecNorm(v);
	int			i;

	if (norm > 0.0)
		for (i = 0; i < v->dim; i++)
			r->x[i] = ArithResult((float) (vec_half_to_float(v->x[i]) / norm));
	PG_RETURN_HALFVEC_P(r);
}

/*
 * count elements from the 1-based position start.  As with substring(),
 * the part of the range outside the vector is ignored; an empty result is
 * an error since a halfvec has at least one element.
 */
PG_FUNCTION_INFO_V1(halfvec_subvector);
Datum
halfvec_subvector(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		count = PG_GETARG_INT32(2);
	int64		end = start + count;	/* exclusive; int64 cannot overflow */
	HalfVector *r;

	if (count < 1)
		CheckHalfvecDimCount(0);
	if (start < 1)
		start = 1;
	if (end > (int64) v->dim + 1)
		end = (int64) v->dim + 1;
	if (end <= start)
		CheckHalfvecDimCount(0);

	r = InitHalfVector((int) (end - start));
	memcpy(r->x, v->x + (start - 1), sizeof(VecHalf) * r->dim);
	PG_RETURN_HALFVEC_P(r);
}

/* One bit per element, the first element the most significant bit: x > 0. */
PG_FUNCTION_INFO_V1(halfvec_binary_quantize);
Datum
halfvec_binary_quantize(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int			size = VARBITTOTALLEN(v->dim);
	VarBit	   *r = (VarBit *) palloc0(size);
	bits8	   *bits = VARBITS(r);
	int			i;

	SET_VARSIZE(r, size);
	VARBITLEN(r) = v->dim;
	for (i = 0; i < v->dim; i++)
	{
		if (vec_half_to_float(v->x[i]) > 0.0f)
			bits[i / BITS_PER_BYTE] |= (bits8) (1 << (BITS_PER_BYTE - 1 - i % BITS_PER_BYTE));
	}
	PG_FREE_IF_COPY(v, 0);
	PG_RETURN_VARBIT_P(r);
}

/* ---------------------------------------------------------------------
 * Element-wise arithmetic and concatenation
 * ---------------------------------------------------------------------
 */

typedef enum
{
	HALF_ARITH_ADD,
	HALF_ARITH_SUB,
	HALF_ARITH_MUL
} HalfArithKind;

/*
 * a op b element by element, each result rounded to half.  A result beyond
 * +-65504, or a product of non-zero elements that rounds to zero, is an
 * error rather than a silently wrong vector.
 */
static HalfVector *
halfvec_arith(FunctionCallInfo fcinfo, HalfArithKind kind)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *r;
	int			i;

	CheckHalfvecDims(a, b);
	r = InitHalfVector(a->dim);
	for (i = 0; i < a->dim; i++)
	{
		float		x = vec_half_to_float(a->x[i]);
		float		y = vec_half_to_float(b->x[i]);
		float		z;

		z = kind == HALF_ARITH_ADD ? x + y : kind == HALF_ARITH_SUB ? x - y : x * y;
		r->x[i] = ArithResult(z);
		if (unlikely(kind == HALF_ARITH_MUL && vec_half_to_float(r->x[i]) == 0.0f &&
					 x != 0.0f && y != 0.0f))
			float_underflow_error();
	}
	return r;
}

PG_FUNCTION_INFO_V1(halfvec_add);
Datum
halfvec_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(halfvec_arith(fcinfo, HALF_ARITH_ADD));
}

PG_FUNCTION_INFO_V1(halfvec_sub);
Datum
halfvec_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(halfvec_arith(fcinfo, HALF_ARITH_SUB));
}

PG_FUNCTION_INFO_V1(halfvec_mul);
Datum
halfvec_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(halfvec_arith(fcinfo, HALF_ARITH_MUL));
}

PG_FUNCTION_INFO_V1(halfvec_concat);
Datum
halfvec_concat(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *r = InitHalfVector(a->dim + b->dim);

	memcpy(r->x, a->x, sizeof(VecHalf) * a->dim);
	memcpy(r->x + a->dim, b->x, sizeof(VecHalf) * b->dim);
	PG_RETURN_HALFVEC_P(r);
}

/* ---------------------------------------------------------------------
 * btree comparison: element by element (as numbers, so -0 = 0), then the
 * shorter vector first
 * ---------------------------------------------------------------------
 */

static int
halfvec_cmp_args(FunctionCallInfo fcinfo)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	int			n = Min(a->dim, b->dim);
	int			c = 0;
	int			i;

	for (i = 0; i < n && c == 0; i++)
	{
		float		x = vec_half_to_float(a->x[i]);
		float		y = vec_half_to_float(b->x[i]);

		if (x != y)
			c = x < y ? -1 : 1;
	}
	if (c == 0 && a->dim != b->dim)
		c = a->dim < b->dim ? -1 : 1;
	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

PG_FUNCTION_INFO_V1(halfvec_cmp);
Datum
halfvec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(halfvec_cmp_args(fcinfo));
}

#define HALFVEC_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(halfvec_cmp_args(fcinfo) op 0); \
}

HALFVEC_CMP_FN(halfvec_lt, <)
HALFVEC_CMP_FN(halfvec_le, <=)
HALFVEC_CMP_FN(halfvec_eq, ==)
HALFVEC_CMP_FN(halfvec_ne, !=)
HALFVEC_CMP_FN(halfvec_ge, >=)
HALFVEC_CMP_FN(halfvec_gt, >)

/* ---------------------------------------------------------------------
 * avg(halfvec): vector's state and combine function (vectorfuncs.c); the
 * sums of widened halves are exact in float8 for any realistic row count.
 * sum(halfvec) is halfvec_add as transition and combine function.
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(halfvec_accum);
Datum
halfvec_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	HalfVector *v = PG_GETARG_HALFVEC_P(1);
	float8	   *s;
	int			i;

	state = WritableAggState(fcinfo, state, v->dim);
	s = (float8 *) ARR_DATA_PTR(state);
	s[0] += 1.0;
	for (i = 0; i < v->dim; i++)
		s[i + 1] += vec_half_to_float(v->x[i]);
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(halfvec_avg);
Datum
halfvec_avg(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	int			n;
	float8	   *s = CheckAggState(state, &n);
	HalfVector *r;
	int			i;

	if (n == 1 || s[0] == 0.0)
		PG_RETURN_NULL();
	r = InitHalfVector(n - 1);
	for (i = 0; i < r->dim; i++)
		r->x[i] = FloatToElement((float) (s[i + 1] / s[0]));
	PG_RETURN_HALFVEC_P(r);
}
