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
    const std::filesystem::path output(config.output);
    // Rank 0 writes the run's files; the other ranks of a distributed job keep a log of their own.
    if (trainer.rank() == 0) options.write_resolved(output / "config.ini");
    fv::log::set_file(output / (trainer.rank() == 0 ? "train.log" : fmt::format("train.rank{}.log", trainer.rank())));
    const fv::TrainSummary s = trainer.run();
    if (s.interrupted) return static_cast<int>(fv::kExitInterrupted);
    fv::log::info("done: {} steps, {:.1f} img/s, model {}{}{}", s.step, s.images_per_second, s.model_file.string(),
                  s.test_error >= 0 ? fmt::format(", test error {:.2f}%", 100 * s.test_error) : "",
                  s.val_accuracy >= 0 ? fmt::format(", verification {:.2f}%", 100 * s.val_accuracy) : "");
    return 0;
  });
}
