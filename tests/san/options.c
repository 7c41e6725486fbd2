// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into the sanitizer build of pasidctl only: a report must fail the
 * test that caused it, with an exit status no pasidctl outcome has (0-4).
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

const char *__asan_default_options(void)
{
	return "detect_leaks=1:exitcode=99:abort_on_error=0";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:exitcode=99";
}

const char *__lsan_default_options(void)
{
	return "exitcode=98";
}
