// The flat arena of unpickled values.
#include "formats/pickle_values.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace fv {

const char* pickle_kind_name(PickleKind kind) {
  switch (kind) {
    case PickleKind::kNone: return "None";
    case PickleKind::kBool: return "bool";
    case PickleKind::kInt: return "int";
    case PickleKind::kFloat: return "float";
    case PickleKind::kStr: return "str";
    case PickleKind::kBytes: return "bytes";
    case PickleKind::kTuple: return "tuple";
    case PickleKind::kList: return "list";
    case PickleKind::kDict: return "dict";
    case PickleKind::kSet: return "set";
    case PickleKind::kFrozenSet: return "frozenset";
    case PickleKind::kGlobal: return "global";
    case PickleKind::kObject: return "object";
  }
  return "?";
}

namespace {

bool container_kind(PickleKind kind) {
  return kind == PickleKind::kTuple || kind == PickleKind::kList || kind == PickleKind::kDict ||
         kind == PickleKind::kSet || kind == PickleKind::kFrozenSet;
}

}  // namespace

bool PickleValues::is_container(PickleId id) const { return container_kind(node(id).kind); }

std::int64_t PickleValues::integer(PickleId id) const {
  const Node& n = node(id);
  return n.kind == PickleKind::kFloat ? 0 : n.integer;
}

double PickleValues::real(PickleId id) const {
  const Node& n = node(id);
  if (n.kind != PickleKind::kFloat) return 0.0;
  double value = 0.0;
  std::memcpy(&value, &n.integer, sizeof value);
  return value;
}

const std::vector<PickleId>& PickleValues::items(PickleId id) const {
  static const std::vector<PickleId> kEmpty;
  const Node& n = node(id);
  return n.items == kNoItems ? kEmpty : lists_[n.items];
}

PickleId PickleValues::add(Node n) {
  if (nodes_.size() >= kNoItems) throw std::length_error("more than 2^32 - 1 pickle values");
  max_depth_ = std::max(max_depth_, n.depth);
  nodes_.push_back(n);
  return static_cast<PickleId>(nodes_.size() - 1);
}

PickleId PickleValues::add_none() { return add(Node{}); }

PickleId PickleValues::add_bool(bool value) {
  Node n;
  n.kind = PickleKind::kBool;
  n.integer = value ? 1 : 0;
  return add(n);
}

PickleId PickleValues::add_int(std::int64_t value) {
  Node n;
  n.kind = PickleKind::kInt;
  n.integer = value;
  return add(n);
}

PickleId PickleValues::add_float(double value) {
  Node n;
  n.kind = PickleKind::kFloat;
  std::memcpy(&n.integer, &value, sizeof value);
  return add(n);
}

PickleId PickleValues::add_text(PickleKind kind, std::string_view text) {
  if (kind != PickleKind::kStr && kind != PickleKind::kBytes && kind != PickleKind::kGlobal) {
    throw std::invalid_argument("PickleValues::add_text: not a text kind");
  }
  Node n;
  n.kind = kind;
  n.text = text;
  return add(n);
}

PickleId PickleValues::add_owned_text(PickleKind kind, std::string text) {
  owned_.push_back(std::move(text));
  return add_text(kind, owned_.back());
}

PickleId PickleValues::add_object(std::string_view name, std::uint32_t tag, std::int64_t handle) {
  Node n;
  n.kind = PickleKind::kObject;
  n.text = name;
  n.tag = tag;
  n.integer = handle;
  return add(n);
}

PickleId PickleValues::add_container(PickleKind kind, std::vector<PickleId> items) {
  if (!container_kind(kind)) throw std::invalid_argument("PickleValues::add_container: not a container kind");
  if (kind == PickleKind::kDict && items.size() % 2 != 0) {
    throw std::invalid_argument("PickleValues::add_container: a dict needs key, value pairs");
  }
  Node n;
  n.kind = kind;
  n.depth = 1;
  for (PickleId item : items) {
    n.depth = std::max(n.depth, node(item).depth + 1);
    seal(item);
  }
  if (!items.empty()) {
    n.items = static_cast<std::uint32_t>(lists_.size());
    lists_.push_back(std::move(items));
  }
  return add(n);
}

void PickleValues::append(PickleId container, PickleId item) {
  const Node& c = node(container);
  const Node& i = node(item);
  if (!container_kind(c.kind) || c.sealed || container == item) {
    throw std::logic_error("PickleValues::append: not an open container, or the container itself");
  }
  const std::uint32_t depth = std::max(c.depth, i.depth + 1);
  seal(item);
  Node& n = nodes_[container];
  if (n.items == kNoItems) {
    n.items = static_cast<std::uint32_t>(lists_.size());
    lists_.emplace_back();
  }
  lists_[n.items].push_back(item);
  n.depth = depth;
  max_depth_ = std::max(max_depth_, depth);
}

}  // namespace fv
