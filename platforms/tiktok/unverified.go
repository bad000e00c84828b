package tiktok

// This file lists every detail of the TikTok Shop protocol that
// shared/reference/marketplace-apis.md (sections 3 and 4) marks UNVERIFIED,
// or knows only from SDKs rather than from TikTok's own documentation,
// with the choice this client makes about each. Everything else in the
// package follows documented behaviour. When one of these is confirmed or
// refuted against the live API, change it here (and in
// platforms/simulator/tiktok_unverified.go, which mirrors these choices).

import "time"

// Webhook signature base: SDK-VERIFIED, NOT DOC-VERIFIED. TikTok's webhook
// page says the signature is in the Authorization header and links to the
// API-signing page. Two SDKs (EcomPHP tiktokshop-php Webhook::verify,
// easycb-go VerifySign) verify lowercase hex HMAC-SHA256(app_secret,
// app_key + raw body), Lazada's scheme; WebhookSignature implements that
// and verifyWebhook compares it in constant time. If TikTok ever signs
// differently, every webhook is refused with 401 and logged as a signature
// mismatch, and the safety-net poll still brings every message in.

// Refresh token: its lifetime is not documented (refresh_token_expire_in is
// an absolute timestamp per answer, nothing more), nor whether a refresh
// spends it. The client treats it as single-use: it saves the pair each
// answer carries before using the new access token, and single-flights
// refreshes per store. The refresh expiry TikTok returns is kept; a store
// whose refresh token has expired gets an auth error ("authorize the store
// again") without a call.

// Token expiries are documented as absolute Unix timestamps. A value below
// 10^9 (before 2001) cannot be one: absoluteExpiry reads it as a duration
// in seconds from now, so a format change cannot make a token look expired
// for 50 years or valid forever.
func absoluteExpiry(v int64, now time.Time) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1_000_000_000:
		return now.Add(time.Duration(v) * time.Second)
	}
	return unixSeconds(v)
}

// Daily quota reset: 45101004 says "10000 request per day ... try again
// tomorrow" [DOC]; when "tomorrow" starts is not documented. The client
// assumes 00:00 UTC (quota_reset_utc_offset, 0 by default, moves it) and
// that the quota is per shop (the doc says per day; it is counted per
// store here). After 45101004 the store makes no customer-service calls
// until the reset; a store whose quota came back earlier waits at most
// until the assumed reset.

// Conversation detail: 202309 documents no "get one conversation" call (the
// customer-service reference lists Get Conversations, Get Conversation
// Messages, Send Message, Read Message, Create Conversation, the image
// upload and agent settings). can_send_message is therefore read from the
// conversation list: the client caches every listed conversation (the
// engine's polls, a webhook's lookup) and, for a conversation it has not
// seen, pages the newest lookup_pages pages before a reply.

// Conversation list order: not documented. The client assumes newest
// activity first (as the Seller Center inbox shows) and stops paging after
// a page whose last entry is older than the poll's cursor. If TikTok lists
// in another order, conversations can be missed by the poll; the webhooks
// still deliver their messages.

// Message order: index is "time-related, a newer message gets a larger
// index, but not strictly increasing" [DOC], a decimal string. The client
// asks for sort_order=DESC&sort_field=index and orders by index compared
// as a number (then create_time, then ID); it never relies on a page's
// position, only on these keys, and de-duplicates by ID.

// Text length: "Max 2000 characters" [DOC]; whether TikTok counts
// characters, UTF-16 code units or bytes is not documented. The client
// counts UTF-16 code units (an emoji counts twice), which is never less
// than the character count, so a reply it sends is never too long by
// TikTok's count unless TikTok counts bytes.

// Error code 45101001 means "Internal error" on the reads and "Invalid
// parameter" on Send Message [DOC TT-CS]: the message decides (invalid
// parameter → permanent, otherwise transient). Which HTTP status goes with
// which code is not documented: the body decides whatever the status.

// EMOTICONS content has no documented shape: the client takes url or
// image_url as the sticker's image and otherwise names emoticon_id.

// Sender role: an absent role is read as the buyer's (a message shown with
// the wrong sender beats a message hidden). ROBOT is read as TikTok's
// automatic reply (Message.AutoReply) and shown as a system message, like
// SYSTEM; both are said to carry the shop's im_user_id [DOC].

// Webhook delivery details: the "timestamp" of a redelivered webhook (the
// original event's or the retry's) is not documented; webhook_max_age (24
// h) is longer than TikTok's whole retry schedule either way. Which status
// codes TikTok treats as failures beyond "200 (or 401)" is not documented:
// the client answers 200, 401 (signature) or 503 (not recorded in time).
// A webhook for a shop no store has is acknowledged (retries would not
// help) and logged once an hour.

// Authorization link: Partner Center's "Copy authorization link" gives
// https://services.tiktokshop.com/open/authorize?service_id=… (ROW) or
// services.tiktokshops.us (US) [DOC]; the doc recommends adding state. The
// Redirect URL is registered in Partner Center, not passed in the link, so
// the client carries the store in state ("<store>~<token>") and its
// auth_redirect_path endpoint forwards to the bridge's callback. Whether
// the link accepts other parameters is not documented.

// Authorization checks: user_type must be 0 (seller) when present, and
// granted_scopes, when TikTok lists any, must include
// seller.customer_service (the scope key in the customer-service spec).

// Seller Center conversation links are not documented; Conversation.Link
// is left empty rather than guessed.
