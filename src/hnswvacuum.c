/*
 * hnswvacuum.c
 *	  VACUUM: remove dead rows' heap TIDs from the index.
 *
 * Every element page is visited once, under an exclusive lock, and the heap
 * TIDs the callback reports dead are cleared in one WAL record per page.
 * An element left with no heap TIDs stays in the graph as a waypoint (scans
 * pass through it and return nothing for it), so the graph stays connected
 * and every remaining row stays reachable.
 */
#include "hnsw.h"

#include "commands/vacuum.h"
#include "miscadmin.h"
#include "utils/rel.h"

/* Clears dead heap TIDs on one page; returns the TIDs removed. */
static int
vacuum_page(Relation index, Page page, BlockNumber blkno,
			IndexBulkDeleteCallback callback, void *cbstate, double *live)
{
	OffsetNumber off;
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	int			removed = 0;

	for (off = FirstOffsetNumber; off <= maxoff; off++)
	{
		HnswElementTuple tup = hnsw_get_element(index, page, blkno, off);
		ItemPointerData keep[HNSW_HEAPTIDS];
		int			nkeep = 0;
		int			i;

		for (i = 0; i < HNSW_HEAPTIDS; i++)
		{
			if (!ItemPointerIsValid(&tup->heaptids[i]))
				continue;
			if (callback(&tup->heaptids[i], cbstate))
				removed++;
			else
				keep[nkeep++] = tup->heaptids[i];
		}
		/* keep the live TIDs packed at the front */
		for (i = 0; i < HNSW_HEAPTIDS; i++)
		{
			if (i < nkeep)
				tup->heaptids[i] = keep[i];
			else
				ItemPointerSetInvalid(&tup->heaptids[i]);
		}
		*live += nkeep;
	}
	return removed;
}

static bool
is_element_page(Relation index, Page page, BlockNumber blkno)
{
	if (PageIsNew(page))
		return false;			/* extended, never initialised (crash) */
	hnsw_check_page(index, page, blkno);
	return (HnswPageGetOpaque(page)->flags & HNSW_PAGE_ELEMENT) != 0;
}

IndexBulkDeleteResult *
hnswbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	BlockNumber blkno;
	double		live = 0;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		HnswPageEdit edit;
		Page		page;
		int			removed;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 info->strategy);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (!is_element_page(index, BufferGetPage(buf), blkno))
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		hnsw_edit_begin(&edit, index, false);
		page = hnsw_edit_page(&edit, buf, false);
		removed = vacuum_page(index, page, blkno, callback, callback_state, &live);
		if (removed > 0)
			hnsw_edit_finish(&edit);
		else
			hnsw_edit_abort(&edit);
		stats->tuples_removed += removed;
		UnlockReleaseBuffer(buf);
	}
	stats->num_pages = nblocks;
	stats->num_index_tuples = live;
	stats->estimated_count = false;
	return stats;
}

/* Counts live heap TIDs when no bulk delete ran in this VACUUM. */
static double
count_live(IndexVacuumInfo *info)
{
	Relation	index = info->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	BlockNumber blkno;
	double		live = 0;

	for (blkno = HNSW_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL,
								 info->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (is_element_page(index, page, blkno))
		{
			OffsetNumber off;

			for (off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
			{
				HnswElementTuple tup = hnsw_get_element(index, page, blkno, off);
				int			i;

				for (i = 0; i < HNSW_HEAPTIDS; i++)
					live += ItemPointerIsValid(&tup->heaptids[i]);
			}
		}
		UnlockReleaseBuffer(buf);
	}
	return live;
}

IndexBulkDeleteResult *
hnswvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = count_live(info);
		stats->estimated_count = false;
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
