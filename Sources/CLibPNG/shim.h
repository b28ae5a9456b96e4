// libpng through its "simplified API" (png_image_*), which reports errors in
// png_image.message instead of longjmp-ing, so Swift can call it safely.
#include <png.h>
