// The subcommands of fv-import, one per source format; each parses its own options (argv[0] = its name).
#pragma once

namespace fv {

// fv-import dlib: dlib's face descriptor from TensorFlow.js weights (dlib_command.cpp).
int run_dlib_command(int argc, char** argv);
// fv-import onnx: an ONNX recognition network (onnx_command.cpp; built with ONNX, FV_WITH_ONNX).
int run_onnx_command(int argc, char** argv);

}  // namespace fv
