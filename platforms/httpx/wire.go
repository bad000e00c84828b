package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Tolerant wire types shared by the marketplace clients. The marketplaces
// send IDs as strings in one endpoint and as bare numbers (over 2^53) in
// another, and their samples disagree on types; the reference asks for
// tolerant decoding: a field of an unexpected JSON type decodes as empty
// instead of failing the whole response, and numbers never go through
// float64.

// FlexString accepts a JSON string, a number (kept as its exact text) or a
// boolean; null, objects and arrays decode as "".
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = ""
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		// The decoder has validated b; without escapes (and in valid
		// UTF-8, which json.Unmarshal would repair) it is the string.
		if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
			*f = FlexString(b[1 : len(b)-1])
			return nil
		}
		var s string
		if json.Unmarshal(b, &s) == nil {
			*f = FlexString(s)
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 't', 'f':
		*f = FlexString(b)
	}
	return nil
}

// FlexInt accepts a JSON number or a numeric string; anything else is 0.
// Integers are parsed exactly (no float64 rounding of 19-digit IDs or
// nanoseconds).
type FlexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	var s FlexString
	_ = s.UnmarshalJSON(b)
	*f = FlexInt(ParseInt(string(s)))
	return nil
}

// ParseInt parses an integer exactly, or a number in another notation
// ("1e3", "12.0") through float64 when it is within int64; anything else
// is 0.
func ParseInt(s string) int64 {
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(x) && math.Abs(x) < 9e18 {
		return int64(x)
	}
	return 0
}

// FlexBool accepts true/false, "true"/"false" (also "True", "TRUE"), 1/0
// and "1"/"0"; anything else is false.
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexBool) UnmarshalJSON(b []byte) error {
	var s FlexString
	_ = s.UnmarshalJSON(b)
	switch s {
	case "true", "1", "True", "TRUE":
		*f = true
	default:
		*f = false
	}
	return nil
}

// DecodeObject unmarshals raw, which must be a JSON object (or null or
// empty, which leaves v at its zero value).
func DecodeObject(raw []byte, v any) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil
	}
	if t[0] != '{' {
		return fmt.Errorf("not a JSON object")
	}
	return json.Unmarshal(t, v)
}
