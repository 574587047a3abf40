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
#include "halfvec.h"
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
		case HNSW_VEC_FLOAT:
			break;
	}
	return "vector";
}

/* Sets the dimension count (0: not known yet) and what follows from it. */
void
hnsw_info_set_dim(HnswIndexInfo *info, int dim)
{
	info->dim = dim;
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

/* ERRORs unless an element of dim elements fits a page. */
void
hnsw_check_dim(const HnswIndexInfo *info, int dim)
{
	Size		vecbytes = HnswVectorBytes(info->vectype, dim);

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

/* ---------------------------------------------------------------------
 * Vectors from values
 * ---------------------------------------------------------------------
 */

static void
check_value_dim(const HnswIndexInfo *info, int dim)
{
	if (info->dim != 0 && dim != info->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", info->dim, dim)));
}

/*
 * Scales x[0..n-1] to unit length in place; false for a zero vector, which
 * has no direction.
 */
static bool
normalize_floats(float *x, int n)
{
	double		norm = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		norm += (double) x[i] * x[i];
	norm = sqrt(norm);
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

	check_value_dim(info, v->dim);
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

	check_value_dim(info, v->dim);
	*dim = v->dim;
	out = palloc0(HnswVectorBytes(HNSW_VEC_HALF, v->dim));
	if (info->kind == HNSW_DIST_COSINE)
	{
		/*
		 * Unit length in float, then rounded to half precision: the
		 * elements of a unit vector are at most 1, so none overflows.
		 */
		float	   *x = palloc(sizeof(float) * v->dim);
		int			i;

		for (i = 0; i < v->dim; i++)
			x[i] = vec_half_to_float(v->x[i]);
		if (!normalize_floats(x, v->dim))
			return NULL;
		for (i = 0; i < v->dim; i++)
			out[i] = vec_float_to_half(x[i]);
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

	check_value_dim(info, VARBITLEN(v));
	*dim = VARBITLEN(v);
	/* the bits after the last are 0 in a bit string, as the padding */
	out = palloc0(HnswVectorBytes(HNSW_VEC_BIT, *dim));
	memcpy(out, VARBITS(v), VARBITBYTES(v));
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
		case HNSW_VEC_FLOAT:
			break;
	}
	return prepare_float(info, value, dim);
}
