// `teamvl embed-image`: runs the vision encoder of an mmproj file on one image
// (or one PDF page) and writes the embedding rows, llama.cpp's layout:
//   teamvl embed-image --mmproj P --image F [--out F.bin] [--max-side N]
//                      [--threads T] [--page N] [--json]
// --json prints {"n_tokens":…, "dim":…, "grid":[x,y]} (plus timing and the
// resized size); --out gets n_tokens rows of dim little-endian float32.
#pragma once

#include <string>
#include <vector>

namespace teamvl::app {

// Returns the exit code: 0 ok, 1 runtime failure (unreadable, corrupt or
// unsupported mmproj / image / PDF, cannot write --out), 2 bad usage.
int run_embed_image(const std::vector<std::string>& args);

}  // namespace teamvl::app
