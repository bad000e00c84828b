package statetest

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// The bridge's own records: authorization bookkeeping, authorization
// requests, scheduled report deliveries and quick reply templates.

var authRecordTests = []test{
	{"store_record_missing_is_zero", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		got, err := st.StoreAuthRecord(t.Context(), "shop-a")
		must(t, "StoreAuthRecord of a store without one", err)
		check(t, "StoreAuthRecord of a store without one", got, bridge.StoreAuthRecord{Store: "shop-a"})
	}},
	{"store_record_round_trip_and_replace", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		r := bridge.StoreAuthRecord{Store: "shop-a", NeedsUpdate: true, Reason: "refresh refused", Since: at(1),
			Alert: bridge.AlertRef{Channel: "C-alerts", ID: "1700000000.000100"}, WarnedExpiry: at(2)}
		must(t, "SaveStoreAuthRecord", st.SaveStoreAuthRecord(ctx, r))
		must(t, "SaveStoreAuthRecord(other store)", st.SaveStoreAuthRecord(ctx, bridge.StoreAuthRecord{Store: "shop-b", Reason: "x"}))
		got, err := st.StoreAuthRecord(ctx, "shop-a")
		must(t, "StoreAuthRecord", err)
		check(t, "StoreAuthRecord", got, r)

		cleared := bridge.StoreAuthRecord{Store: "shop-a", WarnedExpiry: at(2)}
		must(t, "SaveStoreAuthRecord again", st.SaveStoreAuthRecord(ctx, cleared))
		got, err = st.StoreAuthRecord(ctx, "shop-a")
		must(t, "StoreAuthRecord", err)
		check(t, "StoreAuthRecord after it was replaced (zero fields too)", got, cleared)
	}},
	{"last_attempt_replaces_the_one_before", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		_, err := st.LastAuthAttempt(ctx, "shop-a")
		wantErr(t, "LastAuthAttempt of a store without one", err, errNotFound)
		first := bridge.AuthAttempt{At: at(1), OK: false, Detail: "token refresh failed: invalid_grant"}
		must(t, "RecordAuthAttempt", st.RecordAuthAttempt(ctx, "shop-a", first))
		must(t, "RecordAuthAttempt(other store)", st.RecordAuthAttempt(ctx, "shop-b", bridge.AuthAttempt{At: at(9), OK: true}))
		got, err := st.LastAuthAttempt(ctx, "shop-a")
		must(t, "LastAuthAttempt", err)
		check(t, "LastAuthAttempt", got, first)
		second := bridge.AuthAttempt{At: at(2), OK: true, Detail: "tokens refreshed"}
		must(t, "RecordAuthAttempt again", st.RecordAuthAttempt(ctx, "shop-a", second))
		got, err = st.LastAuthAttempt(ctx, "shop-a")
		must(t, "LastAuthAttempt", err)
		check(t, "LastAuthAttempt after a second attempt", got, second)
	}},
}

var authRequestTests = []test{
	{"taken_once", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		r := bridge.AuthRequest{StateHash: "5f3a", Store: "shop-a", Platform: bridge.PlatformShopee, ExpiresAt: at(600),
			By: bridge.AuthRequester{Surface: "slack", UserID: "U1", UserName: "alice", Channel: "C-ops"}}
		must(t, "SaveAuthRequest", st.SaveAuthRequest(ctx, r))
		must(t, "SaveAuthRequest(other)", st.SaveAuthRequest(ctx, bridge.AuthRequest{StateHash: "77b0", Store: "shop-b", Platform: bridge.PlatformShopee}))
		got, err := st.TakeAuthRequest(ctx, "5f3a")
		must(t, "TakeAuthRequest", err)
		check(t, "TakeAuthRequest", got, r)
		_, err = st.TakeAuthRequest(ctx, "5f3a")
		wantErr(t, "TakeAuthRequest of a request already taken", err, errNotFound)
		_, err = st.TakeAuthRequest(ctx, "unknown")
		wantErr(t, "TakeAuthRequest of an unknown hash", err, errNotFound)
		got, err = st.TakeAuthRequest(ctx, "77b0")
		must(t, "TakeAuthRequest(other)", err)
		check(t, "the other request, untouched", got.Store, bridge.StoreID("shop-b"))
	}},
	{"same_hash_twice_is_a_conflict", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		r := bridge.AuthRequest{StateHash: "5f3a", Store: "shop-a", Platform: bridge.PlatformShopee}
		must(t, "SaveAuthRequest", st.SaveAuthRequest(t.Context(), r))
		wantErr(t, "SaveAuthRequest of a hash saved already", st.SaveAuthRequest(t.Context(), r), errConflict)
	}},
}

