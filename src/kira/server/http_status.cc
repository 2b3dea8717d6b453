#include "kira/server/http_status.h"

namespace kira::server {

HttpError HttpErrorFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return {400, "invalid_argument", true};
    case StatusCode::kOutOfRange: return {400, "out_of_range", true};
    case StatusCode::kUnauthenticated: return {401, "unauthenticated", true};
    case StatusCode::kPermissionDenied: return {403, "permission_denied", true};
    case StatusCode::kNotFound: return {404, "not_found", true};
    case StatusCode::kAlreadyExists: return {409, "already_exists", true};
    case StatusCode::kAborted: return {409, "aborted", true};
    case StatusCode::kFailedPrecondition: return {422, "failed_precondition", true};
    case StatusCode::kUnavailable: return {503, "unavailable", false};
    case StatusCode::kOk:
    case StatusCode::kInternal: break;
  }
  return {500, "internal", false};
}

}  // namespace kira::server
