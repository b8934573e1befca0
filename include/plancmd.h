/* plancmd.h - "rhone-controller plan": what the controller would do now
 * against the live API, printed, with nothing changed. */
#ifndef RHONE_PLANCMD_H
#define RHONE_PLANCMD_H

/* Run the command on its arguments (after "plan"). Exit code: 0 when
 * nothing would change, 2 when something would, 1 on any error. */
int plancmd_main(int argc, char **argv);

#endif
