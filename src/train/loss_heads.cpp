// Adapters from the classifier heads to the step's HeadForward.
#include "train/loss_heads.h"

#include "dist/process_group.h"
#include "train/cross_entropy.h"

namespace fv {

HeadForward full_head_forward(ClassifierHead head) {
  return [head](const torch::Tensor& features, const torch::Tensor& labels, std::int64_t iteration) mutable {
    const HeadOutput out = head->forward(features, labels, iteration);
    HeadResult r;
    r.loss = out.loss;
    r.accuracy = top1_accuracy(out.logits.detach(), labels);
    r.lambda = out.lambda;
    return r;
  };
}

HeadForward sharded_head_forward(PartialFc head, Communicator& comm) {
  return [head, &comm](const torch::Tensor& features, const torch::Tensor& labels, std::int64_t iteration) mutable {
    const PartialFcOutput out = head->forward(features, labels, iteration);
    HeadResult r;
    r.loss = out.loss;
    r.lambda = out.lambda;
    r.accuracy = distributed_top1_accuracy(out.logits, out.labels, comm);
    return r;
  };
}

}  // namespace fv
