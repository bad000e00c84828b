package lazada

import (
	"encoding/json"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// The decoders must never panic, whatever Lazada (or a proxy, or a forged
// but signed push) sends. The seed corpus runs in every `go test`;
// `go test -fuzz=FuzzDecodeMessage ./platforms/lazada/` explores further.

var seedBodies = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `{"a":`, `{"message_list":{}}`, `{"session_list":"x"}`,
	`{"message_list":[null,1,"x",{"message_id":[1]}]}`,
	`{"message_list":[{"message_id":{"a":1},"content":[1,2]},{"message_id":"1","content":null,"send_time":1e400}]}`,
	`{"session_list":[{"session_id":"100094063_2_1011822749_1_103","buyer_id":"1011822749","title":"A","last_message_time":"1748854800000","unread_count":"2"}],"has_more":"true","next_start_time":"1748854800000","last_session_id":"x"}`,
	`{"message_list":[{"message_id":"23hR5b20BtRbT00001","session_id":"s","template_id":"1","content":"{\"txt\":\"hi\"}","from_account_type":"1","send_time":"1748854800000","type":"1","status":"0","auto_reply":"false","process_msg":""}],"has_more":false}`,
}

func FuzzDecodePages(f *testing.F) {
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodeSessionPage(b); err == nil {
			for _, s := range p.Items {
				_ = toConversation(s)
			}
		}
		if p, err := decodeMessagePage(b); err == nil {
			for _, m := range p.Items {
				checkMessage(t, toMessage(m))
			}
		}
		_, _ = decodeSession(b)
		_, _ = decodeSent(b)
		_, _ = decodeTokens(b)
		var env envelope
		_ = decodeObject(b, &env)
		_, _, _ = imFailure(env)
	})
}

// FuzzDecodeMessage fuzzes one message: its template (numbers as strings
// too) and its content (a JSON string holding an object, an object, a
// plain string, garbage).
func FuzzDecodeMessage(f *testing.F) {
	templates := []string{"1", `"1"`, "2", "3", `"3"`, "4", "6", "10006", `"10007"`, "10008", "10010", "10011", "10015", "0", `null`, `"x"`, `-1`, `1e3`}
	contents := []string{
		`"{\"txt\":\"hi\"}"`, `"{\"translateTxt\":\"Hello\",\"txt\":\"สวัสดี\"}"`, `{"txt":"object"}`, `"plain text"`, `"{bad json"`,
		`"{\"imgUrl\":\"https://x/1.jpg\",\"width\":800}"`, `"{\"itemId\":123456789012345678901,\"title\":\"T\",\"price\":19.9}"`,
		`"{\"orderId\":\"7000\"}"`, `"{\"promotionId\":9,\"voucherCode\":\"SAVE\"}"`, `"{\"videoId\":\"v1\"}"`, `null`, `[1]`, `12`, `"{\"txt\":{\"a\":1}}"`,
	}
	for i, tpl := range templates {
		for j, c := range contents {
			if (i+j)%3 == 0 {
				f.Add(tpl, c, `"1"`, `"1748854800000"`, `"0"`, `"true"`, `""`)
			}
		}
	}
	f.Add("1", `"{\"txt\":\"hi\"}"`, "2", "1748854800", "1", "1", `"blocked"`)
	f.Fuzz(func(t *testing.T, tpl, content, fromType, sendTime, status, autoReply, processMsg string) {
		raw := `{"message_id":"m1","session_id":"s1","template_id":` + tpl + `,"content":` + content + `,"from_account_type":` + fromType +
			`,"send_time":` + sendTime + `,"status":` + status + `,"auto_reply":` + autoReply + `,"process_msg":` + processMsg + `}`
		var m wireMessage
		if json.Unmarshal([]byte(raw), &m) != nil {
			// Not JSON as a whole: the content alone must still decode safely.
			_ = decodeContent(json.RawMessage(content))
			return
		}
		checkMessage(t, toMessage(m))
	})
}

// FuzzPush fuzzes a whole push body as the endpoint decodes it.
func FuzzPush(f *testing.F) {
	for _, s := range append(seedBodies,
		`{"seller_id":"1234567", "message_type":0, "data":{...}..}`,
		`{"seller_id":1234567,"message_type":"2","timestamp":"1748854800000","data":"{\"session_id\":\"s\",\"message_id\":\"m\",\"content\":\"{\\\"txt\\\":\\\"hi\\\"}\",\"template_id\":1}"}`,
		`{"seller_id":"1","message_type":19,"data":{"sync_type":"SESSION_UPDATE","session_id":"s","unread_count":"1"}}`,
	) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePush(b)
		if err != nil {
			return
		}
		_ = msTime(int64(p.Timestamp))
		_ = p.sessionUpdate()
		if m, err := p.message(); err == nil {
			checkMessage(t, toMessage(m))
			_ = buyerOf(m)
		}
	})
}

