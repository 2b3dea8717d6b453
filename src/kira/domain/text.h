// Text a person reads in a decision record (finding messages, citations,
// inputs_used values), rendered at the edge.
//
// The Advisor builds decisions on the hot path without formatting text: a
// Text is one of
//   owned     a std::string (text composed by a caller, or read back from JSON
//             or the database);
//   borrowed  a view of text that outlives every decision made from it: the
//             loaded guideline/advisor/instrument libraries (immutable for the
//             life of the process) and string literals;
//   deferred  a render function plus the numbers and borrowed strings it
//             needs; the words are produced only when a caller (CLI, JSON,
//             web, storage) asks with str().
// Every kind renders to the same characters, so the rendered decision is
// byte-identical whatever the kind.
#ifndef KIRA_DOMAIN_TEXT_H_
#define KIRA_DOMAIN_TEXT_H_

#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kira::domain {

// The inputs of a deferred text: numbers and borrowed strings (views of text
// that outlives the decision, see above; never of a temporary).
struct TextArgs {
  std::array<double, 6> n{};
  std::array<std::string_view, 3> s{};
};

class Text {
 public:
  using Render = void (*)(const TextArgs& args, std::string& out);

  Text() = default;
  Text(std::string s) : v_(std::move(s)) {}  // NOLINT: implicit by design
  Text(const char* s) : v_(std::string(s)) {}  // NOLINT
  // REQUIRES: `v` outlives every copy of the Text (library text, literals).
  static Text Borrow(std::string_view v) {
    Text t;
    t.v_ = v;
    return t;
  }
  // REQUIRES: every string in `args` outlives every copy of the Text.
  static Text Deferred(Render render, const TextArgs& args) {
    Text t;
    t.v_ = Lazy{render, args};
    return t;
  }

  // The words. Renders a deferred text each time it is called.
  std::string str() const {
    std::string out;
    AppendTo(out);
    return out;
  }
  // Appends the words to `out`.
  void AppendTo(std::string& out) const {
    if (const auto* o = std::get_if<std::string>(&v_)) {
      out += *o;
    } else if (const auto* b = std::get_if<std::string_view>(&v_)) {
      out += *b;
    } else {
      const Lazy& l = std::get<Lazy>(v_);
      l.render(l.args, out);
    }
  }
  operator std::string() const { return str(); }  // NOLINT: reads as the string it renders to

  bool empty() const {
    if (const auto* o = std::get_if<std::string>(&v_)) return o->empty();
    if (const auto* b = std::get_if<std::string_view>(&v_)) return b->empty();
    return str().empty();
  }

  Text& operator=(std::string s) {
    v_ = std::move(s);
    return *this;
  }
  Text& operator=(const char* s) { return *this = std::string(s); }
  Text& operator+=(std::string_view more) {
    std::string s = str();
    s += more;
    return *this = std::move(s);
  }

  friend bool operator==(const Text& a, std::string_view b) {
    if (const auto* o = std::get_if<std::string>(&a.v_)) return *o == b;
    if (const auto* v = std::get_if<std::string_view>(&a.v_)) return *v == b;
    return a.str() == b;
  }
  friend bool operator==(const Text& a, const Text& b) {
    if (const auto* o = std::get_if<std::string>(&b.v_)) return a == std::string_view(*o);
    if (const auto* v = std::get_if<std::string_view>(&b.v_)) return a == *v;
    return a == std::string_view(b.str());
  }
  friend bool operator==(const Text& a, const char* b) { return a == std::string_view(b); }
  friend bool operator==(const Text& a, const std::string& b) { return a == std::string_view(b); }
  friend std::string operator+(const Text& a, std::string_view b) {
    std::string s = a.str();
    s += b;
    return s;
  }
  friend std::string operator+(std::string_view a, const Text& b) {
    std::string s(a);
    b.AppendTo(s);
    return s;
  }
  friend std::string operator+(const std::string& a, const Text& b) { return std::string_view(a) + b; }
  friend std::string operator+(const char* a, const Text& b) { return std::string_view(a) + b; }
  friend std::string operator+(const Text& a, const std::string& b) { return a + std::string_view(b); }
  friend std::string operator+(const Text& a, const char* b) { return a + std::string_view(b); }
  friend std::ostream& operator<<(std::ostream& os, const Text& t) { return os << t.str(); }

 private:
  struct Lazy {
    Render render;
    TextArgs args;
  };
  std::variant<std::string, std::string_view, Lazy> v_;
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_TEXT_H_
