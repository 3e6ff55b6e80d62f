// GIF via giflib: the first frame only, painted on a black canvas of the
// logical screen size; transparent pixels stay black (as stb_image does).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <gif_lib.h>

#include "engine/image/decoders.h"

namespace teamvl::engine::image_internal {
namespace {

struct GifSource {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
};

int on_read(GifFileType* gif, GifByteType* out, int length) {
  auto* src = static_cast<GifSource*>(gif->UserData);
  size_t n = std::min(static_cast<size_t>(std::max(length, 0)), src->bytes.size() - src->pos);
  std::memcpy(out, src->bytes.data() + src->pos, n);
  src->pos += n;
  return static_cast<int>(n);
}

struct GifCloser {
  GifFileType* gif;
  ~GifCloser() {
    int err = 0;
    if (gif) DGifCloseFile(gif, &err);
  }
};

Status gif_error(int code) {
  const char* text = GifErrorString(code);
  return Status::DataLoss(std::string("gif: corrupt or truncated file: ") +
                          (text ? text : "unknown error"));
}

// Skips extension blocks up to the first image descriptor, remembering the
// transparent colour index of a Graphic Control Extension (-1 if none).
Status seek_first_frame(GifFileType* gif, int* transparent) {
  *transparent = NO_TRANSPARENT_COLOR;
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) return gif_error(gif->Error);
    if (type == IMAGE_DESC_RECORD_TYPE) return Status::Ok();
    if (type == TERMINATE_RECORD_TYPE) return Status::DataLoss("gif: file has no image");
    if (type != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) return gif_error(gif->Error);
    if (code == GRAPHICS_EXT_FUNC_CODE && block && block[0] >= 4) {
      GraphicsControlBlock gcb;
      if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK)
        *transparent = gcb.TransparentColor;
    }
    while (block) {
      if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) return gif_error(gif->Error);
    }
  }
}

// Decodes the rows (interlaced or not) of the frame whose descriptor was just
// read onto the canvas; pixels outside the canvas are dropped.
Status paint_frame(GifFileType* gif, int transparent, RgbImage* canvas) {
  const GifImageDesc& d = gif->Image;
  const ColorMapObject* map = d.ColorMap ? d.ColorMap : gif->SColorMap;
  if (!map || !map->Colors) return Status::DataLoss("gif: frame has no color map");
  if (d.Width <= 0 || d.Height <= 0) return Status::DataLoss("gif: frame has an empty size");
  std::vector<GifPixelType> line(d.Width);
  static constexpr int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
  const int passes = d.Interlace ? 4 : 1;
  for (int p = 0; p < passes; ++p) {
    for (int row = d.Interlace ? kStart[p] : 0; row < d.Height; row += d.Interlace ? kStep[p] : 1) {
      if (DGifGetLine(gif, line.data(), d.Width) == GIF_ERROR) return gif_error(gif->Error);
      const int y = d.Top + row;
      if (y < 0 || y >= canvas->height) continue;
      for (int col = 0; col < d.Width; ++col) {
        const int x = d.Left + col;
        if (x < 0 || x >= canvas->width || line[col] == transparent) continue;
        if (line[col] >= map->ColorCount) continue;
        const GifColorType& c = map->Colors[line[col]];
        uint8_t* out = canvas->pixel(x, y);
        out[0] = c.Red, out[1] = c.Green, out[2] = c.Blue;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<RgbImage> decode_gif(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  GifSource src{bytes};
  int err = 0;
  GifCloser closer{DGifOpen(&src, on_read, &err)};
  if (!closer.gif) return gif_error(err);
  GifFileType* gif = closer.gif;
  TEAMVL_RETURN_IF_ERROR(check_image_size("gif", gif->SWidth, gif->SHeight, options));
  int transparent = NO_TRANSPARENT_COLOR;
  TEAMVL_RETURN_IF_ERROR(seek_first_frame(gif, &transparent));
  TEAMVL_ASSIGN_OR_RETURN(RgbImage img, allocate_image(gif->SWidth, gif->SHeight));
  // The frame size is checked too: LZW work grows with it even off-canvas.
  if (DGifGetImageDesc(gif) == GIF_ERROR) return gif_error(gif->Error);
  TEAMVL_RETURN_IF_ERROR(check_image_size("gif", gif->Image.Width, gif->Image.Height, options));
  TEAMVL_RETURN_IF_ERROR(paint_frame(gif, transparent, &img));
  return img;
}

}  // namespace teamvl::engine::image_internal
