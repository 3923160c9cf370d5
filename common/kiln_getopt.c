/*
 * kiln_getopt.c - getopt_long with Kiln's usage errors. getopt's own messages
 * are prefixed with whatever argv[0] holds (a path, or a bare command name
 * once a tool has shifted argv), differ between C libraries, and tools used
 * to add a second, vaguer line of their own. Here getopt stays silent and
 * the one line is ours: "kiln-x CMD: unrecognized option '--bogus'".
 * Also here: the check that a command takes the option it was given, for
 * tools whose commands share one option table.
 */
#define _GNU_SOURCE
#include "kiln.h"

#include <getopt.h>
#include <string.h>

/* The long option that "--name" or "--name=value" selects, as getopt_long
 * resolves it: an exact name, else a prefix of exactly one distinct option.
 * *count gets the number of distinct candidates (2 and up: ambiguous). */
static const struct option *find_long(const char *arg, const struct option *lo, int *count)
{
	const char *name = arg + 2;
	size_t len = strcspn(name, "=");
	const struct option *hit = NULL;
	*count = 0;
	for (const struct option *p = lo; p && p->name; p++) {
		if (strncmp(p->name, name, len)) continue;
		if (strlen(p->name) == len) { *count = 1; return p; }
		/* getopt_long treats two names for the same option as one match */
		if (hit && hit->has_arg == p->has_arg && hit->flag == p->flag && hit->val == p->val) continue;
		if (!hit) hit = p;
		++*count;
	}
	return *count == 1 ? hit : NULL;
}

static int takes_value(char c, const char *shortopts)
{
	const char *s = c && c != ':' ? strchr(shortopts, c) : NULL;
	return s && s[1] == ':';
}

/* Report what getopt_long (opterr = 0) just refused and exit 2. For long
 * options getopt has stepped past the offending word, so argv[optind-1] is
 * it; a short option is known only by optopt (it may sit inside "-qZ"). */
static KILN_NORETURN void bad_option(const char *cmd, char *const argv[], const char *shortopts,
                                     const struct option *lo)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");
	if (!strncmp(arg, "--", 2)) {
		int n;
		const struct option *p = find_long(arg, lo, &n);
		if (!optopt && n > 1) kiln_option_error(cmd, "option '%.*s' is ambiguous", len, arg);
		if (!optopt) kiln_option_error(cmd, "unrecognized option '%.*s'", len, arg);
		if (p && p->val == optopt && arg[len] == '=') kiln_option_error(cmd, "option '%.*s' takes no value", len, arg);
		if (p && p->val == optopt) kiln_option_error(cmd, "option '%.*s' needs a value", len, arg);
	}
	if (takes_value((char)optopt, shortopts)) kiln_option_error(cmd, "option '-%c' needs a value", optopt);
	kiln_option_error(cmd, "unrecognized option '-%c'", optopt);
}

int kiln_getopt(int argc, char *const argv[], const char *cmd, const char *shortopts, const struct option *longopts,
                int *longindex)
{
	opterr = 0;
	/* getopt_long sets it for long options only */
	if (longindex) *longindex = -1;
	int c = getopt_long(argc, argv, shortopts, longopts, longindex);
	if (c == '?' || c == ':') bad_option(cmd, argv, shortopts, longopts);
	return c;
}

const char *kiln_find_command(int argc, char *const argv[], const char *shortopts, const struct option *longopts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) return i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' || !a[1]) return a;
		if (a[1] == '-') {
			int n;
			const struct option *p = find_long(a, longopts, &n);
			if (p && p->has_arg == required_argument && !strchr(a, '=')) i++;
			continue;
		}
		/* "-qo FILE" and "-oFILE": the value starts after the option letter */
		for (const char *s = a + 1; *s; s++) {
			if (!takes_value(*s, shortopts)) continue;
			if (!s[1]) i++;
			break;
		}
	}
	return NULL;
}

void kiln_check_opt_cmd(const kiln_opt_cmds *table, const struct option *longopts, const char *cmd, int val,
                        int longindex)
{
	if (!cmd) return;
	for (const kiln_opt_cmds *t = table; t->cmds; t++) {
		if (t->val != val || kiln_word_in(cmd, t->cmds)) continue;
		/* named as the user wrote it: "--output" or "-o"; an option with
		 * no short form is known only by its long name */
		const struct option *lo = longindex >= 0 && longopts[longindex].val == val ? &longopts[longindex] : NULL;
		for (const struct option *p = longopts; !lo && val > 255 && p->name; p++)
			if (p->val == val && !p->flag) lo = p;
		if (lo) kiln_option_error(cmd, "option '--%s' does not apply to %s (it is for: %s)", lo->name, cmd, t->cmds);
		kiln_option_error(cmd, "option '-%c' does not apply to %s (it is for: %s)", val, cmd, t->cmds);
	}
}
