/*
 * kernels.c
 *	  Micro-benchmark of the distance kernels: ns per call of every variant
 *	  this CPU runs, with the vectors hot in L1.
 *
 *	  cc -O2 -Isrc -o /tmp/kernels bench/kernels.c src/distance.c && /tmp/kernels
 *	  /tmp/kernels 100 960		(other dimensions)
 *
 * Vectors start 8 bytes past a 64-byte boundary, where a PostgreSQL vector's
 * elements lie (varlena header, dim, unused; datum MAXALIGNed); the "l2@64"
 * column repeats l2_squared with 64-byte-aligned vectors for comparison.
 * Each figure is the best of 25 runs of about 2 ms each (the minimum is the
 * figure least disturbed by other work on the machine).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distance.h"

#define NVEC 4					/* query against NVEC others, round robin */
#define MAX_VARIANTS 8

typedef enum
{
	K_L2,
	K_IP,
	K_L1,
	K_COS
} Kernel;

static volatile float sink;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double
run(const VecKernels *k, Kernel which, const float *q, const float *const *v,
	int n, long calls)
{
	float		acc = 0;
	float		ab,
				aa,
				bb;
	double		t0 = now_ns();
	long		i;

	switch (which)
	{
		case K_L2:
			for (i = 0; i < calls; i++)
				acc += k->l2_squared(q, v[i & (NVEC - 1)], n);
			break;
		case K_IP:
			for (i = 0; i < calls; i++)
				acc += k->inner_product(q, v[i & (NVEC - 1)], n);
			break;
		case K_L1:
			for (i = 0; i < calls; i++)
				acc += k->l1(q, v[i & (NVEC - 1)], n);
			break;
		case K_COS:
			for (i = 0; i < calls; i++)
			{
				k->cosine_parts(q, v[i & (NVEC - 1)], n, &ab, &aa, &bb);
				acc += ab + aa + bb;
			}
			break;
	}
	sink = acc;
	return (now_ns() - t0) / calls;
}

static double
best_ns(const VecKernels *k, Kernel which, const float *q,
		const float *const *v, int n)
{
	long		calls = 1000;
	double		best = 1e30;
	int			r;

	/* size the run to about 2 ms */
	while (run(k, which, q, v, n, calls) * calls < 2e6 && calls < (1L << 30))
		calls *= 2;
	for (r = 0; r < 25; r++)
	{
		double		t = run(k, which, q, v, n, calls);

		if (t < best)
			best = t;
	}
	return best;
}

static float *
alloc_vec(int n, int offset_bytes)
{
	char	   *p = aligned_alloc(64, ((n * sizeof(float) + 64 + 63) / 64) * 64);
	float	   *f = (float *) (p + offset_bytes);
	int			i;

	for (i = 0; i < n; i++)
		f[i] = (float) rand() / RAND_MAX - 0.5f;
	return f;
}

int
main(int argc, char **argv)
{
	static const int default_dims[] = {128, 784, 1536};
	const VecKernels *variants[MAX_VARIANTS];
	int			nvariants = vec_kernel_variants(variants, MAX_VARIANTS);
	int			ndims = argc > 1 ? argc - 1 : 3;
	int			d;

	vec_kernels_init();
	printf("selected: %s\n", vec_kernels->name);
	printf("%-9s %5s %8s %8s %8s %8s %8s   (ns per call)\n",
		   "variant", "dim", "l2", "l2@64", "ip", "l1", "cosine");
	for (d = 0; d < ndims; d++)
	{
		int			n = argc > 1 ? atoi(argv[d + 1]) : default_dims[d];
		float	   *q = alloc_vec(n, 8);
		float	   *qa = alloc_vec(n, 0);
		const float *v[NVEC];
		const float *va[NVEC];
		int			i,
					j;

		for (i = 0; i < NVEC; i++)
		{
			v[i] = alloc_vec(n, 8);
			va[i] = alloc_vec(n, 0);
		}
		for (j = 0; j < nvariants; j++)
		{
			const VecKernels *k = variants[j];

			printf("%-9s %5d %8.1f %8.1f %8.1f %8.1f %8.1f\n", k->name, n,
				   best_ns(k, K_L2, q, v, n),
				   best_ns(k, K_L2, qa, va, n),
				   best_ns(k, K_IP, q, v, n),
				   best_ns(k, K_L1, q, v, n),
				   best_ns(k, K_COS, q, v, n));
		}
	}
	return 0;
}
