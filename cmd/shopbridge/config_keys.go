package main

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config problems that teach: a key the config does not have is named by
// its full path with the nearest known key, a value of the wrong kind by
// its path and the kind expected, and a YAML syntax error by its line and
// column with a hint, instead of the decoder's Go type names
// ("field poll_intervall not found in type engine.Config").

// keyProblem is one problem found by walking the document against Config.
type keyProblem struct {
	line int
	text string
}

// checkKeys walks the decoded YAML document against Config's types and
// returns a problem per unknown key and per scalar of the wrong kind.
func checkKeys(doc *yaml.Node) []keyProblem {
	if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	var out []keyProblem
	walkKeys(doc.Content[0], reflect.TypeOf(Config{}), "", &out)
	return out
}

var (
	durationType     = reflect.TypeOf(time.Duration(0))
	unmarshalerType  = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	textUnmarshalerT = reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem()
)

func walkKeys(n *yaml.Node, t reflect.Type, path string, out *[]keyProblem) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode || reflect.PointerTo(t).Implements(unmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerT) {
		return // its own decoding: nothing to say from here
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value keeps the default
	}
	where := path
	if where == "" {
		where = "the config"
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			*out = append(*out, keyProblem{n.Line, fmt.Sprintf("%s: must be a section of key: value lines, got %s", where, describe(n))})
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				*out = append(*out, keyProblem{k.Line, unknownKey(path, k.Value, fields)})
				continue
			}
			walkKeys(v, f, key, out)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			*out = append(*out, keyProblem{n.Line, fmt.Sprintf("%s: must be a section of key: value lines, got %s", where, describe(n))})
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), out)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			*out = append(*out, keyProblem{n.Line, fmt.Sprintf("%s: must be a list (lines starting with \"- \", or [a, b]), got %s", where, describe(n))})
			return
		}
		for i, item := range n.Content {
			walkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			*out = append(*out, keyProblem{n.Line, fmt.Sprintf("%s: must be %s, got %s", where, kindName(t), describe(n))})
			return
		}
		if !scalarFits(n, t) {
			*out = append(*out, keyProblem{n.Line, fmt.Sprintf("%s: %s is not %s", where, strconv.Quote(n.Value), kindName(t))})
		}
	}
}

// scalarFits reports whether a scalar decodes into t.
func scalarFits(n *yaml.Node, t reflect.Type) bool {
	var v any
	if t == durationType {
		if _, err := time.ParseDuration(n.Value); err == nil {
			return true
		}
		// yaml.v3 also takes a plain number of nanoseconds.
		_, err := strconv.ParseInt(n.Value, 0, 64)
		return err == nil
	}
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Bool:
		v = new(bool)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v = new(int64)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v = new(uint64)
	case reflect.Float32, reflect.Float64:
		v = new(float64)
	default:
		return true
	}
	return n.Decode(v) == nil
}

// kindName says what a value of t is written as.
func kindName(t reflect.Type) string {
	if t == durationType {
		return "a duration like 90s, 5m or 1h30m"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a single value"
}

// describe names what a node is, for "got …".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// yamlFields maps a struct's YAML keys to their types, inline fields
// included, as yaml.v3 names them.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKey words an unknown key: its full path and the nearest key the
// section has, or the section's keys when none is near.
func unknownKey(section, key string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	slices.Sort(known)
	text := join(section, key) + ": unknown key"
	if near := nearest(key, known); near != "" {
		return text + "; did you mean " + join(section, near) + "?"
	}
	if section == "" {
		return text + " (the config's sections are " + strings.Join(known, ", ") + ")"
	}
	if len(known) <= 12 {
		return text + " (" + section + " takes " + strings.Join(known, ", ") + ")"
	}
	return text
}

// nearest returns the known key closest to key, if it is close enough to
// be a typo: at most a third of its letters differ (at least 1, at most 3).
func nearest(key string, known []string) string {
	best, bestD := "", -1
	for _, k := range known {
		d := editDistance(strings.ToLower(key), k)
		if bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	limit := max(1, min(3, len(key)/3))
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem words a YAML syntax error with its line and column and a
// hint at the usual cause. data is the file as read; yaml.v3 gives the
// line only, so the column is found on that line from the kind of error.
func syntaxProblem(err error, data []byte) string {
	msg := err.Error()
	m := yamlLineError.FindStringSubmatch(msg)
	if m == nil {
		return "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")
	}
	lineNo, _ := strconv.Atoi(m[1])
	what := m[2]
	lines := strings.Split(string(data), "\n")
	text := ""
	if lineNo >= 1 && lineNo <= len(lines) {
		text = lines[lineNo-1]
	}
	col := 1 + len(text) - len(strings.TrimLeft(text, " \t"))
	hint := "check the indentation (spaces only, keys of one section lined up) and quote values that contain \": \" or \" #\" or start with one of {}[]&*!|>'\"%@`"
	switch {
	case strings.Contains(what, "found character that cannot start any token"):
		if i := strings.IndexByte(text, '\t'); i >= 0 {
			col, hint = i+1, "a tab: YAML indents with spaces only"
		} else if i := strings.IndexAny(text, "@`"); i >= 0 {
			col, hint = i+1, "a value starting with @ or ` must be quoted"
		}
	case strings.Contains(what, "mapping values are not allowed"):
		if _, value, ok := strings.Cut(strings.TrimSpace(text), ": "); ok && strings.Contains(value, ": ") {
			col = strings.Index(text, ": ") + 3 + strings.Index(value, ": ")
			hint = "a value containing \": \" must be quoted, like key: \"a: b\""
		} else {
			hint = "this line is indented more than the key above it: keys of one section line up"
		}
	case strings.Contains(what, "did not find expected '-' indicator"), strings.Contains(what, "did not find expected key"):
		hint = "a line below this one is indented differently from its neighbours: list items (- …) and the keys of a section line up"
	case strings.Contains(what, "did not find expected ',' or '}'"), strings.Contains(what, "did not find expected ',' or ']'"):
		// The parser names the line where the collection began; the
		// brace or bracket left open is on it or below.
		for i := lineNo - 1; i >= 0 && i < len(lines); i++ {
			l := lines[i]
			if strings.Count(l, "{") > strings.Count(l, "}") || strings.Count(l, "[") > strings.Count(l, "]") {
				lineNo, col = i+1, strings.LastIndexAny(l, "{[")+1
				break
			}
		}
		hint = "an inline {…} or […] opened here is not closed on its line"
	case strings.Contains(what, "found unexpected end of stream"), strings.Contains(what, "could not find expected ':'"):
		for i, l := range lines {
			if strings.Count(l, `"`)%2 == 1 {
				lineNo, col = i+1, strings.IndexByte(l, '"')+1
				break
			}
		}
		hint = "a quote opened and not closed"
	}
	return fmt.Sprintf("line %d, column %d: YAML syntax: %s; hint: %s", lineNo, col, what, hint)
}
