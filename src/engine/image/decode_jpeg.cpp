// JPEG via libjpeg(-turbo). libjpeg reports errors by calling error_exit, which
// must not return: we longjmp back out of it. The functions that call setjmp
// hold only C objects, so no C++ destructor is ever skipped.
#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>

#include "engine/image/decoders.h"
#include "engine/image/exif_orientation.h"
#include "engine/image/jpeg_color.h"
#include "engine/image/jpeg_idct.h"

namespace teamvl::engine::image_internal {
namespace {

// A progressive JPEG may hold thousands of tiny scans, each costing a full
// pass over the coefficients (a CPU bomb); real files use about ten.
constexpr int kMaxScans = 1000;

struct JpegContext {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

JpegContext* context_of(j_common_ptr cinfo) {
  // err is the first thing libjpeg hands back; find the context from it.
  auto* base = reinterpret_cast<char*>(cinfo->err) - offsetof(JpegContext, err);
  return reinterpret_cast<JpegContext*>(base);
}

[[noreturn]] void on_error_exit(j_common_ptr cinfo) {
  JpegContext* ctx = context_of(cinfo);
  cinfo->err->format_message(cinfo, ctx->message);
  std::longjmp(ctx->jump, 1);
}

// Warnings are silent, except hitting the end of the data: a truncated file is an error.
void on_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error_exit(cinfo);
  if (level < 0) cinfo->err->num_warnings++;
}

void on_output_message(j_common_ptr) {}

void on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    JpegContext* ctx = context_of(cinfo);
    std::snprintf(ctx->message, sizeof ctx->message, "more than %d progressive scans", kMaxScans);
    std::longjmp(ctx->jump, 1);
  }
}

// Phase 1: parse headers (and save APP1 markers). False on error.
bool read_header(JpegContext* ctx, const uint8_t* data, unsigned long size) {
  if (setjmp(ctx->jump)) return false;
  jpeg_mem_src(&ctx->cinfo, data, size);
  jpeg_save_markers(&ctx->cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&ctx->cinfo, TRUE);
  jpeg_decompress_struct& ci = ctx->cinfo;
  const bool cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
  ci.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  return true;
}

// Gray, YCbCr and RGB JPEGs are reconstructed by us from libjpeg's DCT
// coefficients, with stb_image's IDCT, upsampling and colour conversion.
bool uses_stb_reconstruction(const jpeg_decompress_struct& ci) {
  return (ci.jpeg_color_space == JCS_GRAYSCALE && ci.num_components == 1) ||
         ((ci.jpeg_color_space == JCS_YCbCr || ci.jpeg_color_space == JCS_RGB) &&
          ci.num_components == 3);
}

// Component planes at their own resolution, whole 8x8 blocks.
struct SamplePlanes {
  int count;
  uint8_t* data[3];
  size_t stride[3];
};

// Phase 2 (coefficient path): entropy-decode the whole file, then inverse-DCT
// every block of every component into `planes`.
bool read_planes(JpegContext* ctx, const SamplePlanes* planes) {
  if (setjmp(ctx->jump)) return false;
  jpeg_decompress_struct& ci = ctx->cinfo;
  jvirt_barray_ptr* coefficients = jpeg_read_coefficients(&ci);
  for (int c = 0; c < planes->count; ++c) {
    const jpeg_component_info& comp = ci.comp_info[c];
    if (!comp.quant_table) {
      std::snprintf(ctx->message, sizeof ctx->message, "component %d has no quantization table", c);
      return false;
    }
    const uint16_t* quant = comp.quant_table->quantval;
    for (JDIMENSION by = 0; by < comp.height_in_blocks; ++by) {
      JBLOCKARRAY row = ci.mem->access_virt_barray(reinterpret_cast<j_common_ptr>(&ci),
                                                   coefficients[c], by, 1, FALSE);
      uint8_t* out = planes->data[c] + planes->stride[c] * DCTSIZE * by;
      for (JDIMENSION bx = 0; bx < comp.width_in_blocks; ++bx) {
        idct_8x8(row[0][bx], quant, out + DCTSIZE * bx, planes->stride[c]);
      }
    }
  }
  jpeg_finish_decompress(&ci);
  return true;
}

// Phase 2: decode all rows into `out` (rows of `row_bytes`), converting CMYK
// rows through `cmyk_row` when it is not null. False on error.
bool read_pixels(JpegContext* ctx, uint8_t* out, size_t row_bytes, uint8_t* cmyk_row) {
  if (setjmp(ctx->jump)) return false;
  jpeg_start_decompress(&ctx->cinfo);
  while (ctx->cinfo.output_scanline < ctx->cinfo.output_height) {
    uint8_t* dst = out + row_bytes * ctx->cinfo.output_scanline;
    JSAMPROW row = cmyk_row ? cmyk_row : dst;
    jpeg_read_scanlines(&ctx->cinfo, &row, 1);
    if (!cmyk_row) continue;
    // Adobe CMYK JPEGs store inverted ink; like stb_image: R = C*K/255, etc.
    for (JDIMENSION x = 0; x < ctx->cinfo.output_width; ++x) {
      const uint8_t* s = cmyk_row + 4 * x;
      for (int c = 0; c < 3; ++c) {
        unsigned t = unsigned{s[c]} * s[3] + 128;
        dst[3 * x + c] = static_cast<uint8_t>((t + (t >> 8)) >> 8);
      }
    }
  }
  jpeg_finish_decompress(&ctx->cinfo);
  return true;
}

