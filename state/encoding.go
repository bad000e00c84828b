package state

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

// UnixNano is how every backend stores a time: UTC Unix nanoseconds, with the
// zero time.Time stored as 0 (not as the nanoseconds of year 1, which do not
// fit in an int64). Times outside 1678–2262 cannot be represented.
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromUnixNano reverses UnixNano: 0 is the zero time.Time, anything else a
// UTC time.
func FromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// EncodeStores stores an incident's stores as a JSON array ("[]" for none).
func EncodeStores(ids []bridge.StoreID) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, err := json.Marshal(ids)
	if err != nil {
		// Marshalling a slice of strings cannot fail.
		panic(err)
	}
	return string(b)
}

// DecodeStores reads what EncodeStores wrote; an empty array is nil.
func DecodeStores(s string) ([]bridge.StoreID, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var ids []bridge.StoreID
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("decode incident stores: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}
