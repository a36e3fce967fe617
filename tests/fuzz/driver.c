/* SPDX-License-Identifier: ISC */
/* driver.c -- runs a harness over the files named on the command line,
 * once each, for compilers without libFuzzer (gcc): what scripts/fuzz
 * --regress falls back on.  Same contract as libFuzzer's replay mode: a
 * broken invariant aborts, so the exit status tells. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int
main(int argc, char **argv)
{
	FILE	*fp;
	uint8_t	*buf, *exact;
	size_t	 len, cap;
	int	 i;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return (1);
		}
		len = 0;
		cap = 4096;
		if ((buf = malloc(cap)) == NULL)
			abort();
		for (;;) {
			len += fread(buf + len, 1, cap - len, fp);
			if (len < cap)
				break;
			cap *= 2;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if (ferror(fp)) {
			fprintf(stderr, "%s: read error\n", argv[i]);
			return (1);
		}
		fclose(fp);
		/* An exact-size copy, so ASan sees reads past the end. */
		if ((exact = malloc(len > 0 ? len : 1)) == NULL)
			abort();
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("%d inputs ran\n", argc - 1);
	return (0);
}
