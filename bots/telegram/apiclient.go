package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxResponse bounds a Bot API response body read into memory.
const maxResponse = 16 << 20

// transport is the bot library's HTTP client. It records each call's status
// and Bot API error fields into the call's record (see withRecord) and
// reports every getUpdates outcome, which is the connection health of
// long polling.
type transport struct {
	client *http.Client
	// onPoll receives each getUpdates outcome (nil error: success).
	onPoll func(err error)
	// life ends every request when the surface's calls are aborted (see
	// AbortCalls), including the library's own long polls.
	life context.Context
}

// apiEnvelope is the Bot API's response wrapper.
type apiEnvelope struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Do sends req. It never logs or returns the URL, which carries the token.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	poll := strings.HasSuffix(req.URL.Path, "/getUpdates")
	rec := recordFrom(req.Context())
	if t.life != nil {
		ctx, cancel := abortableBy(req.Context(), t.life)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		if rec != nil {
			rec.netErr = err
		}
		if poll && t.onPoll != nil && req.Context().Err() == nil {
			t.onPoll(networkError("get updates", err))
		}
		return nil, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	if rerr != nil {
		if rec != nil {
			rec.netErr = rerr
		}
		if poll && t.onPoll != nil && req.Context().Err() == nil {
			t.onPoll(networkError("get updates", rerr))
		}
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var env apiEnvelope
	jerr := json.Unmarshal(body, &env)
	if rec != nil {
		rec.status = resp.StatusCode
		if jerr == nil && !env.OK {
			rec.errorCode = env.ErrorCode
			rec.description = env.Description
			rec.retryAfter = env.Parameters.RetryAfter
		} else if jerr != nil && resp.StatusCode >= 300 {
			rec.errorCode = resp.StatusCode
			rec.description = http.StatusText(resp.StatusCode)
		}
	}
	if poll && t.onPoll != nil {
		switch {
		case jerr == nil && env.OK:
			t.onPoll(nil)
		case jerr == nil:
			t.onPoll(apiError("get updates", env.ErrorCode, env.Description, env.Parameters.RetryAfter, nil))
		default:
			t.onPoll(apiError("get updates", resp.StatusCode, "unreadable response: "+http.StatusText(resp.StatusCode), 0, nil))
		}
	}
	return resp, nil
}
