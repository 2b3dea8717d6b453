// The data files shipped inside the binary (guidelines/*.json at build time).
#ifndef KIRA_DATA_EMBEDDED_H_
#define KIRA_DATA_EMBEDDED_H_

#include <optional>
#include <string_view>

namespace kira::data {

// The content of guidelines/<name> as it was at build time, or nullopt.
std::optional<std::string_view> EmbeddedFile(std::string_view name);

}  // namespace kira::data

#endif  // KIRA_DATA_EMBEDDED_H_
