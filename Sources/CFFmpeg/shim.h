#ifndef EMOPIPE_CFFMPEG_SHIM_H
#define EMOPIPE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

/* Function-like macros Swift cannot import. */
static inline int emopipe_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int emopipe_averror_eof(void) { return AVERROR_EOF; }
static inline int emopipe_averror_eio(void) { return AVERROR(EIO); }
static inline int64_t emopipe_av_nopts_value(void) { return AV_NOPTS_VALUE; }
#endif
