#include "core/batch_buffer.h"

#include <vector>

namespace fv {

BatchBuffer heap_batch_buffer(std::size_t floats) {
  auto storage = std::make_shared<std::vector<float>>(floats);
  float* data = storage->data();
  return {std::move(storage), data};
}

}  // namespace fv
