// SPDX-License-Identifier: GPL-2.0
/*
 * bond-mem NPROC FIRST LAST: the kernel memory a bond costs. Forks NPROC
 * processes that each open /dev/svamockFIRST..LAST; once all are open, reads
 * /proc/slabinfo, has every process bind by policy to every device it
 * opened, and reads it again. Prints, for each slab cache that grew, its
 * objects gained and their bytes per bond, then
 *   "bonds N bytes-per-bond N"
 * (the objects' sizes, not the slab pages they sit in). The device's and the
 * process's mode decide whether the bonds are global or local. For the
 * benchmark only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iommu-sva-mock.h"

#define MAX_CACHES 512

struct cache {
	char name[64];
	long objs;
	long size;
};

static int read_slabinfo(struct cache *c)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	int n = 0;

	if (!f) {
		perror("/proc/slabinfo");
		exit(1);
	}
	while (fgets(line, sizeof(line), f) && n < MAX_CACHES) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %ld %*d %ld", c[n].name, &c[n].objs,
			   &c[n].size) == 3)
			n++;
	}
	fclose(f);
	return n;
}

static void child(int first, int last, int ready, int go)
{
	int *fds = calloc(last - first + 1, sizeof(*fds));
	char path[64], c = 'o';
	int id;

	for (id = first; fds && id <= last; id++) {
		snprintf(path, sizeof(path), "/dev/" SVAMOCK_BUS_NAME "%d", id);
		fds[id - first] = open(path, O_RDWR);
		if (fds[id - first] < 0) {
			fprintf(stderr, "bond-mem: %s: %s\n", path, strerror(errno));
			c = 'n';
			break;
		}
	}
	if (write(ready, &c, 1) != 1 || c != 'o' || read(go, &c, 1) != 1)
		_exit(1);
	c = 'b';
	for (id = first; id <= last; id++) {
		struct svamock_bind b = { 0 };

		if (ioctl(fds[id - first], SVAMOCK_IOCTL_BIND, &b)) {
			fprintf(stderr, "bond-mem: bind svamock%d: %s\n", id,
				strerror(errno));
			c = 'n';
			break;
		}
	}
	if (write(ready, &c, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static int wait_all(int fd, int n, char want)
{
	int good = 0;
	char c;

	while (n-- > 0 && read(fd, &c, 1) == 1)
		good += c == want;
	return good;
}

int main(int argc, char **argv)
{
	static struct cache before[MAX_CACHES], after[MAX_CACHES];
	int nproc, first, last, i, j, nb, na, ready[2], go[2];
	long bonds, total = 0, debug = 0, prev;
	pid_t *pids;

	if (argc != 4 || (nproc = atoi(argv[1])) <= 0 ||
	    (first = atoi(argv[2])) < 0 || (last = atoi(argv[3])) < first) {
		fprintf(stderr, "usage: bond-mem NPROC FIRST LAST\n");
		return 2;
	}
	bonds = (long)nproc * (last - first + 1);
	pids = calloc(nproc, sizeof(*pids));
	if (!pids || pipe(ready) || pipe(go))
		return 1;
	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return 1;
		if (!pids[i]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ready[0]);
			close(go[1]);
			child(first, last, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	if (wait_all(ready[0], nproc, 'o') != nproc) {
		fprintf(stderr, "bond-mem: not every process opened the devices\n");
		return 1;
	}
	/* let frees still in flight (RCU) from earlier work land first */
	for (i = 0, prev = -1; i < 50; i++) {
		long sum = 0;

		nb = read_slabinfo(before);
		for (j = 0; j < nb; j++)
			sum += before[j].objs * before[j].size;
		if (sum == prev)
			break;
		prev = sum;
		usleep(100000);
	}
	for (i = 0; i < nproc; i++)
		if (write(go[1], "g", 1) != 1)
			return 1;
	if (wait_all(ready[0], nproc, 'b') != nproc) {
		fprintf(stderr, "bond-mem: not every process bound\n");
		return 1;
	}
	na = read_slabinfo(after);
	for (i = 0; i < na; i++) {
		long d = after[i].objs;

		for (j = 0; j < nb; j++)
			if (!strcmp(before[j].name, after[i].name)) {
				d -= before[j].objs;
				break;
			}
		if (d <= 0)
			continue;
		if (!strcmp(after[i].name, "kmemleak_object"))
			debug += d * after[i].size;
		else
			total += d * after[i].size;
		/* caches that grew by less than one object per 100 bonds are noise */
		if (d * 100 >= bonds)
			printf("  %-24s objsize %5ld +%-7ld %6.1f bytes per bond\n",
			       after[i].name, after[i].size, d,
			       (double)d * after[i].size / bonds);
	}
	printf("bonds %ld bytes-per-bond %.1f debug-bytes-per-bond %.1f\n", bonds,
	       (double)total / bonds, (double)debug / bonds);
	for (i = 0; i < nproc; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < nproc; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}
