/* SPDX-License-Identifier: MIT */
#include "sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sd_notifier_parse(struct sd_notifier *n, const char *path, char *err, size_t errlen)
{
	size_t len;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!path || !*path)
		return 0;
	len = strlen(path);
	if (path[0] != '/' && path[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET '%s' is neither a path nor an abstract "
		         "socket name ('@...')", path);
		return -EINVAL;
	}
	/* An abstract name is not NUL-terminated: its length is the address's. */
	if (len > sizeof(n->addr.sun_path) - (path[0] == '/') || len < 2) {
		snprintf(err, errlen, "NOTIFY_SOCKET '%s' is not a usable socket address", path);
		return -ENAMETOOLONG;
	}
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0';
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	                          (path[0] == '/'));
	return 0;
}

int sd_notifier_open(struct sd_notifier *n, char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	int rc = sd_notifier_parse(n, path, err, errlen);

	/* The variable is for e1kd, not for what it might start. */
	unsetenv("NOTIFY_SOCKET");
	if (rc < 0 || !n->addr_len)
		return rc;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
		return rc;
	}
	return 0;
}

int sd_notifier_send(const struct sd_notifier *n, const char *msg)
{
	ssize_t w;

	if (n->fd < 0)
		return 0;
	w = sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	           (const struct sockaddr *)&n->addr, n->addr_len);
	if (w < 0)
		return -errno;
	return (size_t)w == strlen(msg) ? 0 : -EMSGSIZE;
}

void sd_notifier_close(struct sd_notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}
