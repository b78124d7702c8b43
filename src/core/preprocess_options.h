// A model's input convention: size, colour and normalisation of the images it was trained on. Stored in the
// model file (model/model_file.h) and applied by dataset/preprocess.h.
#pragma once

#include <array>

namespace fv {

// What a model expects; stored in the model file so that embedding preprocesses exactly as training did.
struct PreprocessOptions {
  int width = 112;
  int height = 112;
  int channels = 3;                                // 3: RGB, 1: grey (ITU-R 601 luma)
  std::array<float, 3> mean{127.5f, 127.5f, 127.5f};  // input = (pixel - mean) / std, pixel in [0, 255]
  std::array<float, 3> std{127.5f, 127.5f, 127.5f};

  // width x height x channels, the same mean and std for every channel.
  static PreprocessOptions uniform(int width, int height, int channels, float mean, float std);
  // The conventions of the model families the product reads (the README's preprocessing table):
  // insightface's recognition models: RGB 112x112, (pixel - 127.5) / 127.5 (the defaults above);
  static PreprocessOptions insightface() { return {}; }
  // dlib's face recognition ResNet (face-api.js FaceRecognitionNet): RGB 150x150, (pixel - mean RGB) / 255.
  static PreprocessOptions dlib_resnet();
};

}  // namespace fv
