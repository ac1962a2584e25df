/* cli/cmd_brief.c: `corridor brief` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_brief(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: brief: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
