package bridge_test

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestDefaultFillsOnlyUnsetValues(t *testing.T) {
	n, neg, set := 0, -1, 5
	d, s, given := time.Duration(0), "", "x"
	bridge.Default(&n, 3)
	bridge.Default(&neg, 3)
	bridge.Default(&set, 3)
	bridge.Default(&d, time.Second)
	bridge.Default(&s, "def")
	bridge.Default(&given, "def")
	if n != 3 || neg != 3 || set != 5 || d != time.Second || s != "def" || given != "x" {
		t.Fatalf("got %d %d %d %s %q %q", n, neg, set, d, s, given)
	}
}
