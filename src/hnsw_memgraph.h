/*
 * hnsw_memgraph.h
 *	  The in-memory graph of CREATE INDEX: the records and the calls that the
 *	  graph (hnswmemgraph.c) offers the build (hnswbuild.c, serial and
 *	  parallel).  The graph knows nothing of the build: the build decides
 *	  the records' layout and the settings and hands them over here.
 *
 * Include postgres.h before this header.
 */
#ifndef VECINDEX_HNSW_MEMGRAPH_H
#define VECINDEX_HNSW_MEMGRAPH_H

#include "distance.h"
#include "hnsw.h"
#include "hnsw_prefetch.h"

#include "storage/lwlock.h"
#include "storage/spin.h"

/*
 * An element record of the memory graph, 8-byte aligned:
 *	 HnswMemElement header
 *	 layer 0's list: HnswMemLayer; uint32 links[cap]; float dists[cap];
 *	   uint8 pruners[cap] (padded to 4 bytes)
 *	 VecHalf half[hdim] (only when hdim > 0: see below)
 *	 VecSq8 sq8[sqdim] (only when sqdim > 0: see below)
 *	 vec[vecbytes]: the vector as an index element holds it (hnsw_format.h)
 *	 the same list for each layer l = 1..level
 *	 (sparse vectors only: the vector, of its own size, here instead)
 * The vectors of fixed size sit at the same offsets in every record,
 * whatever its level, so their addresses are known without reading the
 * header: a search prefetches them, and pruning reads them, without first
 * waiting for the header's line.  A sparse vector's size is its own, so it
 * follows the record's last list (mem_vector).
 * half[] is a half-precision copy of vec[] (distance.h: padded with zeros
 * to hdim), which the graph's own distances use while shared->half holds
 * (the "walk" vectors below): half the bytes per distance, so more of a
 * large graph stays in the caches.  vec[] is what is written to the pages;
 * the copies touch only the choice of links and the distances kept with
 * them (which the spill path hands on to page inserts: hnswpinned.c).
 * sq8[] is an 8-bit copy (distance.h), used the same way, ahead of the half
 * copy, by a serial build under L2 once it is calibrated: the first 1,024
 * elements are inserted on the half copies while the least and greatest
 * element values are noted; from them one lo and step are chosen for all
 * dimensions, every record so far gets its codes, and later inserts
 * measure on codes (a quarter of the float bytes) until they prove too
 * coarse, after which the half copies carry on (hnswmemgraph.c).
 * links[] hold element offsets divided by 8 (mem_offset_link), dists[]
 * the distance to each linked element (kept so pruning a full list needs
 * no recomputation).
 * A list is the heuristic's choices (nkept of them), nearest first, then
 * the fillers it passed over, nearest first, each with the index of the
 * choice that pruned it; knowing that lets a back-link update a list with a
 * few distances instead of re-running the heuristic over all of it
 * (mem_add_backlink).
 * Records refer to each other by offset, never by pointer, so the area can
 * be reallocated (serial build) or mapped at different addresses by the
 * processes of a parallel build.
 */
typedef struct HnswMemElement
{
	uint32		size;			/* bytes of this record */
	uint8		level;
	uint8		ntids;
	uint16		indegree;		/* layer-0 links to it from elements reached
								 * from the entry point, counted (saturating)
								 * before write-out by hnsw_mem_link_orphans */
	ItemPointerData tid;		/* position assigned at write-out */
	ItemPointerData heaptids[HNSW_HEAPTIDS];
	LWLock		lock;			/* guards counts, links and heaptids in a
								 * parallel build; unused otherwise */
} HnswMemElement;

#define MEM_HEADER_SIZE		MAXALIGN(sizeof(HnswMemElement))

/* Head of one layer's link list in a memory-graph record. */
typedef struct HnswMemLayer
{
	uint16		count;			/* links in use */
	uint16		nkept;			/* the first nkept are the heuristic's choices */
} HnswMemLayer;

/*
 * What every process of a build must agree on: the allocator and the entry
 * point.  In a parallel build this lives in shared memory, under mutex.
 */
typedef struct HnswMemShared
{
	slock_t		mutex;
	Size		used;			/* bytes in use (records are appended) */
	int64		nelements;
	int64		entry;			/* offset of the entry point, -1 if none */
	int			entry_level;
	bool		full;			/* an allocation failed: memory is full */
	int			hdim;			/* halves in a record's copy; 0 if none (set
								 * before the first insert, never changed) */
	bool		half;			/* distances use the copies; cleared for good
								 * when they prove too coarse for the data */
} HnswMemShared;

