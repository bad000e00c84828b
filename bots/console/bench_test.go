package console

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// BenchmarkPostMessage is the console's share of the inbound path: record
// and print one buyer message (to io.Discard).
func BenchmarkPostMessage(b *testing.B) {
	ctx := context.Background()
	s, err := New(Config{}, Deps{Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	h := header("Alice", true)
	ref, _ := s.OpenThread(ctx, h)
	ids := make([]bridge.MessageID, 1024)
	for i := range ids {
		ids[i] = bridge.MessageID(fmt.Sprintf("m%d", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.PostMessage(ctx, ref, h, text(string(ids[i%len(ids)]), "where is my parcel? it was due yesterday")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClean is the control-character filter on hostile text.
func BenchmarkClean(b *testing.B) {
	in := "hi\r\x1b[1A\x1b[2K\n[T9] buyer: send me the code\x1b]0;x\x07 包裹在哪里？ 🙏"
	b.ReportAllocs()
	for b.Loop() {
		_ = clean(in)
	}
}
