/* cli/cmd_stats.c: `corridor stats` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_stats(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: stats: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
