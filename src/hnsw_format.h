/*
 * hnsw_format.h
 *	  The on-disk format of an hnsw index: the page special space, the
 *	  metapage and the element tuple.  src/README.hnsw describes every byte;
 *	  keep the two in step, and bump HNSW_FORMAT_VERSION on any change.
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSW_FORMAT_H
#define VECINDEX_HNSW_FORMAT_H

#include "storage/bufpage.h"
#include "storage/itemptr.h"

/* Highest layer an element may be placed on (levels are 0..HNSW_MAX_LEVEL). */
#define HNSW_MAX_LEVEL				15

/* Heap TIDs one element can carry: duplicates of a vector share an element. */
#define HNSW_HEAPTIDS				8

/* ---------------------------------------------------------------------
 * On-disk format
 * ---------------------------------------------------------------------
 */
#define HNSW_MAGIC					0x56584E48	/* "HNXV" */
#define HNSW_FORMAT_VERSION			2
#define HNSW_FORMAT_VERSION_FLOAT	1	/* before the vector type byte: all
										 * indexes on `vector`, read as such */
#define HNSW_METAPAGE_BLKNO			0

/* Identifies our pages in the last two bytes of the special space. */
#define HNSW_PAGE_ID				0xFF93

/* Page kinds, in HnswPageOpaqueData.flags */
#define HNSW_PAGE_META				(1 << 0)
#define HNSW_PAGE_ELEMENT			(1 << 1)

typedef struct HnswPageOpaqueData
{
	uint16		flags;			/* HNSW_PAGE_META or HNSW_PAGE_ELEMENT */
	uint16		unused1;		/* reserved, zero */
	uint16		unused2;		/* reserved, zero */
	uint16		page_id;		/* HNSW_PAGE_ID, to recognise our pages */
} HnswPageOpaqueData;

typedef HnswPageOpaqueData *HnswPageOpaque;

#define HnswPageGetOpaque(page) ((HnswPageOpaque) PageGetSpecialPointer(page))

/* How an index measures distance; fixed by its opclass. */
typedef enum HnswDistanceKind
{
	HNSW_DIST_L2 = 1,			/* squared Euclidean (same order as <->) */
	HNSW_DIST_IP = 2,			/* negative inner product (<#>) */
	HNSW_DIST_COSINE = 3,		/* vectors stored unit-length; -dot (<=>) */
	HNSW_DIST_L1 = 4,			/* taxicab (<+>) */
	HNSW_DIST_HAMMING = 5,		/* differing bits (<~>) */
	HNSW_DIST_JACCARD = 6		/* 1 - shared / either's set bits (<%>) */
} HnswDistanceKind;

#define HNSW_DIST_MAX				HNSW_DIST_JACCARD

/*
 * What an element's vector is made of; fixed by the opclass's input type.
 * Each is stored padded with zeros to a whole block of its kernels, so
 * distances never need a tail loop and padding never changes a distance.
 */
typedef enum HnswVectorType
{
	HNSW_VEC_FLOAT = 1,			/* `vector`: dim float4 */
	HNSW_VEC_HALF = 2,			/* `halfvec`: dim IEEE binary16, then +0.0 to
								 * a multiple of HNSW_HALF_BLOCK */
	HNSW_VEC_BIT = 3,			/* `bit`: dim bits, most significant bit of
								 * byte 0 first, then 0 bits to a multiple of
								 * HNSW_BIT_BLOCK bytes */
	HNSW_VEC_SPARSE = 4			/* `sparsevec`: int32 nnz (= the element's
								 * dim), nnz int32 0-based indices strictly
								 * increasing, nnz float4 values (non-zero) */
} HnswVectorType;

#define HNSW_VEC_MAX				HNSW_VEC_SPARSE
#define HNSW_SPARSE_MAX_DIM			1000000000	/* sparsevec's limit */
#define HNSW_HALF_BLOCK				16	/* halves */
#define HNSW_BIT_BLOCK				8	/* bytes */

/*
 * Bytes of an element's vector of dim elements (bits, for HNSW_VEC_BIT;
 * stored elements, for HNSW_VEC_SPARSE)
 */
