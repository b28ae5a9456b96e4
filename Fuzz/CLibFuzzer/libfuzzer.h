// The entry point of libFuzzer's driver (compiler-rt, LLVM >= 11), linked by `swiftc -sanitize=fuzzer`.
// The harnesses call it from their own `main`: SwiftPM renames an executable's entry point to
// `<Module>_main` and links `main` to it, so libFuzzer's own `main` cannot be used.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
