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
#include <memory>
#include <new>

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

  Text() : kind_(Kind::kBorrowed) { new (&u_.view) std::string_view(); }
  Text(std::string s) : kind_(Kind::kOwned) { new (&u_.owned) std::string(std::move(s)); }  // NOLINT: implicit
  Text(const char* s) : Text(std::string(s)) {}                                               // NOLINT
  // REQUIRES: `v` outlives every copy of the Text (library text, literals).
  static Text Borrow(std::string_view v) {
    Text t;
    t.u_.view = v;
    return t;
  }
  // REQUIRES: every string in `args` outlives every copy of the Text.
  static Text Deferred(Render render, const TextArgs& args) {
    Text t(render, args);
    return t;
  }

  Text(const Text& o) : kind_(o.kind_) { CopyFrom(o); }
  Text(Text&& o) noexcept : kind_(o.kind_) {
    if (o.kind_ == Kind::kOwned) {
      new (&u_.owned) std::string(std::move(o.u_.owned));
    } else {
      CopyFrom(o);
    }
  }
  Text& operator=(const Text& o) {
    if (this != &o) {
      Destroy();
      kind_ = o.kind_;
      CopyFrom(o);
    }
    return *this;
  }
  Text& operator=(Text&& o) noexcept {
    if (this != &o) {
      Destroy();
      kind_ = o.kind_;
      if (o.kind_ == Kind::kOwned) {
        new (&u_.owned) std::string(std::move(o.u_.owned));
      } else {
        CopyFrom(o);
      }
    }
    return *this;
  }
  ~Text() { Destroy(); }

  // The words. Renders a deferred text each time it is called.
  std::string str() const {
    if (kind_ == Kind::kOwned) return u_.owned;
    std::string out;
    AppendTo(out);
    return out;
  }
  // Appends the words to `out`.
  void AppendTo(std::string& out) const {
    switch (kind_) {
      case Kind::kOwned: out += u_.owned; return;
      case Kind::kBorrowed: out += u_.view; return;
      case Kind::kDeferred: u_.deferred.render(u_.deferred.args, out); return;
    }
  }
  operator std::string() const { return str(); }  // NOLINT: reads as the string it renders to

  bool empty() const {
    switch (kind_) {
      case Kind::kOwned: return u_.owned.empty();
      case Kind::kBorrowed: return u_.view.empty();
      case Kind::kDeferred: return str().empty();
    }
    return true;
  }

  Text& operator=(std::string s) { return *this = Text(std::move(s)); }
  Text& operator=(const char* s) { return *this = Text(std::string(s)); }
  Text& operator+=(std::string_view more) {
    std::string s = str();
    s += more;
    return *this = Text(std::move(s));
  }

  friend bool operator==(const Text& a, std::string_view b) {
    if (a.kind_ == Kind::kOwned) return a.u_.owned == b;
    if (a.kind_ == Kind::kBorrowed) return a.u_.view == b;
    return a.str() == b;
  }
  friend bool operator==(const Text& a, const Text& b) {
    if (b.kind_ == Kind::kOwned) return a == std::string_view(b.u_.owned);
    if (b.kind_ == Kind::kBorrowed) return a == b.u_.view;
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
  enum class Kind : unsigned char { kOwned, kBorrowed, kDeferred };
  // Borrowed and deferred texts are plain values (copied bit for bit); only
  // the member of the text's kind is built or copied, so a borrowed text
  // costs a view, not the deferred arguments.
  struct DeferredText {
    Render render;
    TextArgs args;
  };
  union U {
    U() {}
    ~U() {}
    std::string owned;       // kOwned
    std::string_view view;   // kBorrowed
    DeferredText deferred;   // kDeferred
  };
  Text(Render render, const TextArgs& args) : kind_(Kind::kDeferred) { new (&u_.deferred) DeferredText{render, args}; }
  // REQUIRES: kind_ == o.kind_ and no member of u_ alive.
  void CopyFrom(const Text& o) {
    switch (o.kind_) {
      case Kind::kOwned: new (&u_.owned) std::string(o.u_.owned); return;
      case Kind::kBorrowed: new (&u_.view) std::string_view(o.u_.view); return;
      case Kind::kDeferred: new (&u_.deferred) DeferredText(o.u_.deferred); return;
    }
  }
  void Destroy() {
    if (kind_ == Kind::kOwned) std::destroy_at(&u_.owned);
  }
  Kind kind_;
  U u_;
};

}  // namespace kira::domain

#endif  // KIRA_DOMAIN_TEXT_H_
