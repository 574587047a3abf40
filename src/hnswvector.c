/*
 * hnswvector.c
 *	  What an hnsw index stores of each type it indexes: the opclass's
 *	  distance kind and vector type, the element's vector made from an
 *	  indexed value (or a query), and the distance functions over them.
 *
 * Every vector type is stored padded with zeros to its kernels' block
 * (hnsw_format.h), so the kernels run without tail loops; the distance
 * functions here take the element count and pad it themselves.
 */
#include "postgres.h"

#include "hnsw.h"

#include <math.h>

#include "access/genam.h"
#include "distance.h"
#include "distance_bit.h"
#include "halfvec.h"
#include "sparsevec.h"
#include "utils/rel.h"
#include "utils/varbit.h"

/* ---------------------------------------------------------------------
 * Distances
 * ---------------------------------------------------------------------
 */

static float
dist_l2(const void *a, const void *b, int n)
{
	return vec_kernels->l2_squared(a, b, n);
}

static float
dist_neg_ip(const void *a, const void *b, int n)
{
	return -vec_kernels->inner_product(a, b, n);
}

static float
dist_l1(const void *a, const void *b, int n)
{
	return vec_kernels->l1(a, b, n);
}

/*
 * Over half precision vectors: a halfvec element's, or the copies a build
 * keeps of float vectors (whose n is padded already, which changes nothing).
 */
static float
dist_l2_half(const void *a, const void *b, int n)
{
	return vec_half_kernels->l2_squared(a, b, vec_half_padded(n));
}

static float
dist_neg_ip_half(const void *a, const void *b, int n)
{
	return -vec_half_kernels->inner_product(a, b, vec_half_padded(n));
}

static float
dist_l1_half(const void *a, const void *b, int n)
{
	return vec_half_kernels->l1(a, b, vec_half_padded(n));
}

StaticAssertDecl(HNSW_HALF_BLOCK == VEC_HALF_BLOCK,
				 "a halfvec element is padded as the half kernels read it");

/* Over bit strings of n bits, padded with 0 bits to whole blocks */
static float
dist_hamming(const void *a, const void *b, int n)
{
	return (float) vec_bit_kernels->hamming(a, b,
											HnswVectorBytes(HNSW_VEC_BIT, n));
}

static float
dist_jaccard(const void *a, const void *b, int n)
{
	uint32_t	both;
	uint32_t	either;

	vec_bit_kernels->jaccard_counts(a, b, HnswVectorBytes(HNSW_VEC_BIT, n),
									&both, &either);
	return (float) vec_bit_jaccard(both, either);
}

/*
 * Over sparse vectors (HNSW_VEC_SPARSE: each holds its own count, so n is
 * not needed).  A float sum that overflowed is taken again in double, as
 * the SQL functions do, so the order is the functions' order.
 */
static inline VecSparse
sparse_operand(const void *v)
{
	const int32 *p = v;
	VecSparse	s;

	s.nnz = p[0];
	s.indices = p + 1;
	s.values = (const float *) (p + 1 + s.nnz);
	return s;
}

static float
dist_l2_sparse(const void *a, const void *b, int n)
{
	VecSparse	x = sparse_operand(a);
	VecSparse	y = sparse_operand(b);
	float		d = vec_sparse_l2_squared(&x, &y);

	return isinf(d) ? (float) vec_sparse_l2_squared_double(&x, &y) : d;
}

static float
dist_neg_ip_sparse(const void *a, const void *b, int n)
{
	VecSparse	x = sparse_operand(a);
	VecSparse	y = sparse_operand(b);
	float		d = vec_sparse_inner_product(&x, &y);

	return -(isinf(d) ? (float) vec_sparse_inner_product_double(&x, &y) : d);
}

static float
dist_l1_sparse(const void *a, const void *b, int n)
{
	VecSparse	x = sparse_operand(a);
	VecSparse	y = sparse_operand(b);
	float		d = vec_sparse_l1(&x, &y);

	return isinf(d) ? (float) vec_sparse_l1_double(&x, &y) : d;
}

/*
 * The distance function of an index's vector type and kind; with half, of
 * the half-precision copies a build keeps of float vectors (distance.h).
 */
HnswDistanceFn
hnsw_distance_fn(HnswVectorType vectype, HnswDistanceKind kind, bool half)
{
	half = half || vectype == HNSW_VEC_HALF;
	if (vectype == HNSW_VEC_FLOAT || vectype == HNSW_VEC_HALF)
	{
		switch (kind)
		{
			case HNSW_DIST_L2:
				return half ? dist_l2_half : dist_l2;
			case HNSW_DIST_IP:
			case HNSW_DIST_COSINE:
				/* cosine vectors are stored unit length: order by -dot */
				return half ? dist_neg_ip_half : dist_neg_ip;
			case HNSW_DIST_L1:
				return half ? dist_l1_half : dist_l1;
			default:
				break;
		}
	}
	if (vectype == HNSW_VEC_BIT && kind == HNSW_DIST_HAMMING)
		return dist_hamming;
	if (vectype == HNSW_VEC_BIT && kind == HNSW_DIST_JACCARD)
		return dist_jaccard;
	if (vectype == HNSW_VEC_SPARSE)
	{
		switch (kind)
		{
			case HNSW_DIST_L2:
				return dist_l2_sparse;
			case HNSW_DIST_IP:
			case HNSW_DIST_COSINE:
				return dist_neg_ip_sparse;
			case HNSW_DIST_L1:
				return dist_l1_sparse;
			default:
				break;
		}
	}
	elog(ERROR, "hnsw has no distance %d for vector type %d",
		 (int) kind, (int) vectype);
	return NULL;				/* keep compiler quiet */
}

