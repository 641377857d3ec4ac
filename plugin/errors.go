package plugin

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable error code of the envelope. Builders branch on it, so the
// set is fixed by the design and never renamed.
type Code string

const (
	InvalidInput          Code = "invalid_input"
	Unauthenticated       Code = "unauthenticated"
	Forbidden             Code = "forbidden"
	NotFound              Code = "not_found"
	AuthorizationRequired Code = "authorization_required"
	PayloadTooLarge       Code = "payload_too_large"
	LinkedInRejected      Code = "linkedin_rejected"
	RateLimited           Code = "rate_limited"
	Internal              Code = "internal"
	UpstreamUnavailable   Code = "upstream_unavailable"
	UpstreamTimeout       Code = "upstream_timeout"
	// RequestInProgress: an execute with the same Idempotency-Key is still
	// running, or was interrupted with its outcome unknown.
	RequestInProgress Code = "request_in_progress"
	// UnsupportedMediaType: a body sent as a type the route does not take.
	UnsupportedMediaType Code = "unsupported_media_type"
	// MethodNotAllowed: a route asked with a method it does not answer;
	// the Allow header lists those it does.
	MethodNotAllowed Code = "method_not_allowed"
)

var httpStatus = map[Code]int{
	InvalidInput:          http.StatusBadRequest,
	Unauthenticated:       http.StatusUnauthorized,
	Forbidden:             http.StatusForbidden,
	NotFound:              http.StatusNotFound,
	AuthorizationRequired: http.StatusConflict,
	PayloadTooLarge:       http.StatusRequestEntityTooLarge,
	LinkedInRejected:      http.StatusUnprocessableEntity,
	RateLimited:           http.StatusTooManyRequests,
	Internal:              http.StatusInternalServerError,
	UpstreamUnavailable:   http.StatusBadGateway,
	UpstreamTimeout:       http.StatusGatewayTimeout,
	RequestInProgress:     http.StatusConflict,
	UnsupportedMediaType:  http.StatusUnsupportedMediaType,
	MethodNotAllowed:      http.StatusMethodNotAllowed,
}

// HTTPStatus is the status the server answers with for an error code.
func (c Code) HTTPStatus() int {
	if s, ok := httpStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldProblem names one field of a form and what is wrong with it.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error the caller can act on: a code, a readable message and,
// for bad input, every field at fault.
type Error struct {
	Code    Code           `json:"code"`
	Message string         `json:"message"`
	Fields  []FieldProblem `json:"fields,omitempty"`
	// RetryAfter is the number of seconds to wait, when known.
	RetryAfter int `json:"-"`
	// MaybeSent says LinkedIn may have received the request although no
	// answer came back, so a write must not be repeated blindly.
	MaybeSent bool `json:"-"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField reports a single bad field.
func InvalidField(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: InvalidInput, Message: field + ": " + msg, Fields: []FieldProblem{{Field: field, Message: msg}}}
}

// InvalidFields reports every problem found in a form at once.
func InvalidFields(problems []FieldProblem) *Error {
	msg := "invalid input"
	if len(problems) > 0 {
		msg = problems[0].Field + ": " + problems[0].Message
		if len(problems) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(problems)-1)
		}
	}
	return &Error{Code: InvalidInput, Message: msg, Fields: problems}
}

// AsError finds the *Error in err's chain. Anything else is our fault and
// becomes an internal error whose detail stays in the log.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error"}
}
