// The two classifier heads a training step can drive (train.classifier): the replicated ClassifierHead
// (every loss; on several ranks its gradients are all-reduced like the backbone's) and the sharded Partial FC
// (each rank holds a slice of the classes; for very large class counts).
#pragma once

#include "train/classifier_head.h"
#include "train/partial_fc.h"
#include "train/train_step.h"

namespace fv {

class Communicator;

// Loss and top-1 accuracy (argmax of the margin logits) of a ClassifierHead. `head` must outlive the result.
HeadForward full_head_forward(ClassifierHead head);

// Loss (the global batch's mean, the same on every rank) and the global batch's top-1 accuracy
// (distributed_top1_accuracy: among the sampled columns of all ranks) of a Partial FC shard. Collective: every
// rank calls it at every step.
HeadForward sharded_head_forward(PartialFc head, Communicator& comm);

}  // namespace fv
