package telegram

import (
	"context"
	"errors"
	"fmt"
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

// OpenThread opens a conversation's thread in the store's chat. In a forum
// supergroup it creates a topic named after platform, site, store and buyer,
// posts the header card as its first message and pins it; the thread is the
// topic. In a group without topics the header card is the thread, and
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
		id, err := s.sendCard(ctx, threadKey{chat: chat}, false, h)
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
	var topic *models.ForumTopic
	err = s.call(ctx, "create topic", chat, true, func(ctx context.Context) error {
		var err error
		topic, err = s.bot.CreateForumTopic(ctx, &bot.CreateForumTopicParams{
			ChatID: chat, Name: topicName(h), IconColor: iconColors[h.Store.Platform],
		})
		return err
	})
	if err != nil {
		return bridge.ThreadRef{}, err
	}
	k := threadKey{chat, topic.MessageThreadID}
	id, err := s.sendCard(ctx, k, true, h)
	if err != nil {
		// Do not leave an empty topic behind; the engine opens another one.
		if derr := s.call(ctx, "delete topic", chat, false, func(ctx context.Context) error {
			_, err := s.bot.DeleteForumTopic(ctx, &bot.DeleteForumTopicParams{ChatID: chat, MessageThreadID: k.id})
			return err
		}); derr != nil {
			s.log.Warn("could not delete a topic left without its header", "chat", chat, "topic", k.id, "err", derr)
		}
		return bridge.ThreadRef{}, err
	}
	s.rememberHeader(ctx, k, headerInfo{id: id, continued: h.Continued})
	s.pin(ctx, chat, id)
	return k.ref(), nil
}

// sendCard posts a header card into the thread (forum) or the chat.
func (s *Surface) sendCard(ctx context.Context, k threadKey, forum bool, h bridge.ThreadHeader) (int, error) {
	params := &bot.SendMessageParams{ChatID: k.chat, Text: headerCard(h, forum).html, ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff()}
	if forum {
		params.MessageThreadID = k.id
	}
	var msg *models.Message
	err := s.call(ctx, "post thread header", k.chat, true, func(ctx context.Context) error {
		var err error
		msg, err = s.bot.SendMessage(ctx, params)
		return err
	})
	if err != nil {
		return 0, err
	}
	return msg.ID, nil
}

// pin pins a header card; a missing right is logged once per chat and the
// card stays unpinned.
func (s *Surface) pin(ctx context.Context, chat int64, id int) {
	s.mu.Lock()
	skip := !*s.cfg.PinHeader || s.noPin[chat]
	s.mu.Unlock()
	if skip {
		return
	}
	err := s.call(ctx, "pin thread header", chat, true, func(ctx context.Context) error {
		_, err := s.bot.PinChatMessage(ctx, &bot.PinChatMessageParams{ChatID: chat, MessageID: id, DisableNotification: true})
		return err
	})
	if err == nil {
		return
	}
	if kindOf(err) == bridge.KindAuth {
		// Pinning is a nicety: its missing right must not mark the chat down.
		s.health.chatOK(chat)
		s.mu.Lock()
		s.noPin[chat] = true
		s.mu.Unlock()
		s.log.Warn("cannot pin header cards: give the bot the admin right \"Pin messages\"", "chat", chat, "err", err)
		return
	}
	s.log.Warn("could not pin a header card", "chat", chat, "err", err)
}

// UpdateThreadHeader edits the header card (awaiting reply / answered,
// unread count). A resumed conversation's topic is reopened if an agent
// closed it.
func (s *Surface) UpdateThreadHeader(ctx context.Context, t bridge.ThreadRef, h bridge.ThreadHeader) error {
	k, err := parseThread(t)
	if err != nil {
		return err
	}
	info, err := s.chatInfo(ctx, k.chat)
	if err != nil {
		return err
	}
	if h.Resumed && info.forum {
		if err := s.reopenTopic(ctx, k); err != nil {
			return err
		}
	}
	hi, known := s.headerOf(ctx, k)
	switch {
	case !known && info.forum:
		// Opened before a restart without a MetaStore: the card's id is
		// unknown, and a new card per update would spam the topic.
		s.log.Debug("header card unknown; not updated", "chat", k.chat, "topic", k.id)
		return nil
	case !known:
		hi = headerInfo{id: k.id} // in a reply chain the header is the thread
	}
	h.Continued = h.Continued || hi.continued
	err = s.call(ctx, "update thread header", k.chat, false, func(ctx context.Context) error {
		_, err := s.bot.EditMessageText(ctx, &bot.EditMessageTextParams{
			ChatID: k.chat, MessageID: hi.id, Text: headerCard(h, info.forum).html,
			ParseMode: models.ParseModeHTML, LinkPreviewOptions: previewOff(),
		})
		return err
	})
	switch {
	case err == nil || isNotModified(err):
		return nil
	case isEditTargetGone(err) && !info.forum:
		return &bridge.PlatformError{Kind: bridge.KindPermanent, Platform: platform, Op: "update thread header",
			Message: "the header message was deleted", Err: fmt.Errorf("%w: header deleted", bridge.ErrThreadGone)}
	case isEditTargetGone(err):
		// The card was deleted but the topic may live on: post a new one.
		id, serr := s.sendCard(ctx, k, true, h)
		if serr != nil {
			return serr
		}
		s.rememberHeader(ctx, k, headerInfo{id: id, continued: h.Continued})
		s.pin(ctx, k.chat, id)
		return nil
	}
	return err
}

