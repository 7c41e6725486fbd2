// SPDX-License-Identifier: GPL-2.0
/*
 * svamock-mass NPROC FIRST LAST: fork NPROC processes, each bound by policy
 * to every simulated device svamockFIRST..svamockLAST, so that NPROC x
 * (LAST - FIRST + 1) [device, PASID] tuples exist. Prints "ready TUPLES"
 * once all are bound, then holds them until killed; the children die with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "iommu-sva-mock.h"

static int child(int first, int last, int ready)
{
	char path[64], c = 'y';
	int id;

	for (id = first; id <= last; id++) {
		struct svamock_bind b = {};
		int fd;

		snprintf(path, sizeof(path), "/dev/" SVAMOCK_BUS_NAME "%d", id);
		fd = open(path, O_RDWR);
		if (fd < 0 || ioctl(fd, SVAMOCK_IOCTL_BIND, &b)) {
			fprintf(stderr, "svamock-mass: %s: %s\n", path, strerror(errno));
			c = 'n';
			break;
		}
	}
	if (write(ready, &c, 1) != 1)
		return 1;
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int nproc, first, last, i, fds[2], good = 0;
	pid_t parent = getpid();
	char c;

	if (argc != 4) {
		fprintf(stderr, "usage: svamock-mass NPROC FIRST LAST\n");
		return 1;
	}
	nproc = atoi(argv[1]);
	first = atoi(argv[2]);
	last = atoi(argv[3]);
	if (pipe(fds))
		return 1;
	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			close(fds[0]);
			_exit(child(first, last, fds[1]));
		}
	}
	close(fds[1]);
	for (i = 0; i < nproc && read(fds[0], &c, 1) == 1; i++)
		good += c == 'y';
	if (good == nproc)
		printf("ready %d\n", nproc * (last - first + 1));
	else
		printf("failed: %d of %d processes bound\n", good, nproc);
	fflush(stdout);
	for (;;)
		pause();
}
