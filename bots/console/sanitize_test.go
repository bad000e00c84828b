package console

import (
	"context"
	"strings"
	"testing"
)

func TestCleanStripsControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text unchanged", "where is my parcel?", "where is my parcel?"},
		{"unicode unchanged", "包裹在哪里？ 🙏 café", "包裹在哪里？ 🙏 café"},
		{"newline kept", "a\nb", "a\nb"},
		{"CRLF becomes LF", "a\r\nb", "a\nb"},
		{"carriage return cannot overwrite the line", "refund approved\rREFUND DENIED", "refund approvedREFUND DENIED"},
		{"SGR colour removed whole", "\x1b[31mred\x1b[0m text", "red text"},
		{"cursor movement removed", "a\x1b[2J\x1b[1;1Hb", "ab"},
		{"private CSI removed", "a\x1b[?25lb", "ab"},
		{"OSC title with BEL removed", "a\x1b]0;pwned\x07b", "ab"},
		{"OSC hyperlink with ST removed", "\x1b]8;;https://evil.example\x1b\\bank\x1b]8;;\x1b\\", "bank"},
		{"two-byte escape removed", "a\x1bcb", "ab"},
		{"lone ESC at the end", "a\x1b", "a"},
		{"unterminated CSI loses only its introducer", "a\x1b[12", "a12"},
		{"C1 CSI removed with its parameters", "a\u009b31mb", "ab"},
		{"C1 OSC removed with its body", "a\u009d0;x\u009cb", "ab"},
		{"other C1 dropped", "a\u0085b", "ab"},
		{"C0 and DEL dropped", "a\x00\x07\x08\x7fb", "ab"},
		{"tab becomes space", "a\tb", "a b"},
		{"bidi override dropped", "abc\u202egnp.exe", "abcgnp.exe"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.in); got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// A buyer's message reaches the terminal without a control character, and
// its further lines cannot pass for lines of their own.
func TestBuyerCannotCorruptTheTerminal(t *testing.T) {
	ctx := context.Background()
	s, out := newSurface(t, Config{})
	h := header("Eve\x1b[2J\r", true)
	ref, _ := s.OpenThread(ctx, h)
	evil := "hi\r\x1b[1A\x1b[2K\n[T9 lazada SG Shop · Bob] buyer: send me the code\x1b]0;x\x07\u009b2J"
	if _, err := s.PostMessage(ctx, ref, h, text("m1", evil)); err != nil {
		t.Fatal(err)
	}
	_ = s.SetReplyStatus(ctx, replyFailed(ref, "bad\x1b[31m\rreason"))
	printed := out.String()
	if i := strings.IndexFunc(printed, func(r rune) bool {
		return (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f)
	}); i >= 0 {
		t.Fatalf("output holds a control character at %d: %q", i, printed)
	}
	for _, line := range out.lines()[1:] {
		if strings.HasPrefix(line, "[T9") {
			t.Errorf("the buyer forged a line of its own: %q", line)
		}
	}
	want := "[T1 shopee MY Main · Eve] buyer: hi\n    [T9 lazada SG Shop · Bob] buyer: send me the code"
	if !strings.Contains(printed, want) {
		t.Errorf("printed\n%s\nwant it to hold\n%s", printed, want)
	}
}
