/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `oomguardianctl check` without the rest of oomguardianctl, for tests/integration/010-check.sh
 * (it prefers the real oomguardianctl once that dispatches `check`). */
#include "guardian/ctl/ctl_check.h"

int main(int argc, char **argv)
{
	return ctl_check_main(argc - 1, argv + 1); /* argv[1] is "check" */
}
