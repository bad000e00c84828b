package telegram

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shopbridge/shopbridge/bridge"
)

// Topic icon colours (the Bot API's fixed palette) per platform.
var iconColors = map[bridge.Platform]int{
	bridge.PlatformShopee: 0xFB6F5F,
	bridge.PlatformLazada: 0x6FB9F0,
	bridge.PlatformTikTok: 0xCB86DB,
}

// OpenThread opens a conversation's thread in the store's chat.
//
// In a forum supergroup it creates a topic whose name carries the status
// mark, platform, site, store and buyer, and nothing else: every call that
// posts into a group spends its budget of about 20 a minute, so a new
// conversation costs the topic and one post. The header (ids, the Seller
// Centre link, how to answer) is owed to the topic and goes at the top of
// the first PostMessages into it, together with the buyer's messages. The
// owed header is kept in memory only: after a restart, a topic whose first
// post had not gone out yet gets its first post without it, which loses
// nothing an agent needs (the name says who, the Seller Centre link is in
// the store's other topics). With pin_header on, the topic gets a
// separate header card, posted now and pinned later at low priority.
//
// In a group without topics the header card is the thread (one call), and
// agents reply to it or to any message posted under it.
func (s *Surface) OpenThread(ctx context.Context, h bridge.ThreadHeader) (bridge.ThreadRef, error) {
	chat, err := s.route(h.Store)
	if err != nil {
		return bridge.ThreadRef{}, err
	}
	info, err := s.chatInfo(ctx, chat)
	if err != nil {
		return bridge.ThreadRef{}, err
	}
	if !info.forum {
		id, err := s.sendCard(ctx, prioOpen, threadKey{chat: chat}, false, h)
		if err != nil {
			return bridge.ThreadRef{}, err
		}
		s.chains.add(chat, id, id)
		k := threadKey{chat, id}
		if h.Continued {
			s.rememberHeader(ctx, k, headerInfo{id: id, continued: true})
		}
		return k.ref(), nil
	}
	name := s.topicTitle(h)
	var topic *models.ForumTopic
	err = s.spend(ctx, prioOpen, "create topic", chat, func(ctx context.Context) error {
		var err error
		topic, err = s.bot.CreateForumTopic(ctx, &bot.CreateForumTopicParams{
			ChatID: chat, Name: name, IconColor: iconColors[h.Store.Platform],
		})
		return err
	})
	if err != nil {
		return bridge.ThreadRef{}, err
	}
	k := threadKey{chat, topic.MessageThreadID}
	s.rememberName(ctx, k, name)
	if !s.cardMode() {
		s.owed.put(k, h)
		return k.ref(), nil
	}
	id, err := s.sendCard(ctx, prioOpen, k, true, h)
	if err != nil {
		// Do not leave an empty topic behind; the engine opens another one.
		// Deleting posts nothing into the group, so it is not paced as a post.
		if derr := s.call(ctx, "delete topic", chat, func(ctx context.Context) error {
			_, err := s.bot.DeleteForumTopic(ctx, &bot.DeleteForumTopicParams{ChatID: chat, MessageThreadID: k.id})
			return err
		}); derr != nil {
			s.log.Warn("could not delete a topic left without its header", "chat", chat, "topic", k.id, "err", derr)
		}
		return bridge.ThreadRef{}, err
	}
	s.rememberHeader(ctx, k, headerInfo{id: id, continued: h.Continued})
	s.pinLater(chat, id)
	return k.ref(), nil
}

// cardMode reports whether topics get a separate pinned header card
// (pin_header).
func (s *Surface) cardMode() bool { return *s.cfg.PinHeader }

// reopenTopic reopens a closed topic at priority pr; "not modified" (it
// was open) is fine.
func (s *Surface) reopenTopic(ctx context.Context, pr priority, k threadKey) error {
	err := s.spend(ctx, pr, "reopen topic", k.chat, func(ctx context.Context) error {
		_, err := s.bot.ReopenForumTopic(ctx, &bot.ReopenForumTopicParams{ChatID: k.chat, MessageThreadID: k.id})
		return err
	})
	if err != nil && !isNotModified(err) {
		return err
	}
	s.closed.del(k)
	return nil
}

// renameTopic sets a topic's name at low priority, unless it already has
// it (as far as the surface knows): a rename posts a service message into
// the topic and spends the group's budget, so it is made only when the
// visible name changes. A name that differs only in case counts as the
// same: topics named before platforms were capitalized ("shopee MY · …",
// now "Shopee MY · …") are not all renamed once after an upgrade; they
// take the new spelling with their next status change.
func (s *Surface) renameTopic(ctx context.Context, k threadKey, name string) error {
	if applied, ok := s.nameOf(ctx, k); ok && strings.EqualFold(applied, name) {
		return nil
	}
	err := s.spend(ctx, prioLow, "rename topic", k.chat, func(ctx context.Context) error {
		_, err := s.bot.EditForumTopic(ctx, &bot.EditForumTopicParams{ChatID: k.chat, MessageThreadID: k.id, Name: name})
		return err
	})
	if err != nil && !isNotModified(err) {
		return err
	}
	s.rememberName(ctx, k, name)
	return nil
}

func nameKey(k threadKey) string {
	return "telegram.topic_name." + chatString(k.chat) + "." + strconv.Itoa(k.id)
}

// rememberName keeps the name a topic was given (persisted when a
// MetaStore is wired, so a restart does not rename every topic once).
func (s *Surface) rememberName(ctx context.Context, k threadKey, name string) {
	s.names.put(k, name)
	if s.meta != nil {
		if err := s.meta.SetMeta(context.WithoutCancel(ctx), nameKey(k), name); err != nil {
			s.log.Warn("could not save a topic name", "chat", k.chat, "topic", k.id, "err", err)
		}
	}
}

func (s *Surface) nameOf(ctx context.Context, k threadKey) (string, bool) {
	if name, ok := s.names.get(k); ok || s.meta == nil {
		return name, ok
	}
	name, err := s.meta.Meta(ctx, nameKey(k))
	if err != nil {
		if !errors.Is(err, bridge.ErrNotFound) {
			s.log.Warn("could not load a topic name", "chat", k.chat, "topic", k.id, "err", err)
		}
		return "", false
	}
	s.names.put(k, name)
	return name, true
}

// Status marks at the start of a topic's name (default mode): the topic
// list shows at a glance which conversations wait for an answer.
const (
	markAwaiting = "🟠"
	markAnswered = "🟢"
)

// topicTitle is the name a topic should have for h: with the status mark,
// unless the status is on a pinned header card.
func (s *Surface) topicTitle(h bridge.ThreadHeader) string {
	if s.cardMode() {
		return topicName(h, "")
	}
	if h.AwaitingReply {
		return topicName(h, markAwaiting)
	}
	return topicName(h, markAnswered)
}

// topicName is "[mark ]Shopee MY · Store · Buyer" (Lazada, TikTok Shop), within 128 characters:
// the store and buyer parts are shortened first, on rune boundaries.
func topicName(h bridge.ThreadHeader, mark string) string {
	buyerName := h.BuyerName
	if buyerName == "" {
		buyerName = h.BuyerID
	}
	if buyerName == "" {
		buyerName = string(h.Conversation)
	}
	platformSite := platformLabel(h.Store.Platform)
	if h.Store.Site != "" {
		platformSite += " " + h.Store.Site
	}
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	name := trimVisible(platformSite, 24) + " · " + trimVisible(store, 40) + " · " + trimVisible(buyerName, 56)
	if mark != "" {
		name = mark + " " + name
	}
	return trimVisible(name, maxTopicName)
}
