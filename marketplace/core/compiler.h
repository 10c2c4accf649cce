/* Compiler attributes shared by every layer. */
#ifndef MARKETPLACE_COMPILER_H
#define MARKETPLACE_COMPILER_H

/*
 * For checks that reply to the client themselves and return true when the
 * caller may go on: ignoring the result would answer a request twice.
 */
#define MUST_CHECK __attribute__((warn_unused_result))

#endif
