/* cli/cmd_db.c: `corridor db` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_db(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: db: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
