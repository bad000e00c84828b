package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/shopbridge/shopbridge/bridge"
)

// mrkdwn is a verbatim mrkdwn text object: Slack does not auto-link or
// auto-mention inside it, which matters for buyer text.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// platformName is the marketplace's display name.
func platformLabel(p bridge.Platform) string {
	switch p {
	case bridge.PlatformShopee:
		return "Shopee"
	case bridge.PlatformLazada:
		return "Lazada"
	case bridge.PlatformTikTok:
		return "TikTok Shop"
	}
	return escapeInline(string(p), 40)
}

// senderLine says who wrote a message. Seller messages reaching a thread were
// sent outside the bridge (the bridge's own replies are never echoed).
func senderLine(h bridge.ThreadHeader, m bridge.Message) string {
	switch m.Sender {
	case bridge.SenderSeller:
		name := "Seller"
		if m.SenderName != "" {
			name = escapeInline(m.SenderName, 80)
		}
		return ":office: *" + name + "* · _sent from Seller Centre_"
	case bridge.SenderSystem:
		return ":information_source: *" + platformLabel(h.Store.Platform) + " notice*"
	}
	name := m.SenderName
	if name == "" {
		name = h.BuyerName
	}
	if name == "" {
		name = "Buyer"
	}
	return ":bust_in_silhouette: *" + escapeInline(name, 80) + "*"
}

// renderedMessage is one marketplace message ready to be laid out into
// posts (combine.go): the line naming its sender, its content blocks (text
// already escaped and split into sections within TextLimit) and a short
// plain summary for the notification text.
type renderedMessage struct {
	id     bridge.MessageID
	buyer  bool
	sender string
	blocks []slack.Block
	// summary is plain, unescaped text ("Bea Buyer: Is this in stock?").
	summary string
}

// renderMessage shows a marketplace message: text escaped and split,
// images as image blocks (or links), item/order/voucher cards with their
// name, price and number, and anything else as a placeholder naming the
// type. Nothing is dropped.
func (s *Surface) renderMessage(h bridge.ThreadHeader, m bridge.Message) renderedMessage {
	var blocks []slack.Block
	var fallback string
	addText := func(text string) {
		for _, chunk := range splitText(escapeText(text), s.cfg.TextLimit) {
			blocks = append(blocks, section(chunk))
		}
	}
	switch m.Kind {
	case bridge.KindText, "":
		if strings.TrimSpace(m.Text) == "" {
			blocks = append(blocks, section("_(empty message)_"))
			fallback = "(empty message)"
		} else {
			addText(m.Text)
			fallback = m.Text
		}
	case bridge.KindImage, bridge.KindSticker:
		what := "Image"
		if m.Kind == bridge.KindSticker {
			what = "Sticker"
		}
		u := rawURL(m.URL)
		switch {
		case u == "":
			blocks = append(blocks, section(fmt.Sprintf(":frame_with_picture: _[%s without a usable link — open the conversation in Seller Centre]_", what)))
		case s.cfg.ImagesAsLinks:
			blocks = append(blocks, section(":frame_with_picture: "+link(u, what)))
		default:
			blocks = append(blocks, slack.NewImageBlock(u, what+" from the conversation", "", nil))
		}
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[" + strings.ToLower(what) + "] " + m.Text
	case bridge.KindVideo:
		blocks = append(blocks, section(":film_frames: "+link(m.URL, "Video")))
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[video] " + m.Text
	case bridge.KindItem, bridge.KindOrder, bridge.KindVoucher:
		blocks = append(blocks, renderCard(m))
		if m.Text != "" && (m.Card == nil || m.Text != m.Card.Title) {
			addText(m.Text)
		}
		fallback = "[" + string(m.Kind) + "] " + cardSummary(m)
	default:
		typ := m.UnsupportedType
		if typ == "" {
			typ = string(m.Kind)
		}
		text := fmt.Sprintf(":grey_question: _Unsupported message type_ `%s` _— open it in Seller Centre to see it._", escapeCode(typ))
		if l := link(h.Link, "Open in Seller Centre"); l != "Open in Seller Centre" {
			text += " " + l
		}
		blocks = append(blocks, section(text))
		if strings.TrimSpace(m.Text) != "" {
			addText(m.Text)
		}
		fallback = "[unsupported message: " + typ + "]"
	}
	return renderedMessage{
		id:      m.ID,
		buyer:   m.Sender == bridge.SenderBuyer,
		sender:  senderLine(h, m),
		blocks:  blocks,
		summary: truncate(senderPlain(h, m)+": "+fallback, fallbackRunes),
	}
}

func senderPlain(h bridge.ThreadHeader, m bridge.Message) string {
	switch m.Sender {
	case bridge.SenderSeller:
		return "Seller (Seller Centre)"
	case bridge.SenderSystem:
		return "Notice"
	}
	if m.SenderName != "" {
		return m.SenderName
	}
	if h.BuyerName != "" {
		return h.BuyerName
	}
	return "Buyer"
}

func truncate(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// renderCard shows a product, order or voucher.
func renderCard(m bridge.Message) slack.Block {
	c := m.Card
	if c == nil {
		c = &bridge.Card{}
	}
	var lines []string
	title := escapeInline(c.Title, 200)
	if title != "" && c.Link != "" {
		title = link(c.Link, title)
	}
	switch m.Kind {
	case bridge.KindItem:
		line := ":shopping_bags: *Product*"
		if title != "" {
			line += ": " + title
		}
		lines = append(lines, line)
		if c.Price != "" {
			lines = append(lines, "*Price:* "+escapeInline(c.Price, 60))
		}
		if c.ItemID != "" {
			lines = append(lines, "Item ID `"+escapeCode(c.ItemID)+"`")
		}
	case bridge.KindOrder:
		line := ":package: *Order*"
		if c.OrderID != "" {
			line += " `" + escapeCode(c.OrderID) + "`"
		}
		lines = append(lines, line)
		if title != "" {
			lines = append(lines, title)
		}
		if c.Price != "" {
			lines = append(lines, "*Total:* "+escapeInline(c.Price, 60))
		}
	case bridge.KindVoucher:
		line := ":ticket: *Voucher*"
		if c.Voucher != "" {
			line += " `" + escapeCode(c.Voucher) + "`"
		}
		lines = append(lines, line)
		if title != "" {
			lines = append(lines, title)
		}
		if c.Price != "" {
			lines = append(lines, "*Value:* "+escapeInline(c.Price, 60))
		}
	}
	if m.Card == nil {
		lines = append(lines, "_(no details: open the conversation in Seller Centre)_")
	}
	var acc *slack.Accessory
	if u := rawURL(c.ImageURL); u != "" {
		acc = slack.NewAccessory(slack.NewImageBlockElement(u, "Product image"))
	}
	return slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, acc)
}

func cardSummary(m bridge.Message) string {
	c := m.Card
	if c == nil {
		return ""
	}
	parts := []string{}
	for _, v := range []string{c.OrderID, c.Voucher, c.Title, c.Price} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " · ")
}
