/// Status and Result<T>: the error currency of edgetier (no exceptions across modules).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgetier {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input from a user, a file or a socket
  kNotFound,         // a named file, tensor, key or node does not exist
  kAlreadyExists,
  kFailedPrecondition,  // the state does not allow the operation (e.g. testbed not up)
  kOutOfRange,
  kUnimplemented,
  kInternal,      // a bug or an unexpected library failure
  kUnavailable,   // a peer (tier, link) is down or unreachable
  kDeadlineExceeded,
  kResourceExhausted,  // out of memory, disk full, OOM-killed
  kCancelled,          // Ctrl-C or an explicit stop
  kPermissionDenied,
  kDataLoss,  // a corrupt or truncated file
};

std::string_view status_code_name(StatusCode code);

/// OK is a null pointer, so passing and returning an OK status costs nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status ok_status() { return Status(); }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;
  /// "NOT_FOUND: partition: tensor 'x' not found".
  std::string to_string() const;
  /// Prefixes context to the message: "loading a.onnx: <message>". OK stays OK.
  Status with_context(std::string_view context) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

inline Status ok_status() { return Status(); }
Status invalid_argument(std::string message);
Status not_found(std::string message);
Status failed_precondition(std::string message);
Status internal_error(std::string message);
Status unavailable(std::string message);
Status data_loss(std::string message);
Status resource_exhausted(std::string message);
Status unimplemented(std::string message);
Status cancelled(std::string message);
Status deadline_exceeded(std::string message);
Status out_of_range(std::string message);
Status permission_denied(std::string message);
Status already_exists(std::string message);

/// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = internal_error("Result constructed from an OK status without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T value_or(T fallback) const { return value_ ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace edgetier

#define EDGETIER_CONCAT_INNER(a, b) a##b
#define EDGETIER_CONCAT(a, b) EDGETIER_CONCAT_INNER(a, b)

/// Returns the status from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::edgetier::Status edgetier_status_ = (expr);          \
    if (!edgetier_status_.ok()) return edgetier_status_;   \
  } while (0)

/// `ASSIGN_OR_RETURN(auto x, make_x());` unwraps a Result or returns its status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(EDGETIER_CONCAT(edgetier_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
