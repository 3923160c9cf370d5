/*
 * test.h - Kiln's unit-test harness (libarchive's style, smaller).
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_U64(a, b); ... }
 *
 * Each test runs in a fresh temporary folder (its working directory), which
 * is removed when the test passes and kept, with its path printed, when it
 * fails. A failed CHECK ends that test. Every test prints exactly one line,
 * "PASS: <runner>/<name>", "FAIL: <runner>/<name>: file:line: what" or
 * "SKIP: <runner>/<name>: reason", which tests/run.sh counts.
 * Arguments select tests by substring; STRICT=1 turns skips into failures.
 */
#ifndef KILN_TEST_H
#define KILN_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test__register(const char *name, test_fn fn);
void test__fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TEST(name)                                                           \
	static void test_##name(void);                                       \
	__attribute__((constructor)) static void test_reg_##name(void)       \
	{ test__register(#name, test_##name); }                              \
	static void test_##name(void)

#define CHECK(cond)                                                          \
	do { if (!(cond)) test__fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)
#define CHECKF(cond, ...)                                                    \
	do { if (!(cond)) test__fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define CHECK_EQ_U64(a, b)                                                   \
	do { uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                \
	     if (a_ != b_) test__fail(__FILE__, __LINE__, "%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, a_, b_); } while (0)
#define CHECK_EQ_I64(a, b)                                                   \
	do { int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                   \
	     if (a_ != b_) test__fail(__FILE__, __LINE__, "%s == %s: %" PRId64 " != %" PRId64, #a, #b, a_, b_); } while (0)
#define CHECK_STR(a, b)                                                      \
	do { const char *a_ = (a), *b_ = (b);                                \
	     if (!a_ || !b_ || strcmp(a_, b_)) test__fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define CHECK_MEM(a, b, n)                                                   \
	do { if (memcmp((a), (b), (n))) test__fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", #a, #b, #n); } while (0)
#define CHECK_NEAR(a, b, tol)                                                \
	do { double a_ = (a), b_ = (b);                                      \
	     if (!(a_ - b_ <= (tol) && b_ - a_ <= (tol))) test__fail(__FILE__, __LINE__, "%s ~= %s: %.9g vs %.9g (tol %g)", #a, #b, a_, b_, (double)(tol)); } while (0)
#define SKIP(...) test__skip(__VA_ARGS__)

/* Helpers for tests. */
/* ../shared/corpus/<sub> (or $KILN_CORPUS/<sub>) if it exists, else NULL. */
const char *test_corpus(const char *sub);
/* Folder holding the built tools ($KILN_BIN, default build/bin), absolute. */
const char *test_bindir(void);
/* Repository root (absolute; tests run with cwd in a temp folder). */
const char *test_srcdir(void);
/* Write/read whole files; abort the test on failure. */
void test_write_file(const char *path, const void *data, size_t n);
unsigned char *test_read_file(const char *path, size_t *n);
/* Deterministic PRNG (xorshift64*) for generated inputs. */
uint64_t test_rand(uint64_t *state);
/* Run a shell command (cwd = the test folder); returns its exit status. */
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
