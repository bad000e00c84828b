package tiktok

import (
	"net/url"
	"testing"
)

// Signing vectors from shared/reference/marketplace-apis.md, section 3.1.
// OFFICIAL: TikTok's own worked example with its published result.
// CALC: computed by us from documented inputs (no published result).
func TestSignVectors(t *testing.T) {
	cases := []struct {
		label, secret, path string
		query               url.Values
		body                string
		want                string
	}{
		{
			label:  "OFFICIAL: 'Sign your API request' step by step (app secret e59af819cc, app_key 29a39d)",
			secret: "e59af819cc", path: "/authorization/202309/shops",
			query: url.Values{"app_key": {"29a39d"}, "timestamp": {"1623812664"}},
			want:  "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
		},
		{
			label:  "OFFICIAL inputs, sign and access_token in the query are not signed",
			secret: "e59af819cc", path: "/authorization/202309/shops",
			query: url.Values{"app_key": {"29a39d"}, "timestamp": {"1623812664"}, "sign": {"x"}, "access_token": {"y"}},
			want:  "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
		},
		{
			label:  "CALC: 'create a hash' inputs without the stray slash (matches the code samples)",
			secret: "abc000def111", path: "/authorization/202309/shops",
			query: url.Values{"app_key": {"123456"}, "timestamp": {"1234567890"}},
			want:  "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540",
		},
		{
			label:  "CALC: 'create a hash' inputs with the doc's stray slash after the path",
			secret: "abc000def111", path: "/authorization/202309/shops/",
			query: url.Values{"app_key": {"123456"}, "timestamp": {"1234567890"}},
			want:  "85cf90ee90dadfac63c41256e13f069d1e57a91c854c306a9a21d7347274f2b5",
		},
	}
	for _, c := range cases {
		if got := Sign(c.secret, c.path, c.query, []byte(c.body)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.label, got, c.want)
		}
	}
}

func TestSignBaseOrderAndBody(t *testing.T) {
	// The doc's Update Shop Webhook example string: sorted params after the
	// path, then the raw body.
	q := url.Values{"timestamp": {"1696909648"}, "shop_cipher": {"ROW_xkMbgAAAeVAQra0eZWebFQq5aIK"}, "app_key": {"68xu9ks5p4i8"}}
	body := `{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}`
	want := "S/event/202309/webhooksapp_key68xu9ks5p4i8shop_cipherROW_xkMbgAAAeVAQra0eZWebFQq5aIKtimestamp1696909648" + body + "S"
	if got := signBase("S", "/event/202309/webhooks", q, []byte(body)); got != want {
		t.Errorf("sign base\n got %q\nwant %q", got, want)
	}
}

// CALC: app_key 123456, secret abc000def111, body {"type":14} [reference 3.5].
func TestWebhookSignatureVector(t *testing.T) {
	const want = "6d832055d0f16975bab34589852e6516f9ff17b84c54f6627440daf1c92960a3"
	body := []byte(`{"type":14}`)
	if got := WebhookSignature("123456", "abc000def111", body); got != want {
		t.Fatalf("CALC webhook vector: got %s, want %s", got, want)
	}
	for _, c := range []struct {
		header string
		ok     bool
	}{
		{want, true},
		{"6D832055D0F16975BAB34589852E6516F9FF17B84C54F6627440DAF1C92960A3", true},
		{" " + want + " ", true},
		{"", false},
		{want[:63], false},
		{want[:62] + "00", false},
		{"not hex", false},
	} {
		if got := verifyWebhook("123456", "abc000def111", body, c.header); got != c.ok {
			t.Errorf("verify %q = %v, want %v", c.header, got, c.ok)
		}
	}
	if verifyWebhook("123457", "abc000def111", body, want) || verifyWebhook("123456", "abc000def112", body, want) ||
		verifyWebhook("123456", "abc000def111", []byte(`{"type":13}`), want) {
		t.Error("a signature verified for another app key, secret or body")
	}
}
