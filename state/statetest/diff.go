package statetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

var timeType = reflect.TypeOf(time.Time{})

// diff lists how got differs from want, one line per field ("" when equal).
// Times compare with Equal (a zero time differs from 1970), nil and empty
// slices are equal, and fields named *Token show lengths, never values.
func diff(got, want any) string {
	var lines []string
	diffValue(&lines, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return strings.Join(lines, "\n")
}

func diffValue(out *[]string, path string, g, w reflect.Value) {
	label := path
	if label == "" {
		label = "value"
	}
	if g.Type() == timeType {
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		if !gt.Equal(wt) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", label, fmtTime(gt), fmtTime(wt)))
		}
		return
	}
	switch g.Kind() {
	case reflect.Struct:
		for i := 0; i < g.NumField(); i++ {
			f := g.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			if strings.HasSuffix(f.Name, "Token") && f.Type.Kind() == reflect.String {
				if gs, ws := g.Field(i).String(), w.Field(i).String(); gs != ws {
					*out = append(*out, fmt.Sprintf("%s: got a different value (%d bytes, want %d bytes)", p, len(gs), len(ws)))
				}
				continue
			}
			diffValue(out, p, g.Field(i), w.Field(i))
		}
	case reflect.Slice:
		if g.Len() != w.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d elements, want %d\n  got:  %s\n  want: %s",
				label, g.Len(), w.Len(), summarize(g), summarize(w)))
			return
		}
		for i := 0; i < g.Len(); i++ {
			diffValue(out, fmt.Sprintf("%s[%d]", label, i), g.Index(i), w.Index(i))
		}
	case reflect.Pointer:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() != w.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got nil=%v, want nil=%v", label, g.IsNil(), w.IsNil()))
			}
			return
		}
		diffValue(out, path, g.Elem(), w.Elem())
	default:
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %#v, want %#v", label, g.Interface(), w.Interface()))
		}
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "zero time"
	}
	return t.Format(time.RFC3339Nano)
}

// check fails the test when got differs from want, saying what differed.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s differs:\n%s", what, indent(d))
	}
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// must fails the test now on an unexpected error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails the test unless err wraps target (bridge.ErrNotFound or
// bridge.ErrConflict).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want one wrapping %q", what, err, target)
	}
}

var (
	errNotFound = bridge.ErrNotFound
	errConflict = bridge.ErrConflict
)

// keyFields are the fields that identify a row in a summary.
var keyFields = []string{"ID", "Store", "Conversation", "ChatMessage", "Status", "Scope", "Command", "StartedAt", "EndedAt", "CreatedAt", "At"}

// summarize lists a slice's elements by their identifying fields.
func summarize(v reflect.Value) string {
	parts := make([]string, 0, v.Len())
	for i := 0; i < v.Len(); i++ {
		e := v.Index(i)
		if e.Kind() != reflect.Struct || e.Type() == timeType {
			parts = append(parts, fmt.Sprint(e.Interface()))
			continue
		}
		var fields []string
		for _, name := range keyFields {
			f := e.FieldByName(name)
			if !f.IsValid() {
				continue
			}
			val := fmt.Sprint(f.Interface())
			if t, ok := f.Interface().(time.Time); ok {
				val = fmtTime(t)
			}
			fields = append(fields, name+"="+val)
		}
		parts = append(parts, "{"+strings.Join(fields, " ")+"}")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
