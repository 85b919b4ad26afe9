package model

import (
	"fmt"
	"time"
)

// NotAnsweringError is Microsoft Graph not answering what a page reads from it live: not
// within the page's time limit, or not asked at all because it did not answer moments ago
// (the page shows what the snapshot holds instead). It matches ErrUnavailable.
type NotAnsweringError struct {
	Timeout time.Duration // the page's limit
	Since   time.Time     // when Graph last failed to answer
	RetryAt time.Time     // when pages ask it again
}

func (e *NotAnsweringError) Error() string {
	msg := "Microsoft Graph is not answering"
	if e.Timeout > 0 {
		msg += fmt.Sprintf(" (no answer within %s)", e.Timeout)
	}
	msg += "; this part of the page could not be read from it"
	if !e.RetryAt.IsZero() {
		msg += ", and it is asked again from " + e.RetryAt.UTC().Format("15:04:05") + " UTC"
	}
	return msg + ". Everything from the snapshot is shown."
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *NotAnsweringError) Is(target error) bool { return target == ErrUnavailable }
