package shopee

import (
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// The decoders must never panic, whatever Shopee (or a proxy) sends. The
// seed corpus runs in every `go test`; `go test -fuzz=FuzzDecodeMessages`
// explores further.

var seedBodies = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `{"a":`, `{"conversations":{}}`, `{"messages":"x"}`,
	`{"conversations":[null,1,"x",{"conversation_id":[1]}]}`,
	`{"messages":[{"message_id":{"a":1},"content":[1,2]},{"message_id":"1","content":null,"created_timestamp":1e400}]}`,
}

func addSeeds(f *testing.F, extra ...string) {
	for _, s := range append(seedBodies, extra...) {
		f.Add([]byte(s))
	}
}

func FuzzDecodeConversationList(f *testing.F) {
	addSeeds(f,
		`{"conversations":[{"conversation_id":"4611686018427387904","to_id":555,"to_name":"A","shop_id":1001,"unread_count":1,"latest_message_id":"2000000000000000001","latest_message_type":"text","latest_message_content":{"text":"hi"},"last_message_timestamp":1748854800000000000}],"page_result":{"page_size":1,"next_cursor":{"next_message_time_nano":"1748854800000000000","conversation_id":"4611686018427387904"},"more":false}}`,
		`{"conversations":[{"conversation_id":4611686018427387904,"last_message_timestamp":"-1"}],"page_result":{"more":"true","next_cursor":null}}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeConversationList(b)
		if err != nil {
			return
		}
		for _, wc := range p.Conversations {
			_ = toConversation(wc)
		}
		_ = olderCursor(p.Next, "1748854800000000000")
	})
}

func FuzzDecodeMessages(f *testing.F) {
	addSeeds(f,
		`{"messages":[{"message_id":"2000000000000000001","message_type":"text","from_id":555,"from_shop_id":0,"to_id":800000000,"to_shop_id":1001,"conversation_id":"4611686018427387904","created_timestamp":1748854800,"region":"MY","status":"normal","content":{"text":"hi"},"message_option":0,"source_content":{},"quoted_msg":null}],"page_result":{"page_size":1,"next_offset":""}}`,
		`{"messages":[{"message_id":"1","message_type":"image","content":{"url":1}},{"message_id":"2","message_type":"item","content":{"item_id":"x"}},{"message_id":"3","message_type":"bundle_message","content":{"messages":[]}}],"page_result":{"next_offset":5}}`)
	c := &Client{}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeMessages(b)
		if err != nil {
			return
		}
		for _, m := range p.Messages {
			msg := c.toMessage(bridge.Store{ShopID: "1001"}, "", m)
			if msg.ID == "" {
				t.Fatalf("a decoded message has no ID: %q", b)
			}
			if msg.Kind == bridge.KindUnsupported && msg.UnsupportedType == "" {
				t.Fatalf("an unsupported message lost its type: %q", b)
			}
		}
	})
}

func FuzzDecodeSendResult(f *testing.F) {
	addSeeds(f,
		`{"message_id":"2000000000000000009","to_id":555,"message_type":"text","content":{"text":"ok"},"conversation_id":4611686018427387904,"created_timestamp":1748854800,"message_option":0}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeSendResult(b); err == nil && m.MessageID == "" {
			t.Fatalf("a send result without message_id was accepted: %q", b)
		}
	})
}

func FuzzDecodePush(f *testing.F) {
	addSeeds(f,
		`{"msg_id":"","data":{"type":"message","region":"ID","content":{"message_id":"1","conversation_id":"2","message_type":"text","content":{"text":"x"},"created_timestamp":1726044722}},"shop_id":947042923,"code":10,"timestamp":1726044722}`,
		`{"data":{"type":"notification","content":{"user_id":1,"conversation_id":"2","type":"mark_as_replied"}},"shop_id":"947042923","code":"10"}`,
		`{"data":"{\"type\":\"message\",\"content\":{\"conversation_id\":\"5\"}}","shop_id":1,"code":10}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePush(b)
		if err != nil {
			return
		}
		_ = p.data()
		_ = unitTime(int64(p.Timestamp))
	})
}

func FuzzDecodeLostPushes(f *testing.F) {
	addSeeds(f,
		`{"push_message_list":[{"shop_id":1001,"code":10,"timestamp":1748854800,"data":"{\"type\":\"message\"}"}],"has_next_page":false,"last_message_id":7}`,
		`{"push_message_list":null,"has_next_page":"1","last_message_id":"x"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeLostPushes(b)
		if err != nil {
			return
		}
		for _, push := range p.Pushes {
			_ = push.data()
		}
	})
}

func FuzzDecodeTokens(f *testing.F) {
	addSeeds(f, `{"access_token":"a","refresh_token":"b","expire_in":14400,"shop_id_list":[1001]}`,
		`{"response":{"access_token":"a","refresh_token":"b"}}`, `{"shop_id_list":"x"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		env, _ := decodeEnvelope(b)
		if tk, err := decodeTokens(b, env); err == nil && (tk.AccessToken == "" || tk.RefreshToken == "") {
			t.Fatalf("tokens accepted without both tokens: %q", b)
		}
	})
}
