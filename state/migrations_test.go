package state

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql":  {Data: []byte("two")},
		"m/0001_init.sql":  {Data: []byte("one")},
		"m/README.md":      {Data: []byte("ignored")},
		"m/0010_later.sql": {Data: []byte("ten")},
	}
	got, err := Migrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, m := range got {
		versions = append(versions, m.Version)
	}
	if len(got) != 3 || versions[0] != 1 || versions[1] != 2 || versions[2] != 10 {
		t.Fatalf("versions = %v, want [1 2 10]", versions)
	}
	if got[0].SQL != "one" || got[0].Name != "0001_init.sql" {
		t.Errorf("first migration = %q %q, want 0001_init.sql with its text", got[0].Name, got[0].SQL)
	}
}

func TestMigrationsRefuseBadNames(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"no version":        {"m/init.sql": {}},
		"zero version":      {"m/0000_init.sql": {}},
		"duplicate version": {"m/0001_a.sql": {}, "m/001_b.sql": {}},
	}
	for name, fsys := range cases {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			if _, err := Migrations(fsys, "m"); err == nil {
				t.Error("Migrations accepted it")
			}
		})
	}
}
