#include "lossless_coders.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <jxl/decode.h>
#include <jxl/encode.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zstd.h>

long semcom_xz_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t pos = 0;
    if (lzma_easy_buffer_encode(9 | LZMA_PRESET_EXTREME, LZMA_CHECK_NONE, NULL, in, n, out, &pos, cap) != LZMA_OK)
        return -1;
    return (long)pos;
}

long semcom_xz_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    uint64_t memlimit = UINT64_MAX;
    size_t in_pos = 0, out_pos = 0;
    if (lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, n, out, &out_pos, cap) != LZMA_OK) return -1;
    return (long)out_pos;
}

long semcom_zstd_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t written = ZSTD_compress(out, cap, in, n, 19);
    return ZSTD_isError(written) ? -1 : (long)written;
}

long semcom_zstd_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t written = ZSTD_decompress(out, cap, in, n);
    return ZSTD_isError(written) ? -1 : (long)written;
}

long semcom_brotli_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t size = cap;
    if (!BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_MAX_WINDOW_BITS, BROTLI_MODE_GENERIC, n, in, &size, out))
        return -1;
    return (long)size;
}

long semcom_brotli_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t size = cap;
    if (BrotliDecoderDecompress(n, in, &size, out) != BROTLI_DECODER_RESULT_SUCCESS) return -1;
    return (long)size;
}

long semcom_webp_lossless_encode(const uint8_t *grey, int width, int height, uint8_t *out, size_t cap) {
    WebPConfig config;
    WebPPicture picture;
    if (!WebPConfigInit(&config) || !WebPConfigLosslessPreset(&config, 9) || !WebPPictureInit(&picture)) return -1;
    config.exact = 1;
    picture.use_argb = 1;
    picture.width = width;
    picture.height = height;
    uint8_t *rgb = malloc((size_t)width * height * 3);
    if (!rgb) return -1;
    for (size_t i = 0; i < (size_t)width * height; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
    WebPMemoryWriter writer;
    WebPMemoryWriterInit(&writer);
    picture.writer = WebPMemoryWrite;
    picture.custom_ptr = &writer;
    long result = -1;
    if (WebPPictureImportRGB(&picture, rgb, width * 3) && WebPEncode(&config, &picture) && writer.size <= cap) {
        memcpy(out, writer.mem, writer.size);
        result = (long)writer.size;
    }
    free(rgb);
    WebPPictureFree(&picture);
    WebPMemoryWriterClear(&writer);
    return result;
}

long semcom_webp_lossless_decode(const uint8_t *in, size_t n, int width, int height, uint8_t *grey) {
    int w = 0, h = 0;
    uint8_t *rgb = WebPDecodeRGB(in, n, &w, &h);
    if (!rgb) return -1;
    long result = -1;
    if (w == width && h == height) {
        for (size_t i = 0; i < (size_t)w * h; i++) grey[i] = rgb[3 * i];
        result = (long)w * h;
    }
    WebPFree(rgb);
    return result;
}

long semcom_jxl_lossless_encode(const uint8_t *grey, int width, int height, uint8_t *out, size_t cap) {
    JxlEncoder *encoder = JxlEncoderCreate(NULL);
    if (!encoder) return -1;
    long result = -1;
    JxlBasicInfo info;
    JxlEncoderInitBasicInfo(&info);
    info.xsize = (uint32_t)width;
    info.ysize = (uint32_t)height;
    info.bits_per_sample = 8;
    info.num_color_channels = 1;
    info.uses_original_profile = JXL_TRUE;
    JxlColorEncoding colour;
    JxlColorEncodingSetToSRGB(&colour, JXL_TRUE);
    JxlPixelFormat format = {1, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    JxlEncoderFrameSettings *settings = JxlEncoderFrameSettingsCreate(encoder, NULL);
    if (JxlEncoderUseContainer(encoder, JXL_FALSE) != JXL_ENC_SUCCESS ||
        JxlEncoderSetBasicInfo(encoder, &info) != JXL_ENC_SUCCESS ||
        JxlEncoderSetColorEncoding(encoder, &colour) != JXL_ENC_SUCCESS || !settings ||
        JxlEncoderSetFrameLossless(settings, JXL_TRUE) != JXL_ENC_SUCCESS ||
        JxlEncoderFrameSettingsSetOption(settings, JXL_ENC_FRAME_SETTING_EFFORT, 9) != JXL_ENC_SUCCESS ||
        JxlEncoderAddImageFrame(settings, &format, grey, (size_t)width * height) != JXL_ENC_SUCCESS)
        goto done;
    JxlEncoderCloseInput(encoder);
    uint8_t *next = out;
    size_t avail = cap;
    if (JxlEncoderProcessOutput(encoder, &next, &avail) == JXL_ENC_SUCCESS) result = (long)(cap - avail);
done:
    JxlEncoderDestroy(encoder);
    return result;
}

long semcom_jxl_lossless_decode(const uint8_t *in, size_t n, int width, int height, uint8_t *grey) {
    JxlDecoder *decoder = JxlDecoderCreate(NULL);
    if (!decoder) return -1;
    long result = -1;
    JxlPixelFormat format = {1, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
    if (JxlDecoderSubscribeEvents(decoder, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(decoder, in, n) != JXL_DEC_SUCCESS)
        goto done;
    JxlDecoderCloseInput(decoder);
    for (;;) {
        JxlDecoderStatus status = JxlDecoderProcessInput(decoder);
        if (status == JXL_DEC_BASIC_INFO) {
            JxlBasicInfo info;
            if (JxlDecoderGetBasicInfo(decoder, &info) != JXL_DEC_SUCCESS || info.xsize != (uint32_t)width ||
                info.ysize != (uint32_t)height)
                goto done;
        } else if (status == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
            size_t size = 0;
            if (JxlDecoderImageOutBufferSize(decoder, &format, &size) != JXL_DEC_SUCCESS ||
                size != (size_t)width * height ||
                JxlDecoderSetImageOutBuffer(decoder, &format, grey, size) != JXL_DEC_SUCCESS)
                goto done;
        } else if (status == JXL_DEC_FULL_IMAGE) {
            result = (long)width * height;
        } else if (status == JXL_DEC_SUCCESS) {
            break;
        } else {
            result = -1;
            break;
        }
    }
done:
    JxlDecoderDestroy(decoder);
    return result;
}
