package simulator

// The simulator's choices where shared/reference/marketplace-apis.md marks
// the Shopee behaviour UNVERIFIED or gives it only from SDKs and one
// observation. They mirror platforms/shopee/unverified.go; when the live API
// is checked, change both.

import "net/http"

// shopeeMaxPageSize: get_conversation_list returns an empty list above 25
// [OBS SH-OBS]. get_message's maximum is unknown; the simulator clamps to it.
const shopeeMaxPageSize = 25

// shopeeDefaultPageSize applies when page_size is absent: UNVERIFIED.
const shopeeDefaultPageSize = 25

// shopeeErrorStatus is the HTTP status sent with each error code: which
// statuses Shopee uses is UNVERIFIED (minchao/shopee-php maps 400 to bad
// request and 403 to auth errors). Clients must read the body whatever the
// status; the simulator varies them to keep clients honest.
var shopeeErrorStatus = map[string]int{
	"error_param":           http.StatusBadRequest,
	"error_sign":            http.StatusForbidden,
	"error_auth":            http.StatusForbidden,
	"invalid_acceess_token": http.StatusForbidden,
	"refresh_token_expired": http.StatusForbidden,
	"error_not_found":       http.StatusNotFound,
	"error_server":          http.StatusInternalServerError,
	"error_rate_limit":      http.StatusTooManyRequests,
}

// Error messages. The documented ones are "Invalid access_token.",
// "Invalid refresh_token.", "Wrong sign.", "Timestamp is expired.",
// "There is no access_token in query." and "Too many requests…"; the others
// are the simulator's wording.
const (
	msgWrongSign        = "Wrong sign."
	msgTimestampExpired = "Timestamp is expired."
	msgNoAccessToken    = "There is no access_token in query."
	msgInvalidAccess    = "Invalid access_token."
	msgInvalidRefresh   = "Invalid refresh_token."
	msgRateLimit        = "Too many requests, please try again later."
	msgServerError      = "System error, please try again later."
	msgTWCannotSend     = "Currently TW region is not supported to send messages"
)

// An expired access token is answered with "invalid_acceess_token" (the
// typo is Shopee's), an unknown or revoked one with "error_auth": both
// codes are documented, which one Shopee uses when is not.

// A refresh leaves the previous access token valid until it expires:
// UNVERIFIED. The previous refresh token is spent (documented single-use).

// next_cursor.next_message_time_nano is sent as a JSON string, and
// last_message_timestamp as a number: the types are UNVERIFIED (clients
// should accept both).

// get_message's offset is the ID of the last message returned; Shopee's
// offset format is opaque and UNVERIFIED.

// Lost pushes: push_message_list entries carry "data" as a JSON string of
// the push's data object, and last_message_id is a number.

// auth_partner has no login page here: with the simulator-only query
// parameter shop_id it redirects at once; without it, it shows a page
// listing the shops as links.
