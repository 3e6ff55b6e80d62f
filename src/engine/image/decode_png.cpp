// PNG via libpng. Errors longjmp out of libpng back into the two small phase
// functions below, which hold only C objects; warnings are silenced.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <png.h>

#include "engine/image/decoders.h"

namespace teamvl::engine::image_internal {
namespace {

struct PngContext {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[256] = {};
};

void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_read(png_structp png, png_bytep out, png_size_t length) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (length > ctx->size - ctx->pos) png_error(png, "unexpected end of file");
  std::memcpy(out, ctx->data + ctx->pos, length);
  ctx->pos += length;
}

// Phase 1: read the header and set up conversion to 8-bit RGB. False on error.
bool read_info(PngContext* ctx) {
  if (setjmp(png_jmpbuf(ctx->png))) return false;
  png_structp png = ctx->png;
  png_infop info = ctx->info;
  png_set_read_fn(png, ctx, on_read);
  // Our own pixel limit applies (with a clear error); lift libpng's 1M-side cap.
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);
  int color = png_get_color_type(png, info);
  int depth = png_get_bit_depth(png, info);
  // Like stb_image forced to 3 channels: 16-bit keeps its high byte, palette
  // and gray expand to RGB, alpha (and tRNS) is dropped, gamma is ignored.
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color & PNG_COLOR_MASK_COLOR) == 0) {
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
  }
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

// Phase 2: decode every row into `rows`. False on error.
bool read_rows(PngContext* ctx, png_bytepp rows) {
  if (setjmp(png_jmpbuf(ctx->png))) return false;
  png_read_image(ctx->png, rows);
  return true;
}

struct PngGuard {
  PngContext* ctx;
  ~PngGuard() { png_destroy_read_struct(&ctx->png, &ctx->info, nullptr); }
};

}  // namespace

Result<RgbImage> decode_png(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  PngContext ctx;
  ctx.data = bytes.data();
  ctx.size = bytes.size();
  ctx.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  if (!ctx.png) return Status::ResourceExhausted("png: cannot create decoder");
  PngGuard guard{&ctx};
  ctx.info = png_create_info_struct(ctx.png);
  if (!ctx.info) return Status::ResourceExhausted("png: cannot create decoder");

  if (!read_info(&ctx)) {
    return Status::DataLoss(std::string("png: corrupt or truncated file: ") + ctx.message);
  }
  png_uint_32 width = png_get_image_width(ctx.png, ctx.info);
  png_uint_32 height = png_get_image_height(ctx.png, ctx.info);
  TEAMVL_RETURN_IF_ERROR(check_image_size("png", width, height, options));
  if (png_get_rowbytes(ctx.png, ctx.info) != size_t{width} * 3) {
    return Status::Internal("png: conversion to RGB8 produced an unexpected row size");
  }
  TEAMVL_ASSIGN_OR_RETURN(RgbImage img, allocate_image(width, height));
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = img.pixel(0, y);
  if (!read_rows(&ctx, rows.data())) {
    return Status::DataLoss(std::string("png: corrupt or truncated file: ") + ctx.message);
  }
  return img;
}

}  // namespace teamvl::engine::image_internal
