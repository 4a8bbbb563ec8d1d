/*
 * print_int.h — number printing shared by the two printers of lib/dhall
 * (format.c: Dhall source, json.c: JSON). Implemented in format.c.
 */
#ifndef SIGIL_DHALL_PRINT_INT_H
#define SIGIL_DHALL_PRINT_INT_H

#include "dhall_int.h"

/* Appends the decimal digits of n (big values too). 0 or DHALL_ENOMEM. */
int dhall_print_num(struct dhall_buf *out, const struct dhall_num *n);

/* Appends the shortest %g spelling of the finite d that reads back as d,
 * with ".0" added when it would otherwise look like an integer ("1.0",
 * "1.0e20", "-0.0"). 0 or DHALL_ENOMEM. */
int dhall_print_double(struct dhall_buf *out, double d);

#endif
