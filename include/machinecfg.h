/* machinecfg.h - the Fly machine config a RegionSet asks for, per region. */
#ifndef RHONE_MACHINECFG_H
#define RHONE_MACHINECFG_H

#include <json-c/json.h>

#include "regionset.h"

/* Metadata keys that mark a machine as ours (DESIGN.md rules 2, 3, 6). */
#define MCFG_MANAGED_BY_KEY "rhone_managed_by"
#define MCFG_MANAGED_BY_VALUE "rhone-controller"
#define MCFG_SET_KEY "rhone_regionset"
#define MCFG_HASH_KEY "rhone_config_hash"
#define MCFG_LAUNCH_KEY "rhone_launch_id"

/* Build the MachineConfig object (image, env with PRIMARY_REGION and
 * FLY_REGION, guest, services, checks, restart policy "always") for one
 * region of the set, without metadata. NULL on allocation failure. */
json_object *mcfg_build(const struct regionset *rs, const struct rs_region *r);

/* Hash of the config mcfg_build would produce, as RS_HASH_LEN hex
 * digits; stable across runs and builds. */
int mcfg_hash(const struct regionset *rs, const struct rs_region *r,
	      char out[RS_HASH_LEN + 1]);

/* The JSON body of a create request for one region: region, config with
 * the ownership, hash and launch-id metadata. Caller frees. */
char *mcfg_create_body(const struct regionset *rs, const struct rs_region *r,
		       const char *launch_id);

#endif