// checkMessage holds what every decoded message must satisfy.
func checkMessage(t *testing.T, m bridge.Message) {
	t.Helper()
	switch m.Kind {
	case bridge.KindText, bridge.KindImage, bridge.KindVideo, bridge.KindSticker:
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher, bridge.KindRefund:
		if m.Card == nil {
			t.Fatalf("%s without a card", m.Kind)
		}
	case bridge.KindUnsupported:
		if m.UnsupportedType == "" {
			t.Fatal("unsupported message without its type")
		}
	default:
		t.Fatalf("kind %q", m.Kind)
	}
	switch m.Sender {
	case bridge.SenderBuyer, bridge.SenderSeller, bridge.SenderSystem:
	default:
		t.Fatalf("sender %q", m.Sender)
	}
}

// Decoding is tolerant of Lazada's numbers-as-strings and of content as an
// object, and keeps every template.
func TestDecodeMessages(t *testing.T) {
	cases := []struct {
		raw  string
		want bridge.Message
	}{
		{`{"message_id":"a","session_id":"s","template_id":"1","content":"{\"txt\":\"hi\"}","from_account_type":"2","send_time":"1748854800000"}`,
			bridge.Message{ID: "a", Conversation: "s", Kind: bridge.KindText, Text: "hi", Sender: bridge.SenderSeller}},
		{`{"message_id":"b","template_id":1,"content":{"txt":"as object"},"from_account_type":1}`,
			bridge.Message{ID: "b", Kind: bridge.KindText, Text: "as object", Sender: bridge.SenderBuyer}},
		{`{"message_id":"c","template_id":2,"type":2,"content":"{\"txt\":\"Order shipped\"}","from_account_type":2}`,
			bridge.Message{ID: "c", Kind: bridge.KindText, Text: "Order shipped", Sender: bridge.SenderSystem}},
		{`{"message_id":"d","template_id":3,"content":"{\"img_url\":\"https://x/1.jpg\"}"}`,
			bridge.Message{ID: "d", Kind: bridge.KindImage, URL: "https://x/1.jpg", Sender: bridge.SenderBuyer}},
		{`{"message_id":"e","template_id":10006,"content":"{\"itemId\":123456789012345678901,\"title\":\"Bag\"}"}`,
			bridge.Message{ID: "e", Kind: bridge.KindItem, Card: &bridge.Card{ItemID: "123456789012345678901", Title: "Bag"}, Sender: bridge.SenderBuyer}},
		{`{"message_id":"f","template_id":"10011","content":"{\"orderId\":\"7000\",\"title\":\"Refund requested\"}"}`,
			bridge.Message{ID: "f", Kind: bridge.KindRefund, Card: &bridge.Card{OrderID: "7000", Title: "Refund requested"}, Sender: bridge.SenderBuyer}},
		{`{"message_id":"g","template_id":10010,"content":"{\"title\":\"Follow us\"}"}`,
			bridge.Message{ID: "g", Kind: bridge.KindUnsupported, UnsupportedType: "10010", Text: "Follow us", Sender: bridge.SenderBuyer}},
		{`{"message_id":"h","template_id":1,"content":"not json","status":"1","auto_reply":"true"}`,
			bridge.Message{ID: "h", Kind: bridge.KindText, Text: "not json", Recalled: true, AutoReply: true, Sender: bridge.SenderBuyer}},
		{`{"message_id":"i","template_id":6,"content":"{\"videoId\":\"v9\"}"}`,
			bridge.Message{ID: "i", Kind: bridge.KindVideo, Text: "video v9", Sender: bridge.SenderBuyer}},
	}
	for _, c := range cases {
		var m wireMessage
		if err := json.Unmarshal([]byte(c.raw), &m); err != nil {
			t.Fatal(err)
		}
		got := toMessage(m)
		got.SentAt = c.want.SentAt
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(c.want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s\n got %s\nwant %s", c.raw, gotJSON, wantJSON)
		}
	}
	var m wireMessage
	_ = json.Unmarshal([]byte(`{"message_id":"x","send_time":"1748854800000"}`), &m)
	if got := toMessage(m).SentAt.UnixMilli(); got != 1748854800000 {
		t.Errorf("send_time as a string: %d", got)
	}
	_ = json.Unmarshal([]byte(`{"message_id":"x","send_time":1748854800}`), &m)
	if got := toMessage(m).SentAt.Unix(); got != 1748854800 {
		t.Errorf("send_time in seconds: %d", got)
	}
}
