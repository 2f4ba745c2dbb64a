// A view of generic parameters (";name=value" lists of RFC 3261 25.1), as in Via,
// name-addr and URIs, and of URI headers ("name=value&..."). The parser validated the
// text before making the view, so reading it back cannot fail.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lanline::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // as written: quoted strings keep their quotes, escapes stay escaped
  bool has_value = false;
};

class ParamList {
 public:
  ParamList() = default;
  // `raw` starts at the first separator (";a=b;c" or "a=b&c=d" for URI headers).
  explicit ParamList(std::string_view raw, char separator = ';')
      : raw_(raw), separator_(separator) {}

  std::string_view raw() const { return raw_; }
  bool empty() const;
  std::size_t size() const;
  std::optional<Param> find(std::string_view name) const;  // name compared case-insensitively
  bool has(std::string_view name) const { return find(name).has_value(); }

  class iterator {
   public:
    using value_type = Param;
    iterator() = default;
    iterator(const ParamList* list, std::size_t pos);
    const Param& operator*() const { return current_; }
    const Param* operator->() const { return &current_; }
    iterator& operator++();
    bool operator==(const iterator& other) const { return pos_ == other.pos_; }

   private:
    void read();
    const ParamList* list_ = nullptr;
    std::size_t pos_ = 0;   // where `current_` starts; npos at the end
    std::size_t next_ = 0;  // where the following param starts
    Param current_;
  };
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, std::string_view::npos); }

 private:
  std::string_view raw_;
  char separator_ = ';';
};

}  // namespace lanline::sip
