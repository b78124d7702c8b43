// Dotted-name tensor reads from nested module archives.
#include "model/archive_io.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <deque>

#include "core/check.h"
#include "core/error.h"

namespace fv {

bool read_module_tensor(torch::serialize::InputArchive& root, const std::string& name, torch::Tensor& target,
                        bool is_buffer, const std::string& where) {
  std::deque<torch::serialize::InputArchive> chain;  // stable addresses
  torch::serialize::InputArchive* node = &root;
  std::string rest = name;
  for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
    chain.emplace_back();
    if (!node->try_read(rest.substr(0, dot), chain.back())) return false;
    node = &chain.back();
    rest = rest.substr(dot + 1);
  }
  torch::Tensor value;
  if (!node->try_read(rest, value, is_buffer)) return false;
  FV_CHECK(value.sizes() == target.sizes(), FormatError, "{}: '{}' has shape [{}], expected [{}]", where, name,
           fmt::join(value.sizes(), ", "), fmt::join(target.sizes(), ", "));
  torch::NoGradGuard no_grad;
  target.copy_(value);
  return true;
}

}  // namespace fv
