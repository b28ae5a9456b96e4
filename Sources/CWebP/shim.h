// libwebp: encoder and decoder.
#include <webp/encode.h>
#include <webp/decode.h>
