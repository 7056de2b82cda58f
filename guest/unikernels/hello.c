/* hello: prints its command line as argv, one word a line, and exits with exit=N.
 * Output (byte-exact, LF line ends, the words' bytes as they are):
 *   hello from rind unikernel
 *   argc=<n>
 *   argv[<i>]=<word i>          for i = 0 .. n-1
 *   cmdline truncated           only when the command line was cut at 4095 bytes
 *   argv truncated              only when it had more than 64 words
 *   exit=<code>
 */
#include "hw/hw.h"
#include "pure/cmdline.h"

int uk_main(char *cmdline)
{
	static char *argv[ARGV_MAX];
	int overflow;
	int argc = cmdline_split(cmdline, argv, ARGV_MAX, &overflow);
	uint32_t code = 0;
	const char *v;
	for (int i = 0; i < argc; i++) {
		if ((v = arg_value(argv[i], "exit")) && parse_uint(v, 127, &code)) {
			kprintf("hello: bad exit= (want 0..127): ");
			console_write(v, strlen(v));
			kprintf("\n");
			return EXIT_CONFIG;
		}
	}
	kprintf("hello from rind unikernel\nargc=%d\n", argc);
	for (int i = 0; i < argc; i++) {
		kprintf("argv[%d]=", i);
		console_write(argv[i], strlen(argv[i]));
		console_write("\n", 1);
	}
	if (cmdline_truncated) kprintf("cmdline truncated\n");
	if (overflow) kprintf("argv truncated\n");
	kprintf("exit=%u\n", code);
	return (int)code;
}
