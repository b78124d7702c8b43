// Training checkpoints (`checkpoint.fvc`): the whole training state — model, head, optimiser, step, loss
// scale and RNG — in one LibTorch archive written atomically, so that a killed run resumes exactly.
//
// Layout: "fv_checkpoint_meta" JSON {"format": "fv-checkpoint", "version": 1, "step", "epoch",
// "images_seen", "elapsed_seconds", "config_hash", "num_samples", "num_classes", "backbone": {...},
// "loss": "...", "loss_scale", "loss_scale_growth_tracker", "lambda", "classifier", "world_size", "created"}; "backbone", "head", "optimizer" (module/optimizer
// archives); "rng_cpu" (the CPU generator state, uint8 tensor).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace fv {

inline constexpr int kCheckpointVersion = 1;

struct CheckpointInfo {
  std::int64_t step = 0;            // optimisation steps done
  std::int64_t images_seen = 0;
  double elapsed_seconds = 0;       // training time over all sessions
  std::string config_hash;
  std::int64_t num_samples = 0;     // of the training set: a resume on other data is refused
  std::int64_t num_classes = 0;
  double loss_scale = 1.0;          // fp16 dynamic loss scale
  std::int64_t loss_scale_growth_tracker = 0;  // finite fp16 steps since the scale last changed
  double lambda = 0.0;              // L-Softmax lambda at `step` (informative: it is a function of the step)
  nlohmann::json backbone;          // to_json(BackboneOptions)
  std::string loss;                 // describe(HeadOptions)
  std::string classifier = "full";  // "full": the head is in this file; "sharded": in head-shard files of `step`
  std::int64_t world_size = 1;      // ranks of the run that wrote it (informative: any number may resume)
};

// Writes `path` atomically (temporary file, fsync, rename): a crash leaves the previous checkpoint intact.
// Tensors are stored from the CPU. Throws IoError naming the file.
void save_checkpoint(const std::filesystem::path& path, const CheckpointInfo& info, torch::nn::Module& backbone,
                     torch::nn::Module& head, torch::optim::Optimizer* optimizer);

// Restores `backbone`, `head` and (when not null) `optimizer` and the CPU RNG from `path`; returns the info.
// Tensors are read onto `device` (the training device, where the optimiser state must live).
// The modules must have the checkpoint's architecture. Throws IoError (unreadable) or FormatError (not a
// checkpoint, unknown version, missing or misshaped tensor: the message names the file and the tensor).
CheckpointInfo load_checkpoint(const std::filesystem::path& path, torch::nn::Module& backbone,
                               torch::nn::Module& head, torch::optim::Optimizer* optimizer,
                               torch::Device device = torch::kCPU);

// Only the metadata.
CheckpointInfo read_checkpoint_info(const std::filesystem::path& path);

// The two-stage recipe (SM-Softmax paper: softmax pre-training, then the margin loss): copies the backbone
// and the head's class weights from `path` (a checkpoint) into fresh modules; head tensors present in only
// one of them (bias, alpha) keep their fresh values. Throws FormatError when a shape differs (e.g. another
// number of classes), naming the tensor.
void init_from_checkpoint(const std::filesystem::path& path, torch::nn::Module& backbone, torch::nn::Module& head);

}  // namespace fv
