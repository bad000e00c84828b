package lazada

// This file holds every detail of the Lazada wire protocol that
// shared/reference/marketplace-apis.md (sections 2 and 4) marks UNVERIFIED,
// or that the reference does not cover, together with the choice this
// client makes about each. Everything else in the package follows
// documented behaviour. When one of these is confirmed or refuted against
// the live API, change it here (and in
// platforms/simulator/lazada_unverified.go, which mirrors them).

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Health check. The reference names no call for it. CheckHealth uses
// GET /seller/get (GetSeller: the seller's profile; documented in the
// Seller API pages, needs only the access token): it proves the gateway is
// reachable, the signature right and the token valid, and tells whose the
// token is, without touching the IM lists that must not be polled. The
// engine calls it once a minute per store, about 1,440 calls a day, far
// below the 10 million a day of an online app (10,000 for a test app,
// where a store costs 14 % of the budget: lengthen the engine's
// health_interval there). Its QPS limit is UNVERIFIED.

// Content keys other than "txt"/"translateTxt" are UNVERIFIED (one client
// parses itemId, orderId, cardType). The decoder reads every plausible key
// and takes the first that is set:
//   - image (3): imgUrl, img_url (the send parameter's name), imageUrl, picUrl, pic, url;
//   - emoji (4): txt (the send parameter per SDK LZ-TS), emojiCode;
//   - video (6): videoUrl, video_url, url; else videoId/video_id as text;
//   - item (10006): itemId, item_id; title, price, imgUrl/picUrl/pic, actionUrl/url;
//   - order (10007) and refund card (10011): orderId, order_id; title;
//   - voucher (10008): voucherCode, promotionId, promotion_id (the send
//     parameter), voucherId.
// The content itself is documented as a JSON string; an object is accepted
// too, and a string that is not JSON is taken as the text.

// Cross-border text: {"translateTxt":…, "txt":…} [DOC LZ-IMBP §5]. Which
// one is the original is not stated; "txt" is the field every text has, so
// it is taken as the original (Message.Text) and "translateTxt" as
// Lazada's translation (Message.Translation).

// Sender: type 2 is a system message (SenderSystem); otherwise
// from_account_type 2 is the seller and anything else the buyer (1 is
// documented as the buyer; other values are UNVERIFIED and shown as the
// buyer's rather than hidden as echoes).

// Maximum text length: UNVERIFIED. Config.MaxTextLength (default 0, no
// client-side check) lets the operator set one; otherwise Lazada's own
// error is surfaced on the failed reply.

// IM QPS limits: UNVERIFIED. The client-side limiter defaults to httpx's 5
// requests/s per store and API (http.api_rate_limits overrides per API,
// e.g. "im/message/send"); ApiCallLimit answers are rate-limited errors
// with the ban the message names ("this ban will last 1 seconds"),
// rate_limit_wait (1s) when it names none.

// banDuration reads "this ban will last N seconds" from an ApiCallLimit
// message [DOC LZ-QA].
func banDuration(msg string, fallback time.Duration) time.Duration {
	m := banRE.FindStringSubmatch(msg)
	if m == nil {
		return fallback
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 || n > 86400 {
		return fallback
	}
	return time.Duration(n) * time.Second
}

var banRE = regexp.MustCompile(`(?i)ban will last (\d+) second`)

// timestampCode recognises the error for a timestamp more than 7200 s off
// [DOC], whose code is UNVERIFIED: any code naming the timestamp
// ("InvalidTimestamp", as the simulator answers) is transient, since a
// re-signed retry may pass; a host clock that is off then shows up in the
// connectivity alert with Lazada's message.
func timestampCode(code string) bool {
	return strings.Contains(strings.ToLower(code), "timestamp")
}

// imFailure: the IM APIs answer success, err_code and err_message beside
// code [DOC LZ-IM examples]; whether a business failure can come with
// code "0" is UNVERIFIED. A success of false, or an err_code other than
// "" and "0", is taken as a permanent failure named by err_code.
func imFailure(env envelope) (failed bool, code, msg string) {
	ec := strings.TrimSpace(string(env.ErrCode))
	bad := (ec != "" && ec != "0") || (env.Success != nil && !bool(*env.Success))
	if !bad {
		return false, "", ""
	}
	if ec == "" {
		ec = "success_false"
	}
	msg = string(env.ErrMessage)
	if msg == "" {
		msg = "Lazada answered success=false"
	}
	return true, ec, msg
}

// HTTP status codes: Lazada answers errors in the JSON body; which HTTP
// statuses accompany them is UNVERIFIED, so the body decides whatever the
// status, and the status only decides for a body that is not a Lazada
// envelope (429 rate-limited, 408/5xx transient, other non-2xx permanent).

// Retry-After (read by httpx.RetryAfter: seconds or an HTTP date): Lazada
// is not known to send one.

// msTime converts a Lazada timestamp, documented in milliseconds; a value
// that can only be seconds (or microseconds) by its magnitude is read as
// such, so that a unit change cannot make every message look 50 years old.
func msTime(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1e11:
		return time.Unix(v, 0)
	case v < 1e14:
		return time.UnixMilli(v)
	case v < 1e17:
		return time.UnixMicro(v)
	default:
		return time.Unix(0, v)
	}
}

// compareIDs orders two message IDs of the same time. Lazada's IDs look
// like "23hR5b20BtRbT00001" (opaque); decimal IDs are compared as numbers,
// others as strings. It only breaks ties between equal send times.
func compareIDs(a, b string) int {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if okA && okB {
		return x.Cmp(y)
	}
	return strings.Compare(a, b)
}

// authorizeCountry is the authorization link's optional country parameter
// [DOC LZ-AUTH "&country=…"]; its format is UNVERIFIED: the lower-case site
// code ("sg"), which preselects the store's country on the login page.
func authorizeCountry(site string) string {
	s := strings.ToLower(strings.TrimSpace(site))
	if _, ok := DefaultGateways[strings.ToUpper(s)]; !ok {
		return ""
	}
	return s
}

// Token calls (/auth/token/create, /auth/token/refresh) are form-encoded
// POSTs to the auth gateway; the method is not stated (the official SDK
// sends POSTs as form bodies). refresh_expires_in on a refresh: the doc
// says a refresh does not extend the refresh token's lifetime, while some
// responses may report a full lifetime again; the client keeps the expiry
// saved from the first grant and only moves it earlier when a response
// says so. Whether the old refresh token stays valid after a refresh is
// UNVERIFIED; the client saves the new pair before using it either way.

// Transport: POST parameters are all in the form body (with sign), as the
// official SDK sends them [SDK LZ-PY]. A retried POST carries its first
// timestamp (httpx re-signs only URLs); retries happen within seconds,
// far inside the 7200 s window.

// Pushes:
//   - An empty body is answered 200 without a signature check: how the
//     console's "verify the URL" step calls the endpoint is UNVERIFIED, and
//     an empty body carries nothing to act on.
//   - Replay protection is ours: the general push envelope carries a
//     timestamp (documented for order pushes; for IM pushes UNVERIFIED). A
//     push whose timestamp is older than push_max_age (7h: Lazada
//     redelivers every 30 minutes, 12 times) is refused with 401; a push
//     without one is accepted. Replaying a message push is harmless anyway:
//     the inbound queue de-duplicates by message ID.
//   - The 500 ms answer deadline is measured on wall time (push_deadline,
//     400 ms), not on the injected clock: a push that cannot be recorded in
//     time is refused with 503 and delivered again.
//   - seller_id in the envelope is the store's shop_id.
