/* fw_cfg file reads (hw/fwcfg.c). */
#ifndef UK_FWCFG_H
#define UK_FWCFG_H
#include <stddef.h>

/* Copies up to `cap` bytes of fw_cfg file `name` into `buf`; returns the count, or -1 if absent. */
int fwcfg_read_file(const char *name, char *buf, size_t cap);

#endif
