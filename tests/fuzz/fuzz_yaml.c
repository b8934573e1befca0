/* fuzz_yaml.c - libFuzzer target for the RegionSet reader: any bytes fed
 * to yaml_load_buffer must come back as sets or errors, never as a crash,
 * a hang or a leak. Build and run from the repository root:
 *
 *   make build/gen/regions.inc && clang -g -O1 -std=c11 -D_GNU_SOURCE \
 *     -fsanitize=fuzzer,address,undefined -Iinclude -Ibuild/gen \
 *     $(pkg-config --cflags yaml-0.1 json-c) tests/fuzz/fuzz_yaml.c \
 *     controller/yamlsrc.c controller/ytree.c controller/rsdecode.c \
 *     controller/regionset.c controller/machinecfg.c controller/region.c \
 *     controller/util.c $(pkg-config --libs yaml-0.1 json-c) -lm \
 *     -o build/fuzz_yaml
 *   cp -r examples/regionsets build/fuzz-corpus && build/fuzz_yaml \
 *     -dict=tests/fuzz/regionset.dict -max_total_time=300 \
 *     -max_len=65536 build/fuzz-corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "yamlsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_load ld;
	size_t i;

	memset(&ld, 0, sizeof(ld));
	yaml_load_buffer("fuzz.yaml", (const char *)data, size, &ld);
	yaml_load_finish(&ld);

	/* What comes out must be usable: every set finalized, every error
	 * printable. */
	for (i = 0; i < ld.nsets; i++)
		if (strlen(ld.sets[i]->spec_hash) != RS_HASH_LEN)
			__builtin_trap();
	for (i = 0; i < ld.errors.n; i++) {
		char buf[256];
		rs_error_format(&ld.errors.items[i], buf, sizeof(buf));
	}
	yaml_load_free(&ld);
	return 0;
}
