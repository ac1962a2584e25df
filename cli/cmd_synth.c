/* cli/cmd_synth.c: `corridor synth` (not yet implemented). */
#include <stdio.h>

#include "cmd.h"

int cmd_synth(int argc, char **argv, cor_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	fprintf(stderr, "corridor: synth: not implemented yet\n");
	return COR_EXIT_INTERNAL;
}
