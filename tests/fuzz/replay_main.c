/* SPDX-License-Identifier: MIT */
/*
 * replay_main.c - runs a harness without libFuzzer: every regular file in
 * each directory argument (sorted by name) and every file argument goes
 * through LLVMFuzzerTestOneInput once, in one process, as libFuzzer would
 * replay a corpus.  Used by the fuzz_replay_<target> ctest tests and to
 * reproduce a crash in a plain or sanitizer build:
 *     tests/fuzz/fuzz_json_read build/fuzz/artifacts/json_read/crash-...
 * Exits 0 when every input ran (a broken invariant aborts), 1 when an input
 * cannot be read or there was no input at all (an empty corpus would make
 * the test pass without testing anything).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

			if (!nb) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				rc = -1;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				fprintf(stderr, "replay: %s: read error\n", path);
				rc = -1;
			}
			break;
		}
	}
	fclose(f);
	if (rc == 0) {
		/* An exact-size copy, so ASan sees a read past the input. */
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			rc = -1;
		} else {
			memcpy(exact, buf, len);
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
		}
	}
	free(buf);
	return rc;
}

static int only_files(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	unsigned long ran = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				failed++;
			else
				ran++;
			continue;
		}
		n = scandir(argv[i], &ents, only_files, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed++;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) < 0)
					failed++;
				else
					ran++;
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("replayed %lu inputs, %lu unreadable\n", ran, failed);
	return failed || ran == 0 ? 1 : 0;
}
