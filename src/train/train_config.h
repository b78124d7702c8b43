// fv-train's typed configuration: data, model, loss, optimiser, schedule, checkpoints, logging, validation.
// Every number that changes a result is a key here; the resolved config is written next to the run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"
#include "dataset/preprocess.h"
#include "model/backbone.h"
#include "model/device_memory.h"
#include "model/torch_runtime.h"
#include "train/head_options.h"
#include "train/lr_schedule.h"

namespace fv {

// How data.input (and data.test_input) is read. auto: .rec -> recordio, *idx3-ubyte[.gz] -> mnist (labels
// from data.labels), folder -> identity folders, else a list file.
enum class DataKind { kAuto, kFolder, kList, kMnist, kRecordIO };
const EnumNames<DataKind>& data_kind_names();

enum class OptimizerKind { kSgd, kAdamW };
const EnumNames<OptimizerKind>& optimizer_kind_names();

// Mixed precision (CUDA only): off, bf16 autocast, or fp16 autocast with dynamic loss scaling. The head's
// logits and the cross-entropy always run in fp32.
enum class AmpMode { kOff, kBf16, kFp16 };
const EnumNames<AmpMode>& amp_mode_names();

// The classifier over the identities. full: one ClassifierHead (every loss), replicated on every rank.
// sharded: Partial FC, each rank holds num_classes / WORLD_SIZE of the class weights and the features of the
// global batch are all-gathered (for very large class counts; no bias, no l2softmax).
enum class ClassifierMode { kFull, kSharded };
const EnumNames<ClassifierMode>& classifier_mode_names();

// Data parallelism over torchrun-style processes (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
struct DistConfig {
  double bucket_mb = 25.0;       // gradient all-reduce bucket size (PyTorch DDP's default)
  double timeout_minutes = 30;   // rendezvous and collectives (rank 0 validating keeps the others waiting)
};

struct DataConfig {
  std::string input;                 // training set
  DataKind kind = DataKind::kAuto;
  std::string labels;                // MNIST labels file (idx1-ubyte[.gz])
  std::string test_input;            // optional held-out classification set (same kinds), for test error
  std::string test_labels;
  std::int64_t test_limit = 0;       // evaluate only the first N test samples (0 = all)
  std::vector<std::string> mean{"127.5"};  // 1 or 3 values (per channel), pixel units
  std::vector<std::string> std{"127.5"};
  bool flip = true;                  // random horizontal flip
  int crop_padding = 0;              // random translation by up to this many pixels
  int loader_threads = 0;            // decoding threads (0 = the trainer's thread count)
  int prefetch = 4;                  // batches prepared ahead
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::kSgd;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  bool nesterov = false;
  double beta1 = 0.9;   // adamw
  double beta2 = 0.999;
  double eps = 1e-8;
  double clip_grad_norm = 0.0;  // 0 = off; else the global L2 norm of all gradients is clipped to it
};

struct CheckpointConfig {
  std::int64_t every_steps = 1000;  // 0 = off
  double every_minutes = 10.0;      // 0 = off
};

struct ValidationConfig {
  std::string pairs;        // optional LFW-style pairs.txt, verified every `every_steps` and at the end
  std::string root;         // folder holding the pair images (ids relative to it)
  std::string id_prefix;    // as fv-eval: id = prefix + Name/Name_%04d + extension
  std::string id_extension = ".jpg";
  std::vector<std::string> bins;  // insightface .bin sets (lfw.bin, cfp_fp.bin, ...), each named by its stem
  std::int64_t every_steps = 0;  // 0: only at the end
  int folds = 10;
  std::string keep_best;  // keep model.best.fvm for the highest accuracy on this set ("pairs" or a .bin's stem)
};

struct TrainConfig {
  int threads = 0;
  DeviceKind device = DeviceKind::kAuto;
  std::string output;       // run folder: checkpoint.fvc, model.fvm, train.jsonl, config.ini, ...
  bool resume = false;      // continue from output/checkpoint.fvc
  std::string init_from;    // two-stage recipe: start from this checkpoint's weights (step 0, fresh optimiser)
  std::uint64_t seed = 1;

  DataConfig data;
  BackboneOptions model{BackboneKind::kIResNet50};
  HeadOptions head{0, 0};
  OptimizerConfig optimizer;
  LrScheduleOptions schedule;
  std::vector<std::string> milestones;  // bound to train.lr_milestones, parsed into schedule.milestones
  std::int64_t steps = 0;   // total optimisation steps (0: from epochs)
  double epochs = 0;        // total epochs when steps = 0
  int batch_size = 128;     // images per step over all ranks (each rank takes batch_size / WORLD_SIZE)
  AmpMode amp = AmpMode::kOff;
  ClassifierMode classifier = ClassifierMode::kFull;
  double sample_rate = 1.0;  // Partial FC: fraction of each shard's classes per step (positives always kept)
  DistConfig dist;
  MemoryFormatMode memory_format = MemoryFormatMode::kAuto;  // of images and convolution weights
  bool cudnn_benchmark = true;  // let cuDNN time its algorithms for the (fixed) input shape
  double max_loss = 1e4;    // a finite loss above this also counts as diverged
  CheckpointConfig checkpoint;
  ValidationConfig validation;
  std::int64_t log_every_steps = 20;
  std::string test_features;  // optional CSV of test-set features (label, f0, f1, ...) written at the end
  bool plot = true;           // draw curves.png (fv_plot) at checkpoints and at the end; no gnuplot: a warning
  std::string gnuplot = "gnuplot";

  void bind(OptionSet& options);
  // Parses lists, fills derived fields and validates. Throws ConfigError naming the key.
  void finalize();

  PreprocessOptions preprocess() const;  // from data.mean/std and the resolved model input
  AugmentOptions augment() const;
};

}  // namespace fv
