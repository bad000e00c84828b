package simulator

// The simulator's choices where shared/reference/marketplace-apis.md marks
// Lazada's behaviour UNVERIFIED or does not cover it. They mirror
// platforms/lazada/unverified.go; when the live API is checked, change both.

// Page sizes: both IM lists take at most 20 [DOC LZ-IMBP]; a larger
// page_size is refused (InvalidParameter), none means 20.
const (
	lazadaMaxPageSize     = 20
	lazadaDefaultPageSize = 20
)

// Error codes and messages. Documented: IllegalAccessToken,
// IllegalRefreshToken, InvalidCode, IncompleteSignature, MissingParameter,
// ApiCallLimit ("Api access frequency exceeds the limit. this ban will last
// 1 seconds"). The simulator's own wording: the timestamp-drift code
// (UNVERIFIED), the server error, the session limit and the reclaimed
// permission. API errors are answered with HTTP 200 and the error in the
// body, which is what clients must read; which HTTP statuses Lazada uses is
// UNVERIFIED (faults can set one).
const (
	lzCodeTimestamp           = "InvalidTimestamp"
	lzMsgTimestamp            = "The timestamp is more than 7200 seconds away from the server's time"
	lzMsgWrongSign            = "The request signature does not conform to platform standards"
	lzMsgIllegalAccess        = "The specified access token is invalid or expired"
	lzMsgIllegalRefresh       = "The specified refresh token is invalid or expired"
	lzMsgAPICallLimit         = "Api access frequency exceeds the limit. this ban will last 1 seconds"
	lzCodeServerError         = "ServiceUnavailable"
	lzMsgServerError          = "The service is temporarily unavailable, please try again later"
	lzCodeSessionLimit        = "MessageLimitExceeded"
	lzMsgSessionLimit         = "The buyer has not replied within a day: at most 5 messages can be sent"
	lzCodePermissionReclaimed = "InsufficientPermission"
	lzMsgPermissionReclaimed  = "The IM API permission of this app was reclaimed: the IM list APIs were polled"
)

// Content keys (UNVERIFIED beyond "txt"/"translateTxt"): image
// {imgUrl, width, height}, emoji {txt}, video {videoUrl, videoId, width,
// height}, item {itemId, title, price, imgUrl, actionUrl}, order and refund
// {orderId, title}, voucher {promotionId, voucherCode, title}. The client
// reads these and several alternatives.

// Number types: pushes carry numbers as JSON numbers; list entries carry
// send_time and template_id as strings, and sessions their times and
// counts as strings, as the documentation's samples show values, so that
// clients decode both.

// Pushes carry "timestamp" (ms) and "site" in the envelope, as order
// pushes are documented to; for IM pushes that is UNVERIFIED.

// Tokens: a refresh returns a new refresh token with the old one's expiry
// (refresh_expires_in is what is left of it), and spends the old one
// (whether Lazada invalidates it is UNVERIFIED; strict here). Access
// tokens issued before stay valid until they expire.

// /oauth/authorize has no login page here: with the simulator-only query
// parameter seller_id it redirects at once; without, it lists the shops.

// The health call: GET /seller/get returns the seller's profile.
