// OpenJPEG 2.5 (JPEG 2000 codestreams).
#include <openjpeg.h>
