// End-to-end IJB-C-scale fv-eval benchmark: synthetic embeddings, template map and 15.6M-pair list, then
// one evaluation (read HDF5, parse, pool templates, score pairs, ROC, TAR@FAR, reports); prints the time of
// each phase and the evaluation's peak resident memory.
//
//   fv_eval_ijbc_benchmark --bench.workdir /tmp/ijbc-bench [--bench.templates 23124 --bench.pairs 15658489
//                          --bench.dim 512 --bench.images_per_template 8 --bench.threads 0]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <random>

#include "common/machine_info.h"
#include "core/cli.h"
#include "formats/embedding_store.h"
#include "core/logging.h"
#include "core/options.h"
#include "core/runtime.h"
#include "eval/run_eval.h"

namespace {

struct BenchConfig {
  std::string workdir;
  std::int64_t templates = 23124;    // IJB-C 1:1 templates
  std::int64_t pairs = 15658489;     // IJB-C 1:1 pairs (19,557 genuine)
  std::int64_t positives = 19557;
  std::int64_t subjects = 3531;      // IJB-C subjects
  int dim = 512;
  int images_per_template = 8;       // mean; uniform in [1, 2 * mean - 1]
  int medias_per_template = 3;       // images spread over up to this many media
  double noise = 6.0;                // per-image noise around the subject's direction
  int threads = 0;
  bool plot = true;
  int seed = 1;
  void bind(fv::OptionSet& o) {
    o.add("bench.workdir", &workdir, "folder for the synthetic inputs and the report (required)");
    o.add("bench.templates", &templates, "number of templates");
    o.add("bench.pairs", &pairs, "number of template pairs");
    o.add("bench.positives", &positives, "number of same-subject pairs among them");
    o.add("bench.subjects", &subjects, "number of subjects");
    o.add("bench.dim", &dim, "embedding dimension");
    o.add("bench.images_per_template", &images_per_template, "mean images per template");
    o.add("bench.medias_per_template", &medias_per_template, "media per template (at most)");
    o.add("bench.noise", &noise, "image noise (standard deviation per dimension, subject centre ~ N(0, 1))");
    o.add("bench.threads", &threads, "scoring threads (0: all cores)");
    o.add("bench.plot", &plot, "draw the ROC with gnuplot");
    o.add("bench.seed", &seed, "random seed");
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void generate(const BenchConfig& c) {
  namespace fs = std::filesystem;
  fs::create_directories(c.workdir);
  std::mt19937_64 rng(static_cast<std::uint64_t>(c.seed));
  std::normal_distribution<float> normal;
  std::vector<float> centres(static_cast<std::size_t>(c.subjects * c.dim));
  for (auto& x : centres) x = normal(rng);
  const fs::path h5 = fs::path(c.workdir) / "ijbc.h5";
  fs::remove(h5);
  fs::remove(fv::EmbeddingWriter::partial_path(h5));
  fv::EmbeddingAttributes attrs;
  attrs.embedding_dim = c.dim;
  attrs.model_hash = "synthetic";
  attrs.config_hash = fmt::format("bench-seed-{}", c.seed);
  fv::EmbeddingWriter::Options wopt;
  wopt.chunk_rows = 4096;
  fv::EmbeddingWriter writer(h5, attrs, wopt);
  std::FILE* map = std::fopen((fs::path(c.workdir) / "tid_mid.txt").c_str(), "w");
  std::uniform_int_distribution<int> count(1, 2 * c.images_per_template - 1);
  std::uniform_int_distribution<int> media(0, c.medias_per_template - 1);
  std::vector<float> rows;
  std::vector<std::string> ids;
  std::int64_t image = 0;
  for (std::int64_t t = 0; t < c.templates; ++t) {
    const std::int64_t subject = t % c.subjects;
    const int n = count(rng);
    for (int i = 0; i < n; ++i, ++image) {
      for (int j = 0; j < c.dim; ++j) {
        rows.push_back(centres[static_cast<std::size_t>(subject * c.dim + j)] + static_cast<float>(c.noise) * normal(rng));
      }
      ids.push_back(fmt::format("{}.jpg", image));
      std::fprintf(map, "%lld.jpg %lld %lld\n", static_cast<long long>(image), static_cast<long long>(t),
                   static_cast<long long>(t * 100 + media(rng)));
      if (ids.size() == 4096) {
        writer.append(rows, ids);
        rows.clear();
        ids.clear();
      }
    }
  }
  if (!ids.empty()) writer.append(rows, ids);
  writer.finish();
  std::fclose(map);
  std::FILE* pairs = std::fopen((fs::path(c.workdir) / "pairs.txt").c_str(), "w");
  std::uniform_int_distribution<std::int64_t> any(0, c.templates - 1);
  const std::int64_t per_subject = c.templates / c.subjects;
  std::uniform_int_distribution<std::int64_t> k(0, std::max<std::int64_t>(0, per_subject - 1));
  for (std::int64_t p = 0; p < c.pairs; ++p) {
    std::int64_t a = any(rng);
    std::int64_t b = 0;
    int same = 0;
    if (p < c.positives) {  // another template of a's subject
      b = (a % c.subjects) + c.subjects * k(rng);
      if (b == a) b = (a + c.subjects) % (c.subjects * per_subject);
      same = 1;
    } else {
      do {
        b = any(rng);
      } while (b % c.subjects == a % c.subjects);
    }
    std::fprintf(pairs, "%lld %lld %d\n", static_cast<long long>(a), static_cast<long long>(b), same);
  }
  std::fclose(pairs);
  fv::log::info("generated {} images, {} templates, {} pairs in {}", image, c.templates, c.pairs, c.workdir);
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv_eval_ijbc_benchmark", [&] {
    fv::OptionSet o("fv_eval_ijbc_benchmark", "IJB-C-scale end-to-end evaluation benchmark (synthetic data)");
    BenchConfig c;
    c.bind(o);
    if (!o.parse(argc, argv)) return 0;
    if (c.workdir.empty()) throw fv::ConfigError("config key 'bench.workdir' is required");
    fv::bench::print_machine_line(std::to_string(fv::resolve_threads(c.threads)));
    auto t0 = std::chrono::steady_clock::now();
    generate(c);
    const double gen_s = seconds_since(t0);
    fv::eval::EvalConfig e;
    e.protocol = fv::eval::EvalProtocol::kIjbc;
    e.embeddings = (std::filesystem::path(c.workdir) / "ijbc.h5").string();
    e.pairs = (std::filesystem::path(c.workdir) / "pairs.txt").string();
    e.ijb_template_media = (std::filesystem::path(c.workdir) / "tid_mid.txt").string();
    e.output = (std::filesystem::path(c.workdir) / "report").string();
    e.name = "synthetic-ijbc";
    e.plot = c.plot;
    e.validate();
    // The evaluation runs in a child process so that its peak memory is measured alone.
    const pid_t child = fork();
    if (child == 0) {
      const auto t1 = std::chrono::steady_clock::now();
      const auto report = fv::eval::run_eval(e, o.hash(), o.resolved_ini());
      std::cout << fv::eval::headline(report) << "\n";
      const double eval_s = seconds_since(t1);
      std::cout << fmt::format("evaluation wall time: {:.2f} s ({:.0f} pairs/s end to end)\n", eval_s, c.pairs / eval_s);
      std::cout.flush();
      fv::bench::print_result("eval", "fv_eval_ijbc_benchmark",
                              fmt::format("IJB-C-scale end to end: {} templates, {} pairs, D={}", c.templates, c.pairs, c.dim),
                              c.pairs / eval_s, "pairs/s", fv::resolve_threads(c.threads));
      std::fflush(stdout);
      _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    std::cout << fmt::format(
        "machine: {} cores available, scoring threads {}; templates {}, pairs {}, dim {}; data generation {:.1f} s; "
        "evaluation peak RSS {:.0f} MiB, CPU user {:.1f} s sys {:.1f} s\n",
        fv::available_cores(), fv::resolve_threads(c.threads), c.templates, c.pairs, c.dim, gen_s,
        usage.ru_maxrss / 1024.0, usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6,
        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  });
}
