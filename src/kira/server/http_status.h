// The one place where a kira::Status becomes an HTTP status (style.md 3.1).
// Handlers return Status or StatusOr and never pick an HTTP error code.
#ifndef KIRA_SERVER_HTTP_STATUS_H_
#define KIRA_SERVER_HTTP_STATUS_H_

#include <string_view>

#include "kira/base/status.h"

namespace kira::server {

struct HttpError {
  int http_status;
  std::string_view code;  // the machine-readable "error.code" of the body
  bool expose_message;    // false: the body says only "internal error" and the request id
};

//   InvalidArgument, OutOfRange      400 invalid_argument / out_of_range
//   Unauthenticated                  401 unauthenticated
//   PermissionDenied                 403 permission_denied
//   NotFound                         404 not_found
//   AlreadyExists, Aborted           409 already_exists / aborted
//   FailedPrecondition               422 failed_precondition
//   Unavailable                      503 unavailable (message hidden: it may name the database)
//   anything else (Internal, ...)    500 internal (message hidden; logged with the request id)
HttpError HttpErrorFor(StatusCode code);

}  // namespace kira::server

#endif  // KIRA_SERVER_HTTP_STATUS_H_
