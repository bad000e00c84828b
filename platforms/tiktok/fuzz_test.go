package tiktok

import (
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/bridge"
)

// The decoders must never panic and never lose a message's identity,
// whatever TikTok (or a proxy) sends. The seed corpus runs in every `go
// test`; `go test -fuzz=FuzzDecodeMessages ./platforms/tiktok/` explores
// further.

var seedBodies = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `{"a":`, `{"conversations":{}}`, `{"messages":"x"}`,
	`{"conversations":[null,1,"x",{"id":[1]},{"id":"1","participants":"x","latest_message":[]}]}`,
	`{"messages":[{"id":{"a":1},"content":[1,2]},{"id":"1","content":null,"create_time":1e400,"is_visible":"maybe"}]}`,
}

func addSeeds(f *testing.F, extra ...string) {
	for _, s := range append(seedBodies, extra...) {
		f.Add([]byte(s))
	}
}

const docConversations = `{"next_page_token":"1612353423","conversations":[{"id":"7494560109732334261","participant_count":3,"can_send_message":true,"unread_count":0,"create_time":1691411573,"participants":[{"im_user_id":"7494560109732334261","avatar":"https://p16.example/a.image","user_id":"7494560109732334262","role":"BUYER","nickname":"Albert","buyer_platform":"TIKTOK_SHOP"}],"latest_message":{"id":"7494560109732334263","type":"TEXT","content":"{\"content\": \"simple text message\"}","create_time":1691411573,"is_visible":true,"sender":{"im_user_id":"7494560109732334261","role":"BUYER","nickname":"Albert"},"index":"7494560109732334274"}}]}`

const docMessages = `{"next_page_token":"162312320","unsupported_msg_tips":"Please check this message in Seller Center.\n","messages":[{"id":"7494560109732334263","type":"TEXT","content":"{\"content\": \"simple text message\"}","create_time":1691411573,"is_visible":true,"sender":{"im_user_id":"7494560109732334261","role":"BUYER","nickname":"Albert"},"index":"7494560109732334274"}]}`

func FuzzDecodeConversations(f *testing.F) {
	addSeeds(f, docConversations,
		`{"conversations":[{"id":7494560109732334261,"can_send_message":"false","create_time":"-1","latest_message":{"id":"1","is_visible":false}}],"next_page_token":5}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeConversations(b)
		if err != nil {
			return
		}
		for _, wc := range p.Conversations {
			conv, _ := toConversation(wc)
			if conv.ID == "" {
				t.Fatalf("a decoded conversation has no ID: %q", b)
			}
		}
	})
}

func FuzzDecodeMessages(f *testing.F) {
	addSeeds(f, docMessages,
		`{"messages":[{"id":"1","type":"IMAGE","content":"{\"height\":\"290\",\"url\":\"https://x/y\",\"width\":304}","sender":{"role":"SHOP"}},{"id":"2","type":"PRODUCT_CARD","content":{"product_id":12345}},{"id":"3","type":"OTHER","content":"{}","sender":{"role":"ROBOT"},"is_visible":0},{"id":"4","type":"RETURN_REFUND_CARD","content":"{\"order_id\":\"1\",\"sku_id\":\"2\"}","sender":{"role":"SYSTEM"},"index":"x"}],"next_page_token":""}`,
		`{"messages":[{"id":"5","type":"BUYER_ENTER_FROM_ORDER","content":"not json","create_time":1691411573000},{"id":"6","type":"EMOTICONS","content":"\"quoted\""},{"id":"7","type":"NOTIFICATION"}]}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeMessages(b)
		if err != nil {
			return
		}
		for _, m := range p.Messages {
			msg, _ := toMessage("c", m, p.UnsupportedTips)
			if msg.ID == "" {
				t.Fatalf("a decoded message has no ID: %q", b)
			}
			if msg.Kind == bridge.KindUnsupported && msg.UnsupportedType == "" {
				t.Fatalf("an unsupported message lost its type: %q", b)
			}
			if msg.Sender == "" || msg.Kind == "" {
				t.Fatalf("a message has no sender or kind: %q", b)
			}
		}
		for i := range p.Messages {
			for j := range p.Messages {
				if compareOrder(p.Messages[i], p.Messages[j]) != -compareOrder(p.Messages[j], p.Messages[i]) {
					t.Fatalf("compareOrder is not antisymmetric on %q", b)
				}
			}
		}
	})
}