/* ---------------------------------------------------------------------
 * The opclass
 * ---------------------------------------------------------------------
 */

/*
 * The distance kind and vector type of an index, from its opclass's
 * support function: kind + vector type * HNSW_SUPPORT_TYPE_SHIFT (a type
 * of 0, as the `vector` opclasses of version 0.1.0 return, is float).
 */
void
hnsw_index_opclass(Relation index, HnswDistanceKind *kind,
				   HnswVectorType *vectype)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, HNSW_DISTANCE_PROC);
	int32		code = DatumGetInt32(FunctionCall1(proc, (Datum) 0));
	int32		k = code % HNSW_SUPPORT_TYPE_SHIFT;
	int32		t = code / HNSW_SUPPORT_TYPE_SHIFT;

	if (t == 0)
		t = HNSW_VEC_FLOAT;
	if (k < HNSW_DIST_L2 || k > HNSW_DIST_MAX ||
		t < HNSW_VEC_FLOAT || t > HNSW_VEC_MAX)
		elog(ERROR, "hnsw support function returned unknown distance %d", code);
	*kind = (HnswDistanceKind) k;
	*vectype = (HnswVectorType) t;
	/* fails for a combination no opclass declares */
	(void) hnsw_distance_fn(*vectype, *kind, false);
}

/* The SQL name of a vector type, for messages */
const char *
hnsw_vector_type_name(HnswVectorType vectype)
{
	switch (vectype)
	{
		case HNSW_VEC_HALF:
			return "halfvec";
		case HNSW_VEC_BIT:
			return "bit";
		case HNSW_VEC_SPARSE:
			return "sparsevec";
		case HNSW_VEC_FLOAT:
			break;
	}
	return "vector";
}

/* The most elements a sparse vector may store in an index of this m */
static int
sparse_max_nnz(const HnswIndexInfo *info)
{
	Size		room = HNSW_MAX_TUPLE_SIZE - HnswVectorOffset(0, info->m);

	return (int) ((room - HnswVectorBytes(HNSW_VEC_SPARSE, 0)) /
				  (HnswVectorBytes(HNSW_VEC_SPARSE, 1) -
				   HnswVectorBytes(HNSW_VEC_SPARSE, 0)));
}

/* Sets the dimension count (0: not known yet) and what follows from it. */
void
hnsw_info_set_dim(HnswIndexInfo *info, int dim)
{
	info->dim = dim;
	if (info->vectype == HNSW_VEC_SPARSE)
		info->vecbytes = HnswVectorBytes(HNSW_VEC_SPARSE, sparse_max_nnz(info));
	else
		info->vecbytes = HnswVectorBytes(info->vectype, dim);
}

/* ---------------------------------------------------------------------
 * Sizes
 * ---------------------------------------------------------------------
 */

/* Highest level whose element tuple still fits a page; -1 if none does. */
int
hnsw_max_level_for(const HnswIndexInfo *info, Size vecbytes)
{
	int			level;

	for (level = HNSW_MAX_LEVEL; level >= 0; level--)
		if (HnswElementTupleSize(level, info->m, vecbytes) <= HNSW_MAX_TUPLE_SIZE)
			return level;
	return -1;
}

/*
 * ERRORs unless an element of dim elements fits a page.  (A sparse vector's
 * size is its stored elements', checked as it is prepared.)
 */
void
hnsw_check_dim(const HnswIndexInfo *info, int dim)
{
	Size		vecbytes;

	if (info->vectype == HNSW_VEC_SPARSE)
		return;
	vecbytes = HnswVectorBytes(info->vectype, dim);
	if (hnsw_max_level_for(info, vecbytes) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s with %d %s is too wide for an hnsw index with m = %d",
						hnsw_vector_type_name(info->vectype), dim,
						info->vectype == HNSW_VEC_BIT ? "bits" : "dimensions",
						info->m),
				 errdetail("An index element would take %zu bytes; a page holds at most %zu.",
						   HnswElementTupleSize(0, info->m, vecbytes),
						   (size_t) HNSW_MAX_TUPLE_SIZE)));
}

/*
 * ERRORs unless a prepared vector's element fits a page: for a sparse
 * vector, which the dimension count does not size.  (A query may be larger.)
 */