// Abort a decode cleanly (also after a longjmp).
struct JpegGuard {
  JpegContext* ctx;
  ~JpegGuard() { jpeg_destroy_decompress(&ctx->cinfo); }
};

Status reserve(std::vector<uint8_t>* v, size_t n) {
  try {
    v->assign(n, 0);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("jpeg: out of memory");
  }
  return Status::Ok();
}

std::vector<uint8_t> find_exif(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
        std::memcmp(m->data, "Exif\0\0", 6) == 0) {
      return {m->data, m->data + m->data_length};
    }
  }
  return {};
}

// Decodes a gray, YCbCr or RGB JPEG through its DCT coefficients, then
// upsamples and converts the planes the way stb_image does.
Status decode_with_stb_reconstruction(JpegContext* ctx, RgbImage* img) {
  const jpeg_decompress_struct& ci = ctx->cinfo;
  const int n = ci.num_components;
  const int max_h = ci.max_h_samp_factor, max_v = ci.max_v_samp_factor;
  SamplePlanes raw{};
  raw.count = n;
  std::vector<uint8_t> storage[3];
  ComponentPlane planes[3];
  for (int c = 0; c < n; ++c) {
    const jpeg_component_info& comp = ci.comp_info[c];
    planes[c].h_ratio = max_h / comp.h_samp_factor;
    planes[c].v_ratio = max_v / comp.v_samp_factor;
    planes[c].width = static_cast<int>((ci.image_width * comp.h_samp_factor + max_h - 1) / max_h);
    planes[c].height = static_cast<int>((ci.image_height * comp.v_samp_factor + max_v - 1) / max_v);
    // Room for the upsampler to read a little past the real samples on odd sampling factors.
    const size_t lores = (size_t{ci.image_width} + planes[c].h_ratio - 1) / planes[c].h_ratio;
    raw.stride[c] = std::max<size_t>(size_t{comp.width_in_blocks} * DCTSIZE, lores + DCTSIZE);
    const size_t rows = std::max<size_t>(size_t{comp.height_in_blocks} * DCTSIZE, planes[c].height);
    TEAMVL_RETURN_IF_ERROR(reserve(&storage[c], raw.stride[c] * rows));
    raw.data[c] = storage[c].data();
    planes[c].data = storage[c].data();
    planes[c].stride = raw.stride[c];
  }
  if (!read_planes(ctx, &raw)) {
    return Status::DataLoss(std::string("jpeg: corrupt or truncated file: ") + ctx->message);
  }
  if (n == 1) {
    for (int y = 0; y < img->height; ++y) {
      const uint8_t* src = planes[0].data + planes[0].stride * y;
      for (int x = 0; x < img->width; ++x) std::memset(img->pixel(x, y), src[x], 3);
    }
  } else {
    ycbcr_planes_to_rgb(planes, img->width, img->height, ci.jpeg_color_space == JCS_RGB,
                        img->pixels.data());
  }
  return Status::Ok();
}

}  // namespace

Result<RgbImage> decode_jpeg(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  auto ctx = std::make_unique<JpegContext>();
  std::memset(ctx.get(), 0, sizeof(JpegContext));
  ctx->cinfo.err = jpeg_std_error(&ctx->err);
  ctx->err.error_exit = on_error_exit;
  ctx->err.emit_message = on_emit_message;
  ctx->err.output_message = on_output_message;
  ctx->progress.progress_monitor = on_progress;
  if (setjmp(ctx->jump)) {  // jpeg_create_decompress itself can fail (out of memory)
    return Status::ResourceExhausted(std::string("jpeg: ") + ctx->message);
  }
  jpeg_create_decompress(&ctx->cinfo);
  JpegGuard guard{ctx.get()};
  ctx->cinfo.progress = &ctx->progress;

  if (!read_header(ctx.get(), bytes.data(), bytes.size())) {
    return Status::DataLoss(std::string("jpeg: corrupt or truncated file: ") + ctx->message);
  }
  const auto& ci = ctx->cinfo;
  TEAMVL_RETURN_IF_ERROR(check_image_size("jpeg", ci.image_width, ci.image_height, options));
  const bool cmyk = ci.out_color_space == JCS_CMYK;
  std::vector<uint8_t> exif =
      options.apply_exif_orientation ? find_exif(ci) : std::vector<uint8_t>{};

  TEAMVL_ASSIGN_OR_RETURN(RgbImage img, allocate_image(ci.image_width, ci.image_height));
  if (uses_stb_reconstruction(ci)) {
    TEAMVL_RETURN_IF_ERROR(decode_with_stb_reconstruction(ctx.get(), &img));
  } else {
    std::vector<uint8_t> cmyk_row(cmyk ? size_t{ci.image_width} * 4 : 0);
    if (!read_pixels(ctx.get(), img.pixels.data(), size_t{ci.image_width} * 3,
                     cmyk ? cmyk_row.data() : nullptr)) {
      return Status::DataLoss(std::string("jpeg: corrupt or truncated file: ") + ctx->message);
    }
  }
  int orientation = exif.empty() ? 1 : parse_exif_orientation(exif);
  if (orientation != 1) img = apply_exif_orientation(img, orientation);
  return img;
}

}  // namespace teamvl::engine::image_internal
