/* SPDX-License-Identifier: MIT */
/*
 * sd_notify.h - telling a service manager how e1kd is doing, through the
 * documented sd_notify datagram protocol (systemd's sd_notify(3)), without
 * linking libsystemd.
 *
 * The manager passes $NOTIFY_SOCKET: a unix datagram socket's path, or an
 * abstract name written with a leading '@'.  Each message is one datagram of
 * newline-separated VAR=VALUE assignments: READY=1 (started), STOPPING=1
 * (going down), STATUS=free text.  With no $NOTIFY_SOCKET every call is a
 * no-op, so e1kd behaves the same outside a Type=notify unit.
 *
 * Lifecycle: sd_notifier_open() once, from the main thread before any other
 * thread starts (it reads and then unsets the environment variable, so no
 * child inherits it); sd_notifier_send() from any thread (one sendto() on a
 * socket no one else writes: atomic per datagram); sd_notifier_close() after
 * the last send.
 * Context: any.  Locks: none.  May block: no (MSG_DONTWAIT; a full manager
 * queue drops the message, which is reported, never waited for).
 */
#ifndef E1K_CLI_SD_NOTIFY_H
#define E1K_CLI_SD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sd_notifier {
	int fd;                       /* -1: no manager to tell */
	struct sockaddr_un addr;
	socklen_t addr_len;
};

/* Parse path (NULL or "": none) into n's address.  0, or -EINVAL (not '/' or
 * '@' first: e.g. systemd's "vsock:" form, unsupported) / -ENAMETOOLONG with
 * err set; n is then disabled. */
int sd_notifier_parse(struct sd_notifier *n, const char *path, char *err, size_t errlen);

/* From $NOTIFY_SOCKET (then unset): parse and open the socket.  0 (n may be
 * disabled: no variable), or a negative errno with err set and n disabled. */
int sd_notifier_open(struct sd_notifier *n, char *err, size_t errlen);

/* Send msg as one datagram.  0 (also when disabled), or a negative errno. */
int sd_notifier_send(const struct sd_notifier *n, const char *msg);

void sd_notifier_close(struct sd_notifier *n);

#endif /* E1K_CLI_SD_NOTIFY_H */
