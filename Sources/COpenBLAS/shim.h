// OpenBLAS's CBLAS interface (pkg-config `openblas` adds the include path of the
// pthread build on Debian).
#include <cblas.h>