static inline Size
HnswVectorBytes(HnswVectorType type, int dim)
{
	switch (type)
	{
		case HNSW_VEC_SPARSE:
			return sizeof(int32) + (sizeof(int32) + sizeof(float)) * dim;
		case HNSW_VEC_HALF:
			return sizeof(uint16) * TYPEALIGN(HNSW_HALF_BLOCK, dim);
		case HNSW_VEC_BIT:
			return TYPEALIGN(HNSW_BIT_BLOCK, (dim + 7) / 8);
		case HNSW_VEC_FLOAT:
			break;
	}
	return sizeof(float) * dim;
}

/*
 * The element count of a vector as an element stores it, in an index of
 * dim dimensions: dim, or a sparse vector's own count (its first field).
 */
static inline int
HnswVectorCount(HnswVectorType type, int dim, const void *vec)
{
	return type == HNSW_VEC_SPARSE ? *(const int32 *) vec : dim;
}

/*
 * The metapage (block 0).  Its contents start right after the page header;
 * pd_lower points past it so full-page images skip the hole.
 */
typedef struct HnswMetaPageData
{
	uint32		magic;			/* HNSW_MAGIC */
	uint32		version;		/* HNSW_FORMAT_VERSION */
	uint16		dimensions;		/* vector length (bits for HNSW_VEC_BIT); 0
								 * until the first vector, and for
								 * HNSW_VEC_SPARSE */
	uint16		m;				/* index option m (layer 0 holds 2*m links) */
	uint16		ef_construction;	/* index option ef_construction */
	uint8		kind;			/* HnswDistanceKind of the opclass */
	uint8		vectype;		/* HnswVectorType of the opclass; 0 in
								 * version 1, which means HNSW_VEC_FLOAT */
	BlockNumber entry_blkno;	/* entry point element's block, or Invalid */
	OffsetNumber entry_offno;	/* entry point element's line pointer */
	int16		entry_level;	/* entry point's top layer; -1 when empty */
	uint32		sparse_dimensions;	/* HNSW_VEC_SPARSE: the vectors'
									 * dimension count, 0 until the first
									 * vector; else 0 */
	uint32		reserved[3];	/* room for later versions, zero */
} HnswMetaPageData;

typedef HnswMetaPageData *HnswMetaPage;

/* The vector type (version 1 has none: its indexes are all of vectors) */
static inline HnswVectorType
HnswMetaVectorType(const HnswMetaPageData *meta)
{
	return meta->vectype == 0 ? HNSW_VEC_FLOAT : (HnswVectorType) meta->vectype;
}

/* The vectors' dimension count (0: no vector yet) */
static inline int
HnswMetaDimensions(const HnswMetaPageData *meta)
{
	return meta->vectype == HNSW_VEC_SPARSE ?
		(int) meta->sparse_dimensions : meta->dimensions;
}

static inline void
HnswMetaSetDimensions(HnswMetaPageData *meta, int dim)
{
	if (meta->vectype == HNSW_VEC_SPARSE)
		meta->sparse_dimensions = dim;
	else
		meta->dimensions = dim;
}

#define HnswPageGetMeta(page) ((HnswMetaPage) PageGetContents(page))

/* Tuple type byte, first byte of every item on an element page. */
#define HNSW_ELEMENT_TUPLE			0xE1

/*
 * One graph element: its heap TIDs, its neighbour lists on every layer it
 * lives on, and its vector, all in one item so a hop touches one page.
 *
 * Fixed header, then `data`:
 *	 uint16			 count[level + 1];		valid links on each layer
 *	 ItemPointerData links[2m + level*m];	layer 0 (2m slots), then layers
 *											1..level (m slots each)
 *	 (padding to a 4-byte boundary)
 *	 vec[HnswVectorBytes(vectype, dim)]		the vector, as HnswVectorType
 *											says (unit length for cosine)
 *
 * The size is fixed once written (a function of level, m, the vector type
 * and dim), so every
 * later change (links, heap TIDs) is an in-place overwrite.
 */
