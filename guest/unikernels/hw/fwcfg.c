/* fw_cfg: reads a named file from QEMU's firmware configuration interface (I/O ports 0x510/0x511).
 * rind passes a PVH unikernel's network there (opt/io.rind/net), so its command line stays the app's own. */
#include "hw.h"
#include "fwcfg.h"

#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_MAX 56

static void select_key(uint16_t key) { outw(FW_CFG_SEL, key); }

static uint32_t read_be32(void)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) v = v << 8 | inb(FW_CFG_DATA);
	return v;
}

static uint16_t read_be16(void)
{
	uint16_t hi = inb(FW_CFG_DATA);
	return (uint16_t)(hi << 8 | inb(FW_CFG_DATA));
}

static int present(void)
{
	select_key(FW_CFG_SIGNATURE);
	return inb(FW_CFG_DATA) == 'Q' && inb(FW_CFG_DATA) == 'E' && inb(FW_CFG_DATA) == 'M' && inb(FW_CFG_DATA) == 'U';
}

/* The selector of file `name` and its size, or -1; the directory is walked entry by entry. */
static int find_file(const char *name, uint16_t *sel, uint32_t *size)
{
	select_key(FW_CFG_FILE_DIR);
	uint32_t count = read_be32();
	for (uint32_t i = 0; i < count && i < 4096; i++) {
		uint32_t sz = read_be32();
		uint16_t s = read_be16();
		(void)read_be16();
		char entry[FW_CFG_NAME_MAX];
		for (int k = 0; k < FW_CFG_NAME_MAX; k++) entry[k] = (char)inb(FW_CFG_DATA);
		entry[FW_CFG_NAME_MAX - 1] = 0;
		int k = 0;
		while (name[k] && name[k] == entry[k]) k++;
		if (!name[k] && !entry[k]) {
			*sel = s;
			*size = sz;
			return 0;
		}
	}
	return -1;
}

int fwcfg_read_file(const char *name, char *buf, size_t cap)
{
	uint16_t sel;
	uint32_t size;
	if (!cap || !present() || find_file(name, &sel, &size)) return -1;
	select_key(sel);
	size_t n = size < cap ? size : cap;
	for (size_t i = 0; i < n; i++) buf[i] = (char)inb(FW_CFG_DATA);
	return (int)n;
}
