/*
 * plb.h - what eelplb's modules share: the live configuration, the stop
 * flag and the diagnostic log (stderr).
 */
#ifndef PLB_PLB_H
#define PLB_PLB_H

#include "config.h"

/* The configuration in force; replaced whole by a reload. */
extern struct plb_config g_config;
/* Set once a graceful stop has begun. */
extern int plb_stopping;
/* A timestamped line on stderr. */
void plb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
