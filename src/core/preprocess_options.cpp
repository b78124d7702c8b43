#include "core/preprocess_options.h"

namespace fv {

PreprocessOptions PreprocessOptions::uniform(int width, int height, int channels, float mean, float std) {
  PreprocessOptions p;
  p.width = width;
  p.height = height;
  p.channels = channels;
  p.mean = {mean, mean, mean};
  p.std = {std, std, std};
  return p;
}

PreprocessOptions PreprocessOptions::dlib_resnet() {
  // FaceRecognitionNet.ts: normalize(batchTensor, [122.782, 117.001, 104.298]).div(255), RGB, 150x150.
  PreprocessOptions p = uniform(150, 150, 3, 0, 255);
  p.mean = {122.782f, 117.001f, 104.298f};
  return p;
}

}  // namespace fv
