package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeErrorLine finds the line of one of the decoder's problems.
var decodeErrorLine = regexp.MustCompile(`^line (\d+): `)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// unsetEnv is a ${NAME} reference to a variable the environment lacks.
type unsetEnv struct {
	line int // 1-based
	name string
}

// expandEnv replaces ${NAME} with the environment's value and returns the
// references to unset variables, in file order.
func expandEnv(data []byte, lookup func(string) (string, bool)) ([]byte, []unsetEnv) {
	var unset []unsetEnv
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue // comments may mention ${VARS} freely
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			name := string(m[2 : len(m)-1])
			v, ok := lookup(name)
			if !ok {
				unset = append(unset, unsetEnv{line: i + 1, name: name})
			}
			// Quote-safe: the value is inserted as is, so secrets with
			// YAML-special characters should be quoted in the file.
			return []byte(v)
		})
	}
	return bytes.Join(lines, []byte("\n")), unset
}

// unusedSections finds, in the file as written (before ${ENV} expansion),
// the line ranges of the optional sections the config does not use: a
// marketplace app no store is on, a chat surface that is not the chosen
// one. An unset variable referenced only there is not a problem. When the
// file cannot be read that way, nothing is excused (the real decode
// reports why).
func unusedSections(data []byte) [][2]int {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var head struct {
		Chat   string `yaml:"chat"`
		Stores []struct {
			Platform string `yaml:"platform"`
		} `yaml:"stores"`
	}
	// A value that only parses once expanded leaves the head partial:
	// then fewer sections are excused, never more.
	_ = root.Decode(&head)
	doc := root.Content[0]
	keys := map[string]bool{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		keys[doc.Content[i].Value] = true
	}
	used := map[string]bool{}
	for _, s := range head.Stores {
		used[s.Platform] = true
	}
	chat := head.Chat
	if chat == "" {
		switch {
		case keys["slack"]:
			chat = "slack"
		case keys["telegram"]:
			chat = "telegram"
		}
	}
	optional := map[string]bool{"slack": chat != "slack", "telegram": chat != "telegram"}
	for _, m := range marketplaces {
		optional[m.section] = !used[string(m.platform)]
	}
	var out [][2]int
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key := doc.Content[i]
		if !optional[key.Value] {
			continue
		}
		end := int(^uint(0) >> 1)
		if i+2 < len(doc.Content) {
			end = doc.Content[i+2].Line - 1
		}
		out = append(out, [2]int{key.Line, end})
	}
	return out
}

// envProblems is one line per unset variable, at its first reference
// outside the unused sections.
func envProblems(unset []unsetEnv, unused [][2]int) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range unset {
		excused := false
		for _, r := range unused {
			excused = excused || (u.line >= r[0] && u.line <= r[1])
		}
		if excused || seen[u.name] {
			continue
		}
		seen[u.name] = true
		out = append(out, fmt.Sprintf("line %d: environment variable %s is not set", u.line, u.name))
	}
	return out
}

// ConfigError lists every problem found in a configuration.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.Path, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// LoadConfig reads, expands, decodes, defaults and validates a config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s not found: run `shopbridge init %s` to write an example, or `shopbridge demo` to try the bridge without one", path, path)
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data, os.LookupEnv)
}

// ParseConfig is LoadConfig on bytes.
func ParseConfig(path string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	expanded, unset := expandEnv(data, lookup)
	problems := envProblems(unset, unusedSections(data))
	var root yaml.Node
	if err := yaml.Unmarshal(expanded, &root); err != nil {
		problems = append(problems, syntaxProblem(err, expanded))
		return nil, &ConfigError{Path: path, Problems: problems}
	}
	// Unknown keys and values of the wrong kind, by their path; the
	// decoder's own lines for them (in Go type names) are left out.
	told := map[int]bool{}
	for _, kp := range checkKeys(&root) {
		problems = append(problems, fmt.Sprintf("%s (line %d)", kp.text, kp.line))
		told[kp.line] = true
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			problems = append(problems, syntaxProblem(err, expanded))
			return nil, &ConfigError{Path: path, Problems: problems}
		}
		for _, line := range te.Errors {
			if m := decodeErrorLine.FindStringSubmatch(line); m != nil {
				if n, _ := strconv.Atoi(m[1]); told[n] {
					continue
				}
			}
			problems = append(problems, line)
		}
	}
	cfg.SetDefaults()
	problems = append(problems, cfg.Validate()...)
	if len(problems) > 0 {
		return nil, &ConfigError{Path: path, Problems: problems}
	}
	cfg.path = path
	return &cfg, nil
}
