package tiktok

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign returns the signature of a 202309 API request [DOC TT-SIGN, the Go,
// Java and Node samples and the step-by-step example]: the query parameters
// except sign and access_token, sorted by key and concatenated as
// key+value, after the request path; then the raw body (requests that are
// not multipart/form-data; GET requests have none); the whole wrapped as
// secret+…+secret; HMAC-SHA256 keyed with the app secret, lowercase hex.
// The access token travels in the x-tts-access-token header and is never
// signed.
func Sign(secret, path string, query url.Values, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signBase(secret, path, query, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// signBase is the wrapped string that Sign hashes.
func signBase(secret, path string, query url.Values, body []byte) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != "sign" && k != "access_token" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(secret)
	b.WriteString(path)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(query.Get(k))
	}
	b.Write(body)
	b.WriteString(secret)
	return b.String()
}

// WebhookSignature is the Authorization header of a webhook: lowercase hex
// HMAC-SHA256 keyed with the app secret over app_key + raw body.
//
// SDK-verified, not doc-verified: TikTok's webhook page only says the
// signature is in the Authorization header and links to the API-signing
// page; this base string is what two public SDKs verify (EcomPHP
// tiktokshop-php Webhook::verify, easycb-go VerifySign) [SDK TT-PHP, TT-GO].
// See unverified.go.
func WebhookSignature(appKey, secret string, body []byte) string {
	return hex.EncodeToString(webhookMAC(appKey, secret, body))
}

func webhookMAC(appKey, secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(appKey))
	m.Write(body)
	return m.Sum(nil)
}

// verifyWebhook compares header with the expected signature in constant
// time (hex of either case is accepted).
func verifyWebhook(appKey, secret string, body []byte, header string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(header))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, webhookMAC(appKey, secret, body))
}
