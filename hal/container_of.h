/* SPDX-License-Identifier: MIT */
/*
 * container_of.h - the enclosing object from a pointer to one of its members.
 *
 * Embedded objects (irq/'s struct dpc and struct ktimer, a backend's struct
 * hal_dev) are handed back to their callbacks as member pointers; the owner
 * finds itself again with container_of.  Pure macro: Context any.
 */
#ifndef E1K_CONTAINER_OF_H
#define E1K_CONTAINER_OF_H

#include <stddef.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif /* E1K_CONTAINER_OF_H */
