/*
 * sign_rate.c: the in-process baseline for EST's enrollment rate: how many
 * certificate requests per second capf_issue() (proof of possession
 * checked, then signed by the CAPF CA: what one enrollment costs in
 * OpenSSL) manages on one thread, with the same CA and request a run of
 * tests/perf/est_rate.py uses.
 *
 *   sign_rate CA.crt CA.key REQUEST.der KEYORDER SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capf.h"
#include "config.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static unsigned char csr[65536];
	struct app_err err = { 0 };
	struct capf_key_rules rules = { "SEPPERF", NULL, "2048", "256" };
	struct capf_trust *t;
	size_t len;
	long n = 0;
	double start, secs;
	FILE *f;

	if (argc != 6)
		return fprintf(stderr, "usage: sign_rate CA.crt CA.key REQUEST.der KEYORDER SECONDS\n"), 2;
	snprintf(cfg.capf_cert, sizeof(cfg.capf_cert), "%s", argv[1]);
	snprintf(cfg.capf_key, sizeof(cfg.capf_key), "%s", argv[2]);
	rules.key_order = argv[4];
	secs = atof(argv[5]);
	if ((t = capf_trust_load(&cfg, true, &err)) == NULL || (f = fopen(argv[3], "rb")) == NULL)
		return fprintf(stderr, "%s\n", err.msg), 1;
	len = fread(csr, 1, sizeof(csr), f);
	fclose(f);
	start = now();
	while (now() - start < secs) {
		struct capf_issued out = { 0 };

		if (!capf_issue(t, csr, len, &rules, 1825, time(NULL), &out, &err))
			return fprintf(stderr, "%s\n", err.msg), 1;
		capf_issued_free(&out);
		n++;
	}
	printf("%.1f\n", (double) n / (now() - start));
	capf_trust_free(t);
	return 0;
}