typedef struct HnswMemGraph
{
	char	   *base;			/* the area */
	Size		allocated;		/* bytes allocated to it */
	Size		limit;			/* maintenance_work_mem (or the DSM size) */
	HnswMemShared *shared;		/* allocator and entry point */
	bool		parallel;		/* other processes change it concurrently */
	int			tranche;		/* LWLock tranche of the element locks
								 * (parallel only) */
	int			m;
	int			ef_construction;	/* candidates a layer's search keeps */
	int			dim;
	HnswVectorType vectype;
	Size		vecbytes;		/* of a vector at the fixed offset
								 * (HnswVectorBytes); 0 for sparse vectors,
								 * each after its record's last list */
	int			hdim;			/* shared->hdim, read once */
	HnswDistanceFn distance;	/* over the vectors */
	HnswDistanceFn half_distance;	/* over half copies */
	bool		walk_half;		/* the insert under way measures on the half
								 * copies (mem_walk_begin; mem_walk_*) */
	VecHalf    *qhalf;			/* the inserted vector's copy (hdim) */
	int64		ninserts;		/* by this process: paces the copies' check */
	/* the 8-bit copies: serial builds only, so kept here, not in shared */
	int			sqdim;			/* codes in a record's copy; 0 if none (set
								 * before the first insert, never changed) */
	int			sq8_state;		/* HNSW_SQ8_* below */
	float		sq8_lo;			/* the value code 0 stands for */
	float		sq8_step;		/* the width of one code (> 0) */
	float		sq8_scale2;		/* step squared: a distance in codes times
								 * this is one in the vectors' units */
	float		seen_lo;		/* calibrating: least element value seen */
	float		seen_hi;		/* calibrating: greatest element value seen */
	bool		seen_whole;		/* calibrating: every value seen an integer */
	int64		sq8_inserts;	/* inserts measured on codes: pace the check */
	bool		walk_sq8;		/* the insert under way measures on the codes */
	VecSq8	   *qsq8;			/* the inserted vector's codes (sqdim) */
	MemoryContext ctx;			/* where a serial area is allocated */
	Size		initial;		/* a serial area's first size */
	/* elements announced by hnsw_mem_ops.prefetch, visited in order */
	const uint64 *pf_keys;
	int			pf_n;			/* how many were announced */
	int			pf_pos;			/* next to be visited */
} HnswMemGraph;

static inline HnswMemElement *
mem_element(HnswMemGraph *g, uint64 off)
{
	return (HnswMemElement *) (g->base + off);
}

/*
 * A link stores the element's offset divided by MEM_RECORD_ALIGN: records
 * are that aligned (mem_record_size), so nothing is lost, and 32 bits
 * reach 32 GB of area.
 */
#define MEM_RECORD_ALIGN		8
#define MEM_LINK_SHIFT			3
StaticAssertDecl(MEM_RECORD_ALIGN == (1 << MEM_LINK_SHIFT),
				 "a link is an offset shifted by the records' alignment");

static inline uint64
mem_link_offset(uint32 link)
{
	return (uint64) link << MEM_LINK_SHIFT;
}

static inline uint32
mem_offset_link(uint64 off)
{
	Assert(off % MEM_RECORD_ALIGN == 0);
	return (uint32) (off >> MEM_LINK_SHIFT);
}

/* Bytes of one layer's list: head, links, distances, pruners (4-aligned). */
static inline Size
mem_layer_bytes(int cap)
{
	return sizeof(HnswMemLayer) + cap * (sizeof(uint32) + sizeof(float)) +
		TYPEALIGN(4, cap);
}

/* Where the half copy starts in every record: after layer 0's list */
static inline Size
mem_half_offset(const HnswMemGraph *g)
{
	return MEM_HEADER_SIZE + mem_layer_bytes(2 * g->m);
}

/* Where the 8-bit copy starts in every record: after the half copy */
static inline Size
mem_sq8_offset(const HnswMemGraph *g)
{
	return mem_half_offset(g) + sizeof(VecHalf) * g->hdim;
}

/* Where the vector starts in every record: after the copies */
static inline Size
mem_vector_offset(const HnswMemGraph *g)
{
	return mem_sq8_offset(g) + sizeof(VecSq8) * g->sqdim;
}

static inline Size
mem_layer_offset(const HnswMemGraph *g, int layer)
{
	if (layer == 0)
		return MEM_HEADER_SIZE;
	return mem_vector_offset(g) + g->vecbytes +
		(layer - 1) * mem_layer_bytes(g->m);
}

static inline HnswMemLayer *
mem_layer(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (HnswMemLayer *) ((char *) e + mem_layer_offset(g, layer));
}

static inline uint32 *
mem_links(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (uint32 *) (mem_layer(g, e, layer) + 1);
}

static inline float *
mem_dists(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (float *) (mem_links(g, e, layer) + HnswLayerCapacity(g->m, layer));
}

/* pruners[i], for link i a filler: the index of the choice that pruned it */
static inline uint8 *
mem_pruners(HnswMemGraph *g, HnswMemElement *e, int layer)
{
	return (uint8 *) (mem_dists(g, e, layer) + HnswLayerCapacity(g->m, layer));
}

static inline void *
mem_vector(HnswMemGraph *g, HnswMemElement *e)
{
	if (unlikely(g->vectype == HNSW_VEC_SPARSE))
		return (char *) e + mem_layer_offset(g, e->level + 1);
	return (char *) e + mem_vector_offset(g);
}

