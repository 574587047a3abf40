/*
 * hnswrecent.h
 *	  Setup of the map of where this backend last found each index page
 *	  (hnswrecent.c); the reads themselves are declared in hnsw_pagegraph.h.
 */
#ifndef VECINDEX_HNSWRECENT_H
#define VECINDEX_HNSWRECENT_H

extern void hnsw_recent_init(void);

#endif							/* VECINDEX_HNSWRECENT_H */
