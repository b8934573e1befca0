/* tokencmd.h - "rhone-controller token": make, list and revoke the
 * region API's bearer tokens in the database. */
#ifndef RHONE_TOKENCMD_H
#define RHONE_TOKENCMD_H

/* Run the command on its arguments (after "token"). Exit code: 0 done,
 * 1 on a database error, 2 on a usage error. */
int tokencmd_main(int argc, char **argv);

#endif
