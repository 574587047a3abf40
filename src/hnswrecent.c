/*
 * hnswrecent.c
 *	  Which shared buffer each index page was last found in, per backend.
 *
 * Assumptions.  This file, and no other, relies on these PostgreSQL
 * internals beyond the buffer manager's public interface:
 *
 * - storage/buf_internals.h: a shared Buffer b (1..NBuffers) has the
 *	 descriptor GetBufferDescriptor(b - 1), whose atomic state word holds
 *	 the usage count (BUF_STATE_GET_USAGECOUNT, at most BM_MAX_USAGE_COUNT);
 *	 the word may be read without the buffer header lock;
 * - the clock sweep: ReadBuffer raises a buffer's usage count by one up to
 *	 BM_MAX_USAGE_COUNT, ReadRecentBuffer does not raise it (unless this
 *	 backend already pins the buffer), and the count is how eviction tells
 *	 hot pages from cold (so the map is used only at the maximum, below);
 * - ReadRecentBuffer (PostgreSQL 14 on; compat.h) pins the buffer only if
 *	 its tag (relation file, fork, block) matches, checked under the
 *	 header lock, and, unlike ReadBuffer, does not count the read in the
 *	 relation's pgstat block counters (so this file counts it);
 * - BufferGetBlock of a shared buffer is a fixed address in the buffer
 *	 pool, readable (here only prefetched) without a pin;
 * - rd_amcache is the access method's own backend-local cache in the
 *	 relcache entry, pfree'd on any relcache invalidation, and rd_indexcxt
 *	 lives as long as the entry.
 *
 * test/t/018_hnsw_recent_buffers.pl checks that a scan takes the map
 * (hnsw_recent_buffers_hits, a test-only function), that pages read
 * through it heat up as ReadBuffer's do, that the block counters are as
 * ReadBuffer leaves them, and that results are the same with
 * hnsw.recent_buffers on and off and after other pages took the buffers.
 * hnsw.recent_buffers (on by default) turns it off: every read is then
 * ReadBuffer and nothing is prefetched.
 *
 * A search visits hundreds of elements, most of them on pages it has not
 * pinned yet.  ReadBuffer finds a page through the shared buffer mapping
 * table: a chain of dependent cache misses (hash bucket, entry, buffer
 * header) before the page itself can even be asked for.  The buffer a
 * block was last found in usually still holds it, so this backend keeps,
 * for each block of the index, the buffer it last saw it in.  Then:
 *
 * - ReadRecentBuffer pins that buffer after checking its tag under the
 *   buffer header spinlock, without the mapping lookup;
 * - a search that announces the elements it will visit next can prefetch
 *   their buffer headers and pages before it pins them, so those misses
 *   overlap with the distances still being computed.
 *
 * The map is a hint and never trusted: a buffer that was evicted or now
 * holds another page fails ReadRecentBuffer's tag check (relation file,
 * fork and block), and the page is then read through ReadBuffer and
 * remembered again.  Prefetching a buffer that holds another page costs a
 * wasted cache line, nothing else.  The map lives in the index's relcache
 * entry (rd_amcache), which a relcache invalidation (REINDEX, TRUNCATE,
 * DROP, ...) frees; a new relation file never matches an old tag anyway.
 *
 * Temporary indexes (local buffers) are read the usual way: their lookup
 * is backend-local and cheap.
 */
#include "postgres.h"

#include "compat.h"
#include "hnsw_pagegraph.h"
#include "hnswrecent.h"

#include "fmgr.h"
#include "pgstat.h"
#include "storage/buf_internals.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* hnsw.recent_buffers */
static bool recent_enabled = true;

/*
 * Pages this backend has pinned through the map, for tests to see that
 * the map is taken at all (hnsw_recent_buffers_hits).
 */
static uint64 recent_hits = 0;

/* rd_amcache of an hnsw index */
typedef struct HnswRecentMap
{
	BlockNumber nblocks;		/* entries in bufs */
	Buffer		bufs[FLEXIBLE_ARRAY_MEMBER];	/* by block; 0: not known */
} HnswRecentMap;

/*
 * At most this many blocks are remembered (4 bytes each: 16 MB, an index
 * of 32 GB); pages past it are read the usual way.
 */
#define HNSW_RECENT_MAX_BLOCKS ((BlockNumber) (16 * 1024 * 1024 / sizeof(Buffer)))

