package slack

import (
	"context"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// TestDestinationIsTheThreadsChannel: the core keys its posters by
// Destination and compares it with ThreadRef.Channel of existing threads;
// with channel IDs configured (Validate insists for the surface's own
// channels) they are the same string for every routing rule.
func TestDestinationIsTheThreadsChannel(t *testing.T) {
	f := newFixture(t, nil)
	for _, st := range []bridge.Store{
		store("own", "TH", chStore), // the store's own channel
		store("site", "MY", ""),     // its site's channel
		store("site-lower", "my", ""),
		store("inbox", "TH", ""), // the inbox
	} {
		ref, err := f.s.OpenThread(context.Background(), header(st, "c-"+string(st.ID)))
		if err != nil {
			t.Fatal(err)
		}
		if d := f.s.Destination(st); d != ref.Channel {
			t.Errorf("store %s: Destination %q, OpenThread's channel %q", st.ID, d, ref.Channel)
		}
	}
	if d := f.s.Destination(store("x", "SG", "")); d != chInbox {
		t.Errorf("a site without a channel goes to %q, want the inbox", d)
	}
}
