/* SPDX-License-Identifier: MIT */
#include "rt_sched.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

int rt_sched_check(unsigned prio, char *err, size_t errlen)
{
	struct sched_param fifo = { .sched_priority = (int)prio }, other = { 0 };
	int rc;

	if (prio < RT_SCHED_PRIO_MIN || prio > RT_SCHED_PRIO_MAX ||
	    (int)prio > sched_get_priority_max(SCHED_FIFO)) {
		snprintf(err, errlen, "priority %u is outside SCHED_FIFO's %d..%d", prio,
		         sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
		return -EINVAL;
	}
	rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo);
	if (rc == EPERM) {
		snprintf(err, errlen, "SCHED_FIFO priority %u is not allowed: e1kd needs "
		         "CAP_SYS_NICE (or an RLIMIT_RTPRIO of at least %u; a unit: "
		         "LimitRTPRIO=%u)", prio, prio, prio);
		return -EPERM;
	}
	if (rc) {
		snprintf(err, errlen, "cannot use SCHED_FIFO priority %u: %s", prio, strerror(rc));
		return -rc;
	}
	/* Going back down is always allowed. */
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &other);
	return 0;
}

/* The thread's name from /proc/self/task/TID/comm, newline dropped. */
static int thread_name(const char *tid, char *name, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%.20s/comm", tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(name, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

int rt_sched_apply(unsigned prio, const char *const *prefixes, char *err, size_t errlen)
{
	struct sched_param fifo = { .sched_priority = (int)prio };
	struct dirent *de;
	DIR *dir = opendir("/proc/self/task");
	int n = 0;

	if (!dir) {
		snprintf(err, errlen, "cannot list /proc/self/task: %s", strerror(errno));
		return -errno;
	}
	while ((de = readdir(dir))) {
		char name[32];
		bool match = false;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    thread_name(de->d_name, name, sizeof(name)) < 0)
			continue;   /* ".", "..", or a thread that just ended */
		for (const char *const *p = prefixes; *p && !match; p++)
			match = !strncmp(name, *p, strlen(*p));
		if (!match)
			continue;
		/* sched_setscheduler() takes a thread id on Linux. */
		if (sched_setscheduler((pid_t)atoi(de->d_name), SCHED_FIFO, &fifo) < 0) {
			int e = errno;

			snprintf(err, errlen, "SCHED_FIFO %u for thread %s (%s): %s", prio,
			         de->d_name, name, strerror(e));
			closedir(dir);
			return -e;
		}
		n++;
	}
	closedir(dir);
	return n;
}
