/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardianctl: placeholder until subcommands land. */
#include <stdio.h>

int main(void)
{
	fputs("oomguardianctl: no subcommands yet\n", stderr);
	return 1;
}
