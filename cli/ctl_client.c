/* SPDX-License-Identifier: MIT */
#include "ctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ctl_proto.h"

static uint64_t now_ms(void)
{
	return e1k_now_ns() / 1000000u;
}

/* Wait for ev on fd until deadline: 1 ready, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		uint64_t now = now_ms();
		int rc;

		if (now >= deadline)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)(deadline - now > INT32_MAX ? INT32_MAX : deadline - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

static int do_connect(const char *path, uint64_t deadline, int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t now = now_ms(), left = deadline > now ? deadline - now : 1;
	struct timeval tv = { .tv_sec = (time_t)(left / 1000), .tv_usec = (suseconds_t)(left % 1000) * 1000 };
	int fd, e;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A blocking UNIX connect() waits for backlog room at most SO_SNDTIMEO. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == EINTR && now_ms() < deadline)
			continue;
		if (errno == EAGAIN || errno == EINPROGRESS || errno == EINTR)
			errno = ETIMEDOUT;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
		goto fail;
	*fdp = fd;
	return 0;

fail:
	e = errno;
	close(fd);
	return -e;
}

/* Send all of buf.  A server that refuses us may close before reading: on
 * EPIPE/ECONNRESET stop sending and let the caller read its answer. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		int rc;

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN)
			return -errno;
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int recv_line(int fd, uint64_t deadline, char **resp_out)
{
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap), *nl;
	int rc;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len > CTL_MAX_RESPONSE) {
			/* More than the longest response line without its newline. */
			rc = -EMSGSIZE;
			goto fail;
		}
		if (len + 1 >= cap) {
			char *p;

			p = realloc(buf, cap * 2);
			if (!p) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			buf[len + (size_t)n] = '\0';
			nl = memchr(buf + len, '\n', (size_t)n);
			len += (size_t)n;
			if (nl) {
				*nl = '\0';
				*resp_out = buf;
				return 0;
			}
			continue;
		}
		if (n == 0 || errno == ECONNRESET || errno == EPIPE) {
			rc = len ? -EPROTO : -ECONNRESET;
			goto fail;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			rc = -errno;
			goto fail;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			goto fail;
	}

fail:
	free(buf);
	return rc;
}

/*
 * Who serves the socket: root or our own uid, or we send nothing.  A socket
 * path can lead to a server of another user (a directory on the way that
 * user controls, a socket they left where ours was expected): root's
 * `e1kctl halt` once printed that server's fake clean report and exited 0
 * while the real e1kd kept DMA running (issue 17).
 */
static int check_peer(int fd, struct ctl_client_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uid_t me = geteuid();

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return -EPERM;   /* unknown: not trusted */
	if (peer) {
		peer->known = true;
		peer->uid = cred.uid;
		peer->pid = cred.pid;
	}
	return cred.uid == 0 || cred.uid == me ? 0 : -EPERM;
}

/* As recv_line, reading no byte past the newline (a stream may follow). */
static int recv_line_exact(int fd, uint64_t deadline, char **resp_out)
{
	size_t len = 0;
	char *buf = malloc(CTL_MAX_RESPONSE + 1);
	int rc;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len >= CTL_MAX_RESPONSE) {
			rc = -EMSGSIZE;
			goto fail;
		}
		/* A byte at a time: the line is short, the stream behind it is not ours. */
		n = recv(fd, buf + len, 1, 0);
		if (n == 1) {
			if (buf[len] == '\n') {
				buf[len] = '\0';
				*resp_out = buf;
				return 0;
			}
			len++;
			continue;
		}
		if (n == 0 || errno == ECONNRESET || errno == EPIPE) {
			rc = len ? -EPROTO : -ECONNRESET;
			goto fail;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			rc = -errno;
			goto fail;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			goto fail;
	}

fail:
	free(buf);
	return rc;
}

int ctl_client_call(const char *path, const char *line, unsigned timeout_ms, char **resp_out)
{
	return ctl_client_call_peer(path, line, timeout_ms, resp_out, NULL);
}

static int call(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                struct ctl_client_peer *peer, int *keep_fd);

int ctl_client_call_peer(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                         struct ctl_client_peer *peer)
{
	return call(path, line, timeout_ms, resp_out, peer, NULL);
}

int ctl_client_open_peer(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                         struct ctl_client_peer *peer, int *fd_out)
{
	if (!fd_out)
		return -EINVAL;
	*fd_out = -1;
	return call(path, line, timeout_ms, resp_out, peer, fd_out);
}

static int call(const char *path, const char *line, unsigned timeout_ms, char **resp_out,
                struct ctl_client_peer *peer, int *keep_fd)
{
	uint64_t deadline;
	size_t len;
	char *req;
	int fd = -1, rc;

	if (peer)
		memset(peer, 0, sizeof(*peer));
	if (!resp_out)
		return -EINVAL;
	*resp_out = NULL;
	if (!path || !*path || !line)
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\n', len))
		return -EINVAL;
	req = malloc(len + 1);
	if (!req)
		return -ENOMEM;
	memcpy(req, line, len);
	req[len] = '\n';

	deadline = now_ms() + (timeout_ms ? timeout_ms : CTL_CLIENT_DEFAULT_TIMEOUT_MS);
	rc = do_connect(path, deadline, &fd);
	if (rc == 0)
		rc = check_peer(fd, peer);
	if (rc == 0)
		rc = send_all(fd, req, len + 1, deadline);
	if (rc == 0)
		rc = keep_fd ? recv_line_exact(fd, deadline, resp_out) : recv_line(fd, deadline, resp_out);
	if (rc == 0 && keep_fd) {
		*keep_fd = fd;
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	free(req);
	return rc;
}
