// fv-train: trains a backbone with a margin loss and writes a model file for fv-embed.
#include <fmt/format.h>

#include "core/cli.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "train/train_config.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-train", [&] {
    fv::TrainConfig config;
    fv::OptionSet options("fv-train",
                          "train a face (or MNIST/CIFAR) network with softmax, L-Softmax, A-Softmax, L2-softmax, "
                          "SM-Softmax, CosFace or ArcFace; writes <output>/model.fvm");
    config.bind(options);
    if (!options.parse(argc, argv)) return 0;
    config.finalize();
    fv::Trainer trainer(config, options.hash());
    options.write_resolved(std::filesystem::path(config.output) / "config.ini");
    fv::log::set_file((std::filesystem::path(config.output) / "train.log").string());
    const fv::TrainSummary s = trainer.run();
    if (s.interrupted) return static_cast<int>(fv::kExitInterrupted);
    fv::log::info("done: {} steps, {:.1f} img/s, model {}{}{}", s.step, s.images_per_second, s.model_file.string(),
                  s.test_error >= 0 ? fmt::format(", test error {:.2f}%", 100 * s.test_error) : "",
                  s.val_accuracy >= 0 ? fmt::format(", verification {:.2f}%", 100 * s.val_accuracy) : "");
    return 0;
  });
}
