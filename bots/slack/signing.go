package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed Slack request.
const (
	headerTimestamp = "X-Slack-Request-Timestamp"
	headerSignature = "X-Slack-Signature"
	headerRetryNum  = "X-Slack-Retry-Num"
)

var (
	errUnsigned     = errors.New("missing Slack signature headers")
	errStale        = errors.New("request timestamp outside the replay window")
	errBadSignature = errors.New("signature does not match")
)

// refusalReason is the fixed reason of a verification error, for
// bridge.Refusals (a metric label, never request data).
func refusalReason(err error) string {
	switch {
	case errors.Is(err, errUnsigned):
		return "unsigned"
	case errors.Is(err, errStale):
		return "stale_timestamp"
	}
	return "bad_signature"
}

// Sign returns the X-Slack-Signature of body sent at ts: "v0=" and the hex
// HMAC-SHA256 of "v0:{ts}:{body}" under the signing secret.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// verifySignature checks a request's signature in constant time and rejects
// timestamps further than maxAge from now (replays).
func verifySignature(secret string, h http.Header, body []byte, now time.Time, maxAge time.Duration) error {
	tsText, sig := h.Get(headerTimestamp), h.Get(headerSignature)
	if tsText == "" || sig == "" {
		return errUnsigned
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errUnsigned
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxAge || d < -maxAge {
		return errStale
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errBadSignature
	}
	return nil
}
