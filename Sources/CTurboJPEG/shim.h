// libjpeg-turbo's TurboJPEG API: error codes instead of setjmp/longjmp.
#include <stddef.h>
#include <turbojpeg.h>
