/* SPDX-License-Identifier: MIT */
/*
 * capture_cmd.h - e1kctl's side of `e1kctl capture`: the records e1kd
 * streams after its OK (capture_proto.h) written to a pcap file with
 * libpcap's writer.
 *
 * The file is created only once e1kd has accepted the capture; if the
 * capture then fails before a single frame was written, a file this call
 * created is removed (a file that existed before is left, truncated by
 * libpcap's open, with its pcap header).  Ends at count frames, at END from
 * e1kd (halted), or on SIGINT/SIGTERM (the sending side is shut down, e1kd
 * disarms and sends END, what is in flight is written); prints
 * "N frames captured, M dropped" on stderr.
 *
 * Context: e1kctl's main thread; installs SIGINT/SIGTERM handlers.
 * May block: until the capture ends.
 */
#ifndef E1K_CLI_CAPTURE_CMD_H
#define E1K_CLI_CAPTURE_CMD_H

#include <stdint.h>

/* fd: the control connection after OK (ours to close).  Returns e1kctl's
 * exit status: 0, 1 (the file cannot be written), 3 (the stream broke off
 * or is malformed: e1kd went away). */
int capture_cmd_run(int fd, const char *file, unsigned snaplen, uint64_t count);

#endif