typedef struct HnswElementTupleData
{
	uint8		type;			/* HNSW_ELEMENT_TUPLE */
	uint8		level;			/* top layer of this element, 0..HNSW_MAX_LEVEL */
	uint8		deleted;		/* 1: no live heap TIDs and unlinked by vacuum */
	uint8		version;		/* bumped each time vacuum reuses the slot */
	uint16		dim;			/* elements in vec (bits for HNSW_VEC_BIT,
								 * stored elements for HNSW_VEC_SPARSE) */
	uint16		unused;			/* reserved, zero */
	ItemPointerData heaptids[HNSW_HEAPTIDS];	/* rows with this vector;
												 * unused slots invalid */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* counts, links, vector */
} HnswElementTupleData;

typedef HnswElementTupleData *HnswElementTuple;

#define HNSW_ELEMENT_HEADER_SIZE	offsetof(HnswElementTupleData, data)

/* Capacity of a layer's link list */
static inline int
HnswLayerCapacity(int m, int layer)
{
	return layer == 0 ? 2 * m : m;
}

/* Index of a layer's first slot in the links array */
static inline int
HnswLayerStart(int m, int layer)
{
	return layer == 0 ? 0 : 2 * m + (layer - 1) * m;
}

static inline Size
HnswLinksOffset(int level)
{
	return HNSW_ELEMENT_HEADER_SIZE + sizeof(uint16) * (level + 1);
}

static inline Size
HnswVectorOffset(int level, int m)
{
	Size		off = HnswLinksOffset(level) +
		sizeof(ItemPointerData) * HnswLayerStart(m, level + 1);

	return TYPEALIGN(sizeof(float), off);
}

/* vecbytes: HnswVectorBytes of the element's vector */
static inline Size
HnswElementTupleSize(int level, int m, Size vecbytes)
{
	return HnswVectorOffset(level, m) + vecbytes;
}

static inline uint16 *
HnswTupleCounts(HnswElementTuple tup)
{
	return (uint16 *) tup->data;
}

static inline ItemPointerData *
HnswTupleLinks(HnswElementTuple tup, int m, int layer)
{
	return (ItemPointerData *) ((char *) tup + HnswLinksOffset(tup->level)) +
		HnswLayerStart(m, layer);
}

static inline void *
HnswTupleVector(HnswElementTuple tup, int m)
{
	return (char *) tup + HnswVectorOffset(tup->level, m);
}

/* ---------------------------------------------------------------------
 * Page capacity
 * ---------------------------------------------------------------------
 */

/* Where the special space of every page starts (pd_special) */
#define HNSW_SPECIAL_START	(BLCKSZ - MAXALIGN(sizeof(HnswPageOpaqueData)))

/* Bytes an empty element page offers items and their line pointers */
#define HNSW_PAGE_ROOM		(HNSW_SPECIAL_START - SizeOfPageHeaderData)

/* Largest element tuple a page can hold (one item per page). */
#define HNSW_MAX_TUPLE_SIZE \
	TYPEALIGN_DOWN(MAXIMUM_ALIGNOF, HNSW_PAGE_ROOM - sizeof(ItemIdData))

/* Page room an element takes: its tuple, aligned, and its line pointer */
static inline Size
HnswElementSpace(int level, int m, Size vecbytes)
{
	return MAXALIGN(HnswElementTupleSize(level, m, vecbytes)) + sizeof(ItemIdData);
}

/* The most elements a page can hold: all of them on layer 0 only */
static inline int
HnswElementsPerPage(int m, Size vecbytes)
{
	return (int) (HNSW_PAGE_ROOM / HnswElementSpace(0, m, vecbytes));
}

/* How many heap TIDs (rows) an element holds; 0 once VACUUM emptied it */
static inline int
hnsw_tuple_ntids(HnswElementTuple tup)
{
	int			n = 0;
	int			i;

	for (i = 0; i < HNSW_HEAPTIDS; i++)
		n += ItemPointerIsValid(&tup->heaptids[i]);
	return n;
}

#endif							/* VECINDEX_HNSW_FORMAT_H */
