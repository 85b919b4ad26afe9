package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels every layer matches with errors.Is: the store's "no such row", Graph's 404 and a
// domain "no such group" are all ErrNotFound, so one mapping turns each kind into one answer.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid input")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrThrottled    = errors.New("throttled")
	ErrUnavailable  = errors.New("temporarily unavailable")
	ErrTooLarge     = errors.New("too large")
	// ErrDeltaExpired is a delta token Graph no longer accepts (410 Gone: expired, or the
	// tenant was reset or migrated): the only way on is a full read.
	ErrDeltaExpired = errors.New("delta token no longer valid: a full sync is needed")
)

// NotFoundError says what does not exist: What is a noun ("group", "user"), ID how it was asked
// for, and Detail says so in a sentence with what the person can do about it. It matches
// ErrNotFound.
type NotFoundError struct {
	What   string
	ID     string
	Detail string
}

func (e *NotFoundError) Error() string {
	if e.ID == "" {
		return e.What + " not found"
	}
	return e.What + " " + e.ID + " not found"
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// InputError is input that cannot be used: a sentence for the person and, where several things
// were wrong, one line per problem. Field names the form field it came from, "" when it came
// from the address. It matches ErrInvalid.
type InputError struct {
	Message  string
	Problems []string
	Field    string
}

func (e *InputError) Error() string {
	if len(e.Problems) == 0 {
		return e.Message
	}
	return e.Message + " " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Is(target error) bool { return target == ErrInvalid }

// Invalid is an InputError with a formatted message.
func Invalid(format string, args ...any) *InputError {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// TooLargeError is input past a size limit: What names it ("the message"), Limit is the limit in
// bytes and Hint says what to do instead. It matches ErrTooLarge and, being bad input, ErrInvalid.
type TooLargeError struct {
	What  string
	Limit int64
	Hint  string
}

func (e *TooLargeError) Error() string {
	msg := fmt.Sprintf("%s is larger than the limit of %s", capitalizeFirst(e.What), FormatBytes(e.Limit))
	if e.Hint != "" {
		msg += ". " + e.Hint
	}
	return msg
}

// Is makes errors.Is(err, ErrTooLarge) and errors.Is(err, ErrInvalid) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge || target == ErrInvalid }

// FormatBytes writes a size for people: "10 MB", "512 KB", "900 bytes" (1 MB = 1,048,576 bytes).
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// GraphErrorKind says what sort of failure a GraphError is, so callers can react without
// reading codes.
type GraphErrorKind int

// Kinds of Graph failures.
const (
	GraphOther        GraphErrorKind = iota
	GraphUnauthorized                // 401, or no token could be obtained
	GraphForbidden                   // 403: the app lacks a permission
	GraphNotFound                    // 404
	GraphThrottled                   // 429 past the retry budget
	GraphTransient                   // 5xx, dropped connections, timeouts
	GraphBadRequest                  // 400 and other 4xx the caller caused
)

func (k GraphErrorKind) String() string {
	switch k {
	case GraphUnauthorized:
		return "unauthorized"
	case GraphForbidden:
		return "forbidden"
	case GraphNotFound:
		return "not found"
	case GraphThrottled:
		return "throttled"
	case GraphTransient:
		return "transient"
	case GraphBadRequest:
		return "bad request"
	}
	return "other"
}

// sentinel is the domain sentinel a kind matches.
func (k GraphErrorKind) sentinel() error {
	switch k {
	case GraphUnauthorized:
		return ErrUnauthorized
	case GraphForbidden:
		return ErrForbidden
	case GraphNotFound:
		return ErrNotFound
	case GraphThrottled:
		return ErrThrottled
	case GraphTransient:
		return ErrUnavailable
	case GraphBadRequest:
		return ErrInvalid
	}
	return nil
}

// GraphError is a classified failure of a Microsoft Graph or token call, with Graph's own code
// and message kept. internal/graph makes them; everyone else reads them with errors.As, and
// errors.Is matches the sentinel of its kind (GraphNotFound is ErrNotFound, GraphTransient is
// ErrUnavailable, ...).
type GraphError struct {
	Kind       GraphErrorKind
	Op         string // what was being done, e.g. "list users"
	Status     int    // HTTP status, 0 when no response came
	Code       string // Graph's error code, e.g. Authorization_RequestDenied
	Message    string // Graph's (or Entra's) message
	RequestID  string
	RetryAfter time.Duration
	// Permission is the application permission the failed operation needs (set for 403).
	Permission string
	// Cause is the underlying context or network error, for errors.Is/As (e.g.
	// context.DeadlineExceeded); never a type of the Graph SDK.
	Cause error
}

func (e *GraphError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	} else if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Kind == GraphForbidden && e.Permission != "" {
		b.WriteString("; the app needs the " + e.Permission + " application permission")
	}
	if e.RequestID != "" {
		b.WriteString(" [request-id " + e.RequestID + "]")
	}
	return b.String()
}

// Unwrap returns the underlying context or network error, or nil.
func (e *GraphError) Unwrap() error { return e.Cause }

// Is matches the sentinel of the error's kind.
func (e *GraphError) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// DescribeGraphError says in a sentence for people what a failed Graph call means: Graph's
// message with its status and code, the permission an administrator must grant, or that Graph
// did not answer in time. Errors that are not Graph's are described by their own text.
func DescribeGraphError(err error) string {
	if err == nil {
		return ""
	}
	if na, ok := errors.AsType[*NotAnsweringError](err); ok {
		return na.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "Microsoft Graph did not answer in time. Reload the page to try again."
	}
	var ge *GraphError
	if !errors.As(err, &ge) {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString("Microsoft Graph: " + ge.Kind.String())
	if ge.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", ge.Status)
		if ge.Code != "" {
			b.WriteString(" " + ge.Code)
		}
		b.WriteString(")")
	}
	if ge.Message != "" {
		b.WriteString(": " + ge.Message)
	}
	if ge.Kind == GraphForbidden && ge.Permission != "" {
		b.WriteString("; the app needs the " + ge.Permission + " application permission. The app registration lacks the permission: an administrator must grant it.")
	}
	return b.String()
}

// PermissionError is an action the app registration may not do in Microsoft Graph: Why names the
// missing application permission. It matches ErrForbidden.
type PermissionError struct {
	Action string // "Reprocess", "Refreshing license errors", ...
	Why    string // e.g. "the app lacks User.ReadWrite.All"
}

func (e *PermissionError) Error() string { return e.Action + " not available: " + e.Why }

// Is makes errors.Is(err, ErrForbidden) true.
func (e *PermissionError) Is(target error) bool { return target == ErrForbidden }

// GroupNotFound is the error for a group the current snapshot does not hold.
func GroupNotFound(id string) *NotFoundError {
	return &NotFoundError{What: "group", ID: id, Detail: "No licensed group with object id " + id +
		" is in the current data. It may have been deleted, stopped assigning licenses, or be newer than the data: refresh to read the tenant again."}
}

// UserNotFound is the error for a user the current snapshot does not hold.
func UserNotFound(id string) *NotFoundError {
	return &NotFoundError{What: "user", ID: id, Detail: "No user with object id or user principal name " + id +
		" is in the current data. The user may have been deleted or be newer than the data: refresh to read the tenant again, or search by name."}
}

// ErrConflict is a write refused because what it was based on changed meanwhile.
var ErrConflict = errors.New("changed meanwhile")

// TemplateChangedError is a template change refused because the group's template in Microsoft
// 365 is no longer the one the change was previewed against (someone changed it meanwhile):
// Current is the template now. It matches ErrConflict.
type TemplateChangedError struct {
	GroupID string
	Current []AssignedLicense
}

func (e *TemplateChangedError) Error() string {
	return "the license template of group " + e.GroupID + " changed since the preview: nothing was written; preview the change again"
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *TemplateChangedError) Is(target error) bool { return target == ErrConflict }
