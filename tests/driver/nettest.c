/* SPDX-License-Identifier: MIT */
/* nettest.c - network-namespace sandbox for the TAP / netlink tests. */
#include "nettest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"
#define NT_MAX_NS 8

/* Paths of the named namespaces still to delete.  Written only by the main
 * thread; read by the atexit and signal handlers, which use only
 * async-signal-safe calls (umount2, unlink). */
static char ns_paths[NT_MAX_NS][64];
static int ns_seq;

static void delete_path(char *path)
{
	if (!path[0])
		return;
	umount2(path, MNT_DETACH);
	unlink(path);
	path[0] = '\0';
}

static void cleanup_all(void)
{
	for (int i = 0; i < NT_MAX_NS; i++)
		delete_path(ns_paths[i]);
}

static void on_fatal_signal(int sig)
{
	cleanup_all();
	/* SA_RESETHAND restored the default action: die of the same signal. */
	raise(sig);
}

static void install_cleanup(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(cleanup_all);
}

/* Private mount namespace with a tmpfs on /run/netns: named namespaces made
 * by this test live only as long as the process.  Best effort: without it the
 * explicit deletes still run on every exit path but a SIGKILL. */
static void private_netns_dir(void)
{
	const char *what;

	what = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS) < 0)
		goto note;
	what = "mount --make-rprivate /";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto note;
	what = "mkdir " NETNS_DIR;
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		goto note;
	what = "mount tmpfs on " NETNS_DIR;
	if (mount("e1kt-netns", NETNS_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755") < 0)
		goto note;
	return;
note:
	fprintf(stderr, "note: %s: %s; named namespaces are only deleted explicitly\n",
		what, strerror(errno));
}

int nt_sandbox_enter(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root (CAP_NET_ADMIN) for TAP and netns\n");
		return NT_SKIP;
	}
	if (access("/dev/net/tun", F_OK) < 0) {
		fprintf(stderr, "skip: /dev/net/tun is missing (modprobe tun)\n");
		return NT_SKIP;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "skip: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return NT_SKIP;
	}
	private_netns_dir();
	install_cleanup();
	return 0;
}

int nt_netns_create(char *name_out, size_t size)
{
	char path[64];
	int slot = -1, orig, fd, err;

	for (int i = 0; i < NT_MAX_NS; i++) {
		if (!ns_paths[i][0]) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return -ENOSPC;
	if (snprintf(name_out, size, "e1kt-%d-%d", (int)getpid(), ++ns_seq) >= (int)size)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name_out);
	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	memcpy(ns_paths[slot], path, sizeof(path));

	/* As `ip netns add`: a new netns, kept alive by a bind mount of its
	 * nsfs file; then this thread goes back to where it was. */
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		err = -errno;
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		err = -errno;
		close(orig);
		goto fail;
	}
	err = mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
	if (setns(orig, CLONE_NEWNET) < 0 && !err)
		err = -errno;
	close(orig);
	if (err)
		goto fail;
	return 0;
fail:
	delete_path(ns_paths[slot]);
	return err;
}

void nt_netns_delete(const char *name)
{
	char path[64];

	if (!name || !*name)
		return;
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	for (int i = 0; i < NT_MAX_NS; i++)
		if (strcmp(ns_paths[i], path) == 0)
			delete_path(ns_paths[i]);
}

struct in_ns {
	const char *name;
	int (*fn)(void *ctx);
	void *ctx;
	int ret;
};

static void *in_ns_thread(void *arg)
{
	struct in_ns *a = arg;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", a->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		a->ret = -errno;
		return NULL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		a->ret = -errno;
		close(fd);
		return NULL;
	}
	close(fd);
	a->ret = a->fn(a->ctx);
	return NULL;
}

int nt_in_netns(const char *name, int (*fn)(void *ctx), void *ctx)
{
	struct in_ns a = { .name = name, .fn = fn, .ctx = ctx, .ret = 0 };
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, in_ns_thread, &a);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return a.ret;
}

int nt_sysctl(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