/* The bytes of a vector to insert (vec: as the index stores it) */
static inline Size
mem_vector_bytes(const HnswMemGraph *g, const void *vec)
{
	if (g->vectype == HNSW_VEC_SPARSE)
		return HnswVectorBytes(HNSW_VEC_SPARSE,
							   HnswVectorCount(g->vectype, g->dim, vec));
	return g->vecbytes;
}

/* The element count of a record's vector, as an index element's dim */
static inline int
mem_vector_count(HnswMemGraph *g, HnswMemElement *e)
{
	return HnswVectorCount(g->vectype, g->dim, mem_vector(g, e));
}

static inline VecHalf *
mem_half(HnswMemGraph *g, HnswMemElement *e)
{
	return (VecHalf *) ((char *) e + mem_half_offset(g));
}

static inline VecSq8 *
mem_sq8(HnswMemGraph *g, HnswMemElement *e)
{
	return (VecSq8 *) ((char *) e + mem_sq8_offset(g));
}

/* The vector the insert under way measures with: 8-bit, half or float */
static inline const void *
mem_walk_vector(HnswMemGraph *g, HnswMemElement *e)
{
	if (g->walk_sq8)
		return (char *) e + mem_sq8_offset(g);
	if (g->walk_half)
		return (char *) e + mem_half_offset(g);
	return mem_vector(g, e);
}

/* ... the inserted vector in the same form (query: its float vector), */
static inline const void *
mem_walk_query(const HnswMemGraph *g, const void *query)
{
	return g->walk_sq8 ? (const void *) g->qsq8 :
		g->walk_half ? (const void *) g->qhalf : (const void *) query;
}

/* ... its length as the distance function takes it, */
static inline int
mem_walk_dim(const HnswMemGraph *g)
{
	return g->walk_sq8 ? g->sqdim : g->walk_half ? g->hdim : g->dim;
}

/*
 * A sparse vector's bytes worth prefetching without reading its count: its
 * first lines (most of a typical learned sparse vector's pairs).
 */
#define MEM_SPARSE_PREFETCH_BYTES	512

/* ... its bytes (to prefetch), */
static inline Size
mem_walk_bytes(const HnswMemGraph *g)
{
	if (g->walk_sq8)
		return g->sqdim;
	if (g->walk_half)
		return sizeof(VecHalf) * g->hdim;
	return g->vectype == HNSW_VEC_SPARSE ? MEM_SPARSE_PREFETCH_BYTES : g->vecbytes;
}

/* Squared L2 over 8-bit copies, in codes: times sq8_scale2 for the units */
extern float hnsw_mem_sq8_distance(const void *a, const void *b, int n);

/* ... that distance function, */
static inline HnswDistanceFn
mem_walk_distance(const HnswMemGraph *g)
{
	return g->walk_sq8 ? hnsw_mem_sq8_distance :
		g->walk_half ? g->half_distance : g->distance;
}

/* ... what its distances are multiplied by (NULL: nothing), */
static inline const float *
mem_walk_scale(const HnswMemGraph *g)
{
	return g->walk_sq8 ? &g->sq8_scale2 : NULL;
}

/* ... and a distance so measured, in the vectors' units */
static inline float
mem_walk_measure(const HnswMemGraph *g, const void *a, const void *b)
{
	float		d = mem_walk_distance(g) (a, b, mem_walk_dim(g));

	return g->walk_sq8 ? d * g->sq8_scale2 : d;
}

/* A record of the given level for a vector of vecbytes (mem_vector_bytes) */
static inline Size
mem_record_size(HnswMemGraph *g, int level, Size vecbytes)
{
	return TYPEALIGN(Max(MEM_RECORD_ALIGN, MAXIMUM_ALIGNOF),
					 mem_layer_offset(g, level + 1) +
					 (g->vectype == HNSW_VEC_SPARSE ? vecbytes : 0));
}

/* hnswmemgraph.c */
#define HNSW_SQ8_CALIBRATE_AT	1024	/* elements inserted before the codes */
#define HNSW_SQ8_OFF			0	/* the records have none, or given up */
#define HNSW_SQ8_CALIBRATING	1	/* noting the range; walks on half copies */
#define HNSW_SQ8_ON				2	/* walks on the codes */
extern const HnswGraphOps hnsw_mem_ops;
extern void hnsw_mem_shared_init(HnswMemShared *sh, int hdim);
extern void hnsw_mem_init(HnswMemGraph *g, HnswMemShared *shared, int m,
						  int ef_construction, HnswDistanceFn distance,
						  HnswDistanceFn half_distance, Size limit);
extern void hnsw_mem_set_layout(HnswMemGraph *g, HnswVectorType vectype,
								int dim, int hdim, int sqdim);
extern void hnsw_mem_attach(HnswMemGraph *g, HnswMemShared *shared, char *area,
							Size size, int tranche);
extern bool hnsw_mem_insert(HnswMemGraph *g, HnswSearch *search, const void *vec,
							int level, ItemPointer heaptid);
extern int64 hnsw_mem_link_orphans(HnswMemGraph *g);
extern uint32 *hnsw_mem_layout_order(HnswMemGraph *g, int64 *n);

#endif							/* VECINDEX_HNSW_MEMGRAPH_H */
