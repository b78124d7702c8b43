// ONNX TensorProto <-> LibTorch tensors: the weights of an ONNX model (its initializers and Constant values).
#pragma once

#include <onnx/onnx_pb.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace fv {

// The tensor `proto` holds, as float32 (FLOAT, FLOAT16, BFLOAT16 and DOUBLE are converted) or int64 (INT64,
// INT32), on the CPU. Data may be inline (raw_data or the typed fields) or external: then `model_dir` is the
// folder of the .onnx file and each location is read relative to it.
// Throws FormatError naming `where` and the tensor for: an unsupported data type, a byte count that does not
// match the dimensions, an external location that is absolute or leaves the model's folder, an offset or
// length outside the file; IoError naming the missing external file.
torch::Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::filesystem::path& model_dir,
                                const std::string& where);

// Fills `proto` with `tensor` (float32 or int64, any device) as raw little-endian data under `name`.
void tensor_to_proto(const torch::Tensor& tensor, const std::string& name, onnx::TensorProto* proto);

}  // namespace fv
