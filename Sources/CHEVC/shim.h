// HEVC: x265 (encoder) and libde265 (decoder).
#include <stdint.h>
#include <x265.h>
#include <libde265/de265.h>

// x265 names its entry points after the build number (x265_api_get_199 …) through macros Swift cannot
// import; this wrapper resolves the macro at compile time. Bit depth 8: the library's own Main profiles.
static inline const x265_api *semcom_x265_api(void) { return x265_api_get(8); }
