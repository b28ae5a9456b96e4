// libavif (AV1 intra in HEIF boxes).
#include <avif/avif.h>