// reopenTopic reopens a closed topic; "not modified" (it was open) is fine.
func (s *Surface) reopenTopic(ctx context.Context, k threadKey) error {
	err := s.call(ctx, "reopen topic", k.chat, false, func(ctx context.Context) error {
		_, err := s.bot.ReopenForumTopic(ctx, &bot.ReopenForumTopicParams{ChatID: k.chat, MessageThreadID: k.id})
		return err
	})
	if err != nil && !isNotModified(err) {
		return err
	}
	return nil
}

func headerKey(k threadKey) string {
	return "telegram.header." + chatString(k.chat) + "." + strconv.Itoa(k.id)
}

// headerInfo is what the surface keeps of a thread's header card: its
// message id, and whether the thread continues a deleted one (the engine
// says so only when opening it, and later edits must keep saying it).
type headerInfo struct {
	id        int
	continued bool
}

func (hi headerInfo) String() string {
	if hi.continued {
		return strconv.Itoa(hi.id) + ";continued"
	}
	return strconv.Itoa(hi.id)
}

func parseHeaderInfo(v string) (headerInfo, bool) {
	ids, flag, _ := strings.Cut(v, ";")
	id, err := strconv.Atoi(ids)
	if err != nil || id <= 0 {
		return headerInfo{}, false
	}
	return headerInfo{id: id, continued: flag == "continued"}, true
}

// rememberHeader keeps a thread's header card (and persists it when a
// MetaStore is wired).
func (s *Surface) rememberHeader(ctx context.Context, k threadKey, hi headerInfo) {
	s.mu.Lock()
	s.headers[k] = hi
	s.mu.Unlock()
	if s.meta != nil {
		if err := s.meta.SetMeta(context.WithoutCancel(ctx), headerKey(k), hi.String()); err != nil {
			s.log.Warn("could not save a header card id", "chat", k.chat, "thread", k.id, "err", err)
		}
	}
}

func (s *Surface) headerOf(ctx context.Context, k threadKey) (headerInfo, bool) {
	s.mu.Lock()
	hi, ok := s.headers[k]
	s.mu.Unlock()
	if ok || s.meta == nil {
		return hi, ok
	}
	v, err := s.meta.Meta(ctx, headerKey(k))
	if err != nil {
		if !errors.Is(err, bridge.ErrNotFound) {
			s.log.Warn("could not load a header card id", "chat", k.chat, "thread", k.id, "err", err)
		}
		return headerInfo{}, false
	}
	if hi, ok = parseHeaderInfo(v); !ok {
		return headerInfo{}, false
	}
	s.mu.Lock()
	s.headers[k] = hi
	s.mu.Unlock()
	return hi, true
}

// topicName is "shopee MY · Store · Buyer", within 128 characters: the
// store and buyer parts are shortened first, on rune boundaries.
func topicName(h bridge.ThreadHeader) string {
	buyerName := h.BuyerName
	if buyerName == "" {
		buyerName = h.BuyerID
	}
	if buyerName == "" {
		buyerName = string(h.Conversation)
	}
	platformSite := string(h.Store.Platform)
	if h.Store.Site != "" {
		platformSite += " " + h.Store.Site
	}
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	name := trimVisible(platformSite, 24) + " · " + trimVisible(store, 40) + " · " + trimVisible(buyerName, 56)
	return trimVisible(name, maxTopicName)
}

// headerCard is a thread's first message: who, where, the status, a link to
// the conversation in Seller Centre and how to answer. It never repeats a
// buyer message.
func headerCard(h bridge.ThreadHeader, forum bool) htmlText {
	store := h.Store.Name
	if store == "" {
		store = string(h.Store.ID)
	}
	title := string(h.Store.Platform)
	if h.Store.Site != "" {
		title += " · " + h.Store.Site
	}
	title += " · " + store
	lines := []htmlText{concat(" ", plain("🛍"), wrap("b", buyer(title)))}
	buyerName := h.BuyerName
	if buyerName == "" {
		buyerName = "Buyer"
	}
	who := concat(" ", plain("👤"), wrap("b", buyer(trimVisible(buyerName, maxNameLen))))
	if h.BuyerID != "" {
		who = concat(" ", who, plain("· id"), wrap("code", buyer(h.BuyerID)))
	}
	lines = append(lines, who)
	lines = append(lines, concat(" ", plain("💬 Conversation"), wrap("code", buyer(string(h.Conversation)))))
	if _, ok := safeURL(h.Link); ok {
		lines = append(lines, concat(" ", plain("🔗"), anchor(h.Link, "Open in Seller Centre")))
	}
	status := concat(" ", plain("🟢"), bold("Answered"))
	if h.AwaitingReply {
		status = concat(" ", plain("🟠"), bold("Awaiting reply"))
	}
	if h.Unread > 0 {
		status = concat(" · ", status, plain(fmt.Sprintf("%d unread", h.Unread)))
	}
	lines = append(lines, status)
	if h.Resumed {
		lines = append(lines, plain("🔁 Resumed: the buyer wrote again after a quiet period."))
	}
	if h.Continued {
		what := "topic"
		if !forum {
			what = "thread"
		}
		lines = append(lines, plain("↪️ Continues this conversation: its earlier "+what+" was deleted."))
	}
	how := "Reply in this topic to answer the buyer."
	if !forum {
		how = "Reply to this message (or to any message under it) to answer the buyer."
	}
	lines = append(lines, italic(how))
	return concat("\n", lines...)
}
