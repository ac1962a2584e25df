/* cli/cmd_rejects.c: `corridor rejects` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_rejects(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: rejects: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
