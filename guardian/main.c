/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguardiand: placeholder entry point until the daemon lands (issue 4). */
#include <stdio.h>

int main(void)
{
	fputs("oomguardiand: not built yet, see issue 4\n", stderr);
	return 1;
}
