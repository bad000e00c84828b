package shopee

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Open Platform v2 signing [DOC SH-API, SH-AUTH]: HMAC-SHA256 keyed with the
// partner key as UTF-8 bytes (not hex-decoded), over a base string that
// concatenates the parts without separators; the signature is lowercase hex.

// sign returns the lowercase hex HMAC-SHA256 of base under key.
func sign(key, base string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(base))
	return hex.EncodeToString(m.Sum(nil))
}

// publicBase is the base string of Public APIs (auth, push):
// partner_id + api_path + timestamp.
func publicBase(partnerID int64, path string, ts int64) string {
	return strconv.FormatInt(partnerID, 10) + path + strconv.FormatInt(ts, 10)
}

// shopBase is the base string of Shop APIs:
// partner_id + api_path + timestamp + access_token + shop_id.
func shopBase(partnerID int64, path string, ts int64, accessToken, shopID string) string {
	return publicBase(partnerID, path, ts) + accessToken + shopID
}

// pushSignature is the Authorization header of a push [DOC SH-PUSH]:
// hex(HMAC-SHA256(partner_key, callback_url + "|" + raw_body)).
func pushSignature(key, callbackURL string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(callbackURL))
	m.Write([]byte{'|'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// verifyPushSignature compares header with the expected signature in
// constant time. Upper-case hex is accepted.
func verifyPushSignature(key, callbackURL string, body []byte, header string) bool {
	got, err := hex.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(callbackURL))
	m.Write([]byte{'|'})
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// verifyBodyOnly checks the undocumented body-only variant that one
// third-party receiver uses; it only explains a refusal in the log.
func verifyBodyOnly(key string, body []byte, header string) bool {
	got, err := hex.DecodeString(header)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
