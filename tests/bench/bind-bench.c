// SPDX-License-Identifier: GPL-2.0
/*
 * bind-bench ID COUNT: bind this process to /dev/svamockID and unbind it
 * again, COUNT times, and print "bind+unbind-ns N kind K" (the mean cost of
 * one cycle, and whether the bonds were global or local). The device's mode
 * decides the kind. For the benchmark only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "iommu-sva-mock.h"

int main(int argc, char **argv)
{
	struct svamock_bind b = { 0 };
	struct svamock_bond q;
	struct timespec t0, t1;
	char path[64];
	long i, n;
	int fd, local = -1;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bind-bench ID COUNT\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/" SVAMOCK_BUS_NAME "%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		b = (struct svamock_bind){ 0 };
		if (ioctl(fd, SVAMOCK_IOCTL_BIND, &b)) {
			perror("bind");
			return 1;
		}
		if (local < 0) {
			q = (struct svamock_bond){ .bond_id = b.bond_id };
			if (ioctl(fd, SVAMOCK_IOCTL_GET_PASID, &q))
				return 1;
			local = q.local;
		}
		q = (struct svamock_bond){ .bond_id = b.bond_id };
		if (ioctl(fd, SVAMOCK_IOCTL_UNBIND, &q)) {
			perror("unbind");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("bind+unbind-ns %lld kind %s\n",
	       ((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec) / n,
	       local ? "local" : "global");
	close(fd);
	return 0;
}
