package httpx

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/shopbridge/shopbridge/bridge"
)

// PushIntake is what the clients' push (webhook) endpoints share before
// they read what a push says: POST only, a size-limited body, the
// Authorization signature, and refusals that are counted rather than
// logged one by one, because anyone can post to the endpoint.
type PushIntake struct {
	// Endpoint names the endpoint in refusal logs and metrics
	// ("lazada_push").
	Endpoint string
	// Refusals counts refusals (the first of each reason is logged); without
	// it every refusal is logged on Log as LogMessage ("push refused").
	Refusals   *bridge.Refusals
	Log        *slog.Logger
	LogMessage string
}

// Refuse answers a refused request with status and an empty body, and
// counts it with attrs (slog key-value pairs).
func (p PushIntake) Refuse(w http.ResponseWriter, status int, reason string, attrs ...any) {
	if p.Refusals != nil {
		p.Refusals.Refuse(p.Endpoint, reason, attrs...)
	} else {
		p.Log.Warn(p.LogMessage, append([]any{"reason", reason}, attrs...)...)
	}
	w.WriteHeader(status)
}

// ReadBody answers 405 to anything but a POST, and reads the body, at most
// maxBytes (refused as bridge.BodyRefusal says). ok is false when the
// request has been answered.
func (p PushIntake) ReadBody(w http.ResponseWriter, r *http.Request, maxBytes int64) (body []byte, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		status, reason := bridge.BodyRefusal(err)
		p.Refuse(w, status, reason, "remote", r.RemoteAddr)
		return nil, false
	}
	return body, true
}

// CheckSignature refuses with 401 a request without an Authorization
// header ("unsigned") or one that valid rejects ("bad_signature", logged
// with hint). It reports whether the request is signed right.
func (p PushIntake) CheckSignature(w http.ResponseWriter, r *http.Request, valid func(signature string) bool, hint string) bool {
	sig := r.Header.Get("Authorization")
	switch {
	case sig == "":
		p.Refuse(w, http.StatusUnauthorized, "unsigned", "remote", r.RemoteAddr)
		return false
	case !valid(sig):
		p.Refuse(w, http.StatusUnauthorized, "bad_signature", "remote", r.RemoteAddr, "hint", hint)
		return false
	}
	return true
}
