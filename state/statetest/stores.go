package statetest

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

var storeStateTests = []test{
	{"unknown_store_is_zero_without_error", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		got, err := st.StoreState(t.Context(), "never-seen")
		must(t, "StoreState", err)
		check(t, "StoreState of an unknown store", got, bridge.StoreState{})
	}},
	{"paused_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "SetPaused(true)", st.SetPaused(ctx, "shop-a", true))
		got, err := st.StoreState(ctx, "shop-a")
		must(t, "StoreState", err)
		check(t, "StoreState after pausing", got, bridge.StoreState{Paused: true})

		must(t, "SetPaused(false)", st.SetPaused(ctx, "shop-a", false))
		got, err = st.StoreState(ctx, "shop-a")
		must(t, "StoreState", err)
		check(t, "StoreState after resuming", got, bridge.StoreState{})
	}},
	{"sync_cursor_round_trip_keeps_paused", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "SetPaused", st.SetPaused(ctx, "shop-a", true))
		must(t, "SaveSyncCursor", st.SaveSyncCursor(ctx, "shop-a", at(1), at(2)))
		got, err := st.StoreState(ctx, "shop-a")
		must(t, "StoreState", err)
		check(t, "StoreState after a sync", got, bridge.StoreState{Paused: true, Cursor: at(1), LastSyncAt: at(2)})

		must(t, "SaveSyncCursor again", st.SaveSyncCursor(ctx, "shop-a", at(30), at(31)))
		must(t, "SetPaused(false)", st.SetPaused(ctx, "shop-a", false))
		got, err = st.StoreState(ctx, "shop-a")
		must(t, "StoreState", err)
		check(t, "StoreState after a second sync and resume", got, bridge.StoreState{Cursor: at(30), LastSyncAt: at(31)})
	}},
	{"zero_cursor_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "SaveSyncCursor", st.SaveSyncCursor(ctx, "shop-a", at(1), at(2)))
		must(t, "SaveSyncCursor(zero times)", st.SaveSyncCursor(ctx, "shop-a", zero, zero))
		got, err := st.StoreState(ctx, "shop-a")
		must(t, "StoreState", err)
		check(t, "StoreState with zero cursor", got, bridge.StoreState{})
	}},
	{"stores_are_independent", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		must(t, "SetPaused(a)", st.SetPaused(ctx, "shop-a", true))
		must(t, "SaveSyncCursor(b)", st.SaveSyncCursor(ctx, "shop-b", at(5), at(6)))
		a, err := st.StoreState(ctx, "shop-a")
		must(t, "StoreState(a)", err)
		b, err := st.StoreState(ctx, "shop-b")
		must(t, "StoreState(b)", err)
		check(t, "StoreState(shop-a)", a, bridge.StoreState{Paused: true})
		check(t, "StoreState(shop-b)", b, bridge.StoreState{Cursor: at(5), LastSyncAt: at(6)})
	}},
}

var tokenTests = []test{
	{"missing_is_not_found", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		_, err := st.LoadTokens(t.Context(), "shop-a")
		wantErr(t, "LoadTokens of a store without tokens", err, errNotFound)
	}},
	{"round_trip_and_overwrite", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		first := bridge.Tokens{
			AccessToken:      "access-1-ÄÖ",
			RefreshToken:     "refresh-1",
			AccessExpiresAt:  at(4 * 3600),
			RefreshExpiresAt: at(30 * 24 * 3600),
			UpdatedAt:        at(0),
		}
		must(t, "SaveTokens", st.SaveTokens(ctx, "shop-a", first))
		got, err := st.LoadTokens(ctx, "shop-a")
		must(t, "LoadTokens", err)
		check(t, "tokens", got, first)

		second := bridge.Tokens{AccessToken: "access-2", RefreshToken: "refresh-2", UpdatedAt: at(60)}
		must(t, "SaveTokens again", st.SaveTokens(ctx, "shop-a", second))
		got, err = st.LoadTokens(ctx, "shop-a")
		must(t, "LoadTokens", err)
		check(t, "tokens after overwrite (zero expiries)", got, second)
	}},
	{"empty_tokens_round_trip", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		must(t, "SaveTokens", st.SaveTokens(t.Context(), "shop-a", bridge.Tokens{}))
		got, err := st.LoadTokens(t.Context(), "shop-a")
		must(t, "LoadTokens of empty tokens", err)
		check(t, "empty tokens", got, bridge.Tokens{})
	}},
	{"stores_are_independent", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		a := bridge.Tokens{AccessToken: "a", RefreshToken: "ra", UpdatedAt: at(1)}
		b := bridge.Tokens{AccessToken: "b", RefreshToken: "rb", UpdatedAt: at(2)}
		must(t, "SaveTokens(a)", st.SaveTokens(ctx, "shop-a", a))
		must(t, "SaveTokens(b)", st.SaveTokens(ctx, "shop-b", b))
		gotA, err := st.LoadTokens(ctx, "shop-a")
		must(t, "LoadTokens(a)", err)
		gotB, err := st.LoadTokens(ctx, "shop-b")
		must(t, "LoadTokens(b)", err)
		check(t, "tokens of shop-a", gotA, a)
		check(t, "tokens of shop-b", gotB, b)
	}},
}
