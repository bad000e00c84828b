package shopee

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/bridge"
)

func TestConversationIDStringOrBigNumber(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"string", `{"message_id":"1","conversation_id":"4611686018427387904"}`, "4611686018427387904"},
		{"number above 2^53", `{"message_id":"1","conversation_id":4611686018427387905}`, "4611686018427387905"},
		{"max int64", `{"message_id":"1","conversation_id":9223372036854775807}`, "9223372036854775807"},
		{"null", `{"message_id":"1","conversation_id":null}`, ""},
		{"object", `{"message_id":"1","conversation_id":{"x":1}}`, ""},
	}
	for _, c := range cases {
		m, err := decodeSendResult([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(m.ConversationID) != c.want {
			t.Errorf("%s: conversation_id %q, want %q", c.name, m.ConversationID, c.want)
		}
	}
}

func TestUnitTime(t *testing.T) {
	want := time.Date(2024, 9, 11, 8, 52, 2, 0, time.UTC)
	for _, v := range []int64{want.Unix(), want.UnixMilli(), want.UnixMicro(), want.UnixNano()} {
		if got := unitTime(v); !got.Equal(want) {
			t.Errorf("unitTime(%d) = %s, want %s", v, got, want)
		}
	}
	if !unitTime(0).IsZero() || !unitTime(-5).IsZero() {
		t.Error("zero and negative timestamps must give the zero time")
	}
}

func TestConversationListDecoding(t *testing.T) {
	raw := `{"conversations":[
		{"conversation_id":"11","to_id":555,"to_name":"Aisyah","unread_count":2,"latest_message_id":"901","last_message_timestamp":1726044722123456789},
		"garbage",
		{"conversation_id":12,"to_id":"556","last_message_timestamp":"1726044722000000000","unread_count":"x"}],
		"page_result":{"page_size":2,"next_cursor":{"next_message_time_nano":1726044722000000000,"conversation_id":"12"},"more":true}}`
	p, err := decodeConversationList([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Conversations) != 2 || p.Skipped != 1 || !p.More || p.Next != "1726044722000000000" {
		t.Fatalf("got %+v", p)
	}
	c := toConversation(p.Conversations[0])
	want := bridge.Conversation{ID: "11", BuyerID: "555", BuyerName: "Aisyah", UnreadCount: 2, LatestMessageID: "901",
		LatestMessageAt: time.Unix(0, 1726044722123456789)}
	if c.ID != want.ID || c.BuyerID != want.BuyerID || c.BuyerName != want.BuyerName || c.UnreadCount != 2 ||
		c.LatestMessageID != want.LatestMessageID || !c.LatestMessageAt.Equal(want.LatestMessageAt) {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if c2 := toConversation(p.Conversations[1]); c2.ID != "12" || c2.BuyerID != "556" || c2.UnreadCount != 0 {
		t.Errorf("tolerant entry: got %+v", c2)
	}
	if _, err := decodeConversationList([]byte(`[1,2]`)); err == nil {
		t.Error("an array response must be an error")
	}
}

func TestMessageMapping(t *testing.T) {
	c := &Client{}
	store := bridge.Store{ShopID: "1001"}
	cases := []struct {
		name string
		raw  string
		want bridge.Message
	}{
		{"buyer text", `{"message_id":"1","message_type":"text","from_id":555,"from_shop_id":0,"created_timestamp":1726044722,"content":{"text":"hi"}}`,
			bridge.Message{ID: "1", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "hi"}},
		{"seller text", `{"message_id":"2","message_type":"text","from_id":9,"from_shop_id":1001,"content":{"text":"hello"}}`,
			bridge.Message{ID: "2", Sender: bridge.SenderSeller, Kind: bridge.KindText, Text: "hello"}},
		{"other shop is not us", `{"message_id":"3","message_type":"text","from_shop_id":"1002","content":{"text":"x"}}`,
			bridge.Message{ID: "3", Sender: bridge.SenderBuyer, Kind: bridge.KindText, Text: "x"}},
		{"image", `{"message_id":"4","message_type":"image","content":{"url":"https://img","thumb_url":"https://t"}}`,
			bridge.Message{ID: "4", Sender: bridge.SenderBuyer, Kind: bridge.KindImage, URL: "https://img"}},
		{"video", `{"message_id":"5","message_type":"video","content":{"video_url":"https://v","duration_seconds":3}}`,
			bridge.Message{ID: "5", Sender: bridge.SenderBuyer, Kind: bridge.KindVideo, URL: "https://v"}},
		{"sticker", `{"message_id":"6","message_type":"sticker","content":{"sticker_id":"7","sticker_package_id":"50"}}`,
			bridge.Message{ID: "6", Sender: bridge.SenderBuyer, Kind: bridge.KindSticker, Text: "sticker 50/7"}},
		{"item", `{"message_id":"7","message_type":"item","content":{"item_id":20000000001,"shop_id":1001}}`,
			bridge.Message{ID: "7", Sender: bridge.SenderBuyer, Kind: bridge.KindItem, Card: &bridge.Card{ItemID: "20000000001"}}},
		{"order", `{"message_id":"8","message_type":"order","content":{"order_sn":"2501ABC"}}`,
			bridge.Message{ID: "8", Sender: bridge.SenderBuyer, Kind: bridge.KindOrder, Card: &bridge.Card{OrderID: "2501ABC"}}},
		{"voucher", `{"message_id":"9","message_type":"voucher","content":{"voucher_id":1,"voucher_code":"SAVE5"}}`,
			bridge.Message{ID: "9", Sender: bridge.SenderBuyer, Kind: bridge.KindVoucher, Card: &bridge.Card{Voucher: "SAVE5"}}},
		{"unknown type kept", `{"message_id":"10","message_type":"faq_liveagent","content":{"text":"agent please"}}`,
			bridge.Message{ID: "10", Sender: bridge.SenderBuyer, Kind: bridge.KindUnsupported, UnsupportedType: "faq_liveagent", Text: "agent please"}},
		{"no type", `{"message_id":"11","content":"weird"}`,
			bridge.Message{ID: "11", Sender: bridge.SenderBuyer, Kind: bridge.KindUnsupported, UnsupportedType: "unknown"}},
	}
	for _, tc := range cases {
		p, err := decodeMessages([]byte(`{"messages":[` + tc.raw + `],"page_result":{"next_offset":""}}`))
		if err != nil || len(p.Messages) != 1 {
			t.Fatalf("%s: decode: %v %+v", tc.name, err, p)
		}
		got := c.toMessage(store, "c1", p.Messages[0])
		w := tc.want
		w.Conversation = "c1"
		got.SentAt = time.Time{}
		if got.ID != w.ID || got.Sender != w.Sender || got.Kind != w.Kind || got.Text != w.Text || got.URL != w.URL ||
			got.UnsupportedType != w.UnsupportedType || got.Conversation != w.Conversation ||
			(got.Card == nil) != (w.Card == nil) || (got.Card != nil && *got.Card != *w.Card) {
			t.Errorf("%s:\n got %+v (card %+v)\nwant %+v (card %+v)", tc.name, got, got.Card, w, w.Card)
		}
	}
}

func TestTokensAtTopLevelOrUnderResponse(t *testing.T) {
	for _, raw := range []string{
		`{"request_id":"r","error":"","access_token":"a","refresh_token":"b","expire_in":14400}`,
		`{"request_id":"r","error":"","response":{"access_token":"a","refresh_token":"b","expire_in":"14400"}}`,
	} {
		env, _ := decodeEnvelope([]byte(raw))
		tk, err := decodeTokens([]byte(raw), env)
		if err != nil || tk.AccessToken != "a" || tk.RefreshToken != "b" || tk.ExpireIn != 14400 {
			t.Errorf("%s: got %+v, %v", raw, tk, err)
		}
	}
	if _, err := decodeTokens([]byte(`{"error":""}`), envelope{}); err == nil {
		t.Error("a body without tokens must be an error")
	}
}
