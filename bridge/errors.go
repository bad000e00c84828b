package bridge

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies a marketplace (or chat surface) failure so the engines
// know what to do without parsing messages.
type ErrorKind int

// Error kinds.
const (
	// KindTransient: network trouble, 5xx, server busy. Retry with backoff.
	KindTransient ErrorKind = iota + 1
	// KindRateLimited: retry after PlatformError.RetryAfter.
	KindRateLimited
	// KindAuth: token expired or revoked. Refresh, else the store needs updating.
	KindAuth
	// KindPermanent: bad request, not allowed. Do not retry.
	KindPermanent
)

func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate-limited"
	case KindAuth:
		return "auth"
	case KindPermanent:
		return "permanent"
	}
	return "unknown"
}

// PlatformError is a classified failure from a marketplace or chat API.
type PlatformError struct {
	Kind ErrorKind
	// Platform is "shopee", "slack", …
	Platform string
	// Op is what was being done: "list conversations", "send message".
	Op string
	// Code and RequestID are the platform's own, kept for the log.
	Code      string
	RequestID string
	// Message is a human-readable reason without secrets.
	Message string
	// RetryAfter is the wait asked for by a rate limit.
	RetryAfter time.Duration
	// NotDelivered is true when the request certainly never reached the server
	// (connection refused, DNS failure): a send can then be retried safely.
	NotDelivered bool
	Err          error
}

func (e *PlatformError) Error() string {
	msg := e.Platform
	if e.Op != "" {
		msg += ": " + e.Op
	}
	msg += ": " + e.Kind.String()
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

func (e *PlatformError) Unwrap() error { return e.Err }

// Reason is a short text for chat: the message (or code) without the request ID.
func (e *PlatformError) Reason() string {
	switch {
	case e.Message != "" && e.Code != "":
		return e.Code + ": " + e.Message
	case e.Message != "":
		return e.Message
	case e.Code != "":
		return e.Code
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.String() + " error"
}

// Classify returns the kind of err: the PlatformError's kind if it wraps one,
// KindTransient for a context deadline, and KindTransient for anything else
// unclassified (retrying an unknown failure with backoff loses nothing).
func Classify(err error) ErrorKind {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return KindTransient
}

// RetryAfterOf returns the wait a rate-limited error asks for, or zero.
func RetryAfterOf(err error) time.Duration {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}

// ReasonOf returns a short, secret-free reason for showing in chat.
func ReasonOf(err error) string {
	var pe *PlatformError
	if errors.As(err, &pe) {
		return pe.Reason()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// Transient, RateLimited, AuthError and Permanent build classified errors.
func Transient(platform, op string, err error) error {
	return &PlatformError{Kind: KindTransient, Platform: platform, Op: op, Err: err}
}

// RateLimited builds a rate-limit error with the wait asked for.
func RateLimited(platform, op string, after time.Duration) error {
	return &PlatformError{Kind: KindRateLimited, Platform: platform, Op: op, RetryAfter: after,
		Message: fmt.Sprintf("rate limited, retry after %s", after)}
}

// AuthError builds an authorization error.
func AuthError(platform, op, msg string) error {
	return &PlatformError{Kind: KindAuth, Platform: platform, Op: op, Message: msg}
}

// Permanent builds a permanent error.
func Permanent(platform, op, msg string) error {
	return &PlatformError{Kind: KindPermanent, Platform: platform, Op: op, Message: msg}
}

// Errors of the state Store.
var (
	// ErrNotFound: the row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule of the schema refused the row.
	ErrConflict = errors.New("conflict")
	// ErrTokensUnreadable: a store's saved tokens cannot be decrypted (they
	// were sealed with another SHOPBRIDGE_SECRET_KEY): the store must be
	// authorized again, its new tokens sealed with the current key.
	ErrTokensUnreadable = errors.New("the saved tokens cannot be decrypted with SHOPBRIDGE_SECRET_KEY")
)

// ErrThreadGone is wrapped by a Chat error when the thread was deleted on the
// surface (root message deleted, topic deleted): the engine opens a new thread
// that says it continues the conversation, re-maps it and posts again.
var ErrThreadGone = errors.New("thread no longer exists")
