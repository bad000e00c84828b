package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestFlexStringMatchesTheDecoder(t *testing.T) {
	for _, in := range []string{`"plain"`, `"esc\"aped\n"`, `"caf\u00e9"`, `"café"`, "\"bad\xffutf8\"", `""`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var got FlexString
		_ = got.UnmarshalJSON([]byte(in))
		if string(got) != want {
			t.Errorf("%q decoded as %q, the decoder says %q", in, got, want)
		}
	}
	for in, want := range map[string]string{`12345678901234567890`: "12345678901234567890", `true`: "true", `null`: "", `{"a":1}`: "", `[1]`: ""} {
		var got FlexString
		_ = got.UnmarshalJSON([]byte(in))
		if string(got) != want {
			t.Errorf("%s decoded as %q, want %q", in, got, want)
		}
	}
}

func TestFlexIntAndBool(t *testing.T) {
	var v struct {
		A, B, C, D FlexInt
		E, F, G    FlexBool
	}
	if err := json.Unmarshal([]byte(`{"A":1700000000123456789,"B":"42","C":"1e3","D":"x","E":"TRUE","F":1,"G":"yes"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 1700000000123456789 || v.B != 42 || v.C != 1000 || v.D != 0 || !bool(v.E) || !bool(v.F) || bool(v.G) {
		t.Errorf("decoded %+v", v)
	}
	if err := DecodeObject([]byte(` [1] `), &v); err == nil {
		t.Error("an array decoded as an object")
	}
	if err := DecodeObject([]byte(" null "), &v); err != nil {
		t.Error(err)
	}
}

func TestStatusError(t *testing.T) {
	clock := bridge.SystemClock{}
	h := http.Header{"Retry-After": {"7"}}
	if pe := StatusError(http.StatusOK, h, "", clock, time.Second); pe != nil {
		t.Errorf("200: %v", pe)
	}
	if pe := StatusError(http.StatusTooManyRequests, h, "r1", clock, time.Second); pe == nil || pe.Kind != bridge.KindRateLimited || pe.RetryAfter != 7*time.Second || pe.RequestID != "r1" {
		t.Errorf("429: %+v", pe)
	}
	if pe := StatusError(http.StatusRequestTimeout, nil, "", clock, time.Second); pe == nil || pe.Kind != bridge.KindTransient || pe.Code != "http_408" {
		t.Errorf("408: %+v", pe)
	}
	if pe := StatusError(http.StatusForbidden, nil, "", clock, time.Second); pe == nil || pe.Kind != bridge.KindPermanent {
		t.Errorf("403: %+v", pe)
	}
	if got := RetryAfter(http.Header{}, time.Now(), 3*time.Second); got != 3*time.Second {
		t.Errorf("no Retry-After: %s", got)
	}
}

func TestTokenRefusal(t *testing.T) {
	store := bridge.Store{ID: "s1"}
	transient := &bridge.PlatformError{Kind: bridge.KindTransient, Message: "timeout"}
	p := NewTokenProvider(TokenConfig{Platform: bridge.PlatformShopee})
	if err := p.Refused(OpRefresh, store, transient, "refused"); err != transient {
		t.Errorf("a transient failure was reclassified: %v", err)
	}
	refused := &bridge.PlatformError{Kind: bridge.KindPermanent, Code: "error_auth", RequestID: "r9", Message: "Invalid refresh token."}
	var pe *bridge.PlatformError
	if err := p.Refused(OpRefresh, store, refused, "refresh refused"); !errors.As(err, &pe) || pe.Kind != bridge.KindAuth ||
		pe.Code != "error_auth" || pe.RequestID != "r9" || pe.Message != "store s1: refresh refused (Invalid refresh token.)" {
		t.Errorf("refused: %+v", pe)
	}
	if err := TokenRefusal(bridge.PlatformShopee, "exchange code", store, errors.New("boom"), "code refused"); !errors.As(err, &pe) ||
		pe.Kind != bridge.KindAuth || pe.Message != "store s1: code refused" {
		t.Errorf("plain failure: %+v", pe)
	}
}