var reportDeliveryTests = []test{
	{"round_trip_and_replace", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		_, err := st.ReportDelivery(ctx, "eu@2026-03-10")
		wantErr(t, "ReportDelivery of a report never recorded", err, errNotFound)
		d := bridge.ReportDelivery{Key: "eu@2026-03-10", Schedule: "eu", Status: bridge.DeliveryPosting,
			Since: at(-86400), Until: at(0), Attempts: 1, UpdatedAt: at(1)}
		must(t, "SaveReportDelivery", st.SaveReportDelivery(ctx, d))
		got, err := st.ReportDelivery(ctx, d.Key)
		must(t, "ReportDelivery", err)
		check(t, "ReportDelivery", got, d)
		d.Status, d.Attempts, d.Ref, d.Error, d.UpdatedAt = bridge.DeliveryFailed, 2, bridge.ChatMessageRef{Channel: "C-report", ID: "7"}, "timeout", at(2)
		must(t, "SaveReportDelivery again", st.SaveReportDelivery(ctx, d))
		got, err = st.ReportDelivery(ctx, d.Key)
		must(t, "ReportDelivery", err)
		check(t, "ReportDelivery after it was replaced", got, d)
	}},
	{"last_posted_per_schedule", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		last, err := st.LastReportPosted(ctx, "eu")
		must(t, "LastReportPosted without reports", err)
		check(t, "LastReportPosted without reports", last, zero)
		day := func(schedule string, n int, status bridge.DeliveryStatus) bridge.ReportDelivery {
			return bridge.ReportDelivery{Key: schedule + "@2026-03-1" + string(rune('0'+n)), Schedule: schedule, Status: status,
				Since: at((n - 1) * 86400), Until: at(n * 86400), Attempts: 1}
		}
		for _, d := range []bridge.ReportDelivery{
			day("eu", 1, bridge.DeliveryPosted), day("eu", 2, bridge.DeliveryPosted),
			day("eu", 3, bridge.DeliveryUnconfirmed), day("eu", 4, bridge.DeliveryFailed),
			day("us", 5, bridge.DeliveryPosted),
		} {
			must(t, "SaveReportDelivery "+d.Key, st.SaveReportDelivery(ctx, d))
		}
		last, err = st.LastReportPosted(ctx, "eu")
		must(t, "LastReportPosted", err)
		check(t, "LastReportPosted(eu): unconfirmed and failed reports do not count", last, at(2*86400))
		last, err = st.LastReportPosted(ctx, "us")
		must(t, "LastReportPosted(us)", err)
		check(t, "LastReportPosted(us)", last, at(5*86400))
	}},
}

var templateTests = []test{
	{"variants_listed_in_order", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		ctx := t.Context()
		got, err := st.Templates(ctx)
		must(t, "Templates of an empty book", err)
		check(t, "Templates of an empty book", got, []bridge.Template(nil))
		thanks := bridge.Template{Name: "thanks", Text: "Thank you!", By: "alice", At: at(1)}
		thanksMY := bridge.Template{Name: "thanks", Site: "MY", Text: "Terima kasih!", By: "bob", At: at(2)}
		thanksSG := bridge.Template{Name: "thanks", Site: "SG", Text: "Thanks lah!"}
		thanksShop := bridge.Template{Name: "thanks", Store: "shop-a", Text: "Thanks from shop A", At: at(3)}
		hours := bridge.Template{Name: "hours", Store: "shop-a", Text: "We answer 9–18."}
		for _, v := range []bridge.Template{thanksShop, thanksSG, hours, thanksMY, thanks} {
			must(t, "SaveTemplate "+v.Name+" "+v.Site+string(v.Store), st.SaveTemplate(ctx, v))
		}
		got, err = st.Templates(ctx)
		must(t, "Templates", err)
		check(t, "Templates (by name; default, sites, stores)", got, []bridge.Template{hours, thanks, thanksMY, thanksSG, thanksShop})

		thanksMY.Text, thanksMY.At = "Terima kasih banyak!", at(4)
		must(t, "SaveTemplate (replace)", st.SaveTemplate(ctx, thanksMY))
		must(t, "DeleteTemplateVariant", st.DeleteTemplateVariant(ctx, "thanks", "SG", ""))
		wantErr(t, "DeleteTemplateVariant of a variant it does not have",
			st.DeleteTemplateVariant(ctx, "thanks", "TH", ""), errNotFound)
		must(t, "DeleteTemplate", st.DeleteTemplate(ctx, "hours"))
		got, err = st.Templates(ctx)
		must(t, "Templates", err)
		check(t, "Templates after replace and deletes", got, []bridge.Template{thanks, thanksMY, thanksShop})
	}},
	{"site_and_store_together_refused", func(t *testing.T, s *suite) {
		st := s.fresh(t)
		err := st.SaveTemplate(t.Context(), bridge.Template{Name: "x", Site: "MY", Store: "shop-a", Text: "x"})
		if err == nil {
			t.Fatal("SaveTemplate of a variant for a site and a store at once succeeded")
		}
		got, _ := st.Templates(t.Context())
		check(t, "Templates after the refused save", got, []bridge.Template(nil))
	}},
}

