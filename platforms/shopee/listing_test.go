package shopee

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/bridge/bridgetest"
	"github.com/shopbridge/shopbridge/platforms/httpx"
)

type memTokens struct{ t bridge.Tokens }

func (m *memTokens) LoadTokens(context.Context, bridge.StoreID) (bridge.Tokens, error) {
	return m.t, nil
}
func (m *memTokens) SaveTokens(_ context.Context, _ bridge.StoreID, t bridge.Tokens) error {
	m.t = t
	return nil
}

// TestPinnedOldConversationDoesNotStopTheListing serves a first page that
// starts with an old (pinned) conversation followed by newer ones: the
// listing must go on to the next page.
func TestPinnedOldConversationDoesNotStopTheListing(t *testing.T) {
	now := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	since := now.Add(-time.Hour)
	conv := func(id int, at time.Time) string {
		return fmt.Sprintf(`{"conversation_id":"%d","to_id":%d,"last_message_timestamp":%d}`, id, 500+id, at.UnixNano())
	}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var list []string
		cursor := r.URL.Query().Get("next_timestamp_nano")
		more := "false"
		switch cursor {
		case "":
			list = append(list, conv(1, now.Add(-30*24*time.Hour))) // pinned, old
			for i := 2; i <= 25; i++ {
				list = append(list, conv(i, now.Add(-time.Duration(i)*time.Minute)))
			}
			more = "true"
		default:
			list = []string{conv(26, now.Add(-26*time.Minute)), conv(27, now.Add(-2*time.Hour))}
		}
		next := now.Add(-25 * time.Minute).UnixNano()
		fmt.Fprintf(w, `{"error":"","request_id":"r","response":{"conversations":[%s],"page_result":{"more":%s,"next_cursor":{"next_message_time_nano":"%d"}}}}`,
			strings.Join(list, ","), more, next)
	}))
	defer srv.Close()
	c, err := New(Config{PartnerID: 1, PartnerKey: "k", BaseURL: srv.URL, HTTP: httpx.Config{RateLimit: -1}},
		Deps{Tokens: &memTokens{bridge.Tokens{AccessToken: "a", RefreshToken: "r"}}, Clock: bridgetest.NewClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	convs, err := c.ListConversations(context.Background(), bridge.Store{ID: "s", ShopID: "1"}, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 25 || calls.Load() != 2 {
		t.Errorf("got %d conversations in %d calls, want 25 (2..26) in 2", len(convs), calls.Load())
	}
	for _, cv := range convs {
		if cv.ID == "1" || cv.ID == "27" {
			t.Errorf("conversation %s is older than since", cv.ID)
		}
	}
}