func FuzzDecodeContent(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `"x"`, `{"content":"hi"}`, `{"content":{"a":1}}`, `{"url":1,"width":"304"}`,
		`{"product_id":"7494560109732334265"}`, `{"order_id":12345,"sku_id":"45678"}`, `{"coupon_id":"7262992004278206762"}`,
		`{"url":"https://video.example/v","cover":"c","width":640,"height":360,"duration":"20.504"}`, `plain text`, `{"content":"\u0000"}`,
	} {
		f.Add(s, "TEXT")
	}
	f.Add(`{"content":"x"}`, "ALLOCATED_SERVICE")
	f.Add(`{"product_id":"1"}`, "BUYER_ENTER_FROM_PRODUCT")
	f.Add(`{}`, "OTHER")
	f.Fuzz(func(t *testing.T, content, typ string) {
		m := wireMessage{ID: "1", Type: flexString(typ), Content: jsonText(content)}
		msg, visible := toMessage("c", m, "")
		if !visible || msg.ID != "1" || msg.Kind == "" {
			t.Fatalf("content %q type %q: %+v visible=%v", content, typ, msg, visible)
		}
		if upper(typ) == typeText && len(content) > 0 && content[0] != '{' && content[0] != '"' && msg.Text != content {
			t.Fatalf("a TEXT content that is not JSON was not kept whole: %q → %q", content, msg.Text)
		}
	})
}

func FuzzDecodeWebhook(f *testing.F) {
	addSeeds(f,
		`{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"content":"{\"content\":\"444\"}","conversation_id":"710688832392260838","create_time":1681790246,"is_visible":true,"message_id":"722323407926368819","index":"7494560109732334274","type":"TEXT","sender":{"im_user_id":"707885565181165594","role":"BUYER"}}}`,
		`{"type":13,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1644412885,"data":{"conversation_id":"576486316948490001","create_time":1627587506}}`,
		`{"type":"14","shop_id":7494049642642441621,"data":"x"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodeWebhook(b)
		if err != nil {
			return
		}
		if w.ShopID == "" || w.Type == 0 {
			t.Fatalf("a webhook without shop or type was accepted: %q", b)
		}
		var wm wireMessage
		if decodeObject(w.Data, &wm) == nil && wm.id() != "" {
			if msg, _ := toMessage("", wm, ""); msg.ID == "" {
				t.Fatalf("a webhook message lost its ID: %q", b)
			}
		}
	})
}

func FuzzDecodeTokensAndShops(f *testing.F) {
	addSeeds(f,
		`{"access_token":"TTP_a","access_token_expire_in":1660556783,"refresh_token":"TTP_r","refresh_token_expire_in":1691487031,"open_id":"7010736057180325637","seller_name":"Jjj test shop","seller_base_region":"ID","user_type":0,"granted_scopes":["seller.customer_service"]}`,
		`{"shops":[{"id":"7000714532876273420","name":"Maomao beauty shop","region":"GB","seller_type":"CROSS_BORDER","cipher":"GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3","code":"CNGBCBA4LLU8"}]}`,
		`{"message_id":"7494560109732334261"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		if wt, err := decodeTokens(b); err == nil && (wt.AccessToken == "" || wt.RefreshToken == "") {
			t.Fatalf("tokens without access or refresh token accepted: %q", b)
		}
		if shops, err := decodeShops(b); err == nil {
			for _, s := range shops {
				if s.ID == "" {
					t.Fatalf("a shop without ID: %q", b)
				}
			}
		}
		if id, err := decodeSendResult(b); err == nil && id == "" {
			t.Fatalf("a send result without message_id accepted: %q", b)
		}
	})
}

func TestDocSamplesDecode(t *testing.T) {
	p, err := decodeConversations([]byte(docConversations))
	if err != nil || len(p.Conversations) != 1 || p.Next != "1612353423" {
		t.Fatalf("doc conversations: %+v, %v", p, err)
	}
	conv, canSend := toConversation(p.Conversations[0])
	if conv.ID != "7494560109732334261" || conv.BuyerID != "7494560109732334262" || conv.BuyerName != "Albert" ||
		conv.LatestMessageID != "7494560109732334263" || conv.LatestMessageAt.Unix() != 1691411573 || !canSend {
		t.Errorf("doc conversation mapped to %+v canSend=%v", conv, canSend)
	}
	mp, err := decodeMessages([]byte(docMessages))
	if err != nil || len(mp.Messages) != 1 {
		t.Fatalf("doc messages: %+v, %v", mp, err)
	}
	msg, visible := toMessage("7494560109732334261", mp.Messages[0], mp.UnsupportedTips)
	if !visible || msg.Text != "simple text message" || msg.Sender != bridge.SenderBuyer || msg.SenderName != "Albert" || msg.Kind != bridge.KindText {
		t.Errorf("doc message mapped to %+v", msg)
	}
}

