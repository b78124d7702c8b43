// fv-align throughput: images/s for decode, detect, landmarks, warp and encode on 250x250 LFW-like images,
// per stage on one thread and end to end on 1..N threads (images/s total and per thread).
//
// Usage: fv_align_bench [--image PATH] [--count N] [--threads-max T] [--upsample U]
// The default image is python3-skimage's astronaut.png cropped to 250x250 around the face (~90 px face,
// like LFW's 250x250 crops). Each thread runs its own detector; the 68-point model is shared.
#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "align/face_aligner.h"
#include "face/image_io.h"
#include "face/warp.h"
#include "common/machine_info.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/runtime.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv_align_bench", [&] {
    std::string image = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
    int count = 200, threads_max = fv::available_cores(), upsample = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string key = argv[i];
      if (key == "--image") image = argv[i + 1];
      else if (key == "--count") count = std::atoi(argv[i + 1]);
      else if (key == "--threads-max") threads_max = std::atoi(argv[i + 1]);
      else if (key == "--upsample") upsample = std::atoi(argv[i + 1]);
      else throw fv::ConfigError("unknown option " + key + " (--image, --count, --threads-max, --upsample)");
    }
    const cv::Mat full = cv::imread(image, cv::IMREAD_COLOR);
    FV_CHECK(!full.empty(), fv::IoError, "cannot read '{}'", image);
    cv::Mat face = full.cols >= 346 && full.rows >= 250 ? full(cv::Rect(96, 0, 250, 250)).clone() : full;
    if (face.cols != 250 || face.rows != 250) cv::resize(face, face, cv::Size(250, 250));
    // Distinct inputs: brightness variants and mirror images, encoded as JPEG like a dataset's files.
    std::vector<std::string> files;
    for (int i = 0; i < 16; ++i) {
      cv::Mat v;
      face.convertTo(v, -1, 1.0, 4.0 * i - 30);
      if (i % 2) cv::flip(v, v, 1);
      files.push_back(fv::encode_image(v, fv::ImageFormat::kJpeg, 95, 3));
    }

    fv::AlignConfig config;
    config.upsample = upsample;
    const fv::FaceTemplate target = fv::template_from_config(config);
    const auto predictor = fv::LandmarkPredictor::create_dlib(fv::find_landmark_model(""));
    const auto prototype = fv::FaceDetector::create(config.detector_options());
    fv::bench::print_machine_line(threads_max > 1 ? "1.." + std::to_string(threads_max) : "1");
    fmt::print("fv_align_bench: {} images of 250x250 (from {}), detector: {}, cores available: {}\n", count, image,
               prototype->describe(), fv::available_cores());

    // Per-stage times on one thread.
    {
      auto detector = prototype->clone();
      double t_decode = 0, t_detect = 0, t_landmarks = 0, t_warp = 0, t_encode = 0;
      int found = 0;
      for (int i = 0; i < count; ++i) {
        auto t = Clock::now();
        const fv::DecodedImage d = fv::decode_image_bytes(files[i % files.size()], config.decode_limits());
        t_decode += seconds_since(t);
        t = Clock::now();
        const auto boxes = detector->detect(d.bgr);
        t_detect += seconds_since(t);
        if (boxes.empty()) continue;
        ++found;
        t = Clock::now();
        const fv::Landmarks5 five = fv::five_from_68(predictor->predict(d.bgr, boxes[0]));
        t_landmarks += seconds_since(t);
        t = Clock::now();
        const cv::Mat aligned = fv::warp_to_template(d.bgr, five, target, config.fit_weights());
        t_warp += seconds_since(t);
        t = Clock::now();
        const std::string jpg = fv::encode_image(aligned, fv::ImageFormat::kJpeg, 95, 3);
        t_encode += seconds_since(t);
      }
      const double n = count;
      fmt::print("one thread, ms per image: decode {:.3f}  detect {:.2f}  landmarks {:.2f}  warp {:.3f}  encode {:.3f}"
                 "  (faces found {}/{})\n",
                 1e3 * t_decode / n, 1e3 * t_detect / n, 1e3 * t_landmarks / std::max(found, 1),
                 1e3 * t_warp / std::max(found, 1), 1e3 * t_encode / std::max(found, 1), found, count);
    }

    // End to end (decode + detect + landmarks + warp + encode) on 1..threads_max threads.
    double single = 0;
    for (int threads = 1; threads <= threads_max; ++threads) {
      std::atomic<int> next{0};
      std::atomic<int> ok{0};
      const auto start = Clock::now();
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
          fv::FaceAligner aligner(config, target, prototype->clone(), predictor);
          fv::InputItem item;
          for (int i; (i = next.fetch_add(1)) < count;) {
            const fv::DecodedImage d = fv::decode_image_bytes(files[i % files.size()], config.decode_limits());
            const auto faces = aligner.process_image(item, d.bgr);
            if (!faces.empty() && faces[0].row.status == fv::AlignStatus::kOk) ++ok;
          }
        });
      }
      for (auto& t : pool) t.join();
      const double s = seconds_since(start);
      const double rate = count / s;
      if (threads == 1) single = rate;
      fmt::print("threads {}: {:.1f} img/s total, {:.1f} img/s per thread, speed-up {:.2f}x (ok {}/{})\n", threads, rate,
                 rate / threads, rate / single, ok.load(), count);
      fv::bench::print_result("align", "fv_align_bench", fmt::format("250x250 JPEG, HOG + 68 landmarks, {} images", count),
                              rate, "img/s", threads);
    }
    return 0;
  });
}
