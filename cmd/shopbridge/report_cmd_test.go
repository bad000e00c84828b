package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
	"github.com/shopbridge/shopbridge/state/sqlite"
)

// reportConfig writes a console config with a report section and a state
// database holding one missed reply and one slow sync.
func reportConfig(t *testing.T) string {
	t.Helper()
	t.Setenv("SHOPBRIDGE_SECRET_KEY", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	cfg := `chat: console
state: {path: ` + db + `}
shopee: {partner_id: 2001887, partner_key: key}
stores:
  - {id: shopee-my, platform: shopee, shop_id: "1001", name: Main, site: MY, access_token: at, refresh_token: rt}
report:
  timezone: Asia/Kuala_Lumpur
  schedules:
    - {time: "09:00", timezone: Asia/Kuala_Lumpur}
  sla: 10m
`
	path := filepath.Join(dir, "shopbridge.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	c := bridge.ConversationRecord{Store: "shopee-my", ID: "c1", BuyerName: "Gina", Thread: bridge.ThreadRef{Channel: "console", ID: "T1"},
		LastBuyerAt: now.Add(-time.Hour), AwaitingSince: now.Add(-time.Hour), CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordSync(ctx, bridge.SyncRun{Store: "shopee-my", StartedAt: now.Add(-time.Hour), Duration: 12 * time.Second, OK: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSyncCursor(ctx, "shopee-my", now.Add(-time.Minute), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommandPrintsTheReport(t *testing.T) {
	path := reportConfig(t)
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path, "--since", "24h"}, nil, &out, &errb); code != 0 {
		t.Fatalf("report exit %d: %s", code, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"Daily inspection · ",
		" +08\n", // the report's time zone (Asia/Kuala_Lumpur)
		"⚠️ Session sync: p50 12s, p95 12s over 1 sync; 1 over 10s [shopee MY Main: 1 sync over 10s (❌ from 10)]",
		"⚠️ Missed replies: 1 conversation waiting longer than 10m, oldest 1h",
		"⚠️ Store authorization: 0 of 1 stores ok, 1 with tokens from the config (expiry unknown until their first refresh) [shopee MY Main: tokens from the config: expiry unknown until the first refresh]",
		"Gina: waiting 1h since ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report output lacks %q:\n%s", want, got)
		}
	}
}

func TestReportCommandPostsThroughTheSurface(t *testing.T) {
	path := reportConfig(t)
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path, "--post"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("report --post exit %d: %s", code, errb.String())
	}
	if got := out.String(); !strings.Contains(got, "REPORT: Daily inspection") || !strings.Contains(got, "Gina: waiting 1h since") || !strings.Contains(got, "thread T1") {
		t.Errorf("the console surface printed:\n%s", got)
	}
}

func TestReportCommandRefusesABadSince(t *testing.T) {
	path := reportConfig(t)
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path, "--since", "yesterday"}, nil, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), `--since "yesterday" is neither a period (24h, 7d) nor a time like 2026-03-09T09:00`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	loc, _ := time.LoadLocation("Asia/Kuala_Lumpur")
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, loc)
	for in, want := range map[string]time.Time{
		"":                 now.Add(-24 * time.Hour),
		"7d":               now.Add(-7 * 24 * time.Hour),
		"90m":              now.Add(-90 * time.Minute),
		"2026-03-09T09:00": time.Date(2026, 3, 9, 9, 0, 0, 0, loc),
		"2026-03-09":       time.Date(2026, 3, 9, 0, 0, 0, 0, loc),
	} {
		if got, err := reportSince(in, now, loc, 24*time.Hour); err != nil || !got.Equal(want) {
			t.Errorf("reportSince(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := reportSince("2026-03-11T09:00", now, loc, 24*time.Hour); err == nil {
		t.Errorf("a --since in the future was accepted")
	}
}

func TestReportConfigProblemsAreReported(t *testing.T) {
	yaml := validConfig + "report:\n  schedules:\n    - {time: \"9am\", timezone: Mars/Base}\n"
	_, err := ParseConfig("t.yaml", []byte(yaml), env(map[string]string{"KEY": "k", "AT": "a", "RT": "r"}))
	if err == nil {
		t.Fatal("a bad report schedule was accepted")
	}
	for _, want := range []string{`report.schedules[0].time: "9am" is not a time of day like 09:00`, `report.schedules[0].timezone: "Mars/Base" is not an IANA time zone`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q: %v", want, err)
		}
	}
}

// shopbridge report reads the state and changes nothing in it: tokens
// stored in the clear stay so even with SHOPBRIDGE_SECRET_KEY set (the
// running bridge encrypts them), and an older schema is not migrated.
func TestReportCommandChangesNoState(t *testing.T) {
	path := reportConfig(t)
	dir := filepath.Dir(path)
	db := filepath.Join(dir, "state.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveTokens(ctx, "shopee-my", bridge.Tokens{AccessToken: "plain-at", RefreshToken: "plain-rt"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	snapshot := func() string {
		t.Helper()
		out, err := sqliteDump(db)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := snapshot()
	t.Setenv("SHOPBRIDGE_SECRET_KEY", testSecretKey)
	var out, errb bytes.Buffer
	if code := run([]string{"report", "--config", path}, nil, &out, &errb); code != 0 {
		t.Fatalf("report: exit %d\n%s", code, errb.String())
	}
	if after := snapshot(); after != before {
		t.Errorf("the report changed the state database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if strings.Contains(errb.String(), "encrypted tokens") {
		t.Errorf("the report encrypted tokens: %s", errb.String())
	}
}

// sqliteDump is every row of every table of a SQLite file, in order, read
// through a read-only connection.
func sqliteDump(path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, name)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			rows, err = db.Query(`SELECT * FROM "` + table + `"`)
			if err != nil {
				return "", err
			}
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return b.String(), nil
}
