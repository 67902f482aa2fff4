/* SPDX-License-Identifier: MIT */
/*
 * safe_path.h - files a root daemon writes at a path someone gave it, without
 * letting another local user redirect the write (issue 17: `--report` once
 * followed a planted symlink and overwrote a 0600 file as root).
 *
 * A directory is *safe* when it is owned by root or by the caller (the
 * effective uid) and is not writable by group or others -- unless it has the
 * sticky bit (like /tmp), where others may add names but not rename or
 * remove the caller's.  A path is reached safely when every directory from
 * "/" down to its parent is safe and is opened one component at a time with
 * O_NOFOLLOW | O_DIRECTORY (a relative path starts from getcwd(), which the
 * kernel gives without symlinks); "..", and a symlink anywhere on the way,
 * are refused.  Nothing is created on the way.
 *
 * Used by e1kd for --report; meant for any other path e1kd writes under (the
 * control socket's directory walk can reuse safe_path_open_parent()).
 *
 * Functions report an error as a negative errno and one line in err (no
 * trailing newline) that names the offending directory or file and why.
 * Context: control (a normal thread; they allocate and may do file I/O).
 * Locks: none.  May block: yes (file system).
 */
#ifndef E1K_CLI_SAFE_PATH_H
#define E1K_CLI_SAFE_PATH_H

#include <stddef.h>
#include <sys/stat.h>

/* The rule above for one directory already opened (st from fstat of it);
 * shown names it in err.  0, or -EPERM. */
int safe_path_dir_ok(const struct stat *st, const char *shown, char *err, size_t errlen);

/*
 * Open path's parent directory by the walk above.  Returns the directory's
 * fd (O_RDONLY | O_DIRECTORY | O_CLOEXEC; the caller closes it) and copies
 * the last component to base (basesz bytes); or -EINVAL (empty path, a path
 * ending in '/', ".." or "." as the last component, base too long), -ELOOP
 * (a symlink on the way), -ENOTDIR, -EPERM (an unsafe directory), or the
 * errno of an open that failed.
 */
int safe_path_open_parent(const char *path, char *base, size_t basesz, char *err, size_t errlen);

/*
 * Whether path could be written by safe_path_write() now: its parent is
 * reached safely, and the name is absent or a regular file owned by root or
 * the caller (a symlink there is refused: -ELOOP; anything else -EPERM or
 * -EISDIR).  For a check at startup; safe_path_write() checks again.
 */
int safe_path_check_target(const char *path, char *err, size_t errlen);

/*
 * Write len bytes as the whole new content of path: the checks of
 * safe_path_check_target(), then a new file in the same directory
 * (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600), written, fsync'ed and renamed
 * over path.  A symlink planted at path between the check and the rename is
 * replaced, never followed; the old file is replaced whole or not at all.
 * 0, or a negative errno (the temporary file removed).
 */
int safe_path_write(const char *path, const void *data, size_t len, char *err, size_t errlen);

#endif /* E1K_CLI_SAFE_PATH_H */