void
hnsw_check_vector(const HnswIndexInfo *info, const void *vec)
{
	int			maxnnz;

	if (info->vectype != HNSW_VEC_SPARSE)
		return;
	maxnnz = sparse_max_nnz(info);
	if (hnsw_vector_count(info, vec) > maxnnz)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sparsevec cannot have more than %d non-zero elements for hnsw index",
						maxnnz),
				 errdetail("It has %d; with m = %d an index element holds at most %d.",
						   hnsw_vector_count(info, vec), info->m, maxnnz)));
}

/* ---------------------------------------------------------------------
 * Vectors from values
 * ---------------------------------------------------------------------
 */

/* ERRORs unless a value of dim dimensions fits an index of expected (0: any) */
void
hnsw_check_value_dim(HnswVectorType vectype, int expected, int dim)
{
	if (expected != 0 && dim != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 vectype == HNSW_VEC_BIT ?
				 errmsg("expected %d bits, not %d", expected, dim) :
				 errmsg("expected %d dimensions, not %d", expected, dim)));
}

/*
 * Scales x[0..n-1] to unit length in place; false for a zero vector, which
 * has no direction.
 */
static bool
normalize_floats(float *x, int n)
{
	double		norm = FloatArrayNorm(x, n);
	int			i;

	if (norm == 0.0)
		return false;
	for (i = 0; i < n; i++)
		x[i] = (float) (x[i] / norm);
	return true;
}

static void *
prepare_float(const HnswIndexInfo *info, Datum value, int *dim)
{
	Vector	   *v = DatumGetVector(value);
	float	   *out;

	hnsw_check_value_dim(info->vectype, info->dim, v->dim);
	out = palloc(sizeof(float) * v->dim);
	memcpy(out, v->x, sizeof(float) * v->dim);
	*dim = v->dim;
	if (info->kind == HNSW_DIST_COSINE && !normalize_floats(out, v->dim))
		out = NULL;
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return out;
}

static void *
prepare_half(const HnswIndexInfo *info, Datum value, int *dim)
{
	HalfVector *v = DatumGetHalfVector(value);
	VecHalf    *out;

	hnsw_check_value_dim(info->vectype, info->dim, v->dim);
	*dim = v->dim;
	out = palloc0(HnswVectorBytes(HNSW_VEC_HALF, v->dim));
	if (info->kind == HNSW_DIST_COSINE)
	{
		/*
		 * Unit length in float, then rounded to half precision (padding
		 * included): the elements of a unit vector are at most 1, so none
		 * overflows.
		 */
		float	   *x = palloc(sizeof(float) * v->dim);

		vec_half_kernels->to_float(v->x, x, v->dim);
		if (!normalize_floats(x, v->dim))
			return NULL;
		(void) vec_half_kernels->from_float(x, out, v->dim);
		pfree(x);
	}
	else
		memcpy(out, v->x, sizeof(VecHalf) * v->dim);
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return out;
}

static void *
prepare_bit(const HnswIndexInfo *info, Datum value, int *dim)
{
	VarBit	   *v = DatumGetVarBitP(value);
	uint8	   *out;

	hnsw_check_value_dim(info->vectype, info->dim, VARBITLEN(v));
	*dim = VARBITLEN(v);
	/* the bits after the last are 0 in a bit string, as the padding */
	out = palloc0(HnswVectorBytes(HNSW_VEC_BIT, *dim));
	memcpy(out, VARBITS(v), VARBITBYTES(v));
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return out;
}

/*
 * A sparse vector as an element stores it: its count, indices and values
 * (scaled to unit length for cosine).
 */
static void *
prepare_sparse(const HnswIndexInfo *info, Datum value, int *dim)
{
	SparseVector *v = DatumGetSparseVector(value);
	int32	   *out;
	float	   *values;

	hnsw_check_value_dim(info->vectype, info->dim, v->dim);
	*dim = v->dim;
	out = palloc(HnswVectorBytes(HNSW_VEC_SPARSE, v->nnz));
	out[0] = v->nnz;
	memcpy(out + 1, v->indices, sizeof(int32) * v->nnz);
	values = (float *) (out + 1 + v->nnz);
	memcpy(values, SPARSEVEC_VALUES(v), sizeof(float) * v->nnz);
	if (info->kind == HNSW_DIST_COSINE && !normalize_floats(values, v->nnz))
		return NULL;
	if ((Pointer) v != DatumGetPointer(value))
		pfree(v);
	return out;
}

/*
 * Turns an indexed value (or a query) into the vector an element stores:
 * checks the dimension count against the index and, for cosine, scales to
 * unit length.  Returns NULL for a value the index does not hold (a zero
 * vector under cosine, whose distance to anything is undefined).  *dim gets
 * the element count (bits for bit strings).
 */
void *
hnsw_prepare_vector(const HnswIndexInfo *info, Datum value, int *dim)
{
	switch (info->vectype)
	{
		case HNSW_VEC_HALF:
			return prepare_half(info, value, dim);
		case HNSW_VEC_BIT:
			return prepare_bit(info, value, dim);
		case HNSW_VEC_SPARSE:
			return prepare_sparse(info, value, dim);
		case HNSW_VEC_FLOAT:
			break;
	}
	return prepare_float(info, value, dim);
}
