/* SPDX-License-Identifier: MIT */
/*
 * report_cmd.h - `e1kctl report`: reading JSON documents e1kd wrote, with no
 * driver involved (no socket, no --ctl).
 *
 *   e1kctl report check FILE|- [--reason R]   is the halt report clean (halt_report.h)?
 *   e1kctl report get FILE|- KEY...           one value per KEY (dotted) per line
 *
 * Exit status: 0 clean / every key found; 4 not clean (one line per problem
 * on stderr) / a key absent ("null" printed in its place, so the lines still
 * line up with the keys); 2 usage error, unreadable file or malformed JSON;
 * 1 out of memory.
 *
 * Context: the e1kctl process.  May block: reading FILE or stdin.
 */
#ifndef E1K_CLI_REPORT_CMD_H
#define E1K_CLI_REPORT_CMD_H

/* argv[0] is "report".  Returns the exit status. */
int e1kctl_report_main(int argc, char **argv);

#endif /* E1K_CLI_REPORT_CMD_H */
