/*
 * compat.h
 *	  Every PostgreSQL-version shim of vecindex lives here, nowhere else.
 *
 * vecindex is developed and tested against PostgreSQL 15.  The shims below
 * keep the code compiling against neighbouring major versions; a shim is
 * added here (never as an #if in another file) when an API moves.
 */
#ifndef VECINDEX_COMPAT_H
#define VECINDEX_COMPAT_H


#if PG_VERSION_NUM < 130000
#error "vecindex requires PostgreSQL 13 or later"
#endif

/*
 * PG 16 moved the varlena macros (VARSIZE, SET_VARSIZE, VARATT_IS_*) out of
 * postgres.h into varatt.h, which not every header that uses them includes.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * PG 18 replaced the trailing pg_attribute_noreturn() with the leading
 * pg_noreturn; the declarations here keep the trailing form, which GCC and
 * Clang accept as __attribute__ (other compilers lose only the hint).
 */
#ifndef pg_attribute_noreturn
#if defined(__GNUC__) || defined(__SUNPRO_C)
#define pg_attribute_noreturn() __attribute__((noreturn))
#else
#define pg_attribute_noreturn()
#endif
#endif

/* PG 15 added MarkGUCPrefixReserved; earlier versions call it EmitWarningsOnPlaceholders. */
#if PG_VERSION_NUM >= 150000
#define VecMarkGUCPrefixReserved(prefix) MarkGUCPrefixReserved(prefix)
#else
#define VecMarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * A new page at the end of a relation, returned pinned and exclusively
 * locked.  The buffer is locked before the extension lock is released, so
 * no other backend sees the page uninitialised and unlocked.  PG 16 replaced
 * P_NEW with ExtendBufferedRel, whose relation argument PG 17 renamed
 * (EB_REL, then BMR_REL).
 */
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

static inline Buffer
vec_extend_locked(Relation rel)
{
#if PG_VERSION_NUM >= 170000
	return ExtendBufferedRel(BMR_REL(rel), MAIN_FORKNUM, NULL, EB_LOCK_FIRST);
#elif PG_VERSION_NUM >= 160000
	return ExtendBufferedRel(EB_REL(rel), MAIN_FORKNUM, NULL, EB_LOCK_FIRST);
#else
	Buffer		buf;

	LockRelationForExtension(rel, ExclusiveLock);
	buf = ReadBuffer(rel, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(rel, ExclusiveLock);
	return buf;
#endif
}

/*
 * Writes and WAL-logs one page of a relation's init fork (the empty index
 * of an unlogged table), synced at once: recovery may remove a file that
 * is only in the OS cache.  PG 16 renamed smgr_rnode.  The page may be in
 * any memory: it is copied where the smgr wants it.
 */
#include "access/xloginsert.h"
#include "storage/smgr.h"

static inline void
vec_write_init_page(Relation rel, BlockNumber blkno, Page page)
{
#if PG_VERSION_NUM >= 160000
	/* from PG 16 on smgr writes from I/O-aligned memory (md.c asserts it) */
	PGIOAlignedBlock aligned;

	memcpy(aligned.data, page, BLCKSZ);
	page = (Page) aligned.data;
#endif
	PageSetChecksumInplace(page, blkno);
	smgrwrite(RelationGetSmgr(rel), INIT_FORKNUM, blkno, (char *) page, true);
#if PG_VERSION_NUM >= 160000
	log_newpage(&RelationGetSmgr(rel)->smgr_rlocator.locator, INIT_FORKNUM,
				blkno, page, true);
#else
	log_newpage(&RelationGetSmgr(rel)->smgr_rnode.node, INIT_FORKNUM,
				blkno, page, true);
#endif
	smgrimmedsync(RelationGetSmgr(rel), INIT_FORKNUM);
}

/*
 * ReadRecentBuffer (PG 14) pins a buffer the caller believes still holds a
 * block, skipping the buffer mapping lookup; PG 16 renamed RelFileNode.
 * Without it every read takes the lookup.
 */
static inline bool
vec_read_recent_buffer(Relation rel, BlockNumber blkno, Buffer buf)
{
#if PG_VERSION_NUM >= 160000
	return ReadRecentBuffer(rel->rd_locator, MAIN_FORKNUM, blkno, buf);
#elif PG_VERSION_NUM >= 140000
	return ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, blkno, buf);
#else
	return false;
#endif
}

/*
 * The IndexAmRoutine fields later versions added, for hnswhandler to call
 * once after setting the others (makeNode has zeroed them all, so only a
 * field that must not be false or NULL needs setting):
 *   PG 16 amsummarizing: false, an hnsw index holds every row version;
 *   PG 17 amcanbuildparallel: true, hnswbuild runs parallel workers (from
 *	 PG 17 the server plans none for an AM without it), aminsertcleanup: none;
 *   PG 18 amcanhash, amconsistentequality, amconsistentordering: false (no
 *	 equality or ordering operators), amgettreeheight, amtranslatestrategy,
 *	 amtranslatecmptype: none.
 */
#if PG_VERSION_NUM >= 170000
#define VEC_AM_SET_NEWER_FIELDS(am) ((am)->amcanbuildparallel = true)
#else
#define VEC_AM_SET_NEWER_FIELDS(am) ((void) (am))
#endif

/*
 * From PG 18 a table scan reads ahead through a read stream, which may pin
 * every local buffer not pinned yet when it starts a read (the stream's
 * limit is what is free then): while a scan of a temporary table is open,
 * pinning one more local buffer can fail with "no empty local buffer
 * available".  A build then leaves the index's pages alone until its scan
 * has ended.
 */
#define VEC_SCAN_MAY_PIN_ALL_LOCAL_BUFFERS (PG_VERSION_NUM >= 180000)

/*
 * Keeps the planner off an index path the AM cannot run (hnsw without an
 * ORDER BY), called from amcostestimate, which also charges it far above
 * disable_cost.  Up to PG 17 that cost is enough: a path disabled by
 * enable_seqscan = off costs less.  PG 18 compares the count of disabled
 * nodes before costs, so there the path counts as disabled too, and a
 * disabled seqscan still wins on cost.
 */
#if PG_VERSION_NUM >= 180000
#define VEC_DISABLE_INDEX_PATH(ipath) ((ipath)->path.disabled_nodes++)
#else
#define VEC_DISABLE_INDEX_PATH(ipath) ((void) (ipath))
#endif

/* PG 18 added vacuum_delay_point's is_analyze argument. */
#include "commands/vacuum.h"

static inline void
vec_vacuum_delay_point(void)
{
#if PG_VERSION_NUM >= 180000
	vacuum_delay_point(false);
#else
	vacuum_delay_point();
#endif
}

#endif							/* VECINDEX_COMPAT_H */
