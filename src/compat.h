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
 * P_NEW with ExtendBufferedRel.
 */
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/rel.h"

static inline Buffer
vec_extend_locked(Relation rel)
{
#if PG_VERSION_NUM >= 160000
	return ExtendBufferedRel(BMR_REL(rel), MAIN_FORKNUM, NULL, EB_LOCK_FIRST);
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
 * is only in the OS cache.  PG 16 renamed smgr_rnode.
 */
#include "access/xloginsert.h"
#include "storage/smgr.h"

static inline void
vec_write_init_page(Relation rel, BlockNumber blkno, Page page)
{
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

/* PG 16 added the 'amsummarizing' field to IndexAmRoutine. */
#if PG_VERSION_NUM >= 160000
#define VEC_AM_HAS_SUMMARIZING 1
#else
#define VEC_AM_HAS_SUMMARIZING 0
#endif

#endif							/* VECINDEX_COMPAT_H */
