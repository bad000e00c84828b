package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every repository path the README names in backticks (or links to)
// exists: a reader who follows one finds the file.
func TestREADMEPathsExist(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The top-level folders a path of this repository starts with.
	tops := map[string]bool{}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			tops[e.Name()] = true
		}
	}
	candidates := map[string]bool{}
	for _, m := range regexp.MustCompile("`([^`\\s]+)`").FindAllStringSubmatch(string(data), -1) {
		candidates[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`).FindAllStringSubmatch(string(data), -1) {
		if !strings.Contains(m[1], "://") {
			candidates[m[1]] = true
		}
	}
	checked := 0
	for c := range candidates {
		p := strings.TrimPrefix(strings.TrimSuffix(c, "/"), "./")
		first, _, _ := strings.Cut(p, "/")
		isPath := (tops[first] && strings.Contains(p, "/")) || p == ".ci/run" || p == "Dockerfile" || p == ".dockerignore" || strings.HasSuffix(p, ".md")
		if !isPath || strings.ContainsAny(p, "<>{}*|…") {
			continue
		}
		checked++
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			t.Errorf("README.md names %q, which is not in the repository", c)
		}
	}
	if checked < 10 {
		t.Errorf("only %d paths found in README.md; the pattern misses them", checked)
	}
}
