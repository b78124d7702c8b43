// The values an unpickled file holds, stored flat: one arena of nodes addressed by integer ids.
//
// A container (tuple, list, dict, set) holds the ids of its items, never the items themselves, so building,
// reading and destroying a value nested a million levels deep uses no recursion: the arena is a vector of
// nodes and a vector of id lists, both destroyed in one loop. Nothing here walks a value's items
// recursively; readers look at the few levels their format has.
//
// Depth: 0 for scalars, strings, globals and objects; 1 + the deepest item for a container (an empty one
// is 1). To keep depths exact and values acyclic, an item is sealed when it goes into a container, and a
// sealed container cannot be changed any more (Python's pickler fills every container before it uses it
// as an item; only self-referencing objects, which these formats never hold, do otherwise).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace fv {

using PickleId = std::uint32_t;

enum class PickleKind : std::uint8_t {
  kNone, kBool, kInt, kFloat, kStr, kBytes, kTuple, kList, kDict, kSet, kFrozenSet,
  kGlobal,  // a name "module.qualname" from GLOBAL / STACK_GLOBAL; never resolved to code
  kObject,  // made by a format's hook (a tensor, an opaque instance): a name, a tag and a handle it defines
};

// "None", "bool", "int", "float", "str", "bytes", "tuple", "list", "dict", "set", "frozenset", "global",
// "object".
const char* pickle_kind_name(PickleKind kind);

class PickleValues {
 public:
  std::size_t size() const { return nodes_.size(); }
  // The deepest value made so far.
  std::uint32_t max_depth() const { return max_depth_; }

  // Readers. Every `id` must be one this arena returned (else std::out_of_range).
  PickleKind kind(PickleId id) const { return node(id).kind; }
  std::uint32_t depth(PickleId id) const { return node(id).depth; }
  bool is_container(PickleId id) const;
  // True once the value is an item of a container.
  bool sealed(PickleId id) const { return node(id).sealed; }
  // kBool (0 or 1), kInt; kObject: the handle given to add_object. 0 for other kinds.
  std::int64_t integer(PickleId id) const;
  // kFloat. 0 for other kinds.
  double real(PickleId id) const;
  // kStr (UTF-8 as stored in the file), kBytes, kGlobal ("module.name"), kObject (its name). Empty otherwise.
  std::string_view text(PickleId id) const { return node(id).text; }
  // kObject: the tag given to add_object. 0 otherwise.
  std::uint32_t tag(PickleId id) const { return node(id).tag; }
  // A container's items in order (a dict's as key0, value0, key1, value1, ...); empty for other kinds.
  const std::vector<PickleId>& items(PickleId id) const;

  // Makers. Each returns the new value's id.
  PickleId add_none();
  PickleId add_bool(bool value);
  PickleId add_int(std::int64_t value);
  PickleId add_float(double value);
  // kStr, kBytes or kGlobal over `text`, which must outlive the arena (the unpickled file, or a literal).
  PickleId add_text(PickleKind kind, std::string_view text);
  // The same over a string the arena keeps.
  PickleId add_owned_text(PickleKind kind, std::string text);
  // kObject: `name` must outlive the arena (the file, a literal, or text() of a value of this arena).
  PickleId add_object(std::string_view name, std::uint32_t tag, std::int64_t handle);
  // A container (kTuple, kList, kDict, kSet, kFrozenSet) of `items`, which are sealed.
  // Requires: a dict has an even number of items (std::invalid_argument otherwise).
  PickleId add_container(PickleKind kind, std::vector<PickleId> items);
  // Appends `item` to `container` and seals it; updates the container's depth.
  // Requires: container is a container that is not sealed, and item != container (std::logic_error).
  void append(PickleId container, PickleId item);

 private:
  static constexpr std::uint32_t kNoItems = 0xffffffffu;
  struct Node {
    PickleKind kind = PickleKind::kNone;
    bool sealed = false;
    std::uint32_t depth = 0;
    std::uint32_t tag = 0;
    std::uint32_t items = kNoItems;  // index into lists_, for a non-empty container
    std::int64_t integer = 0;  // kFloat: the double's bits
    std::string_view text;
  };
  const Node& node(PickleId id) const { return nodes_.at(id); }
  PickleId add(Node n);
  void seal(PickleId id) { nodes_[id].sealed = true; }

  std::vector<Node> nodes_;
  std::vector<std::vector<PickleId>> lists_;
  std::deque<std::string> owned_;  // a deque: references to its strings stay valid as it grows
  std::uint32_t max_depth_ = 0;
};

}  // namespace fv
