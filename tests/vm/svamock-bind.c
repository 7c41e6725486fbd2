// SPDX-License-Identifier: GPL-2.0
/*
 * svamock-bind [-s SECONDS] ID...: bind this process's address space to the
 * simulated devices /dev/svamockID through the mock IOMMU, print each bond's
 * PASID and whether the mock IOMMU's PASID table holds it, keep the bonds for
 * SECONDS (default 0), then unbind. For the demo.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu-sva-mock.h"

int main(int argc, char **argv)
{
	struct svamock_bind bind[16];
	int fd[16], i, n, rc = 0, hold = 0;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		hold = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	n = argc - 1;
	if (n < 1 || n > 16) {
		fprintf(stderr, "usage: svamock-bind [-s SECONDS] ID... (at most 16)\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		char path[64];

		fd[i] = -1;
		snprintf(path, sizeof(path), "/dev/" SVAMOCK_BUS_NAME "%s", argv[i + 1]);
		fd[i] = open(path, O_RDWR | O_CLOEXEC);
		if (fd[i] < 0) {
			fprintf(stderr, "Error: %s: %s\n", path, strerror(errno));
			rc = 1;
			continue;
		}
		memset(&bind[i], 0, sizeof(bind[i]));
		if (ioctl(fd[i], SVAMOCK_IOCTL_BIND, &bind[i])) {
			printf("pid %d: bind to svamock%s refused: %s\n", getpid(),
			       argv[i + 1], strerror(errno));
			close(fd[i]);
			fd[i] = -1;
			continue;
		}
		struct svamock_bond q = { .bond_id = bind[i].bond_id };

		ioctl(fd[i], SVAMOCK_IOCTL_GET_PASID, &q);
		printf("pid %d: bound to svamock%s, %s PASID %u (%s in the mock IOMMU's PASID table)\n",
		       getpid(), argv[i + 1], q.local ? "local" : "global",
		       bind[i].pasid, q.attached ? "present" : "MISSING");
	}
	fflush(stdout);
	if (hold)
		sleep(hold);
	for (i = 0; i < n; i++) {
		struct svamock_bond u;

		if (fd[i] < 0)
			continue;
		u = (struct svamock_bond){ .bond_id = bind[i].bond_id };
		if (ioctl(fd[i], SVAMOCK_IOCTL_UNBIND, &u))
			rc = 1;
		close(fd[i]);
	}
	return rc;
}