func TestKindsAndSenders(t *testing.T) {
	cases := []struct {
		typ, role, content string
		visible            *bool
		kind               bridge.MessageKind
		sender             bridge.Sender
		check              func(bridge.Message) bool
	}{
		{"TEXT", "BUYER", `{"content":"hi"}`, nil, bridge.KindText, bridge.SenderBuyer, func(m bridge.Message) bool { return m.Text == "hi" }},
		{"IMAGE", "BUYER", `{"height":"290","url":"https://img/x","width":"304"}`, nil, bridge.KindImage, bridge.SenderBuyer, func(m bridge.Message) bool { return m.URL == "https://img/x" }},
		{"VIDEO", "BUYER", `{"url":"https://v/x","cover":"c","width":640}`, nil, bridge.KindVideo, bridge.SenderBuyer, func(m bridge.Message) bool { return m.URL == "https://v/x" }},
		{"EMOTICONS", "BUYER", `{"url":"https://e/x"}`, nil, bridge.KindSticker, bridge.SenderBuyer, func(m bridge.Message) bool { return m.URL == "https://e/x" }},
		{"PRODUCT_CARD", "BUYER", `{"product_id":"12345"}`, nil, bridge.KindItem, bridge.SenderBuyer, func(m bridge.Message) bool { return m.Card.ItemID == "12345" }},
		{"ORDER_CARD", "SHOP", `{"order_id":"777"}`, nil, bridge.KindOrder, bridge.SenderSeller, func(m bridge.Message) bool { return m.Card.OrderID == "777" }},
		{"RETURN_REFUND_CARD", "BUYER", `{"order_id":"777","sku_id":"45678"}`, nil, bridge.KindRefund, bridge.SenderBuyer, func(m bridge.Message) bool {
			return m.Card.OrderID == "777" && strings.Contains(m.Text, "45678")
		}},
		{"COUPON_CARD", "CUSTOMER_SERVICE", `{"coupon_id":"7262992004278206762"}`, nil, bridge.KindVoucher, bridge.SenderSeller, func(m bridge.Message) bool { return m.Card.Voucher == "7262992004278206762" }},
		{"NOTIFICATION", "SYSTEM", `{"content":"Order shipped"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool {
			return m.Text == "Order shipped" && m.SenderName == systemSenderName
		}},
		{"ALLOCATED_SERVICE", "SYSTEM", `{"content":"Agent Ann joined"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool { return m.Text == "Agent Ann joined" }},
		{"BUYER_ENTER_FROM_PRODUCT", "BUYER", `{"product_id":"12345"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool { return strings.Contains(m.Text, "12345") }},
		{"BUYER_ENTER_FROM_ORDER", "BUYER", `{"order_id":"777"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool { return strings.Contains(m.Text, "777") }},
		{"BUYER_ENTER_FROM_TRANSFER", "SYSTEM", `{"content":"transferred"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool { return m.Text == "transferred" }},
		{"TEXT", "ROBOT", `{"content":"We reply within 1h"}`, nil, bridge.KindText, bridge.SenderSystem, func(m bridge.Message) bool {
			return m.AutoReply && m.SenderName == robotSenderName
		}},
		{"OTHER", "BUYER", `{"content":"simple text"}`, nil, bridge.KindUnsupported, bridge.SenderBuyer, func(m bridge.Message) bool { return m.UnsupportedType == "OTHER" }},
		{"BRAND_NEW_TYPE", "BUYER", `{}`, nil, bridge.KindUnsupported, bridge.SenderBuyer, func(m bridge.Message) bool {
			return m.UnsupportedType == "BRAND_NEW_TYPE" && m.Text == "tips"
		}},
	}
	for _, c := range cases {
		wm := wireMessage{ID: "1", Type: flexString(c.typ), Content: jsonText(c.content), Sender: wireSender{Role: flexString(c.role)}}
		msg, visible := toMessage("conv", wm, "tips")
		if !visible || msg.Kind != c.kind || msg.Sender != c.sender || !c.check(msg) {
			t.Errorf("%s from %s: %+v (card %+v) visible=%v; want %s from %s", c.typ, c.role, msg, msg.Card, visible, c.kind, c.sender)
		}
	}
	wm := wireMessage{ID: "2", Type: "NOTIFICATION", Content: `{"content":"Rate us"}`, IsVisible: optBool{set: true}}
	if _, visible := toMessage("conv", wm, ""); visible {
		t.Error("is_visible=false was not reported")
	}
}
