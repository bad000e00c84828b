package shopee

// This file holds every detail of the Shopee wire protocol that
// shared/reference/marketplace-apis.md (sections 1 and 4) marks UNVERIFIED,
// or that comes only from third-party SDKs or observations rather than from
// Shopee's own documentation, together with the choices this client makes
// about them. Everything else in the package follows documented behaviour.
// When one of these is confirmed or refuted against the live API, change it
// here (and in platforms/simulator/shopee_unverified.go, which mirrors them).

import (
	"strconv"
	"strings"
	"time"
)

// MaxConversationPageSize: "page_size > 25 on get_conversation_list returned an
// empty list" [OBS SH-OBS], not in the official docs; several third-party
// clients cap at 25 too.
const MaxConversationPageSize = 25

// MaxMessagePageSize for get_message: no source gives a maximum; third-party
// clients use 25. UNVERIFIED.
const MaxMessagePageSize = 25

// List ordering [OBS SH-OBS]: direction=older without a cursor returns the
// newest conversations first and next_timestamp_nano pages to older ones;
// last_message_timestamp is in nanoseconds; get_message returns the newest
// messages first and next_offset is "" at the end. The client relies on
// these, and stays safe if a page is out of order (it never stops inside a
// page, and stops paging only when a page's last entry is older than the
// cursor) or repeated (it de-duplicates by ID). Whether pinned conversations
// are listed first regardless of time is UNVERIFIED; an old pinned entry at
// the top of a page does not stop the listing.

// unitTime converts a Shopee timestamp whose unit is not certain. Message
// created_timestamp is documented in seconds and conversation
// last_message_timestamp observed in nanoseconds; this also accepts
// milliseconds and microseconds, judging by magnitude, so a unit change
// cannot make every conversation look 50 years old (or new).
func unitTime(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1e11: // seconds (until the year 5138)
		return time.Unix(v, 0)
	case v < 1e14: // milliseconds
		return time.UnixMilli(v)
	case v < 1e17: // microseconds
		return time.UnixMicro(v)
	default:
		return time.Unix(0, v)
	}
}

// Error codes not in the documented common list, handled anyway:
//   - "system_busy": SH-TS retries on it; not in the doc schemas. Transient.
//   - "invalid_access_token": the correctly spelled twin of Shopee's own
//     "invalid_acceess_token" typo, in case it is ever fixed. Auth.
const (
	codeSystemBusy         = "system_busy"
	codeInvalidAccessToken = "invalid_access_token"
)

// errorAuthMeaning splits "error_auth", whose documented messages mean
// different things: "Invalid access_token." (refresh and retry), "No
// permission to current api." (permanent: the app lacks the chat module),
// and "System error, please try again later." (transient). The messages are
// documented; matching on them is our choice.
func errorAuthMeaning(message string) (transient, permission bool) {
	m := strings.ToLower(message)
	return strings.Contains(m, "system error"), strings.Contains(m, "permission")
}

// expiredTimestamp recognises the documented error_param message
// "Timestamp is expired.": the request was signed more than 5 minutes
// before Shopee checked it (a slow proxy, a stalled connection, or a host
// clock that is off). A re-signed retry may pass, so it is classified as
// transient; a skewed host clock then shows up in the connectivity alert
// with this message rather than as silently failed replies.
func expiredTimestamp(code, message string) bool {
	return code == "error_param" && strings.Contains(strings.ToLower(message), "timestamp is expired")
}

// HTTP status codes: which ones go with which errors is UNVERIFIED, so the
// body is parsed whatever the status; the status only decides when the body
// is not a Shopee envelope (429 → rate limited, 408/5xx → transient).

// Retry-After (read by httpx.RetryAfter: seconds or an HTTP date): Shopee
// is not known to send one; without it the configured rate_limit_wait
// applies.

// dailyLimitReset is when "error_limit" (the daily call limit) lifts: 00:00
// UTC+8 [DOC]. The zone is documented; that the limit is per partner and
// not per shop is UNVERIFIED.
func dailyLimitReset(now time.Time) time.Time {
	z := time.FixedZone("UTC+8", 8*3600)
	n := now.In(z)
	return time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, z)
}

// Token responses: auth/token/get and auth/access_token/get are documented
// with access_token, refresh_token and expire_in at the top level of the
// body, next to error and request_id. The client also looks under
// "response" in case a gateway wraps them. The refresh token's lifetime is
// documented as 30 days but not returned; it is assumed from the doc.
const refreshTokenLifetime = 30 * 24 * time.Hour

// sendRegionBlocked: "Currently TW region is not supported to send
// messages" comes from SDK doc comments copied from the official
// description [SDK SH-GO/SH-PHP]; the client refuses before calling.
var sendRegionBlocked = map[string]bool{"TW": true}

// Maximum text length for send_message: UNVERIFIED. Config.MaxTextLength
// (default 0, no client-side check) lets the operator set one; otherwise
// Shopee's own error is surfaced on the failed reply.

// Message IDs: opaque strings. Only when a page is out of order does the
// client compare two messages; it compares created_timestamp first and then,
// when both IDs are decimal numbers, their numeric value (Shopee message IDs
// look like increasing 64-bit numbers: UNVERIFIED).
func newerThan(aTS int64, aID string, bTS int64, bID string) bool {
	if aTS != bTS {
		return aTS > bTS
	}
	ai, err1 := strconv.ParseUint(aID, 10, 64)
	bi, err2 := strconv.ParseUint(bID, 10, 64)
	if err1 == nil && err2 == nil {
		return ai > bi
	}
	return false
}

// Push verification choices:
//   - An empty body is acknowledged (2xx) without checking the signature:
//     Shopee's URL verification sends a test push that an old blog says is
//     empty, and an empty body carries nothing to act on.
//   - One third-party receiver claims the HMAC covers the body only; the doc
//     says callback_url + "|" + body. Pushes that match only the body-only
//     variant are refused but logged as such, to diagnose a misreading.
//   - Replay protection is ours, not Shopee's: a push whose "timestamp" is
//     older than push_max_age, or further than push_max_skew in the future
//     (a signed push kept for a later replay), is refused (401); an
//     identical body seen
//     within push_max_age is acknowledged without a new hint, because
//     Shopee documents that it may repeat the same message.

// Lost pushes: last_message_id is echoed back to
// confirm_consumed_lost_push_message exactly as received (number or string):
// its JSON type is UNVERIFIED.

// Seller Centre conversation links are not documented; Conversation.Link is
// left empty rather than guessed.
