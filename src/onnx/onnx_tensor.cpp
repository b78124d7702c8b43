// TensorProto conversion. Layout: https://github.com/onnx/onnx/blob/main/docs/IR.md#tensor-definition and
// docs/ExternalData.md (external data: location, offset, length, relative to the model file).
#include "onnx/onnx_tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <fstream>

#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

struct Source {
  torch::ScalarType type;  // as stored
  size_t element_size;
};

Source source_of(const onnx::TensorProto& p, const std::string& who) {
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT:
      return {torch::kFloat32, 4};
    case onnx::TensorProto::FLOAT16:
      return {torch::kFloat16, 2};
    case onnx::TensorProto::BFLOAT16:
      return {torch::kBFloat16, 2};
    case onnx::TensorProto::DOUBLE:
      return {torch::kFloat64, 8};
    case onnx::TensorProto::INT64:
      return {torch::kInt64, 8};
    case onnx::TensorProto::INT32:
      return {torch::kInt32, 4};
    default:
      throw FormatError(fmt::format("{}: data type {} ({}) is not supported (float32, float16, bfloat16, double, "
                                    "int64, int32)",
                                    who, p.data_type(), onnx::TensorProto::DataType_Name(p.data_type())));
  }
}

std::string external_bytes(const onnx::TensorProto& p, const std::filesystem::path& model_dir, const std::string& who,
                           size_t expected) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& e : p.external_data()) {
    try {
      if (e.key() == "location") location = e.value();
      else if (e.key() == "offset") offset = std::stoll(e.value());
      else if (e.key() == "length") length = std::stoll(e.value());
    } catch (const std::exception&) {
      throw FormatError(fmt::format("{}: external data {} = '{}' is not a number", who, e.key(), e.value()));
    }
  }
  FV_CHECK(!location.empty(), FormatError, "{}: external data without a location", who);
  const std::filesystem::path rel(location);
  bool escapes = rel.is_absolute();
  for (const auto& part : rel) escapes = escapes || part == "..";
  FV_CHECK(!escapes, FormatError, "{}: external data location '{}' is outside the model's folder", who, location);
  const auto file = model_dir / rel;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: external data file '{}' is missing", who, file.string()));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<int64_t>(in.tellg());
  if (length < 0) length = size - offset;
  FV_CHECK(offset >= 0 && offset <= size && length >= 0 && length <= size - offset, FormatError,
           "{}: external data [{}, +{}) lies outside '{}' ({} bytes)", who, offset, length, file.string(), size);
  FV_CHECK(static_cast<size_t>(length) == expected, FormatError,
           "{}: external data holds {} bytes, the dimensions need {}", who, length, expected);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  FV_CHECK(in.good(), FormatError, "{}: could not read {} bytes of '{}'", who, length, file.string());
  return bytes;
}

// The typed repeated fields (when there is no raw_data).
torch::Tensor from_typed_fields(const onnx::TensorProto& p, const Source& s, int64_t numel, const std::string& who) {
  auto check = [&](int64_t n) {
    FV_CHECK(n == numel, FormatError, "{}: holds {} values, the dimensions need {}", who, n, numel);
  };
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT:
      check(p.float_data_size());
      return torch::from_blob(const_cast<float*>(p.float_data().data()), {numel}, torch::kFloat32).clone();
    case onnx::TensorProto::DOUBLE:
      check(p.double_data_size());
      return torch::from_blob(const_cast<double*>(p.double_data().data()), {numel}, torch::kFloat64).clone();
    case onnx::TensorProto::INT64:
      check(p.int64_data_size());
      return torch::from_blob(const_cast<int64_t*>(p.int64_data().data()), {numel}, torch::kInt64).clone();
    case onnx::TensorProto::INT32:
      check(p.int32_data_size());
      return torch::from_blob(const_cast<int32_t*>(p.int32_data().data()), {numel}, torch::kInt32).clone();
    default: {  // FLOAT16 / BFLOAT16: the bits in the low 16 bits of int32_data
      check(p.int32_data_size());
      auto bits = torch::empty({numel}, torch::kInt16);
      auto* out = bits.data_ptr<int16_t>();
      for (int64_t k = 0; k < numel; ++k) out[k] = static_cast<int16_t>(p.int32_data(static_cast<int>(k)) & 0xffff);
      return bits.view(s.type);
    }
  }
}

}  // namespace

torch::Tensor tensor_from_proto(const onnx::TensorProto& p, const std::filesystem::path& model_dir,
                                const std::string& where) {
  const std::string who = fmt::format("{}: tensor '{}'", where, p.name());
  const Source s = source_of(p, who);
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  int64_t numel = 1;
  for (int64_t d : dims) {
    FV_CHECK(d >= 0 && (d == 0 || numel <= (int64_t{1} << 40) / d), FormatError, "{}: dimensions [{}] are invalid",
             who, fmt::join(dims, ", "));
    numel *= d;
  }
  const size_t bytes_needed = static_cast<size_t>(numel) * s.element_size;
  torch::Tensor flat;
  if (p.data_location() == onnx::TensorProto::EXTERNAL || p.has_raw_data()) {
    const std::string bytes = p.data_location() == onnx::TensorProto::EXTERNAL
                                  ? external_bytes(p, model_dir, who, bytes_needed)
                                  : p.raw_data();
    FV_CHECK(bytes.size() == bytes_needed, FormatError, "{}: holds {} bytes, the dimensions [{}] need {}", who,
             bytes.size(), fmt::join(dims, ", "), bytes_needed);
    flat = torch::empty({numel}, s.type);
    if (bytes_needed) std::memcpy(flat.data_ptr(), bytes.data(), bytes_needed);  // little-endian, as the host
  } else {
    flat = from_typed_fields(p, s, numel, who);
  }
  const bool integral = s.type == torch::kInt64 || s.type == torch::kInt32;
  return flat.to(integral ? torch::kInt64 : torch::kFloat32).reshape(dims);
}

void tensor_to_proto(const torch::Tensor& tensor, const std::string& name, onnx::TensorProto* proto) {
  const auto t = tensor.detach().to(torch::kCPU).contiguous();
  FV_CHECK(t.scalar_type() == torch::kFloat32 || t.scalar_type() == torch::kInt64, DataError,
           "tensor '{}': only float32 and int64 are written, got {}", name, std::string(c10::toString(t.scalar_type())));
  proto->set_name(name);
  proto->set_data_type(t.scalar_type() == torch::kInt64 ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT);
  for (int64_t d : t.sizes()) proto->add_dims(d);
  proto->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), t.nbytes()));
}

}  // namespace fv
