// The trainer's validation: the sets opened at the start (rank 0), a validation pass logged per set, the best
// model kept for train.keep_best, and the metadata of the model files.
#include <fmt/format.h>

#include "core/logging.h"
#include "train/trainer_state.h"

namespace fv {

void Trainer::State::open_validation() {
  const ValidationConfig& v = config.validation;
  if (v.pairs.empty() && v.bins.empty()) return;
  validator = std::make_unique<Validator>(v, eval_settings());
  log::info("validation on {} {}{}{}", join_names(validator->names(), ", "),
            v.every_steps > 0 ? fmt::format("every {} steps and at the end", v.every_steps) : std::string("at the end"),
            v.bins.empty() ? "" : "; .bin sets embedded with flip-sum, as insightface",
            v.keep_best.empty() ? "" : fmt::format("; model.best.fvm kept for the highest accuracy on {}", v.keep_best));
}

void Trainer::State::restore_validation() {
  validator->restore(journal->path());
  const auto path = best_model_path(config.output);
  std::error_code ec;
  if (config.validation.keep_best.empty() || !std::filesystem::is_regular_file(path, ec)) return;
  const nlohmann::json record = read_model_meta(path).provenance.value("best", nlohmann::json::object());
  if (record.value("set", std::string()) != config.validation.keep_best) return;  // kept for another set: replaced
  best = {record.value("set", std::string()), record.value("accuracy", -1.0), record.value("step", std::int64_t{-1})};
  log::info("{}: the best so far on {} is {:.2f}% at step {}", path.string(), best.set, 100 * best.accuracy, best.step);
}

ModelMeta Trainer::State::model_meta() const {
  ModelMeta meta;
  meta.backbone = backbone->options();
  meta.preprocess = preprocess;
  meta.producer = "fv-train";
  meta.provenance = {{"loss", describe(config.head)},     {"steps", step},
                     {"config_hash", config_hash},        {"num_classes", config.head.num_classes()},
                     {"train_data", config.data.input},   {"images_seen", images_seen}};
  return meta;
}

double Trainer::State::run_validation(const char* when) {
  const ValidationConfig& v = config.validation;
  if (v.pairs.empty() && v.bins.empty()) return -1.0;
  double first = -1.0;
  if (validator) {  // rank 0; the others wait at the barrier
    for (const ValidationResult& r : validator->run(backbone)) {
      log::info("validation ({}) at step {}: {} {:.2f}% +- {:.2f}% (highest so far {:.2f}%), threshold {:.3f}, {} pairs, "
                "{:.1f} s",
                when, step, r.set, 100 * r.accuracy, 100 * r.accuracy_std, 100 * r.best, r.threshold, r.pairs,
                r.seconds);
      record(nlohmann::json{{"event", "validation"}, {"when", when},        {"step", step}, {"set", r.set},
                            {"accuracy", r.accuracy}, {"std", r.accuracy_std}, {"threshold", r.threshold},
                            {"best", r.best},         {"pairs", r.pairs},    {"seconds", r.seconds}});
      if (first < 0) first = r.accuracy;
      last_validation[r.set] = r;
      if (r.set == v.keep_best && r.accuracy > best.accuracy) {
        ModelMeta meta = model_meta();
        meta.provenance["best"] = {{"set", r.set}, {"accuracy", r.accuracy}, {"std", r.accuracy_std}, {"step", step}};
        save_model_file(best_model_path(config.output), meta, *backbone);
        best = {r.set, r.accuracy, step};
        log::info("{}: the best so far on {} ({:.2f}% at step {})", best_model_path(config.output).string(), r.set,
                  100 * r.accuracy, step);
      }
    }
    if (curves && step < total_steps) curves->draw();
  }
  if (distributed()) comm->barrier();
  return first;
}

}  // namespace fv
