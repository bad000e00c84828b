package simulator_test

import (
	"net/url"
	"testing"

	"github.com/shopbridge/shopbridge/platforms/simulator"
)

// The simulator's own signer against the reference's worked examples
// (section 3.1): it is an independent implementation of the client's.
func TestTikTokSignMatchesTheReference(t *testing.T) {
	q := url.Values{"app_key": {"29a39d"}, "timestamp": {"1623812664"}, "sign": {"x"}, "access_token": {"y"}}
	if got := simulator.TikTokSignBase("e59af819cc", "/authorization/202309/shops", q, nil); got != "e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc" {
		t.Errorf("base %q", got)
	}
	if got := simulator.TikTokSign("e59af819cc", "/authorization/202309/shops", q, nil); got != "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8" {
		t.Errorf("official example: %s", got)
	}
	q = url.Values{"app_key": {"123456"}, "timestamp": {"1234567890"}}
	if got := simulator.TikTokSign("abc000def111", "/authorization/202309/shops", q, nil); got != "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540" {
		t.Errorf("create-a-hash example: %s", got)
	}
	// Keys that prefix one another sort by key, not by key+value.
	q = url.Values{"a": {"zz"}, "ab": {"c"}}
	if got := simulator.TikTokSignBase("s", "/p", q, []byte("{}")); got != "s/pazzabc{}s" {
		t.Errorf("base %q", got)
	}
}
