// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the test VM (see tests/vm/run).
 *
 * The guest's root is the host's, shared read-only over 9p. vminit mounts
 * what a test needs (proc, sysfs, devtmpfs, debugfs, tmpfs on /tmp and
 * /run, and the runner's writable results directory on /run/out, exported
 * as VM_OUT), runs "/bin/sh SCRIPT" with its output on the second serial port
 * (ttyS1, kept apart from the kernel console on ttyS0), reports the script's
 * exit status on the console as "vminit: exit status N", and reboots, which
 * ends QEMU (-no-reboot). It never exits: PID 1 exiting panics the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, buf, len) < 0)
			perror("vminit: /dev/kmsg");
		close(fd);
	}
}

static void must_mount(const char *src, const char *dst, const char *type,
		       const char *opts)
{
	unsigned long flags = MS_NOSUID;

	if (strcmp(type, "devtmpfs"))
		flags |= MS_NODEV;
	if (mount(src, dst, type, flags, opts) && errno != EBUSY)
		say("vminit: mount %s on %s: %s\n", type, dst, strerror(errno));
}

static void power_off(int status)
{
	say("vminit: exit status %d\n", status);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct termios tio;
	int out, status;
	pid_t pid;

	/* /dev/kmsg, which say() writes to, needs devtmpfs first. */
	must_mount("devtmpfs", "/dev", "devtmpfs", NULL);
	must_mount("proc", "/proc", "proc", NULL);
	must_mount("sysfs", "/sys", "sysfs", NULL);
	/* what udev would make: bash's <(...) needs /dev/fd */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");

	/* The kernel passes everything after "--" on its command line. */
	if (argc < 2) {
		say("vminit: usage: vminit SCRIPT\n");
		power_off(125);
	}
	must_mount("debugfs", "/sys/kernel/debug", "debugfs", NULL);
	must_mount("tmpfs", "/run", "tmpfs", "mode=755");
	/*
	 * A private /tmp, unless what we run lives in the host's /tmp: then
	 * keep that visible (read-only) and point TMPDIR into /run instead.
	 */
	if (strncmp(argv[1], "/tmp/", 5)) {
		must_mount("tmpfs", "/tmp", "tmpfs", "mode=1777");
		setenv("TMPDIR", "/tmp", 1);
	} else if (!mkdir("/run/tmp", 0755) && !chmod("/run/tmp", 01777)) {
		setenv("TMPDIR", "/run/tmp", 1);
	}

	/* A writable host directory for results, when the runner shares one. */
	if (!mkdir("/run/out", 0755) &&
	    !mount("vmout", "/run/out", "9p", MS_NOSUID | MS_NODEV,
		   "trans=virtio,version=9p2000.L,msize=262144"))
		setenv("VM_OUT", "/run/out", 1);

	out = open("/dev/ttyS1", O_RDWR | O_NOCTTY);
	if (out < 0) {
		say("vminit: /dev/ttyS1: %s\n", strerror(errno));
		power_off(125);
	}
	if (!tcgetattr(out, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(out, TCSANOW, &tio);
	}

	pid = fork();
	if (pid < 0) {
		say("vminit: fork: %s\n", strerror(errno));
		power_off(125);
	}
	if (pid == 0) {
		setsid();
		dup2(out, 0);
		dup2(out, 1);
		dup2(out, 2);
		close(out);
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
		setenv("HOME", "/tmp", 1);
		setenv("VM_GUEST", "1", 1);
		execl("/bin/sh", "sh", argv[1], (char *)NULL);
		_exit(127);
	}

	/* Reap orphans too; stop when the script itself is done. */
	for (;;) {
		pid_t w = wait(&status);

		if (w < 0 && errno != EINTR) {
			status = 125 << 8;
			break;
		}
		if (w == pid)
			break;
	}
	tcdrain(out);
	if (WIFEXITED(status))
		power_off(WEXITSTATUS(status));
	power_off(128 + WTERMSIG(status));
	return 0;
}
