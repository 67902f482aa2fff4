/* SPDX-License-Identifier: MIT */
/* safe_path.c - see safe_path.h. */
#include "safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int safe_path_dir_ok(const struct stat *st, const char *shown, char *err, size_t errlen)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		snprintf(err, errlen, "%s is owned by uid %u, not by root or uid %u: another user "
		         "could swap what is in it", shown, (unsigned)st->st_uid, (unsigned)me);
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		snprintf(err, errlen, "%s is writable by group or others (mode %04o, not sticky): "
		         "another user could swap what is in it", shown,
		         (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Check the directory open at fd, shown as shown. */
static int check_fd(int fd, const char *shown, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat %s: %s", shown, strerror(errno));
		return -errno;
	}
	return safe_path_dir_ok(&st, shown, err, errlen);
}

int safe_path_open_parent(const char *path, char *base, size_t basesz, char *err, size_t errlen)
{
	char *full = NULL, *shown = NULL, *save = NULL, *comp, *next;
	size_t flen;
	int fd = -1, rc;

	if (!path || !*path) {
		snprintf(err, errlen, "empty path");
		return -EINVAL;
	}
	if (path[strlen(path) - 1] == '/') {
		snprintf(err, errlen, "%s names a directory, not a file", path);
		return -EINVAL;
	}
	if (path[0] == '/') {
		full = strdup(path);
	} else {
		/* getcwd() is the kernel's path of the working directory, without
		 * symlinks: walking it from "/" checks its ancestors too. */
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			snprintf(err, errlen, "cannot resolve the working directory for %s: %s",
			         path, strerror(errno));
			return -errno;
		}
		flen = strlen(cwd) + strlen(path) + 2;
		full = malloc(flen);
		if (full)
			snprintf(full, flen, "%s/%s", cwd, path);
	}
	flen = full ? strlen(full) + 2 : 0;
	shown = full ? calloc(1, flen) : NULL;
	if (!full || !shown) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	strcpy(shown, "/");
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open /: %s", strerror(errno));
		goto out;
	}
	if ((rc = check_fd(fd, shown, err, errlen)) < 0)
		goto out;
	comp = strtok_r(full, "/", &save);
	for (; comp; comp = next) {
		int nfd;

		next = strtok_r(NULL, "/", &save);
		if (!next)
			break;   /* comp is the last component */
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			snprintf(err, errlen, "%s: '..' is not allowed in the path", path);
			rc = -EINVAL;
			goto out;
		}
		if (strcmp(shown, "/"))
			strcat(shown, "/");
		strcat(shown, comp);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			struct stat lst;

			rc = -errno;
			/* O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR (or ELOOP). */
			if ((errno == ELOOP || errno == ENOTDIR) &&
			    fstatat(fd, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
				rc = -ELOOP;
				snprintf(err, errlen, "%s is a symbolic link: refusing to follow it", shown);
			} else
				snprintf(err, errlen, "cannot open the directory %s: %s", shown,
				         strerror(errno));
			goto out;
		}
		close(fd);
		fd = nfd;
		if ((rc = check_fd(fd, shown, err, errlen)) < 0)
			goto out;
	}
	if (!comp || !strcmp(comp, ".") || !strcmp(comp, "..")) {
		snprintf(err, errlen, "%s does not name a file", path);
		rc = -EINVAL;
		goto out;
	}
	if (strlen(comp) >= basesz) {
		snprintf(err, errlen, "%s: the file name is too long", path);
		rc = -EINVAL;
		goto out;
	}
	strcpy(base, comp);
	rc = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(full);
	free(shown);
	return rc;
}

/* The name base in dirfd: absent, or a regular file of root or the caller. */
static int check_name(int dirfd, const char *base, const char *path, char *err, size_t errlen)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link: refusing to write through it "
		         "(remove it, or name another path)", path);
		return -ELOOP;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is a directory", path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a regular file", path);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != me) {
		snprintf(err, errlen, "%s belongs to uid %u, not to root or uid %u: refusing to "
		         "replace it", path, (unsigned)st.st_uid, (unsigned)me);
		return -EPERM;
	}
	return 0;
}

int safe_path_check_target(const char *path, char *err, size_t errlen)
{
	char base[NAME_MAX + 1];
	int dfd = safe_path_open_parent(path, base, sizeof(base), err, errlen);
	int rc;

	if (dfd < 0)
		return dfd;
	rc = check_name(dfd, base, path, err, errlen);
	close(dfd);
	return rc;
}

int safe_path_write(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	char base[NAME_MAX + 1], tmp[NAME_MAX + 32];
	const char *p = data;
	int dfd, fd = -1, rc;
	struct timespec ts;

	dfd = safe_path_open_parent(path, base, sizeof(base), err, errlen);
	if (dfd < 0)
		return dfd;
	if ((rc = check_name(dfd, base, path, err, errlen)) < 0)
		goto out;
	/* A fresh name nobody else can have prepared: O_EXCL | O_NOFOLLOW
	 * fail on anything already there, so retry with another suffix. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned i = 0; i < 64 && fd < 0; i++) {
		snprintf(tmp, sizeof(tmp), ".%.200s.%ld.%lx.tmp", base, (long)getpid(),
		         ((unsigned long)ts.tv_nsec * 2654435761u + i) & 0xffffffu);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			rc = -errno;
			snprintf(err, errlen, "cannot create a temporary file next to %s: %s", path,
			         strerror(errno));
			goto out;
		}
	}
	if (fd < 0) {
		rc = -EEXIST;
		snprintf(err, errlen, "cannot create a temporary file next to %s: every name taken",
		         path);
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
			goto out_unlink;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = -errno;
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		goto out_unlink;
	}
	fd = -1;
	/* rename replaces whatever the name is now -- a symlink planted since
	 * the check included -- and never follows it. */
	if (renameat(dfd, tmp, dfd, base) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot rename the new file over %s: %s", path, strerror(-rc));
		goto out_unlink;
	}
	rc = 0;
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
out:
	close(dfd);
	return rc;
}