/* Called once, from _PG_init. */
void
hnsw_recent_init(void)
{
	DefineCustomBoolVariable("hnsw.recent_buffers",
							 "Lets hnsw scans pin index pages through the shared buffer they were last found in.",
							 "Each backend remembers, per index page, the buffer it "
							 "last found the page in, and skips the buffer mapping "
							 "lookup when that buffer still holds it; off, every page "
							 "is read through the mapping table.",
							 &recent_enabled, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

static inline bool
recent_usable(Relation index)
{
	return recent_enabled && !RelationUsesLocalBuffers(index);
}

/* The buffer blkno was last found in, or InvalidBuffer */
static inline Buffer
recent_get(Relation index, BlockNumber blkno)
{
	HnswRecentMap *map = (HnswRecentMap *) index->rd_amcache;

	if (map == NULL || blkno >= map->nblocks)
		return InvalidBuffer;
	return map->bufs[blkno];
}

static void
recent_set(Relation index, BlockNumber blkno, Buffer buf)
{
	HnswRecentMap *map = (HnswRecentMap *) index->rd_amcache;

	if (blkno >= HNSW_RECENT_MAX_BLOCKS)
		return;
	if (map == NULL || blkno >= map->nblocks)
	{
		BlockNumber n = Max(blkno + 1, map ? map->nblocks * 2 : 1024);
		HnswRecentMap *grown;

		n = Min(n, HNSW_RECENT_MAX_BLOCKS);
		/* freed with the relcache entry, or by pfree on invalidation */
		grown = MemoryContextAllocExtended(index->rd_indexcxt,
										   offsetof(HnswRecentMap, bufs) +
										   sizeof(Buffer) * n,
										   MCXT_ALLOC_ZERO | MCXT_ALLOC_NO_OOM);
		if (grown == NULL)
			return;				/* only a hint: the read itself succeeded */
		grown->nblocks = n;
		if (map)
		{
			memcpy(grown->bufs, map->bufs, sizeof(Buffer) * map->nblocks);
			pfree(map);
		}
		index->rd_amcache = grown;
		map = grown;
	}
	map->bufs[blkno] = buf;
}

/*
 * ReadBuffer(index, blkno), through the buffer this backend last found the
 * page in when that still holds it.
 */
Buffer
hnsw_read_buffer(Relation index, BlockNumber blkno)
{
	Buffer		buf;

	if (!recent_usable(index))
		return ReadBuffer(index, blkno);
	buf = recent_get(index, blkno);

	/*
	 * ReadRecentBuffer pins without raising the buffer's usage count, by
	 * which the clock sweep tells hot pages from cold: each pass of the
	 * clock hand lowers it, a page found at zero is evicted, and ReadBuffer
	 * raises it, up to BM_MAX_USAGE_COUNT.  So the map is used only for a
	 * buffer whose count is at that maximum already, where ReadBuffer would
	 * not raise it either; any other read goes through ReadBuffer.  Pages
	 * then age and are evicted as with ReadBuffer alone, and without memory
	 * pressure (the hand does not move) a page read five times is read
	 * through the map from then on.  The count is read without the header
	 * lock: it only picks the path, and ReadRecentBuffer checks the tag.
	 */
	if (BufferIsValid(buf) && buf <= NBuffers)
	{
		uint32		state = pg_atomic_read_u32(&GetBufferDescriptor(buf - 1)->state);

		if (BUF_STATE_GET_USAGECOUNT(state) < BM_MAX_USAGE_COUNT)
			buf = InvalidBuffer;
	}
	if (BufferIsValid(buf) &&
		vec_read_recent_buffer(index, blkno, buf))
	{
		/* as ReadBuffer counts it, for pg_statio_*_indexes */
		pgstat_count_buffer_read(index);
		pgstat_count_buffer_hit(index);
		recent_hits++;
		return buf;
	}
	buf = ReadBuffer(index, blkno);
	recent_set(index, blkno, buf);
	return buf;
}

/*
 * Asks for the cache lines the next read of element (blkno, off) will touch
 * first: the buffer header (pin and content lock), the page header, its
 * special space and the element's line pointer.  Only a hint: nothing is
 * pinned and the buffer may hold another page by now.
 */
void
hnsw_prefetch_block(Relation index, BlockNumber blkno, OffsetNumber off)
{
	Buffer		buf;

	if (!recent_usable(index))
		return;
	buf = recent_get(index, blkno);
	if (buf <= 0 || buf > NBuffers)
		return;
	hnsw_prefetch(GetBufferDescriptor(buf - 1));
	hnsw_prefetch_element_head((const char *) BufferGetBlock(buf), off);
}

/*
 * The number of index pages this backend has pinned through the map.  Not
 * part of the extension's SQL surface: tests declare it themselves, as
 * CREATE FUNCTION hnsw_recent_buffers_hits() RETURNS bigint
 * AS '$libdir/vecindex' LANGUAGE C, to see that a PostgreSQL change has not
 * silently stopped reads from taking the map.
 */
PG_FUNCTION_INFO_V1(hnsw_recent_buffers_hits);
Datum
hnsw_recent_buffers_hits(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) recent_hits);
}
