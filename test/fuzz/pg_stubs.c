/*
 * pg_stubs.c
 *	  What the fuzz targets' copy of libpgcommon's f2s.o (the Ryu float4
 *	  formatter) refers to outside itself.  Only its allocating variant,
 *	  float_to_shortest_decimal(), calls palloc, and nothing here calls that.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void	   *palloc(size_t size);

void *
palloc(size_t size)
{
	fprintf(stderr, "palloc(%zu) called in a fuzz target\n", size);
	abort();
}
