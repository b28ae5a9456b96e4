// oneDNN's C API (Debian's libdnnl-dev ships no pkg-config file; the module map links `dnnl`).
#include <oneapi/dnnl/dnnl.h>

// The argument indices and the "allocate for me" handle are macros Swift cannot import.
static const int SEMCOM_DNNL_ARG_SRC = DNNL_ARG_SRC;
static const int SEMCOM_DNNL_ARG_DST = DNNL_ARG_DST;
static const int SEMCOM_DNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS;
static const int SEMCOM_DNNL_ARG_BIAS = DNNL_ARG_BIAS;
static const int SEMCOM_DNNL_ARG_FROM = DNNL_ARG_FROM;
static const int SEMCOM_DNNL_ARG_TO = DNNL_ARG_TO;
static inline void *semcom_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
