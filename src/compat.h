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

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "vecindex requires PostgreSQL 13 or later"
#endif

/* PG 16 moved the vacuum cost-delay helper's header. */
#if PG_VERSION_NUM >= 160000
#include "commands/vacuum.h"
#else
#include "commands/vacuum.h"
#endif

/* PG 15 added MarkGUCPrefixReserved; earlier versions call it EmitWarningsOnPlaceholders. */
#if PG_VERSION_NUM >= 150000
#define VecMarkGUCPrefixReserved(prefix) MarkGUCPrefixReserved(prefix)
#else
#define VecMarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* PG 16 renamed the relation-extension API. */
#if PG_VERSION_NUM >= 160000
#define VecExtendBuffer(rel, fork) \
	ExtendBufferedRel(BMR_REL(rel), (fork), NULL, EB_LOCK_FIRST)
#define VEC_EXTEND_TAKES_LOCK 1
#else
#define VecExtendBuffer(rel, fork) \
	ReadBufferExtended((rel), (fork), P_NEW, RBM_NORMAL, NULL)
#define VEC_EXTEND_TAKES_LOCK 0
#endif

/* PG 16 added the 'amsummarizing' field to IndexAmRoutine. */
#if PG_VERSION_NUM >= 160000
#define VEC_AM_HAS_SUMMARIZING 1
#else
#define VEC_AM_HAS_SUMMARIZING 0
#endif

#endif							/* VECINDEX_COMPAT_H */
