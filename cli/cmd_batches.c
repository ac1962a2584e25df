/* cli/cmd_batches.c: `corridor batches` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_batches(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: batches: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