// upgradeRecordsTest builds a database of schema version 6, with the
// bridge's records as JSON in meta as release 6 wrote them, and checks
// that they come back as typed records (times at millisecond precision)
// and that meta keeps only the surfaces' keys.
var upgradeRecordsTest = test{"v6_meta_records_become_typed_records", func(t *testing.T, s *suite) {
	ctx := t.Context()
	legacy := s.legacyDB(t, 6)
	meta := map[string]string{
		"auth:store:shop-a": `{"needs_update":true,"reason":"refresh refused","since":"2026-03-14T17:26:53.589793238+08:00",` +
			`"alert":{"Channel":"C-alerts","ID":"1700000000.000100"},"warned_expiry":"2026-04-01T00:00:00Z"}`,
		"auth:store:shop-b": `{"warned_expiry":"2026-04-01T00:00:00Z"}`,
		"auth:last:shop-a":  `{"at":"2026-03-14T09:26:53.589793238Z","ok":false,"detail":"token refresh failed: invalid_grant"}`,
		"auth:last:shop-b":  `{"at":"0001-01-01T00:00:00Z","ok":true,"detail":""}`,
		"auth:state:5f3a":   `{"store":"shop-a","platform":"shopee","expires_at":"2026-03-14T09:36:53Z","by":{"Surface":"slack","UserID":"U1","UserName":"alice","Channel":"C-ops"}}`,
		"auth:state:77b0":   ``, // a link already used
		"report:delivery:eu@2026-03-10": `{"status":"posted","since":"2026-03-09T08:00:00Z","until":"2026-03-10T08:00:00Z",` +
			`"attempts":2,"ref":{"Channel":"C-report","ID":"1700000000.000200"},"updated_at":"2026-03-10T08:00:01.5Z"}`,
		"report:delivery:09:00 Asia/Kuala_Lumpur@2026-03-11": `{"status":"posting","since":"2026-03-10T01:00:00Z","until":"2026-03-11T01:00:00Z","attempts":1,"updated_at":"2026-03-11T01:00:00Z"}`,
		"report:last:eu": "2026-03-10T08:00:00Z",
		"templates": `{"thanks":{"default":{"text":"Thank you!","by":"alice","at":"2026-03-01T10:00:00Z"},` +
			`"sites":{"MY":{"text":"Terima kasih!"}},"stores":{"shop-a":{"text":"Thanks from shop A","by":"bob","at":"2026-03-02T10:00:00.25Z"}}},` +
			`"hours":{"sites":{"SG":{"text":"We answer 9–18."}}}}`,
		"telegram:header:1": "42",               // a surface's own key, kept
		"auth:store:broken": `{"needs_update":`, // not JSON: dropped
	}
	for k, v := range meta {
		if err := legacy.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, k, v); err != nil {
			t.Fatalf("version 6 database: insert meta %q: %v", k, err)
		}
	}
	must(t, "close the version 6 database", legacy.Close())

	st := s.fresh(t)
	ms := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Truncate(time.Millisecond).UTC()
	}
	recA, err := st.StoreAuthRecord(ctx, "shop-a")
	must(t, "StoreAuthRecord(shop-a)", err)
	check(t, "store_auth of shop-a after the upgrade", recA, bridge.StoreAuthRecord{Store: "shop-a", NeedsUpdate: true,
		Reason: "refresh refused", Since: ms("2026-03-14T09:26:53.590Z"), Alert: bridge.AlertRef{Channel: "C-alerts", ID: "1700000000.000100"},
		WarnedExpiry: ms("2026-04-01T00:00:00Z")})
	recB, err := st.StoreAuthRecord(ctx, "shop-b")
	must(t, "StoreAuthRecord(shop-b)", err)
	check(t, "store_auth of shop-b after the upgrade", recB, bridge.StoreAuthRecord{Store: "shop-b", WarnedExpiry: ms("2026-04-01T00:00:00Z")})
	broken, err := st.StoreAuthRecord(ctx, "broken")
	must(t, "StoreAuthRecord(broken)", err)
	check(t, "a record that was not JSON", broken, bridge.StoreAuthRecord{Store: "broken"})

	attA, err := st.LastAuthAttempt(ctx, "shop-a")
	must(t, "LastAuthAttempt(shop-a)", err)
	check(t, "last attempt of shop-a after the upgrade", attA, bridge.AuthAttempt{At: ms("2026-03-14T09:26:53.590Z"),
		Detail: "token refresh failed: invalid_grant"})
	attB, err := st.LastAuthAttempt(ctx, "shop-b")
	must(t, "LastAuthAttempt(shop-b)", err)
	check(t, "last attempt of shop-b (the zero time) after the upgrade", attB, bridge.AuthAttempt{OK: true})

	req, err := st.TakeAuthRequest(ctx, "5f3a")
	must(t, "TakeAuthRequest(5f3a)", err)
	check(t, "authorization request after the upgrade", req, bridge.AuthRequest{StateHash: "5f3a", Store: "shop-a",
		Platform: bridge.PlatformShopee, ExpiresAt: ms("2026-03-14T09:36:53Z"),
		By: bridge.AuthRequester{Surface: "slack", UserID: "U1", UserName: "alice", Channel: "C-ops"}})
	_, err = st.TakeAuthRequest(ctx, "77b0")
	wantErr(t, "TakeAuthRequest of a link used before the upgrade", err, errNotFound)

	eu, err := st.ReportDelivery(ctx, "eu@2026-03-10")
	must(t, "ReportDelivery(eu)", err)
	check(t, "delivery of eu@2026-03-10 after the upgrade", eu, bridge.ReportDelivery{Key: "eu@2026-03-10", Schedule: "eu",
		Status: bridge.DeliveryPosted, Since: ms("2026-03-09T08:00:00Z"), Until: ms("2026-03-10T08:00:00Z"), Attempts: 2,
		Ref: bridge.ChatMessageRef{Channel: "C-report", ID: "1700000000.000200"}, UpdatedAt: ms("2026-03-10T08:00:01.5Z")})
	kl, err := st.ReportDelivery(ctx, "09:00 Asia/Kuala_Lumpur@2026-03-11")
	must(t, "ReportDelivery(kl)", err)
	check(t, "schedule of a key with spaces and a slash", kl.Schedule, "09:00 Asia/Kuala_Lumpur")
	check(t, "status of the posting delivery", kl.Status, bridge.DeliveryPosting)
	last, err := st.LastReportPosted(ctx, "eu")
	must(t, "LastReportPosted(eu)", err)
	check(t, "report:last:eu, now read from the deliveries", last, ms("2026-03-10T08:00:00Z"))

	book, err := st.Templates(ctx)
	must(t, "Templates", err)
	check(t, "templates after the upgrade", book, []bridge.Template{
		{Name: "hours", Site: "SG", Text: "We answer 9–18."},
		{Name: "thanks", Text: "Thank you!", By: "alice", At: ms("2026-03-01T10:00:00Z")},
		{Name: "thanks", Site: "MY", Text: "Terima kasih!"},
		{Name: "thanks", Store: "shop-a", Text: "Thanks from shop A", By: "bob", At: ms("2026-03-02T10:00:00.25Z")},
	})

	for k := range meta {
		v, err := st.Meta(ctx, k)
		if k == "telegram:header:1" {
			must(t, "Meta of a surface's key", err)
			check(t, "a surface's key after the upgrade", v, "42")
			continue
		}
		wantErr(t, "Meta("+k+") after the upgrade", err, errNotFound)
	}
}}
