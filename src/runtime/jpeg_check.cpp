/// check_jpeg_strict with libjpeg(-turbo); setjmp/longjmp is libjpeg's error model, so this
/// file keeps to C objects between the two.
#include "runtime/jpeg_check.h"

#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <string>

namespace edgetier {
namespace {

struct StrictErrors {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<StrictErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning (the data is damaged); levels >= 0 are trace output.
void on_message(j_common_ptr info, int level) {
  if (level < 0) fail(info);
}

}  // namespace

Status check_jpeg_strict(std::string_view encoded) {
  jpeg_decompress_struct info;
  StrictErrors errors;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = fail;
  errors.manager.emit_message = on_message;
  errors.message[0] = '\0';
  if (setjmp(errors.jump) != 0) {
    jpeg_destroy_decompress(&info);
    return invalid_argument("JPEG is truncated or corrupt (" + std::string(errors.message) + ", " +
                            std::to_string(encoded.size()) + " bytes); send the whole file");
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(encoded.data()),
               static_cast<unsigned long>(encoded.size()));
  jpeg_read_header(&info, TRUE);
  info.scale_num = 1;
  info.scale_denom = 8;
  info.dct_method = JDCT_IFAST;
  info.do_fancy_upsampling = FALSE;
  jpeg_start_decompress(&info);
  JSAMPARRAY row = (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE,
                                             info.output_width * info.output_components, 1);
  while (info.output_scanline < info.output_height) jpeg_read_scanlines(&info, row, 1);
  jpeg_finish_decompress(&info);  // reads up to EOI: damage after the last row shows here
  jpeg_destroy_decompress(&info);
  return ok_status();
}

}  // namespace edgetier
