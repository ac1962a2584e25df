/* cli/cmd_load.c: `corridor load` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_load(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: load: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
