package lazada

import (
	"net/url"
	"testing"
)

// The official request-signing example [DOC LZ-SIGN page 108069, reproduced
// in shared/reference/marketplace-apis.md §2.1].
func TestSignReproducesTheOfficialExample(t *testing.T) {
	params := url.Values{
		"app_key":      {"123456"},
		"access_token": {"test"},
		"timestamp":    {"1517820392000"},
		"order_id":     {"1234"},
		"sign_method":  {"sha256"},
		"sign":         {"ignored: sign is never signed"},
	}
	const base = "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
	if got := SignBase("/order/get", params); got != base {
		t.Fatalf("base string\n got %s\nwant %s", got, base)
	}
	const want = "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A"
	if got := Sign("helloworld", "/order/get", params); got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
}

// The documented push vector [DOC LZ-PUSH + CALC], body taken literally.
func TestPushSignatureVector(t *testing.T) {
	body := []byte(`{"seller_id":"1234567", "message_type":0, "data":{...}..}`)
	const want = "f3d2ca947f16a50b577c036adecd18bec126ea19cadedd59816e255d3b6104ab"
	if got := PushSignature("123456", "3412gyo124goi3124", body); got != want {
		t.Fatalf("push signature = %s, want %s", got, want)
	}
	if !verifyPush("123456", "3412gyo124goi3124", body, want) {
		t.Error("the documented signature does not verify")
	}
	for _, bad := range []string{"", "zz", want[:62], "0" + want[1:], want + "00"} {
		if verifyPush("123456", "3412gyo124goi3124", body, bad) {
			t.Errorf("signature %q verified", bad)
		}
	}
	if verifyPush("123456", "3412gyo124goi3124", append(body, ' '), want) {
		t.Error("the signature of another body verified")
	}
}

func TestSignSortsByASCII(t *testing.T) {
	// Upper case sorts before lower case, "_" between them.
	p := url.Values{"b": {"2"}, "B": {"1"}, "a_b": {"3"}, "ab": {"4"}}
	if got := SignBase("/x", p); got != "/xB1a_b3ab4b2" {
		t.Errorf("base %s", got)
	}
}
