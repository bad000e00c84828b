package lazada

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// LazOP request signing [DOC LZ-SIGN]: every parameter (system and
// business, never "sign" itself) sorted by name in ASCII order,
// concatenated as name+value without separators, prefixed with the API
// path ("/im/message/send", without the gateway's "/rest"), HMAC-SHA256
// keyed with the app secret, as UPPERCASE hex.

// SignBase is the string a request to apiPath with params is signed over.
// A parameter with several values is signed with its first (LazOP
// parameters are single-valued); "sign" is left out.
func SignBase(apiPath string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // byte order, i.e. ASCII
	var b strings.Builder
	b.WriteString(apiPath)
	for _, k := range keys {
		b.WriteString(k)
		if v := params[k]; len(v) > 0 {
			b.WriteString(v[0])
		}
	}
	return b.String()
}

// Sign returns the LazOP signature (UPPERCASE hex HMAC-SHA256 under
// secret) of a request to apiPath with params.
func Sign(secret, apiPath string, params url.Values) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(SignBase(apiPath, params)))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// PushSignature is the Authorization header of a push [DOC LZ-PUSH]:
// lowercase hex HMAC-SHA256 keyed with the app secret over app_key + the
// raw body.
func PushSignature(appKey, secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// verifyPush compares header with the push signature in constant time.
// Upper-case hex is accepted too (hex decoding ignores case).
func verifyPush(appKey, secret string, body []byte, header string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(header))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(appKey))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
